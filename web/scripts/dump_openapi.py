"""Print the API's OpenAPI document without a server: the dashboard's types are generated from it at build time."""

from __future__ import annotations

import json
import sys

import miniprogram_api.app  # noqa: F401 - registers every route
from miniprogram_api.chalicelib.openapi import document

json.dump(document(), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
sys.stdout.write("\n")

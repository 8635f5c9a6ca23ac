"""The blueprints, one module per area (`routes = ApiBlueprint("<area>")`), found and registered here under /api/v1.

A new area is a new module in this package; nothing else to edit (docs/api.md "Adding a route").
"""

from __future__ import annotations

import importlib
import pkgutil

from chalice.app import Chalice

from miniprogram_api.chalicelib.framework import API_PREFIX, ApiBlueprint


def blueprints() -> list[ApiBlueprint]:
    """Every area's blueprint, in module-name order (a module without `routes` is a helper, not an area)."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        area = getattr(module, "routes", None)
        if isinstance(area, ApiBlueprint):
            found.append(area)
    return found


def register(app: Chalice) -> None:
    for area in blueprints():
        app.register_blueprint(area.blueprint, url_prefix=API_PREFIX)

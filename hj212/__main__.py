"""`python -m hj212 decode|build|crc`: see hj212.cli."""

import sys

from .cli import main

sys.exit(main())

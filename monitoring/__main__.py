"""`python -m monitoring …`: registry import and inspection on the embedded store (see monitoring/cli.py)."""

import sys

from monitoring.cli import main

sys.exit(main())

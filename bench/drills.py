"""Fault drills of issue 11, one after another: worker faults, a store outage, an unregistered flood.

Each drill is its own module with a `main(argv)` that prints what was acknowledged, stored, lost and
dead-lettered and exits non-zero when anything acknowledged was lost. `python -m bench.drills [NAME …]`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence

DRILLS = {  # name -> module; the order is the (1 workers, 2 store outage, 4 flood)
    "workers": "bench.drill_workers",
    "store-outage": "bench.drill_store_outage",
    "flood": "bench.drill_flood",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("names", nargs="*", metavar="NAME", help="drills to run (default all): " + ", ".join(DRILLS))
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(DRILLS))
    if unknown:
        parser.error(f"unknown drill {', '.join(unknown)} (choose from {', '.join(DRILLS)})")
    failed = []
    for name in args.names or list(DRILLS):
        print(f"==== drill: {name} ====", flush=True)
        started = time.monotonic()
        code = importlib.import_module(DRILLS[name]).main([])
        print(f"==== drill {name}: exit {code} after {time.monotonic() - started:.0f} s ====", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"drills failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

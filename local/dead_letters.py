"""`python -m local dead-letters list|show|requeue|discard`: frame records decode set aside (queue.db `dead_frames`).

More: docs/local.md, "Module notes".
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.queue import DeadLetter, FrameQueue
from local.workers import QUEUE_FILE
from monitoring.errors import InvalidInputError
from monitoring.storage.sqlite.preflight import check_database


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("dead-letters", help="list, show or requeue frame records decode set aside")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="the dead letters, oldest first")
    listing.add_argument("--data-dir", required=True)
    listing.add_argument("--limit", type=int, default=200)
    listing.add_argument("--json", action="store_true")
    show = actions.add_parser("show", help="one dead letter: reason, exception and the frame record")
    show.add_argument("--data-dir", required=True)
    show.add_argument("id", type=int)
    requeue = actions.add_parser("requeue", help="put dead letters back on the frame queue to be decoded again")
    requeue.add_argument("--data-dir", required=True)
    which = requeue.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every dead letter")
    which.add_argument("ids", nargs="*", type=int, default=[], metavar="ID")
    discard = actions.add_parser("discard", help="delete dead letters that will never decode (show them first)")
    discard.add_argument("--data-dir", required=True)
    gone = discard.add_mutually_exclusive_group(required=True)
    gone.add_argument("--all", action="store_true", help="every dead letter")
    gone.add_argument("ids", nargs="*", type=int, default=[], metavar="ID")


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds") if at else ""


def _row(d: DeadLetter) -> dict[str, Any]:
    return {"id": d.seq, "mn": d.mn, "attempts": d.attempts, "dead_at": _when(d.dead_at), "reason": d.reason}


def main(args: argparse.Namespace) -> int:
    path = Path(args.data_dir) / QUEUE_FILE
    if not path.is_file():
        print(f"local: no frame queue in {args.data_dir} ({QUEUE_FILE} not found)", file=sys.stderr)
        return 2
    try:
        check_database(path, must_exist=True)  # opening anything else would be a traceback or a new queue
    except InvalidInputError as exc:
        print(f"local: {exc}", file=sys.stderr)
        return 2
    queue = FrameQueue(path)
    try:
        return _run(queue, args)
    finally:
        queue.close()


def _run(queue: FrameQueue, args: argparse.Namespace) -> int:
    if args.action == "list":
        if args.limit < 1:
            print("local: --limit must be at least 1", file=sys.stderr)
            return 2
        rows = [_row(d) for d in queue.dead(args.limit)]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=1))
        elif not rows:
            print("（无）")
        else:
            for r in rows:
                print(f"{r['id']}  {r['mn']}  {r['dead_at']}  尝试 {r['attempts']} 次  {r['reason']}")
            print(f"共 {len(rows)} 条（requeue 重新解码）")
        return 0
    if args.action == "show":
        found = queue.dead_letter(args.id)
        if found is None:
            print(f"local: no dead letter {args.id}", file=sys.stderr)
            return 1
        print(json.dumps(_row(found), ensure_ascii=False))
        print(found.error or "(no exception recorded)")
        try:
            print(json.dumps(json.loads(found.record), ensure_ascii=False, indent=1))
        except ValueError:
            print(found.record)
        return 0
    if not args.all and not args.ids:
        print("local: give dead-letter ids or --all", file=sys.stderr)
        return 2
    if args.action == "discard":
        moved = queue.discard(None if args.all else args.ids)
        print(f"已删除 {len(moved)} 条" + (f": {' '.join(map(str, moved))}" if moved and len(moved) <= 20 else ""))
    else:
        moved = queue.requeue(None if args.all else args.ids)
        print(f"已重新排队 {len(moved)} 条" + (f": {' '.join(map(str, moved))}" if moved and len(moved) <= 20 else ""))
    missing = sorted(set(args.ids) - set(moved))
    if missing:
        ids = " ".join(map(str, missing))
        print(f"local: not dead letters (already requeued or discarded?): {ids}", file=sys.stderr)
        return 1
    return 0

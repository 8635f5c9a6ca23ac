"""Where the project's shared data lives: `<repo>/../shared/data` (CI clones the repo with `shared/` beside it).

A linked git worktree (`git worktree add`) sits elsewhere; its main checkout's sibling is used then.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def shared_data(name: str) -> Path:
    """`<repo>/../shared/data/<name>`; raises FileNotFoundError naming where it looked (never skipped)."""
    looked = []
    for root in (ROOT, _main_checkout(ROOT)):
        if root is None:
            continue
        path = root.parent / "shared" / "data" / name
        if path.exists():
            return path
        looked.append(str(path))
    raise FileNotFoundError(f"shared data {name!r} not found at {' or '.join(looked)}")


def _main_checkout(root: Path) -> Path | None:
    """The main checkout of a linked worktree, whose `.git` is a file `gitdir: <main>/.git/worktrees/<name>`."""
    dot_git = root / ".git"
    if not dot_git.is_file():
        return None
    gitdir = Path(dot_git.read_text().removeprefix("gitdir:").strip())
    common = gitdir / "commondir"
    if not common.is_file():
        return None
    return (gitdir / common.read_text().strip()).resolve().parent

"""An evidence package's files as a person handles them: written out to a folder, or resealed by a forger."""

from __future__ import annotations

import hashlib
from pathlib import Path

from monitoring.evidence.verify_evidence import MANIFEST


def write_files(files: dict[str, bytes], folder: Path) -> Path:
    """The files unpacked under `folder` (returned)."""
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def reseal(files: dict[str, bytes]) -> dict[str, bytes]:
    """SHA256SUMS.txt recomputed: what a forger who changes a file and rewrites the manifest would hand over."""
    body = {n: d for n, d in files.items() if n != MANIFEST}
    sums = "".join(f"{hashlib.sha256(body[n]).hexdigest()}  {n}\n" for n in sorted(body))
    return body | {MANIFEST: sums.encode()}

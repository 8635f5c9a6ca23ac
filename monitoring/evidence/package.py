"""An alarm's evidence package as one deterministic ZIP: the same inputs give the same bytes (fixed timestamps,
sorted names), so the package can itself be hashed; SHA256SUMS.txt lists every other file's SHA-256."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from monitoring.archive.models import ArchivedFrame
from monitoring.charts import render_pdf, render_png
from monitoring.evidence import documents
from monitoring.evidence.collect import Chain, Evidence
from monitoring.evidence.delivered import DeliveredProof
from monitoring.evidence.readme import readme
from monitoring.evidence.verify_evidence import MANIFEST

FORMAT: Final = "gongkuang-evidence/1"
ZIP_TIME: Final = (2000, 1, 1, 0, 0, 0)  # every entry's timestamp: no export time in the bytes
_EXTENSIONS: Final = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True, slots=True)
class Package:
    data: bytes
    sha256: str
    files: int
    values: int  # numbers in readings.csv
    traced: int  # of them, found in a frame of the package


def _mn_name(mn: str) -> str:
    return _UNSAFE.sub("_", mn) or "_"


def _proof_line(record: ArchivedFrame) -> str:
    body = {
        "seq": record.seq,
        "prev_hash": record.prev_hash,
        "hash": record.hash,
        "frame": json.loads(record.frame.canonical()),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _chain_files(chain: Chain, files: dict[str, bytes]) -> dict[str, Any]:
    folder = _mn_name(chain.mn)
    proof = f"proof/{folder}.jsonl"
    records = (*chain.frames, *chain.tail)
    files[proof] = "".join(_proof_line(r) + "\n" for r in records).encode("utf-8")
    frame_files: dict[str, str] = {}
    for record in chain.frames:
        name = f"frames/{folder}/{record.seq:010d}.hj212"
        files[name] = record.frame.raw
        frame_files[str(record.seq)] = name
    return {
        "mn": chain.mn,
        "proof_file": proof,
        "first_seq": records[0].seq,
        "anchor_hash": records[0].prev_hash,
        "last_seq": records[-1].seq,
        "last_hash": records[-1].hash,
        "reaches_head": chain.reaches_head,
        "head_seq_at_export": chain.head.seq,
        "head_hash_at_export": chain.head.hash,
        "frame_files": frame_files,
    }


def _delivered_files(proof: DeliveredProof, files: dict[str, bytes]) -> dict[str, Any]:
    """The S3 archive's proof (AWS): frames → each MN's entries in the manifests → the global chain's links."""
    links = "archive/links.jsonl"
    files[links] = "".join(
        json.dumps({"seq": k.seq, "object": k.object_key, "prev_hash": k.prev_hash, "hash": k.hash,
                    "records": k.records, "mns": k.mns}, sort_keys=True, separators=(",", ":")) + "\n"
        for k in proof.links
    ).encode("utf-8")  # fmt: skip
    manifests: dict[str, str] = {}
    for seq, data in sorted(proof.manifests.items()):
        manifests[str(seq)] = name = f"archive/manifests/{seq:012d}.json.gz"
        files[name] = data
    terminals = []
    for chain in proof.chains:
        folder = _mn_name(chain.mn)
        lines = [
            json.dumps({"seq": f.seq, "position": f.position, "frame": json.loads(f.frame.canonical())},
                       sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
            for e in chain.entries for f in e.frames
        ]  # fmt: skip
        proof_file = f"proof/{folder}.jsonl"
        files[proof_file] = "".join(lines).encode("utf-8")
        frame_files: dict[str, str] = {}
        for f in chain.window:
            frame_files[f.frame_id] = name = f"frames/{folder}/{f.seq:012d}-{f.position:07d}.hj212"
            files[name] = f.frame.raw
        prev = chain.entries[0].entry.prev
        anchor = None if prev is None else {"object": prev.object_key, "hash": prev.hash, "seq": prev.seq}
        terminals.append({"mn": chain.mn, "proof_file": proof_file, "entries": [e.link.seq for e in chain.entries],
                          "anchor": anchor, "frame_files": frame_files})  # fmt: skip
    first, last = proof.links[0], proof.links[-1]
    return {
        "links_file": links,
        "first_seq": first.seq,
        "anchor_hash": first.prev_hash,
        "last_seq": last.seq,
        "last_hash": last.hash,
        "reaches_head": proof.reaches_head,
        "head_seq_at_export": proof.head.seq,
        "head_hash_at_export": proof.head.hash,
        "manifests": manifests,
        "terminals": terminals,
    }


def _iso(value: datetime) -> str:
    return documents.when(value)


def build_package(evidence: Evidence) -> Package:
    files: dict[str, bytes] = {}
    photo_names: dict[str, str] = {}
    missing = 0
    for number, item in enumerate(evidence.photos, 1):
        name = f"photos/{number:02d}_{item.purpose}.{_EXTENSIONS.get(item.photo.content_type, 'bin')}"
        if item.data is None or hashlib.sha256(item.data).hexdigest() != item.photo.sha256:
            missing += 1  # unavailable, or not the bytes recorded at upload: listed, never passed off as the photo
            continue
        files[name] = item.data
        photo_names[item.photo.photo_id] = name
    chains = [_chain_files(c, files) for c in evidence.chains]
    delivered = _delivered_files(evidence.delivered, files) if evidence.delivered is not None else None
    readings, values, traced = documents.readings_csv(evidence)
    chart = documents.chart(evidence)
    files |= {
        "README.txt": readme(evidence, values=values, traced=traced, photos_missing=missing).encode("utf-8"),
        "package.json": json.dumps(
            {
                "format": FORMAT,
                "window": {"start": _iso(evidence.start), "end": _iso(evidence.end)},
                "alarm_created_at": _iso(evidence.alarm.created_at),
                "chains": chains,
            }
            | ({"delivered": delivered} if delivered is not None else {}),
            ensure_ascii=False,
            sort_keys=True,
            indent=1,
        ).encode("utf-8"),
        "verify.py": Path(__file__).with_name("verify_evidence.py").read_bytes(),
        "rule.txt": documents.rule_text(evidence).encode("utf-8"),
        "response.txt": documents.response_text(evidence, photo_names).encode("utf-8"),
        "readings.csv": readings,
        "chart.png": render_png(chart),
        "chart.pdf": render_pdf(chart),
        "notifications.csv": documents.notifications_csv(evidence),
        "audit.csv": documents.audit_csv(evidence),
    }
    files[MANIFEST] = "".join(f"{hashlib.sha256(files[n]).hexdigest()}  {n}\n" for n in sorted(files)).encode()
    data = _zip(files)
    return Package(data, hashlib.sha256(data).hexdigest(), len(files), values, traced)


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever system exports it
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=6)
    return out.getvalue()

"""证据包校验脚本 (the evidence package's own checker): Python 3.8+ standard library only, shipped as verify.py.

Checks the SHA-256 manifest, the hash chain of every terminal (or, from the S3 archive, frames → the objects'
manifests → the global chain's links), the raw frames against it, and that the readings CSV holds the values the
frames carry. Usage: python verify.py 证据包.zip (or an unpacked folder).
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import json
import math
import os
import re
import sys
import zipfile
from typing import Any

MANIFEST = "SHA256SUMS.txt"
GENESIS = "0" * 64
CSV_NAME = "readings.csv"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _load(path: str) -> dict[str, bytes]:
    """{name: bytes} of the package, from a ZIP file or an unpacked folder."""
    files: dict[str, bytes] = {}
    if os.path.isdir(path):
        for root, _, names in os.walk(path):
            for name in names:
                full = os.path.join(root, name)
                with open(full, "rb") as handle:
                    files[os.path.relpath(full, path).replace(os.sep, "/")] = handle.read()
        return files
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.is_dir():
                files[info.filename] = archive.read(info)
    return files


def _check_manifest(files: dict[str, bytes], problems: list[str]) -> None:
    text = files.get(MANIFEST)
    if text is None:
        problems.append("缺少清单文件 " + MANIFEST)
        return
    listed: dict[str, str] = {}
    for number, line in enumerate(text.decode("utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or not _HEX64.match(digest):
            problems.append(f"清单第{number}行格式错误")
            continue
        listed[name] = digest
    for name, digest in sorted(listed.items()):
        if name not in files:
            problems.append(f"清单中的文件缺失：{name}")
        elif hashlib.sha256(files[name]).hexdigest() != digest:
            problems.append(f"文件内容与清单中的 SHA-256 不符（已被改动）：{name}")
    for name in sorted(set(files) - set(listed) - {MANIFEST}):
        problems.append(f"文件不在清单中（多出的文件）：{name}")


def _canonical(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _check_chains(
    files: dict[str, bytes], package: dict[str, Any], problems: list[str]
) -> dict[tuple[str, str], bytes]:
    """Every terminal's chain segment: contiguous, linked, each hash recomputed; frames equal the chain's bytes."""
    raw_of: dict[tuple[str, str], bytes] = {}
    for entry in package["chains"]:
        mn, proof = entry["mn"], entry["proof_file"]
        if proof not in files:
            problems.append(f"缺少哈希链文件：{proof}")
            continue
        prev, expected_seq = entry["anchor_hash"], entry["first_seq"]
        last: dict[str, Any] | None = None
        if expected_seq == 1 and prev != GENESIS:
            problems.append(f"终端 {mn}：链从第1条开始，起点哈希必须为64个0")
        for number, line in enumerate(files[proof].decode("utf-8").splitlines(), 1):
            record = json.loads(line)
            frame, seq = record["frame"], record["seq"]
            where = f"终端 {mn} 第{seq}条报文"
            if seq != expected_seq:
                problems.append(f"终端 {mn}：哈希链缺少第{expected_seq}条（{proof} 第{number}行）")
                break
            if frame.get("mn") != mn:
                problems.append(f"{where}属于其他终端")
            if record["prev_hash"] != prev:
                problems.append(f"{where}：前一哈希不衔接")
            digest = hashlib.sha256(prev.encode("ascii") + b"\n" + _canonical(frame)).hexdigest()
            if digest != record["hash"]:
                problems.append(f"{where}：内容与其哈希不符（报文或链记录被改动）")
            prev, expected_seq, last = record["hash"], seq + 1, record
            raw_of[(mn, str(seq))] = base64.b64decode(frame["raw"])
        if last is None:
            problems.append(f"终端 {mn}：哈希链为空")
            continue
        if last["seq"] != entry["last_seq"] or last["hash"] != entry["last_hash"]:
            problems.append(f"终端 {mn}：哈希链终点与说明文件 package.json 不符")
        for seq_text, name in sorted(entry.get("frame_files", {}).items()):
            seq = int(seq_text)
            if name not in files:
                problems.append(f"缺少原始报文文件：{name}")
            elif raw_of.get((mn, str(seq))) != files[name]:
                problems.append(f"原始报文 {name} 与哈希链中第{seq}条的字节不一致")
    return raw_of


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_links(files: dict[str, bytes], d: dict[str, Any], problems: list[str]) -> dict[int, dict[str, Any]]:
    """The global chain's links: contiguous from first_seq, each one's previous hash the one before's hash."""
    by_seq: dict[int, dict[str, Any]] = {}
    prev, expected = d["anchor_hash"], d["first_seq"]
    if expected == 1 and prev != GENESIS:
        problems.append("全局链从第1环开始，起点哈希必须为64个0")
    for number, line in enumerate(files.get(d["links_file"], b"").decode("utf-8").splitlines(), 1):
        link = json.loads(line)
        if link["seq"] != expected:
            problems.append(f"全局链缺少第{expected}环（{d['links_file']} 第{number}行）")
            return by_seq
        if link["prev_hash"] != prev:
            problems.append(f"全局链第{expected}环：上一清单哈希与上一环不衔接（链记录被改动）")
        by_seq[expected] = link
        prev, expected = link["hash"], expected + 1
    last = by_seq.get(expected - 1)
    if last is None or last["seq"] != d["last_seq"] or last["hash"] != d["last_hash"]:
        problems.append("全局链终点与说明文件 package.json 不符")
    return by_seq


def _check_manifests(
    files: dict[str, bytes], d: dict[str, Any], links: dict[int, dict[str, Any]], problems: list[str]
) -> dict[int, dict[str, Any]]:
    """Each manifest's SHA-256 is its link's hash, and it names the link's object, seq and previous hash."""
    out: dict[int, dict[str, Any]] = {}
    for seq_text, name in sorted(d["manifests"].items(), key=lambda kv: int(kv[0])):
        seq = int(seq_text)
        link, data = links.get(seq), files.get(name)
        if data is None:
            problems.append(f"缺少清单文件：{name}")
        elif link is None:
            problems.append(f"清单 {name} 的第{seq}环不在证据包的全局链中")
        elif _sha(data) != link["hash"]:
            problems.append(f"清单 {name} 与全局链第{seq}环的哈希不符（清单被改动）")
        else:
            doc = json.loads(gzip.decompress(data))
            if (doc["seq"], doc["object"], doc["prev"]) != (seq, link["object"], link["prev_hash"]):
                problems.append(f"清单 {name} 的序号、数据对象或上一清单哈希与全局链不符")
            out[seq] = doc
    return out


def _check_delivered(files: dict[str, bytes], d: dict[str, Any], problems: list[str]) -> dict[tuple[str, str], bytes]:
    """From the S3 archive: each terminal's frames hash to its entry in each object's manifest, its entries link
    one to the next, each manifest's SHA-256 is on the global chain, and the links are contiguous."""
    links = _check_links(files, d, problems)
    manifests = _check_manifests(files, d, links, problems)
    raw_of: dict[tuple[str, str], bytes] = {}
    for t in d["terminals"]:
        mn, proof = t["mn"], t["proof_file"]
        grouped: dict[int, list[dict[str, Any]]] = {}
        for line in files.get(proof, b"").decode("utf-8").splitlines():
            record = json.loads(line)
            grouped.setdefault(record["seq"], []).append(record)
            raw_of[(mn, f"{record['seq']}-{record['position']}")] = base64.b64decode(record["frame"]["raw"])
        if set(grouped) != set(t["entries"]):
            problems.append(f"终端 {mn}：{proof} 中的数据对象与 package.json 不符")
        prev = t["anchor"]
        for seq in t["entries"]:
            doc = manifests.get(seq)
            if doc is None:
                problems.append(f"终端 {mn}：第{seq}环的清单未通过校验，其中的报文无法核对")
                prev = None
                continue
            row = next((r for r in doc["mns"] if r[0] == mn), None)
            if row is None:
                problems.append(f"终端 {mn}：第{seq}环的清单中没有该终端")
                continue
            _, first, last, count, frames_sha, ref, prev_hash, prev_seq = row
            mine = {"object": doc["refs"][ref], "hash": prev_hash, "seq": prev_seq} if ref >= 0 else None
            if prev is not None and mine != prev:
                problems.append(f"终端 {mn}：第{seq}环的条目与该终端的上一条目不衔接（缺失或顺序错乱）")
            records = grouped.get(seq, [])
            digest = hashlib.sha256()
            for r in records:
                if r["frame"].get("mn") != mn:
                    problems.append(f"终端 {mn} 第{seq}环第{r['position']}条报文属于其他终端")
                digest.update(_canonical(r["frame"]) + b"\n")
            positions = [r["position"] for r in records]
            if (len(records), positions[:1], positions[-1:]) != (count, [first], [last]):
                problems.append(f"终端 {mn}：第{seq}环的报文条数或位置与清单不符（缺失或多出）")
            elif digest.hexdigest() != frames_sha:
                problems.append(f"终端 {mn}：第{seq}环的报文与清单中的哈希不符（报文被改动）")
            entry_hash = _sha(f"{prev_hash if ref >= 0 else GENESIS}\n{frames_sha}".encode("ascii"))
            prev = {"object": doc["object"], "hash": entry_hash, "seq": seq}
        for frame_id, name in sorted(t["frame_files"].items()):
            if name not in files:
                problems.append(f"缺少原始报文文件：{name}")
            elif raw_of.get((mn, frame_id)) != files[name]:
                problems.append(f"原始报文 {name} 与哈希证明中的字节不一致")
    return raw_of


def _fields(text: str) -> tuple[dict[str, set[str]], set[str]]:
    """The data area's `code-Field=value` pairs (every occurrence) and the DataTime values of a frame."""
    pairs: dict[str, set[str]] = {}
    times: set[str] = set()
    for part in re.split(r"[;,&]", text):
        key, sep, value = part.partition("=")
        if not sep:
            continue
        if key == "DataTime":
            times.add(value)
        elif "-" in key:
            code = key.rsplit("-", 1)[0]
            pairs.setdefault(code, set()).add(value)
    return pairs, times


def _check_readings(
    files: dict[str, bytes], raw_of: dict[tuple[str, str], bytes], problems: list[str]
) -> tuple[int, int]:
    data = files.get(CSV_NAME)
    if data is None:
        problems.append("缺少数据文件 " + CSV_NAME)
        return 0, 0
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    factors: dict[tuple[str, str], float] = {}
    parsed: dict[tuple[str, str], tuple[dict[str, set[str]], set[str]]] = {}
    checked = unsourced = 0
    for number, row in enumerate(rows, 2):
        where = f"{CSV_NAME} 第{number}行"
        if not row.get("帧序号"):
            unsourced += 1
            continue
        key = (row["终端MN"], row["帧序号"])
        raw = raw_of.get(key)
        if raw is None:
            problems.append(f"{where}：引用的报文（{key[0]} 第{key[1]}条）不在证据包的哈希链中")
            continue
        if key not in parsed:
            parsed[key] = _fields(raw.decode("utf-8", "replace"))
        pairs, times = parsed[key]
        if row["报文数据时间"] not in times:
            problems.append(f"{where}：报文中没有数据时间 {row['报文数据时间']}")
        if row["报文原始值"] not in pairs.get(row["因子编码"], ()):
            problems.append(f"{where}：报文中因子 {row['因子编码']} 没有原始值 {row['报文原始值']}")
        value, raw_value = float(row["数值"]), float(row["报文原始值"])
        factor = float(row["换算系数"]) if row["换算系数"] else None
        if factor is None:
            if value != 0.0 or raw_value != 0.0:
                problems.append(f"{where}：缺少换算系数")
        else:
            if not math.isclose(raw_value * factor, value, rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"{where}：数值 {row['数值']} 不等于报文原始值 × 换算系数")
            slot = (row["点位编码"], row["电参量"])
            first = factors.setdefault(slot, factor)
            if not math.isclose(first, factor, rel_tol=1e-9):
                problems.append(f"{where}：同一点位同一电参量的换算系数前后不一致")
        checked += 1
    return checked, unsourced


def verify(path: str) -> tuple[list[str], list[str]]:
    """(problems, summary lines) for the package at `path`; no problems means it verifies."""
    problems: list[str] = []
    summary: list[str] = []
    try:
        files = _load(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"无法读取证据包：{exc}"], summary
    _check_manifest(files, problems)
    try:
        package = json.loads(files["package.json"].decode("utf-8"))
    except (KeyError, ValueError):
        return problems + ["缺少或无法解析 package.json"], summary
    try:
        raw_of = _check_chains(files, package, problems)
        delivered = package.get("delivered")
        if delivered is not None:
            raw_of.update(_check_delivered(files, delivered, problems))
        checked, unsourced = _check_readings(files, raw_of, problems)
        summary.append(f"清单文件 {MANIFEST}：{len(files) - 1} 个文件")
        for entry in package["chains"]:
            head = "（含至导出时链头的全部记录）" if entry.get("reaches_head") else ""
            summary.append(f"终端 {entry['mn']}：哈希链第{entry['first_seq']}至{entry['last_seq']}条{head}")
        if delivered is not None:
            head = "（至导出时的链头）" if delivered.get("reaches_head") else ""
            summary.append(f"全局链第{delivered['first_seq']}至{delivered['last_seq']}环{head}")
            for t in delivered["terminals"]:
                summary.append(f"终端 {t['mn']}：{len(t['entries'])} 个数据对象的清单条目，{len(t['frame_files'])} 帧")
    except (KeyError, ValueError, TypeError, AttributeError, IndexError, OSError, EOFError) as exc:
        return problems + [f"证据包结构错误：{exc!r}"], summary
    summary.append(
        f"数据与报文核对：{checked} 个数值" + (f"，另有 {unsourced} 个数值未找到对应报文" if unsourced else "")
    )
    return problems, summary


def file_hash(path: str, expected: str, summary: list[str]) -> list[str]:
    """The ZIP file's own SHA-256 against the one recorded at export (the platform's audit trail)."""
    wanted = expected.strip().lower()
    if len(wanted) != 64 or any(c not in "0123456789abcdef" for c in wanted):
        return [f"--sha256 须为64位十六进制：{expected!r}"]
    if not os.path.isfile(path):
        return ["--sha256 只能核对 ZIP 文件本身，不能核对解压后的文件夹"]
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    actual = digest.hexdigest()
    if actual != wanted:
        return [f"证据包文件的 SHA-256 为 {actual}，与导出时记录的 {wanted} 不一致"]
    summary.append(f"证据包文件 SHA-256 与导出时记录一致：{actual}")
    return []


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 3) or (len(args) == 3 and args[1] != "--sha256"):
        print("用法：python verify.py 证据包.zip（或解压后的文件夹） [--sha256 导出时记录的哈希]")
        return 2
    problems, summary = verify(args[0])
    if len(args) == 3:
        problems += file_hash(args[0], args[2], summary)
    for line in summary:
        print(line)
    if problems:
        print(f"校验未通过，发现 {len(problems)} 处问题：")
        for line in problems[:200]:
            print("  - " + line)
        return 1
    print("校验通过：所有文件与清单一致，哈希链完整，数据与原始报文一致。")
    return 0


if __name__ == "__main__":
    sys.exit(main())

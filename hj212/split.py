"""Split uploads (Flag D=1, PNUM/PNO): cutting a long data area into packets, and putting them back together.

HJ 212-2017 表C.49/C.50: each sub-packet has its own QN, repeats DataTime, carries `PNUM=<total>;PNO=<i>`, and
is acked on its own. Reassembly is keyed on (MN, CN, DataTime), never on QN, and gives up after a time-out;
each sub-packet is a self-contained `DataTime;code-field…` list, so an incomplete group is still usable.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import UsageError
from .frame import build_segment, encode_frame
from .messages import CP, CPGroup, Frame, Version
from .qn import QnGenerator
from .segment import encode_cp, parse_cp

__all__ = ["Reassembled", "Reassembler", "split_frames"]

_MAX_SEGMENT = 1024  # HJ 212-2017 表2: a data segment holds 0..1024 characters
_MAX_PACKETS = 9999  # PNUM has four digits


def _as_cp(cp: CP | Mapping[str, object]) -> CP:
    if isinstance(cp, CP):
        return cp
    if any(isinstance(v, list) for v in cp.values()):  # groups: read back as encoded (checks them too)
        return parse_cp(encode_cp(cp), set())
    scalars = {k: str(v) for k, v in cp.items() if not isinstance(v, Mapping)}
    items = {k: {f: str(x) for f, x in v.items()} for k, v in cp.items() if isinstance(v, Mapping)}
    return CP(scalars, items)


def split_frames(
    *,
    st: str,
    cn: str,
    mn: str,
    pw: str,
    cp: CP | Mapping[str, object],
    qn_generator: QnGenerator | None = None,
    now: datetime | None = None,
    version: Version = Version.V2017,
    ack: bool = False,
    max_segment: int = _MAX_SEGMENT,
) -> list[bytes]:
    """Frames carrying `cp`, split so that each data segment fits `max_segment` UTF-8 bytes.

    Scalars (DataTime, …) are repeated in every packet; the fields of one code stay together unless a
    single code alone is too long. One frame without PNUM/PNO when everything fits. With `qn_generator`
    and `now`, every packet gets its own QN (as 表C.49 shows).
    """
    if (qn_generator is None) != (now is None):
        raise UsageError("give both qn_generator and now, or neither")
    full = _as_cp(cp)
    common = dict(full.scalars)

    def qn() -> str | None:
        return qn_generator.next(now) if qn_generator is not None and now is not None else None

    def segment(items: Mapping[str, Mapping[str, str]], pnum: int | None, pno: int | None) -> str:
        return build_segment(
            st=st,
            cn=cn,
            mn=mn,
            pw=pw,
            qn=qn(),
            version=version,
            ack=ack,
            pnum=pnum,
            pno=pno,
            cp=CP(common, items),
        )

    def size(items: Mapping[str, Mapping[str, str]]) -> int:
        # Worst-case header: a 17-digit QN and PNUM/PNO of 4 digits each.
        probe = build_segment(
            st=st, cn=cn, mn=mn, pw=pw, qn="0" * 17, version=version, ack=ack, pnum=9999, pno=9999, cp=CP(common, items)
        )
        return len(probe.encode("utf-8"))

    whole = build_segment(st=st, cn=cn, mn=mn, pw=pw, qn="0" * 17, version=version, ack=ack, cp=full)
    if len(whole.encode("utf-8")) <= max_segment:
        return [encode_frame(build_segment(st=st, cn=cn, mn=mn, pw=pw, qn=qn(), version=version, ack=ack, cp=full))]
    if full.groups:
        raise UsageError(f"a data area with groups is sent whole, and this one exceeds {max_segment} bytes")
    if size({}) > max_segment:
        raise UsageError(f"the header and scalars alone exceed {max_segment} bytes")
    # Units: whole codes, or single fields of a code too long for a packet of its own.
    units: list[dict[str, dict[str, str]]] = []
    for code, fields in full.items.items():
        if size({code: dict(fields)}) <= max_segment:
            units.append({code: dict(fields)})
            continue
        for name, value in fields.items():
            if size({code: {name: value}}) > max_segment:
                raise UsageError(f"{code}-{name} alone does not fit into {max_segment} bytes")
            units.append({code: {name: value}})
    packets: list[dict[str, dict[str, str]]] = []
    current: dict[str, dict[str, str]] = {}
    for unit in units:
        trial = {k: dict(v) for k, v in current.items()}
        for code, fields in unit.items():
            trial.setdefault(code, {}).update(fields)
        if current and size(trial) > max_segment:
            packets.append(current)
            current = {k: dict(v) for k, v in unit.items()}
        else:
            current = trial
    packets.append(current)
    if len(packets) > _MAX_PACKETS:
        raise UsageError(f"more than {_MAX_PACKETS} packets")
    total = len(packets)
    return [encode_frame(segment(items, total, i)) for i, items in enumerate(packets, 1)]


@dataclass(frozen=True, slots=True)
class Reassembled:
    """The packets of one split upload (or the one packet of an unsplit one) and their merged data area."""

    key: tuple[str, str, str]  # (MN, CN, DataTime)
    parts: tuple[Frame, ...]  # in PNO order
    cp: CP
    complete: bool  # every PNO 1..PNUM arrived


@dataclass
class _Group:
    pnum: int
    started: datetime
    parts: dict[int, Frame]


class Reassembler:
    """Collects split uploads keyed on (MN, CN, DataTime); bounded in groups and in time.

    `add(frame, now)` returns the whole upload once its last packet arrives (at once for unsplit frames).
    `expire(now)` returns the groups older than `timeout`, and those evicted because `max_groups` was hit,
    as incomplete uploads: store what arrived, never drop it.
    """

    def __init__(self, *, timeout: timedelta = timedelta(minutes=5), max_groups: int = 1024) -> None:
        if max_groups < 1:
            raise UsageError("max_groups must be at least 1")
        self.timeout = timeout
        self.max_groups = max_groups
        self._groups: OrderedDict[tuple[str, str, str], _Group] = OrderedDict()
        self._evicted: deque[Reassembled] = deque(maxlen=max_groups)

    def __len__(self) -> int:
        return len(self._groups)

    def add(self, frame: Frame, now: datetime) -> Reassembled | None:
        """Take one frame; return the upload it completes, if any."""
        key = (frame.mn or "", frame.cn or "", frame.cp.scalars.get("DataTime", ""))
        if frame.pnum is None or frame.pno is None or frame.pnum <= 1:
            return Reassembled(key, (frame,), frame.cp, True)
        group = self._groups.get(key)
        if group is None or group.pnum != frame.pnum:
            if group is not None:  # a different PNUM for the same key: the earlier group was another upload
                self._evicted.append(_merge(key, self._groups.pop(key), complete=False))
            group = self._groups[key] = _Group(frame.pnum, now, {})
            if len(self._groups) > self.max_groups:
                old_key, old = self._groups.popitem(last=False)
                self._evicted.append(_merge(old_key, old, complete=False))
        group.parts[frame.pno] = frame  # a resend replaces the earlier copy
        if len(group.parts) == group.pnum and all(1 <= i <= group.pnum for i in group.parts):
            del self._groups[key]
            return _merge(key, group, complete=True)
        return None

    def expire(self, now: datetime) -> list[Reassembled]:
        """Give up on groups started more than `timeout` before `now`; also hand back evicted groups."""
        out = list(self._evicted)
        self._evicted.clear()
        for key in [k for k, g in self._groups.items() if now - g.started >= self.timeout]:
            out.append(_merge(key, self._groups.pop(key), complete=False))
        return out


def _merge(key: tuple[str, str, str], group: _Group, *, complete: bool) -> Reassembled:
    parts = tuple(group.parts[i] for i in sorted(group.parts))
    scalars: dict[str, str] = {}
    items: dict[str, dict[str, str]] = {}
    groups: list[CPGroup] = []
    for part in parts:
        for name, value in part.cp.scalars.items():
            scalars.setdefault(name, value)
        for code, fields in part.cp.items.items():
            items.setdefault(code, {}).update(fields)
        groups += part.cp.groups  # each packet's groups, in packet order
    return Reassembled(key, parts, CP(scalars, items, tuple(groups)), complete)

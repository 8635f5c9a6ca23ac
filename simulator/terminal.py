"""One terminal's behaviour without any I/O: sample the meters, build records, keep SOE and history.

More: docs/simulator.md, "Module notes".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hj212 import CN
from simulator import noise
from simulator.aggregate import Closed, PeriodAggregator, realtime_items
from simulator.clock import TerminalClock
from simulator.electrical import PHASES, U_NOMINAL, Meter, MeterFaults
from simulator.events import Record, SoeEvent, SoeLog, data_time
from simulator.history import History
from simulator.model import SiteModel
from simulator.profile import CP_LIMIT, Profile, pack
from simulator.spec import EnterpriseSpec, PointSpec, TerminalSpec

SAMPLE_DIVISORS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)


@dataclass
class TerminalSettings:
    """Device parameters; the platform can change several of them by downlink command."""

    rtd_interval_s: int = 30
    min_interval_min: int = 1
    sample_s: int = 10
    overtime_s: float = 10.0  # HJ 212-2017 表1 default for 4G links
    recount: int = 3
    st: str = "31"
    version: str = "2017"
    hour_data: bool = True
    day_data: bool = True
    backup_s: float = 10.0
    boot_s: float = 20.0
    u_high: float = U_NOMINAL * 1.1
    u_low: float = U_NOMINAL * 0.9
    i_high_pct: float = 120.0  # of the channel's rated current
    cp_limit: int = CP_LIMIT
    history_minutes: int = 240  # minute data kept for pulls (hour/day data: 4,000 records each)

    def validate(self) -> None:
        if self.sample_s not in SAMPLE_DIVISORS:
            raise ValueError(f"sample interval must divide 60 s: one of {SAMPLE_DIVISORS}")
        if self.rtd_interval_s % self.sample_s or self.rtd_interval_s <= 0:
            raise ValueError("the real-time interval must be a multiple of the sample interval")
        if (self.min_interval_min * 60) % self.sample_s or self.min_interval_min <= 0:
            raise ValueError("the minute-data interval must be a multiple of the sample interval")


class Terminal:
    """A simulated terminal: its meters, clock, parameters, SOE memory and stored history."""

    def __init__(
        self,
        spec: TerminalSpec,
        enterprise: EnterpriseSpec,
        site: SiteModel,
        profile: Profile,
        settings: TerminalSettings,
    ) -> None:
        settings.validate()
        self.spec, self.enterprise, self.site, self.profile, self.settings = spec, enterprise, site, profile, settings
        self.mn = spec.mn
        self.points: dict[int, PointSpec] = {ch: enterprise.point(pid) for ch, pid in spec.channels}
        self.meters: dict[int, Meter] = {}
        for ch, point in self.points.items():
            stream = noise.stream_id(f"{self.mn}/{ch}")
            w = [1.0 + 0.04 * (noise.uniform(site.seed, stream, k) - 0.5) for k in range(3)]
            meter = Meter(
                site.seed, stream, point.rated_kw, imbalance=(w[0] * 3 / sum(w), w[1] * 3 / sum(w), w[2] * 3 / sum(w))
            )
            meter.u_offset = tuple(0.006 * (noise.uniform(site.seed, stream, 10 + k) - 0.5) for k in range(3))  # type: ignore[assignment]
            hours = 200 + 3000 * noise.uniform(site.seed, stream, 20)  # the meter has been running a while
            meter.energy["EPf"] = point.rated_kw * point.level * hours
            meter.energy["EQf"] = meter.energy["EPf"] * 0.45
            self.meters[ch] = meter
        drift = [e for e in site.scenario.of_type("clock_drift") if self._targets_me(e.role, e.select)]
        self.clock = TerminalClock(float(drift[0].params["s_per_hour"]) if drift else 0.0)
        self.accept_time_set = bool(drift[0].params["accept_time_set"]) if drift else True
        wrong_pw = [e for e in site.scenario.of_type("wrong_password") if self._targets_me(e.role, e.select)]
        self.password = str(wrong_pw[0].params["password"]) if wrong_pw else spec.password
        self._fault_effects = [
            e for e in site.scenario.effects if e.type in ("ct_reversed", "zero_current", "flatline")
        ]
        self._gps = f"GPS-Lng={enterprise.lng:.6f},GPS-Lat={enterprise.lat:.6f}"
        self._outages = [e for e in site.scenario.of_type("network_outage") if self._targets_me(e.role, e.select)]
        self.soe = SoeLog()
        self.history = History(max(1, settings.history_minutes // settings.min_interval_min))
        self.aggs = {"minute": PeriodAggregator("minute", profile, settings.sample_s, settings.min_interval_min)}
        if settings.hour_data:
            self.aggs["hour"] = PeriodAggregator("hour", profile, settings.sample_s)
        if settings.day_data:
            self.aggs["day"] = PeriodAggregator("day", profile, settings.sample_s)
        self.state = "alive"  # alive | backup | dead | booting
        self._until: datetime | None = None
        self._restored_at: datetime | None = None
        self._prev: datetime | None = None
        self._limits: set[str] = set()
        self.status_wanted = False
        self.realtime_wanted = True  # False when no platform link wants real-time uploads (--no-realtime)
        self.last_values: dict[int, dict[str, float]] = {}
        self.listeners: list[Callable[[Record], None]] = []

    # -- identity and environment -------------------------------------------------------------
    def _targets_me(self, role: str, select: str) -> bool:
        mine = set(self.points.values())
        return any(p in mine for p in self.enterprise.points_of(role, select))

    def network_up(self, t: datetime) -> bool:
        """False while a network-outage effect covers this terminal."""
        if not self._outages:  # asked before every frame: most terminals have no outage at all
            return True
        return not any(e.active(self.site.start, t) for e in self._outages)

    def can_talk(self, t: datetime) -> bool:
        """Powered (or on backup) and the network is there."""
        return self.state in ("alive", "backup") and self.network_up(t)

    def now(self, true_now: datetime) -> datetime:
        """The terminal's clock reading."""
        return self.clock.read(true_now)

    # -- records -------------------------------------------------------------------------------
    def emit(self, record: Record) -> None:
        for listener in self.listeners:
            listener(record)

    def record(self, cn: str, kind: str, when: datetime, items: list[str], urgent: bool = False) -> Record:
        stamp = data_time(when)
        return Record(cn, stamp, tuple(pack(f"DataTime={stamp}", items, self.settings.cp_limit)), kind, urgent)

    def gps_record(self, true_now: datetime) -> Record:
        """The terminal's position as a CN 3020 InfoId=GPS upload (what it answers to a 3020 GPS query)."""
        stamp = data_time(self.now(true_now))
        return Record(CN.FIELD_INFO, stamp, (f"DataTime={stamp};InfoId=GPS;{self._gps}",), "info")

    def soe_records(self, events: list[SoeEvent]) -> list[Record]:
        """Events grouped by second: one CN 3020 record per second."""
        if not events:
            return []
        by_second: dict[str, list[SoeEvent]] = {}
        for ev in events:
            by_second.setdefault(data_time(ev.time), []).append(ev)
        return [
            self.record(CN.FIELD_INFO, "soe", evs[0].time, [ev.item(n) for n, ev in enumerate(evs, 1)], urgent=True)
            for evs in by_second.values()
        ]

    def param_changed(self, true_now: datetime, code: str, old: str, new: str) -> None:
        """Log a parameter change as an SOE event and report it to every platform."""
        ev = self.soe.add(self.now(true_now), "param_change", code=code, value=new, old=old)
        for rec in self.soe_records([ev]):
            self.emit(rec)

    # -- the sample step -----------------------------------------------------------------------
    def _edge(self, point: PointSpec, a: datetime, b: datetime) -> datetime:
        """The instant (to the millisecond) in (a, b] where the supply of `point` changes."""
        before = self.site.supply(point, a)
        while (b - a) > timedelta(milliseconds=1):
            mid = a + (b - a) / 2
            if self.site.supply(point, mid) == before:
                a = mid
            else:
                b = mid
        return b.replace(microsecond=b.microsecond // 1000 * 1000)

    def step(self, t: datetime) -> list[Record]:
        """Process the sample instant t (simulated true time); returns and emits the records it produces."""
        out = self._step(t)
        self._prev = t
        for rec in out:
            self.history.add(rec)
            self.emit(rec)
        return out

    def _step(self, t: datetime) -> list[Record]:
        supply_point = self.points[min(self.points)]
        supplied = self.site.supply(supply_point, t)
        prev = self._prev or t - timedelta(seconds=self.settings.sample_s)
        if self.state in ("alive", "backup") and not supplied:
            if self.state == "alive":
                lost = self._edge(supply_point, prev, t)
                for meter in self.meters.values():
                    meter.pause(lost)
                self.state, self._until = "backup", lost + timedelta(seconds=self.settings.backup_s)
                return self.soe_records([self.soe.add(self.now(lost), "power_loss", code=f"Ua{min(self.points):02d}")])
            if self._until is not None and t >= self._until:
                self.state = "dead"
            return []
        if self.state in ("backup", "dead") and supplied:
            back = self._edge(supply_point, prev, t)
            self._restored_at = back
            self.state, self._until = "booting", back + timedelta(seconds=self.settings.boot_s)
            return []
        if self.state == "dead":
            return []
        out: list[Record] = []
        if self.state == "booting":
            if self._until is None or t < self._until:
                return []
            self.state = "alive"
            assert self._restored_at is not None
            out += self.soe_records([self.soe.add(self.now(self._restored_at), "power_restore")])
            out.append(
                self.record(
                    CN.POWER_ON_TIME,
                    "restart",
                    self.now(t),
                    [f"RestartTime={data_time(self.now(self._until))}"],
                    urgent=True,
                )
            )
        return out + self._sample(t)

    def _faults(self, point: PointSpec, t: datetime) -> MeterFaults:
        if not self._fault_effects:
            return _NO_FAULTS  # the meter only reads it
        f = MeterFaults()
        for e in self.site.scenario.effects:
            if e.type not in ("ct_reversed", "zero_current", "flatline") or not e.active(self.site.start, t):
                continue
            if point not in self.enterprise.points_of(e.role, e.select):
                continue
            if e.type == "ct_reversed":
                f.reversed_phases += str(e.params["phases"])
            elif e.type == "zero_current":
                f.zero_current = True
            else:
                f.flatline = True
        return f

    def _sample(self, t: datetime) -> list[Record]:
        truth = self.site.evaluate(t)
        freq = self.site.frequency(t)
        label = self.now(t)
        values = {
            ch: meter.sample(t, truth[self.points[ch].id], self._faults(self.points[ch], t), freq)
            for ch, meter in self.meters.items()
        }
        self.last_values = values
        out = self.soe_records(self._check_limits(label, values))
        second_of_day = t.hour * 3600 + t.minute * 60 + t.second
        if second_of_day % self.settings.rtd_interval_s == 0 and self.realtime_wanted:
            out.append(
                self.record(CN.REALTIME_DATA, "realtime", label, [self._gps, *realtime_items(self.profile, values)])
            )
            if self.status_wanted:
                rs = [f"SB{ch:02d}-RS={int(abs(v['P']) >= 0.5)}" for ch, v in sorted(values.items())]
                out.append(self.record(CN.FACILITY_STATUS, "status", label, rs))
        closed = self.aggs["minute"].add(label, values)
        if closed is not None:
            out += self._period_records(closed)
            # Hour and day statistics are folded from finished minutes: far cheaper than per sample.
            for kind in ("hour", "day"):
                longer = self.aggs[kind].add_period(closed) if kind in self.aggs else None
                if longer is not None:
                    out += self._period_records(longer)
        return out

    def _period_records(self, closed: Closed) -> list[Record]:
        cn = {"minute": CN.MINUTE_DATA, "hour": CN.HOUR_DATA, "day": CN.DAY_DATA}[closed.kind]
        items = [item for ch in sorted(closed.items) for item in closed.items[ch]]
        out = [self.record(cn, closed.kind, closed.start, items)]
        if closed.kind == "day":
            rt = [f"SB{ch:02d}-RT={min(24.0, h):.2f}" for ch, h in sorted(closed.run_hours.items())]
            out.append(self.record(CN.FACILITY_RUNTIME_DAY, "runtime", closed.start, rt))
        return out

    def _check_limits(self, label: datetime, values: dict[int, dict[str, float]]) -> list[SoeEvent]:
        """Over-limit SOE on crossing a voltage or current limit, and a clear event on return."""
        events = []
        s = self.settings
        for ch, v in values.items():
            i_rated = self.points[ch].rated_kw * 1000.0 / (3 * U_NOMINAL * self.points[ch].pf_nom)
            for ph in PHASES:
                checks = (
                    (
                        f"U{ph}{ch:02d}",
                        v[f"U{ph}"] > s.u_high or v[f"U{ph}"] < s.u_low,
                        v[f"U{ph}"],
                        s.u_high if v[f"U{ph}"] > s.u_high else s.u_low,
                    ),
                    (
                        f"I{ph}{ch:02d}",
                        v[f"I{ph}"] > i_rated * s.i_high_pct / 100.0,
                        v[f"I{ph}"],
                        i_rated * s.i_high_pct / 100.0,
                    ),
                )
                for code, over, value, limit in checks:
                    if over and code not in self._limits:
                        self._limits.add(code)
                        events.append(
                            self.soe.add(label, "over_limit", code=code, value=f"{value:.2f}", limit=f"{limit:.2f}")
                        )
                    elif not over and code in self._limits:
                        self._limits.discard(code)
                        events.append(self.soe.add(label, "over_limit_clear", code=code, value=f"{value:.2f}"))
        return events


_NO_FAULTS = MeterFaults()

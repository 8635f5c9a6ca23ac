"""The Rugao fleet: from the enterprise list (CSV) to enterprises with points, terminals and scenarios.

Everything is derived from the seed: the industry guessed from the name decides the shift pattern and the
facilities (production lines and the control equipment treating them), ratings are drawn per point, and a
seeded mix assigns scenarios. `simulator.manifest` describes the result for the platform's registry.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from simulator.scenario import Scenario, bundled_names, load_scenario
from simulator.spec import EnterpriseSpec, PointSpec, TerminalSpec

CSV_COLUMNS = ("seq", "town", "enterprise_name", "install_category", "enforcement_branch")
# Approximate town centres (WGS-84), enough to put a fleet on a map; positions are synthetic.
TOWNS = {
    "城北街道": (32.405, 120.575),
    "城南街道": (32.360, 120.570),
    "如城街道": (32.385, 120.560),
    "东城镇": (32.395, 120.640),
    "丁堰镇": (32.330, 120.680),
    "下原镇": (32.480, 120.520),
    "东陈镇": (32.470, 120.650),
    "九华镇": (32.300, 120.470),
    "吴窑镇": (32.530, 120.590),
    "搬经镇": (32.500, 120.420),
    "江安镇": (32.230, 120.470),
    "白蒲镇": (32.250, 120.730),
    "石庄镇": (32.200, 120.380),
    "磨头镇": (32.430, 120.460),
    "长江镇": (32.110, 120.500),
}
RUGAO = (32.37, 120.57)
# (name keywords, industry, production facilities, control facilities, shift pattern)
INDUSTRIES: tuple[tuple[tuple[str, ...], str, tuple[str, ...], tuple[str, ...], str], ...] = (
    (
        ("混凝土", "砼", "建材", "水泥", "沥青", "砖"),
        "building_materials",
        ("搅拌主机", "配料输送线", "破碎机"),
        ("布袋除尘器风机", "脉冲除尘器", "喷淋降尘泵"),
        "day_sat",
    ),
    (
        ("铸", "锻", "金属", "钢", "五金", "机械", "机电", "精密"),
        "metal",
        ("中频电炉", "抛丸机", "浇注线"),
        ("布袋除尘风机", "滤筒除尘器风机"),
        "two_shift",
    ),
    (
        ("针纺", "纺织", "印染", "服饰", "家纺", "丝", "化纤", "纺"),
        "textile",
        ("定型机", "印花机", "烘干机"),
        ("静电油烟净化器", "喷淋塔循环泵", "废气引风机"),
        "two_shift",
    ),
    (
        ("化工", "化学", "制药", "药业", "医药", "生物", "材料", "涂料", "树脂"),
        "chemical",
        ("反应釜", "精馏塔", "干燥机"),
        ("RTO主风机", "活性炭吸附风机", "碱喷淋塔循环泵"),
        "continuous",
    ),
    (
        ("木业", "木材", "家具", "板业", "竹"),
        "wood",
        ("砂光机", "热压机", "锯切线"),
        ("布袋除尘风机", "UV光解风机"),
        "day",
    ),
    (
        ("塑", "橡胶", "包装", "印刷", "彩印", "纸"),
        "plastics_printing",
        ("注塑机", "印刷机", "复合机"),
        ("活性炭吸附风机", "催化燃烧装置"),
        "two_shift",
    ),
    (
        ("食品", "饲料", "粮油", "米业", "酒"),
        "food",
        ("烘干塔", "粉碎机", "锅炉鼓风机"),
        ("旋风除尘风机", "喷淋塔循环泵"),
        "day_sat",
    ),
    (
        ("电子", "光电", "新能源", "电气", "汽车", "船", "科技"),
        "manufacturing",
        ("喷涂线", "固化炉", "焊接线"),
        ("水帘漆雾循环泵", "活性炭吸附风机", "催化燃烧装置"),
        "two_shift",
    ),
)
GENERAL = ((), "general", ("生产线",), ("废气处理引风机",), "day")


class FleetError(ValueError):
    """The enterprise list or the fleet options are unusable."""


@dataclass(frozen=True)
class CsvEnterprise:
    seq: int
    town: str
    name: str
    category: str
    branch: str


def read_enterprises(path: Path | str) -> list[CsvEnterprise]:
    """Read and validate the enterprise list (columns: seq,town,enterprise_name,install_category,enforcement_branch)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
                raise FleetError(f"{path}: expected columns {','.join(CSV_COLUMNS)}, got {reader.fieldnames}")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FleetError(f"{path}: cannot read the enterprise list: {exc}") from exc
    out: list[CsvEnterprise] = []
    seen: set[int] = set()
    for n, row in enumerate(rows, 2):
        seq_text = (row.get("seq") or "").strip()
        if not seq_text.isdigit() or int(seq_text) in seen:
            raise FleetError(f"{path}:{n}: seq must be a unique positive integer, got {seq_text!r}")
        name = (row.get("enterprise_name") or "").strip()
        if not name or len(name) > 100:
            raise FleetError(f"{path}:{n}: enterprise_name is empty or too long")
        seen.add(int(seq_text))
        out.append(
            CsvEnterprise(
                int(seq_text),
                (row.get("town") or "").strip(),
                name,
                (row.get("install_category") or "").strip(),
                (row.get("enforcement_branch") or "").strip(),
            )
        )
    if not out:
        raise FleetError(f"{path}: no enterprises")
    return out


def industry_of(name: str) -> tuple[tuple[str, ...], str, tuple[str, ...], tuple[str, ...], str]:
    for entry in INDUSTRIES:
        if any(k in name for k in entry[0]):
            return entry
    return GENERAL


def mn_for(seq: int, index: int) -> str:
    """24 hex characters, EPC-96-like: fixed header and company, enterprise sequence, terminal index."""
    return f"010000A8{seq:08X}{index:08X}"


def build_enterprise(row: CsvEnterprise, scenario: str, seed: int) -> EnterpriseSpec:
    """Plausible points and terminals for one enterprise, the same for the same seed."""
    rng = random.Random(f"{seed}:{row.seq}")
    _, industry, prod_names, ctrl_names, shift = industry_of(row.name)
    eid = f"RG{row.seq:03d}"
    n_prod = rng.choices((1, 2, 3), weights=(5, 4, 2))[0]
    points: list[PointSpec] = []
    prods: list[PointSpec] = []
    for i in range(n_prod):
        kw = round(math.exp(rng.uniform(math.log(15), math.log(250))), 1)
        prods.append(
            PointSpec(
                f"{eid}-MF{i + 1:04d}",
                f"MF{i + 1:04d}",
                f"{prod_names[i % len(prod_names)]}{i // len(prod_names) + 1 if i >= len(prod_names) else ''}",
                "production",
                kw,
                round(rng.uniform(0.8, 0.88), 2),
                round(rng.uniform(0.6, 0.9), 2),
                round(rng.uniform(3, 15), 1),
            )
        )
    points += prods
    # One control facility per production line, or one shared by two lines.
    groups = [prods[i : i + 2] for i in range(0, n_prod, 2)] if rng.random() < 0.3 else [[p] for p in prods]
    for j, served in enumerate(groups):
        kw = round(math.exp(rng.uniform(math.log(5), math.log(75))), 1)
        points.append(
            PointSpec(
                f"{eid}-TA{j + 1:03d}",
                f"TA{j + 1:03d}",
                ctrl_names[j % len(ctrl_names)],
                "control",
                kw,
                round(rng.uniform(0.8, 0.88), 2),
                round(rng.uniform(0.7, 0.9), 2),
                1.0,
                tuple(p.id for p in served),
            )
        )
    total = sum(p.rated_kw for p in points)
    points.insert(0, PointSpec(f"{eid}-ZJX01", "ZJX01", "企业总进线", "main", round(total * 1.6, 1), 0.9, 0.5, 0.0))
    terminals: list[TerminalSpec] = []
    pending = list(points)
    while pending:
        p = pending.pop(0)
        channels = [(1, p.id)]
        # Sometimes a production line and its control equipment share one two-channel terminal (one cabinet).
        partner = next((c for c in pending if c.role == "control" and p.id in c.serves), None)
        if p.role == "production" and partner is not None and scenario != "power_loss" and rng.random() < 0.25:
            pending.remove(partner)
            channels.append((2, partner.id))
        terminals.append(
            TerminalSpec(mn_for(row.seq, len(terminals) + 1), f"{rng.randrange(10**6):06d}", tuple(channels))
        )
    lat0, lng0 = TOWNS.get(row.town, RUGAO)
    lat, lng = lat0 + rng.uniform(-0.02, 0.02), lng0 + rng.uniform(-0.02, 0.02)
    spec = EnterpriseSpec(
        eid,
        row.seq,
        row.name,
        row.town,
        row.category,
        row.branch,
        industry,
        shift,
        scenario,
        round(lat, 6),
        round(lng, 6),
        tuple(points),
        tuple(terminals),
        round(rng.uniform(2, 8), 1),
        # Control stops 5-15 min after production, the common practice (docs/rules.md, family 3): the platform's
        # default treatment line asks only that control not stop before production.
        round(rng.uniform(5, 15), 1),
    )
    return _apply_terminal_scenario(spec, load_scenario(scenario))


def _apply_terminal_scenario(spec: EnterpriseSpec, scenario: Scenario) -> EnterpriseSpec:
    """Mark terminals the scenario makes unknown to the platform's registry."""
    unknown = {p.id for e in scenario.of_type("unknown_terminal") for p in spec.points_of(e.role, e.select)}
    if not unknown:
        return spec
    terms = tuple(
        TerminalSpec(t.mn, t.password, t.channels, registered=not any(pid in unknown for _, pid in t.channels))
        for t in spec.terminals
    )
    return EnterpriseSpec(**{**spec.__dict__, "terminals": terms})


def parse_mix(text: str) -> dict[str, float]:
    """'normal=0.6,power_loss=0.1' → weights; names must be bundled scenarios."""
    mix: dict[str, float] = {}
    known = set(bundled_names())
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        if name not in known:
            raise FleetError(f"unknown scenario {name!r} in the mix; bundled: {', '.join(sorted(known))}")
        try:
            mix[name] = float(weight)
        except ValueError as exc:
            raise FleetError(f"weight of {name!r} must be a number") from exc
        if mix[name] < 0:
            raise FleetError(f"weight of {name!r} must not be negative")
    if not mix or sum(mix.values()) <= 0:
        raise FleetError("the scenario mix needs at least one positive weight")
    return mix


def default_mix() -> dict[str, float]:
    others = [n for n in bundled_names() if n != "normal"]
    return {"normal": 0.55, **{n: 0.45 / len(others) for n in others}}


def assign_scenarios(n: int, mix: dict[str, float], seed: int) -> list[str]:
    """A seeded scenario per enterprise; when the fleet is big enough every weighted scenario appears once."""
    rng = random.Random(f"{seed}:mix")
    names = [k for k, w in mix.items() if w > 0]
    out = rng.choices(names, weights=[mix[k] for k in names], k=n)
    if n >= len(names):
        slots = rng.sample(range(n), len(names))
        for slot, name in zip(slots, names, strict=True):
            out[slot] = name
    return out


def build_fleet(rows: Sequence[CsvEnterprise], mix: dict[str, float], seed: int) -> list[EnterpriseSpec]:
    return [build_enterprise(r, s, seed) for r, s in zip(rows, assign_scenarios(len(rows), mix, seed), strict=True)]

"""routes-field's objects in the test county: a terminal, a command, a photo and a commissioning record inside
every scope and outside, and a free point per role for the binding row of the matrix."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from monitoring.accounts.models import Role
from monitoring.commands.models import Command
from monitoring.field.commissioning import commissioning_checks
from monitoring.maintenance.models import MaintenanceEntry, MaintenanceKind
from monitoring.photos.models import Photo, PhotoKind, new_photo_id
from monitoring.registry.models import Facility, FacilityKind, MonitoringPoint
from monitoring.registry.terminal import Terminal, hash_password
from monitoring.storage.ports import Store

TERMINAL_PASSWORD = "123456"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def jpeg(size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def bind_point_id(role: Role, scope: str) -> str:
    return f"pt-bind-{scope}-{role.value}"


def add_field_objects(store: Store, world: Any) -> None:
    reg = store.registry
    cheap = hash_password(TERMINAL_PASSWORD, n=2**4)  # the scrypt cost is not under test here
    photo_bytes: dict[str, bytes] = {}
    for scope in ("in", "out"):
        enterprise_id = f"ent-{scope}"
        if not any(f.facility_id == f"fac-{scope}" for f in reg.list_facilities(enterprise_id)):
            # (the registry section of world.py makes the same facility)
            reg.put_facility(Facility(f"fac-{scope}", enterprise_id, "MF0001", "生产线", FacilityKind.PRODUCTION))
        mn = f"MN{scope.upper()}0001"
        reg.put_terminal(Terminal(mn=mn, county_id="rugao", password_hash=cheap, enterprise_id=enterprise_id))
        reg.put_point(MonitoringPoint(f"pt-{scope}", enterprise_id, f"fac-{scope}", f"CODE-{scope}", "1号线",
                                      FacilityKind.PRODUCTION, mn=mn, channel="01"))  # fmt: skip
        for role in Role:  # a free point per role for POST /terminals/{mn}/binding
            reg.put_point(MonitoringPoint(bind_point_id(role, scope), enterprise_id, f"fac-{scope}",
                                          f"CODE-{scope}-{role.value}", f"{role.value}点位",
                                          FacilityKind.PRODUCTION))  # fmt: skip
        qn = "20261201080000001" if scope == "in" else "20261201080000002"
        command = Command(command_id=f"cmd-{scope}", mn=mn, cn="1011", qn=qn, created_at=NOW,
                          expires_at=NOW + timedelta(days=1), requested_by="seed")  # fmt: skip
        store.commands.enqueue(command)
        data = jpeg()
        photo = Photo(photo_id=new_photo_id(), enterprise_id=enterprise_id, kind=PhotoKind.INSTALLATION,
                      uploaded_by="seed", content_type="image/jpeg", size=len(data),
                      sha256=hashlib.sha256(data).hexdigest(), width=32, height=24, created_at=NOW)  # fmt: skip
        store.photos.put_photo(photo)
        photo_bytes[photo.photo_id] = data
        # a commissioning record of the terminal (GET /terminals/{mn}/commissioning), judged with no data yet
        checks = commissioning_checks(None, None)
        store.maintenance.put_entry(MaintenanceEntry(
            entry_id=f"mt-seed-{scope}", enterprise_id=enterprise_id, kind=MaintenanceKind.COMMISSIONING, at=NOW,
            by="seed", recorded_at=NOW, mn=mn, point_id=f"pt-{scope}", checks=checks, passed=False,
        ))  # fmt: skip
        ids = world.inside if scope == "in" else world.outside
        ids.update(mn=mn, command_id=command.command_id, photo_id=photo.photo_id)
    world.extra["photo_bytes"] = photo_bytes
    world.extra["field_points"] = {p.point_id: dataclasses.asdict(p) for p in reg.list_points("ent-in")}

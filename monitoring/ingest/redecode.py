"""Re-decode a terminal's archived frames once an installer has registered and bound it (early data kept).

Frames the listener marked auth_failed stay evidence only. Frames received while the terminal was not
registered become readings only if their PW matches the password registered now (scrypt, checked once per
distinct PW). Idempotent: readings and events already stored are not duplicated.
"""

from __future__ import annotations

from collections.abc import Mapping

import hj212
from monitoring.archive.models import AuthStatus
from monitoring.clock import Clock
from monitoring.ingest.decode import Decoder, DecodeReport, DecodeSettings
from monitoring.ingest.records import FrameRecord
from monitoring.profiles.models import Profile
from monitoring.registry.terminal import verify_password
from monitoring.storage.ports import Store


def redecode_archived(
    mn: str,
    store: Store,
    clock: Clock,
    profiles: Mapping[str, Profile],
    *,
    page: int = 1_000,
    settings: DecodeSettings | None = None,
) -> DecodeReport:
    """Turn a terminal's archived frames into readings/events (after an installer bound it); idempotent.

    Frames the listener marked auth_failed stay evidence only. Frames received while the terminal was
    unregistered are used only if their PW matches the password now registered.
    """
    decoder = Decoder(store, clock, profiles, settings)
    terminal = store.registry.get_terminal(mn)
    password_ok: dict[str, bool] = {}
    next_seq = 1
    while True:
        chunk = store.archive.chain(mn, from_seq=next_seq, limit=page)
        if not chunk:
            break
        for archived in chunk:
            record = archived.frame  # an archived RawFrame is the frame record it was
            trusted = record.auth is AuthStatus.OK
            if record.auth is AuthStatus.UNREGISTERED:
                pw = _password_of(record)
                if pw not in password_ok:
                    password_ok[pw] = verify_password(terminal, pw)
                trusted = password_ok[pw]
            if trusted:
                decoder.decode_archived(record, trusted=True)
            else:
                decoder.report.outcomes["untrusted"] += 1
        next_seq = chunk[-1].seq + 1
        decoder.flush()  # one write per page keeps memory bounded on a long archive
    return decoder.report


def _password_of(record: FrameRecord) -> str:
    try:
        return hj212.decode_frame(record.raw, accept_modbus_crc=record.crc == "modbus").pw or ""
    except hj212.BadFrameError:
        return ""

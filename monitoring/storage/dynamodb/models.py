"""PynamoDB models for the tables in schema.py, built per store so table prefix, region and host are configurable.

Every table uses the same generic item shape (string pk/sk, optional index keys, a JSON `body`, a TTL),
declared once here on typed base classes; `build_models` subclasses them with a Meta naming the physical
table and with fresh index objects (PynamoDB binds an index class to one model, so they cannot be shared).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BinaryAttribute, BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection, LocalSecondaryIndex, Projection
from pynamodb.models import Model

from monitoring.storage.dynamodb import schema


class Item(Model):
    """The generic item: key attributes, a type tag and the record as JSON."""

    pk = UnicodeAttribute(hash_key=True, attr_name=schema.PK)
    sk = UnicodeAttribute(range_key=True, attr_name=schema.SK)
    t = UnicodeAttribute(attr_name=schema.ITEM_TYPE)
    body = UnicodeAttribute(null=True)


class ExpiringItem(Item):
    """An item of a table with TTL: DynamoDB deletes it (within about two days) after `expires_at`."""

    expires_at = TTLAttribute(null=True, attr_name=schema.TTL_ATTRIBUTE)


class RegistryItem(Item):
    """A registry document: kind#key, its optimistic version, and up to three index entries."""

    version = NumberAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True, attr_name=schema.GSI1_PK)
    gsi1sk = UnicodeAttribute(null=True, attr_name=schema.GSI1_SK)
    gsi2pk = UnicodeAttribute(null=True, attr_name=schema.GSI2_PK)
    gsi2sk = UnicodeAttribute(null=True, attr_name=schema.GSI2_SK)
    gsi3pk = UnicodeAttribute(null=True, attr_name=schema.GSI3_PK)
    gsi3sk = UnicodeAttribute(null=True, attr_name=schema.GSI3_SK)


class StateItem(ExpiringItem):
    """Current state: commands (`status`, `qn`), alarms (`status`, `version`, `is_open`), pointers (`ref`)."""

    status = UnicodeAttribute(null=True)
    qn = UnicodeAttribute(null=True)
    ref = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    is_open = BooleanAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True, attr_name=schema.GSI1_PK)
    gsi1sk = UnicodeAttribute(null=True, attr_name=schema.GSI1_SK)
    gsi2pk = UnicodeAttribute(null=True, attr_name=schema.GSI2_PK)
    gsi2sk = UnicodeAttribute(null=True, attr_name=schema.GSI2_SK)
    gsi3pk = UnicodeAttribute(null=True, attr_name=schema.GSI3_PK)
    gsi3sk = UnicodeAttribute(null=True, attr_name=schema.GSI3_SK)
    gsi4pk = UnicodeAttribute(null=True, attr_name=schema.GSI4_PK)
    gsi4sk = UnicodeAttribute(null=True, attr_name=schema.GSI4_SK)
    gsi5pk = UnicodeAttribute(null=True, attr_name=schema.GSI5_PK)
    gsi5sk = UnicodeAttribute(null=True, attr_name=schema.GSI5_SK)


class ReadingItem(ExpiringItem):
    """A reading, an aggregate or a completeness row; a reading's JSON is stored zlib-compressed in `z`."""

    z = BinaryAttribute(null=True, legacy_encoding=False)


class EventItem(ExpiringItem):
    """An event under its MN (sk = time # id); events of a point are listed through gsi1 (sparse)."""

    gsi1pk = UnicodeAttribute(null=True, attr_name=schema.GSI1_PK)
    gsi1sk = UnicodeAttribute(null=True, attr_name=schema.GSI1_SK)


class ArchiveItem(ExpiringItem):
    """One archived frame on its MN's chain: sk = zero-padded seq; lsi1sk = receive time # digest."""

    lsi1sk = UnicodeAttribute(attr_name=schema.LSI1_SK)
    raw = BinaryAttribute(null=True, legacy_encoding=False)  # as received (items written before compression)
    z = BinaryAttribute(null=True, legacy_encoding=False)  # zlib of the frame as received


@dataclass(frozen=True, slots=True)
class Connection:
    """Where the tables live. `host` is an endpoint URL (DynamoDB Local), None for AWS itself."""

    region: str | None = None
    host: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 10.0
    max_retry_attempts: int = 3


@dataclass(frozen=True, slots=True)
class Models:
    """The model classes of one store, bound to its physical tables."""

    registry: type[RegistryItem]
    state: type[StateItem]
    readings: type[ReadingItem]
    events: type[EventItem]
    archive: type[ArchiveItem]

    def all(self) -> tuple[type[Item], ...]:
        return (self.registry, self.state, self.readings, self.events, self.archive)


def _meta(table_name: str, conn: Connection) -> type:
    attrs: dict[str, Any] = {
        "table_name": table_name,
        "region": conn.region,
        "host": conn.host,
        "billing_mode": schema.BILLING_MODE,
        "connect_timeout_seconds": conn.connect_timeout_seconds,
        "read_timeout_seconds": conn.read_timeout_seconds,
        "max_retry_attempts": conn.max_retry_attempts,
    }
    if conn.aws_access_key_id is not None:
        attrs["aws_access_key_id"] = conn.aws_access_key_id
        attrs["aws_secret_access_key"] = conn.aws_secret_access_key
        attrs["aws_session_token"] = conn.aws_session_token
    return type("Meta", (), attrs)


def _projection(name: str) -> Projection:
    return KeysOnlyProjection() if name == schema.PROJECTION_KEYS_ONLY else AllProjection()


def _gsi(spec: schema.IndexSpec) -> GlobalSecondaryIndex[Any]:
    meta = type("Meta", (), {"index_name": spec.name, "projection": _projection(spec.projection)})
    attrs = {
        "Meta": meta,
        spec.partition_key: UnicodeAttribute(hash_key=True, attr_name=spec.partition_key),
        spec.sort_key: UnicodeAttribute(range_key=True, attr_name=spec.sort_key),
    }
    index_cls = type(f"Index_{spec.name}", (GlobalSecondaryIndex,), attrs)
    return index_cls()  # type: ignore[no-any-return]


def _lsi(spec: schema.LocalIndexSpec) -> LocalSecondaryIndex[Any]:
    meta = type("Meta", (), {"index_name": spec.name, "projection": _projection(spec.projection)})
    attrs = {
        "Meta": meta,
        schema.PK: UnicodeAttribute(hash_key=True, attr_name=schema.PK),
        spec.sort_key: UnicodeAttribute(range_key=True, attr_name=spec.sort_key),
    }
    index_cls = type(f"Index_{spec.name}", (LocalSecondaryIndex,), attrs)
    return index_cls()  # type: ignore[no-any-return]


def _build(base: type[Item], spec: schema.TableSpec, prefix: str, conn: Connection) -> Any:
    table_name = schema.TABLE_NAME_FORMAT.format(prefix=prefix, table=spec.logical_name)
    attrs: dict[str, Any] = {"Meta": _meta(table_name, conn), "__module__": __name__}
    for index in spec.indexes:
        attrs[index.name] = _gsi(index)
    for local in spec.local_indexes:
        attrs[local.name] = _lsi(local)
    return type(f"{base.__name__}_{prefix.replace('-', '_')}", (base,), attrs)


def build_models(prefix: str, conn: Connection) -> Models:
    """Model classes for the tables `<prefix>-<logical name>` at `conn`."""
    tables = schema.TABLES_BY_NAME
    return Models(
        registry=_build(RegistryItem, tables[schema.REGISTRY], prefix, conn),
        state=_build(StateItem, tables[schema.STATE], prefix, conn),
        readings=_build(ReadingItem, tables[schema.READINGS], prefix, conn),
        events=_build(EventItem, tables[schema.EVENTS], prefix, conn),
        archive=_build(ArchiveItem, tables[schema.ARCHIVE], prefix, conn),
    )

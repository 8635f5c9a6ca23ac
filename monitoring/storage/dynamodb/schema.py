"""DynamoDB table layout: logical table names, key and index attributes, TTL attributes, billing mode.

Constants only, stdlib only: the CDK app (infra/) imports this module and nothing else of the runtime, and
the PynamoDB models (models.py) are built from the same names, so the deployed tables and the code cannot
drift apart. docs/dynamodb.md holds the access-pattern table these keys were designed from.
"""

from __future__ import annotations

from dataclasses import dataclass

BILLING_MODE = "PAY_PER_REQUEST"  # on-demand: no capacity planning, pay per request
DEFAULT_TABLE_PREFIX = "gk"
# Physical table name: TABLE_NAME_FORMAT.format(prefix="gk", table=READINGS) == "gk-readings".
TABLE_NAME_FORMAT = "{prefix}-{table}"

# Generic key attributes shared by every table (single-table style inside each table).
PK = "pk"
SK = "sk"
GSI1_PK = "gsi1pk"
GSI1_SK = "gsi1sk"
GSI2_PK = "gsi2pk"
GSI2_SK = "gsi2sk"
GSI1 = "gsi1"
GSI2 = "gsi2"
# TTL: epoch seconds; DynamoDB deletes the item (within about 48 h) once the time has passed.
TTL_ATTRIBUTE = "expires_at"
# Every item records its type, so that a query over a shared partition can be told apart.
ITEM_TYPE = "t"

KEY_TYPE_STRING = "S"


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """A global secondary index (projection ALL, string keys)."""

    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One table: its logical name, string keys, GSIs and TTL attribute (None: items never expire)."""

    logical_name: str
    partition_key: str
    sort_key: str
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None
    purpose: str


REGISTRY = "registry"
STATE = "state"
READINGS = "readings"
EVENTS = "events"
ARCHIVE = "archive"

_GSI1 = IndexSpec(GSI1, GSI1_PK, GSI1_SK)
_GSI2 = IndexSpec(GSI2, GSI2_PK, GSI2_SK)

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        REGISTRY,
        PK,
        SK,
        (_GSI1, _GSI2),
        None,
        "一企一档: jurisdictions, enterprises, facilities, points, associations, terminals, profiles",
    ),
    TableSpec(
        STATE,
        PK,
        SK,
        (_GSI1,),
        TTL_ATTRIBUTE,
        "current state: terminal live state, latest reading per point, chain heads, commands, rule state, alarms",
    ),
    TableSpec(READINGS, PK, SK, (), TTL_ATTRIBUTE, "readings (TTL) and hourly/daily aggregates (longer TTL)"),
    TableSpec(EVENTS, PK, SK, (_GSI1,), TTL_ATTRIBUTE, "terminal SOE and platform events (TTL)"),
    TableSpec(ARCHIVE, PK, SK, (_GSI1,), TTL_ATTRIBUTE, "raw frames as received, per-terminal hash chain (TTL)"),
)

TABLES_BY_NAME: dict[str, TableSpec] = {spec.logical_name: spec for spec in TABLES}

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
GSI3_PK = "gsi3pk"
GSI3_SK = "gsi3sk"
GSI4_PK = "gsi4pk"
GSI4_SK = "gsi4sk"
GSI5_PK = "gsi5pk"
GSI5_SK = "gsi5sk"
GSI1 = "gsi1"
GSI2 = "gsi2"
GSI3 = "gsi3"
GSI4 = "gsi4"
GSI5 = "gsi5"
# Local secondary index (same partition key, alternative sort key, strongly consistent reads).
LSI1_SK = "lsi1sk"
LSI1 = "lsi1"
# TTL: epoch seconds; DynamoDB deletes the item (within about 48 h) once the time has passed.
TTL_ATTRIBUTE = "expires_at"
# Every item records its type, so that a query over a shared partition can be told apart.
ITEM_TYPE = "t"

KEY_TYPE_STRING = "S"


PROJECTION_ALL = "ALL"
# Keys only: the index is not rewritten when non-key attributes change (terminal state on every frame).
PROJECTION_KEYS_ONLY = "KEYS_ONLY"


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """A global secondary index (string keys)."""

    name: str
    partition_key: str
    sort_key: str
    projection: str = PROJECTION_ALL


@dataclass(frozen=True, slots=True)
class LocalIndexSpec:
    """A local secondary index: the table's partition key with another sort key.

    An LSI must exist when the table is created and caps each partition key's items at 10 GB.
    """

    name: str
    sort_key: str
    projection: str = PROJECTION_ALL


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One table: its logical name, string keys, GSIs and TTL attribute (None: items never expire)."""

    logical_name: str
    partition_key: str
    sort_key: str
    indexes: tuple[IndexSpec, ...]
    ttl_attribute: str | None
    purpose: str
    local_indexes: tuple[LocalIndexSpec, ...] = ()


REGISTRY = "registry"
STATE = "state"
READINGS = "readings"
EVENTS = "events"
ARCHIVE = "archive"

_GSI1 = IndexSpec(GSI1, GSI1_PK, GSI1_SK)
_REGISTRY_GSIS = (
    IndexSpec(GSI1, GSI1_PK, GSI1_SK, PROJECTION_KEYS_ONLY),
    IndexSpec(GSI2, GSI2_PK, GSI2_SK, PROJECTION_KEYS_ONLY),
    IndexSpec(GSI3, GSI3_PK, GSI3_SK, PROJECTION_KEYS_ONLY),
)

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        REGISTRY,
        PK,
        SK,
        _REGISTRY_GSIS,
        None,
        "一企一档 documents: jurisdictions, enterprises, facilities, points, associations, terminals",
    ),
    TableSpec(
        STATE,
        PK,
        SK,
        # gsi3: the alarm list in deadline order (monitoring/alarms/listing.py list_key), a partition per county;
        # notifications by the UTC month they were decided (dynamodb/outbox.py). gsi4 / gsi5: the same list per
        # branch / per town (sparse: alarms only).
        (
            _GSI1,
            IndexSpec(GSI2, GSI2_PK, GSI2_SK),
            IndexSpec(GSI3, GSI3_PK, GSI3_SK),
            IndexSpec(GSI4, GSI4_PK, GSI4_SK),
            IndexSpec(GSI5, GSI5_PK, GSI5_SK),
        ),
        TTL_ATTRIBUTE,
        "current state: downlink commands, rule state, alarms + audit, reports, emergency alerts and halts",
    ),
    TableSpec(READINGS, PK, SK, (), TTL_ATTRIBUTE, "readings, hourly/daily aggregates, daily completeness"),
    TableSpec(EVENTS, PK, SK, (_GSI1,), TTL_ATTRIBUTE, "terminal SOE and platform events"),
    TableSpec(
        ARCHIVE,
        PK,
        SK,
        (),
        TTL_ATTRIBUTE,
        "raw frames as received, on a per-MN hash chain",
        (LocalIndexSpec(LSI1, LSI1_SK, PROJECTION_KEYS_ONLY),),
    ),
)

TABLES_BY_NAME: dict[str, TableSpec] = {spec.logical_name: spec for spec in TABLES}

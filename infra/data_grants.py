"""DynamoDB grants narrowed to partition-key prefixes (`dynamodb:LeadingKeys`), kept as data: the roles' statements
are built from them (infra/constructs/ingest.py, infra/stacks/platform.py), and tests check real requests with
`allows`. Prefixes follow monitoring/storage/dynamodb (registry pk `<kind>#<key>`, GSI pk `<kind>#<index>#<v>`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

import monitoring.storage.dynamodb.schema as schema


@dataclass(frozen=True, slots=True)
class KeyGrant:
    """`actions` on one table (or one of its indexes) for items whose partition key matches a pattern."""

    sid: str
    table: str  # schema's logical table name
    index: str  # "" = the table itself
    actions: tuple[str, ...]
    leading_keys: tuple[str, ...]  # IAM StringLike patterns ('*' = any characters)


# The listener (iot_ingest/__main__.py `_dynamodb_ports`): terminals by MN and by county (the directory's copy),
# a settled password change (CN 1072) written back on the terminal; commands (cmd#<MN>, cmdid# pointers) and
# session leases on the state table, the pending-command index; its own events; its put notes for the rules (pk
# `rsput`, monitoring/storage/dynamodb/rules.py). Everything else on the registry (enterprises, points, accounts'
# jurisdictions) and the state table (alarms, other rule state, audit) is out of reach.
LISTENER = (
    KeyGrant(
        "RegistryTerminals",
        schema.REGISTRY,
        "",
        ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"),
        ("terminal#*",),
    ),
    KeyGrant("RegistryTerminalsByCounty", schema.REGISTRY, schema.GSI1, ("dynamodb:Query",), ("terminal#county#*",)),
    # the registry's change mark, bumped with the terminal a settled 1072 writes (monitoring.registry.changes)
    KeyGrant("RegistryChangeMark", schema.REGISTRY, "", ("dynamodb:UpdateItem",), ("chg#registry",)),
    KeyGrant(
        "CommandsAndLeases",
        schema.STATE,
        "",
        ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
        ("cmd#*", "cmdid#*", "lease#*", "leasetask#*", "leasekick#*"),
    ),
    KeyGrant("PendingCommands", schema.STATE, schema.GSI1, ("dynamodb:Query",), ("cmdpending",)),
    KeyGrant("ListenerEvents", schema.EVENTS, "", ("dynamodb:PutItem",), ("ev#*",)),
    KeyGrant("ListenerPutNotes", schema.STATE, "", ("dynamodb:PutItem",), ("rsput",)),
)

# The archive chain function (functions/on_archive_object.py): the global chain's links, pk `mchain`
# (monitoring/storage/dynamodb/chain_heads.py): the newest links (Query) and one new link (conditional PutItem).
CHAIN_ARCHIVE = (KeyGrant("ChainLinks", schema.STATE, "", ("dynamodb:Query", "dynamodb:PutItem"), ("mchain",)),)

# The rule scheduler (functions/every_minute_schedule_rules.py) reads decode's progress notes and the listener's put
# notes once a tick, deletes those of gone containers and tasks, and keeps the groups it found waiting (one document)
# (monitoring/rules/decode_watermark.py): rule-state documents, pk `rs` and `rsput`
# (monitoring/storage/dynamodb/rules.py), besides reading the registry.
SCHEDULE_RULES = (
    KeyGrant("DecodeProgress", schema.STATE, "", ("dynamodb:Query", "dynamodb:DeleteItem"), ("rs", "rsput")),
    KeyGrant("DecodeHeld", schema.STATE, "", ("dynamodb:GetItem", "dynamodb:PutItem"), ("rs",)),
)


def allows(grants: Sequence[KeyGrant], table: str, index: str, action: str, keys: Iterable[str]) -> bool:
    """Whether one grant covers the request, as IAM's ForAllValues:StringLike on dynamodb:LeadingKeys decides."""
    wanted = list(keys)
    return any(
        g.table == table
        and g.index == index
        and action in g.actions
        and all(any(fnmatchcase(k, p) for p in g.leading_keys) for k in wanted)
        for g in grants
    )


__all__ = ["CHAIN_ARCHIVE", "LISTENER", "SCHEDULE_RULES", "KeyGrant", "allows"]

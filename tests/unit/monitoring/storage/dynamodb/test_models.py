"""The PynamoDB models describe exactly the tables schema.py (and thus the CDK app) creates."""

from __future__ import annotations

from typing import Any

import pytest

from monitoring.storage.dynamodb import schema
from monitoring.storage.dynamodb.models import Connection, build_models
from monitoring.storage.dynamodb.tables import create_table_request, table_name

pytestmark = pytest.mark.unit


def _key_schema(entries: list[dict[str, str]]) -> list[tuple[str, str]]:
    return sorted(
        (e.get("AttributeName", e.get("attribute_name", "")), e.get("KeyType", e.get("key_type", ""))) for e in entries
    )


def _indexes(schema_part: list[dict[str, Any]]) -> dict[str, tuple[list[tuple[str, str]], str]]:
    return {i["index_name"]: (_key_schema(i["key_schema"]), i["projection"]["ProjectionType"]) for i in schema_part}


@pytest.mark.parametrize("spec", schema.TABLES, ids=[s.logical_name for s in schema.TABLES])
def test_models_match_the_create_table_request(spec: schema.TableSpec) -> None:
    # Given the models of a store and the CreateTable request built from schema.py
    models = build_models("gk", Connection(region="cn-north-1"))
    model = {m.Meta.table_name: m for m in models.all()}[table_name("gk", spec.logical_name)]
    request = create_table_request(spec, model.Meta.table_name)
    got = model._get_schema()
    # Then keys, GSIs, LSIs and projections agree
    assert _key_schema(got["key_schema"]) == _key_schema(request["KeySchema"])
    want_gsi = {
        g["IndexName"]: (_key_schema(g["KeySchema"]), g["Projection"]["ProjectionType"])
        for g in request.get("GlobalSecondaryIndexes", [])
    }
    want_lsi = {
        g["IndexName"]: (_key_schema(g["KeySchema"]), g["Projection"]["ProjectionType"])
        for g in request.get("LocalSecondaryIndexes", [])
    }
    assert _indexes(got["global_secondary_indexes"]) == want_gsi
    assert _indexes(got["local_secondary_indexes"]) == want_lsi
    # And the TTL attribute is the one schema.py declares (None: no TTL attribute on the model)
    ttl = model._ttl_attribute()
    assert (ttl.attr_name if ttl else None) == spec.ttl_attribute


def test_build_models_names_tables_by_prefix_and_keeps_stores_apart() -> None:
    a = build_models("gk-a", Connection(region="cn-north-1"))
    b = build_models("gk-b", Connection(region="cn-north-1", host="http://127.0.0.1:1"))
    assert a.readings.Meta.table_name == "gk-a-readings"
    assert b.readings.Meta.table_name == "gk-b-readings" and b.readings.Meta.host == "http://127.0.0.1:1"
    assert a.readings.Meta.table_name != b.readings.Meta.table_name
    assert schema.BILLING_MODE == a.registry.Meta.billing_mode

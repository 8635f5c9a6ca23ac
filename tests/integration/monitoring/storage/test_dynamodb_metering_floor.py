"""On DynamoDB Local, which reports an empty Query and a missing BatchGetItem key as free, the meter bills
them at AWS's read minimum, and a Query that found something exactly as Local reports it."""

from __future__ import annotations

import uuid

import boto3
import pytest

from monitoring.storage.dynamodb.metering import CapacityMeter

pytestmark = pytest.mark.integration


def test_the_meter_bills_empty_reads_at_the_minimum(dynamodb_local_url: str, fake_aws_env: None) -> None:
    client = boto3.client("dynamodb", endpoint_url=dynamodb_local_url, region_name="us-east-1")
    table = f"floor{uuid.uuid4().hex[:10]}"
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    attrs = [{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")]
    client.create_table(TableName=table, KeySchema=keys, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST")
    try:
        client.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "1"}})
        meter = CapacityMeter()
        meter.attach(client)
        query = {"TableName": table, "KeyConditionExpression": "pk = :p", "ReturnConsumedCapacity": "TOTAL"}
        client.query(**query, ExpressionAttributeValues={":p": {"S": "none"}})  # empty: 0.5 on AWS, 0 on Local
        client.query(**query, ExpressionAttributeValues={":p": {"S": "none"}}, ConsistentRead=True)  # 1
        client.query(**query, ExpressionAttributeValues={":p": {"S": "a"}})  # one small item: 0.5 as reported
        found, missing = {"pk": {"S": "a"}, "sk": {"S": "1"}}, {"pk": {"S": "a"}, "sk": {"S": "2"}}
        client.batch_get_item(RequestItems={table: {"Keys": [found, missing]}}, ReturnConsumedCapacity="TOTAL")
        usage = meter.snapshot()
        assert usage["Query"].requests == 3
        assert usage["Query"].read_units == pytest.approx(0.5 + 1.0 + 0.5)
        assert usage["BatchGetItem"].read_units == pytest.approx(0.5 + 0.5)  # the found item + the missing key
        assert meter.by_table()[table].read_units == pytest.approx(3.0)
    finally:
        client.delete_table(TableName=table)

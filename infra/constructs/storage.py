"""Storage: the DynamoDB tables of the DynamoDB adapter, defined from `monitoring.storage.dynamodb.schema`.

schema.py is the single source of truth for table names, keys, indexes and TTL attributes; the PynamoDB
models are built from it too, so the deployed tables and the code cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

import monitoring.storage.dynamodb.schema as schema

# schema.py projection names -> CDK projection types (INCLUDE would need attribute lists schema.py does not carry).
PROJECTIONS = {
    schema.PROJECTION_ALL: dynamodb.ProjectionType.ALL,
    schema.PROJECTION_KEYS_ONLY: dynamodb.ProjectionType.KEYS_ONLY,
}


def _projection(table: str, index: str, projection: str) -> dynamodb.ProjectionType:
    if projection not in PROJECTIONS:
        raise ValueError(f"{table}.{index}: unsupported projection {projection!r} (use {sorted(PROJECTIONS)})")
    return PROJECTIONS[projection]


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


@dataclass(frozen=True)
class ProvisionedCapacity:
    """Auto-scaled read and write capacity for `tables` (their indexes inherit it); the others are on demand."""

    tables: tuple[str, ...] = ()
    target_percent: int = 70
    min_units: int = 5
    max_units: int = 40000

    def billing(self, table: str) -> dynamodb.Billing:
        if table not in self.tables:
            return dynamodb.Billing.on_demand()
        units = {"min_capacity": self.min_units, "max_capacity": self.max_units}
        return dynamodb.Billing.provisioned(
            read_capacity=dynamodb.Capacity.autoscaled(**units, target_utilization_percent=self.target_percent),
            write_capacity=dynamodb.Capacity.autoscaled(**units, target_utilization_percent=self.target_percent),
        )


class Storage(Construct):
    """One table per `schema.TABLES` entry (TTL, encryption; PITR on `recoverable` tables only), on demand
    unless `capacity` provisions it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table_prefix: str,
        deletion_protection: bool,
        removal_policy: RemovalPolicy,
        recoverable: tuple[str, ...],
        streams: tuple[str, ...] = (),
        capacity: ProvisionedCapacity = ProvisionedCapacity(),
        infrequent_access: tuple[str, ...] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        unknown = set(recoverable) - set(schema.TABLES_BY_NAME)
        if unknown:
            raise ValueError(f"point-in-time recovery for tables schema.TABLES does not have: {sorted(unknown)}")
        for what, names in (("provisioned capacity", capacity.tables), ("Standard-IA", infrequent_access)):
            unknown = set(names) - set(schema.TABLES_BY_NAME)
            if unknown:
                raise ValueError(f"{what} for tables schema.TABLES does not have: {sorted(unknown)}")
        if schema.BILLING_MODE != "PAY_PER_REQUEST":  # the local tables; a stage provisions through `capacity`
            raise ValueError(f"schema's default billing must be on demand, it says {schema.BILLING_MODE}")
        self.tables: dict[str, dynamodb.TableV2] = {}
        for spec in schema.TABLES:
            if spec.logical_name in self.tables:
                raise ValueError(f"schema.TABLES names {spec.logical_name!r} twice")
            self.tables[spec.logical_name] = dynamodb.TableV2(
                self,
                "".join(part.capitalize() for part in spec.logical_name.split("_")),
                table_name=schema.TABLE_NAME_FORMAT.format(prefix=table_prefix, table=spec.logical_name),
                partition_key=_string(spec.partition_key),
                sort_key=_string(spec.sort_key),
                billing=capacity.billing(spec.logical_name),
                # Standard-IA: storage 60 % cheaper, units ≈ 25 % dearer (docs/deploy.md, cost)
                table_class=dynamodb.TableClass.STANDARD_INFREQUENT_ACCESS
                if spec.logical_name in infrequent_access
                else dynamodb.TableClass.STANDARD,
                global_secondary_indexes=[
                    dynamodb.GlobalSecondaryIndexPropsV2(
                        index_name=index.name,
                        partition_key=_string(index.partition_key),
                        sort_key=_string(index.sort_key),
                        projection_type=_projection(spec.logical_name, index.name, index.projection),
                    )
                    for index in spec.indexes
                ],
                local_secondary_indexes=[
                    dynamodb.LocalSecondaryIndexProps(
                        index_name=index.name,
                        sort_key=_string(index.sort_key),
                        projection_type=_projection(spec.logical_name, index.name, index.projection),
                    )
                    for index in spec.local_indexes
                ],
                time_to_live_attribute=spec.ttl_attribute,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=spec.logical_name in recoverable
                ),
                encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
                deletion_protection=deletion_protection,
                removal_policy=removal_policy,
                # Keys only: a handler re-reads the item it is told about (the notify decider: changed alarms).
                dynamo_stream=dynamodb.StreamViewType.KEYS_ONLY if spec.logical_name in streams else None,
            )

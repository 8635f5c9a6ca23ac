"""`open_dynamodb_store(...)`: every repository on DynamoDB through PynamoDB, the AWS counterpart of sqlite's
`open_store`. Tables are named "<prefix>-<logical>" (schema.py); the CDK app creates them in AWS, and
`create_tables=True` creates them here (DynamoDB Local, moto).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from monitoring.clock import Clock
from monitoring.storage.base.county import locator
from monitoring.storage.dynamodb import schema, tables
from monitoring.storage.dynamodb._client import bind_client, make_client
from monitoring.storage.dynamodb.accounts import DynamoDBAccountsRepository
from monitoring.storage.dynamodb.archive import DynamoDBArchiveRepository
from monitoring.storage.dynamodb.audit_trail import DynamoDBAuditTrail
from monitoring.storage.dynamodb.campaign import DynamoDBCampaignRepository
from monitoring.storage.dynamodb.chain_heads import DynamoDBChainHeadsRepository
from monitoring.storage.dynamodb.commands import DynamoDBCommandsRepository
from monitoring.storage.dynamodb.events import DynamoDBEventsRepository
from monitoring.storage.dynamodb.list_counties import ListCounties
from monitoring.storage.dynamodb.maintenance import DynamoDBMaintenanceRepository
from monitoring.storage.dynamodb.metering import CapacityMeter
from monitoring.storage.dynamodb.models import Connection, Models, build_models
from monitoring.storage.dynamodb.outbox import DynamoDBOutboxRepository
from monitoring.storage.dynamodb.photos import DynamoDBPhotoRepository
from monitoring.storage.dynamodb.random_checks import DynamoDBRandomChecksRepository
from monitoring.storage.dynamodb.readings import DynamoDBReadingsRepository
from monitoring.storage.dynamodb.registry import DynamoDBRegistryRepository
from monitoring.storage.dynamodb.rule_samples import DynamoDBSampleReader
from monitoring.storage.dynamodb.rules import (
    DynamoDBAlarmRepository,
    DynamoDBAuditLog,
    DynamoDBEmergencyRepository,
    DynamoDBReportRepository,
    DynamoDBRuleState,
)
from monitoring.storage.ports import Store
from monitoring.storage.retention import RetentionPolicy


@dataclass
class DynamoDBBackend:
    """One store's tables, models and botocore client; `meter` counts every request it makes."""

    connection: Connection
    table_prefix: str = schema.DEFAULT_TABLE_PREFIX
    meter: CapacityMeter = field(default_factory=CapacityMeter)
    models: Models = field(init=False)
    client: Any = field(init=False)

    def __post_init__(self) -> None:
        self.models = build_models(self.table_prefix, self.connection)
        self.client = make_client(self.connection)
        self.tx_connection = bind_client(self.models, self.client)
        self.meter.attach(self.client)

    def create_tables(self, *, enable_ttl: bool = True) -> None:
        """Create the store's missing tables (not in AWS, where the CDK app owns them)."""
        tables.create_tables(self.client, self.table_prefix, enable_ttl=enable_ttl)

    def delete_tables(self) -> None:
        """Drop the store's tables (tests)."""
        tables.delete_tables(self.client, self.table_prefix)

    def store(
        self,
        *,
        retention: RetentionPolicy | None = None,
        clock: Clock | None = None,
        archive_days: int | None = None,
        purge_by_scan: bool = False,
        reading_buckets: bool = False,
        liveness: bool = True,
    ) -> Store:
        """Every repository on this backend (the rules area's on the `state` table). `purge_by_scan` lets
        `purge_expired` scan and delete (local use, tests); left False, it returns 0 because DynamoDB's own TTL
        deletes expired items. `reading_buckets`: readers also read the county host's reading buckets. `liveness`
        False: terminals are read as their items alone, without their liveness sheets (the listener's store)."""
        policy = retention or RetentionPolicy()
        m = self.models
        readings = DynamoDBReadingsRepository(
            m.readings,
            self.client,
            retention=policy,
            clock=clock,
            scan_purge=purge_by_scan,
            reading_buckets=reading_buckets,
        )
        registry = DynamoDBRegistryRepository(m.registry, clock)
        registry.show_liveness = liveness
        counties = ListCounties(m.state, locator(registry))

        def county_of(enterprise_id: str) -> str | None:  # which county's change mark a person's document bumps
            found = registry.find_enterprise(enterprise_id)
            return None if found is None else found.county_id

        return Store(
            registry=registry,
            readings=readings,
            events=DynamoDBEventsRepository(m.events, retention=policy, scan_purge=purge_by_scan, clock=clock),
            archive=DynamoDBArchiveRepository(m.archive, retention_days=archive_days),
            commands=DynamoDBCommandsRepository(m.state, self.tx_connection),
            alarms=DynamoDBAlarmRepository(m.state, self.tx_connection, counties),
            audit=DynamoDBAuditLog(m.state),
            rule_state=DynamoDBRuleState(m.state),
            reports=DynamoDBReportRepository(m.state, counties, county_of),
            emergency=DynamoDBEmergencyRepository(m.state, county_of),
            photos=DynamoDBPhotoRepository(m.state),
            maintenance=DynamoDBMaintenanceRepository(m.state),
            accounts=DynamoDBAccountsRepository(m.state, self.tx_connection),
            audit_trail=DynamoDBAuditTrail(m.state),
            outbox=DynamoDBOutboxRepository(m.state),
            chain_heads=DynamoDBChainHeadsRepository(m.state),
            random_checks=DynamoDBRandomChecksRepository(m.state),
            campaign=DynamoDBCampaignRepository(m.state),
            retention=policy,
            close=self.close,
            sample_reader=partial(DynamoDBSampleReader, readings),
        )

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self.client.close()


def open_dynamodb_store(
    *,
    region: str | None = None,
    host: str | None = None,
    table_prefix: str = schema.DEFAULT_TABLE_PREFIX,
    retention: RetentionPolicy | None = None,
    clock: Clock | None = None,
    create_tables: bool = False,
    meter: CapacityMeter | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    archive_days: int | None = None,
    purge_by_scan: bool = False,
    reading_buckets: bool = False,
) -> Store:
    """Open the DynamoDB store `table_prefix` in `region` (None: botocore's own resolution, e.g. AWS_REGION in
    Lambda), or at `host` (DynamoDB Local's URL). `meter` counts its requests and capacity units.
    `reading_buckets`: readers also read the reading buckets the county host writes (reading_buckets.py)."""
    conn = Connection(
        region=region, host=host, aws_access_key_id=aws_access_key_id, aws_secret_access_key=aws_secret_access_key
    )
    backend = DynamoDBBackend(conn, table_prefix, meter or CapacityMeter())
    if create_tables:
        backend.create_tables()
    return backend.store(
        retention=retention,
        clock=clock,
        archive_days=archive_days,
        purge_by_scan=purge_by_scan,
        reading_buckets=reading_buckets,
    )

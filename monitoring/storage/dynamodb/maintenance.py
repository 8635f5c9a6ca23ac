"""Maintenance log entries on the `state` table: pk "maint#<id>" / sk "maint", written only if absent; gsi1 lists
an enterprise's entries ("maintent#<enterprise>", sk = at # id). Service providers: pk "maintprov#<enterprise>",
sk "maintprov", gsi1 "maintprov" (one partition: 301 small items) to list them all.

More: docs/dynamodb.md.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from monitoring.maintenance.models import MaintenanceEntry, ServiceProvider
from monitoring.storage import codec
from monitoring.storage.base.maintenance import MaintenanceRepositoryBase
from monitoring.storage.dynamodb._client import time_key, translate
from monitoring.storage.dynamodb.models import StateItem


class DynamoDBMaintenanceRepository(MaintenanceRepositoryBase):
    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def _insert_entry(self, entry: MaintenanceEntry) -> None:
        item = self._model(f"maint#{entry.entry_id}", "maint", t="maint", body=codec.dumps(entry))
        item.gsi1pk = f"maintent#{entry.enterprise_id}"
        item.gsi1sk = f"{time_key(entry.at)}#{entry.entry_id}"
        with translate("put maintenance entry"):
            item.save(condition=self._model.pk.does_not_exist())

    def _get_entry(self, entry_id: str) -> MaintenanceEntry | None:
        with translate("get maintenance entry"):
            try:
                item = self._model.get(f"maint#{entry_id}", "maint", consistent_read=True)
            except DoesNotExist:
                return None
        return None if item.body is None else codec.loads(MaintenanceEntry, item.body)

    def _entries_for(
        self, enterprise_id: str, limit: int, before: tuple[datetime, str] | None
    ) -> list[MaintenanceEntry]:
        condition = None
        if before is not None:
            condition = self._model.gsi1sk < f"{time_key(before[0])}#{before[1]}"
        with translate("list maintenance entries"):
            items = self._model.gsi1.query(  # type: ignore[attr-defined]
                f"maintent#{enterprise_id}",
                condition,
                scan_index_forward=False,
                limit=limit,
                page_size=min(limit, 500),
            )
            return [codec.loads(MaintenanceEntry, i.body) for i in items if i.body]

    def _put_provider(self, provider: ServiceProvider) -> None:
        item = self._model(f"maintprov#{provider.enterprise_id}", "maintprov", t="maintprov",
                           body=codec.dumps(provider))  # fmt: skip
        item.gsi1pk = "maintprov"
        item.gsi1sk = provider.enterprise_id
        with translate("put service provider"):
            item.save()

    def _provider_for(self, enterprise_id: str) -> ServiceProvider | None:
        with translate("get service provider"):
            try:
                item = self._model.get(f"maintprov#{enterprise_id}", "maintprov", consistent_read=True)
            except DoesNotExist:
                return None
        return None if item.body is None else codec.loads(ServiceProvider, item.body)

    def _providers(self) -> list[ServiceProvider]:
        with translate("list service providers"):
            items = self._model.gsi1.query("maintprov")  # type: ignore[attr-defined]
            return [codec.loads(ServiceProvider, i.body) for i in items if i.body]

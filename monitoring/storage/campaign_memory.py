"""In-memory primitives of the campaign repository (part of `memory_store()`)."""

from __future__ import annotations

import threading

from monitoring.campaign.models import Campaign, CampaignFile
from monitoring.errors import ConflictError
from monitoring.storage.base.campaign import CampaignRepositoryBase


class MemoryCampaignRepository(CampaignRepositoryBase):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._campaigns_by_id: dict[str, Campaign] = {}
        self._files_by_key: dict[tuple[str, str], CampaignFile] = {}

    def _put_campaign(self, campaign: Campaign) -> None:
        with self._lock:
            self._campaigns_by_id[campaign.campaign_id] = campaign

    def _get_campaign(self, campaign_id: str) -> Campaign | None:
        return self._campaigns_by_id.get(campaign_id)

    def _campaigns(self, county_id: str) -> list[Campaign]:
        with self._lock:
            return [c for c in self._campaigns_by_id.values() if c.county_id == county_id]

    def _write_file(self, file: CampaignFile, expected_version: int) -> None:
        key = (file.campaign_id, file.enterprise_id)
        with self._lock:
            current = self._files_by_key.get(key)
            if (current.version if current else 0) != expected_version:
                raise ConflictError(f"企业 {file.enterprise_id} 的安装档案已被他人修改，请刷新后重试")
            self._files_by_key[key] = file

    def _get_file(self, campaign_id: str, enterprise_id: str) -> CampaignFile | None:
        return self._files_by_key.get((campaign_id, enterprise_id))

    def _files(self, campaign_id: str) -> list[CampaignFile]:
        with self._lock:
            return [f for (c, _), f in self._files_by_key.items() if c == campaign_id]

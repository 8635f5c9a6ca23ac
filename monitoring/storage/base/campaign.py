"""Campaign repository logic: NotFound, versioned file writes (optimistic concurrency), ordering."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod

from monitoring.campaign.models import Campaign, CampaignFile
from monitoring.errors import ConflictError, NotFoundError
from monitoring.registry.models import check_id


class CampaignRepositoryBase(ABC):
    """Implements `monitoring.campaign.ports.CampaignRepository` over storage primitives."""

    @abstractmethod
    def _put_campaign(self, campaign: Campaign) -> None: ...

    @abstractmethod
    def _get_campaign(self, campaign_id: str) -> Campaign | None: ...

    @abstractmethod
    def _campaigns(self, county_id: str) -> list[Campaign]: ...

    @abstractmethod
    def _write_file(self, file: CampaignFile, expected_version: int) -> None:
        """Store `file` (already at its new version) only if the stored version is `expected_version`
        (0: absent); ConflictError otherwise."""

    @abstractmethod
    def _get_file(self, campaign_id: str, enterprise_id: str) -> CampaignFile | None: ...

    @abstractmethod
    def _files(self, campaign_id: str) -> list[CampaignFile]: ...

    def put_campaign(self, campaign: Campaign) -> None:
        self._put_campaign(campaign)

    def get_campaign(self, campaign_id: str) -> Campaign:
        found = self._get_campaign(check_id(campaign_id, "campaign_id"))
        if found is None:
            raise NotFoundError(f"安装活动 {campaign_id} 不存在")
        return found

    def list_campaigns(self, county_id: str) -> list[Campaign]:
        return sorted(self._campaigns(check_id(county_id, "county_id")), key=lambda c: c.campaign_id)

    def put_file(self, file: CampaignFile) -> CampaignFile:
        if file.version < 0:
            raise ConflictError("version must be ≥ 0")
        stored = dataclasses.replace(file, version=file.version + 1)
        self._write_file(stored, file.version)
        return stored

    def find_file(self, campaign_id: str, enterprise_id: str) -> CampaignFile | None:
        return self._get_file(check_id(campaign_id, "campaign_id"), check_id(enterprise_id, "enterprise_id"))

    def list_files(self, campaign_id: str) -> list[CampaignFile]:
        return sorted(self._files(check_id(campaign_id, "campaign_id")), key=lambda f: f.enterprise_id)

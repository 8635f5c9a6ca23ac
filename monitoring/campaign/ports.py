"""Port of the campaign repository (`Store.campaign`): campaigns, and one versioned file per enterprise."""

from __future__ import annotations

from typing import Protocol

from monitoring.campaign.models import Campaign, CampaignFile


class CampaignRepository(Protocol):
    def put_campaign(self, campaign: Campaign) -> None:
        """Create or replace a campaign (its deadlines are data the bureau may correct)."""
        ...

    def get_campaign(self, campaign_id: str) -> Campaign:
        """NotFoundError if absent."""
        ...

    def list_campaigns(self, county_id: str) -> list[Campaign]:
        """The county's campaigns by id."""
        ...

    def put_file(self, file: CampaignFile) -> CampaignFile:
        """Write if the stored version equals `file.version` (0 = must not exist); returns version + 1, else
        ConflictError."""
        ...

    def find_file(self, campaign_id: str, enterprise_id: str) -> CampaignFile | None: ...

    def list_files(self, campaign_id: str) -> list[CampaignFile]:
        """Every file of the campaign, by enterprise id."""
        ...

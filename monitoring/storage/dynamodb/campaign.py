"""Campaigns and campaign files on the `state` table: pk "camp#<id>" / sk "camp" (gsi1 "camps#<county>") and
pk "campfile#<campaign>#<enterprise>" / sk "campfile" (gsi1 "campfiles#<campaign>"); files written on version.

More: docs/dynamodb.md.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from monitoring.campaign.models import Campaign, CampaignFile
from monitoring.errors import ConflictError
from monitoring.storage import codec
from monitoring.storage.base.campaign import CampaignRepositoryBase
from monitoring.storage.dynamodb._client import translate
from monitoring.storage.dynamodb.models import StateItem


class DynamoDBCampaignRepository(CampaignRepositoryBase):
    def __init__(self, model: type[StateItem]) -> None:
        self._model = model

    def _put_campaign(self, campaign: Campaign) -> None:
        item = self._model(f"camp#{campaign.campaign_id}", "camp", t="camp", body=codec.dumps(campaign))
        item.gsi1pk, item.gsi1sk = f"camps#{campaign.county_id}", campaign.campaign_id
        with translate("put campaign"):
            item.save()

    def _get_campaign(self, campaign_id: str) -> Campaign | None:
        with translate("get campaign"):
            try:
                item = self._model.get(f"camp#{campaign_id}", "camp", consistent_read=True)
            except DoesNotExist:
                return None
        return None if item.body is None else codec.loads(Campaign, item.body)

    def _campaigns(self, county_id: str) -> list[Campaign]:
        with translate("list campaigns"):
            items = self._model.gsi1.query(f"camps#{county_id}")  # type: ignore[attr-defined]
            return [codec.loads(Campaign, i.body) for i in items if i.body]

    def _write_file(self, file: CampaignFile, expected_version: int) -> None:
        item = self._model(
            f"campfile#{file.campaign_id}#{file.enterprise_id}", "campfile", t="campfile", body=codec.dumps(file)
        )
        item.version = file.version
        item.gsi1pk, item.gsi1sk = f"campfiles#{file.campaign_id}", file.enterprise_id
        condition = (
            self._model.pk.does_not_exist() if expected_version == 0 else self._model.version == expected_version
        )
        try:
            with translate("put campaign file"):
                item.save(condition=condition)
        except ConflictError:
            raise ConflictError(f"企业 {file.enterprise_id} 的安装档案已被他人修改，请刷新后重试") from None

    def _get_file(self, campaign_id: str, enterprise_id: str) -> CampaignFile | None:
        with translate("get campaign file"):
            try:
                item = self._model.get(f"campfile#{campaign_id}#{enterprise_id}", "campfile", consistent_read=True)
            except DoesNotExist:
                return None
        return None if item.body is None else codec.loads(CampaignFile, item.body)

    def _files(self, campaign_id: str) -> list[CampaignFile]:
        # gsi1 is eventually consistent: a list may lag a write by a moment; single reads are consistent.
        with translate("list campaign files"):
            items = self._model.gsi1.query(f"campfiles#{campaign_id}")  # type: ignore[attr-defined]
            return [codec.loads(CampaignFile, i.body) for i in items if i.body]

"""Campaigns and campaign files in sqlite (schema/100_campaign.sql); a file's write is conditional on its version."""

from __future__ import annotations

from monitoring.campaign.models import Campaign, CampaignFile
from monitoring.errors import ConflictError
from monitoring.storage import codec
from monitoring.storage.base.campaign import CampaignRepositoryBase
from monitoring.storage.sqlite.db import Database


class SqliteCampaignRepository(CampaignRepositoryBase):
    def __init__(self, db: Database) -> None:
        self._db = db

    def _put_campaign(self, campaign: Campaign) -> None:
        with self._db.write() as c:
            c.execute(
                "INSERT INTO campaign (campaign_id, county_id, body) VALUES (?, ?, ?) "
                "ON CONFLICT (campaign_id) DO UPDATE SET county_id = excluded.county_id, body = excluded.body",
                (campaign.campaign_id, campaign.county_id, codec.dumps(campaign)),
            )

    def _get_campaign(self, campaign_id: str) -> Campaign | None:
        with self._db.read() as c:
            row = c.execute("SELECT body FROM campaign WHERE campaign_id = ?", (campaign_id,)).fetchone()
        return None if row is None else codec.loads(Campaign, row[0])

    def _campaigns(self, county_id: str) -> list[Campaign]:
        with self._db.read() as c:
            rows = c.execute("SELECT body FROM campaign WHERE county_id = ?", (county_id,)).fetchall()
        return [codec.loads(Campaign, r[0]) for r in rows]

    def _write_file(self, file: CampaignFile, expected_version: int) -> None:
        body = codec.dumps(file)
        with self._db.write() as c:
            if expected_version == 0:
                cur = c.execute(
                    "INSERT INTO campaign_file (campaign_id, enterprise_id, version, body) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (file.campaign_id, file.enterprise_id, file.version, body),
                )
            else:
                cur = c.execute(
                    "UPDATE campaign_file SET version = ?, body = ? "
                    "WHERE campaign_id = ? AND enterprise_id = ? AND version = ?",
                    (file.version, body, file.campaign_id, file.enterprise_id, expected_version),
                )
            if cur.rowcount != 1:
                raise ConflictError(f"企业 {file.enterprise_id} 的安装档案已被他人修改，请刷新后重试")

    def _get_file(self, campaign_id: str, enterprise_id: str) -> CampaignFile | None:
        with self._db.read() as c:
            row = c.execute(
                "SELECT body FROM campaign_file WHERE campaign_id = ? AND enterprise_id = ?",
                (campaign_id, enterprise_id),
            ).fetchone()
        return None if row is None else codec.loads(CampaignFile, row[0])

    def _files(self, campaign_id: str) -> list[CampaignFile]:
        with self._db.read() as c:
            rows = c.execute("SELECT body FROM campaign_file WHERE campaign_id = ?", (campaign_id,)).fetchall()
        return [codec.loads(CampaignFile, r[0]) for r in rows]

"""SessionLeases over the DynamoDB lease items (monitoring.storage.dynamodb.leases), off the event loop.

More: docs/iot_ingest.md, "Command routing with several listener tasks (AWS)".
"""

from __future__ import annotations

from collections.abc import Collection

from iot_ingest.adapters.store import run_blocking
from monitoring.storage.dynamodb.leases import DynamoDBSessionLeases


class DynamoDBLeases:
    """The listener's `SessionLeases` port for tasks sharing one DynamoDB state table."""

    def __init__(self, leases: DynamoDBSessionLeases) -> None:
        self.leases = leases

    async def claim(self, mn: str, owner: str, lease_s: float) -> str | None:
        return await run_blocking(self.leases.claim, mn, owner, lease_s)

    async def renew(self, mns: Collection[str], owner: str, lease_s: float) -> set[str]:
        return await run_blocking(self.leases.renew, list(mns), owner, lease_s)

    async def release(self, mn: str, owner: str) -> None:
        await run_blocking(self.leases.release, mn, owner)

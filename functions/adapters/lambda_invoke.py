"""An asynchronous Lambda invoke (InvocationType Event): Lambda queues the event and runs the function later; an
event throttled by the function's reserved concurrency stays queued and is retried (1 s, growing to minutes)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger("functions.lambda_invoke")
# Short: an enqueuing handler must not hang on the invoke (what it stored is sent by the safety net anyway)
CLIENT_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})


class LambdaAsyncInvoke:
    """Invokes one function asynchronously. `invoke` never raises for AWS or network failures: it says whether
    Lambda took the event (202) and logs why not (the endpoint honours AWS_ENDPOINT_URL_LAMBDA, for tests)."""

    def __init__(self, function_name: str, *, region: str | None = None, client: Any = None) -> None:
        self.function_name = function_name
        self.client = client or boto3.client("lambda", region_name=region, config=CLIENT_CONFIG)

    def invoke(self, payload: Mapping[str, Any]) -> bool:
        body = json.dumps(payload, separators=(",", ":")).encode()
        try:
            response = self.client.invoke(FunctionName=self.function_name, InvocationType="Event", Payload=body)
        except (BotoCoreError, ClientError) as exc:
            log.warning("asynchronous invoke of %s failed: %s", self.function_name, exc)
            return False
        accepted = int(response.get("StatusCode", 0)) == 202
        if not accepted:
            log.warning("asynchronous invoke of %s answered %s", self.function_name, response.get("StatusCode"))
        return accepted

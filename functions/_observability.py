"""Powertools logger and metrics shared by the handlers (one instance per cold start)."""

from __future__ import annotations

import logging
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

NAMESPACE = "Gongkuang"


class _UnpublishedMetrics(AmazonCloudWatchEMFProvider):
    """Keeps and prints nothing. Powertools' own switch (POWERTOOLS_METRICS_DISABLED) stops the printing but not
    the keeping: a warm container would collect every value it is given for as long as it lives."""

    def add_metric(self, *args: Any, **kwargs: Any) -> None:
        return None

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        return None


logger = Logger(service="gongkuang")
# A stage that alarms on none of the handlers' counts publishes none (each name is a custom metric, billed
# monthly); the same counts stay in each handler's log line (docs/deploy.md "Fixed floor at 1,500 terminals").
metrics = Metrics(
    namespace=NAMESPACE, service="gongkuang", provider=_UnpublishedMetrics() if is_metrics_disabled() else None
)


def structure_domain_logs() -> None:
    """Give the domain's stdlib loggers (monitoring.*) the Powertools JSON format and the request context.
    Call after the domain modules are imported: only loggers that exist are configured."""
    names = {name for name in logging.root.manager.loggerDict if name.startswith(("monitoring", "hj212"))}
    copy_config_to_registered_loggers(source_logger=logger, include=names)


def publish_decode_report(report: object) -> None:
    """Emit a batch's decode report as EMF metrics (one per outcome, plus what was written)."""
    outcomes = getattr(report, "outcomes", {})
    for outcome, count in sorted(outcomes.items()):
        metrics.add_metric(name=f"Frames_{outcome}", unit=MetricUnit.Count, value=count)
    for name in ("readings_new", "readings_duplicate", "events_new", "unknown_codes", "unbound_channels", "rollups"):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=getattr(report, name, 0))


__all__ = ["MetricUnit", "logger", "metrics", "publish_decode_report", "structure_domain_logs"]

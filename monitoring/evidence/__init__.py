"""Evidence packages for 行政处罚: an alarm's raw frames, hash-chain proof, readings, chart and records as one ZIP."""

from monitoring.evidence.collect import Evidence, collect, evidence_window
from monitoring.evidence.package import Package, build_package

__all__ = ["Evidence", "Package", "build_package", "collect", "evidence_window"]

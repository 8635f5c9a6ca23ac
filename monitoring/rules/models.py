"""Kept only for monitoring/storage/sqlite/rule_samples.py, which the storage-family change owns this round:
the rule engine's input types now live in monitoring.evaluation.models. Remove once that import is updated."""

from monitoring.evaluation.models import Sample

__all__ = ["Sample"]

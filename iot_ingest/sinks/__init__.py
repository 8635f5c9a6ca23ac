"""Frame sinks (FrameSink adapters) and `open_sink`, which builds one from a `kind:target` setting.

Importing this package pulls in no adapter: boto3 is imported only when a Kinesis sink is built.
"""

from __future__ import annotations

from iot_ingest.ports import FrameSink


def open_sink(spec: str) -> FrameSink:
    """Build the sink named by `jsonl:PATH` or `kinesis:STREAM` (validated by config.load_settings)."""
    kind, _, target = spec.partition(":")
    if kind == "jsonl" and target:
        from iot_ingest.sinks.jsonl import JsonlSink

        return JsonlSink(target)
    if kind == "kinesis" and target:
        from iot_ingest.sinks.kinesis import KinesisSink

        return KinesisSink(target)
    raise ValueError(f"unknown sink {spec!r}: expected jsonl:PATH or kinesis:STREAM")

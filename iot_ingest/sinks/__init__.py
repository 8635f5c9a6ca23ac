"""Frame sinks (FrameSink adapters) and `open_sink`, which builds one from a `kind:target` setting.

Importing this package pulls in no adapter: boto3 is imported only when a Kinesis sink is built.
"""

from __future__ import annotations

from iot_ingest.ports import FrameSink
from iot_ingest.put_log import PutLog


def open_sink(spec: str, *, stream_groups: int = 64, put_log: PutLog | None = None) -> FrameSink:
    """Build the sink named by `jsonl:PATH` or `kinesis:STREAM` (validated by config.load_settings); a Kinesis
    sink keys records by their MN's group of `stream_groups` and tells `put_log` what went in."""
    kind, _, target = spec.partition(":")
    if kind == "jsonl" and target:
        from iot_ingest.sinks.jsonl import JsonlSink

        return JsonlSink(target)
    if kind == "kinesis" and target:
        from iot_ingest.sinks.kinesis import KinesisSink

        return KinesisSink(target, groups=stream_groups, put_log=put_log)
    raise ValueError(f"unknown sink {spec!r}: expected jsonl:PATH or kinesis:STREAM")

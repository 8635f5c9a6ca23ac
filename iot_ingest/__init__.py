"""iot_ingest: the HJ 212 TCP listener (sessions, durable hand-off before ack, downlink delivery, limits).

Run it with `python -m iot_ingest serve --help`. This package imports only `hj212` and its own ports; the
entry point `__main__.py` is the composition root that wires adapters in. See docs/iot_ingest.md.
"""

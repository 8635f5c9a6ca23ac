"""Adapters from the listener's ports to the platform's own services (the only iot_ingest code importing monitoring
besides the entry point): the local runner and `python -m iot_ingest serve --db` wire the same ones."""

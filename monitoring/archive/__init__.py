"""The raw-frame archive: every received frame, as received, on a per-terminal SHA-256 hash chain."""

"""HJ 212 (HJ/T 212-2005, HJ 212-2017, HJ 212-2025) protocol library: sans-IO framing, CRC, parse, build."""

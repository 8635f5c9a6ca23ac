"""Thin Lambda handlers: translate an AWS event into one domain call (STYLE.md §7.3)."""

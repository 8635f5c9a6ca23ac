"""The HTTP API for people (issue 14): one Chalice app under /api/v1 for the mini-program and the dashboard.

`app.py` is Chalice's entry point; the framework and the routes live in `chalicelib/` (docs/api.md).
"""

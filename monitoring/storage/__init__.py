"""Storage: repository ports (ports.py), the JSON codec, and adapters (memory.py, sqlite/, dynamodb/).

Import-light: this package imports no adapter; wire one in a composition root.
"""

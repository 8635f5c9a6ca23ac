"""The domain of the working-condition power monitoring platform: registry, readings, events, archive, storage.

Import-light on purpose: importing `monitoring` pulls in no adapter (STYLE.md §7.2).
"""

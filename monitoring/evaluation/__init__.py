"""The rule engine's base below the rules: inputs (samples, topology), findings, the catalogue, parameters and the
per-minute evaluation context. alarms, emergency and reports build on it; the rules (the tick) build on all of them.
"""

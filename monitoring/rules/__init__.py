"""Rule evaluation: running states, the rule families 1-9, baselines and the per-minute evaluation."""

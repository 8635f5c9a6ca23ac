"""The installation campaign (附件2): deadlines as data, per-enterprise step records, trial run, progress."""

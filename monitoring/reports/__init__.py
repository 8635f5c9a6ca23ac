"""Fault reports (故障申报) and stoppage/removal requests (停运/拆除报备), with deemed approval."""

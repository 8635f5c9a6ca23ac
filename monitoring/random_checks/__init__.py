"""Random inspections (双随机): inspector pools per branch, reproducible audited draws, inspection records."""

"""Benchmarks (print what they measure; never part of `make test`)."""

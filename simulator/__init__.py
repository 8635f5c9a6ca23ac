"""Simulated 4G power terminals (工况用电监测终端) speaking HJ 212 to one to three platforms.

An independent client: it imports only `hj212` and the standard library. `python -m simulator --help`.
"""

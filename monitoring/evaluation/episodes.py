"""Episodes: maximal runs of a per-minute condition, bridging short data gaps.

A condition minute is TRUE, FALSE, UNKNOWN (no data to decide) or SUPPRESSED (an approved stoppage or a
reported fault covers it). UNKNOWN minutes neither count toward a run nor end it while the gap stays within
`max_gap`; a longer gap ends the run at its last TRUE minute (the data-interruption rule reports the gap).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

TRUE = 1
FALSE = 0
UNKNOWN = 2
SUPPRESSED = 3


@dataclass(frozen=True, slots=True)
class Run:
    start: int  # first TRUE minute (index into the window)
    end: int  # one past the last TRUE minute
    ongoing: bool  # still TRUE (or within a bridged gap) at the end of the window
    touches_start: bool  # TRUE at the first minute of the window: may continue an earlier episode
    true_minutes: int
    short: bool = False  # shorter than the minimum duration (kept only because it touches the window start)

    @property
    def length(self) -> int:
        return self.end - self.start


def find_runs(cond: bytes | bytearray, max_gap: int) -> list[Run]:
    """All runs of TRUE in `cond`; the caller applies minimum durations (see `qualifying`)."""
    runs: list[Run] = []
    n = len(cond)
    start = -1
    last_true = -1
    count = 0
    i = cond.find(TRUE)
    while 0 <= i < n:
        start, last_true, count = i, i, 1
        j = i + 1
        while j < n:
            c = cond[j]
            if c == TRUE:
                last_true, count = j, count + 1
            elif c == UNKNOWN and j - last_true <= max_gap:
                pass
            else:
                break
            j += 1
        ongoing = j >= n and (n - 1 - last_true) <= max_gap
        runs.append(Run(start, last_true + 1, ongoing, start == 0, count))
        i = cond.find(TRUE, last_true + 1 if j >= n else j)
        if j >= n:
            break
    return runs


def qualifying(runs: list[Run], min_len: int) -> list[Run]:
    """Runs long enough to be findings, plus runs touching the window start (they may extend an episode)."""
    return [
        r if r.length >= min_len else replace(r, short=True) for r in runs if r.length >= min_len or r.touches_start
    ]

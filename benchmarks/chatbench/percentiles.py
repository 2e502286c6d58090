"""Latency percentiles (nearest-rank) over microsecond samples."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(sorted_us: Sequence[int], q: float) -> float:
    """The q-th percentile in milliseconds of already sorted samples; nan when empty."""
    if not sorted_us:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_us)))
    return sorted_us[rank - 1] / 1000


def summary(samples_us: Sequence[int]) -> dict[str, float]:
    ordered = sorted(samples_us)
    return {f"p{q}_ms": percentile(ordered, q) for q in (50, 95, 99)} | {
        "max_ms": ordered[-1] / 1000 if ordered else math.nan
    }

"""Ratios of a measurement to its baseline, round by round.

Why per round: on these shared machines a baseline swings by 2x and more from one round to
the next; where that drift is slower than a round (the publish bench), two paths measured in
turn within a round see the same conditions, and the median of the rounds' ratios is steadier
than the ratio of the medians. Either way the range shows how far the rounds disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median


def per_round(values: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Each round's value over the baseline's in the same round, sorted."""
    return sorted(v / b for v, b in zip(values, baseline, strict=True))


def summary(values: Sequence[float], baseline: Sequence[float], digits: int = 1) -> str:
    """`"15.0x (14.0x - 18.0x)"`: the median of the rounds' ratios, and their range."""
    ratios = per_round(values, baseline)
    return f"{median(ratios):.{digits}f}x ({ratios[0]:.{digits}f}x - {ratios[-1]:.{digits}f}x)"

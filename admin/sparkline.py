"""A sparkline as SVG polyline points (pure): the board renders it inline, no script needed."""

from __future__ import annotations

from collections.abc import Sequence

WIDTH = 120
HEIGHT = 24
PAD = 2.0
"""Room above and below so the stroke is not clipped at the extremes."""


def sparkline(prices: Sequence[float], width: int = WIDTH, height: int = HEIGHT) -> str | None:
    """`"x,y x,y ..."` for the prices scaled into a width x height box; None below two points."""
    if len(prices) < 2:
        return None
    low, high = min(prices), max(prices)
    step = width / (len(prices) - 1)
    usable = height - 2 * PAD
    points = []
    for index, price in enumerate(prices):
        # y grows downwards in SVG: the highest price sits at the top; a flat line mid-height.
        y = height / 2 if high == low else PAD + (high - price) / (high - low) * usable
        points.append(f"{index * step:.1f},{y:.1f}")
    return " ".join(points)

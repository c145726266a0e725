"""Charts the admin draws on the server as SVG (no script: the CSP allows none), shared by the
apps that show counts: the geometry only, numbers and plain strings; each template escapes
every label."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: float
    width: float
    count_x: float
    text_y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]
    total: int


def counts_chart(counts: Iterable[tuple[str, int]], *, width: int = 360) -> BarChart:
    """Labelled counts as horizontal bars, in the order given, each in proportion to the
    largest (the registry's cases by status, a state's votes...)."""
    rows = list(counts)
    label_width, bar_height, gap, count_room = 150, 18, 8, 50
    top = max((count for _label, count in rows), default=0)
    room = width - label_width - count_room
    bars = []
    for index, (label, count) in enumerate(rows):
        length = room * count / top if top else 0.0
        bars.append(
            Bar(
                label=label,
                count=count,
                y=float(index * (bar_height + gap)),
                width=length,
                count_x=label_width + length + 6,
                text_y=index * (bar_height + gap) + bar_height * 0.72,
            )
        )
    height = max(len(rows) * (bar_height + gap), bar_height)
    return BarChart(
        width=width,
        height=height,
        label_width=label_width,
        bar_height=bar_height,
        bars=bars,
        total=sum(count for _label, count in rows),
    )

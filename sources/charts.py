"""The geometry of the admin's figures chart, drawn server-side as SVG (no script: the CSP
allows none).

Published figures are drawn per metric (a count of deported children and a count of returned
ones do not share a line), one series per claimant, each point labelled with its qualifier
("at least 19,400"); claims without a number are annotations at their date. The registry's own
counts by status are a separate bar chart (``core.charts.counts_chart``), shown beside them and
never mixed in.

Everything here is numbers and plain strings; the template escapes every label.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.formats import number_format

from .figures import FigurePoint
from .models import FigureMetric, FigureQualifier

# Distinct on white and for the common colour-vision deficiencies (Okabe-Ito, then Tol).
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#882255",
    "#117733",
    "#999933",
    "#332288",
    "#44AA99",
    "#AA4499",
)

WIDTH = 760
PLOT_LEFT = 70
PLOT_RIGHT = 20
ANNOTATION_ROW = 16
PLOT_HEIGHT = 220
AXIS_HEIGHT = 30
TOP = 28
# Half the width of a long point label ("more than 20,000"), kept clear of the plot's edges.
LABEL_ROOM = 60


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str  # "at least 19,400"
    label_x: float
    label_y: float
    label_anchor: str
    title: str  # the tooltip: claimant, date as claimed, what was counted


@dataclass(frozen=True)
class Annotation:
    """A claim without a number: a dashed line at its date and its words."""

    x: float
    y: float
    text: str
    anchor: str
    title: str
    line_top: float
    line_bottom: float


@dataclass
class Series:
    claimant: str
    colour: str
    points: list[ChartPoint] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True)
class Panel:
    metric: str
    title: str
    height: int
    plot_top: float
    plot_bottom: float
    plot_left: float
    plot_right: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[Series]


@dataclass(frozen=True)
class LegendEntry:
    claimant: str
    colour: str


@dataclass(frozen=True)
class FiguresChart:
    width: int
    panels: list[Panel]
    legend: list[LegendEntry]


def nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * power:
            return float(multiple * power)
    return float(10 * power)


def _qualified(point: FigurePoint, qualifiers: Mapping[str, str]) -> str:
    number = number_format(point.value, force_grouping=True) if point.value is not None else ""
    if point.qualifier == FigureQualifier.STATED:
        return number
    return f"{qualifiers.get(point.qualifier, point.qualifier)} {number}".strip()


def _days(day: dt.date) -> int:
    return day.toordinal()


def figures_chart(
    points: Sequence[FigurePoint],
    *,
    metric_labels: Mapping[str, str] | None = None,
    qualifier_labels: Mapping[str, str] | None = None,
) -> FiguresChart:
    """One panel per metric that has figures, on a common time axis, one series per claimant
    (the same colour in every panel)."""
    metric_labels = metric_labels or {m.value: str(m.label) for m in FigureMetric}
    qualifier_labels = qualifier_labels or {q.value: str(q.label) for q in FigureQualifier}
    claimants = sorted({p.claimant for p in points})
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(claimants)}
    legend = [LegendEntry(claimant=name, colour=colours[name]) for name in claimants]
    if not points:
        return FiguresChart(width=WIDTH, panels=[], legend=[])

    first = min(p.as_of for p in points)
    last = max(p.as_of for p in points)
    # A margin of a few months either side, so the first and last points are not on the edge.
    start = dt.date(first.year, 1, 1) if first.month < 4 else first - dt.timedelta(days=90)
    end = last + dt.timedelta(days=120)
    span = max(_days(end) - _days(start), 1)
    plot_left, plot_right = float(PLOT_LEFT), float(WIDTH - PLOT_RIGHT)

    def x_of(day: dt.date) -> float:
        return plot_left + (_days(day) - _days(start)) / span * (plot_right - plot_left)

    x_ticks = [
        Tick(at=x_of(dt.date(year, 1, 1)), label=str(year))
        for year in range(start.year, end.year + 1)
        if start <= dt.date(year, 1, 1) <= end
    ]

    panels: list[Panel] = []
    by_metric: dict[str, list[FigurePoint]] = {}
    for point in points:
        by_metric.setdefault(point.metric, []).append(point)
    ordered_metrics = [m for m in FigureMetric.values if m in by_metric] + sorted(
        m for m in by_metric if m not in FigureMetric.values
    )
    for metric in ordered_metrics:
        metric_points = by_metric[metric]
        worded = [p for p in metric_points if p.value is None]
        numbered = [p for p in metric_points if p.value is not None]
        band = ANNOTATION_ROW * len(worded) + (8 if worded else 0)
        plot_top = float(TOP + band)
        plot_bottom = plot_top + PLOT_HEIGHT
        height = int(plot_bottom + AXIS_HEIGHT)
        top_value = max((p.value or 0 for p in numbered), default=0)
        step = nice_step(top_value * 1.1 or 1)
        y_max = step * max(math.ceil(top_value * 1.1 / step), 1)

        def y_of(
            value: float, top: float = plot_top, bottom: float = plot_bottom, most: float = y_max
        ) -> float:
            return bottom - value / most * (bottom - top)

        y_ticks = [
            Tick(at=y_of(i * step), label=number_format(int(i * step), force_grouping=True))
            for i in range(round(y_max / step) + 1)
        ]
        series = {name: Series(claimant=name, colour=colours[name]) for name in claimants}
        for index, point in enumerate(numbered):
            assert point.value is not None
            x, y = x_of(point.as_of), y_of(point.value)
            # Alternate labels above and below their point, so neighbours do not overlap; near
            # either edge, a label runs inwards.
            label_y = y - 8 if index % 2 == 0 or y > plot_bottom - 20 else y + 16
            anchor, label_x = "middle", x
            if x - plot_left < LABEL_ROOM:
                anchor, label_x = "start", x - 4
            elif plot_right - x < LABEL_ROOM:
                anchor, label_x = "end", x + 4
            series[point.claimant].points.append(
                ChartPoint(
                    x=x,
                    y=y,
                    label=_qualified(point, qualifier_labels),
                    label_x=label_x,
                    label_y=max(label_y, plot_top + 10),
                    label_anchor=anchor,
                    title=_title(point, qualifier_labels),
                )
            )
        for row, point in enumerate(worded):
            x = x_of(point.as_of)
            anchor, text = _fit(_worded(point, qualifier_labels), x, 0.0, float(WIDTH))
            series[point.claimant].annotations.append(
                Annotation(
                    x=x,
                    y=TOP + ANNOTATION_ROW * row + 4,
                    text=text,
                    anchor=anchor,
                    title=_title(point, qualifier_labels),
                    line_top=TOP + ANNOTATION_ROW * row + 8,
                    line_bottom=plot_bottom,
                )
            )
        panels.append(
            Panel(
                metric=metric,
                title=metric_labels.get(metric, metric),
                height=height,
                plot_top=plot_top,
                plot_bottom=plot_bottom,
                plot_left=plot_left,
                plot_right=plot_right,
                x_ticks=x_ticks,
                y_ticks=y_ticks,
                series=[s for s in series.values() if s.points or s.annotations],
            )
        )
    return FiguresChart(width=WIDTH, panels=panels, legend=legend)


# About the width of one character of an annotation (12 px italic), to keep its words on the chart.
CHAR_WIDTH = 6.6


def _fit(text: str, x: float, left: float, right: float) -> tuple[str, str]:
    """The side of ``x`` an annotation runs to (the one with room, else the roomier one), and
    its text, shortened with an ellipsis when even that side is too narrow (the full words stay
    in the point's title)."""
    room_right, room_left = right - x - 8, x - left - 8
    if len(text) * CHAR_WIDTH <= room_right:
        return "start", text
    if len(text) * CHAR_WIDTH <= room_left:
        return "end", text
    anchor, room = ("start", room_right) if room_right >= room_left else ("end", room_left)
    fits = max(int(room / CHAR_WIDTH) - 1, 1)
    return anchor, text[:fits].rstrip() + "…"


def _worded(point: FigurePoint, qualifiers: Mapping[str, str]) -> str:
    words = f"“{point.value_text}”"
    if point.qualifier != FigureQualifier.STATED:
        words = f"{qualifiers.get(point.qualifier, point.qualifier)} {words}"
    # The words first: when space runs out, the claimant (also in the legend) is what is cut.
    return f"{words}, {point.claimant} ({point.label})"


def _title(point: FigurePoint, qualifiers: Mapping[str, str]) -> str:
    claim = _qualified(point, qualifiers) if point.value is not None else f"“{point.value_text}”"
    return f"{point.claimant}, {point.label}: {claim}"

"""The geometry of the dossier's chart, drawn on the server as SVG (no script: the CSP allows
none): a state's membership on a time line, its recorded UN votes one tile each, coloured by
vote, beside the counts drawn by ``core.charts.counts_chart``. Numbers and plain strings only;
the template escapes every label."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .models import Vote
from .selectors.dossier import Membership, VoteRow

# Okabe-Ito: distinct on white and for the common colour-vision deficiencies.
VOTE_COLOURS: Mapping[str, str] = {
    Vote.IN_FAVOUR: "#009E73",
    Vote.AGAINST: "#D55E00",
    Vote.ABSTAINING: "#E69F00",
    Vote.ABSENT: "#999999",
}
WIDTH = 360
TILE = 22
TILE_GAP = 4
TIMELINE_LEFT = 10
TIMELINE_RIGHT = 10
TIMELINE_BAR_Y = 8
TIMELINE_BAR_HEIGHT = 16
TIMELINE_HEIGHT = 46


@dataclass(frozen=True)
class VoteTile:
    x: float
    y: float
    colour: str
    title: str  # "A/RES/79/1, 2025-12-03: In favour"


@dataclass(frozen=True)
class VoteTiles:
    width: int
    height: int
    tile: int
    tiles: list[VoteTile]
    legend: list[tuple[str, str]]  # (colour, label)


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Timeline:
    """A time line from the first date the dossier names to today, the membership shaded."""

    width: int
    height: int
    line_left: float
    line_right: float
    bar_y: int
    bar_height: int
    member_x: float | None
    member_width: float
    ticks: list[Tick]
    title: str

    @property
    def line_width(self) -> float:
        return self.line_right - self.line_left


def vote_tiles(votes: Sequence[VoteRow], *, labels: Mapping[str, str]) -> VoteTiles:
    """One tile per recorded vote, oldest first, wrapping onto as many rows as needed."""
    per_row = max((WIDTH + TILE_GAP) // (TILE + TILE_GAP), 1)
    ordered = sorted(votes, key=lambda row: (row.voted_on, row.resolution_id))
    tiles = []
    for index, row in enumerate(ordered):
        line, column = divmod(index, per_row)
        name = row.symbol or row.title
        tiles.append(
            VoteTile(
                x=float(column * (TILE + TILE_GAP)),
                y=float(line * (TILE + TILE_GAP)),
                colour=VOTE_COLOURS.get(row.vote, "#999999"),
                title=f"{name}, {row.voted_on.isoformat()}: {labels.get(row.vote, row.vote)}",
            )
        )
    rows = -(-len(ordered) // per_row) if ordered else 0
    return VoteTiles(
        width=WIDTH,
        height=max(rows * (TILE + TILE_GAP) - TILE_GAP, 0),
        tile=TILE,
        tiles=tiles,
        legend=[(VOTE_COLOURS[vote], labels.get(vote, vote)) for vote in Vote.values],
    )


def membership_timeline(
    membership: Membership | None,
    *,
    dates: Sequence[dt.date],
    today: dt.date,
    title: str,
) -> Timeline:
    """The membership, from joining to leaving (or today), on a line from the earliest of
    ``dates`` and the joining date to today, with a tick at each new year."""
    known = [day for day in dates if day <= today]
    if membership is not None and membership.joined_on is not None:
        known.append(membership.joined_on)
    start = min(known, default=today - dt.timedelta(days=365))
    start = dt.date(start.year, 1, 1)
    span = max((today - start).days, 1)
    left, right = float(TIMELINE_LEFT), float(WIDTH - TIMELINE_RIGHT)

    def x_of(day: dt.date) -> float:
        return left + (min(max(day, start), today) - start).days / span * (right - left)

    member_x, member_width = None, 0.0
    if membership is not None:
        joined = membership.joined_on or start
        left_on = membership.left_on if membership.left_on is not None else today
        member_x = x_of(joined)
        member_width = max(x_of(left_on) - member_x, 2.0)
    ticks = [
        Tick(at=x_of(dt.date(year, 1, 1)), label=str(year))
        for year in range(start.year, today.year + 1)
    ]
    return Timeline(
        width=WIDTH,
        height=TIMELINE_HEIGHT,
        line_left=left,
        line_right=right,
        bar_y=TIMELINE_BAR_Y,
        bar_height=TIMELINE_BAR_HEIGHT,
        member_x=member_x,
        member_width=member_width,
        ticks=ticks,
        title=title,
    )

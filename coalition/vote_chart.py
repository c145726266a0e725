"""The geometry of a resolution's vote chart, drawn server-side as SVG like the published
figures' chart (``sources.charts``): no script, no request elsewhere, nothing the CSP forbids.

One row per category (in favour, against, abstaining, absent): a pale bar for the total as
reported and a solid bar for the states entered, on one scale, each labelled with its number;
a total not reported says so instead of drawing a bar. Under it, the states entered, grouped
by vote. Everything here is numbers and plain strings; the template escapes every label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format

from .selectors.meetings import VoteTally

# Okabe-Ito, distinct for the common colour-vision deficiencies.
VOTE_COLOURS = {
    "in_favour": "#009E73",
    "against": "#D55E00",
    "abstaining": "#E69F00",
    "absent": "#999999",
}

WIDTH = 560
LABEL_WIDTH = 150
NUMBER_ROOM = 150
BAR_HEIGHT = 12
ROW_HEIGHT = 40


@dataclass(frozen=True)
class VoteRow:
    vote: str
    label: str
    colour: str
    reported: int | None
    entered: int
    y: float
    entered_y: float
    reported_width: float
    entered_width: float
    reported_text: str  # "91 reported" or "not reported"
    entered_text: str  # "7 entered"
    text_x: float


@dataclass(frozen=True)
class VoteGroup:
    vote: str
    label: str
    colour: str
    names: list[str]


@dataclass(frozen=True)
class VoteChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    rows: list[VoteRow]
    groups: list[VoteGroup]

    @property
    def any_reported(self) -> bool:
        return any(row.reported is not None for row in self.rows)


def vote_chart(
    tallies: Sequence[VoteTally], *, reported_word: str, entered_word: str, unreported: str
) -> VoteChart:
    """The chart of one resolution's vote; the words are given translated by the caller
    ("reported", "entered", "not reported")."""
    top = max(
        [t.reported or 0 for t in tallies] + [t.entered for t in tallies] + [1],
    )
    room = WIDTH - LABEL_WIDTH - NUMBER_ROOM
    rows = []
    for index, tally in enumerate(tallies):
        reported_width = room * (tally.reported or 0) / top
        entered_width = room * tally.entered / top
        rows.append(
            VoteRow(
                vote=tally.vote,
                label=tally.label,
                colour=VOTE_COLOURS.get(tally.vote, "#555555"),
                reported=tally.reported,
                entered=tally.entered,
                y=float(index * ROW_HEIGHT + 4),
                entered_y=float(index * ROW_HEIGHT + 4 + BAR_HEIGHT + 3),
                reported_width=reported_width,
                entered_width=entered_width,
                reported_text=(
                    f"{number_format(tally.reported, force_grouping=True)} {reported_word}"
                    if tally.reported is not None
                    else unreported
                ),
                entered_text=f"{number_format(tally.entered, force_grouping=True)} {entered_word}",
                text_x=LABEL_WIDTH + max(reported_width, entered_width) + 8,
            )
        )
    groups = [
        VoteGroup(
            vote=tally.vote,
            label=tally.label,
            colour=VOTE_COLOURS.get(tally.vote, "#555555"),
            names=[name for _code, name in tally.states],
        )
        for tally in tallies
        if tally.states
    ]
    return VoteChart(
        width=WIDTH,
        height=len(rows) * ROW_HEIGHT + 4,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        rows=rows,
        groups=groups,
    )

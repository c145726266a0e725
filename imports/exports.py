"""A run's results as a CSV: one line per candidate a reader may see (a row without any, one
line with its problems), formula-safe through ``core.spreadsheets``. The same rows as the JSON
results, so what a reader may see is decided once (``imports.selectors.match_runs``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

from django.utils.translation import gettext

from core.spreadsheets import csv_text

from .selectors.match_runs import RowAsSeen
from .services.match_runs import PROBLEM_MESSAGES

HEADER: Final = (
    "row",
    "ref",
    "id",
    "entry",
    "problems",
    "rank",
    "band",
    "score",
    "reasons",
    "visible",
    "organization",
    "case_number",
    "case_status",
    "access_scope",
    "given_name",
    "family_name",
    "patronymic",
    "date_of_birth",
    "sex",
    "origin_oblast",
    "external_references",
)
_CANDIDATE_COLUMNS: Final = len(HEADER) - 5


def _problems(row: RowAsSeen) -> str:
    return "; ".join(f"{column}: {PROBLEM_MESSAGES[code]}" for column, code in row.problems)


def result_lines(rows: Sequence[RowAsSeen]) -> Iterator[list[Any]]:
    """The CSV's lines after its header."""
    for row in rows:
        start = [row.row, row.ref, row.id, row.entry, _problems(row)]
        if not row.candidates:
            yield start + [None] * _CANDIDATE_COLUMNS
            continue
        for rank, seen in row.candidates:
            line = [*start, rank, seen.band]
            if seen.visible:
                line += [
                    round(seen.score, 4),
                    "; ".join(gettext(reason) for reason in seen.reasons),
                    "yes",
                    seen.organization_name,
                    seen.case_number,
                    seen.case_status,
                    seen.scope,
                    seen.given_name,
                    seen.family_name,
                    seen.patronymic,
                    seen.date_of_birth,
                    seen.sex,
                    seen.origin_oblast,
                    "; ".join(seen.external_references),
                ]
            else:
                # Held by another organization: its name only, so the reader can ask for a share.
                line += [None, None, "no", seen.organization_name] + [None] * 10
            yield line


def results_csv(rows: Sequence[RowAsSeen]) -> str:
    return csv_text(HEADER, result_lines(rows))

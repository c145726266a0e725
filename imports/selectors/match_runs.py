"""Reads of match runs: which runs a reader sees (their own; superusers every run), and a
run's results with each candidate as the reader may see it now.

The candidates kept with a run are what the matcher found (child, score, band, reasons). What
a reader is shown of each is ``cases.selectors_matching.candidates_as_seen``'s answer, asked
once for a whole run: visibility depends on the child and the band only, so each distinct
(child, band) is asked about once and the answer applied to every row that found it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from accounts.selectors import actor_roles
from cases.selectors import Viewer
from cases.selectors_matching import Candidate, SeenCandidate, candidates_as_seen

from ..models import MatchRun


def match_run_visible_to(*, actor: Viewer) -> QuerySet[MatchRun]:
    """The runs ``actor`` sees: those they ran; superusers every run; nobody else any."""
    # The uploaded list (up to the size limit) is read only by the run itself.
    runs = MatchRun.objects.select_related("child_list").defer("content")
    if actor is None or actor_roles(actor).is_superuser:
        return runs
    if not getattr(actor, "is_authenticated", False):
        return runs.none()
    return runs.filter(created_by_id=actor.pk)


@dataclass(frozen=True)
class RowAsSeen:
    """A row of a run's results as one reader sees it: the row's number, what it is known by,
    its problems, and its candidates with their rank among those found (1 = best)."""

    row: int
    ref: str
    id: str
    entry: int | None
    problems: tuple[tuple[str, str], ...]
    candidates: tuple[tuple[int, SeenCandidate], ...]


def _candidate(kept: dict[str, Any]) -> Candidate:
    return Candidate(
        child_id=int(kept["child"]),
        score=float(kept["score"]),
        band=kept["band"],
        reasons=tuple(kept["reasons"]),
    )


def match_run_results(
    *, actor: Viewer, run: MatchRun, rows: Sequence[int] | None = None
) -> list[RowAsSeen]:
    """The run's rows (or those numbered ``rows``) with their candidates as ``actor`` may see
    them: in the constant number of queries of one ``candidates_as_seen``."""
    kept = [r for r in (run.results or []) if rows is None or r["row"] in rows]
    distinct: dict[tuple[int, str], Candidate] = {}
    for result in kept:
        for item in result["candidates"]:
            candidate = _candidate(item)
            distinct.setdefault((candidate.child_id, candidate.band), candidate)
    seen = {
        (s.child_id, s.band): s
        for s in candidates_as_seen(actor=actor, candidates=list(distinct.values()))
    }
    shown: list[RowAsSeen] = []
    for result in kept:
        candidates: list[tuple[int, SeenCandidate]] = []
        for rank, item in enumerate(result["candidates"], start=1):
            candidate = _candidate(item)
            answer = seen.get((candidate.child_id, candidate.band))
            if answer is None:
                continue
            # This row's own score and reasons; a held candidate keeps none of its reasons.
            candidates.append(
                (
                    rank,
                    dataclasses.replace(
                        answer,
                        score=candidate.score,
                        reasons=candidate.reasons if answer.visible else answer.reasons,
                    ),
                )
            )
        shown.append(
            RowAsSeen(
                row=result["row"],
                ref=result.get("ref", ""),
                id=result.get("id", ""),
                entry=result.get("entry"),
                problems=tuple((p["column"], p["code"]) for p in result.get("problems", [])),
                candidates=tuple(candidates),
            )
        )
    return shown


def cases_shown(rows: Sequence[RowAsSeen]) -> list[int]:
    """The cases whose children ``rows`` show (for the audited read)."""
    return sorted(
        {
            seen.case_id
            for row in rows
            for _rank, seen in row.candidates
            if seen.visible and seen.case_id is not None
        }
    )

"""Reads of case imports: which imports an actor may see, their progress, and their matches
as the reader may see them.

An import is seen by whoever may import for its organization (``Capability.CASE_CREATE``) and
by superusers; anyone else is told it does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from accounts.roles import Capability
from accounts.selectors import actor_roles
from cases.selectors_matching import (
    HELD_BAND,
    Candidate,
    SeenCandidate,
    candidates_as_seen,
    seen_candidate_cases,
)

from ..exceptions import CaseImportNotFound
from ..models import CaseImport, ImportStatus
from ..services.imports import progress_key


def case_import_visible_to(*, actor: Any) -> QuerySet[CaseImport]:
    """The imports ``actor`` may see, the latest first."""
    queryset = CaseImport.objects.select_related("organization").defer("content")
    roles = actor_roles(actor)
    if roles.is_superuser:
        return queryset
    return queryset.filter(organization_id__in=sorted(roles.organizations(Capability.CASE_CREATE)))


def case_import_get(*, actor: Any, case_import_id: int) -> CaseImport:
    found = case_import_visible_to(actor=actor).filter(pk=case_import_id).first()
    if found is None:
        raise CaseImportNotFound()
    return found


def case_import_rows_done(case_import: CaseImport) -> int:
    """Rows processed so far: while a worker checks or writes the import, what it last told
    (its writes are in one transaction, invisible until the end); otherwise as stored."""
    if case_import.status in (ImportStatus.VALIDATING, ImportStatus.COMMITTING):
        told = cache.get(progress_key(case_import.pk))
        if told is not None:
            return min(int(told), case_import.rows_total)
    return case_import.rows_done


@dataclass(frozen=True)
class RowMatches:
    """A flagged row of an import and its candidates as the reader may see them."""

    row: int
    ref: str
    candidates: list[SeenCandidate]


def case_import_matches_as_seen(
    *, actor: Any, case_import: CaseImport
) -> tuple[list[RowMatches], list[int]]:
    """The import's flagged rows with their candidates as ``actor`` may see them now (a share
    granted or revoked since the check counts), and the ids of the cases they show (for the
    audited read). One pass of ``candidates_as_seen`` for every row."""
    matches = (case_import.report or {}).get("matches", [])
    flat: list[Candidate] = []
    for match in matches:
        for c in match["candidates"]:
            flat.append(Candidate(c["child_id"], c["score"], c["band"], tuple(c["reasons"])))
    seen = candidates_as_seen(actor=actor, candidates=flat)
    by_child: dict[int, SeenCandidate] = {s.child_id: s for s in seen}
    rows = []
    for match in matches:
        shown = []
        for c in match["candidates"]:
            known = by_child.get(c["child_id"])
            if known is None or (not known.visible and c["band"] != HELD_BAND):
                continue  # the same child may be held in one row's band and not another's
            shown.append(
                replace(
                    known,
                    score=c["score"],
                    band=c["band"],
                    reasons=tuple(c["reasons"]) if known.visible else (),
                )
            )
        rows.append(RowMatches(row=match["row"], ref=match["ref"], candidates=shown))
    return rows, sorted(set(seen_candidate_cases(seen)))

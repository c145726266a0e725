"""Possible duplicates: two registry children identity matching found alike, kept for a
caseworker to decide (the same child, merged; or different, never proposed again)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from ..models import Child, DuplicateDecision, DuplicatePair
from ..selectors_matching import Candidate


@transaction.atomic
def duplicate_pairs_propose(
    *, child: Child, candidates: Iterable[Candidate]
) -> list[DuplicatePair]:
    """Record each candidate (another registry child) as a possible duplicate of ``child``.

    A pair already decided is left as decided (a pair found different is never proposed again);
    an open pair takes the latest score, band and reasons. Derived from the children's own
    audited writes, so not audited on its own. Returns the open pairs written.
    """
    written: list[DuplicatePair] = []
    for candidate in candidates:
        if candidate.child_id == child.pk:
            continue
        first, second = sorted((child.pk, candidate.child_id))
        pair, created = DuplicatePair.objects.select_for_update().get_or_create(
            first_id=first,
            second_id=second,
            defaults={
                "score": candidate.score,
                "band": candidate.band,
                "reasons": list(candidate.reasons),
            },
        )
        if not created:
            if pair.decision != DuplicateDecision.OPEN:
                continue
            pair.score, pair.band = candidate.score, candidate.band
            pair.reasons = list(candidate.reasons)
            pair.save(update_fields=["score", "band", "reasons", "updated_at"])
        written.append(pair)
    return written


@transaction.atomic
def duplicate_pairs_propose_many(*, proposals: Sequence[tuple[Child, Sequence[Candidate]]]) -> int:
    """``duplicate_pairs_propose`` for many children at once (an import's written rows), with
    the same rules, in a constant number of queries: the pairs already known are read and
    locked together, the new ones inserted in one statement, the open ones updated in
    another. Returns the open pairs written."""
    wanted: dict[tuple[int, int], Candidate] = {}
    for child, candidates in proposals:
        for candidate in candidates:
            if candidate.child_id == child.pk:
                continue
            key = (min(child.pk, candidate.child_id), max(child.pk, candidate.child_id))
            if key not in wanted or candidate.score > wanted[key].score:
                wanted[key] = candidate
    if not wanted:
        return 0
    firsts = sorted({first for first, _second in wanted})
    known = {
        (pair.first_id, pair.second_id): pair
        for pair in DuplicatePair.objects.select_for_update()
        .filter(first_id__in=firsts, second_id__in=sorted({s for _f, s in wanted}))
        .order_by("pk")
    }
    now = timezone.now()
    created = []
    updated = []
    for (first, second), candidate in wanted.items():
        pair = known.get((first, second))
        if pair is None:
            created.append(
                DuplicatePair(
                    first_id=first,
                    second_id=second,
                    score=candidate.score,
                    band=candidate.band,
                    reasons=list(candidate.reasons),
                )
            )
        elif pair.decision == DuplicateDecision.OPEN:
            pair.score, pair.band = candidate.score, candidate.band
            pair.reasons = list(candidate.reasons)
            pair.updated_at = now
            updated.append(pair)
    # Derived from the children's own audited writes, as ``duplicate_pairs_propose`` says:
    # written without events of their own.
    DuplicatePair._base_manager.bulk_create(created)
    if updated:
        DuplicatePair._base_manager.bulk_update(updated, ["score", "band", "reasons", "updated_at"])
    return len(created) + len(updated)

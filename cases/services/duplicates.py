"""Possible duplicates: two registry children identity matching found alike, kept for a
caseworker to decide (the same child, merged; or different, never proposed again)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

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

"""Possible duplicates: two registry children identity matching found alike, kept for a
caseworker to decide (the same child, merged; or different, never proposed again). Deciding
is ``cases.services.merging``.

Pairs are found after a child is created or renamed (``duplicate_pairs_find_later``, which
has ``child_duplicate_pairs_find`` run in Celery once the write is committed) and by a
nightly scan of every child in batches (``duplicate_pairs_scan_batch``): a child written by a
path that skipped the first, or matching a child written since, is found by the second.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from celery import current_app
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..matching import DATE_OF_BIRTH_EQUAL, DATE_OF_BIRTH_SWAPPED, Match
from ..models import Child, DuplicateDecision, DuplicatePair
from ..selectors_duplicates import (
    children_for_matching,
    children_to_scan,
    duplicate_candidates,
    pair_match,
)
from ..selectors_matching import Candidate

DUPLICATE_PAIRS_FIND_TASK = "cases.duplicate_pairs_find"
# Children read and matched at a time by the nightly scan and the command.
SCAN_BATCH_SIZE = 500
# A pair is proposed for review when it is ``likely``, or ``possible`` with the same date of
# birth (or its day and month swapped): the child adopted under a new surname, whose given
# name, patronymic and birth date still agree. Other possible pairs are not: among 20,000
# synthetic children (all different) the scan found 8 likely pairs, 2 possible ones with an
# equal date of birth, and 1,496 other possible ones (namesakes a year apart, or with no date
# to tell them apart), which would bury the queue. A possible match still shows wherever a
# child is described (the create flow, the match endpoint, match runs).
_BIRTH_AGREES: Final = frozenset({DATE_OF_BIRTH_EQUAL, DATE_OF_BIRTH_SWAPPED})


def worth_review(band: str | None, reasons: Iterable[str]) -> bool:
    """Whether a match between two registry children goes to the review queue."""
    return band == "likely" or (band == "possible" and not _BIRTH_AGREES.isdisjoint(reasons))


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


def _withdraw_stale(children: list[Child], kept: set[tuple[int, int]]) -> int:
    """Delete the open pairs of ``children`` that were not just proposed and whose two
    children no longer match well enough (a name corrected since they were found). Open pairs are
    derived, like the name keys: not audited."""
    ids = [child.pk for child in children]
    open_pairs = [
        pair
        for pair in DuplicatePair.objects.filter(
            Q(first_id__in=ids) | Q(second_id__in=ids), decision=DuplicateDecision.OPEN
        )
        if (pair.first_id, pair.second_id) not in kept
    ]
    if not open_pairs:
        return 0
    loaded = {
        child.pk: child
        for child in children_for_matching(
            {i for pair in open_pairs for i in (pair.first_id, pair.second_id)}
        )
    }
    stale = []
    for pair in open_pairs:
        first, second = loaded.get(pair.first_id), loaded.get(pair.second_id)
        match: Match | None = pair_match(first, second) if first and second else None
        if match is None or not worth_review(match.band, match.reasons):
            stale.append(pair.pk)
    DuplicatePair.objects.filter(pk__in=stale).delete()
    return len(stale)


def _find(children: list[Child]) -> list[DuplicatePair]:
    found = duplicate_candidates(children=children)
    written: list[DuplicatePair] = []
    for child in children:
        proposed = [c for c in found[child.pk] if worth_review(c.band, c.reasons)]
        written.extend(duplicate_pairs_propose(child=child, candidates=proposed))
    _withdraw_stale(children, {(pair.first_id, pair.second_id) for pair in written})
    return written


@transaction.atomic
def child_duplicate_pairs_find(*, child_ids: Iterable[int]) -> list[DuplicatePair]:
    """Propose the possible duplicates of some children (created or renamed), and withdraw
    their open pairs that no longer match. Merged or missing children have none. Matched in
    batches of ``SCAN_BATCH_SIZE``; returns the open pairs written."""
    ids = sorted(set(child_ids))
    written: list[DuplicatePair] = []
    for start in range(0, len(ids), SCAN_BATCH_SIZE):
        children = children_for_matching(ids[start : start + SCAN_BATCH_SIZE])
        if children:
            written.extend(_find(children))
    return written


# The children whose pairs are to be found once their transaction commits, for this thread.
# One task is sent per transaction whatever the number of children it wrote (an import of
# thousands sends one); ids left by a rolled-back transaction go with the next one, and the
# task skips what does not exist.
_pending = threading.local()


def _send_pending() -> None:
    ids: set[int] = getattr(_pending, "ids", set())
    if not ids:
        return
    _pending.ids = set()
    current_app.tasks[DUPLICATE_PAIRS_FIND_TASK].delay(sorted(ids))


def duplicate_pairs_find_later(*, child: Child) -> None:
    """Have the child's possible duplicates found once the current transaction commits (in
    Celery, with every other child the transaction wrote: a write never waits for
    matching)."""
    pending: set[int] | None = getattr(_pending, "ids", None)
    if pending is None:
        pending = _pending.ids = set()
    pending.add(child.pk)
    transaction.on_commit(_send_pending)


@dataclass(frozen=True)
class ScanBatch:
    """What one batch of a full scan did; ``last_id`` is where the next batch starts
    (``None``: the scan is done)."""

    children: int
    pairs: int
    last_id: int | None


@transaction.atomic
def duplicate_pairs_scan_batch(
    *, after_id: int = 0, batch_size: int = SCAN_BATCH_SIZE
) -> ScanBatch:
    """Match the next ``batch_size`` children after ``after_id`` (by id) against the registry
    and propose their pairs: one step of the nightly scan, in its own transaction."""
    if batch_size < 1:
        raise ValueError("batch_size must be 1 or more")
    children = children_to_scan(after_id=after_id, batch_size=batch_size)
    if not children:
        return ScanBatch(children=0, pairs=0, last_id=None)
    written = _find(children)
    return ScanBatch(children=len(children), pairs=len(written), last_id=children[-1].pk)


@transaction.atomic
def duplicate_pairs_propose_many(*, proposals: Sequence[tuple[Child, Sequence[Candidate]]]) -> int:
    """``duplicate_pairs_propose`` for many children at once (an import's written rows), with
    the same rules, in a constant number of queries: the pairs already known are read and
    locked together, the new ones inserted in one statement, the open ones updated in
    another. Only the candidates ``worth_review`` are proposed. Returns the open pairs
    written."""
    wanted: dict[tuple[int, int], Candidate] = {}
    for child, candidates in proposals:
        for candidate in candidates:
            if candidate.child_id == child.pk or not worth_review(
                candidate.band, candidate.reasons
            ):
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

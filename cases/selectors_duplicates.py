"""Reads of the duplicate review: the other registry children one child may be, the pairs a
reader may decide, and each pair's two children side by side.

Who sees a pair: whoever may change both children, that is holds the ``case_write``
capability in an organization owning a case of each (caseworkers and supervisors, who also see
those cases in full), and superusers. A child merged into such a child counts as the child it
was merged into, so a decided pair stays in sight of those who decided it. Nobody else sees a
pair at all: deciding it merges records, and a pair names two children.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.roles import Capability
from accounts.selectors import actor_roles

from .exceptions import DuplicatePairNotFound
from .matching import Description, Match, description_from, score
from .models import (
    Case,
    Child,
    ChildAlias,
    DuplicateDecision,
    DuplicatePair,
    ExternalReference,
    Relative,
    Whereabouts,
)
from .selectors import Viewer, case_visible_to
from .selectors_matching import Candidate, child_candidates_many, child_description
from .workflow import Status

# The other children kept as possible duplicates of one child, best first.
PAIRS_PER_CHILD: Final = 5


# ---------------------------------------------------------------------------------------------
# Finding pairs
# ---------------------------------------------------------------------------------------------
def child_descriptions(child: Child) -> list[Description]:
    """The child as recorded, then under each alias (read as a full name, with the record's
    date of birth, sex and oblast). The aliases should be prefetched."""
    record = child_description(child)
    result = [record]
    for alias in child.aliases.all():
        names = description_from(full_name=alias.name)
        result.append(
            Description(
                given_name=names.given_name,
                family_name=names.family_name,
                patronymic=names.patronymic,
                date_of_birth=record.date_of_birth,
                sex=record.sex,
                origin_oblast=record.origin_oblast,
            )
        )
    return result


def children_for_matching(ids: Iterable[int]) -> list[Child]:
    """The children of ``ids`` that are records of their own (not merged), aliases
    prefetched, in id order."""
    return list(
        Child.objects.filter(pk__in=list(ids), merged_into__isnull=True)
        .prefetch_related(
            Prefetch("aliases", queryset=ChildAlias.objects.only("child_id", "name").order_by())
        )
        .order_by("pk")
    )


def children_to_scan(*, after_id: int, batch_size: int) -> list[Child]:
    """The next ``batch_size`` children after ``after_id`` by id that are records of their
    own, aliases prefetched: a full scan walks the registry with these."""
    ids = list(
        Child.objects.filter(pk__gt=after_id, merged_into__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    return children_for_matching(ids)


def duplicate_candidates(
    *, children: Sequence[Child], limit: int = PAIRS_PER_CHILD
) -> dict[int, list[Candidate]]:
    """For each of ``children``, the other registry children it may be, best first.

    Each child is looked up as recorded and under each alias, all in one call of
    ``child_candidates_many``; a candidate found several ways counts with its best score. The
    child itself and merged children are left out.
    """
    descriptions: list[Description] = []
    owners: list[int] = []
    for child in children:
        for description in child_descriptions(child):
            descriptions.append(description)
            owners.append(child.pk)
    found = child_candidates_many(descriptions=descriptions, limit=limit + 1)
    best: dict[int, dict[int, Candidate]] = {child.pk: {} for child in children}
    for owner, candidates in zip(owners, found, strict=True):
        for candidate in candidates:
            if candidate.child_id == owner:
                continue
            known = best[owner].get(candidate.child_id)
            if known is None or candidate.score > known.score:
                best[owner][candidate.child_id] = candidate
    others = {i for by_id in best.values() for i in by_id}
    merged = set(
        Child.objects.filter(pk__in=others, merged_into__isnull=False).values_list("pk", flat=True)
        if others
        else ()
    )
    return {
        owner: sorted(
            (c for c in by_id.values() if c.child_id not in merged),
            key=lambda c: (-c.score, c.child_id),
        )[:limit]
        for owner, by_id in best.items()
    }


def pair_match(first: Child, second: Child) -> Match:
    """How alike two registry children are: the best score of any of ``first``'s names
    against any of ``second``'s (aliases prefetched on both)."""
    best: Match | None = None
    for query in child_descriptions(first):
        for candidate in child_descriptions(second):
            match = score(query, candidate)
            if best is None or match.score > best.score:
                best = match
    assert best is not None  # each child has at least its own record
    return best


# ---------------------------------------------------------------------------------------------
# The pairs a reader may decide
# ---------------------------------------------------------------------------------------------
def duplicate_pairs_visible_to(*, actor: Viewer) -> QuerySet[DuplicatePair]:
    """The pairs ``actor`` may read and decide, whatever their decision (see the module's
    docstring for who that is). The system itself (``actor`` ``None``: tasks, commands) and
    superusers may decide every pair."""
    pairs = DuplicatePair.objects.all()
    if actor is None:
        return pairs
    roles = actor_roles(actor)
    if roles.is_superuser:
        return pairs
    writable = roles.organizations(Capability.CASE_WRITE)
    if not writable:
        return pairs.none()
    owned = Case.objects.filter(organization_id__in=writable).values("child_id")
    # A merged child counts as the child it was merged into (it has no case of its own).
    children = Child.objects.filter(Q(pk__in=owned) | Q(merged_into_id__in=owned)).values("pk")
    return pairs.filter(first_id__in=children, second_id__in=children)


def duplicate_pair_queue(*, actor: Viewer) -> QuerySet[DuplicatePair]:
    """The pairs waiting for ``actor``'s decision, the most alike first."""
    return duplicate_pairs_visible_to(actor=actor).filter(decision=DuplicateDecision.OPEN)


def duplicate_pair_get(*, actor: Viewer, pair_id: int | str) -> DuplicatePair:
    try:
        return duplicate_pairs_visible_to(actor=actor).select_related("decided_by").get(pk=pair_id)
    except (DuplicatePair.DoesNotExist, ValueError, TypeError) as exc:
        raise DuplicatePairNotFound() from exc


# ---------------------------------------------------------------------------------------------
# The two children side by side
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PairSide:
    """One child of a pair as the review shows it: the record, its aliases, how much hangs on
    it, and the cases of it the reader sees (open first)."""

    child: Child
    aliases: tuple[str, ...]
    cases: tuple[Case, ...]
    relatives: int
    whereabouts: int
    external_references: int

    @property
    def has_open_case(self) -> bool:
        return any(case.status != Status.CLOSED for case in self.cases)


@dataclass(frozen=True)
class PairView:
    """A pair with its two children side by side."""

    pair: DuplicatePair
    first: PairSide
    second: PairSide


def _count_of(model: type[Relative | Whereabouts | ExternalReference]) -> Coalesce:
    """How many rows of ``model`` a child has: a subquery each, so that counting three kinds
    of rows never multiplies them in one join."""
    rows = (
        model.objects.filter(child_id=OuterRef("pk"))
        .order_by()
        .values("child_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def duplicate_pair_views(*, actor: Viewer, pairs: Sequence[DuplicatePair]) -> list[PairView]:
    """``pairs`` with their children side by side, in order: three queries whatever their
    number (the children with their counts, their aliases, the cases the actor sees)."""
    ids = sorted({i for pair in pairs for i in (pair.first_id, pair.second_id)})
    if not ids:
        return []
    children = {
        child.pk: child
        for child in Child.objects.filter(pk__in=ids)
        .select_related("origin_oblast")
        .annotate(
            relatives_count=_count_of(Relative),
            whereabouts_count=_count_of(Whereabouts),
            references_count=_count_of(ExternalReference),
        )
        .prefetch_related(Prefetch("aliases", queryset=ChildAlias.objects.order_by("id")))
    }
    cases: dict[int, list[Case]] = {}
    for case in (
        case_visible_to(actor=actor)
        .filter(child_id__in=ids)
        .select_related("organization")
        .order_by("child_id", "-created_at", "-id")
    ):
        cases.setdefault(case.child_id, []).append(case)

    def side(child_id: int) -> PairSide:
        child = children[child_id]
        shown = sorted(cases.get(child_id, []), key=lambda c: c.status == Status.CLOSED)
        return PairSide(
            child=child,
            aliases=tuple(alias.name for alias in child.aliases.all()),
            cases=tuple(shown),
            relatives=getattr(child, "relatives_count", 0),
            whereabouts=getattr(child, "whereabouts_count", 0),
            external_references=getattr(child, "references_count", 0),
        )

    return [PairView(pair, side(pair.first_id), side(pair.second_id)) for pair in pairs]


def duplicate_pairs_cases(pairs: Iterable[DuplicatePair]) -> list[int]:
    """The ids of the cases of the children ``pairs`` name (for the audited read of a list
    that shows their names), in one query."""
    child_ids = sorted({i for pair in pairs for i in (pair.first_id, pair.second_id)})
    if not child_ids:
        return []
    return list(
        Case.objects.filter(child_id__in=child_ids).order_by("pk").values_list("pk", flat=True)
    )


def pair_view_cases(views: Iterable[PairView]) -> list[int]:
    """The ids of the cases ``views`` show (for the audited read)."""
    return [case.pk for view in views for side in (view.first, view.second) for case in side.cases]

"""Identity matching against the registry: the candidates for one description, from the index
of name keys (``ChildNameKey``), never from scanning every child, each scored by
``cases.matching.score``.

No visibility here: the callers decide what a reader may see of each candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from django.db.models import Count, Prefetch, Q

from .matching import (
    Band,
    DateOfBirth,
    Description,
    Match,
    Sex,
    description_from,
    query_name_keys,
    score,
)
from .models import Child, ChildAlias, ChildNameKey, DatePrecision
from .models import Sex as ChildSex

# At most this many children are scored for one description: those sharing the most keys.
CANDIDATE_POOL_SIZE: Final = 200

_SEX: Final[dict[str, Sex]] = {ChildSex.MALE: "M", ChildSex.FEMALE: "F"}
_SCORED_FIELDS: Final = (
    "given_name",
    "family_name",
    "patronymic",
    "date_of_birth",
    "date_of_birth_precision",
    "sex",
    "origin_oblast",
)


@dataclass(frozen=True)
class Candidate:
    """A registry child that may be the one described, with how well it fits and why."""

    child_id: int
    score: float
    band: Band
    reasons: tuple[str, ...]


def child_description(child: Child) -> Description:
    """A registry child as the scorer reads it. An estimated date counts as its year only."""
    date_of_birth: DateOfBirth | None = None
    dob = child.date_of_birth
    if dob is not None:
        precision = child.date_of_birth_precision
        if precision == DatePrecision.EXACT:
            date_of_birth = DateOfBirth(dob.year, dob.month, dob.day)
        elif precision == DatePrecision.MONTH:
            date_of_birth = DateOfBirth(dob.year, dob.month)
        else:
            date_of_birth = DateOfBirth(dob.year)
    return Description(
        given_name=child.given_name or None,
        family_name=child.family_name or None,
        patronymic=child.patronymic or None,
        date_of_birth=date_of_birth,
        sex=_SEX.get(child.sex),
        origin_oblast=child.origin_oblast_id,
    )


def _alias_descriptions(child: Child, record: Description) -> list[Description]:
    """Each alias read as a full name, with the record's date of birth, sex and oblast."""
    result = []
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


def _candidate_ids(description: Description, *, pool: int) -> list[int]:
    """The children sharing the keys that make a candidate, most keys shared first.

    A candidate shares a given-name key and a family-name or patronymic key (the patronymic
    finds a child adopted under a new surname); without a given name, a family-name and a
    patronymic key.
    """
    keys = query_name_keys(description)
    if not keys:
        return []
    rows = (
        ChildNameKey.objects.filter(key__in=keys)
        .values("child_id")
        .annotate(
            given=Count("pk", filter=Q(key__startswith="g:")),
            family=Count("pk", filter=Q(key__startswith="f:")),
            patronymic=Count("pk", filter=Q(key__startswith="p:")),
            shared=Count("pk"),
        )
    )
    if description.given_name:
        rows = rows.filter(Q(given__gt=0) & (Q(family__gt=0) | Q(patronymic__gt=0)))
    else:
        rows = rows.filter(family__gt=0, patronymic__gt=0)
    ordered = rows.order_by("-shared", "child_id").values_list("child_id", flat=True)
    return list(ordered[:pool])


def child_candidates(*, description: Description, limit: int = 5) -> list[Candidate]:
    """The registry children that may be the one described, best first, at most ``limit``.

    Three queries whatever the registry's size: the candidates' ids from the key index, the
    children, and their aliases. Each child is scored as recorded and under each alias; the
    best counts. Children without a band are left out.
    """
    ids = _candidate_ids(description, pool=CANDIDATE_POOL_SIZE)
    if not ids:
        return []
    children = (
        Child.objects.filter(pk__in=ids)
        .only(*_SCORED_FIELDS)
        .prefetch_related(
            Prefetch("aliases", queryset=ChildAlias.objects.only("child_id", "name").order_by())
        )
    )
    candidates = []
    for child in children:
        record = child_description(child)
        best: Match = score(description, record)
        for alias in _alias_descriptions(child, record):
            match = score(description, alias)
            if match.score > best.score:
                best = match
        if best.band is not None:
            candidates.append(Candidate(child.pk, best.score, best.band, best.reasons))
    candidates.sort(key=lambda c: (-c.score, c.child_id))
    return candidates[:limit]

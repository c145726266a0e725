"""Identity matching against the registry: the candidates for one description, from the index
of name keys (``ChildNameKey``), never from scanning every child, each scored by
``cases.matching.score``.

``child_candidates`` knows no reader; ``candidates_as_seen`` then says what one reader may see
of each candidate. Every door (the create flow, the match endpoint, match runs, imports) shows
candidates through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext

from accounts.roles import Capability
from accounts.selectors import actor_roles
from core.db import jit_off

from .matching import (
    Band,
    DateOfBirth,
    Description,
    Match,
    Sex,
    description_from,
    query_name_keys,
    query_pair_keys,
    score,
)
from .models import (
    Case,
    Child,
    ChildAlias,
    ChildNameKey,
    DatePrecision,
    ExternalReference,
    ShareScope,
)
from .models import Sex as ChildSex
from .selectors import ACCESS, Viewer, case_is_full, case_visible_to, reads_cases
from .workflow import Status

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
    return Description(
        given_name=child.given_name or None,
        family_name=child.family_name or None,
        patronymic=child.patronymic or None,
        date_of_birth=recorded_date_of_birth(child.date_of_birth, child.date_of_birth_precision),
        sex=_SEX.get(child.sex),
        origin_oblast=child.origin_oblast_id,
    )


def _alias_description(name: str, record: Description) -> Description:
    """An alias read as a full name, with the record's date of birth, sex and oblast."""
    names = description_from(full_name=name)
    return Description(
        given_name=names.given_name,
        family_name=names.family_name,
        patronymic=names.patronymic,
        date_of_birth=record.date_of_birth,
        sex=record.sex,
        origin_oblast=record.origin_oblast,
    )


def _alias_descriptions(child: Child, record: Description) -> list[Description]:
    """Each alias read as a full name, with the record's date of birth, sex and oblast."""
    return [_alias_description(alias.name, record) for alias in child.aliases.all()]


# Descriptions whose keys go to the database in one query: a bound on the statement's
# parameters (SQLite allows 32,766) and on the database's aggregation at once.
KEY_QUERY_BATCH: Final = 100


# The candidates' ids for a batch of descriptions, at most a pool of each: the keys each child
# shares with each description counted, then ranked within the description. Pair keys are
# shared by few children: each one's date of birth is looked up by its id (a join would read
# every child). Word keys of the second look are shared by many: the children are joined, and
# only those born in the description's year kept.
# How many keys each child shares with each description: the inner query of both.
_SHARED_SQL: Final = """
    SELECT wanted.description AS description, k.child_id AS child_id, COUNT(*) AS keys
    FROM ({wanted}) wanted JOIN {keys} k ON k.key = wanted.key
    GROUP BY wanted.description, k.child_id
"""
# The same on PostgreSQL: each wanted key looked up in the key index on its own (a lateral
# subquery the planner may not flatten, ``OFFSET 0``). Joined plainly, the planner estimates
# about ten children a key from the key column's statistics, where most keys have one or two,
# and may hash the whole table of keys for a batch's thousand: measured on a registry of
# 30,000 children (434,000 keys), the plain join read every key for each batch (186 ms in
# ``EXPLAIN ANALYZE``, against 37 ms probed), and the cost would grow with the registry.
_SHARED_SQL_PROBED: Final = """
    SELECT wanted.description AS description, k.child_id AS child_id, COUNT(*) AS keys
    FROM ({wanted}) wanted CROSS JOIN LATERAL (
        SELECT k.child_id FROM {keys} k WHERE k.key = wanted.key OFFSET 0
    ) k
    GROUP BY wanted.description, k.child_id
"""
_POOL_SQL: Final = """
    SELECT description, child_id FROM (
        SELECT dated.description AS description, dated.child_id AS child_id,
            ROW_NUMBER() OVER (
                PARTITION BY dated.description
                ORDER BY dated.keys DESC,
                    CASE WHEN dated.date_of_birth BETWEEN born.born_from AND born.born_to
                        THEN 0 ELSE 1 END,
                    dated.child_id
            ) AS place
        FROM (
            SELECT shared.description AS description, shared.child_id AS child_id,
                shared.keys AS keys,
                (SELECT c.date_of_birth FROM {children} c WHERE c.id = shared.child_id)
                    AS date_of_birth
            FROM ({shared}) shared
            -- A child merged into another is a pointer, never a candidate (its keys may
            -- survive from before merges dropped them: keep them out of the pool).
            WHERE NOT EXISTS (
                SELECT 1 FROM {children} m
                WHERE m.id = shared.child_id AND m.merged_into_id IS NOT NULL
            )
        ) dated
        JOIN ({born}) born ON born.description = dated.description
    ) ranked
    WHERE place <= %s
    ORDER BY description, place
"""
_SAME_YEAR_SQL: Final = """
    SELECT description, child_id FROM (
        SELECT shared.description AS description, shared.child_id AS child_id,
            ROW_NUMBER() OVER (
                PARTITION BY shared.description
                ORDER BY shared.keys DESC, shared.child_id
            ) AS place
        FROM ({shared}) shared
            JOIN ({born}) born ON born.description = shared.description
            JOIN {children} c ON c.id = shared.child_id
        WHERE c.merged_into_id IS NULL
            AND c.date_of_birth BETWEEN born.born_from AND born.born_to
    ) ranked
    WHERE place <= %s
    ORDER BY description, place
"""
# The year range of a description without a date of birth: no child is born in it.
_NO_YEAR: Final = (dt.date(1, 1, 1), dt.date(1, 1, 1))
_Param = int | str | dt.date | list[Any]


_UNNEST_SQL: Final = "SELECT * FROM unnest({arrays}) AS t({names})"
_VALUES_SQL: Final = "SELECT {renamed} FROM (VALUES {rows})"


def _rows(
    columns: Sequence[str], types: Sequence[str], rows: Sequence[tuple[_Param, ...]]
) -> tuple[str, list[_Param]]:
    """A derived table of ``rows`` with ``columns`` and its parameters: one array parameter a
    column on PostgreSQL (a statement of thousands of placeholders costs more to send than to
    run), a ``VALUES`` list on SQLite (which names its columns column1, column2...)."""
    if not rows:  # an empty table of the same columns
        return "SELECT " + ", ".join(f"NULL AS {name}" for name in columns) + " WHERE 1 = 0", []
    if connection.vendor == "postgresql":
        sql = _UNNEST_SQL.format(
            arrays=", ".join(f"%s::{kind}[]" for kind in types), names=", ".join(columns)
        )
        return sql, [list(column) for column in zip(*rows, strict=True)]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = _VALUES_SQL.format(
        renamed=", ".join(f"column{i + 1} AS {name}" for i, name in enumerate(columns)),
        rows=", ".join([placeholders] * len(rows)),
    )
    return sql, [value for row in rows for value in row]


def _candidate_ids_many(
    descriptions: Sequence[Description], *, pool: int, same_year: bool = False
) -> list[list[int]]:
    """For each description, the children sharing the keys that make a candidate, at most
    ``pool``: one query for a batch of descriptions.

    A candidate shares word keys of two roles: a given name and a family name or patronymic
    (the patronymic finds a child adopted under a new surname), or a family name and a
    patronymic (a given name Russified past recognition). The index holds that as pair keys
    (``matching.pair_keys``), so a common given name does not bring every child who has it.
    With ``same_year``, one word key is enough for a child born in the year the description
    gives (a typing slip in one word of a name of two). The database counts the keys each
    child shares with each description and keeps the first ``pool`` of each (a window over the
    description): most keys shared first, then those born in the description's year
    (namesakes of a common name can outnumber the pool), so only those ids travel. A child
    merged into another has no keys (the merge drops them), so it is never a candidate.
    """
    result: list[list[int]] = [[] for _ in descriptions]
    keys: list[tuple[int, str]] = []
    years: list[tuple[int, dt.date, dt.date]] = []
    for index, description in enumerate(descriptions):
        born = description.date_of_birth
        if same_year and born is None:
            continue
        found = sorted(query_name_keys(description) if same_year else query_pair_keys(description))
        if not found:
            continue
        keys += [(index, key) for key in found]
        years.append(
            (index, *_NO_YEAR)
            if born is None
            else (index, dt.date(born.year, 1, 1), dt.date(born.year, 12, 31))
        )
    if not keys:
        return result
    wanted, wanted_params = _rows(("description", "key"), ("int", "text"), keys)
    born_sql, born_params = _rows(
        ("description", "born_from", "born_to"), ("int", "date", "date"), years
    )
    shared = (_SHARED_SQL_PROBED if connection.vendor == "postgresql" else _SHARED_SQL).format(
        wanted=wanted, keys=connection.ops.quote_name(ChildNameKey._meta.db_table)
    )
    sql = (_SAME_YEAR_SQL if same_year else _POOL_SQL).format(
        shared=shared,
        born=born_sql,
        children=connection.ops.quote_name(Child._meta.db_table),
    )
    # Estimated per key from the key column's statistics, the query costs enough for JIT
    # compilation, which takes many times longer than the query runs.
    with connection.cursor() as cursor, jit_off(cursor):
        cursor.execute(sql, [*wanted_params, *born_params, pool])
        for index, child_id in cursor.fetchall():
            result[index].append(child_id)
    return result


def recorded_date_of_birth(dob: dt.date | None, precision: str) -> DateOfBirth | None:
    """A recorded date of birth as the scorer reads it: an estimated date counts as its year."""
    if dob is None:
        return None
    if precision == DatePrecision.EXACT:
        return DateOfBirth(dob.year, dob.month, dob.day)
    if precision == DatePrecision.MONTH:
        return DateOfBirth(dob.year, dob.month)
    return DateOfBirth(dob.year)


# A child as the scorer reads it: as recorded, then under each alias.
_Readings = tuple[Description, ...]


def _id_set(ids: Sequence[int]) -> RawSQL:
    """``ids`` as a subquery for ``__in``: one parameter on PostgreSQL, where a list of
    thousands of ids costs more to send than to look up."""
    sql, params = _rows(("id",), ("int",), [(i,) for i in ids])
    return RawSQL(sql, params)  # noqa: S611 - SQL of constants; the ids are a bound parameter


def _children(ids: Iterable[int]) -> dict[int, _Readings]:
    """The children of ``ids`` that are not merged into another, each read as recorded and
    under each alias: two queries of plain values (no model instances: an import reads
    thousands)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    records = {
        child_id: Description(
            given_name=given or None,
            family_name=family or None,
            patronymic=patronymic or None,
            date_of_birth=recorded_date_of_birth(dob, precision),
            sex=_SEX.get(sex),
            origin_oblast=oblast,
        )
        for child_id, given, family, patronymic, dob, precision, sex, oblast in (
            Child.objects.filter(pk__in=_id_set(wanted), merged_into__isnull=True).values_list(
                "pk", *_SCORED_FIELDS
            )
        )
    }
    if not records:  # all merged since they were drawn
        return {}
    aliases: dict[int, list[Description]] = {}
    for child_id, name in (
        ChildAlias.objects.filter(child_id__in=_id_set(list(records)))
        .order_by()
        .values_list("child_id", "name")
    ):
        aliases.setdefault(child_id, []).append(_alias_description(name, records[child_id]))
    return {child_id: (record, *aliases.get(child_id, ())) for child_id, record in records.items()}


def _scored(
    description: Description, ids: Sequence[int], children: dict[int, _Readings], limit: int
) -> list[Candidate]:
    """The children of ``ids`` with a band, best first: each scored as recorded and under each
    alias, the best counting."""
    candidates = []
    for child_id in ids:
        readings = children.get(child_id)
        if readings is None:
            continue
        best: Match | None = None
        for reading in readings:
            match = score(description, reading)
            if best is None or match.score > best.score:
                best = match
        if best is not None and best.band is not None:
            candidates.append(Candidate(child_id, best.score, best.band, best.reasons))
    candidates.sort(key=lambda c: (-c.score, c.child_id))
    return candidates[:limit]


def child_candidates(*, description: Description, limit: int = 5) -> list[Candidate]:
    """The registry children that may be the one described, best first, at most ``limit``.

    Three queries whatever the registry's size (the candidates' ids from the key index, the
    children, their aliases), three more when none of them fits and the description gives a
    date of birth (see ``child_candidates_many``). Each child is scored as recorded and under
    each alias; the best counts. Children without a band are left out, and so are children
    merged into another (a pointer, not a child).
    """
    return child_candidates_many(descriptions=[description], limit=limit)[0]


@dataclass(frozen=True)
class CandidatePools:
    """The database's share of matching many descriptions: for each description the ids of
    the children sharing the keys that make a candidate (at most ``CANDIDATE_POOL_SIZE``,
    ``_candidate_ids_many``), and those children read for scoring."""

    ids: list[list[int]]
    children: dict[int, _Readings]

    def only(self, indexes: Sequence[int]) -> CandidatePools:
        """The pools of the descriptions at ``indexes``, in that order."""
        return CandidatePools([self.ids[index] for index in indexes], self.children)


def candidate_pools(*, descriptions: Sequence[Description]) -> CandidatePools:
    """The candidates' ids of ``descriptions`` from the key index, one query for every
    ``KEY_QUERY_BATCH`` descriptions, and the children among them (two queries a batch). Reads
    only: a caller may draw the pools while it works on something else
    (``core.db.alongside``) and score them after (``child_candidates_many(pools=...)``)."""
    ids: list[list[int]] = []
    children: dict[int, _Readings] = {}
    for start in range(0, len(descriptions), KEY_QUERY_BATCH):
        found = _candidate_ids_many(
            descriptions[start : start + KEY_QUERY_BATCH], pool=CANDIDATE_POOL_SIZE
        )
        children |= _children(
            child_id for pool in found for child_id in pool if child_id not in children
        )
        ids += found
    return CandidatePools(ids, children)


def child_candidates_many(
    *,
    descriptions: Sequence[Description],
    limit: int = 5,
    second_look: bool = True,
    pools: CandidatePools | None = None,
) -> list[list[Candidate]]:
    """``child_candidates`` for each of many descriptions (a list, an import), in order.

    For every ``KEY_QUERY_BATCH`` descriptions: the candidates' ids of the whole batch from
    the key index in one query, then the children and their aliases (``candidate_pools``;
    ``pools`` when drawn before, one for each description). The descriptions left without a
    candidate that give a date of birth are asked again (``second_look``), in one query, for
    children born that year sharing a single key: a slip in one word of a two-word name leaves
    only one role's keys in common, and the year keeps the net narrow. An import, whose rows
    are mostly children the registry does not hold, leaves the second look to the nightly
    duplicate scan, which takes it.
    """
    if pools is None:
        pools = candidate_pools(descriptions=descriptions)
    if len(pools.ids) != len(descriptions):
        raise ValueError("One pool of candidates is needed for each description.")
    children = dict(pools.children)  # and those the second look reads
    result: list[list[Candidate]] = []
    for start in range(0, len(descriptions), KEY_QUERY_BATCH):
        batch = descriptions[start : start + KEY_QUERY_BATCH]
        found = [
            _scored(description, pool, children, limit)
            for description, pool in zip(batch, pools.ids[start : start + len(batch)], strict=True)
        ]
        missing = [i for i, candidates in enumerate(found) if not candidates]
        if missing and second_look:
            again = _candidate_ids_many(
                [batch[i] for i in missing], pool=CANDIDATE_POOL_SIZE, same_year=True
            )
            children |= _children(
                child_id for pool in again for child_id in pool if child_id not in children
            )
            for i, pool in zip(missing, again, strict=True):
                found[i] = _scored(batch[i], pool, children, limit)
        result += found
    return result


# ---------------------------------------------------------------------------------------------
# Candidates as a reader may see them
# ---------------------------------------------------------------------------------------------
def may_match(actor: Viewer) -> bool:
    """Whether ``actor`` may ask who in the registry a description may be: whoever reads
    cases, opens them, or coordinates the coalition (which matches lists of named children).
    What each sees of the candidates is ``candidates_as_seen``'s to say."""
    roles = actor_roles(actor)
    return (
        reads_cases(actor)
        or roles.can(Capability.CASE_CREATE)
        or roles.can(Capability.WRITE_COALITION)
    )


# Shown as a held match to a reader who may not see the child: only this band, so that nobody
# can probe the registry name by name for children of other organizations.
HELD_BAND: Final = "likely"


@dataclass(frozen=True)
class SeenCandidate:
    """A candidate as one reader may see it.

    Visible (the reader sees one of the child's cases): the case, its organization, the child's
    names, date of birth (the year only through a limited share), sex and oblast, and the
    external references the reader's organizations gave the child. Held by another
    organization: only the band and the organization's name ("a likely match is held by
    ORGANIZATION"), so the reader can ask for a share; no personal data, no case number.
    """

    child_id: int
    score: float
    band: Band
    reasons: tuple[str, ...]
    visible: bool
    organization_id: int | None
    organization_name: str
    case_id: int | None = None
    case_number: str = ""
    case_status: str = ""
    scope: str = ""
    given_name: str = ""
    family_name: str = ""
    patronymic: str = ""
    date_of_birth: str = ""
    sex: str = ""
    origin_oblast: str = ""
    external_references: tuple[str, ...] = ()


def _date_text(child: Child, *, limited: bool) -> str:
    """The child's date of birth as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` by its precision;
    the year only through a limited share."""
    dob = child.date_of_birth
    if dob is None:
        return ""
    if limited or child.date_of_birth_precision not in (DatePrecision.EXACT, DatePrecision.MONTH):
        return f"{dob.year:04d}"
    if child.date_of_birth_precision == DatePrecision.MONTH:
        return f"{dob.year:04d}-{dob.month:02d}"
    return dob.isoformat()


def candidates_as_seen(*, actor: Viewer, candidates: Sequence[Candidate]) -> list[SeenCandidate]:
    """``candidates`` as ``actor`` may see them, in the same order.

    A child is visible when the actor sees one of its cases (``case_visible_to``): the open case
    first, else the latest. A child the actor cannot see is shown as held by the organization
    of its open (else latest) case, and only when its band is ``likely``; otherwise it is left
    out. A constant number of queries whatever the number of candidates.
    """
    if not candidates:
        return []
    child_ids = [c.child_id for c in candidates]
    order = ("child_id", "-still_open", "-created_at", "-id")
    visible_cases: dict[int, Case] = {}
    for row in (
        case_visible_to(actor=actor)
        .filter(child_id__in=child_ids)
        .annotate(still_open=~Q(status=Status.CLOSED))
        .select_related("child", "organization")
        .order_by(*order)
    ):
        visible_cases.setdefault(row.child_id, row)
    held: dict[int, tuple[int, str]] = {}
    hidden_ids = [i for i in child_ids if i not in visible_cases]
    if hidden_ids:
        for child_id, organization_id, name in (
            Case.objects.filter(child_id__in=hidden_ids)
            .annotate(still_open=~Q(status=Status.CLOSED))
            .order_by(*order)
            .values_list("child_id", "organization_id", "organization__name")
        ):
            held.setdefault(child_id, (organization_id, name))
    references: dict[int, list[str]] = {}
    own = sorted(actor_roles(actor).organizations(Capability.CASE_READ))
    if visible_cases and own:
        for child_id, reference in (
            ExternalReference.objects.filter(
                child_id__in=list(visible_cases), organization_id__in=own
            )
            .order_by("child_id", "reference")
            .values_list("child_id", "reference")
        ):
            references.setdefault(child_id, []).append(reference)
    seen: list[SeenCandidate] = []
    for candidate in candidates:
        shown = visible_cases.get(candidate.child_id)
        if shown is not None:
            case, child = shown, shown.child
            limited = not case_is_full(case)
            seen.append(
                SeenCandidate(
                    child_id=candidate.child_id,
                    score=candidate.score,
                    band=candidate.band,
                    reasons=candidate.reasons,
                    visible=True,
                    organization_id=case.organization_id,
                    organization_name=case.organization.name if case.organization else "",
                    case_id=case.pk,
                    case_number=case.number,
                    case_status=case.status,
                    scope=getattr(case, ACCESS, ShareScope.FULL),
                    given_name=child.given_name,
                    family_name=child.family_name,
                    patronymic=child.patronymic,
                    date_of_birth=_date_text(child, limited=limited),
                    sex=child.sex,
                    origin_oblast=child.origin_oblast_id or "",
                    external_references=tuple(references.get(candidate.child_id, ())),
                )
            )
        elif candidate.band == HELD_BAND and candidate.child_id in held:
            organization_id, name = held[candidate.child_id]
            seen.append(
                SeenCandidate(
                    child_id=candidate.child_id,
                    score=candidate.score,
                    band=candidate.band,
                    reasons=(),
                    visible=False,
                    organization_id=organization_id,
                    organization_name=name,
                )
            )
    return seen


def seen_candidate_cases(seen: Sequence[SeenCandidate]) -> list[int]:
    """The ids of the cases whose personal data ``seen`` shows (for the audited read)."""
    return [c.case_id for c in seen if c.visible and c.case_id is not None]


def reasons_in_words(reasons: Iterable[str]) -> list[str]:
    """A candidate's reasons in the reader's language (the scorer gives them in English)."""
    return [gettext(reason) for reason in reasons]


# ---------------------------------------------------------------------------------------------
# Before opening a case for a new child
# ---------------------------------------------------------------------------------------------
def new_child_candidates(
    *, actor: Viewer, child: Child, alias_names: Iterable[str] = (), limit: int = 5
) -> list[SeenCandidate]:
    """The registry children that may be the new ``child`` (unsaved: its fields as entered),
    as ``actor`` may see them, best first: the likely and possible candidates to look at
    before opening a case for it.

    The child's record and each alias given with it are matched; a candidate found both ways
    counts once, at its best.
    """
    record = child_description(child)
    descriptions = [record]
    descriptions.extend(_alias_description(name, record) for name in alias_names if name.strip())
    best: dict[int, Candidate] = {}
    for found in child_candidates_many(descriptions=descriptions, limit=limit):
        for candidate in found:
            kept = best.get(candidate.child_id)
            if candidate.child_id != child.pk and (kept is None or candidate.score > kept.score):
                best[candidate.child_id] = candidate
    ranked = sorted(best.values(), key=lambda c: (-c.score, c.child_id))[:limit]
    return candidates_as_seen(actor=actor, candidates=ranked)


def likely_among(seen: Iterable[SeenCandidate]) -> bool:
    """Whether any of ``seen`` is a likely match (what stops a case opening unconfirmed)."""
    return any(candidate.band == "likely" for candidate in seen)

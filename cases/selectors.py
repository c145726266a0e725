"""Every read of the case registry. Visibility is decided here, in ``case_visible_to``, and nowhere
else: the API, the admin, exports, reports and tasks all start from it."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar, cast

from django.contrib.auth.models import AnonymousUser
from django.db import NotSupportedError, connections
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    Expression,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.sql.constants import INNER
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries
from psycopg import sql as psycopg_sql

from accounts.models import Organization, User
from accounts.roles import ASSIGNABLE_ROLES, Capability, capabilities_of
from accounts.selectors import actor_roles, users_with_role
from audit import selectors as audit_selectors
from audit import services as audit_services
from core.compiled import CompiledValues
from core.db import InArray
from core.errors import PermissionDenied

from . import names, workflow
from .counts import kept_registry_counts
from .exceptions import CaseNotFound
from .models import (
    Case,
    CaseNumberSequence,
    CaseShare,
    Child,
    ChildAlias,
    ClosureRequest,
    Facility,
    FollowUp,
    Oblast,
    Relative,
    Service,
    ShareScope,
    StatusChange,
    Whereabouts,
)

Viewer = User | AnonymousUser | None

# Up to this many matching children, search filters cases by a list of child ids (found
# through the index on the child, a probe each); past it, a fragment matches so densely that
# walking the list's ordering index finds a page sooner. The two cost the same near
# sqrt(50 x cases): some 7,000 at a million cases.
SEARCH_ID_LIST_LIMIT = 10_000
CASE_NUMBER_RE = re.compile(r"^ua-\d{0,4}(-\d{0,6})?$", re.IGNORECASE)
# A case number typed bare: without "UA-", with spaces for hyphens, or run together
# ("2026-000123", "ua 2026 123", "2026000123"); the year alone lists that year's cases.
BARE_CASE_NUMBER_RE = re.compile(
    r"^(?:ua)?[\s-]*(?P<year>\d{4})(?:[\s-]+(?P<apart>\d{1,6})|(?P<joined>\d{6}))?$",
    re.IGNORECASE,
)
# The sequence part of a number alone ("123", "000123"): that number in every year.
CASE_SEQUENCE_RE = re.compile(r"^\d{1,6}$")


_CaseRows = TypeVar("_CaseRows", QuerySet[Case], QuerySet[Case, dict[str, Any]])

# The name of the annotation that says with which scope the actor sees each case.
ACCESS = "access_scope"
# Up to this many live shares, visibility filters cases by a list of shared case ids.
SHARE_ID_LIST_LIMIT = 5000


def _live_shares(
    organization_ids: list[int], *, scope: str | None = None, at: dt.datetime | None = None
) -> QuerySet[CaseShare]:
    shares = CaseShare.objects.active(at).filter(InArray(F("organization_id"), organization_ids))
    return shares.filter(scope=scope) if scope else shares


# Read on every request that lists or opens cases: compiled once (``core.compiled``).
_LIVE_SHARE_ROWS = CompiledValues(
    lambda organization_ids, at: _live_shares(organization_ids, at=at).values_list(
        "case_id", "scope"
    )[: SHARE_ID_LIST_LIMIT + 1],
    organization_ids=list[int],
    at=dt.datetime,
)


def reads_all_cases(actor: Viewer) -> bool:
    """Superusers and auditors: every case, in full (reading only, for auditors)."""
    roles = actor_roles(actor)
    return roles.is_superuser or roles.can(Capability.READ_ALL_CASES)


def reads_cases(actor: Viewer) -> bool:
    """Whether ``actor`` sees any cases at all (``case_visible_to`` says which): a reading
    role somewhere, an auditor's or a superuser's. Coordinators see counts only."""
    return reads_all_cases(actor) or actor_roles(actor).can(Capability.CASE_READ)


def _visible(queryset: _CaseRows, actor: Viewer) -> _CaseRows:
    """Narrow any queryset of cases (of models or of values) to what ``actor`` may see, and
    annotate each with the scope it is seen with (``access_scope``: full or limited).

    - superusers and auditors: every case, full;
    - caseworkers and supervisors: their organizations' cases, full;
    - partners: the cases they submitted themselves (created by the person, or by the API
      key's service account), full; never the other cases of their organization (least
      privilege: a partner system sees what it sent and what was shared with it);
    - all of these: cases shared with their organizations, with the share's scope (full wins
      when several shares are live);
    - coordinators, and anyone else: none (coordinators see aggregate counts only).
    """
    full = Value(ShareScope.FULL.value)
    if reads_all_cases(actor):
        return queryset.annotate(**{ACCESS: full})
    roles = actor_roles(actor)
    own = roles.organizations(Capability.CASE_READ)
    if not own:
        # Annotated all the same: callers read ``access_scope`` off whatever comes back.
        return queryset.annotate(**{ACCESS: full}).none()
    whole = roles.organizations(Capability.CASE_READ_ORGANIZATION)
    submitted = [org for org in own if org not in whole]
    # Seen in full as their own: the organizations' cases, or (partners) those they submitted,
    # found through the index on the creator.
    mine: Any = Q(organization_id__in=whole)
    if submitted:
        by_actor = Q(created_by_id=getattr(actor, "pk", None), organization_id__in=submitted)
        mine = (mine | by_actor) if whole else by_actor
    # The live shares are read first: most organizations have few, and a list of case ids is
    # far cheaper to plan than subqueries in the filter and the scope. Past a limit, the
    # subqueries are the cheaper way.
    live = _LIVE_SHARE_ROWS(organization_ids=own, at=timezone.now())
    if not live:
        return queryset.filter(mine).annotate(**{ACCESS: full})
    if len(live) > SHARE_ID_LIST_LIMIT:
        shared: Any = Q(pk__in=_live_shares(own).values("case_id"))
        shared_full: Any = Q(pk__in=_live_shares(own, scope=ShareScope.FULL).values("case_id"))
    else:
        shared = Q(InArray(F("pk"), sorted({case_id for case_id, _scope in live})))
        shared_full = Q(
            InArray(
                F("pk"),
                sorted({case_id for case_id, scope in live if scope == ShareScope.FULL}),
            )
        )
    return queryset.filter(mine | shared).annotate(
        **{
            ACCESS: DbCase(
                When(mine, then=full),
                When(shared_full, then=full),
                default=Value(ShareScope.LIMITED.value),
                output_field=CharField(),
            )
        }
    )


def case_visible_to(*, actor: Viewer) -> QuerySet[Case]:
    """The cases an actor may see, each annotated with ``access_scope``. Every door (API,
    admin, exports, reports, tasks acting for someone) starts here."""
    return _visible(Case.objects.all(), actor)


class RemovalReason(TextChoices):
    """Why a case left a reader's sight."""

    SHARE_REVOKED = "share_revoked", gettext_lazy("The share was revoked")
    SHARE_EXPIRED = "share_expired", gettext_lazy("The share expired")


# When a share stopped giving sight of its case: its revocation, unless it had expired before.
_REVOKED_FIRST = Q(revoked_at__isnull=False) & (
    Q(expires_at__isnull=True) | Q(revoked_at__lt=F("expires_at"))
)
_SHARE_ENDED_AT = DbCase(
    When(_REVOKED_FIRST, then=F("revoked_at")),
    default=F("expires_at"),
    output_field=DateTimeField(),
)
_SHARE_END_REASON = DbCase(
    When(_REVOKED_FIRST, then=Value(RemovalReason.SHARE_REVOKED.value)),
    default=Value(RemovalReason.SHARE_EXPIRED.value),
    output_field=CharField(),
)


def case_removals(*, actor: Viewer) -> QuerySet[Case, dict[str, Any]]:
    """Cases that ``actor`` saw through a share and no longer sees: each case once, as plain
    values (``id``, ``number``, ``left_at``, ``reason``), with the latest end of those shares.

    A share to one of the actor's reading organizations ends when it is revoked or expires. A
    case still in sight by another way (its own organization's, another live share) is not
    listed, whatever ended; nor is a case whose share has not ended yet. Superusers and
    auditors see every case: nothing leaves their sight. Filter on ``left_at`` for the
    removals since a time (a sync client deletes these from its copy).
    """
    own = [] if reads_all_cases(actor) else actor_roles(actor).organizations(Capability.CASE_READ)
    now = timezone.now()
    ended = (
        CaseShare.objects.filter(InArray(F("organization_id"), own))
        .annotate(ended_at=_SHARE_ENDED_AT)
        .filter(ended_at__lte=now)
    )
    latest = ended.filter(case_id=OuterRef("pk")).order_by("-ended_at", "-pk")
    rows = (
        Case.objects.filter(pk__in=ended.values("case_id"))
        .exclude(pk__in=case_visible_to(actor=actor).values("pk"))
        .annotate(
            left_at=Subquery(latest.values("ended_at")[:1], output_field=DateTimeField()),
            reason=Subquery(
                latest.annotate(end_reason=_SHARE_END_REASON).values("end_reason")[:1],
                output_field=CharField(),
            ),
        )
        .values("id", "number", "left_at", "reason")
    )
    result = cast(QuerySet[Case, dict[str, Any]], rows)
    return result if own else result.none()


def case_scope(*, actor: Viewer, case_id: int) -> str | None:
    """The scope ``actor`` sees a case with (full or limited), or ``None`` if not at all."""
    row = case_visible_to(actor=actor).filter(pk=case_id).values_list(ACCESS, flat=True).first()
    return row


def case_can(actor: Viewer, capability: Capability, case: Case) -> bool:
    """Whether ``actor`` holds ``capability`` on ``case``: through their role in the owning
    organization (shares give reading only, which visibility already decides)."""
    roles = actor_roles(actor)
    return roles.is_superuser or roles.can(capability, case.organization_id)


def case_capabilities(actor: Viewer, case: Case) -> frozenset[Capability]:
    """What ``actor`` may do to ``case`` (for the admin's buttons and the API's hints)."""
    return frozenset(c for c in Capability if case_can(actor, c, case))


def case_moves_allowed(
    actor: Viewer, *, status: str, organization_id: int | None, scope: str | None
) -> list[workflow.Transition]:
    """The workflow's moves from ``status`` that ``actor`` may make on a case of
    ``organization_id`` seen with ``scope`` (``None``: not seen at all): those whose capability
    the actor's role in the owning organization carries. A share, full or limited, gives
    reading only: its readers hold no role in the owning organization, so no move is theirs."""
    if scope is None:
        return []
    roles = actor_roles(actor)
    if roles.is_superuser:
        return workflow.transitions_from(status)
    role = roles.roles.get(organization_id) if organization_id is not None else None
    if role is None:
        return []
    return workflow.moves_allowed(status, capabilities=capabilities_of(role))


def case_allowed_moves(actor: Viewer, case: Case) -> list[workflow.Transition]:
    """``case_moves_allowed`` for a case read through ``case_visible_to`` (a case read
    otherwise carries no scope, and offers no move)."""
    return case_moves_allowed(
        actor,
        status=case.status,
        organization_id=case.organization_id,
        scope=getattr(case, ACCESS, None),
    )


def case_is_full(case: Case) -> bool:
    """Whether a case read through ``case_visible_to`` is seen in full."""
    return getattr(case, ACCESS, ShareScope.FULL) == ShareScope.FULL


def case_list(*, actor: Viewer) -> QuerySet[Case]:
    """Visible cases with what a list row renders, in one query."""
    return case_visible_to(actor=actor).select_related(
        "organization",
        "child",
        "child__origin_oblast",
        "child__current_whereabouts",
        "child__current_whereabouts__facility",
        "assignee",
    )


_WHEREABOUTS = "child__current_whereabouts__"
# The case's own columns a list row shows as they are (the API's list renders these unchanged).
CASE_ROW_FIELDS: tuple[str, ...] = (
    "id",
    "number",
    "status",
    "priority",
    "pathway",
    "deported_on",
    "deported_from",
    "russian_citizenship_imposed",
    "under_russian_guardianship",
    "adopted_in_russia",
    "listed_in_adoption_database",
    "returned_on",
    "closure_reason",
    "closed_at",
    "status_changed_at",
    "version",
    "is_synthetic",
    "created_at",
    "updated_at",
)
CASE_ROW_COLUMNS: tuple[str, ...] = (
    *CASE_ROW_FIELDS,
    "organization_id",
    "organization__name",
    "assignee_id",
    "assignee__username",
    "child_id",
    "child__given_name",
    "child__family_name",
    "child__patronymic",
    "child__given_name_latin",
    "child__family_name_latin",
    "child__patronymic_latin",
    "child__date_of_birth",
    "child__date_of_birth_precision",
    "child__sex",
    "child__origin_oblast_id",
    "child__origin_oblast__name_uk",
    "child__origin_oblast__name_en",
    "child__origin_settlement",
    "child__origin_latitude",
    "child__origin_longitude",
    "child__is_synthetic",
    "child__current_whereabouts_id",
    *(
        f"{_WHEREABOUTS}{name}"
        for name in (
            "country",
            "region",
            "settlement",
            "from_date",
            "to_date",
            "latitude",
            "longitude",
            "facility_id",
            "facility__name",
            "facility__kind",
            "facility__latitude",
            "facility__longitude",
        )
    ),
)


@cache
def _case_rows_base() -> QuerySet[Case, dict[str, Any]]:
    # Resolving some fifty columns across five joins costs more than the database takes to run
    # the query; it is done once, and each request clones the result (never evaluated here).
    return Case.objects.values(*CASE_ROW_COLUMNS)


def case_list_rows(*, actor: Viewer) -> QuerySet[Case, dict[str, Any]]:
    """Visible cases with the columns a list row shows, as plain values (no model instances):
    one query for a page of any size. ``cases.serializers.case_rows`` renders them."""
    return _visible(_case_rows_base().all(), actor)


class _PageFirst:
    """Mixed into a queryset by ``page_first``: a slice of it reads the page's ids first."""

    _page_rows: QuerySet[Any, Any] | None = None

    def _clone(self) -> Any:
        clone = super()._clone()  # type: ignore[misc]
        clone._page_rows = self._page_rows
        return clone

    def __getitem__(self, k: Any) -> Any:
        rows = self._page_rows
        cached = getattr(self, "_result_cache", None) is not None
        if (
            rows is None
            or cached
            or not isinstance(k, slice)
            or k.stop is None
            or k.step
            or not self._reads_as(rows)
        ):
            return super().__getitem__(k)  # type: ignore[misc]
        narrow: Any = cast(QuerySet[Any, Any], self).all()
        narrow._page_rows = None
        ids = narrow.values("pk")[k]
        _joins_left_for_ids(ids.query)
        query = cast(QuerySet[Any, Any], self).query
        # The page's rows in the page's order: the list's own, or else the model's.
        ordering: Sequence[Any] = query.order_by or (
            (query.get_meta().ordering or ()) if query.default_ordering else ()
        )
        return rows.filter(pk__in=ids).order_by(*ordering)

    def _reads_as(self, rows: QuerySet[Any, Any]) -> bool:
        """Whether a page read as ``rows`` reads what this queryset would: the same columns
        and kind of result, no annotation of its own, an ordering the outer query can repeat.
        (A queryset made otherwise after ``page_first``, ``values_list("pk")`` say, is sliced
        as any other.)"""
        this = cast(QuerySet[Any, Any], self)
        query = this.query
        return (
            this._fields == rows._fields  # type: ignore[attr-defined]
            and this._iterable_class is rows._iterable_class
            and query.annotations.keys() == rows.query.annotations.keys()
            and query.standard_ordering
            and not query.extra_order_by
        )


def _joins_left_for_ids(query: Any) -> None:
    """The page's ids' query with the joins the list's columns brought made LEFT joins where
    that reads the same rows: those along a foreign key that cannot be empty. The ids' query
    reads no column of most of them, and PostgreSQL leaves out a LEFT join to a unique key
    whose columns nothing reads, where it must run an INNER one (for a searched list, a probe
    of the child for every matching case)."""
    for alias, join in list(query.alias_map.items()):
        field = getattr(join, "join_field", None)
        if (
            join.join_type == INNER
            and getattr(field, "many_to_one", False)
            and not getattr(field, "null", True)
        ):
            query.alias_map[alias] = join.promote()


@cache
def _page_first_class(queryset_class: type[QuerySet[Any, Any]]) -> type[QuerySet[Any, Any]]:
    if issubclass(queryset_class, _PageFirst):
        return queryset_class
    return type(f"PageFirst{queryset_class.__name__}", (_PageFirst, queryset_class), {})


def page_first(filtered: _CaseRows, *, rows: _CaseRows) -> _CaseRows:
    """``filtered`` (``rows`` with a list's filters and search applied) such that a slice of
    it, a page, is read in one query in two steps: the page's ids first, from the cases alone
    (filters, ordering and limit: ``WHERE id IN (SELECT id ... ORDER BY ... LIMIT n)``), then
    the page's rows of ``rows`` (every joined column) for those ids only.

    Without it, PostgreSQL joins the child, the whereabouts, the oblast, the organization and
    the assignee to every case that passes the filters before sorting them for the page: for
    a search of a common name, thousands of rows joined for the fifty shown. With it, a page
    costs its ids' query plus fifty rows, however many cases match. Filtering, ordering and
    slicing it otherwise works as on ``filtered`` (a paginator does all three)."""
    page: Any = filtered.all()
    page.__class__ = _page_first_class(type(filtered))
    page._page_rows = rows
    return cast(_CaseRows, page)


def case_detail_queryset(*, actor: Viewer) -> QuerySet[Case]:
    """Visible cases with what a full record renders (aliases prefetched)."""
    return case_list(actor=actor).prefetch_related(
        Prefetch("child__aliases", queryset=ChildAlias.objects.order_by("id"))
    )


def case_get(*, actor: Viewer, case_id: int) -> Case:
    try:
        return case_detail_queryset(actor=actor).get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise CaseNotFound() from exc


def _numbers_in_sequence(position: int) -> Q:
    """The cases numbered ``position`` in any year that has issued that many numbers: a short
    list of whole numbers, found through the unique index (never a scan of every number)."""
    years = CaseNumberSequence.objects.filter(last__gte=position).values_list("year", flat=True)
    return Q(number__in=[f"UA-{year:04d}-{position:06d}" for year in years])


def is_case_number(query: str) -> bool:
    """Whether a search query is a case number (whole, begun or bare), not a name."""
    query = query.strip()
    return bool(
        CASE_NUMBER_RE.match(query)
        or BARE_CASE_NUMBER_RE.match(query)
        or CASE_SEQUENCE_RE.match(query)
    )


def case_number_condition(query: str) -> Q | None:
    """How a query that is a case number, whole, begun or typed bare, finds its cases; ``None``
    when the query is not a number (a name). Every branch reads the number's unique index."""
    query = query.strip()
    if CASE_NUMBER_RE.match(query):
        return Q(number__startswith=query.upper())
    bare = BARE_CASE_NUMBER_RE.match(query)
    if bare is not None:
        year = bare["year"]
        position = bare["apart"] or bare["joined"]
        if position is None:
            by_year = Q(number__startswith=f"UA-{year}-")
            return by_year | _numbers_in_sequence(int(year)) if query.isdigit() else by_year
        whole = Q(number=f"UA-{year}-{int(position):06d}")
        return whole | Q(number__startswith=f"UA-{year}-{position}")
    if CASE_SEQUENCE_RE.match(query):
        return _numbers_in_sequence(int(query)) if int(query) else Q(pk__in=[])
    return None


def case_search(queryset: _CaseRows, query: str) -> _CaseRows:
    """Cases whose child matches every word of ``query`` in any script or spelling (names,
    Latin forms, Russified forms, aliases; ``names.search_form`` says which letters are
    forgiven), or whose number matches, typed in full, begun or bare."""
    query = query.strip()
    if not query:
        return queryset
    by_number = case_number_condition(query)
    if by_number is not None:
        return queryset.filter(by_number)
    terms = names.query_terms(query)
    if not terms:
        return queryset.none()
    if connections[queryset.db].vendor == "postgresql":
        found = _cases_by_words(queryset, terms)
    else:
        found = _cases_by_children(queryset, query, terms)
    # A page of the result (the API's, the admin's) reads its ids first and joins fifty rows,
    # not every match (``page_first``).
    return page_first(found, rows=queryset)


def _contains_pattern(connection: Any, term: str) -> str:
    """The ``LIKE`` pattern of a value containing ``term``, its own ``%`` and ``_`` escaped."""
    return f"%{connection.ops.prep_for_like_query(term)}%"


def _dense(queryset: _CaseRows, terms: list[str]) -> _CaseRows:
    """Past ``SEARCH_ID_LIST_LIMIT`` matches a fragment matches densely, and walking the
    list's ordering index testing each case's child is how a page is found soonest."""
    condition = Q()
    for term in terms:
        condition &= Q(child__search_text__contains=term)
    return queryset.filter(condition)


def _cases_by_words(queryset: _CaseRows, terms: list[str]) -> _CaseRows:
    """PostgreSQL: the cases having, for every term, one of the words known that contain it
    (``CaseWordsOverlap``, through the index on the cases' words, migration ``cases.0018``).

    One query first finds each term's words in the table of words and counts the cases having
    them, up to one past ``SEARCH_ID_LIST_LIMIT`` (the index alone, without the rows). The
    words then go into the page's query as constants: the planner reads how common each is
    from the column's statistics and reads the few cases a name has from the index, where a
    parameter it cannot see would have it walk the ordering index testing every case."""
    words_of_terms, matching = _words_and_matches(terms, using=queryset.db)
    if not all(words_of_terms):
        return queryset.none()
    if matching > SEARCH_ID_LIST_LIMIT:
        return _dense(queryset, terms)
    return queryset.filter(*(CaseWordsOverlap(words) for words in words_of_terms))


def _words_and_matches(terms: list[str], *, using: str) -> tuple[list[list[str]], int]:
    """Each term's words (those known that contain it) and how many cases have one of every
    term's words, counted up to one past ``SEARCH_ID_LIST_LIMIT``: one query."""
    connection = connections[using]
    words = ", ".join(
        f"ARRAY(SELECT DISTINCT known.word FROM cases_child_search_word known "  # noqa: S608
        f"WHERE known.word LIKE %s ORDER BY known.word) AS w{i}"
        for i in range(len(terms))
    )
    overlaps = " AND ".join(f"c.search_words && t.w{i}" for i in range(len(terms)))
    patterns = [_contains_pattern(connection, term) for term in terms]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH t AS (SELECT {words}) "  # noqa: S608 - numbered aliases; terms are parameters
            f"SELECT t.*, (SELECT count(*) FROM (SELECT 1 FROM cases_case c WHERE {overlaps} "
            "LIMIT %s) AS found) FROM t",
            [*patterns, SEARCH_ID_LIST_LIMIT + 1],
        )
        row = cursor.fetchone()
    return [list(w) for w in row[:-1]], int(row[-1])


class CaseWordsOverlap(Expression):
    """PostgreSQL: the case's child's keys have one of ``words`` (``cases_case.search_words``,
    kept by triggers, migration ``cases.0018``). The words are written into the statement as
    constants, quoted by the driver, so that the planner estimates from the column's
    statistics how many cases have them. Elsewhere there is no such column: refused."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, words: Sequence[str]) -> None:
        super().__init__()
        self.words = tuple(words)

    @property
    def identity(self) -> tuple[Any, ...]:
        return (type(self), self.words)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        raise NotSupportedError("Cases carry their words on PostgreSQL only.")

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        connection.ensure_connection()
        literal = psycopg_sql.Literal(list(self.words)).as_string(connection.connection)
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        # Placeholders are ``%s``: a literal percent sign is doubled.
        return f"{table}.search_words && {literal.replace('%', '%%')}::text[]", []


def _cases_by_children(queryset: _CaseRows, query: str, terms: list[str]) -> _CaseRows:
    """Elsewhere (SQLite): the matching children's ids first, then their cases by the index on
    the child, or past ``SEARCH_ID_LIST_LIMIT`` the dense walk."""
    matching = list(
        children_search(query=query).values_list("pk", flat=True)[: SEARCH_ID_LIST_LIMIT + 1]
    )
    if len(matching) > SEARCH_ID_LIST_LIMIT:
        return _dense(queryset, terms)
    return queryset.filter(_AnyOfHidden(F("child_id"), matching))


class _AnyOfHidden(InArray):
    """``InArray`` whose list the planner does not see: on PostgreSQL ``= ANY((SELECT
    %s::type[])::type[])``, a one-row subquery evaluated once before the query runs. The
    planner then estimates a handful of rows and probes the field's index for each value,
    whatever the list's length, and plans in constant time."""

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [v for v in self.rhs if v is not None]
        db_type = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY((SELECT %s::{db_type}[])::{db_type}[])", [*lhs_params, values]


def case_search_recorded(query: str) -> dict[str, Any] | None:
    """How a case search is kept in the audit trail (``audit.services.record_read``): a case
    number (no personal data) as typed; a name as keyed digests of its words in one script
    (``names.script_keys``: Cyrillic and its official Latin form give one digest), never the
    name itself. ``None`` when nothing was searched."""
    query = query.strip()
    if not query:
        return None
    if is_case_number(query):
        return {"kind": "case_number", "prefix": query.upper()}
    return audit_services.search_recorded(names.script_keys(query), kind="name")


def case_searches_for(*, name: str) -> QuerySet[Any]:
    """The recorded case searches (API and admin) that named ``name``: every word of it, in
    any of its spellings (Cyrillic, official Latin, Russified forms and theirs), newest first.
    For auditors: the trail keeps only digests of a search's words (``case_search_recorded``),
    so this is how "who searched for this child" is answered."""
    words = []
    for word in names.query_words(name):
        spellings = {word, *names.spellings_of(word)}
        words.append(
            {
                audit_services.search_term_digest(key)
                for spelling in spellings
                for key in names.script_keys(spelling)
            }
        )
    if not words:
        return audit_selectors.searches_with_terms([[]])
    return audit_selectors.searches_with_terms(words)


# How to reach a relative: what a limited share withholds (notes are free text and may hold
# contacts too).
RELATIVE_CONTACT_FIELDS: tuple[str, ...] = ("phone", "email", "address", "notes")


def relatives_as_seen(*, case: Case) -> list[Relative]:
    """The child's relatives as the reader of ``case`` (read through ``case_visible_to``) may
    see them: a limited share shows who they are, never how to reach them. The withheld fields
    are emptied on the loaded rows, which are for reading only."""
    relatives = list(child_relatives(case=case))
    if not case_is_full(case):
        for relative in relatives:
            for name in RELATIVE_CONTACT_FIELDS:
                setattr(relative, name, None)
    return relatives


def child_relatives(*, case: Case) -> QuerySet[Relative]:
    return Relative.objects.filter(child_id=case.child_id).order_by("id")


def child_whereabouts(*, case: Case) -> QuerySet[Whereabouts]:
    return (
        Whereabouts.objects.filter(child_id=case.child_id)
        .select_related("facility", "child", "recorded_by")
        .order_by("-from_date", "-id")
    )


def facility_list() -> QuerySet[Facility]:
    return Facility.objects.order_by("name", "id")


def facility_search(queryset: QuerySet[Facility], query: str) -> QuerySet[Facility]:
    """Facilities whose name (as written, or in Latin) contains ``query``."""
    query = query.strip()
    if not query:
        return queryset
    return queryset.filter(Q(name__icontains=query) | Q(name_latin__icontains=query))


def oblast_list() -> QuerySet[Oblast]:
    return Oblast.objects.order_by("code")


@cache
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 codes a place's country may take (a set: the country field's own check
    walks every country's name)."""
    return frozenset(code for code, _name in countries)


def assignee_candidates(*, organization_id: int | None) -> QuerySet[User]:
    """Who may hold a case of the organization: its active caseworkers and supervisors."""
    if organization_id is None:
        return User.objects.none()
    return (
        users_with_role(organization_id=organization_id, roles=ASSIGNABLE_ROLES)
        .filter(is_service_account=False)
        .distinct()
    )


def assignee_choices(*, actor: Viewer) -> QuerySet[User]:
    """People an actor could pick as an assignee: the caseworkers and supervisors of the
    organizations where the actor assigns (the service checks the case's own organization)."""
    roles = actor_roles(actor)
    people = User.objects.filter(is_active=True, is_service_account=False)
    if roles.is_superuser:
        return people.order_by("username")
    return (
        people.filter(
            memberships__organization_id__in=roles.organizations(Capability.CASE_ASSIGN),
            memberships__is_active=True,
            memberships__role__in=ASSIGNABLE_ROLES,
        )
        .distinct()
        .order_by("username")
    )


def creating_organizations(*, actor: Viewer) -> QuerySet[Organization]:
    """Organizations ``actor`` may open cases for."""
    roles = actor_roles(actor)
    active = Organization.objects.filter(is_active=True).order_by("name")
    if roles.is_superuser:
        return active
    return active.filter(pk__in=roles.organizations(Capability.CASE_CREATE))


def organizations() -> QuerySet[Organization]:
    """Organizations an input field may name by id (the services decide what fits)."""
    return Organization.objects.all()


def case_shares(*, case: Case) -> QuerySet[CaseShare]:
    return (
        CaseShare.objects.filter(case=case)
        .select_related("organization", "created_by", "revoked_by")
        .order_by("-created_at", "-id")
    )


def case_closure_requests(*, case: Case) -> QuerySet[ClosureRequest]:
    return (
        ClosureRequest.objects.filter(case=case)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-id")
    )


def case_can_see_internals(actor: Viewer, case: Case) -> bool:
    """Whether ``actor`` may see a case's shares and closure requests: its own organization
    (any reading role), auditors and superusers; never an organization it is shared with."""
    return reads_all_cases(actor) or actor_roles(actor).can(
        Capability.CASE_READ, case.organization_id
    )


def reads_aggregates(actor: Viewer) -> bool:
    """Whether ``actor`` reads counts across the registry (no personal data in them)."""
    roles = actor_roles(actor)
    return roles.is_superuser or roles.can(Capability.READ_AGGREGATES)


def case_counts(*, actor: Viewer) -> dict[str, Any]:
    """Counts of every case in the registry by status, phase, oblast of origin and country
    of current whereabouts, and when they were counted (``as_of``): no personal data, for
    coordinators and reports. ``None`` is the system (a report task); a person needs a role
    that reads aggregates. Read from the kept counts (``cases.counts``), at most
    ``CASE_COUNTS_MAX_AGE`` seconds old."""
    if actor is not None and not reads_aggregates(actor):
        raise PermissionDenied()
    counts = kept_registry_counts()
    by_phase: dict[str, int] = {}
    for status, count in counts.by_status.items():
        phase = workflow.phase_of(status)
        by_phase[phase] = by_phase.get(phase, 0) + count
    return {
        "total": counts.total,
        "by_status": counts.by_status,
        "by_phase": by_phase,
        "by_origin_oblast": counts.by_origin_oblast,
        "by_current_country": counts.by_current_country,
        "as_of": counts.as_of,
    }


def user_accounts() -> QuerySet[User]:
    """People (not service accounts), for input fields that name a user by id; the services
    decide whether the user fits."""
    return User.objects.filter(is_service_account=False)


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a case's life, for the timeline the admin and the API show."""

    at: dt.datetime
    kind: str
    summary: str
    actor: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def case_timeline(*, case: Case) -> list[TimelineEntry]:
    """The case's history: status changes, whereabouts, services and follow-ups, oldest first.

    Four queries whatever the length of the history.
    """
    entries: list[TimelineEntry] = []
    changes = (
        StatusChange.objects.filter(case=case).select_related("actor").order_by("changed_at", "id")
    )
    for change in changes:
        entries.append(
            TimelineEntry(
                at=change.changed_at,
                kind="status_change",
                summary=f"{change.from_status or '-'} → {change.to_status}",
                actor=change.actor.get_username() if change.actor else "",
                details={
                    "status_change_id": change.pk,
                    "from_status": change.from_status,
                    "to_status": change.to_status,
                    "reason": change.reason,
                    "case_version": change.case_version,
                },
            )
        )
    for place in child_whereabouts(case=case):
        entries.append(
            TimelineEntry(
                at=_start_of(place.from_date),
                kind="whereabouts",
                summary=str(place),
                actor=place.recorded_by.get_username() if place.recorded_by else "",
                details={
                    "whereabouts_id": place.pk,
                    "country": str(place.country),
                    "facility_id": place.facility_id,
                    "from_date": place.from_date.isoformat(),
                    "to_date": place.to_date.isoformat() if place.to_date else None,
                },
            )
        )
    for service in Service.objects.filter(case=case).order_by("id"):
        entries.append(
            TimelineEntry(
                at=_start_of(service.started_on) if service.started_on else service.created_at,
                kind="service",
                summary=f"{service.get_kind_display()}: {service.get_status_display()}",
                details={"service_id": service.pk, "kind": service.kind, "status": service.status},
            )
        )
    for follow_up in (
        FollowUp.objects.filter(case=case).select_related("completed_by").order_by("id")
    ):
        day = follow_up.completed_on or follow_up.due_on
        entries.append(
            TimelineEntry(
                at=_start_of(day),
                kind="follow_up",
                summary=(follow_up.get_outcome_display() if follow_up.completed_on else _("due")),
                actor=follow_up.completed_by.get_username() if follow_up.completed_by else "",
                details={
                    "follow_up_id": follow_up.pk,
                    "due_on": follow_up.due_on.isoformat(),
                    "completed_on": follow_up.completed_on.isoformat()
                    if follow_up.completed_on
                    else None,
                    "outcome": follow_up.outcome,
                    "days_after_return": follow_up.days_after_return,
                },
            )
        )
    entries.sort(key=lambda e: e.at)
    return entries


# The record each kind of timeline entry stands for, and the detail holding its id.
_TIMELINE_RECORDS: dict[str, tuple[type[Any], str]] = {
    "status_change": (StatusChange, "status_change_id"),
    "whereabouts": (Whereabouts, "whereabouts_id"),
    "service": (Service, "service_id"),
    "follow_up": (FollowUp, "follow_up_id"),
}


def timeline_records(entries: list[TimelineEntry]) -> dict[type[Any], list[int]]:
    """The records a timeline shows, by model: what a read of it is recorded as having
    returned (``audit.services.record_read``)."""
    records: dict[type[Any], list[int]] = {}
    for entry in entries:
        model, key = _TIMELINE_RECORDS[entry.kind]
        records.setdefault(model, []).append(entry.details[key])
    return records


def children_search(*, query: str) -> QuerySet[Child]:
    """Children matching every word of ``query`` in any spelling: each word part of one of the
    words of the child's search keys (``Child.search_text``)."""
    terms = names.query_terms(query)
    if not terms:
        return Child.objects.none()
    return Child.objects.filter(*(_SearchKeysContain(F("search_text"), term) for term in terms))


class _SearchKeysContain(Func):
    """Search keys (``Child.search_text``) containing ``term``. On PostgreSQL: the keys have
    one of the words, among every word a child's keys have had (``cases_child_search_word``,
    migration ``cases.0018``), that contain the term, found through that table's trigram
    index; the children having them through the index on their keys' words. The same rows as
    ``LIKE '%term%'`` (a term is one word, the keys words apart), read in a time that grows
    with the children matched, not with the registry. Elsewhere that ``LIKE``."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, keys: Any, term: str) -> None:
        super().__init__(keys)
        self.term = term

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        keys, params = compiler.compile(self.source_expressions[0])
        contains = connection.operators["contains"] % "%s"
        return f"{keys} {contains}", [*params, _contains_pattern(connection, self.term)]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        keys, params = compiler.compile(self.source_expressions[0])
        # ``keys`` is the compiled column; the term goes as a parameter.
        return (
            f"string_to_array({keys}, ' ') && ARRAY(SELECT DISTINCT known.word FROM "  # noqa: S608
            "cases_child_search_word known WHERE known.word LIKE %s)",
            [*params, _contains_pattern(connection, self.term)],
        )


def returned_cases_missing_follow_ups() -> list[int]:
    """Returned cases whose scheduled follow-ups are not all there (a lost task, say)."""
    # Count the scheduled days present: any one missing (not only the last) needs a catch-up.
    return list(
        Case.objects.filter(returned_on__isnull=False)
        .exclude(status=workflow.Status.CLOSED)
        .annotate(
            scheduled=Count(
                "follow_ups",
                filter=Q(follow_ups__days_after_return__in=workflow.FOLLOW_UP_DAYS),
            )
        )
        .filter(scheduled__lt=len(workflow.FOLLOW_UP_DAYS))
        .order_by("pk")
        .values_list("pk", flat=True)
    )

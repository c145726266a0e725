"""The figures of a status report (``StatusReport.figures``, schema 1), computed by the
database: every section is a GROUP BY or a conditional aggregate, and Python only arranges the
few grouped rows that come back. The number of queries is the same whatever the data: seven
for an organization's report, eleven for the registry's (the coalition's four more).

Cases by status *as of* a past moment are not read row by row from the history: they are
today's counts (one GROUP BY over the cases) corrected by the moves made since. Each move after
the moment took a case out of its ``from_status`` and into its ``to_status``; undoing it adds
one to the first and takes one from the second. A case opened after the moment has a first move
from ``''``, so undoing its moves takes it out of every status (the ``''`` bucket is dropped).
The same query reads the moves of the period (new, located, returned, reopened, closed by the
reason of each closing).

Layout (every status, phase, closure reason, follow-up class, pledge status and list outcome
named, zeros included)::

    {
      "schema": 1,
      "total": int,                      # cases in scope existing at as_of
      "by_status": {status: int},        # as of as_of
      "by_phase": {phase: int},
      "flows": {"new", "located", "returned", "reopened": int,
                "closed": {closure_reason: int}},       # moves in the period
      "time_to_return_days": {"returns": int, "median": float|None, "p90": float|None},
      "follow_ups": {"on_time", "late", "missed", "open": int},   # due in the period
      "services": {kind: {status: int}},                # at issue
      "by_origin_oblast": {code|"unknown": int},        # children of open cases, at issue
      "by_country": {alpha2|"unknown": int},
      "published_figures": [{...}],                     # public claims dated in the period
      "coalition": None | {"pledges": {status: int}, "pledges_overdue": int,
                           "list_entries": {outcome: int}, "meetings": int, "statements": int},
    }
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from accounts.models import Organization
from cases.models import Case, CaseQuerySet, FollowUp, Service, StatusChange
from cases.workflow import ClosureReason, Phase, Status, phase_of
from coalition.models import ChildListEntry, EntryOutcome, Meeting, Pledge, PledgeStatus, Statement
from coalition.selectors.lists import EFFECTIVE_OUTCOME, with_effective_outcome
from coalition.selectors.members import overdue_condition
from sources.selectors import figure_list

from .models import ReportScope
from .periods import Period

FIGURES_SCHEMA = 1
UNKNOWN = "unknown"
# The ranks ``time_to_return_days`` reports, as fractions (interpolated like percentile_cont).
MEDIAN, P90 = 0.5, 0.9


def report_figures(
    *, scope: str, organization: Organization | None, period: Period, as_of: dt.datetime
) -> dict[str, Any]:
    """The figures of a report on ``scope`` (an organization's cases, or the registry's) for
    ``period``, stock figures as of ``as_of`` (at most the period's end)."""
    if scope == ReportScope.ORGANIZATION and organization is None:
        raise ValueError("An organization's report needs its organization.")
    org_id = organization.pk if scope == ReportScope.ORGANIZATION and organization else None
    cases: CaseQuerySet = Case.objects.all()
    if org_id is not None:
        cases = cases.filter(organization_id=org_id)
    changes = (
        StatusChange.objects.all()
        if org_id is None
        else StatusChange.objects.filter(case__organization_id=org_id)
    )

    by_status, flows = _statuses_and_flows(cases, changes, period=period, as_of=as_of)
    by_phase = dict.fromkeys(Phase.values, 0)
    for status, count in by_status.items():
        by_phase[phase_of(status)] += count
    oblasts, countries = _geography(cases)
    figures: dict[str, Any] = {
        "schema": FIGURES_SCHEMA,
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_phase": by_phase,
        "flows": flows,
        "time_to_return_days": _time_to_return(changes, period=period, returns=flows["returned"]),
        "follow_ups": _follow_ups(org_id, period=period, as_of=as_of),
        "services": _services(org_id),
        "by_origin_oblast": oblasts,
        "by_country": countries,
        "published_figures": _published_figures(period),
        "coalition": _coalition(period, as_of=as_of) if org_id is None else None,
    }
    return figures


# ---------------------------------------------------------------------------------------------
# Cases by status as of a moment, and the moves of the period
# ---------------------------------------------------------------------------------------------
def _statuses_and_flows(
    cases: CaseQuerySet,
    changes: QuerySet[StatusChange],
    *,
    period: Period,
    as_of: dt.datetime,
) -> tuple[dict[str, int], dict[str, Any]]:
    by_status = dict.fromkeys(Status.values, 0)
    for status, count in cases.order_by().values_list("status").annotate(n=Count("*")):
        by_status[status] += count

    # One pass over the moves since the period began: those of the period, and those since
    # as_of (as_of is within the period, so both are in it).
    start = min(period.starts_at, as_of)
    moves = (
        changes.filter(changed_at__gte=start)
        .order_by()
        .values_list("from_status", "to_status", "closure_reason")
        .annotate(
            # Of a column the index holds (never null): an index-only scan.
            in_period=Count("changed_at", filter=Q(changed_at__lt=period.ends_at)),
            since=Count("changed_at", filter=Q(changed_at__gte=as_of)),
        )
    )
    flows: dict[str, Any] = {
        "new": 0,
        "located": 0,
        "returned": 0,
        "reopened": 0,
        "closed": dict.fromkeys(ClosureReason.values, 0),
    }
    for from_status, to_status, closure_reason, in_period, since in moves:
        if since:
            if from_status in by_status:  # '' is a case's opening: no status before it
                by_status[from_status] += since
            by_status[to_status] -= since
        if not in_period:
            continue
        if from_status == "":
            flows["new"] += in_period
        if from_status == Status.CLOSED:
            flows["reopened"] += in_period
        if to_status == Status.LOCATED:
            flows["located"] += in_period
        elif to_status == Status.RETURNED:
            flows["returned"] += in_period
        elif to_status == Status.CLOSED and closure_reason in flows["closed"]:
            flows["closed"][closure_reason] += in_period
    return by_status, flows


# ---------------------------------------------------------------------------------------------
# Days from a case's creation to its return
# ---------------------------------------------------------------------------------------------
def _ranks(count: int, fraction: float) -> tuple[int, int, float]:
    """The two 1-based ranks whose values ``fraction`` lies between, and its weight on the
    upper one (percentile_cont's linear interpolation)."""
    position = (count - 1) * fraction
    lower = math.floor(position)
    return lower + 1, math.ceil(position) + 1, position - lower


def _time_to_return(
    changes: QuerySet[StatusChange], *, period: Period, returns: int
) -> dict[str, Any]:
    """The median and 90th percentile of the days from creation to return over the returns
    of the period: the values at the few ranks needed, read in one query by row number (the
    same on PostgreSQL and SQLite), never the rows themselves."""
    days = ExpressionWrapper(
        F("case__returned_on")
        - TruncDate("case__created_at", tzinfo=timezone.get_current_timezone()),
        output_field=DurationField(),
    )
    wanted: set[int] = set()
    for fraction in (MEDIAN, P90):
        if returns:
            lower, upper, _weight = _ranks(returns, fraction)
            wanted.update((lower, upper))
    # Rank 0 is no row's: with no return, the query still runs and finds nothing, so a
    # report always costs the same number of queries.
    ranked = (
        changes.filter(
            to_status=Status.RETURNED,
            changed_at__gte=period.starts_at,
            changed_at__lt=period.ends_at,
        )
        .order_by()
        .annotate(
            days=days,
            rank=Window(RowNumber(), order_by=[days.asc(), F("id").asc()]),
        )
        .filter(rank__in=sorted(wanted) or [0])
        .values_list("rank", "days")
    )
    at_rank = {rank: _days(value) for rank, value in ranked}

    def value_at(fraction: float) -> float | None:
        if not returns:
            return None
        lower, upper, weight = _ranks(returns, fraction)
        low, high = at_rank.get(lower), at_rank.get(upper)
        if low is None or high is None:
            return None
        return round(low + (high - low) * weight, 2)

    return {"returns": returns, "median": value_at(MEDIAN), "p90": value_at(P90)}


def _days(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    return float(value)


# ---------------------------------------------------------------------------------------------
# Follow-ups, services, where the children come from and are
# ---------------------------------------------------------------------------------------------
def _follow_ups(org_id: int | None, *, period: Period, as_of: dt.datetime) -> dict[str, int]:
    """Follow-ups due in the period: done by their date, done after it, not done and past
    due at as_of, not done and not yet due."""
    follow_ups = FollowUp.objects.filter(due_on__gte=period.start, due_on__lte=period.end)
    if org_id is not None:
        follow_ups = follow_ups.filter(case__organization_id=org_id)
    as_of_date = timezone.localdate(as_of)
    done = Q(completed_on__isnull=False)
    counts = follow_ups.aggregate(
        on_time=Count("id", filter=done & Q(completed_on__lte=F("due_on"))),
        late=Count("id", filter=done & Q(completed_on__gt=F("due_on"))),
        missed=Count("id", filter=Q(completed_on__isnull=True, due_on__lt=as_of_date)),
        open=Count("id", filter=Q(completed_on__isnull=True, due_on__gte=as_of_date)),
    )
    return {key: int(counts[key] or 0) for key in ("on_time", "late", "missed", "open")}


def _services(org_id: int | None) -> dict[str, dict[str, int]]:
    services = Service.objects.all()
    if org_id is not None:
        services = services.filter(case__organization_id=org_id)
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    rows = services.order_by().values_list("kind", "status").annotate(n=Count("id"))
    for kind, status, count in rows:
        by_kind[kind][status] = count
    return {kind: dict(sorted(statuses.items())) for kind, statuses in sorted(by_kind.items())}


def _geography(cases: CaseQuerySet) -> tuple[dict[str, int], dict[str, int]]:
    """The children of the open cases by oblast of origin and by the country they are now
    in, from one GROUP BY over both."""
    oblasts: dict[str, int] = defaultdict(int)
    countries: dict[str, int] = defaultdict(int)
    rows = (
        cases.open()
        .order_by()
        .values_list("child__origin_oblast_id", "child__current_whereabouts__country")
        # COUNT(*), not of ids: the rows come from indexes alone (the open cases' partial
        # unique index, the children's geography index), never the cases' heap.
        .annotate(n=Count("*"))
    )
    for oblast, country, count in rows:
        oblasts[oblast or UNKNOWN] += count
        countries[str(country or "") or UNKNOWN] += count
    return dict(sorted(oblasts.items())), dict(sorted(countries.items()))


# ---------------------------------------------------------------------------------------------
# Public figures, and the coalition (the registry's report only)
# ---------------------------------------------------------------------------------------------
def _published_figures(period: Period) -> list[dict[str, Any]]:
    """Figures claimants published, dated in the period: public reporting, kept apart from
    the registry's own counts."""
    figures = figure_list().filter(as_of__gte=period.start, as_of__lte=period.end)
    return [
        {
            "metric": figure.metric,
            "value": figure.value if figure.value is not None else figure.value_text,
            "qualifier": figure.qualifier,
            "as_of": figure.as_of.isoformat(),
            "as_of_precision": figure.as_of_precision,
            "claimant": figure.claimant,
            "source_id": figure.source_id,
            "source_title": figure.source.title if figure.source is not None else None,
        }
        for figure in figures
    ]


def _coalition(period: Period, *, as_of: dt.datetime) -> dict[str, Any]:
    today = timezone.localdate(as_of)
    pledges = dict.fromkeys(PledgeStatus.values, 0)
    overdue = 0
    rows = (
        Pledge.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"), overdue=Count("id", filter=overdue_condition(today)))
    )
    for status, count, late in rows:
        pledges[status] = count
        overdue += late
    entries = dict.fromkeys(EntryOutcome.values, 0)
    outcomes = (
        with_effective_outcome(ChildListEntry.objects.all())
        .order_by()
        .values_list(EFFECTIVE_OUTCOME)
        .annotate(n=Count("id"))
    )
    for outcome, count in outcomes:
        entries[outcome] = count
    return {
        "pledges": pledges,
        "pledges_overdue": overdue,
        "list_entries": entries,
        "meetings": Meeting.objects.filter(
            held_on__gte=period.start, held_on__lte=period.end
        ).count(),
        "statements": Statement.objects.filter(
            issued_on__gte=period.start, issued_on__lte=period.end
        ).count(),
    }

"""The figures of a status report against direct counts of the same data: cases by status as
of a past moment against a reconstruction from the history, the period's moves, the median
and 90th percentile of the days to return against ``statistics``, follow-ups, services,
oblasts, countries, published figures kept apart, the coalition's section, and a constant
number of queries. All data is synthetic."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from typing import Any

import pytest
from django.db.models import Count
from django.utils import timezone

from cases.models import Case, StatusChange
from cases.workflow import ClosureReason, Phase, Status, phase_of
from coalition.models import EntryOutcome, PledgeStatus
from reports.figures import FIGURES_SCHEMA, _ranks, report_figures
from reports.periods import Period
from sources.figures import figure_record
from tests.factories.cases import make_case
from tests.factories.sources import make_source

from .status_world import (
    TO_RETURNED,
    build_world,
    follow_ups_due,
    move,
    push_before,
    recent_period,
)

pytestmark = pytest.mark.django_db

REGISTRY = "registry"
ORGANIZATION = "organization"


def figures(period: Period, *, as_of: dt.datetime | None = None, organization: Any = None):
    return report_figures(
        scope=ORGANIZATION if organization is not None else REGISTRY,
        organization=organization,
        period=period,
        as_of=as_of or min(period.ends_at, timezone.now()),
    )


def counts_now(**scope: Any) -> dict[str, int]:
    counts = dict.fromkeys(Status.values, 0)
    for status, n in Case.objects.filter(**scope).values_list("status").annotate(n=Count("id")):
        counts[status] = n
    return counts


def reconstructed(as_of: dt.datetime, **scope: Any) -> dict[str, int]:
    """Each case's status at ``as_of``: the target of its last move before then."""
    counts = dict.fromkeys(Status.values, 0)
    for case in Case.objects.filter(**scope):
        before = [
            c
            for c in StatusChange.objects.filter(case=case).order_by("changed_at", "id")
            if c.changed_at < as_of
        ]
        if before:
            counts[before[-1].to_status] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Cases by status as of a moment
# ---------------------------------------------------------------------------------------------
def test_figures_by_status_as_of_a_past_moment_equals_a_reconstruction(oblasts):
    world = build_world(oblasts)
    period = recent_period()
    then = timezone.now()
    snapshot = counts_now()
    home_snapshot = counts_now(organization=world.home)

    # After the moment: new cases, moves forward and back, a closing and a reopening.
    make_case()
    make_case(organization=world.other)
    move(world.cases["reported"], "verifying", "searching")
    move(world.cases["located"], "searching")
    move(world.cases["returned0"], "rehabilitation", "integration", "closed", reason="integrated")
    move(world.cases["closed_dup"], "verifying")
    move(world.cases["other_verifying"], "closed", reason="transferred")

    seen = figures(period, as_of=then)
    assert seen["by_status"] == snapshot == reconstructed(then)
    assert seen["total"] == sum(snapshot.values())
    assert seen["by_phase"] == {
        phase: sum(n for status, n in snapshot.items() if phase_of(status) == phase)
        for phase in Phase.values
    }
    home = figures(period, as_of=then, organization=world.home)
    assert home["by_status"] == home_snapshot == reconstructed(then, organization=world.home)

    now = figures(period)
    assert now["by_status"] == counts_now()


def test_figures_by_status_as_of_before_any_case_is_all_zeros(oblasts):
    build_world(oblasts)
    period = recent_period(days=400)
    long_ago = period.starts_at
    StatusChange.objects.update(changed_at=timezone.now())  # every move after long_ago
    assert figures(period, as_of=long_ago)["by_status"] == dict.fromkeys(Status.values, 0)


# ---------------------------------------------------------------------------------------------
# The period's moves
# ---------------------------------------------------------------------------------------------
def test_figures_flows_count_the_moves_of_the_period(oblasts):
    world = build_world(oblasts)
    period = recent_period()
    # One case's opening and one closing fall before the period.
    first = StatusChange.objects.filter(case=world.cases["reported"]).get()
    push_before(period, first)
    closing = StatusChange.objects.filter(case=world.cases["closed_dup"]).order_by("id")
    push_before(period, closing[0], days=6)
    push_before(period, closing[1], days=5)

    def moves(**where: Any) -> int:
        return StatusChange.objects.filter(
            changed_at__gte=period.starts_at, changed_at__lt=period.ends_at, **where
        ).count()

    flows = figures(period)["flows"]
    assert flows["new"] == moves(from_status="") == Case.objects.count() - 2
    assert flows["located"] == moves(to_status="located") == 7
    assert flows["returned"] == moves(to_status="returned") == 6
    assert flows["reopened"] == moves(from_status="closed") == 1
    assert flows["closed"] == {
        **dict.fromkeys(ClosureReason.values, 0),
        "duplicate": 1,
        "deceased": 1,
        "not_deportation": 1,
    }
    home = figures(period, organization=world.home)["flows"]
    assert home["closed"]["not_deportation"] == 0
    assert home["new"] == Case.objects.filter(organization=world.home).count() - 2


def test_figures_closed_by_reason_counts_each_closing_with_its_own_reason(oblasts):
    case = move(make_case(), "closed", reason="duplicate")
    move(case, "verifying", "closed", reason="deceased")
    closed = figures(recent_period())["flows"]["closed"]
    assert closed["duplicate"] == 1
    assert closed["deceased"] == 1
    assert list(
        StatusChange.objects.filter(case=case, to_status="closed")
        .order_by("id")
        .values_list("closure_reason", flat=True)
    ) == ["duplicate", "deceased"]


# ---------------------------------------------------------------------------------------------
# Time to return
# ---------------------------------------------------------------------------------------------
def test_figures_time_to_return_median_and_p90_match_statistics(oblasts):
    world = build_world(oblasts)
    days = [(returned - created).days for created, returned in world.returns]
    seen = figures(recent_period())["time_to_return_days"]
    assert seen["returns"] == len(days) == 6
    assert seen["median"] == pytest.approx(statistics.median(days))
    assert seen["p90"] == pytest.approx(
        statistics.quantiles(days, n=10, method="inclusive")[8], abs=0.01
    )


@pytest.mark.parametrize("count", [1, 2, 3, 7, 10, 11])
def test_figures_time_to_return_interpolates_like_percentile_cont(oblasts, count):
    days = [(index * 37) % 101 + index for index in range(count)]
    for _index, span in enumerate(days):
        case = make_case()
        Case.objects.filter(pk=case.pk).update(
            created_at=timezone.make_aware(dt.datetime.combine(dt.date(2023, 1, 1), dt.time(12)))
        )
        move(case, *TO_RETURNED, returned_on=dt.date(2023, 1, 1) + dt.timedelta(days=span))
    seen = figures(recent_period())["time_to_return_days"]
    assert seen["returns"] == count
    assert seen["median"] == pytest.approx(statistics.median(days))
    expected_p90 = (
        days[0] if count == 1 else statistics.quantiles(days, n=10, method="inclusive")[8]
    )
    assert seen["p90"] == pytest.approx(expected_p90, abs=0.01)


def test_figures_time_to_return_without_returns_is_null(db):
    make_case()
    assert figures(recent_period())["time_to_return_days"] == {
        "returns": 0,
        "median": None,
        "p90": None,
    }


def test_ranks_are_those_of_percentile_cont():
    assert _ranks(1, 0.5) == (1, 1, 0.0)
    assert _ranks(4, 0.5) == (2, 3, 0.5)
    lower, upper, weight = _ranks(11, 0.9)
    assert (lower, upper) == (10, 10)
    assert weight == pytest.approx(0.0)


# ---------------------------------------------------------------------------------------------
# Follow-ups, services, oblasts, countries
# ---------------------------------------------------------------------------------------------
def test_figures_follow_ups_are_classed_at_as_of(oblasts):
    world = build_world(oblasts)
    period = recent_period()
    expected = follow_ups_due(world, period)
    assert figures(period)["follow_ups"] == expected["registry"]
    assert figures(period, organization=world.home)["follow_ups"] == expected["home"]


def test_figures_services_by_kind_and_status(oblasts):
    world = build_world(oblasts)
    assert figures(recent_period())["services"] == {
        "legal": {"planned": 2},
        "medical": {"active": 1, "completed": 1},
    }
    assert figures(recent_period(), organization=world.other)["services"] == {
        "legal": {"planned": 1}
    }


def test_figures_oblasts_and_countries_of_open_cases(oblasts):
    world = build_world(oblasts)
    open_cases = Case.objects.open()
    by_oblast = Counter(c.child.origin_oblast_id or "unknown" for c in open_cases)
    by_country = Counter(
        (str(c.child.current_whereabouts.country) if c.child.current_whereabouts else "")
        or "unknown"
        for c in open_cases
    )
    seen = figures(recent_period())
    assert seen["by_origin_oblast"] == dict(by_oblast)
    assert (
        seen["by_country"]
        == dict(by_country)
        == {
            "BY": 1,
            "RU": 2,
            "unknown": open_cases.count() - 3,
        }
    )
    home = figures(recent_period(), organization=world.home)
    assert home["by_country"] == {"BY": 1, "RU": 1, "unknown": home["by_country"]["unknown"]}
    assert sum(home["by_origin_oblast"].values()) == world.home.cases.open().count()


# ---------------------------------------------------------------------------------------------
# Published figures and the coalition
# ---------------------------------------------------------------------------------------------
def test_figures_published_figures_are_listed_apart_from_the_counts(db):
    period = recent_period()
    source = make_source(title="Synthetic ombudsman report")
    inside = figure_record(
        actor=None,
        data={
            "metric": "deported",
            "description": "children deported",
            "value": 19546,
            "as_of": period.start,
            "claimant": "Synthetic claimant",
            "source": source,
        },
    )
    figure_record(
        actor=None,
        data={
            "metric": "deported",
            "description": "children deported",
            "value": 20000,
            "as_of": period.start - dt.timedelta(days=1),
            "claimant": "Synthetic claimant",
        },
    )
    seen = figures(period)
    assert seen["published_figures"] == [
        {
            "metric": inside.metric,
            "value": 19546,
            "qualifier": inside.qualifier,
            "as_of": period.start.isoformat(),
            "as_of_precision": "day",
            "claimant": "Synthetic claimant",
            "source_id": source.pk,
            "source_title": "Synthetic ombudsman report",
        }
    ]
    assert seen["total"] == 0


def test_figures_coalition_section_is_the_registrys_only(oblasts):
    from tests.factories.coalition_lists import make_entry, make_list
    from tests.factories.coalition_members import make_areas, make_coalition_member, make_pledge

    world = build_world(oblasts)
    period = recent_period()
    today = timezone.localdate()
    make_areas()
    make_coalition_member("CA")
    make_pledge("CA", due_on=today - dt.timedelta(days=3))
    make_pledge("CA", due_on=today + dt.timedelta(days=3))
    child_list = make_list(world.home)  # handed at a meeting long before the period
    returned_case = world.cases["returned1"]
    make_entry(child_list, case=returned_case.pk)
    make_entry(child_list)
    from coalition.models import Meeting, Statement

    Meeting.objects.create(kind="plenary", title="Synthetic plenary", held_on=today)
    Statement.objects.create(title="Synthetic statement", issued_on=today - dt.timedelta(days=60))

    coalition = figures(period)["coalition"]
    assert coalition["pledges"] == {**dict.fromkeys(PledgeStatus.values, 0), "pledged": 2}
    assert coalition["pledges_overdue"] == 1
    assert coalition["list_entries"] == {
        **dict.fromkeys(EntryOutcome.values, 0),
        "returned": 1,
        "listed": 1,
    }
    assert coalition["meetings"] == 1
    assert coalition["statements"] == 0
    assert figures(period, organization=world.home)["coalition"] is None


def test_figures_have_the_schema_layout(oblasts):
    seen = figures(recent_period())
    assert seen["schema"] == FIGURES_SCHEMA
    assert set(seen) == {
        "schema",
        "total",
        "by_status",
        "by_phase",
        "flows",
        "time_to_return_days",
        "follow_ups",
        "services",
        "by_origin_oblast",
        "by_country",
        "published_figures",
        "coalition",
    }
    assert list(seen["by_status"]) == Status.values
    assert list(seen["by_phase"]) == Phase.values


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("scope", "queries"), [(REGISTRY, 11), (ORGANIZATION, 7)])
def test_figures_take_the_same_queries_whatever_the_data(
    oblasts, django_assert_num_queries, scope, queries
):
    world = build_world(oblasts)
    organization = world.home if scope == ORGANIZATION else None
    period = recent_period()
    with django_assert_num_queries(queries):
        figures(period, organization=organization)
    for _index in range(8):
        move(make_case(), *TO_RETURNED, returned_on=dt.date(2024, 3, 3))
    follow_ups_due(world, period)
    with django_assert_num_queries(queries):
        figures(period, organization=organization)
    with django_assert_num_queries(queries):
        figures(Period("custom", period.start, period.start), organization=organization)

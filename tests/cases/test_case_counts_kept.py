"""The registry's kept counts (``cases.counts``): equal to a direct count of the same data, kept
until they are older than ``CASE_COUNTS_MAX_AGE`` and then counted again, replaced whole, read
by ``case_counts`` (the API says as of when), the home pages' caseloads and phases; the beat
tick that keeps them. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Organization
from cases import counts, selectors, services, tasks
from cases.models import Case, CaseCountSnapshot, CaseloadCount, PlaceCount
from cases.selectors_home import organization_caseloads, registry_counts_by_phase
from cases.workflow import Phase, Status, phase_of
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, make_whereabouts, move_case
from tests.hostile_input import client_of


# ---------------------------------------------------------------------------------------------
# The data, and the direct count to hold the kept counts against
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def registry(home: Organization, oblasts: dict[str, Any]) -> dict[str, Any]:
    """Two organizations' cases in several statuses, from several oblasts (and none), now in
    several countries (and none recorded: a child without whereabouts), assigned to two
    caseworkers or to no one."""
    other = OrganizationFactory.create(name="Synthetic second organization")
    worker = make_member("caseworker", home)
    colleague = make_member("caseworker", home)
    foreign_worker = make_member("caseworker", other)
    kharkiv, donetsk = oblasts["UA-63"], oblasts["UA-14"]

    a = make_case(oblast=donetsk, assignee=worker)
    make_whereabouts(a, country="RU")
    b = move_case(make_case(oblast=donetsk, assignee=worker), "verifying", "searching")
    make_whereabouts(b, country="RU", from_date=dt.date(2022, 7, 1))
    # Moved on since: the current whereabouts is the latest one.
    make_whereabouts(b, country="BY", from_date=dt.date(2023, 3, 1))
    c = move_case(make_case(oblast=kharkiv, assignee=colleague), "closed")
    make_whereabouts(c, country="BY")
    make_case(oblast=kharkiv)  # unassigned, no whereabouts
    d = move_case(make_case(), "verifying")  # unknown oblast, unassigned
    make_whereabouts(d, country="RU")
    e = move_case(
        make_case(organization=other, oblast=donetsk, assignee=foreign_worker),
        "verifying",
        "searching",
        "located",
        "return_in_progress",
        "returned",
    )
    make_whereabouts(e, country="UA")
    make_case(organization=other, oblast=kharkiv)
    return {"home": home, "other": other, "worker": worker, "colleague": colleague}


def _direct_registry() -> dict[str, Any]:
    """The counts the API gave before they were kept: GROUP BYs over every case."""
    by_status = dict(Case.objects.values_list("status").annotate(n=Count("id")).order_by())
    by_phase: dict[str, int] = {}
    for status, n in by_status.items():
        by_phase[phase_of(status)] = by_phase.get(phase_of(status), 0) + n
    return {
        "total": Case.objects.count(),
        "by_status": by_status,
        "by_phase": by_phase,
        "by_origin_oblast": {
            code or "unknown": n
            for code, n in Case.objects.values_list("child__origin_oblast_id")
            .annotate(n=Count("id"))
            .order_by()
        },
        "by_current_country": {
            code or "unknown": n
            for code, n in Case.objects.values_list("child__current_whereabouts__country")
            .annotate(n=Count("id"))
            .order_by()
        },
    }


def _direct_caseload(organization: Organization) -> dict[str, Any]:
    cases = Case.objects.filter(organization=organization)
    open_cases = cases.exclude(status=Status.CLOSED)
    by_assignee = dict(
        open_cases.filter(assignee__isnull=False)
        .values_list("assignee__username")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {
        "by_status": dict(cases.values_list("status").annotate(n=Count("id")).order_by()),
        "by_assignee": by_assignee,
        "unassigned": open_cases.filter(assignee__isnull=True).count(),
    }


def _without_as_of(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "as_of"}


def _age_the_counts(seconds: float) -> None:
    CaseCountSnapshot.objects.update(taken_at=F("taken_at") - dt.timedelta(seconds=seconds))


# ---------------------------------------------------------------------------------------------
# Equal to a direct count
# ---------------------------------------------------------------------------------------------
def test_kept_registry_counts_equal_a_direct_count(registry):
    answer = selectors.case_counts(actor=None)

    direct = _direct_registry()
    assert _without_as_of(answer) == direct
    # The data reaches every kind of key the counts have.
    assert direct["total"] == 7
    assert set(direct["by_phase"]) == {"repatriation", "rehabilitation", "closed"}
    assert direct["by_origin_oblast"]["unknown"] == 1
    assert direct["by_current_country"] == {"RU": 2, "BY": 2, "UA": 1, "unknown": 2}
    assert CaseCountSnapshot.objects.get().cases == 7


def test_kept_phase_counts_equal_a_direct_count(registry):
    coordinator = make_member("coordinator", registry["home"])

    as_of, phases = registry_counts_by_phase(actor=coordinator)

    by_phase = _direct_registry()["by_phase"]
    assert phases == {phase: by_phase.get(phase, 0) for phase in Phase.values}
    assert as_of == CaseCountSnapshot.objects.get().taken_at


def test_kept_caseloads_equal_a_direct_count(registry):
    organizations = [registry["home"], registry["other"]]
    auditor = make_member("auditor", registry["home"])  # reads every organization whole

    loads = organization_caseloads(actor=auditor, organization_ids=[o.pk for o in organizations])

    for organization, load in zip(organizations, loads, strict=True):
        assert load.organization_id == organization.pk
        assert load.organization_name == organization.name
        assert {
            "by_status": load.by_status,
            "by_assignee": {row.username: row.count for row in load.by_assignee},
            "unassigned": load.unassigned,
        } == _direct_caseload(organization)
    home = loads[0]
    # The colleague's only case is closed: caseloads by assignee are of open cases.
    assert [row.username for row in home.by_assignee] == [registry["worker"].username]
    assert home.unassigned == 2


def test_a_supervisor_counts_no_other_organization(registry):
    supervisor = make_member("supervisor", registry["home"])

    other, home = sorted(
        organization_caseloads(
            actor=supervisor, organization_ids=[registry["home"].pk, registry["other"].pk]
        ),
        key=lambda load: load.organization_id != registry["other"].pk,
    )

    assert home.by_status == _direct_caseload(registry["home"])["by_status"]
    assert (other.by_status, other.by_assignee, other.unassigned) == ({}, [], 0)


# ---------------------------------------------------------------------------------------------
# Kept, then counted again
# ---------------------------------------------------------------------------------------------
def test_kept_counts_are_read_until_they_are_too_old_then_counted_again(registry):
    first = selectors.case_counts(actor=None)
    make_case()

    # Within the delay: the kept counts, as of the same time.
    assert selectors.case_counts(actor=None) == first

    _age_the_counts(settings.CASE_COUNTS_MAX_AGE - 5)
    assert selectors.case_counts(actor=None)["total"] == first["total"]

    _age_the_counts(10)
    again = selectors.case_counts(actor=None)
    assert again["total"] == first["total"] + 1
    assert again["as_of"] > first["as_of"]
    assert _without_as_of(again) == _direct_registry()


def test_kept_counts_follow_the_configured_delay(registry, settings):
    selectors.case_counts(actor=None)
    make_case()
    settings.CASE_COUNTS_MAX_AGE = 3600
    _age_the_counts(1800)
    assert selectors.case_counts(actor=None)["total"] == 7
    settings.CASE_COUNTS_MAX_AGE = 600
    assert selectors.case_counts(actor=None)["total"] == 8


def test_a_fresh_read_costs_one_query(registry, django_assert_num_queries):
    selectors.case_counts(actor=None)
    with django_assert_num_queries(1):
        selectors.case_counts(actor=None)
    with django_assert_num_queries(1):
        counts.kept_organization_counts(organization_ids=[registry["home"].pk])


def test_a_refresh_replaces_the_whole_snapshot(registry):
    first = counts.case_counts_refresh()
    make_case(organization=registry["other"])
    second = counts.case_counts_refresh()

    assert first is not None
    assert second is not None
    assert list(CaseCountSnapshot.objects.values_list("pk", flat=True)) == [second.pk]
    assert set(CaseloadCount.objects.values_list("snapshot", flat=True)) == {second.pk}
    assert set(PlaceCount.objects.values_list("snapshot", flat=True)) == {second.pk}
    assert second.cases == 8
    assert sum(CaseloadCount.objects.values_list("count", flat=True)) == 8
    assert sum(PlaceCount.objects.values_list("count", flat=True)) == 8


def test_a_refresh_keeps_a_snapshot_taken_while_it_waited(registry):
    taken = counts.case_counts_refresh()
    assert taken is not None

    again = counts.case_counts_refresh(fresh_after=taken.taken_at - dt.timedelta(seconds=1))

    assert again == taken


def test_an_empty_registry_is_counted_as_empty(db):
    answer = selectors.case_counts(actor=None)
    assert _without_as_of(answer) == {
        "total": 0,
        "by_status": {},
        "by_phase": {},
        "by_origin_oblast": {},
        "by_current_country": {},
    }
    assert answer["as_of"] == CaseCountSnapshot.objects.get().taken_at


def test_stale_counts_are_shown_while_another_refresh_runs(registry, monkeypatch):
    first = selectors.case_counts(actor=None)
    make_case()
    _age_the_counts(settings.CASE_COUNTS_MAX_AGE + 1)
    waits = []

    def busy(*, wait: bool) -> bool:
        waits.append(wait)
        return wait  # taken only by one who waits for it

    monkeypatch.setattr(counts, "_lock", busy)
    stale = selectors.case_counts(actor=None)

    assert waits == [False]
    assert stale["total"] == first["total"]
    assert stale["as_of"] < first["as_of"]
    # Without counts to show, a read waits for the refresh running elsewhere.
    CaseCountSnapshot.objects.all().delete()
    assert selectors.case_counts(actor=None)["total"] == first["total"] + 1
    assert waits == [False, True]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refresh_running_elsewhere_is_not_waited_for_on_postgresql(home):
    import psycopg

    make_case()
    params = connection.get_connection_params()
    holder = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    try:
        holder.execute("SELECT pg_advisory_lock(%s)", [counts._LOCK])
        assert tasks.case_counts_refresh() is None
        assert CaseCountSnapshot.objects.count() == 0
        holder.execute("SELECT pg_advisory_unlock(%s)", [counts._LOCK])
        assert tasks.case_counts_refresh() == 1
    finally:
        holder.close()


# ---------------------------------------------------------------------------------------------
# The beat tick
# ---------------------------------------------------------------------------------------------
def test_the_beat_counts_again_twice_as_often_as_the_counts_may_age():
    entry = settings.CELERY_BEAT_SCHEDULE["case-counts-refresh"]
    assert entry == {
        "task": "cases.case_counts_refresh",
        "schedule": settings.CASE_COUNTS_MAX_AGE / 2,
    }
    assert tasks.case_counts_refresh.name == entry["task"]


def test_the_task_counts_every_case(registry):
    assert tasks.case_counts_refresh() == 7
    make_case()
    assert tasks.case_counts_refresh() == 8
    assert CaseCountSnapshot.objects.get().cases == 8


# ---------------------------------------------------------------------------------------------
# The API and the home pages
# ---------------------------------------------------------------------------------------------
def test_case_counts_api_says_when_the_cases_were_counted(registry):
    coordinator = client_of(make_member("coordinator", registry["home"]))
    before = timezone.now()

    body = coordinator.get(reverse("case-counts")).json()

    assert set(body) == {
        "total",
        "by_status",
        "by_phase",
        "by_origin_oblast",
        "by_current_country",
        "as_of",
    }
    as_of = parse_datetime(body["as_of"])
    assert as_of is not None
    assert before - dt.timedelta(seconds=1) <= as_of <= timezone.now()
    assert {key: value for key, value in body.items() if key != "as_of"} == _direct_registry()


def test_the_home_pages_say_when_the_cases_were_counted(client, registry):
    supervisor = make_member("supervisor", registry["home"])
    client.force_login(supervisor)
    response = client.get("/admin/")
    part = response.context["home"]["supervisor"]
    assert part.counted_at == CaseCountSnapshot.objects.get().taken_at
    assert "as counted at" in response.content.decode()

    make_case(assignee=registry["worker"])
    # Kept: the caseload is the one counted, until the counts are too old.
    org = client.get("/admin/").context["home"]["supervisor"].organizations[0]
    assert {str(f.label): f.count for f in org.by_assignee}[registry["worker"].username] == 2
    _age_the_counts(settings.CASE_COUNTS_MAX_AGE + 1)
    org = client.get("/admin/").context["home"]["supervisor"].organizations[0]
    assert {str(f.label): f.count for f in org.by_assignee}[registry["worker"].username] == 3


def test_the_work_to_attend_to_is_counted_live(client, registry):
    supervisor = make_member("supervisor", registry["home"])
    client.force_login(supervisor)
    client.get("/admin/")  # the caseloads are kept from here on
    case = make_case()
    services.closure_request_create(
        case_id=case.pk, actor=registry["worker"], closure_reason="duplicate", reason="Synthetic"
    )

    org = client.get("/admin/").context["home"]["supervisor"].organizations[0]

    attention = {str(f.label): f.count for f in org.attention}
    assert attention["Closure requests waiting for a decision"] == 1

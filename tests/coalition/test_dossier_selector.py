"""The country dossier: its sections from the coalition's records, the registry's counts of
children against a direct count (ever and now, by status, within what the reader may see), and
a constant number of queries whatever the data size. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from cases import services
from cases.models import Case, Whereabouts
from cases.workflow import Status
from coalition.models import EntryOutcome, Member, Vote
from coalition.selectors.dossier import (
    SCOPE_REGISTRY,
    SCOPE_VISIBLE,
    countries_in_records,
    country_dossier,
)
from coalition.services.common import CoalitionReadDenied
from core.errors import ValidationFailed
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case, make_whereabouts, move_case
from tests.factories.coalition_dossier import (
    make_area,
    make_child_list,
    make_coalition_member,
    make_meeting,
    make_organization_party,
    make_pledge,
    make_state,
    make_statement,
    make_vote,
)

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# The sections
# ---------------------------------------------------------------------------------------------
def test_dossier_sections_from_records():
    housing = make_area("synthetic-housing", 1)
    health = make_area("synthetic-health", 2)
    canada = make_coalition_member(
        "CA",
        role="co_chair",
        joined_on=dt.date(2024, 2, 1),
        areas=[(housing, True), (health, False)],
    )
    ukraine = make_state("UA")
    russia = make_state("RU")
    past = timezone.localdate() - dt.timedelta(days=10)
    future = timezone.localdate() + dt.timedelta(days=30)
    overdue = make_pledge(
        canada, amount=Decimal("1000.00"), currency="CAD", due_on=past, area=housing
    )
    make_pledge(canada, amount=Decimal("500.00"), currency="CAD", due_on=future, area=health)
    make_pledge(canada, amount=Decimal("200.00"), currency="EUR", status="delivered", due_on=past)
    make_pledge(canada, status="withdrawn", due_on=past)
    hosted = make_meeting("Synthetic plenary", host=canada.party, participants=[ukraine])
    attended = make_meeting(
        "Synthetic round", held_on=dt.date(2025, 6, 2), participants=[canada.party, russia]
    )
    make_meeting("Synthetic meeting without Canada", participants=[ukraine, russia])
    signed = make_statement(signatories=[canada.party, ukraine])
    make_statement("Synthetic statement without Canada", signatories=[ukraine])
    make_vote(canada.party, Vote.IN_FAVOUR, symbol="A/RES/00/1")
    make_vote(russia, Vote.AGAINST, symbol="A/RES/00/1")
    make_vote(canada.party, Vote.ABSTAINING, symbol="A/RES/00/2", voted_on=dt.date(2024, 1, 1))
    handed = make_child_list(
        "Synthetic list handed", meeting=attended, handed_by=canada.party, count_claimed=400
    )
    entry_case = make_case()
    handed.entries.create(
        position=1, name_as_written="Synthetic Name", case=entry_case, outcome=EntryOutcome.LISTED
    )
    received = make_child_list(
        "Synthetic list received", meeting=hosted, handed_by=ukraine, handed_to=[canada.party]
    )
    make_child_list("Synthetic list elsewhere", meeting=attended, handed_by=ukraine)

    dossier = country_dossier(actor=None, country="ca")

    assert dossier.code == "CA"
    assert dossier.name == "Canada"
    assert dossier.name_uk == "Канада"
    assert dossier.recorded is True
    assert dossier.membership is not None
    assert dossier.membership.role == "co_chair"
    assert dossier.membership.joined_on == dt.date(2024, 2, 1)
    assert dossier.membership.is_current is True
    assert [(a.code, a.leads) for a in dossier.membership.areas] == [
        ("synthetic-housing", True),
        ("synthetic-health", False),
    ]
    assert len(dossier.pledges) == 4
    assert {p.id for p in dossier.pledges if p.overdue} == {overdue.pk}
    assert dossier.overdue_pledges == 1
    totals = {t.status: t for t in dossier.pledge_totals}
    assert [t.status for t in dossier.pledge_totals] == [
        "pledged",
        "in_progress",
        "delivered",
        "withdrawn",
    ]
    assert totals["pledged"].count == 2
    assert totals["pledged"].amounts == {"CAD": Decimal("1500.00")}
    assert totals["delivered"].amounts == {"EUR": Decimal("200.00")}
    assert totals["withdrawn"].count == 1
    assert totals["withdrawn"].amounts == {}
    assert totals["in_progress"].count == 0
    meetings = {m.id: m for m in dossier.meetings}
    assert set(meetings) == {hosted.pk, attended.pk}
    assert meetings[hosted.pk].hosted
    assert not meetings[hosted.pk].took_part
    assert meetings[attended.pk].took_part
    assert not meetings[attended.pk].hosted
    assert [s.id for s in dossier.statements] == [signed.pk]
    assert [(v.symbol, v.vote) for v in dossier.votes] == [
        ("A/RES/00/1", Vote.IN_FAVOUR),
        ("A/RES/00/2", Vote.ABSTAINING),
    ]
    assert dossier.vote_totals == {"in_favour": 1, "against": 0, "abstaining": 1, "absent": 0}
    lists = {row.id: row for row in dossier.child_lists}
    assert set(lists) == {handed.pk, received.pk}
    assert lists[handed.pk].handed_over
    assert not lists[handed.pk].received
    assert lists[handed.pk].count_claimed == 400
    assert lists[handed.pk].entries_held == 1
    assert lists[received.pk].received
    assert not lists[received.pk].handed_over
    assert lists[received.pk].entries_held == 0


def test_dossier_of_a_state_no_record_names_is_empty():
    make_coalition_member("CA")
    dossier = country_dossier(actor=None, country="NZ")
    assert dossier.code == "NZ"
    assert dossier.name == "New Zealand"
    assert dossier.recorded is False
    assert dossier.membership is None
    assert dossier.pledges == dossier.meetings == dossier.statements == []
    assert dossier.votes == dossier.child_lists == []
    assert all(t.count == 0 for t in dossier.pledge_totals)
    assert dossier.children.ever_total == dossier.children.now_total == 0
    assert set(dossier.children.ever) == set(Status.values)


def test_dossier_of_a_former_member():
    make_coalition_member("GB", joined_on=dt.date(2024, 2, 1), left_on=dt.date(2025, 1, 1))
    dossier = country_dossier(actor=None, country="GB")
    assert dossier.membership is not None
    assert dossier.membership.is_current is False
    assert dossier.membership.left_on == dt.date(2025, 1, 1)


@pytest.mark.parametrize("code", ["", "C", "CAN", "XX", "1A", "council-of-europe", None, 12])
def test_dossier_refuses_an_unknown_country_naming_the_field(code: Any):
    with pytest.raises(ValidationFailed) as raised:
        country_dossier(actor=None, country=code)
    assert set(raised.value.fields) == {"country"}


def test_dossier_refused_to_a_role_that_does_not_read_the_coalition():
    outsider = UserFactory.create()  # no membership anywhere
    with pytest.raises(CoalitionReadDenied):
        country_dossier(actor=outsider, country="CA")
    with pytest.raises(CoalitionReadDenied):
        countries_in_records(actor=outsider)


def test_countries_in_records_lists_states_with_membership():
    make_coalition_member("CA", role="co_chair")
    make_coalition_member("GB", left_on=dt.date(2025, 1, 1))
    make_state("RU")
    make_organization_party("council-of-europe", "Council of Europe")
    rows = {row.code: row for row in countries_in_records(actor=None)}
    assert set(rows) == {"CA", "GB", "RU"}
    assert rows["CA"].is_member
    assert rows["CA"].role == "co_chair"
    assert not rows["GB"].is_member
    assert rows["GB"].role == "member"
    assert not rows["RU"].is_member
    assert rows["RU"].role is None
    assert rows["RU"].name == "Russia"


def test_countries_in_records_in_one_query(django_assert_num_queries: Any):
    for code in ("CA", "GB", "FR", "DE"):
        make_coalition_member(code)
    make_state("RU")
    with django_assert_num_queries(1):
        assert len(countries_in_records(actor=None)) == 5


# ---------------------------------------------------------------------------------------------
# The registry's children, against a direct count
# ---------------------------------------------------------------------------------------------
def _direct_counts(cases: Any, code: str) -> tuple[dict[str, int], dict[str, int]]:
    """Ever and now by status, counted case by case in Python, the slow obvious way."""
    ever: dict[str, int] = dict.fromkeys(Status.values, 0)
    now: dict[str, int] = dict.fromkeys(Status.values, 0)
    for case in cases.select_related("child__current_whereabouts"):
        if Whereabouts.objects.filter(child=case.child, country=code).exists():
            ever[case.status] += 1
        current = case.child.current_whereabouts
        if current is not None and current.country == code:
            now[case.status] += 1
    return ever, now


@pytest.fixture
def registry() -> dict[str, Any]:
    """Cases of two organizations, whose children were in Russia, are there now, moved on to
    Belarus, came home, or were never in Russia."""
    a = OrganizationFactory.create(name="Synthetic organization A")
    b = OrganizationFactory.create(name="Synthetic organization B")
    made: dict[str, Case] = {}

    def case(key: str, org: Any, *places: tuple[str, dt.date], to: tuple[str, ...] = ()) -> None:
        made[key] = make_case(organization=org)
        for country, from_date in places:
            make_whereabouts(made[key], country=country, from_date=from_date)
        if to:
            made[key] = move_case(made[key], *to)

    case("a_now", a, ("RU", dt.date(2022, 7, 1)))
    case("a_now_verifying", a, ("RU", dt.date(2022, 7, 1)), to=("verifying",))
    case("a_moved", a, ("RU", dt.date(2022, 7, 1)), ("BY", dt.date(2023, 1, 1)))
    case("a_back", a, ("BY", dt.date(2022, 7, 1)), ("RU", dt.date(2023, 1, 1)))
    case("a_never", a, ("BY", dt.date(2022, 7, 1)))
    case("a_nowhere", a)
    case(
        "a_returned",
        a,
        ("RU", dt.date(2022, 7, 1)),
        ("UA", dt.date(2024, 1, 15)),
        to=("verifying", "searching", "located", "return_in_progress", "returned"),
    )
    case("b_now", b, ("RU", dt.date(2022, 8, 1)))
    case("b_moved", b, ("RU", dt.date(2022, 8, 1)), ("BY", dt.date(2023, 2, 1)))
    case("b_shared", b, ("RU", dt.date(2022, 8, 1)))
    services.case_share_create(
        case=made["b_shared"],
        actor=None,
        organization=a,
        scope="limited",
        reason="Synthetic share",
        consent_reference="SYNTHETIC-CONSENT",
    )
    return {"a": a, "b": b, "cases": made}


def test_children_counts_against_a_direct_count(registry: dict[str, Any]):
    children = country_dossier(actor=None, country="RU").children
    ever, now = _direct_counts(Case.objects.all(), "RU")
    assert children.scope == SCOPE_REGISTRY
    assert children.ever == ever
    assert children.now == now
    # The figures themselves, so the direct count cannot be wrong in the same way.
    assert children.ever_total == 8
    assert children.now_total == 5
    assert children.ever["returned"] == 1
    assert children.now["returned"] == 0
    assert children.now["verifying"] == 1
    by = country_dossier(actor=None, country="BY").children
    assert (by.ever_total, by.now_total) == (4, 3)
    ua = country_dossier(actor=None, country="UA").children
    assert (ua.ever_total, ua.now_total) == (1, 1)
    assert ua.now == {status: int(status == "returned") for status in Status.values}


def test_children_counts_count_closed_cases_by_their_status(registry: dict[str, Any]):
    move_case(registry["cases"]["a_now"], "closed")
    children = country_dossier(actor=None, country="RU").children
    assert children.now["closed"] == 1
    assert children.now["reported"] == 3  # a_back, b_now and b_shared
    ever, now = _direct_counts(Case.objects.all(), "RU")
    assert (children.ever, children.now) == (ever, now)


def test_caseworker_counts_only_the_cases_they_may_see(registry: dict[str, Any]):
    caseworker = make_member("caseworker", registry["a"])
    children = country_dossier(actor=caseworker, country="RU").children
    visible = Case.objects.filter(organization=registry["a"]) | Case.objects.filter(
        pk=registry["cases"]["b_shared"].pk
    )
    ever, now = _direct_counts(visible, "RU")
    assert children.scope == SCOPE_VISIBLE
    assert (children.ever, children.now) == (ever, now)
    # Organization B's unshared cases (b_now, b_moved) are not counted; its shared one is.
    assert children.ever_total == 6
    assert children.now_total == 4


def test_partner_counts_only_what_it_submitted_or_was_shared(registry: dict[str, Any]):
    partner = make_member("partner", registry["a"])
    children = country_dossier(actor=partner, country="RU").children
    assert children.scope == SCOPE_VISIBLE
    # Nothing submitted by the partner; the share to its organization is visible to it.
    assert (children.ever_total, children.now_total) == (1, 1)


@pytest.mark.parametrize("role", ["coordinator", "auditor"])
def test_coordinators_and_auditors_count_the_registry(registry: dict[str, Any], role: str):
    """As ``case_counts`` does: counts over every case of the registry."""
    reader = make_member(role, registry["a"])
    children = country_dossier(actor=reader, country="RU").children
    ever, now = _direct_counts(Case.objects.all(), "RU")
    assert children.scope == SCOPE_REGISTRY
    assert (children.ever, children.now) == (ever, now)


def test_superuser_counts_the_registry(registry: dict[str, Any]):
    superuser = UserFactory.create(is_superuser=True)
    children = country_dossier(actor=superuser, country="RU").children
    assert children.scope == SCOPE_REGISTRY
    assert children.ever_total == 8


def test_children_counts_never_load_cases(registry: dict[str, Any]):
    """One aggregation for the counts: no query reads the cases' rows."""
    with CaptureQueriesContext(connection) as ctx:
        country_dossier(actor=None, country="RU")
    counting = [q["sql"] for q in ctx.captured_queries if "cases_case" in q["sql"]]
    assert len(counting) == 1
    assert "COUNT(" in counting[0].upper()
    assert "GROUP BY" in counting[0].upper()


# ---------------------------------------------------------------------------------------------
# A constant number of queries
# ---------------------------------------------------------------------------------------------
def _records(code: str, size: int, start: int) -> None:
    """``size`` of every kind of record naming the state ``code``."""
    member = _member_for(code)
    other = make_state("UA")
    for i in range(size):
        n = start + i
        area = make_area(f"synthetic-area-{n}", 100 + n)
        member.areas.create(area=area, leads=i % 2 == 0)
        make_pledge(member, amount=Decimal(n), currency="EUR", area=area)
        meeting = make_meeting(f"Synthetic meeting {n}", host=member.party, participants=[other])
        make_statement(f"Synthetic statement {n}", signatories=[member.party])
        make_vote(member.party, Vote.IN_FAVOUR, symbol=f"A/RES/{n}/1")
        make_child_list(f"Synthetic list {n}", meeting=meeting, handed_to=[member.party])
        case = make_case()
        make_whereabouts(case, country=code)


def _member_for(code: str) -> Member:
    return Member.objects.filter(party__code=code).first() or make_coalition_member(code)


@pytest.mark.parametrize("role", ["system", "caseworker", "coordinator"])
def test_dossier_queries_do_not_grow_with_the_data(role: str):
    org = OrganizationFactory.create()
    actor = None if role == "system" else make_member(role, org)

    def queries() -> int:
        # A fresh user each time: the roles it caches would hide their own queries.
        reader = None if actor is None else User.objects.get(pk=actor.pk)
        with CaptureQueriesContext(connection) as ctx:
            dossier = country_dossier(actor=reader, country="CA")
        assert dossier.recorded
        return len(ctx.captured_queries)

    _records("CA", 2, 0)
    few = queries()
    _records("CA", 12, 2)
    many = queries()
    assert few == many
    assert many <= 12
    assert len(country_dossier(actor=None, country="CA").pledges) == 14


def test_ever_filter_is_a_semi_join_not_a_join():
    """A child with many whereabouts in the country counts once per case."""
    case = make_case()
    for month in range(1, 6):
        make_whereabouts(case, country="RU", from_date=dt.date(2022, month, 1))
    children = country_dossier(actor=None, country="RU").children
    assert (children.ever_total, children.now_total) == (1, 1)
    direct = Case.objects.filter(
        Exists(Whereabouts.objects.filter(child=OuterRef("child"), country="RU"))
    ).count()
    assert direct == 1

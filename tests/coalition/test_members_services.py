"""The rules of parties, members, projects and pledges, in the services (synthetic data)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Role
from audit.models import Action, AuditEvent
from coalition.models import Member, Party, PartyKind, Pledge, PledgeStatus
from coalition.selectors.members import pledge_list
from coalition.services import members as services
from coalition.services.common import CoalitionWriteDenied, StaleRecord
from core.errors import Conflict, ValidationFailed
from tests.factories.accounts import make_member
from tests.factories.coalition_members import (
    days_ago,
    make_areas,
    make_coalition_member,
    make_pledge,
    make_project,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def areas() -> Any:
    return make_areas()


@pytest.fixture
def coordinator() -> Any:
    return make_member(Role.COORDINATOR)


def _fields(exc: pytest.ExceptionInfo[Any]) -> set[str]:
    return set(exc.value.fields)


def _events(instance: Any, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=f"coalition.{type(instance).__name__.lower()}",
            object_id=str(instance.pk),
            action=action,
        ).order_by("id")
    )


# ---------------------------------------------------------------------------------------------
# Parties
# ---------------------------------------------------------------------------------------------
def test_organization_record_writes_and_audits(coordinator: Any) -> None:
    party = services.organization_record(
        actor=coordinator,
        data={"code": "synthetic-org", "name": "Synthetic Organization", "name_uk": "Синтетична"},
    )
    assert party.kind == PartyKind.ORGANIZATION
    assert len(_events(party, Action.CREATE)) == 1


def test_organization_record_refuses_a_bad_code_and_a_missing_name() -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.organization_record(actor=None, data={"code": "X", "name": ""})
    assert _fields(exc) == {"code", "name"}


def test_organization_record_refuses_a_repeated_code() -> None:
    services.organization_record(actor=None, data={"code": "synthetic-org", "name": "A"})
    with pytest.raises(services.OrganizationExists):
        services.organization_record(actor=None, data={"code": "synthetic-org", "name": "B"})


def test_organization_update_refuses_a_state_and_a_stale_version() -> None:
    state = services.party_for_code("CA")
    with pytest.raises(ValidationFailed):
        services.organization_update(party=state, actor=None, data={"name": "Canada"})
    org = services.organization_record(actor=None, data={"code": "synthetic-org", "name": "A"})
    services.organization_update(party=org, actor=None, data={"name": "B"}, expected_version=1)
    org.refresh_from_db()
    assert (org.name, org.version) == ("B", 2)
    with pytest.raises(StaleRecord):
        services.organization_update(party=org, actor=None, data={"name": "C"}, expected_version=1)


def test_writes_are_refused_to_readers() -> None:
    caseworker = make_member(Role.CASEWORKER)
    with pytest.raises(CoalitionWriteDenied):
        services.organization_record(actor=caseworker, data={"code": "synthetic-org", "name": "A"})
    with pytest.raises(CoalitionWriteDenied):
        services.member_record(actor=caseworker, data={"party": "CA"})


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------
def test_member_record_creates_the_state_and_its_areas(areas: Any, coordinator: Any) -> None:
    member = services.member_record(
        actor=coordinator,
        data={
            "party": "ca",
            "role": "co_chair",
            "joined_on": dt.date(2024, 2, 2),
            "areas": ["return-mechanisms", "justice"],
            "leads": ["justice"],
        },
    )
    assert member.party.code == "CA"
    assert member.party.kind == PartyKind.STATE
    rows = {row.area.code: row.leads for row in member.areas.all()}
    assert rows == {"return-mechanisms": False, "justice": True}
    event = _events(member, Action.CREATE)[0]
    assert event.changes["leads"] == [None, ["justice"]]


def test_member_record_refuses_an_unknown_country_code() -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.member_record(actor=None, data={"party": "XQ"})
    assert _fields(exc) == {"party"}
    assert "XQ" in exc.value.detail
    assert not Party.objects.filter(code="XQ").exists()


def test_member_record_refuses_an_unknown_organization() -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.member_record(actor=None, data={"party": "no-such-org"})
    assert _fields(exc) == {"party"}


def test_member_leads_only_an_area_it_acts_in(areas: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.member_record(
            actor=None, data={"party": "CA", "areas": ["justice"], "leads": ["return-mechanisms"]}
        )
    assert _fields(exc) == {"leads"}
    assert not Member.objects.exists()


def test_member_leads_at_most_one_area(areas: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.member_record(
            actor=None,
            data={
                "party": "CA",
                "areas": ["justice", "return-mechanisms"],
                "leads": ["justice", "return-mechanisms"],
            },
        )
    assert _fields(exc) == {"leads"}


def test_member_refuses_an_unknown_area(areas: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.member_record(actor=None, data={"party": "CA", "areas": ["gardening"]})
    assert _fields(exc) == {"areas"}


def test_one_membership_per_party() -> None:
    make_coalition_member("CA")
    with pytest.raises(services.MemberExists) as exc:
        make_coalition_member("CA")
    assert _fields(exc) == {"party"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"joined_on": dt.date(2024, 2, 1), "left_on": dt.date(2024, 1, 31)}, "left_on"),
        ({"joined_on": dt.date(2024, 2, 2), "joined_precision": "month"}, "joined_on"),
        ({"joined_on": dt.date(2024, 3, 1), "joined_precision": "season"}, "joined_precision"),
        ({"joined_on": dt.date(2099, 1, 1)}, "joined_on"),
        ({"role": "observer"}, "role"),
    ],
)
def test_member_record_refuses_bad_dates_and_roles(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.member_record(actor=None, data={"party": "CA", **data})
    assert field in _fields(exc)


def test_member_update_changes_areas_audits_and_bumps_the_version(areas: Any) -> None:
    member = make_coalition_member("CA", areas=["justice"])
    services.member_update(
        member=member,
        actor=None,
        data={"areas": ["justice", "return-mechanisms"], "leads": ["return-mechanisms"]},
        expected_version=1,
    )
    member.refresh_from_db()
    assert member.version == 2
    assert {r.area.code: r.leads for r in member.areas.all()} == {
        "justice": False,
        "return-mechanisms": True,
    }
    event = _events(member, Action.UPDATE)[0]
    assert event.changes["leads"] == [[], ["return-mechanisms"]]
    # Nothing changed, nothing written.
    services.member_update(
        member=member, actor=None, data={"areas": ["justice", "return-mechanisms"]}
    )
    member.refresh_from_db()
    assert member.version == 2
    assert len(_events(member, Action.UPDATE)) == 1


def test_member_update_refuses_a_stale_version() -> None:
    member = make_coalition_member("CA")
    with pytest.raises(StaleRecord):
        services.member_update(member=member, actor=None, data={"note": "x"}, expected_version=7)


# ---------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------
def test_project_record_with_lead_and_budget(areas: Any) -> None:
    make_coalition_member("CA")
    project = make_project(lead="CA", budget=Decimal("10.50"), budget_currency="cad")
    assert project.lead is not None
    assert project.lead.party.code == "CA"
    assert project.budget_currency == "CAD"
    assert len(_events(project, Action.CREATE)) == 1


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"budget": Decimal("10")}, {"budget_currency"}),
        ({"budget_currency": "EUR"}, {"budget"}),
        ({"budget": Decimal("10"), "budget_currency": "XYZ"}, {"budget_currency"}),
        ({"starts_on": dt.date(2025, 2, 1), "ends_on": dt.date(2025, 1, 1)}, {"ends_on"}),
        ({"area": "gardening"}, {"area"}),
        ({"lead": "FR"}, {"lead"}),
        ({"status": "dreaming"}, {"status"}),
    ],
)
def test_project_record_names_the_field_at_fault(
    areas: Any, data: dict[str, Any], fields: set[str]
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        make_project(**data)
    assert _fields(exc) == fields


def test_project_area_change_moves_its_pledges_to_the_new_area(areas: Any) -> None:
    make_coalition_member("CA")
    project = make_project(area="justice")
    pledge = make_pledge("CA", project=project.pk)
    services.project_update(project=project, actor=None, data={"area": "return-mechanisms"})
    pledge.refresh_from_db()
    assert pledge.area.code == "return-mechanisms"


# ---------------------------------------------------------------------------------------------
# Pledges
# ---------------------------------------------------------------------------------------------
def test_pledge_to_a_project_takes_the_projects_area(areas: Any) -> None:
    make_coalition_member("CA")
    project = make_project(area="justice")
    pledge = make_pledge("CA", project=project.pk)
    assert pledge.area.code == "justice"


def test_pledge_to_a_project_refuses_another_area(areas: Any) -> None:
    make_coalition_member("CA")
    project = make_project(area="justice")
    with pytest.raises(ValidationFailed) as exc:
        make_pledge("CA", project=project.pk, area="return-mechanisms")
    assert _fields(exc) == {"area"}


def test_pledge_needs_a_project_or_an_area(areas: Any) -> None:
    make_coalition_member("CA")
    with pytest.raises(ValidationFailed) as exc:
        services.pledge_record(
            actor=None, data={"member": "CA", "kind": "expertise", "description": "x"}
        )
    assert _fields(exc) == {"area"}


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"kind": "money", "amount": None, "currency": ""}, {"amount"}),
        ({"kind": "money", "amount": Decimal("5"), "currency": ""}, {"currency"}),
        ({"kind": "money", "amount": Decimal("5"), "currency": "ZZZ"}, {"currency"}),
        ({"kind": "in_kind", "currency": "EUR"}, {"amount"}),
        ({"kind": "money", "amount": Decimal("-1"), "currency": "EUR"}, {"amount"}),
    ],
)
def test_pledge_money_errors_name_the_fields(
    areas: Any, data: dict[str, Any], fields: set[str]
) -> None:
    make_coalition_member("CA")
    with pytest.raises(ValidationFailed) as exc:
        make_pledge("CA", **data)
    assert _fields(exc) == fields
    assert not Pledge.objects.exists()


def test_pledge_by_a_non_member_is_refused(areas: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        make_pledge("FR")
    assert _fields(exc) == {"member"}


def test_pledge_record_writes_its_first_status_change(areas: Any, coordinator: Any) -> None:
    make_coalition_member("CA")
    pledge = services.pledge_record(
        actor=coordinator,
        data={"member": "CA", "kind": "expertise", "description": "x", "area": "justice"},
    )
    changes = list(pledge.status_changes.all())
    assert [(c.from_status, c.to_status, c.actor) for c in changes] == [
        ("", PledgeStatus.PLEDGED, coordinator)
    ]
    assert len(_events(pledge, Action.CREATE)) == 1


ALLOWED = [
    ("pledged", "in_progress"),
    ("pledged", "withdrawn"),
    ("in_progress", "delivered"),
    ("in_progress", "withdrawn"),
]
ALL_MOVES = [(a, b) for a in PledgeStatus.values for b in PledgeStatus.values]


def _pledge_in(status: str) -> Pledge:
    return _moved_to(make_pledge("CA"), status)


def _moved_to(pledge: Pledge, status: str) -> Pledge:
    path = {
        "pledged": [],
        "in_progress": ["in_progress"],
        "delivered": ["in_progress", "delivered"],
        "withdrawn": ["withdrawn"],
    }[status]
    for step in path:
        pledge = services.pledge_transition(pledge=pledge, to_status=step, actor=None)
    return pledge


@pytest.mark.parametrize(("from_status", "to_status"), ALL_MOVES)
def test_pledge_transition_table(
    areas: Any, coordinator: Any, from_status: str, to_status: str
) -> None:
    make_coalition_member("CA")
    pledge = _pledge_in(from_status)
    assert services.PLEDGE_TRANSITIONS[from_status] == {b for a, b in ALLOWED if a == from_status}
    if (from_status, to_status) in ALLOWED:
        moved = services.pledge_transition(
            pledge=pledge, to_status=to_status, actor=coordinator, note="synthetic note"
        )
        assert moved.status == to_status
        last = moved.status_changes.order_by("-id").first()
        assert last is not None
        assert (last.from_status, last.to_status, last.actor, last.note) == (
            from_status,
            to_status,
            coordinator,
            "synthetic note",
        )
        event = _events(moved, Action.TRANSITION)[-1]
        assert event.changes == {"status": [from_status, to_status]}
        assert event.actor == coordinator
    else:
        with pytest.raises(services.PledgeTransitionNotAllowed) as exc:
            services.pledge_transition(pledge=pledge, to_status=to_status, actor=coordinator)
        assert isinstance(exc.value, Conflict)
        assert exc.value.code == "pledge_transition_not_allowed"
        pledge.refresh_from_db()
        assert pledge.status == from_status


def test_pledge_transition_refuses_an_unknown_status_and_a_stale_version(areas: Any) -> None:
    make_coalition_member("CA")
    pledge = make_pledge("CA")
    with pytest.raises(ValidationFailed) as exc:
        services.pledge_transition(pledge=pledge, to_status="lost", actor=None)
    assert _fields(exc) == {"to"}
    with pytest.raises(StaleRecord):
        services.pledge_transition(
            pledge=pledge, to_status="in_progress", actor=None, expected_version=9
        )


def test_pledge_update_refuses_the_status_field(areas: Any) -> None:
    make_coalition_member("CA")
    pledge = make_pledge("CA")
    with pytest.raises(ValidationFailed) as exc:
        services.pledge_update(pledge=pledge, actor=None, data={"status": "delivered"})
    assert _fields(exc) == {"status"}


# ---------------------------------------------------------------------------------------------
# Overdue
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "due_in_days", "overdue"),
    [
        ("pledged", -1, True),
        ("in_progress", -1, True),
        ("delivered", -1, False),
        ("withdrawn", -1, False),
        ("pledged", 0, False),
        ("pledged", 1, False),
    ],
)
def test_overdue(areas: Any, status: str, due_in_days: int, overdue: bool) -> None:
    make_coalition_member("CA")
    pledge = make_pledge("CA", pledged_on=days_ago(30))
    Pledge.objects.filter(pk=pledge.pk).update(
        due_on=timezone.localdate() + dt.timedelta(days=due_in_days)
    )
    pledge = _moved_to(pledge, status)
    annotated = pledge_list(actor=None).get(pk=pledge.pk)
    assert annotated.is_overdue is overdue  # type: ignore[attr-defined]
    assert services.is_overdue(annotated) is overdue

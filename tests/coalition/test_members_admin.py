"""The members part in the admin: coordinators write through the services, other coalition
readers view only; a pledge moves through the list's actions (synthetic data)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Role
from audit.models import Action, AuditEvent
from coalition.models import Member, Pledge, PledgeStatus
from tests.factories.accounts import make_member
from tests.factories.coalition_members import (
    days_ago,
    make_areas,
    make_coalition_member,
    make_pledge,
)

pytestmark = pytest.mark.django_db

PAGES = [
    "admin:coalition_party_changelist",
    "admin:coalition_member_changelist",
    "admin:coalition_project_changelist",
    "admin:coalition_pledge_changelist",
    "admin:coalition_projectarea_changelist",
    "admin:coalition_commitment_changelist",
]


@pytest.fixture
def areas() -> Any:
    return make_areas()


def _signed_in(client: Any, role: str) -> Any:
    user = make_member(role)
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CASEWORKER, Role.AUDITOR])
def test_readers_see_every_page(client: Any, areas: Any, role: str) -> None:
    _signed_in(client, role)
    make_coalition_member("CA")
    make_pledge("CA")
    for page in PAGES:
        assert client.get(reverse(page)).status_code == 200, page
    pledge = Pledge.objects.get()
    assert client.get(reverse("admin:coalition_pledge_change", args=[pledge.pk])).status_code == 200


def test_only_coordinators_add(client: Any, areas: Any) -> None:
    _signed_in(client, Role.CASEWORKER)
    assert client.get(reverse("admin:coalition_member_add")).status_code == 403
    client.logout()
    _signed_in(client, Role.COORDINATOR)
    assert client.get(reverse("admin:coalition_member_add")).status_code == 200
    assert client.get(reverse("admin:coalition_projectarea_add")).status_code == 403


def test_member_is_recorded_through_the_service(client: Any, areas: Any) -> None:
    _signed_in(client, Role.COORDINATOR)
    response = client.post(
        reverse("admin:coalition_member_add"),
        {
            "party": "DK",
            "role": "member",
            "joined_on": "2024-02-02",
            "joined_precision": "day",
            "endorsed_declaration": "on",
            "areas": ["justice"],
            "leads": ["justice"],
            "note": "",
            "areas-TOTAL_FORMS": "0",
            "areas-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    member = Member.objects.get(party__code="DK")
    assert [(row.area.code, row.leads) for row in member.areas.all()] == [("justice", True)]
    assert AuditEvent.objects.filter(
        object_type="coalition.member", object_id=str(member.pk), action=Action.CREATE
    ).exists()


def test_member_refused_by_the_service_shows_the_field(client: Any, areas: Any) -> None:
    _signed_in(client, Role.COORDINATOR)
    response = client.post(
        reverse("admin:coalition_member_add"),
        {
            "party": "DK",
            "role": "member",
            "joined_precision": "day",
            "areas": ["justice"],
            "leads": ["return-mechanisms"],
            "areas-TOTAL_FORMS": "0",
            "areas-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "leads" in response.context["adminform"].form.errors
    assert not Member.objects.exists()


def test_pledge_actions_move_it_and_refuse_what_the_workflow_refuses(
    client: Any, areas: Any
) -> None:
    _signed_in(client, Role.COORDINATOR)
    make_coalition_member("CA")
    pledge = make_pledge("CA")
    url = reverse("admin:coalition_pledge_changelist")
    client.post(url, {"action": "move_to_in_progress", "_selected_action": [pledge.pk]})
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.IN_PROGRESS
    client.post(url, {"action": "move_to_delivered", "_selected_action": [pledge.pk]})
    response = client.post(
        url, {"action": "move_to_withdrawn", "_selected_action": [pledge.pk]}, follow=True
    )
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.DELIVERED
    assert any("cannot move" in str(m) for m in response.context["messages"])
    assert pledge.status_changes.count() == 3


def test_pledge_actions_are_not_offered_to_readers(client: Any, areas: Any) -> None:
    _signed_in(client, Role.CASEWORKER)
    make_coalition_member("CA")
    pledge = make_pledge("CA")
    client.post(
        reverse("admin:coalition_pledge_changelist"),
        {"action": "move_to_in_progress", "_selected_action": [pledge.pk]},
    )
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.PLEDGED


def test_overdue_filter(client: Any, areas: Any) -> None:
    _signed_in(client, Role.COORDINATOR)
    make_coalition_member("CA")
    late = make_pledge("CA", pledged_on=days_ago(10), due_on=days_ago(1), description="Late one")
    make_pledge("CA", description="Open one")
    response = client.get(reverse("admin:coalition_pledge_changelist"), {"overdue": "yes"})
    assert [p.pk for p in response.context["cl"].result_list] == [late.pk]


def test_member_change_page_saves_through_the_service(client: Any, areas: Any) -> None:
    _signed_in(client, Role.COORDINATOR)
    member = make_coalition_member("CA", areas=["justice"], leads=["justice"])
    url = reverse("admin:coalition_member_change", args=[member.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.fields["party"].disabled
    assert form.initial["party"] == "CA"
    response = client.post(
        url,
        {
            "role": "co_chair",
            "joined_precision": "day",
            "endorsed_declaration": "on",
            "areas": ["justice", "return-mechanisms"],
            "leads": ["justice"],
            "note": "",
            "areas-TOTAL_FORMS": "1",
            "areas-INITIAL_FORMS": "1",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    member.refresh_from_db()
    assert member.role == "co_chair"
    assert member.version == 2
    assert {row.area.code for row in member.areas.all()} == {"justice", "return-mechanisms"}


def test_pledge_and_project_are_recorded_through_the_services(client: Any, areas: Any) -> None:
    _signed_in(client, Role.COORDINATOR)
    member = make_coalition_member("CA")
    response = client.post(
        reverse("admin:coalition_project_add"),
        {
            "title": "Synthetic project",
            "description": "",
            "area": areas["justice"].pk,
            "lead": member.pk,
            "status": "proposed",
            "budget": "100.00",
            "budget_currency": "EUR",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    project = member.led_projects.get()
    response = client.post(
        reverse("admin:coalition_pledge_add"),
        {
            "member": member.pk,
            "project": project.pk,
            "kind": "money",
            "description": "Synthetic pledge",
            "amount": "10.00",
            "currency": "",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "currency" in response.context["adminform"].form.errors
    response = client.post(
        reverse("admin:coalition_pledge_add"),
        {
            "member": member.pk,
            "project": project.pk,
            "kind": "money",
            "description": "Synthetic pledge",
            "amount": "10.00",
            "currency": "EUR",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    pledge = Pledge.objects.get()
    assert pledge.area == project.area
    assert pledge.status_changes.get().to_status == PledgeStatus.PLEDGED

"""The members part's API: wiring, ETags and If-Match, filters, the pledge workflow and its
history, error bodies and query counts (synthetic data)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from audit.models import Action, AuditEvent
from coalition.models import Party, Pledge
from coalition.services import members as services
from tests.factories.accounts import make_member
from tests.factories.coalition_members import (
    days_ago,
    make_areas,
    make_coalition_member,
    make_pledge,
    make_project,
)

pytestmark = pytest.mark.django_db


def _client(role: str) -> tuple[APIClient, Any]:
    user = make_member(role)
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client, user


@pytest.fixture
def areas() -> Any:
    return make_areas()


@pytest.fixture
def coordinator() -> tuple[APIClient, Any]:
    return _client(Role.COORDINATOR)


@pytest.fixture
def client(coordinator: tuple[APIClient, Any]) -> APIClient:
    return coordinator[0]


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# ---------------------------------------------------------------------------------------------
# Parties and reference data
# ---------------------------------------------------------------------------------------------
def test_parties_create_read_and_patch_an_organization(client: APIClient) -> None:
    created = client.post(
        reverse("coalition-party-list"),
        {"code": "synthetic-org", "name": "Synthetic Organization", "abbreviation": "SO"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created["ETag"] == f'"{Party.objects.get(code="synthetic-org").pk}-1"'
    url = reverse("coalition-party-detail", args=["synthetic-org"])
    read = client.get(url)
    assert read.json()["name"] == "Synthetic Organization"
    missing = client.patch(url, {"name": "Renamed"}, format="json")
    assert missing.status_code == 428
    stale = client.patch(url, {"name": "Renamed"}, format="json", HTTP_IF_MATCH='"999-1"')
    assert stale.status_code == 412
    changed = client.patch(url, {"name": "Renamed"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert changed.status_code == 200, changed.content
    assert changed.json()["name"] == "Renamed"
    assert changed.json()["version"] == 2


def test_parties_show_states_with_their_ukrainian_name(client: APIClient) -> None:
    make_coalition_member("CA")
    response = client.get(reverse("coalition-party-detail", args=["ca"]))
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["kind"], body["name"], body["name_uk"]) == (
        "CA",
        "state",
        "Canada",
        "Канада",
    )
    assert client.get(reverse("coalition-party-detail", args=["FR"])).status_code == 404


def test_parties_filter_by_kind_and_refuse_unknown_values(client: APIClient) -> None:
    make_coalition_member("CA")
    services.organization_record(actor=None, data={"code": "synthetic-org", "name": "S"})
    listed = client.get(reverse("coalition-party-list"), {"kind": "organization"})
    assert [row["code"] for row in listed.json()["results"]] == ["synthetic-org"]
    bad = client.get(reverse("coalition-party-list"), {"kind": "planet"})
    assert bad.status_code == 400
    assert "kind" in bad.json()["fields"]
    unknown = client.get(reverse("coalition-party-list"), {"colour": "red"})
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["fields"]


def test_areas_and_commitments_are_read_only_lists(client: APIClient, areas: Any) -> None:
    response = client.get(reverse("coalition-area-list"))
    assert [row["code"] for row in response.json()][:2] == [
        "identifying-whereabouts",
        "return-mechanisms",
    ]
    assert client.post(reverse("coalition-area-list"), {}, format="json").status_code == 405
    assert client.get(reverse("coalition-commitment-list")).status_code == 200


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------
def test_members_create_and_patch_with_if_match(client: APIClient, areas: Any) -> None:
    created = client.post(
        reverse("coalition-member-list"),
        {
            "party": "UA",
            "role": "co_chair",
            "joined_on": "2023-12-08",
            "areas": ["justice", "return-mechanisms"],
            "leads": ["justice"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["party"] == {"code": "UA", "kind": "state", "name": "Ukraine"}
    assert {a["code"]: a["leads"] for a in body["areas"]} == {
        "return-mechanisms": False,
        "justice": True,
    }
    url = reverse("coalition-member-detail", args=[body["id"]])
    assert client.patch(url, {"note": "x"}, format="json").status_code == 428
    changed = client.patch(url, {"note": "x"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != created["ETag"]
    stale = client.patch(url, {"note": "y"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"


def test_members_create_refuses_unknown_country_and_fields(client: APIClient) -> None:
    unknown = client.post(reverse("coalition-member-list"), {"party": "XQ"}, format="json")
    assert unknown.status_code == 400
    assert "party" in unknown.json()["fields"]
    extra = client.post(
        reverse("coalition-member-list"), {"party": "CA", "colour": "red"}, format="json"
    )
    assert extra.status_code == 400
    assert "colour" in extra.json()["fields"]
    make_coalition_member("CA")
    twice = client.post(reverse("coalition-member-list"), {"party": "CA"}, format="json")
    assert twice.status_code == 409
    assert twice.json()["code"] == "member_exists"


def test_members_filters(client: APIClient, areas: Any) -> None:
    ca = make_coalition_member(
        "CA", role="co_chair", joined_on=dt.date(2024, 2, 2), areas=["justice"]
    )
    be = make_coalition_member(
        "BE", joined_on=dt.date(2024, 2, 2), left_on=days_ago(1), areas=["return-mechanisms"]
    )
    services.organization_record(actor=None, data={"code": "synthetic-org", "name": "S"})
    org = make_coalition_member("synthetic-org")
    url = reverse("coalition-member-list")
    assert _ids(client.get(url, {"country": "CA"})) == {ca.pk}
    assert _ids(client.get(url, {"kind": "organization"})) == {org.pk}
    assert _ids(client.get(url, {"role": "co_chair"})) == {ca.pk}
    assert _ids(client.get(url, {"area": "justice"})) == {ca.pk}
    assert _ids(client.get(url, {"current": "true"})) == {ca.pk, org.pk}
    assert _ids(client.get(url, {"current": "false"})) == {be.pk}
    assert _ids(client.get(url, {"joined_after": "2024-02-02"})) == {ca.pk, be.pk}
    assert _ids(client.get(url, {"joined_before": "2024-02-02"})) == set()
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert _ids(client.get(url, {"updated_since": future})) == set()
    for name, value in [
        ("country", "XQ"),
        ("role", "observer"),
        ("area", "gardening"),
        ("current", "maybe"),
        ("joined_after", "yesterday"),
    ]:
        bad = client.get(url, {name: value})
        assert bad.status_code == 400, (name, bad.content)
        assert name in bad.json()["fields"]


def test_members_list_reads_in_a_constant_number_of_queries(
    client: APIClient, areas: Any, django_assert_max_num_queries: Any
) -> None:
    for code in ("CA", "BE", "DE", "DK", "NL", "GB", "CR", "US"):
        make_coalition_member(code, areas=["justice", "return-mechanisms"], leads=["justice"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("coalition-member-list"), {"page_size": 50})
    assert len(response.json()["results"]) == 8


# ---------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------
def test_projects_create_filter_and_errors(client: APIClient, areas: Any) -> None:
    make_coalition_member("CA")
    created = client.post(
        reverse("coalition-project-list"),
        {
            "title": "Synthetic project",
            "area": "justice",
            "lead": "CA",
            "starts_on": "2025-01-01",
            "budget": "1000.00",
            "budget_currency": "CAD",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["lead"]["code"] == "CA"
    other = make_project(area="return-mechanisms", status="active")
    url = reverse("coalition-project-list")
    assert _ids(client.get(url, {"area": "justice"})) == {created.json()["id"]}
    assert _ids(client.get(url, {"lead": "ca"})) == {created.json()["id"]}
    assert _ids(client.get(url, {"status": "active"})) == {other.pk}
    assert _ids(client.get(url, {"starts_after": "2025-01-01"})) == {created.json()["id"]}
    bad = client.post(url, {"title": "T", "area": "justice", "budget": "5.00"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"budget_currency"}
    assert client.get(url, {"status": "dreaming"}).status_code == 400


# ---------------------------------------------------------------------------------------------
# Pledges
# ---------------------------------------------------------------------------------------------
def test_pledges_create_transition_and_history(
    coordinator: tuple[APIClient, Any], areas: Any
) -> None:
    client, user = coordinator
    make_coalition_member("CA")
    project = make_project(area="justice")
    created = client.post(
        reverse("coalition-pledge-list"),
        {
            "member": "CA",
            "project": project.pk,
            "kind": "money",
            "amount": "250000.00",
            "currency": "EUR",
            "description": "Synthetic pledge",
            "due_on": "2030-01-01",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["area"]["code"] == "justice"
    assert body["status"] == "pledged"
    assert body["is_overdue"] is False
    assert body["allowed_transitions"] == ["in_progress", "withdrawn"]
    transition = reverse("coalition-pledge-transition", args=[body["id"]])
    assert client.post(transition, {"to": "in_progress"}, format="json").status_code == 428
    moved = client.post(
        transition,
        {"to": "in_progress", "note": "started"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["status"] == "in_progress"
    delivered = client.post(
        transition, {"to": "delivered"}, format="json", HTTP_IF_MATCH=moved["ETag"]
    )
    assert delivered.status_code == 200
    refused = client.post(
        transition, {"to": "withdrawn"}, format="json", HTTP_IF_MATCH=delivered["ETag"]
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "pledge_transition_not_allowed"
    history = client.get(reverse("coalition-pledge-history", args=[body["id"]])).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "pledged"),
        ("pledged", "in_progress"),
        ("in_progress", "delivered"),
    ]
    assert history[1]["actor"]["id"] == user.pk
    assert history[1]["note"] == "started"
    detail = client.get(reverse("coalition-pledge-detail", args=[body["id"]])).json()
    assert len(detail["history"]) == 3
    assert (
        AuditEvent.objects.filter(
            object_type="coalition.pledge", object_id=str(body["id"]), action=Action.TRANSITION
        ).count()
        == 2
    )


def test_pledges_money_errors_name_the_fields(client: APIClient, areas: Any) -> None:
    make_coalition_member("CA")
    response = client.post(
        reverse("coalition-pledge-list"),
        {"member": "CA", "area": "justice", "kind": "money", "description": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"amount"}
    assert not Pledge.objects.exists()


def test_pledges_patch_refuses_status(client: APIClient, areas: Any) -> None:
    make_coalition_member("CA")
    pledge = make_pledge("CA")
    url = reverse("coalition-pledge-detail", args=[pledge.pk])
    read = client.get(url)
    response = client.patch(url, {"status": "delivered"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    changed = client.patch(
        url, {"description": "Better"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert changed.status_code == 200
    assert changed.json()["description"] == "Better"


def test_pledges_filters(client: APIClient, areas: Any) -> None:
    make_coalition_member("CA")
    make_coalition_member("BE")
    project = make_project(area="justice")
    late = make_pledge("CA", pledged_on=days_ago(30), due_on=days_ago(1))
    done = make_pledge("CA", pledged_on=days_ago(30), due_on=days_ago(1))
    services.pledge_transition(pledge=done, to_status="in_progress", actor=None)
    services.pledge_transition(pledge=done, to_status="delivered", actor=None)
    today = make_pledge("BE", project=project.pk, kind="expertise", due_on=timezone.localdate())
    url = reverse("coalition-pledge-list")
    assert _ids(client.get(url, {"overdue": "true"})) == {late.pk}
    assert _ids(client.get(url, {"overdue": "false"})) == {done.pk, today.pk}
    assert _ids(client.get(url, {"member": "BE"})) == {today.pk}
    assert _ids(client.get(url, {"project": project.pk})) == {today.pk}
    assert _ids(client.get(url, {"area": "justice"})) == {today.pk}
    assert _ids(client.get(url, {"status": "delivered"})) == {done.pk}
    assert _ids(client.get(url, {"kind": "expertise"})) == {today.pk}
    assert _ids(client.get(url, {"due_before": timezone.localdate().isoformat()})) == {
        late.pk,
        done.pk,
    }
    assert _ids(client.get(url, {"due_after": timezone.localdate().isoformat()})) == {today.pk}
    rows = {row["id"]: row["is_overdue"] for row in client.get(url).json()["results"]}
    assert rows == {late.pk: True, done.pk: False, today.pk: False}
    for name, value in [
        ("overdue", "yes"),
        ("status", "lost"),
        ("project", "x"),
        # A mistyped code is refused, never read as "matches nothing".
        ("member", "XX"),
        ("member", "no-such-organization"),
    ]:
        bad = client.get(url, {name: value})
        assert bad.status_code == 400, (name, bad.content)
        assert name in bad.json()["fields"]


def test_pledges_list_reads_in_a_constant_number_of_queries(
    client: APIClient, areas: Any, django_assert_max_num_queries: Any
) -> None:
    make_coalition_member("CA")
    for _n in range(10):
        pledge = make_pledge("CA")
        services.pledge_transition(pledge=pledge, to_status="in_progress", actor=None)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("coalition-pledge-list"), {"page_size": 50})
    assert len(response.json()["results"]) == 10

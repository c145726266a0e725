"""Shares, closure requests, case ownership and counts through the API. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization, User
from cases.models import Case, CaseShare, ClosureRequest
from tests.api_errors import assert_error
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db


def client_of(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def share_body(target: Organization, **overrides: Any) -> dict[str, Any]:
    return {
        "organization": target.pk,
        "scope": "limited",
        "reason": "Search abroad",
        "consent_reference": "Consent 2025-1",
        **overrides,
    }


def etag(client: APIClient, case: Case) -> str:
    return client.get(reverse("case-detail", kwargs={"pk": case.pk}))["ETag"]


# -- sharing ----------------------------------------------------------------------------------
def test_supervisor_shares_and_the_partner_sees_the_case(api_client, home):
    case = make_case()
    partner_org = OrganizationFactory.create()
    partner = client_of(make_member("partner", partner_org))
    assert partner.get(reverse("case-detail", kwargs={"pk": case.pk})).status_code == 404

    response = api_client.post(
        reverse("case-shares", kwargs={"pk": case.pk}), share_body(partner_org), format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organization"]["id"] == partner_org.pk
    assert body["scope"] == "limited"
    assert body["is_active"] is True
    detail = partner.get(reverse("case-detail", kwargs={"pk": case.pk}))
    assert detail.status_code == 200
    assert detail.json()["access_scope"] == "limited"
    assert detail.json()["organization"] == {"id": home.pk, "name": home.name}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scope": "everything"}, "scope"),
        ({"reason": ""}, "reason"),
        ({"consent_reference": ""}, "consent_reference"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"organization": 10**9}, "organization"),
    ],
)
def test_share_refuses_bad_input_naming_the_field(api_client, overrides, field):
    case = make_case()
    response = api_client.post(
        reverse("case-shares", kwargs={"pk": case.pk}),
        share_body(OrganizationFactory.create(), **overrides),
        format="json",
    )
    body = assert_error(response, 400, "invalid")
    assert field in body["fields"]
    assert not CaseShare.objects.exists()


def test_share_with_the_owner_or_an_inactive_organization_is_refused(api_client, home):
    case = make_case()
    url = reverse("case-shares", kwargs={"pk": case.pk})
    assert (
        "organization"
        in assert_error(api_client.post(url, share_body(home), format="json"), 400, "invalid")[
            "fields"
        ]
    )
    inactive = OrganizationFactory.create(is_active=False)
    assert (
        "organization"
        in assert_error(api_client.post(url, share_body(inactive), format="json"), 400, "invalid")[
            "fields"
        ]
    )


def test_second_live_share_with_one_organization_is_a_conflict(api_client):
    case = make_case()
    partner_org = OrganizationFactory.create()
    url = reverse("case-shares", kwargs={"pk": case.pk})
    assert api_client.post(url, share_body(partner_org), format="json").status_code == 201
    assert_error(api_client.post(url, share_body(partner_org), format="json"), 409, "share_exists")
    assert CaseShare.objects.count() == 1


def test_revoked_share_hides_the_case_again_and_stays_on_record(api_client):
    case = make_case()
    partner_org = OrganizationFactory.create()
    partner = client_of(make_member("partner", partner_org))
    share_id = api_client.post(
        reverse("case-shares", kwargs={"pk": case.pk}), share_body(partner_org), format="json"
    ).json()["id"]
    revoke = reverse("case-share-revoke", kwargs={"pk": case.pk, "share_id": share_id})

    assert_error(api_client.post(revoke, {}, format="json"), 400, "invalid")
    response = api_client.post(revoke, {"reason": "Search concluded"}, format="json")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["revoke_reason"] == "Search concluded"
    assert partner.get(reverse("case-detail", kwargs={"pk": case.pk})).status_code == 404
    assert_error(api_client.post(revoke, {"reason": "again"}, format="json"), 409, "share_revoked")
    listed = api_client.get(reverse("case-shares", kwargs={"pk": case.pk})).json()
    assert [s["id"] for s in listed] == [share_id]


def test_expired_share_no_longer_shows_the_case(api_client):
    case = make_case()
    partner_org = OrganizationFactory.create()
    partner = client_of(make_member("partner", partner_org))
    expires = timezone.now() + dt.timedelta(hours=1)
    api_client.post(
        reverse("case-shares", kwargs={"pk": case.pk}),
        share_body(partner_org, expires_at=expires.isoformat()),
        format="json",
    )
    assert partner.get(reverse("case-detail", kwargs={"pk": case.pk})).status_code == 200

    CaseShare.objects.update(
        created_at=timezone.now() - dt.timedelta(days=2),
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )

    assert partner.get(reverse("case-detail", kwargs={"pk": case.pk})).status_code == 404
    assert partner.get(reverse("case-list")).json()["results"] == []


def test_full_share_wins_over_limited_for_members_of_both(api_client):
    case = make_case()
    first, second = OrganizationFactory.create(), OrganizationFactory.create()
    member = make_member("partner", first)
    from accounts.services import membership_set

    membership_set(user=member, organization=second, role="partner")
    url = reverse("case-shares", kwargs={"pk": case.pk})
    api_client.post(url, share_body(first, scope="limited"), format="json")
    api_client.post(url, share_body(second, scope="full"), format="json")

    rows = client_of(member).get(reverse("case-list")).json()["results"]
    assert [(r["id"], r["access_scope"]) for r in rows] == [(case.pk, "full")]


def test_partner_creates_a_case_owned_by_its_own_organization():
    partner_org = OrganizationFactory.create()
    partner = client_of(make_member("partner", partner_org))
    response = partner.post(
        reverse("case-list"),
        {
            "child": {
                "given_name": "Марта",
                "family_name": "Синтетична",
                "sex": "female",
                "date_of_birth_precision": "estimated",
            }
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["organization"]["id"] == partner_org.pk
    # Partners read what they submitted, and write nothing more.
    case_id = response.json()["id"]
    assert partner.get(reverse("case-detail", kwargs={"pk": case_id})).status_code == 200
    assert_error(
        partner.patch(
            reverse("case-detail", kwargs={"pk": case_id}),
            {"priority": "high"},
            format="json",
            HTTP_IF_MATCH=response["ETag"],
        ),
        403,
        "permission_denied",
    )


def test_member_of_several_organizations_names_the_owner():
    first, second = OrganizationFactory.create(), OrganizationFactory.create()
    member = make_member("caseworker", first)
    from accounts.services import membership_set

    membership_set(user=member, organization=second, role="caseworker")
    client = client_of(member)
    body = {
        "child": {
            "given_name": "Марта",
            "family_name": "Синтетична",
            "sex": "female",
            "date_of_birth_precision": "estimated",
        }
    }

    assert (
        "organization"
        in assert_error(client.post(reverse("case-list"), body, format="json"), 400, "invalid")[
            "fields"
        ]
    )
    response = client.post(reverse("case-list"), {**body, "organization": second.pk}, format="json")
    assert response.status_code == 201
    assert response.json()["organization"]["id"] == second.pk
    outsider = OrganizationFactory.create()
    assert_error(
        client.post(reverse("case-list"), {**body, "organization": outsider.pk}, format="json"),
        403,
        "permission_denied",
    )


def test_only_a_supervisor_assigns_and_only_to_its_own_people(home):
    case = make_case()
    caseworker = make_member("caseworker", home)
    supervisor = make_member("supervisor", home)
    stranger = make_member("caseworker", OrganizationFactory.create())
    url = reverse("case-detail", kwargs={"pk": case.pk})

    as_caseworker = client_of(caseworker)
    response = as_caseworker.patch(
        url, {"assignee": caseworker.pk}, format="json", HTTP_IF_MATCH=etag(as_caseworker, case)
    )
    assert_error(response, 403, "permission_denied")

    as_supervisor = client_of(supervisor)
    response = as_supervisor.patch(
        url, {"assignee": stranger.pk}, format="json", HTTP_IF_MATCH=etag(as_supervisor, case)
    )
    assert "assignee" in assert_error(response, 400, "invalid")["fields"]
    response = as_supervisor.patch(
        url, {"assignee": caseworker.pk}, format="json", HTTP_IF_MATCH=etag(as_supervisor, case)
    )
    assert response.status_code == 200
    assert response.json()["assignee"]["id"] == caseworker.pk


# -- closure requests --------------------------------------------------------------------------
def test_caseworker_requests_closure_and_a_supervisor_approves(home):
    case = make_case()
    caseworker = client_of(make_member("caseworker", home))
    supervisor = client_of(make_member("supervisor", home))

    refused = caseworker.post(
        reverse("case-transition", kwargs={"pk": case.pk}),
        {"to": "closed", "closure_reason": "duplicate"},
        format="json",
        HTTP_IF_MATCH=etag(caseworker, case),
    )
    assert_error(refused, 403, "closure_needs_approval")

    url = reverse("case-closure-requests", kwargs={"pk": case.pk})
    created = caseworker.post(
        url, {"closure_reason": "duplicate", "reason": "Same child as another case"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "pending"
    assert_error(
        caseworker.post(url, {"closure_reason": "duplicate", "reason": "again"}, format="json"),
        409,
        "closure_request_pending",
    )
    request_id = created.json()["id"]
    approve = reverse(
        "case-closure-request-approve", kwargs={"pk": case.pk, "request_id": request_id}
    )
    assert_error(caseworker.post(approve, {}, format="json"), 403, "permission_denied")

    decided = supervisor.post(approve, {"note": "Checked"}, format="json")

    assert decided.status_code == 200
    assert decided.json()["status"] == "approved"
    case.refresh_from_db()
    assert case.status == "closed"
    assert case.closure_reason == "duplicate"
    assert_error(supervisor.post(approve, {}, format="json"), 409, "closure_request_decided")


def test_rejecting_a_closure_needs_a_note_and_leaves_the_case_open(home):
    case = make_case()
    supervisor = client_of(make_member("supervisor", home))
    request = ClosureRequest.objects.create(case=case, closure_reason="duplicate", reason="x")
    reject = reverse(
        "case-closure-request-reject", kwargs={"pk": case.pk, "request_id": request.pk}
    )

    assert (
        "note" in assert_error(supervisor.post(reject, {}, format="json"), 400, "invalid")["fields"]
    )
    response = supervisor.post(reject, {"note": "Not the same child"}, format="json")

    assert response.json()["status"] == "rejected"
    case.refresh_from_db()
    assert case.status == "reported"


def test_closing_directly_supersedes_a_waiting_request(api_client):
    case = make_case()
    request = ClosureRequest.objects.create(case=case, closure_reason="duplicate", reason="x")

    move_case(case, "closed")

    request.refresh_from_db()
    assert request.status == "superseded"
    assert request.decided_at is not None


def test_closure_request_on_a_closed_case_is_refused(api_client):
    case = move_case(make_case(), "closed")
    response = api_client.post(
        reverse("case-closure-requests", kwargs={"pk": case.pk}),
        {"closure_reason": "duplicate", "reason": "x"},
        format="json",
    )
    assert_error(response, 409, "transition_not_allowed")


def test_caseworker_cannot_reopen(home):
    case = move_case(make_case(), "closed")
    caseworker = client_of(make_member("caseworker", home))
    response = caseworker.post(
        reverse("case-transition", kwargs={"pk": case.pk}),
        {"to": "verifying", "reason": "New evidence"},
        format="json",
        HTTP_IF_MATCH=etag(caseworker, case),
    )
    assert_error(response, 403, "closure_needs_approval")


# -- counts -----------------------------------------------------------------------------------
def test_case_counts_for_a_coordinator_carry_no_personal_data(home, oblasts):
    make_case(oblast=oblasts["UA-14"], child={"family_name": "Лічильник"})
    move_case(make_case(oblast=oblasts["UA-14"]), "verifying")
    make_case(organization=OrganizationFactory.create())  # counted too: counts span the registry
    coordinator = client_of(make_member("coordinator", home))

    response = coordinator.get(reverse("case-counts"))

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    assert body["by_status"] == {"reported": 2, "verifying": 1}
    assert body["by_phase"] == {"repatriation": 3}
    assert body["by_origin_oblast"]["UA-14"] == 2
    assert body["by_current_country"] == {"unknown": 3}
    assert "Лічильник" not in response.content.decode()
    assert coordinator.get(reverse("case-list")).json()["results"] == []


def test_case_counts_refuse_unknown_parameters(api_client):
    assert_error(api_client.get(reverse("case-counts"), {"status": "x"}), 400, "invalid")


def test_many_shares_are_followed_through_subqueries_with_the_same_answer(api_client, monkeypatch):
    from cases import selectors

    partner_org = OrganizationFactory.create()
    partner = client_of(make_member("partner", partner_org))
    cases = [make_case() for _ in range(3)]
    url = "case-shares"
    for case, scope in zip(cases, ["full", "limited", "limited"], strict=True):
        api_client.post(
            reverse(url, kwargs={"pk": case.pk}),
            share_body(partner_org, scope=scope),
            format="json",
        )
    listed = partner.get(reverse("case-list")).json()["results"]

    monkeypatch.setattr(selectors, "SHARE_ID_LIST_LIMIT", 1)
    through_subqueries = partner.get(reverse("case-list")).json()["results"]

    assert through_subqueries == listed
    assert {(r["id"], r["access_scope"]) for r in listed} == {
        (cases[0].pk, "full"),
        (cases[1].pk, "limited"),
        (cases[2].pk, "limited"),
    }


def test_case_scope_of_someone_who_reads_no_cases_is_none(home):
    from cases import selectors

    case = make_case()
    coordinator = make_member("coordinator", home)

    assert selectors.case_scope(actor=coordinator, case_id=case.pk) is None
    assert selectors.case_scope(actor=None, case_id=case.pk) is None


def test_case_counts_are_refused_by_the_selector_itself_to_a_partner():
    from cases import selectors
    from core.errors import PermissionDenied

    partner = make_member("partner", OrganizationFactory.create())
    with pytest.raises(PermissionDenied):
        selectors.case_counts(actor=partner)
    assert selectors.case_counts(actor=None)["total"] == 0  # the system (a report task)

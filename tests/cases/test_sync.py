"""What a partner's incremental sync sees: every change to what a case shows moves the case's
version, ETag and ``updated_at`` (so ``?updated_since=`` lists it), and the removals feed lists
the cases that left the reader's sight. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization, User
from cases import selectors, services
from cases.models import Case, CaseShare
from tests.api_errors import assert_error
from tests.factories.accounts import OrganizationFactory, make_api_key, make_member
from tests.factories.cases import make_case, make_relative, make_whereabouts, move_case

pytestmark = pytest.mark.django_db


def client_of(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def key_client(organization: Organization) -> APIClient:
    _key, secret = make_api_key(organization=organization, role="partner")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def share(case: Case, organization: Organization, **fields: Any) -> CaseShare:
    return services.case_share_create(
        case=case,
        actor=None,
        organization=organization,
        scope=fields.pop("scope", "full"),
        reason="Synthetic sync share",
        consent_reference="SYNC-1",
        **fields,
    )


def stamps(case: Case) -> tuple[int, dt.datetime]:
    case.refresh_from_db()
    return case.version, case.updated_at


def _alias(case: Case, user: User) -> object:
    return services.child_alias_add(
        child=case.child, actor=user, name="Синтетична Альтернатива", kind="changed"
    )


def _relative_update(case: Case, user: User) -> object:
    relative = case.child.relatives.get()  # made before the stamps are read
    return services.relative_update(relative=relative, actor=user, data={"is_searching": True})


def _whereabouts_delete(case: Case, user: User) -> object:
    place = case.child.whereabouts.get()  # made before the stamps are read
    services.whereabouts_delete(whereabouts=place, actor=user)
    return None


# Each write to something a case shows, done by a supervisor of the owning organization.
SUB_RECORD_WRITES: dict[str, Callable[[Case, User], object]] = {
    "relative": lambda case, user: services.relative_create(
        child=case.child,
        actor=user,
        data={"relationship": "mother", "given_name": "Ірина", "family_name": "Приклад"},
    ),
    "relative update": _relative_update,
    "whereabouts": lambda case, user: make_whereabouts(case, actor=user),
    "whereabouts delete": _whereabouts_delete,
    "alias": _alias,
    "support service": lambda case, user: services.service_create(
        case=case, actor=user, data={"kind": "medical", "status": "planned"}
    ),
    "follow-up": lambda case, user: services.follow_up_create(
        case=case, actor=user, due_on=dt.date(2030, 1, 1)
    ),
    "share": lambda case, user: share(case, OrganizationFactory.create()),
}


@pytest.mark.parametrize("write", sorted(SUB_RECORD_WRITES))
def test_a_sub_record_write_moves_the_cases_version_and_updated_at(user, write):
    case = make_case()
    if write == "relative update":
        make_relative(case)
    if write == "whereabouts delete":
        make_whereabouts(case)
    version, updated_at = stamps(case)

    SUB_RECORD_WRITES[write](case, user)

    new_version, new_updated_at = stamps(case)
    assert new_version > version
    assert new_updated_at > updated_at


def test_a_relative_changes_the_etag_and_is_seen_by_an_updated_since_sync(api_client, home):
    partner_org = OrganizationFactory.create()
    case = make_case()
    share(case, partner_org)
    partner = key_client(partner_org)
    detail = reverse("case-detail", kwargs={"pk": case.pk})
    etag = partner.get(detail)["ETag"]
    since = partner.get(detail).json()["updated_at"]
    mark = timezone.now()

    response = api_client.post(
        reverse("case-relatives", kwargs={"pk": case.pk}),
        {"relationship": "father", "given_name": "Петро", "family_name": "Приклад"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert partner.get(detail)["ETag"] != etag
    listed = partner.get(reverse("case-list"), {"updated_since": mark.isoformat()}).json()
    assert [row["id"] for row in listed["results"]] == [case.pk]
    assert listed["results"][0]["updated_at"] > since


def test_a_whereabouts_record_is_seen_by_an_updated_since_sync(api_client):
    case = make_case()
    etag = api_client.get(reverse("case-detail", kwargs={"pk": case.pk}))["ETag"]
    mark = timezone.now()

    response = api_client.post(
        reverse("case-whereabouts", kwargs={"pk": case.pk}),
        {"country": "RU", "from_date": "2023-07-20", "source_description": "Synthetic"},
        format="json",
    )

    assert response.status_code == 201, response.content
    detail = api_client.get(reverse("case-detail", kwargs={"pk": case.pk}))
    assert detail["ETag"] != etag
    assert detail.json()["child"]["current_whereabouts"]["country"] == "RU"
    listed = api_client.get(reverse("case-list"), {"updated_since": mark.isoformat()}).json()
    assert [row["id"] for row in listed["results"]] == [case.pk]


def test_a_childs_record_moves_every_case_of_the_child(user):
    first = make_case()
    move_case(first, "closed")
    second = services.case_create(actor=None, child=first.child, organization=first.organization)
    before = {case.pk: stamps(case)[0] for case in (first, second)}

    make_whereabouts(second, actor=user)

    assert {case.pk: stamps(case)[0] for case in (first, second)} == {
        pk: version + 1 for pk, version in before.items()
    }


def test_a_case_edit_after_a_sub_record_write_needs_the_new_etag(api_client):
    case = make_case()
    detail = reverse("case-detail", kwargs={"pk": case.pk})
    old = api_client.get(detail)["ETag"]
    make_relative(case)

    stale = api_client.patch(detail, {"priority": "high"}, format="json", HTTP_IF_MATCH=old)
    fresh = api_client.patch(
        detail, {"priority": "high"}, format="json", HTTP_IF_MATCH=api_client.get(detail)["ETag"]
    )

    assert_error(stale, 412, "stale_version")
    assert fresh.status_code == 200


def test_a_newly_shared_case_is_seen_by_the_partners_updated_since_sync():
    partner_org = OrganizationFactory.create()
    case = make_case()
    partner = key_client(partner_org)
    mark = timezone.now()

    share(case, partner_org)

    listed = partner.get(reverse("case-list"), {"updated_since": mark.isoformat()}).json()
    assert [row["id"] for row in listed["results"]] == [case.pk]


# -- the removals feed ------------------------------------------------------------------------
def removals(client: APIClient, since: dt.datetime, **params: Any) -> Any:
    return client.get(reverse("case-removal-list"), {"since": since.isoformat(), **params})


def test_removals_list_a_revoked_share_since_a_time(api_client):
    partner_org = OrganizationFactory.create()
    case, kept = make_case(), make_case()
    revoked = share(case, partner_org)
    share(kept, partner_org)
    partner = key_client(partner_org)
    before = timezone.now()
    assert removals(partner, before).json()["results"] == []

    api_client.post(
        reverse("case-share-revoke", kwargs={"pk": case.pk, "share_id": revoked.pk}),
        {"reason": "Search concluded"},
        format="json",
    )

    response = removals(partner, before)
    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    revoked.refresh_from_db()
    assert row == {
        "id": case.pk,
        "number": case.number,
        "left_at": row["left_at"],
        "reason": "share_revoked",
    }
    assert dt.datetime.fromisoformat(row["left_at"]) == revoked.revoked_at
    assert partner.get(reverse("case-detail", kwargs={"pk": case.pk})).status_code == 404
    # Nothing after the revocation: a later sync starts there.
    assert removals(partner, timezone.now()).json()["results"] == []


def test_removals_list_an_expired_share_once_it_has_expired():
    partner_org = OrganizationFactory.create()
    case = make_case()
    expiring = share(case, partner_org)
    partner = key_client(partner_org)
    since = timezone.now() - dt.timedelta(days=1)
    ends = timezone.now() + dt.timedelta(hours=1)
    CaseShare.objects.filter(pk=expiring.pk).update(expires_at=ends)
    assert removals(partner, since).json()["results"] == []  # not expired yet

    CaseShare.objects.filter(pk=expiring.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=2),
        expires_at=timezone.now() - dt.timedelta(minutes=1),
    )

    [row] = removals(partner, since).json()["results"]
    assert (row["id"], row["reason"]) == (case.pk, "share_expired")
    # Before the time asked for: not listed.
    assert removals(partner, timezone.now() - dt.timedelta(seconds=30)).json()["results"] == []


def test_removals_leave_out_a_case_still_in_sight():
    partner_org = OrganizationFactory.create()
    reshared, owned = make_case(), make_case(organization=partner_org)
    since = timezone.now()
    for case in (reshared, owned):
        services.case_share_revoke(
            share=share(case, OrganizationFactory.create())
            if case is owned
            else share(case, partner_org),
            actor=None,
            reason="Synthetic",
        )
    share(reshared, partner_org)  # shared again: in sight

    assert removals(key_client(partner_org), since).json()["results"] == []


def test_removals_list_each_case_once_with_its_latest_removal():
    partner_org = OrganizationFactory.create()
    case = make_case()
    since = timezone.now()
    services.case_share_revoke(share=share(case, partner_org), actor=None, reason="First")
    last = services.case_share_revoke(share=share(case, partner_org), actor=None, reason="Again")

    [row] = removals(key_client(partner_org), since).json()["results"]
    assert dt.datetime.fromisoformat(row["left_at"]) == last.revoked_at


def test_removals_page_through_every_case_oldest_first():
    partner_org = OrganizationFactory.create()
    since = timezone.now()
    cases = [make_case() for _ in range(5)]
    for case in cases:
        services.case_share_revoke(share=share(case, partner_org), actor=None, reason="Synthetic")
    partner = key_client(partner_org)

    seen: list[int] = []
    page = removals(partner, since, page_size=2).json()
    while True:
        seen.extend(row["id"] for row in page["results"])
        if page["next"] is None:
            break
        page = partner.get(page["next"]).json()

    assert seen == [case.pk for case in cases]


def test_removals_are_empty_for_those_who_see_every_case():
    partner_org = OrganizationFactory.create()
    case = make_case()
    since = timezone.now()
    services.case_share_revoke(share=share(case, partner_org), actor=None, reason="Synthetic")
    auditor = make_member("auditor", OrganizationFactory.create())

    assert list(selectors.case_removals(actor=auditor)) == []
    assert removals(client_of(auditor), since).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2025-01-01T00:00:00Z", "colour": "red"}, "colour"),
        ({"since": "2025-01-01T00:00:00Z", "ordering": "id"}, "ordering"),
    ],
)
def test_removals_refuse_bad_parameters_naming_them(api_client, params, field):
    response = api_client.get(reverse("case-removal-list"), params)

    body = assert_error(response, 400, "invalid")
    assert field in body["fields"]


def test_removals_need_credentials(anon_client):
    response = anon_client.get(reverse("case-removal-list"), {"since": "2025-01-01T00:00:00Z"})

    assert response.status_code == 401

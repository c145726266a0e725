"""The audit API: read only, for auditors and superusers, with strict filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from audit.models import Action, AuditEvent, Channel
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.audit import SYNTHETIC_TYPE, AuditEventFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events/"


def _client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def auditor():
    return make_member(Role.AUDITOR)


@pytest.fixture
def auditor_client(auditor) -> APIClient:
    return _client_for(auditor)


def test_auditor_lists_events_newest_first(auditor_client):
    old = AuditEventFactory.create(at=timezone.now() - dt.timedelta(days=1))
    new = AuditEventFactory.create()
    response = auditor_client.get(URL, {"object_type": SYNTHETIC_TYPE})
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [new.pk, old.pk]


def test_superuser_reads_the_trail():
    admin = UserFactory.create(is_superuser=True)
    event = AuditEventFactory.create(actor=admin)
    response = _client_for(admin).get(f"{URL}{event.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["actor"] == {"id": admin.pk, "username": admin.username}
    assert body["changes"] == {"is_active": [True, False]}
    assert body["action"] == "update"
    assert set(body) == {
        "id",
        "at",
        "actor",
        "actor_label",
        "api_key_prefix",
        "organization",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changes",
        "channel",
        "request_id",
        "client_address",
        "metadata",
    }


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.SUPERVISOR, Role.PARTNER, Role.COORDINATOR])
def test_other_roles_are_refused_and_the_refusal_recorded(role, trail):
    member = make_member(role)
    event = AuditEventFactory.create()
    client = _client_for(member)
    for url in (URL, f"{URL}{event.pk}/"):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    denied = trail().filter(action=Action.DENIED, actor=member)
    assert denied.count() == 2
    assert {e.channel for e in denied} == {Channel.API}


def test_anonymous_is_told_to_authenticate(anon_client, trail):
    response = anon_client.get(URL, HTTP_X_REQUEST_ID="anon-1")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["X-Request-ID"] == "anon-1"
    assert not trail().exists()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_not_allowed(auditor_client, method):
    event = AuditEventFactory.create()
    url = URL if method == "post" else f"{URL}{event.pk}/"
    response = getattr(auditor_client, method)(url, {"action": "view"}, format="json")
    assert response.status_code == 405
    assert AuditEvent.objects.get(pk=event.pk).action == Action.UPDATE


def test_unknown_event_is_404(auditor_client):
    assert auditor_client.get(f"{URL}999999/").status_code == 404
    assert auditor_client.get(f"{URL}abc/").status_code == 404


def _ids(client, **params) -> set[int]:
    response = client.get(URL, {**params, "page_size": 200})
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_filters(auditor_client):
    someone = UserFactory.create()
    organization = OrganizationFactory.create()
    now = timezone.now()
    by_someone = AuditEventFactory.create(actor=someone, at=now - dt.timedelta(hours=2))
    by_key = AuditEventFactory.create(
        api_key_prefix="Abcd1234",
        organization=organization,
        channel=Channel.API,
        action=Action.VIEW,
        object_type="cases.case",
        object_id="17",
        request_id="req-17",
    )
    login = AuditEventFactory.create(action=Action.LOGIN, channel=Channel.ADMIN)

    mine = {by_someone.pk, by_key.pk, login.pk}
    assert mine & _ids(auditor_client, actor=someone.pk) == {by_someone.pk}
    assert mine & _ids(auditor_client, api_key_prefix="Abcd1234") == {by_key.pk}
    assert mine & _ids(auditor_client, organization=organization.pk) == {by_key.pk}
    assert mine & _ids(auditor_client, action=["view", "login"]) == {by_key.pk, login.pk}
    assert mine & _ids(auditor_client, channel="api") == {by_key.pk}
    assert mine & _ids(auditor_client, object_type="cases.case", object_id="17") == {by_key.pk}
    assert mine & _ids(auditor_client, request_id="req-17") == {by_key.pk}
    hour_ago = (now - dt.timedelta(hours=1)).isoformat()
    assert mine & _ids(auditor_client, at_after=hour_ago) == {by_key.pk, login.pk}
    assert mine & _ids(auditor_client, at_before=hour_ago) == {by_someone.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"actor": "abc"}, "actor"),
        ({"actor": "0"}, "actor"),
        ({"organization": "1.5"}, "organization"),
        ({"action": "frobnicate"}, "action"),
        ({"channel": "fax"}, "channel"),
        ({"at_after": "yesterday"}, "at_after"),
        ({"at_before": "0001-01-01T00:00:00+14:00"}, "at_before"),
        ({"object_id": "x" * 65}, "object_id"),
        ({"page_size": "0"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"actr": "1"}, "actr"),
        ({"ordering": "at"}, "ordering"),
    ],
)
def test_invalid_or_unknown_parameters_are_400(auditor_client, params, field):
    response = auditor_client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]


def test_retrieve_accepts_no_query_parameters(auditor_client):
    event = AuditEventFactory.create()
    response = auditor_client.get(f"{URL}{event.pk}/", {"action": "view"})
    assert response.status_code == 400
    assert "action" in response.json()["fields"]


def test_cursor_pages_through_events_in_order(auditor_client):
    at = timezone.now()
    events = [AuditEventFactory.create(at=at) for _ in range(5)]  # same time: ordered by id
    seen = []
    url = f"{URL}?page_size=2&object_type={SYNTHETIC_TYPE}"
    while url:
        body = auditor_client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    expected = sorted((e.pk for e in events), reverse=True)
    assert seen == expected


def test_list_reads_in_constant_queries(auditor, django_assert_max_num_queries):
    client = _client_for(auditor)
    for _ in range(3):
        AuditEventFactory.create(actor=UserFactory.create())
    client.get(URL)  # warm up: token, roles
    with django_assert_max_num_queries(4) as few:
        client.get(URL)
    for _ in range(10):
        AuditEventFactory.create(actor=UserFactory.create())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(URL)

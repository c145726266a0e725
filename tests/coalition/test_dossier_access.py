"""Who may read the country dossier and the list of states: every role that reads the
coalition (caseworker, supervisor, partner user and API key, coordinator, auditor, superuser);
anonymous callers are asked to sign in (401); a user with no role anywhere is refused (403).
Both endpoints are read only: no role writes through them. All data is synthetic."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories.accounts import OrganizationFactory, UserFactory, make_api_key, make_member
from tests.factories.coalition_dossier import make_coalition_member

pytestmark = pytest.mark.django_db

READERS = [
    "caseworker",
    "supervisor",
    "partner",
    "partner_key",
    "coordinator",
    "auditor",
    "superuser",
]
URLS = {
    "coalition-country-list": {},
    "coalition-country-dossier": {"code": "CA"},
}


def _client(role: str) -> APIClient:
    client = APIClient()
    if role == "anonymous":
        return client
    if role == "partner_key":
        _key, secret = make_api_key(role="partner")
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
        return client
    user: User
    if role == "superuser":
        user = UserFactory.create(is_superuser=True)
    elif role == "no_role":
        user = UserFactory.create()
    else:
        user = make_member(role, OrganizationFactory.create())
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture(autouse=True)
def _records() -> None:
    make_coalition_member("CA", role="co_chair")


@pytest.mark.parametrize("name", sorted(URLS))
@pytest.mark.parametrize("role", READERS)
def test_readers_read(role: str, name: str):
    response = _client(role).get(reverse(name, kwargs=URLS[name]))
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize("name", sorted(URLS))
def test_anonymous_is_asked_to_sign_in(name: str):
    response = _client("anonymous").get(reverse(name, kwargs=URLS[name]))
    assert response.status_code == 401


@pytest.mark.parametrize("name", sorted(URLS))
def test_a_user_without_a_role_is_refused(name: str):
    response = _client("no_role").get(reverse(name, kwargs=URLS[name]))
    assert response.status_code == 403
    assert response.json()["code"] == "coalition_read_denied"
    assert "Canada" not in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("name", sorted(URLS))
@pytest.mark.parametrize("role", ["coordinator", "superuser"])
def test_no_role_writes_through_the_dossier(role: str, name: str, method: str):
    response = getattr(_client(role), method)(reverse(name, kwargs=URLS[name]), {}, format="json")
    assert response.status_code == 405


def test_access_answers_are_documented():
    document = APIClient().get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/coalition/countries/", "/api/v1/coalition/countries/{code}/"):
        assert set(document["paths"][path]) == {"get"}
        responses = set(document["paths"][path]["get"]["responses"])
        assert {"200", "400", "401", "403"} <= responses

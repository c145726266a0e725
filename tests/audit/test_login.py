"""Sign-ins, sign-outs and refused sign-ins, by password and by API key."""

from __future__ import annotations

import json

import pytest
from django.http import HttpRequest
from rest_framework.test import APIClient

from accounts import services as account_services
from audit.models import Action, Channel
from tests.factories.accounts import make_api_key

pytestmark = pytest.mark.django_db

PASSWORD = "synthetic-password-123"  # the UserFactory's


def test_login_is_recorded(client, user, trail):
    # django-axes checks every password against the request it came with.
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)
    event = trail().get(action=Action.LOGIN)
    assert event.actor == user
    assert event.object_type == "accounts.user"
    assert event.object_id == str(user.pk)


def test_logout_is_recorded(client, user, trail):
    client.force_login(user)
    client.post("/admin/logout/")
    event = trail().get(action=Action.LOGOUT)
    assert (event.actor, event.channel) == (user, Channel.ADMIN)


def test_failed_admin_login_is_recorded_without_the_password(client, user, trail):
    response = client.post(
        "/admin/login/",
        {"username": user.username, "password": "wrong-synthetic-secret"},
        REMOTE_ADDR="192.0.2.33",
    )
    assert response.status_code == 200  # the form again, with its error
    event = trail().get(action=Action.LOGIN_FAILED)
    assert event.actor is None
    assert event.channel == Channel.ADMIN
    assert event.client_address == "192.0.2.33"
    assert event.metadata == {"username": user.username}
    assert event.object_id == str(user.pk)
    assert "wrong-synthetic-secret" not in json.dumps([event.metadata, event.changes])
    assert response["X-Request-ID"] == event.request_id


def test_failed_login_for_an_unknown_username(client, trail):
    client.post("/admin/login/", {"username": "nobody-synthetic", "password": "x"})
    event = trail().get(action=Action.LOGIN_FAILED)
    assert event.metadata == {"username": "nobody-synthetic"}
    assert (event.object_type, event.object_id) == ("", "")


def test_refused_api_key_is_recorded_by_prefix_only(trail):
    key, secret = make_api_key()
    account_services.api_key_revoke(api_key=key, actor=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401
    event = trail().get(action=Action.LOGIN_FAILED)
    assert event.channel == Channel.API
    assert event.api_key_prefix == key.prefix
    assert event.object_id == key.prefix
    assert event.organization == key.organization
    assert event.metadata == {"reason": "api_key_refused", "key_known": True}
    stored = json.dumps([event.object_repr, event.metadata, event.api_key_prefix])
    assert secret.partition(".")[2] not in stored
    assert key.hashed_key not in stored


def test_unknown_api_key_is_recorded_by_the_prefix_tried(trail):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key Abcd1234.not-a-real-secret")
    assert client.get("/api/v1/cases/").status_code == 401
    event = trail().get(action=Action.LOGIN_FAILED)
    assert event.api_key_prefix == "Abcd1234"
    assert event.metadata == {"reason": "api_key_refused", "key_known": False}
    assert event.organization is None


def test_something_not_shaped_like_a_key_is_not_stored(trail):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key a-whole-secret-without-a-prefix")
    assert client.get("/api/v1/cases/").status_code == 401
    event = trail().get(action=Action.LOGIN_FAILED)
    assert event.api_key_prefix == ""


def test_valid_api_key_records_no_failure(trail):
    _key, secret = make_api_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert client.get("/api/v1/oblasts/").status_code == 200
    assert not trail().filter(action=Action.LOGIN_FAILED).exists()


def test_anonymous_api_request_records_nothing(anon_client, trail):
    assert anon_client.get("/api/v1/cases/").status_code == 401
    assert not trail().exists()

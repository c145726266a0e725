"""API keys over HTTP: ``Authorization: Api-Key <key>`` against a real endpoint. A good key
gets in as its service account; every bad one gets a 401 that says how to authenticate, with
the one error body."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import APIKeyAuthentication, request_api_key
from accounts.models import Organization, OrganizationAPIKey, User
from tests.api_errors import assert_error
from tests.factories.accounts import OrganizationFactory, make_api_key

pytestmark = pytest.mark.django_db

URL = "/api/v1/oblasts/"


def get_with(authorization: str) -> Any:
    return APIClient().get(URL, HTTP_AUTHORIZATION=authorization)


def assert_refused(response: Any, code: str = "authentication_failed") -> None:
    assert_error(response, 401, code)
    assert response["WWW-Authenticate"] == "Api-Key"


def test_api_key_valid_gets_in(oblasts):
    api_key, secret = make_api_key()
    response = get_with(f"Api-Key {secret}")
    assert response.status_code == 200, response.content
    assert len(response.json()) == 27
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_api_key_keyword_is_case_insensitive(oblasts):
    _api_key, secret = make_api_key()
    assert get_with(f"api-key {secret}").status_code == 200
    assert get_with(f"API-KEY {secret}").status_code == 200


def test_api_key_authenticates_as_its_service_account():
    api_key, secret = make_api_key()
    request = APIRequestFactory().get(URL, HTTP_AUTHORIZATION=f"Api-Key {secret}")
    drf_request = APIView().initialize_request(request)
    assert drf_request.user == api_key.service_account
    assert drf_request.user.is_service_account
    assert drf_request.auth == api_key
    assert request_api_key(drf_request) == api_key
    assert isinstance(drf_request.successful_authenticator, APIKeyAuthentication)


def test_request_api_key_none_for_other_authentication():
    class Request:
        auth = "a token"

    assert request_api_key(Request()) is None
    assert request_api_key(object()) is None


def test_api_key_wrong_secret(oblasts):
    api_key, secret = make_api_key()
    wrong = f"{api_key.prefix}.{'0' * 32}"
    assert wrong != secret
    assert_refused(get_with(f"Api-Key {wrong}"))


def test_api_key_unknown_prefix(oblasts):
    _api_key, secret = make_api_key()
    assert_refused(get_with(f"Api-Key zzzzzzzz{secret[8:]}"))


def test_api_key_revoked(oblasts):
    api_key, secret = make_api_key()
    services.api_key_revoke(api_key=api_key, actor=None)
    assert_refused(get_with(f"Api-Key {secret}"))


def test_api_key_expired(oblasts):
    api_key, secret = make_api_key(expires_at=timezone.now() + dt.timedelta(hours=1))
    OrganizationAPIKey.objects.filter(pk=api_key.pk).update(
        expiry_date=timezone.now() - dt.timedelta(seconds=1)
    )
    assert_refused(get_with(f"Api-Key {secret}"))


def test_api_key_inactive_organization(oblasts):
    organization = OrganizationFactory.create()
    _api_key, secret = make_api_key(organization)
    Organization.objects.filter(pk=organization.pk).update(is_active=False)
    assert_refused(get_with(f"Api-Key {secret}"))


def test_api_key_inactive_service_account(oblasts):
    api_key, secret = make_api_key()
    User.objects.filter(pk=api_key.service_account_id).update(is_active=False)
    assert_refused(get_with(f"Api-Key {secret}"))


@pytest.mark.parametrize(
    "authorization",
    [
        "Api-Key",
        "Api-Key ",
        "Api-Key {key} extra",
        "Api-Key not-a-key",
        "Api-Key {key}x",
        "Api-Key é{key}",
        "Api-Key {prefix}",
    ],
)
def test_api_key_malformed_header(oblasts, authorization):
    _api_key, secret = make_api_key()
    header = authorization.format(key=secret, prefix=secret.partition(".")[0])
    response = get_with(header)
    assert_refused(response)
    assert secret not in response.content.decode()


def test_api_key_secret_never_in_the_error(oblasts):
    api_key, secret = make_api_key()
    services.api_key_revoke(api_key=api_key, actor=None)
    response = get_with(f"Api-Key {secret}")
    assert_refused(response)
    body = response.content.decode()
    assert secret not in body
    assert api_key.prefix not in body


def test_anonymous_is_told_to_use_an_api_key(oblasts):
    response = APIClient().get(URL)
    assert_refused(response, "not_authenticated")


def test_other_schemes_are_left_to_other_authenticators(oblasts, user):
    token, _created = Token.objects.get_or_create(user=user)
    assert get_with(f"Token {token.key}").status_code == 200
    assert_refused(get_with("Bearer something"), "not_authenticated")


@pytest.mark.parametrize(
    "key",
    ["abc\x00def", "\x00" * 40, "a" * 41, "a" * 5000, "é" * 40],
    ids=["nul", "all-nul", "one-too-long", "very-long", "non-ascii"],
)
def test_token_no_token_can_have_is_refused_with_401(oblasts, key):
    # Never a 500: PostgreSQL refuses NUL in text, so such keys never reach it.
    response = APIClient().get(URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert_error(response, 401, "authentication_failed")

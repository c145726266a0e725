"""Actors for the idempotency tests: caseworkers of a synthetic organization, made through the
account services, with API clients that authenticate as them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import Organization, Role, User
from tests.factories.accounts import UserFactory


@pytest.fixture
def organization(db: None) -> Organization:
    return account_services.organization_create(name="Synthetic Search NGO", kind="ngo")


@pytest.fixture
def make_caseworker(organization: Organization) -> Callable[[], User]:
    def make() -> User:
        user = UserFactory.create(is_staff=False)
        account_services.membership_set(user=user, organization=organization, role=Role.CASEWORKER)
        return user

    return make


@pytest.fixture
def caseworker(make_caseworker: Callable[[], User]) -> User:
    return make_caseworker()


def token_client(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def caseworker_client(caseworker: User, oblasts: Any) -> APIClient:
    """An API client of a caseworker who may open cases (the oblasts are loaded for them)."""
    return token_client(caseworker)

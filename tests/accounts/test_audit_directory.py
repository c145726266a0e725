"""What accounts tells the audit trail (``accounts.audit_directory``), registered at start-up."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.audit_directory import AccountsDirectory
from accounts.authentication import KEYWORD
from accounts.models import OrganizationAPIKey, Role
from audit.directory import APIKeyRef, actor_directory
from tests.factories.accounts import OrganizationFactory, UserFactory, make_api_key, make_member

pytestmark = pytest.mark.django_db

DIRECTORY = AccountsDirectory()


def test_accounts_registers_its_directory_at_start_up():
    assert isinstance(actor_directory(), AccountsDirectory)
    assert actor_directory().api_key_keyword == KEYWORD
    assert actor_directory().api_key_model is OrganizationAPIKey


def test_sole_organization_of_an_actor_with_one(home, user):
    assert DIRECTORY.sole_organization(user) == home.pk


def test_no_sole_organization_for_several_or_none(home, user):
    services.membership_set(user=user, organization=OrganizationFactory.create(), role=Role.PARTNER)
    services.membership_set(user=user, organization=home, role=Role.SUPERVISOR)
    user = type(user).objects.get(pk=user.pk)  # roles are cached on the user object
    assert DIRECTORY.sole_organization(user) is None
    assert DIRECTORY.sole_organization(UserFactory.create()) is None
    assert DIRECTORY.sole_organization(AnonymousUser()) is None


def test_request_api_key_is_a_plain_value():
    key, _secret = make_api_key()
    request = RequestFactory().get("/api/v1/cases/")
    request.user = key.service_account
    setattr(request, "auth", key)  # noqa: B010 - as DRF sets it on the Django request
    assert DIRECTORY.request_api_key(request) == APIKeyRef(
        prefix=key.prefix,
        organization_id=key.organization_id,
        service_account_id=key.service_account_id,
    )


def test_no_request_api_key_for_a_token_or_nothing(user):
    request = RequestFactory().get("/api/v1/cases/")
    assert DIRECTORY.request_api_key(request) is None
    setattr(request, "auth", Token.objects.create(user=user))  # noqa: B010
    assert DIRECTORY.request_api_key(request) is None


def test_api_key_by_prefix_knows_revoked_keys_too():
    key, _secret = make_api_key()
    services.api_key_revoke(api_key=key, actor=None)
    found = DIRECTORY.api_key_by_prefix(key.prefix)
    assert found is not None
    assert (found.prefix, found.organization_id) == (key.prefix, key.organization_id)
    assert DIRECTORY.api_key_by_prefix("Unknown1") is None


@pytest.mark.parametrize(
    ("role", "reads"),
    [(Role.AUDITOR, True), (Role.SUPERVISOR, False), (Role.CASEWORKER, False)],
)
def test_who_reads_the_audit_trail(role, reads):
    assert DIRECTORY.can_read_audit(make_member(role)) is reads


def test_superusers_read_the_audit_trail_and_nobody_else_does():
    assert DIRECTORY.can_read_audit(UserFactory.create(is_superuser=True))
    assert not DIRECTORY.can_read_audit(None)
    assert not DIRECTORY.can_read_audit(AnonymousUser())

"""The accounts models' own rules: constraints the database enforces, and what a key's
``is_usable`` says."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, Organization, OrganizationAPIKey
from tests.factories.accounts import (
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    make_api_key,
)

pytestmark = pytest.mark.django_db


def test_membership_one_role_per_organization():
    membership = MembershipFactory.create(role="caseworker")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=membership.user, organization=membership.organization, role="supervisor"
        )


def test_membership_same_user_in_two_organizations():
    first = MembershipFactory.create(role="caseworker")
    second = MembershipFactory.create(user=first.user, role="auditor")
    assert first.organization != second.organization
    assert first.user.memberships.count() == 2


def test_membership_role_must_be_a_role():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory.create(role="boss")


def test_api_key_role_must_be_a_role():
    api_key, _secret = make_api_key()
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationAPIKey.objects.filter(pk=api_key.pk).update(role="boss")


def test_organization_name_unique():
    OrganizationFactory.create(name="Synthetic unique name")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="Synthetic unique name", kind="ngo")


def test_str_of_actors():
    organization = OrganizationFactory.create(name="Synthetic long name", short_name="SLN")
    user = UserFactory.create(username="str-test", first_name="Test", last_name="Person")
    membership = MembershipFactory.create(user=user, organization=organization, role="auditor")
    api_key, secret = make_api_key(organization, name="Partner tool")
    assert str(organization) == "SLN"
    assert str(user) == "Test Person"
    assert str(UserFactory.create(username="nameless")) == "nameless"
    assert str(membership) == "Test Person · SLN · Auditor"
    assert str(api_key) == f"Partner tool ({api_key.prefix}…)"
    assert secret not in str(api_key)


def test_api_key_is_usable():
    api_key, _secret = make_api_key()
    assert api_key.is_usable


def test_api_key_is_usable_not_when_revoked():
    api_key, _secret = make_api_key()
    api_key.revoked = True
    assert not api_key.is_usable


def test_api_key_is_usable_not_when_expired():
    api_key, _secret = make_api_key()
    api_key.expiry_date = timezone.now() - dt.timedelta(seconds=1)
    assert not api_key.is_usable
    api_key.expiry_date = timezone.now() + dt.timedelta(minutes=1)
    assert api_key.is_usable


def test_api_key_is_usable_not_when_organization_inactive():
    api_key, _secret = make_api_key()
    api_key.organization.is_active = False
    assert not api_key.is_usable


def test_api_key_revocation_cannot_be_undone():
    api_key, _secret = make_api_key()
    OrganizationAPIKey.objects.filter(pk=api_key.pk).update(revoked=True)
    api_key = OrganizationAPIKey.objects.get(pk=api_key.pk)
    api_key.revoked = False
    with pytest.raises(ValidationError, match="cannot be undone"):
        api_key.save()

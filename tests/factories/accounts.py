"""Factories for actors: users, organizations, memberships and API keys.

``make_member`` and ``make_api_key`` go through the services, so a member holds their role the
way the registry grants it, and a key is hashed and has its service account like a real one."""

from __future__ import annotations

from typing import Any

import factory

from accounts import services
from accounts.models import Membership, Organization, OrganizationAPIKey, OrganizationKind, User


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"caseworker{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("synthetic-password-123")
    is_staff = True


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Synthetic organization {n}")
    short_name = factory.Sequence(lambda n: f"ORG{n}")
    kind = OrganizationKind.NGO
    country = "UA"
    is_active = True


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = "caseworker"
    is_active = True


def make_member(role: str, organization: Organization | None = None, **user_fields: Any) -> User:
    """A new user holding ``role`` in ``organization`` (a new one if not given)."""
    user = UserFactory.create(**user_fields)
    services.membership_set(
        user=user, organization=organization or OrganizationFactory.create(), role=role
    )
    return user


def make_api_key(
    organization: Organization | None = None, role: str = "partner", **fields: Any
) -> tuple[OrganizationAPIKey, str]:
    """A new key (and its secret) for ``organization`` (a new one if not given). ``fields``
    go to ``api_key_create`` (``name``, ``expires_at``, ``created_by``)."""
    fields.setdefault("name", "Synthetic partner system")
    return services.api_key_create(
        organization=organization or OrganizationFactory.create(), role=role, **fields
    )

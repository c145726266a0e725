"""``actor_roles``: what an actor may do where, from active memberships of active
organizations, cached on the user object; and the other reads about actors."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts import selectors, services
from accounts.models import Membership, Role, User
from accounts.roles import ROLE_CAPABILITIES, Capability, capabilities_of
from accounts.selectors import NO_ROLES, actor_roles, actor_roles_forget
from tests.factories.accounts import (
    OrganizationFactory,
    UserFactory,
    make_api_key,
    make_member,
)

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The same user as a new object, as the next request would load it (nothing cached)."""
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("capability", list(Capability))
def test_actor_roles_can_follows_the_role_table(role, capability):
    organization = OrganizationFactory.create()
    other = OrganizationFactory.create()
    roles = actor_roles(make_member(role, organization))
    expected = capability in ROLE_CAPABILITIES[role]
    assert roles.can(capability, organization.pk) is expected
    assert roles.can(capability) is expected
    assert roles.can(capability, other.pk) is False


def test_role_table_names_every_role():
    assert set(ROLE_CAPABILITIES) == set(Role)
    assert capabilities_of("boss") == frozenset()
    assert capabilities_of("auditor") == ROLE_CAPABILITIES[Role.AUDITOR]


def test_actor_roles_across_organizations():
    home, partner, third = (
        OrganizationFactory.create(),
        OrganizationFactory.create(),
        OrganizationFactory.create(),
    )
    user = make_member(Role.SUPERVISOR, home)
    services.membership_set(user=user, organization=partner, role=Role.PARTNER)
    roles = actor_roles(fresh(user))
    assert roles.roles == {home.pk: Role.SUPERVISOR, partner.pk: Role.PARTNER}
    assert roles.can(Capability.CASE_CLOSE, home.pk)
    assert not roles.can(Capability.CASE_CLOSE, partner.pk)
    assert roles.can(Capability.CASE_CLOSE)  # somewhere
    assert sorted(roles.organizations(Capability.CASE_READ)) == sorted([home.pk, partner.pk])
    assert roles.organizations(Capability.CASE_SHARE) == [home.pk]
    assert roles.organizations(Capability.READ_AUDIT) == []
    assert sorted(roles.organizations()) == sorted([home.pk, partner.pk])
    assert third.pk not in roles.organizations()


def test_actor_roles_has_role():
    user = make_member(Role.AUDITOR)
    roles = actor_roles(user)
    assert roles.has_role(Role.AUDITOR)
    assert roles.has_role(Role.CASEWORKER, Role.AUDITOR)
    assert not roles.has_role(Role.CASEWORKER, Role.SUPERVISOR)
    assert not roles.has_role()


def test_actor_roles_superuser_can_everything_without_memberships():
    admin = UserFactory.create(is_superuser=True)
    roles = actor_roles(admin)
    assert roles.is_superuser
    organization = OrganizationFactory.create()
    assert all(roles.can(capability, organization.pk) for capability in Capability)
    assert all(roles.can(capability) for capability in Capability)
    # Only memberships are listed: callers filtering by organization check is_superuser first.
    assert roles.organizations() == []
    assert not roles.has_role(*Role)


def test_actor_roles_ignores_inactive_membership():
    organization = OrganizationFactory.create()
    user = make_member(Role.CASEWORKER, organization)
    services.membership_end(membership=Membership.objects.get(user=user))
    roles = actor_roles(fresh(user))
    assert roles.roles == {}
    assert not roles.can(Capability.CASE_READ, organization.pk)


def test_actor_roles_ignores_inactive_organization():
    organization = OrganizationFactory.create()
    user = make_member(Role.SUPERVISOR, organization)
    services.organization_update(organization=organization, is_active=False)
    roles = actor_roles(fresh(user))
    assert roles.roles == {}
    assert not roles.can(Capability.CASE_READ)


def test_actor_roles_inactive_user_has_none():
    user = make_member(Role.SUPERVISOR, is_superuser=True)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert actor_roles(fresh(user)) is NO_ROLES
    assert not NO_ROLES.can(Capability.CASE_READ)
    assert not NO_ROLES.is_superuser


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_actor_roles_anonymous_has_none(actor):
    assert actor_roles(actor) is NO_ROLES


def test_actor_roles_service_account_holds_its_keys_role():
    organization = OrganizationFactory.create()
    api_key, _secret = make_api_key(organization, role=Role.PARTNER)
    roles = actor_roles(api_key.service_account)
    assert roles.roles == {organization.pk: Role.PARTNER}
    services.api_key_revoke(api_key=api_key, actor=None)
    assert actor_roles(fresh(api_key.service_account)) is NO_ROLES


def test_actor_roles_cached_per_user_object(django_assert_num_queries):
    organization = OrganizationFactory.create()
    user = fresh(make_member(Role.CASEWORKER, organization))
    with django_assert_num_queries(1):
        first = actor_roles(user)
    with django_assert_num_queries(0):
        assert actor_roles(user) is first
    # Another object for the same user reads afresh.
    again = fresh(user)
    with django_assert_num_queries(1):
        assert actor_roles(again) == first


def test_actor_roles_cache_is_stale_until_forgotten():
    organization = OrganizationFactory.create()
    user = fresh(make_member(Role.CASEWORKER, organization))
    assert actor_roles(user).roles == {organization.pk: Role.CASEWORKER}
    # Changed through another object: this one keeps what it read ...
    services.membership_set(user=fresh(user), organization=organization, role=Role.AUDITOR)
    assert actor_roles(user).roles == {organization.pk: Role.CASEWORKER}
    # ... until told to forget it.
    actor_roles_forget(user)
    assert actor_roles(user).roles == {organization.pk: Role.AUDITOR}


def test_membership_services_forget_the_cache_of_the_user_they_are_given():
    organization = OrganizationFactory.create()
    user = fresh(make_member(Role.CASEWORKER, organization))
    assert actor_roles(user).has_role(Role.CASEWORKER)
    services.membership_set(user=user, organization=organization, role=Role.SUPERVISOR)
    assert actor_roles(user).roles == {organization.pk: Role.SUPERVISOR}
    membership = Membership.objects.get(user=user)
    membership.user = user
    services.membership_end(membership=membership)
    assert actor_roles(user).roles == {}


def test_actor_roles_forget_without_cache_is_harmless():
    user = UserFactory.create()
    actor_roles_forget(user)
    actor_roles_forget(None)
    actor_roles_forget(AnonymousUser())


def test_users_with_role():
    organization = OrganizationFactory.create()
    caseworker = make_member(Role.CASEWORKER, organization)
    supervisor = make_member(Role.SUPERVISOR, organization)
    make_member(Role.AUDITOR, organization)
    make_member(Role.CASEWORKER)  # elsewhere
    gone = make_member(Role.CASEWORKER, organization)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    ended = make_member(Role.CASEWORKER, organization)
    services.membership_end(membership=Membership.objects.get(user=ended))
    found = selectors.users_with_role(
        organization_id=organization.pk, roles=(Role.CASEWORKER, Role.SUPERVISOR)
    )
    assert list(found) == [caseworker, supervisor]
    services.organization_update(organization=organization, is_active=False)
    assert not selectors.users_with_role(
        organization_id=organization.pk, roles=(Role.CASEWORKER, Role.SUPERVISOR)
    ).exists()


def test_organization_lookup_by_id_or_name():
    organization = OrganizationFactory.create(name="Synthetic lookup")
    assert selectors.organization_lookup(ref=str(organization.pk)) == organization
    assert selectors.organization_lookup(ref="Synthetic lookup") == organization
    assert selectors.organization_lookup(ref=" Synthetic lookup ") == organization
    assert selectors.organization_lookup(ref="synthetic lookup") is None  # exact name only
    assert selectors.organization_lookup(ref="Nobody") is None
    assert selectors.organization_lookup(ref="99999999999999999999999") is None


def test_organization_lookup_numeric_name_when_no_such_id():
    organization = OrganizationFactory.create(name="999999")
    assert selectors.organization_lookup(ref="999999") == organization


def test_api_key_by_prefix_and_list():
    organization = OrganizationFactory.create()
    api_key, _secret = make_api_key(organization)
    other, _secret = make_api_key()
    assert selectors.api_key_by_prefix(prefix=api_key.prefix) == api_key
    assert selectors.api_key_by_prefix(prefix="nothing!") is None
    assert list(selectors.api_key_list(organization=organization)) == [api_key]
    assert set(selectors.api_key_list()) == {api_key, other}


def test_organization_members():
    organization = OrganizationFactory.create()
    first = make_member(Role.CASEWORKER, organization, username="a-member")
    second = make_member(Role.AUDITOR, organization, username="b-member")
    members = selectors.organization_members(organization=organization)
    assert [m.user for m in members] == [first, second]


# -- the per-request reads, compiled once ---------------------------------------------------------
def _actors_of_every_shape() -> list[User]:
    """Users whose roles differ in every way ``actor_roles`` looks at."""
    first, second, closed = (OrganizationFactory.create() for _ in range(3))
    several = make_member(Role.CASEWORKER, first)
    services.membership_set(user=several, organization=second, role=Role.AUDITOR)
    ended = make_member(Role.SUPERVISOR, first)
    services.membership_end(membership=Membership.objects.get(user=ended))
    in_closed = make_member(Role.PARTNER, closed)
    services.organization_update(organization=closed, is_active=False)
    superuser = UserFactory.create(is_superuser=True)
    return [several, ended, in_closed, superuser, UserFactory.create()]


def test_actor_roles_of_every_shape_in_one_query_each(django_assert_num_queries):
    several, ended, in_closed, superuser, nobody = _actors_of_every_shape()
    first, second = (m.organization_id for m in several.memberships.order_by("id"))
    expected = {
        several: ({first: Role.CASEWORKER, second: Role.AUDITOR}, False),
        ended: ({}, False),
        in_closed: ({}, False),
        superuser: ({}, True),
        nobody: ({}, False),
    }
    for actor, (roles, is_superuser) in expected.items():
        actor = fresh(actor)
        with django_assert_num_queries(1):
            assert actor_roles(actor).roles == roles
            assert actor_roles(actor).is_superuser is is_superuser
            assert actor_roles(actor).organizations() == list(roles)


def test_token_with_user_reads_the_token_and_its_user_in_one_query(django_assert_num_queries):
    from rest_framework.authtoken.models import Token

    several = _actors_of_every_shape()[0]
    stored = Token.objects.create(user=several)
    with django_assert_num_queries(1):
        token = selectors.token_with_user(key=stored.key)
        assert token is not None
        user = token.user
    assert (token.pk, token.user_id, token.created) == (stored.pk, several.pk, stored.created)
    expected = fresh(several)
    for field in User._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(expected, field.attname), field.name
    assert user == expected
    assert not user._state.adding
    assert selectors.token_with_user(key="0" * 40) is None
    assert selectors.token_with_user(key=stored.key[:-1]) is None


def test_token_authentication_gives_drf_answers(django_assert_num_queries):
    from rest_framework import exceptions
    from rest_framework.authtoken.models import Token

    from accounts.authentication import TokenAuthentication

    user = make_member(Role.CASEWORKER)
    token = Token.objects.create(user=user)
    with django_assert_num_queries(1):
        found_user, found_token = TokenAuthentication().authenticate_credentials(token.key)
    assert (found_user, found_token) == (user, token)
    with pytest.raises(exceptions.AuthenticationFailed, match="Invalid token"):
        TokenAuthentication().authenticate_credentials("f" * 40)
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(exceptions.AuthenticationFailed, match="inactive or deleted"):
        TokenAuthentication().authenticate_credentials(token.key)


def test_api_key_for_authentication_reads_key_organization_and_account_in_one_query(
    django_assert_num_queries,
):
    from accounts.models import Organization, OrganizationAPIKey

    api_key, secret = make_api_key(role=Role.PARTNER)
    prefix = secret.partition(".")[0]
    with django_assert_num_queries(1):
        found = selectors.api_key_by_prefix_for_authentication(prefix=prefix)
        assert found is not None
        organization, account = found.organization, found.service_account
    stored = OrganizationAPIKey.objects.get(pk=api_key.pk)
    for model, loaded, expected in (
        (OrganizationAPIKey, found, stored),
        (Organization, organization, stored.organization),
        (User, account, stored.service_account),
    ):
        for field in model._meta.concrete_fields:
            assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
        assert not loaded._state.adding
    assert found.is_usable
    assert selectors.api_key_by_prefix_for_authentication(prefix="nosuchkey") is None

"""The accounts services: organizations, memberships and API keys, with every refusal naming
the field at fault, and a key authenticating only when every condition holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.db.models import F
from django.utils import timezone

from accounts import services
from accounts.models import Membership, Organization, OrganizationAPIKey, Role, User
from accounts.roles import Capability
from accounts.services import LAST_USED_RESOLUTION, api_key_authenticate
from core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.factories.accounts import (
    OrganizationFactory,
    UserFactory,
    make_api_key,
    make_member,
)

pytestmark = pytest.mark.django_db


def refused_field(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> str:
    (field,) = excinfo.value.fields
    assert excinfo.value.fields[field]
    return field


# ---------------------------------------------------------------------------------------------
# Organizations
# ---------------------------------------------------------------------------------------------
def test_organization_create_cleans_its_fields():
    organization = services.organization_create(
        name="  Synthetic Foundation  ", short_name=" SF ", kind="ngo", country=" ua "
    )
    organization.refresh_from_db()
    assert organization.name == "Synthetic Foundation"
    assert organization.short_name == "SF"
    assert organization.country == "UA"
    assert organization.kind == "ngo"
    assert organization.is_active


def test_organization_create_without_country():
    organization = services.organization_create(name="Synthetic agency", kind="ngo")
    assert organization.country == ""


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"short_name": "x" * 51}, "short_name"),
        ({"kind": "club"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"country": "ZZ"}, "country"),
        ({"country": "UKR"}, "country"),
        ({"country": "Ukraine"}, "country"),
        ({"country": "U"}, "country"),
    ],
)
def test_organization_create_refuses(fields, field):
    data = {"name": "Synthetic refused", "kind": "ngo", **fields}
    with pytest.raises(ValidationFailed) as excinfo:
        services.organization_create(**data)
    assert refused_field(excinfo) == field
    assert not Organization.objects.filter(name__startswith="Synthetic refused").exists()


def test_organization_create_refuses_a_name_taken_in_any_case():
    OrganizationFactory.create(name="Synthetic Taken")
    with pytest.raises(ValidationFailed) as excinfo:
        services.organization_create(name="synthetic taken", kind="ngo")
    assert refused_field(excinfo) == "name"


def test_organization_update_changes_only_what_is_given():
    organization = OrganizationFactory.create(
        name="Synthetic before", country="UA", short_name="SB"
    )
    updated = services.organization_update(organization=organization, name="Synthetic after")
    updated.refresh_from_db()
    assert (updated.name, updated.country, updated.short_name) == ("Synthetic after", "UA", "SB")
    updated = services.organization_update(
        organization=organization, country="pl", kind="partner_state_agency", short_name=""
    )
    assert (updated.country, updated.kind, updated.short_name) == ("PL", "partner_state_agency", "")


def test_organization_update_keeps_its_own_name_in_another_case():
    organization = OrganizationFactory.create(name="Synthetic Case")
    updated = services.organization_update(organization=organization, name="SYNTHETIC CASE")
    assert updated.name == "SYNTHETIC CASE"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Synthetic other"}, "name"),
        ({"name": "SYNTHETIC OTHER"}, "name"),
        ({"name": " "}, "name"),
        ({"kind": "club"}, "kind"),
        ({"country": "XX"}, "country"),
    ],
)
def test_organization_update_refuses(fields, field):
    OrganizationFactory.create(name="Synthetic other")
    organization = OrganizationFactory.create(name="Synthetic mine")
    with pytest.raises(ValidationFailed) as excinfo:
        services.organization_update(organization=organization, **fields)
    assert refused_field(excinfo) == field
    organization.refresh_from_db()
    assert organization.name == "Synthetic mine"


def test_organization_update_deactivates_its_keys():
    organization = OrganizationFactory.create()
    _api_key, secret = make_api_key(organization)
    assert api_key_authenticate(key=secret) is not None
    services.organization_update(organization=organization, is_active=False)
    assert api_key_authenticate(key=secret) is None
    services.organization_update(organization=organization, is_active=True)
    assert api_key_authenticate(key=secret) is not None


# ---------------------------------------------------------------------------------------------
# Memberships
# ---------------------------------------------------------------------------------------------
def test_membership_set_creates_changes_and_reactivates():
    organization = OrganizationFactory.create()
    user = UserFactory.create()
    membership = services.membership_set(user=user, organization=organization, role="caseworker")
    assert (membership.role, membership.is_active) == ("caseworker", True)
    services.membership_end(membership=membership)
    again = services.membership_set(user=user, organization=organization, role="supervisor")
    assert again.pk == membership.pk
    again.refresh_from_db()
    assert (again.role, again.is_active) == ("supervisor", True)
    assert Membership.objects.filter(user=user).count() == 1


def test_membership_set_refuses_an_unknown_role():
    with pytest.raises(ValidationFailed) as excinfo:
        services.membership_set(
            user=UserFactory.create(), organization=OrganizationFactory.create(), role="boss"
        )
    assert refused_field(excinfo) == "role"
    assert not Membership.objects.exists()


def test_membership_set_refuses_a_service_account():
    api_key, _secret = make_api_key()
    with pytest.raises(ValidationFailed) as excinfo:
        services.membership_set(
            user=api_key.service_account, organization=OrganizationFactory.create(), role="auditor"
        )
    assert refused_field(excinfo) == "user"


def test_membership_end():
    user = make_member("caseworker")
    membership = services.membership_end(membership=Membership.objects.get(user=user))
    membership.refresh_from_db()
    assert not membership.is_active


def test_membership_end_refuses_a_service_account():
    api_key, _secret = make_api_key()
    with pytest.raises(ValidationFailed) as excinfo:
        services.membership_end(membership=Membership.objects.get(user=api_key.service_account))
    assert refused_field(excinfo) == "user"
    assert Membership.objects.get(user=api_key.service_account).is_active


# ---------------------------------------------------------------------------------------------
# API keys: creating, changing, revoking
# ---------------------------------------------------------------------------------------------
def test_api_key_create_returns_the_key_once_and_stores_only_its_hash():
    organization = OrganizationFactory.create()
    admin = UserFactory.create(is_superuser=True)
    api_key, secret = services.api_key_create(
        organization=organization, name=" Partner registry ", role="partner", created_by=admin
    )
    prefix, dot, secret_part = secret.partition(".")
    assert dot
    assert prefix == api_key.prefix
    assert len(secret_part) >= 32
    row = OrganizationAPIKey.objects.filter(pk=api_key.pk).values().get()
    for column, value in row.items():
        assert secret not in str(value), column
        assert secret_part not in str(value), column
    assert api_key.hashed_key.startswith("sha512$$")
    assert OrganizationAPIKey.objects.key_generator.verify(secret, api_key.hashed_key)
    assert api_key.name == "Partner registry"
    assert api_key.created_by == admin
    assert api_key.organization == organization
    assert api_key.role == "partner"
    assert api_key.expiry_date is None


def test_api_key_create_makes_a_service_account_holding_the_role():
    organization = OrganizationFactory.create()
    api_key, _secret = make_api_key(organization, role="auditor", name="Audit mirror")
    account = User.objects.get(pk=api_key.service_account_id)
    assert account.is_service_account
    assert account.is_active
    assert not account.is_staff
    assert not account.is_superuser
    assert not is_password_usable(account.password)
    assert account.username == f"api-key-{api_key.prefix}"
    assert account.first_name == "Audit mirror"
    membership = Membership.objects.get(user=account)
    assert (membership.organization, membership.role, membership.is_active) == (
        organization,
        "auditor",
        True,
    )


def test_api_key_create_each_key_its_own_secret_and_account():
    organization = OrganizationFactory.create()
    first, first_secret = make_api_key(organization)
    second, second_secret = make_api_key(organization)
    assert first_secret != second_secret
    assert first.prefix != second.prefix
    assert first.service_account_id != second.service_account_id


def test_api_key_create_with_expiry():
    expires_at = timezone.now() + dt.timedelta(days=30)
    api_key, _secret = make_api_key(expires_at=expires_at)
    api_key.refresh_from_db()
    assert api_key.expiry_date == expires_at


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"role": "boss"}, "role"),
        ({"expires_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "expiry_date"),
        ({"expires_at": dt.datetime(2999, 1, 1)}, "expiry_date"),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_api_key_create_refuses(fields, field):
    data = {"organization": OrganizationFactory.create(), "name": "Partner", **fields}
    with pytest.raises(ValidationFailed) as excinfo:
        services.api_key_create(**data)
    assert refused_field(excinfo) == field
    assert not OrganizationAPIKey.objects.exists()
    assert not User.objects.filter(is_service_account=True).exists()


def test_api_key_create_refuses_an_inactive_organization():
    organization = OrganizationFactory.create(is_active=False)
    with pytest.raises(ValidationFailed) as excinfo:
        services.api_key_create(organization=organization, name="Partner")
    assert refused_field(excinfo) == "organization"
    assert not OrganizationAPIKey.objects.exists()


def test_api_key_update_name_and_expiry():
    api_key, secret = make_api_key()
    expires_at = timezone.now() + dt.timedelta(days=1)
    updated = services.api_key_update(api_key=api_key, name=" Renamed ", expires_at=expires_at)
    updated.refresh_from_db()
    assert (updated.name, updated.expiry_date) == ("Renamed", expires_at)
    assert updated.hashed_key == api_key.hashed_key
    updated = services.api_key_update(api_key=api_key, name="Renamed", expires_at=None)
    assert updated.expiry_date is None
    assert api_key_authenticate(key=secret) is not None


def test_api_key_update_refuses_a_past_expiry():
    api_key, _secret = make_api_key()
    with pytest.raises(ValidationFailed) as excinfo:
        services.api_key_update(
            api_key=api_key, name="x", expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
    assert refused_field(excinfo) == "expiry_date"


def test_api_key_update_renames_an_expired_key_keeping_its_expiry():
    api_key, _secret = make_api_key()
    past = timezone.now() - dt.timedelta(days=1)
    OrganizationAPIKey.objects.filter(pk=api_key.pk).update(expiry_date=past)
    updated = services.api_key_update(api_key=api_key, name="Old partner", expires_at=past)
    assert (updated.name, updated.expiry_date) == ("Old partner", past)


def test_api_key_update_refuses_a_revoked_key():
    api_key, _secret = make_api_key()
    services.api_key_revoke(api_key=api_key, actor=None)
    with pytest.raises(Conflict):
        services.api_key_update(api_key=api_key, name="Again", expires_at=None)


def test_api_key_revoke():
    api_key, secret = make_api_key()
    admin = UserFactory.create(is_superuser=True)
    revoked = services.api_key_revoke(api_key=api_key, actor=admin)
    revoked.refresh_from_db()
    assert revoked.revoked
    assert revoked.revoked_by == admin
    assert revoked.revoked_at is not None
    assert not User.objects.get(pk=api_key.service_account_id).is_active
    assert api_key_authenticate(key=secret) is None


def test_api_key_revoke_twice_changes_nothing():
    api_key, _secret = make_api_key()
    first = services.api_key_revoke(api_key=api_key, actor=None)
    second = services.api_key_revoke(api_key=api_key, actor=UserFactory.create())
    assert second.revoked_at == first.revoked_at
    assert second.revoked_by is None


# ---------------------------------------------------------------------------------------------
# API keys: authenticating
# ---------------------------------------------------------------------------------------------
def test_api_key_authenticate_valid_key():
    api_key, secret = make_api_key()
    found = api_key_authenticate(key=secret)
    assert found == api_key
    assert found is not None
    assert found.service_account == api_key.service_account


def test_api_key_authenticate_wrong_secret_with_a_right_prefix():
    api_key, secret = make_api_key()
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert wrong.startswith(api_key.prefix + ".")
    assert api_key_authenticate(key=wrong) is None
    assert api_key_authenticate(key=f"{api_key.prefix}.{'0' * 32}") is None


def test_api_key_authenticate_unknown_prefix():
    _api_key, secret = make_api_key()
    assert api_key_authenticate(key="zzzzzzzz" + secret[8:]) is None


def test_api_key_authenticate_revoked():
    api_key, secret = make_api_key()
    services.api_key_revoke(api_key=api_key, actor=None)
    assert api_key_authenticate(key=secret) is None


def test_api_key_authenticate_expired():
    api_key, secret = make_api_key(expires_at=timezone.now() + dt.timedelta(days=1))
    assert api_key_authenticate(key=secret) is not None
    OrganizationAPIKey.objects.filter(pk=api_key.pk).update(
        expiry_date=timezone.now() - dt.timedelta(seconds=1)
    )
    assert api_key_authenticate(key=secret) is None


def test_api_key_authenticate_inactive_organization():
    api_key, secret = make_api_key()
    Organization.objects.filter(pk=api_key.organization_id).update(is_active=False)
    assert api_key_authenticate(key=secret) is None


def test_api_key_authenticate_inactive_service_account():
    api_key, secret = make_api_key()
    User.objects.filter(pk=api_key.service_account_id).update(is_active=False)
    assert api_key_authenticate(key=secret) is None


@pytest.mark.parametrize(
    "key",
    [
        "",
        " ",
        "nodot",
        ".",
        "abc.def",
        "{prefix}",
        "{prefix}.",
        ".{secret}",
        "{prefix}.{secret}x",
        "x{prefix}.{secret}",
        " {prefix}.{secret}",
        "{prefix}.{secret} ",
        "{prefix}..{secret}",
        "{prefix}.{secret_dashed}",
        "{prefix}\x00.{secret}",
        "{prefix}.{secret}" * 1000,
        "' OR 1=1 --",
    ],
)
def test_api_key_authenticate_malformed_asks_nothing(key, django_assert_num_queries):
    _api_key, secret = make_api_key()
    prefix, _dot, secret_part = secret.partition(".")
    key = key.format(prefix=prefix, secret=secret_part, secret_dashed="-" + secret_part[1:])
    with django_assert_num_queries(0):
        assert api_key_authenticate(key=key) is None


def test_api_key_authenticate_unknown_prefix_still_hashes(monkeypatch):
    """An unknown prefix costs a hash like a wrong secret does, so timing does not tell
    which prefixes exist."""
    _api_key, secret = make_api_key()
    key_generator = OrganizationAPIKey.objects.key_generator
    verified: list[str] = []
    real_verify = key_generator.verify

    def spy(key: str, hashed_key: str) -> bool:
        verified.append(key)
        return real_verify(key, hashed_key)

    monkeypatch.setattr(key_generator, "verify", spy)
    unknown = "zzzzzzzz" + secret[8:]
    wrong = secret[:9] + "0" * 32
    assert api_key_authenticate(key=unknown) is None
    assert api_key_authenticate(key=wrong) is None
    assert verified == [unknown, wrong]


def test_api_key_authenticate_records_last_use_at_most_once_a_minute(django_assert_num_queries):
    api_key, secret = make_api_key()
    assert api_key.last_used_at is None
    with django_assert_num_queries(2):  # read the key, record its first use
        api_key_authenticate(key=secret)
    api_key.refresh_from_db()
    first_use = api_key.last_used_at
    assert first_use is not None
    with django_assert_num_queries(1):  # read the key only
        found = api_key_authenticate(key=secret)
    assert found is not None
    assert found.last_used_at == first_use
    api_key.refresh_from_db()
    assert api_key.last_used_at == first_use
    # A minute later it is written again.
    OrganizationAPIKey.objects.filter(pk=api_key.pk).update(
        last_used_at=F("last_used_at") - LAST_USED_RESOLUTION
    )
    found = api_key_authenticate(key=secret)
    assert found is not None
    api_key.refresh_from_db()
    assert api_key.last_used_at == found.last_used_at
    assert api_key.last_used_at > first_use - LAST_USED_RESOLUTION


def test_api_key_authenticate_failure_records_no_use():
    api_key, secret = make_api_key()
    services.api_key_revoke(api_key=api_key, actor=None)
    api_key_authenticate(key=secret)
    api_key.refresh_from_db()
    assert api_key.last_used_at is None


# -- the organization an actor acts for --------------------------------------------------------
REFUSALS = services.ActingRefusals(
    no_role="no role", several="several", not_here="not here", unnamed="unnamed"
)


def _acting(actor, organization=None, refusals=REFUSALS, capabilities=(Capability.CASE_CREATE,)):
    return services.acting_organization(
        actor=actor, organization=organization, capabilities=capabilities, refusals=refusals
    )


def test_acting_organization_is_the_members_only_one_or_the_one_named():
    home = OrganizationFactory.create()
    member = make_member(Role.CASEWORKER, home)
    assert _acting(member) == home
    assert _acting(member, home) == home


def test_acting_organization_counts_any_of_the_capabilities():
    home = OrganizationFactory.create()
    partner = make_member(Role.PARTNER, home)  # creates cases, does not write them
    assert _acting(partner, capabilities=(Capability.CASE_WRITE, Capability.CASE_CREATE)) == home
    with pytest.raises(PermissionDenied, match="no role"):
        _acting(partner, capabilities=(Capability.CASE_WRITE,))


def test_acting_organization_refusals():
    home, other = OrganizationFactory.create(), OrganizationFactory.create()
    member = make_member(Role.CASEWORKER, home)
    with pytest.raises(PermissionDenied, match="not here"):
        _acting(member, other)
    with pytest.raises(PermissionDenied, match="no role"):
        _acting(make_member(Role.COORDINATOR, home))
    services.membership_set(user=member, organization=other, role=Role.SUPERVISOR)
    with pytest.raises(ValidationFailed, match="several") as excinfo:
        _acting(User.objects.get(pk=member.pk))
    assert list(excinfo.value.fields) == ["organization"]
    assert _acting(User.objects.get(pk=member.pk), other) == other


def test_acting_organization_of_the_system_is_the_one_it_names():
    home = OrganizationFactory.create()
    inactive = OrganizationFactory.create(is_active=False)
    superuser = UserFactory.create(is_superuser=True)
    for actor in (None, superuser):
        assert _acting(actor, home) == home
        with pytest.raises(ValidationFailed, match="unnamed"):
            _acting(actor)
        with pytest.raises(ValidationFailed) as excinfo:
            _acting(actor, inactive)
        assert list(excinfo.value.fields) == ["organization"]
    optional = services.ActingRefusals(no_role="no role", several="several", not_here="not here")
    assert _acting(None, refusals=optional) is None

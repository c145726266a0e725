"""``api_key_create`` and ``api_key_revoke``: the key printed once, alone on standard output;
refusals as command errors naming the option at fault."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import OrganizationAPIKey
from accounts.services import api_key_authenticate
from tests.factories.accounts import OrganizationFactory, make_api_key

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_api_key_create_by_id_prints_the_key_alone():
    organization = OrganizationFactory.create(name="Synthetic partner agency")
    out, err = run("api_key_create", "--organization", str(organization.pk), "--name", "Mirror")
    secret = out.strip()
    assert out == secret + "\n"
    api_key = OrganizationAPIKey.objects.get()
    assert secret.startswith(api_key.prefix + ".")
    assert api_key_authenticate(key=secret) == api_key
    assert (api_key.organization, api_key.name, api_key.role) == (organization, "Mirror", "partner")
    assert api_key.expiry_date is None
    assert api_key.created_by is None
    assert api_key.prefix in err
    assert "Synthetic partner agency" in err
    assert secret not in err
    row = OrganizationAPIKey.objects.filter(pk=api_key.pk).values().get()
    assert all(secret.partition(".")[2] not in str(value) for value in row.values())


def test_api_key_create_by_exact_name_with_role_and_expiry():
    organization = OrganizationFactory.create(name="Synthetic auditors")
    before = timezone.now()
    out, _err = run(
        "api_key_create",
        "--organization",
        "Synthetic auditors",
        "--name",
        "Audit mirror",
        "--role",
        "auditor",
        "--expires-in-days",
        "30",
    )
    api_key = OrganizationAPIKey.objects.get()
    assert api_key.organization == organization
    assert api_key.role == "auditor"
    assert api_key.expiry_date is not None
    assert before + dt.timedelta(days=30) <= api_key.expiry_date
    assert api_key.expiry_date <= timezone.now() + dt.timedelta(days=30)
    assert api_key_authenticate(key=out.strip()) == api_key


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--organization", "Nobody", "--name", "x"], "No organization"),
        (["--organization", "{org}", "--name", " "], "name:"),
        (["--organization", "{org}", "--name", "x" * 51], "name:"),
        (["--organization", "{org}", "--name", "x", "--expires-in-days", "0"], "expires-in-days"),
        (["--organization", "{org}", "--name", "x", "--role", "boss"], "invalid choice"),
        (["--organization", "{inactive}", "--name", "x"], "organization:"),
    ],
)
def test_api_key_create_refuses(args, message):
    organization = OrganizationFactory.create()
    inactive = OrganizationFactory.create(is_active=False)
    args = [a.format(org=organization.pk, inactive=inactive.pk) for a in args]
    with pytest.raises(CommandError, match=message):
        run("api_key_create", *args)
    assert not OrganizationAPIKey.objects.exists()


def test_api_key_revoke_by_prefix():
    api_key, secret = make_api_key(name="Old mirror")
    out, _err = run("api_key_revoke", api_key.prefix)
    api_key.refresh_from_db()
    assert api_key.revoked
    assert api_key.revoked_at is not None
    assert api_key.revoked_by is None
    assert api_key.prefix in out
    assert api_key_authenticate(key=secret) is None


def test_api_key_revoke_given_the_whole_key_never_echoes_it():
    api_key, secret = make_api_key()
    out, err = run("api_key_revoke", secret)
    api_key.refresh_from_db()
    assert api_key.revoked
    assert secret.partition(".")[2] not in out + err


def test_api_key_revoke_twice():
    api_key, _secret = make_api_key()
    run("api_key_revoke", api_key.prefix)
    revoked_at = OrganizationAPIKey.objects.get().revoked_at
    out, _err = run("api_key_revoke", api_key.prefix)
    assert "already revoked" in out
    assert OrganizationAPIKey.objects.get().revoked_at == revoked_at


def test_api_key_revoke_unknown_prefix():
    make_api_key()
    with pytest.raises(CommandError, match="No API key"):
        run("api_key_revoke", "nothing0")

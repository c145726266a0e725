"""``create_demo_accounts``: people in every role of both demo organizations and a partner key,
so a new user sees scoping at work. All accounts are synthetic."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from accounts.models import Membership, OrganizationAPIKey, Role, User
from cases.seeding import facilities_load
from demo import seeding
from demo.management.commands.create_demo_admin import database_label

pytestmark = pytest.mark.django_db


def _kept(var_dir: Any) -> Any:
    """The logins the credentials file keeps for the test database."""
    return json.loads((var_dir / "demo-admin.json").read_text())["databases"][database_label()]


@pytest.fixture
def demo_settings(settings: Any, tmp_path: Any) -> Any:
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    return settings


def _run() -> str:
    out = StringIO()
    call_command("create_demo_accounts", stdout=out)
    return out.getvalue()


def test_create_demo_accounts_makes_every_role_in_both_organizations(demo_settings: Any) -> None:
    output = _run()

    organizations = seeding.demo_organizations_load()
    for organization in organizations.values():
        roles = set(
            Membership.objects.filter(
                organization=organization, user__is_service_account=False
            ).values_list("role", flat=True)
        )
        assert roles == set(Role.values)
    stored = _kept(demo_settings.VAR_DIR)
    caseworker = User.objects.get(username="service-caseworker")
    assert caseworker.check_password(stored["service-caseworker"]["password"])
    assert stored["service-caseworker"]["password"] in output
    secret = stored["partner-api-key"]["secret"]
    assert secret in output
    key = OrganizationAPIKey.objects.get()
    assert key.organization == organizations["partner"]
    assert key.role == Role.PARTNER


def test_create_demo_accounts_is_idempotent(demo_settings: Any) -> None:
    first = _run()
    second = _run()

    assert first == second
    assert OrganizationAPIKey.objects.count() == 1
    assert User.objects.filter(username__startswith="service-").count() == len(Role.values)


def test_demo_partner_key_sees_only_what_is_shared(demo_settings: Any, oblasts: Any) -> None:
    facilities_load()
    seeding.demo_cases_load(count=12)
    _run()
    stored = _kept(demo_settings.VAR_DIR)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {stored['partner-api-key']['secret']}")

    rows = client.get("/api/v1/cases/", {"page_size": 200}).json()["results"]

    partner = seeding.demo_organizations_load()["partner"]
    shared = set(
        partner.case_shares.filter(revoked_at__isnull=True).values_list("case_id", flat=True)
    )
    # What it submitted itself; never the rest of its organization's cases (least privilege).
    prefix = stored["partner-api-key"]["secret"].partition(".")[0]
    key = OrganizationAPIKey.objects.get(prefix=prefix)
    submitted = set(
        partner.cases.filter(created_by=key.service_account).values_list("id", flat=True)
    )
    assert {row["id"] for row in rows} == shared | submitted
    assert {row["access_scope"] for row in rows} == {"full", "limited"}


def test_create_demo_accounts_refuses_without_debug(settings: Any, tmp_path: Any) -> None:
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError):
        _run()
    assert not User.objects.filter(username__startswith="service-").exists()


def test_create_demo_accounts_replaces_a_kept_key_that_no_longer_authenticates(
    demo_settings: Any,
) -> None:
    _run()
    revoked = _kept(demo_settings.VAR_DIR)["partner-api-key"]["secret"]
    OrganizationAPIKey.objects.update(revoked=True)

    output = _run()

    secret = _kept(demo_settings.VAR_DIR)["partner-api-key"]["secret"]
    assert secret != revoked
    assert revoked not in output
    assert secret in output
    assert OrganizationAPIKey.objects.get(revoked=False).organization.name in output
    assert (
        APIClient().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Api-Key {secret}").status_code == 200
    )


def test_create_demo_accounts_reads_a_file_from_before_logins_were_kept_per_database(
    demo_settings: Any,
) -> None:
    """Logins kept before, for some database, are only guesses: those that work on this one are
    used, the rest replaced, and the old entries stay as they were."""
    path = demo_settings.VAR_DIR / "demo-admin.json"
    stale = {"password": "from-another-database"}
    path.write_text(json.dumps({"service-caseworker": stale}))

    _run()

    kept = _kept(demo_settings.VAR_DIR)
    caseworker = User.objects.get(username="service-caseworker")
    assert kept["service-caseworker"] != stale
    assert caseworker.check_password(kept["service-caseworker"]["password"])
    assert json.loads(path.read_text())["service-caseworker"] == stale

    # The file as it was written before, for this database, with a key of another one.
    path.write_text(json.dumps({**kept, "partner-api-key": {"secret": "x" * 8 + "." + "y" * 32}}))
    output = _run()

    again = _kept(demo_settings.VAR_DIR)
    assert {name: again[name] for name in kept if name != "partner-api-key"} == {
        name: login for name, login in kept.items() if name != "partner-api-key"
    }
    assert again["partner-api-key"]["secret"] in output
    assert OrganizationAPIKey.objects.filter(revoked=False).count() == 2

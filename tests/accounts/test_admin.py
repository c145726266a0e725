"""The accounts admin: pages open, every write goes through the services, service accounts
are looked at and never edited, and a new key's secret is shown once and stored nowhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from accounts import services
from accounts.models import Membership, Organization, OrganizationAPIKey, Role, User
from core.errors import ValidationFailed
from tests.cases.admin_pages import (
    add_inline_row,
    form_data,
    form_errors,
    inline_errors,
    messages_of,
)
from tests.factories.accounts import (
    OrganizationFactory,
    UserFactory,
    make_api_key,
    make_member,
)

pytestmark = pytest.mark.django_db


def url(model: str, view: str, *args: object) -> str:
    return reverse(f"admin:accounts_{model}_{view}", args=args)


def user_form_data(page: Any) -> dict[str, Any]:
    """``form_data`` for a user's page, whose dates are split into a date and a time input."""
    data = form_data(page)
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        if isinstance(field, forms.SplitDateTimeField):
            value = form[name].value()
            data.pop(name, None)
            if value:
                local = timezone.localtime(value)
                data[f"{name}_0"] = local.strftime("%Y-%m-%d")
                data[f"{name}_1"] = local.strftime("%H:%M:%S")
    return data


@pytest.fixture
def organization():
    return OrganizationFactory.create(name="Synthetic home agency", kind="ukrainian_authority")


@pytest.fixture
def api_key(organization):
    return make_api_key(organization, name="Partner mirror")[0]


# ---------------------------------------------------------------------------------------------
# Pages open
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    ["", "?q=synthetic", "?q=api-key", "?o=2", "?o=-1"],
)
@pytest.mark.parametrize("model", ["organization", "membership", "organizationapikey", "user"])
def test_admin_changelists_open(admin_client, organization, api_key, model, query):
    make_member(Role.CASEWORKER, organization)
    response = admin_client.get(url(model, "changelist") + query)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query", ["?revoked__exact=0", "?role__exact=partner", "?q=mirror", "?o=-7"]
)
def test_admin_api_key_changelist_filters(admin_client, api_key, query):
    response = admin_client.get(url("organizationapikey", "changelist") + query)
    assert response.status_code == 200
    assert api_key.prefix in response.content.decode()


@pytest.mark.parametrize("model", ["organization", "membership", "organizationapikey", "user"])
def test_admin_add_pages_open(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


def test_admin_change_pages_open(admin_client, organization, api_key):
    member = make_member(Role.SUPERVISOR, organization)
    membership = Membership.objects.get(user=member)
    for page in (
        url("organization", "change", organization.pk),
        url("membership", "change", membership.pk),
        url("organizationapikey", "change", api_key.pk),
        url("user", "change", member.pk),
        url("user", "change", api_key.service_account_id),
    ):
        assert admin_client.get(page).status_code == 200, page


def test_admin_api_key_list_shows_its_columns(admin_client, api_key):
    response = admin_client.get(url("organizationapikey", "changelist"))
    columns = response.context["cl"].list_display
    for name in (
        "name",
        "prefix",
        "organization",
        "role",
        "created",
        "expiry_date",
        "last_used_at",
        "revoked",
    ):
        assert name in columns
    assert "Partner mirror" in response.content.decode()


def test_admin_library_api_key_page_is_gone():
    assert not admin.site.is_registered(APIKey)
    assert admin.site.is_registered(OrganizationAPIKey)


# ---------------------------------------------------------------------------------------------
# Organizations
# ---------------------------------------------------------------------------------------------
def test_admin_organization_add_through_the_service(admin_client):
    page = admin_client.get(url("organization", "add"))
    data = form_data(page)
    data.update(
        name="  Synthetic new agency ", short_name="SNA", kind="ngo", country="PL", is_active="on"
    )
    response = admin_client.post(url("organization", "add"), data)
    assert response.status_code == 302, form_errors(response)
    organization = Organization.objects.get(short_name="SNA")
    assert organization.name == "Synthetic new agency"
    assert organization.country == "PL"


def test_admin_organization_add_refuses_a_taken_name(admin_client, organization):
    data = form_data(admin_client.get(url("organization", "add")))
    data.update(name="SYNTHETIC HOME AGENCY", kind="ngo")
    response = admin_client.post(url("organization", "add"), data)
    assert response.status_code == 200
    assert "name" in form_errors(response)
    assert Organization.objects.count() == 1


def test_admin_organization_add_refuses_an_unknown_country(admin_client):
    data = form_data(admin_client.get(url("organization", "add")))
    data.update(name="Synthetic elsewhere", kind="ngo", country="ZZ")
    response = admin_client.post(url("organization", "add"), data)
    assert "country" in form_errors(response)
    assert not Organization.objects.exists()


def test_admin_organization_members_added_changed_and_ended(admin_client, organization):
    change = url("organization", "change", organization.pk)
    newcomer = UserFactory.create(username="newcomer")
    page = admin_client.get(change)
    data = form_data(page)
    add_inline_row(data, page, Membership, user=newcomer, role="caseworker", is_active=True)
    response = admin_client.post(change, data)
    assert response.status_code == 302, response.context and form_errors(response)
    membership = Membership.objects.get(user=newcomer)
    assert (membership.organization, membership.role, membership.is_active) == (
        organization,
        "caseworker",
        True,
    )

    page = admin_client.get(change)
    data = form_data(page)
    row = next(k for k, v in data.items() if k.endswith("-id") and v == str(membership.pk))
    prefix = row.removesuffix("-id")
    data[f"{prefix}-role"] = "supervisor"
    assert admin_client.post(change, data).status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.is_active) == ("supervisor", True)

    data = form_data(admin_client.get(change))
    data.pop(f"{prefix}-is_active")
    assert admin_client.post(change, data).status_code == 302
    membership.refresh_from_db()
    assert (membership.role, membership.is_active) == ("supervisor", False)


def test_admin_organization_member_rows_of_service_accounts_are_fixed(
    admin_client, organization, api_key
):
    page = admin_client.get(url("organization", "change", organization.pk))
    for inline in page.context["inline_admin_formsets"]:
        if inline.formset.model is Membership:
            (form,) = inline.formset.forms
            assert form.instance.user == api_key.service_account
            assert all(form.fields[name].disabled for name in ("user", "role", "is_active"))
            user_field = inline.formset.empty_form.fields["user"]
            assert api_key.service_account not in user_field.queryset


@pytest.mark.parametrize(
    "refusal",
    [ValidationFailed.on("name", "Taken a moment ago."), IntegrityError("concurrent insert")],
)
def test_admin_refusal_at_save_rolls_back_keeps_the_input_and_says_why(
    admin_client, organization, monkeypatch, refusal
):
    change = url("organization", "change", organization.pk)
    newcomer = UserFactory.create(username="rolled-back")
    page = admin_client.get(change)
    data = form_data(page)
    data["short_name"] = "CHANGED"
    add_inline_row(data, page, Membership, user=newcomer, role="caseworker", is_active=True)

    def refuse(**kwargs: Any) -> None:
        raise refusal

    monkeypatch.setattr(services, "membership_set", refuse)
    response = admin_client.post(change, data)
    # The same page again, with what was typed and the reason next to the row it concerns.
    assert response.status_code == 200
    (row,) = [row for row in inline_errors(response, Membership) if row]
    (message,) = row["__all__"]
    assert "Taken a moment ago." in message or "changed at the same time" in message
    assert "Nothing was saved" in str(form_errors(response))
    assert response.context["adminform"].form["short_name"].value() == "CHANGED"
    organization.refresh_from_db()
    assert organization.short_name != "CHANGED"
    assert not Membership.objects.filter(user=newcomer).exists()


def test_admin_organization_cannot_be_deleted(admin_client, organization):
    assert admin_client.get(url("organization", "delete", organization.pk)).status_code == 403


# ---------------------------------------------------------------------------------------------
# Memberships on their own page
# ---------------------------------------------------------------------------------------------
def test_admin_membership_add_change_end(admin_client, organization):
    person = UserFactory.create(username="member-page")
    response = admin_client.post(
        url("membership", "add"),
        {"user": person.pk, "organization": organization.pk, "role": "auditor", "is_active": "on"},
    )
    assert response.status_code == 302, form_errors(response)
    membership = Membership.objects.get(user=person)
    assert membership.role == "auditor"

    change = url("membership", "change", membership.pk)
    data = form_data(admin_client.get(change))
    data.update(role="caseworker", user=UserFactory.create().pk)  # who cannot change
    assert admin_client.post(change, data).status_code == 302
    membership.refresh_from_db()
    assert (membership.user, membership.role) == (person, "caseworker")

    data.pop("is_active")
    assert admin_client.post(change, data).status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active


def test_admin_membership_refuses_an_unknown_role(admin_client, organization):
    response = admin_client.post(
        url("membership", "add"),
        {"user": UserFactory.create().pk, "organization": organization.pk, "role": "boss"},
    )
    assert "role" in form_errors(response)
    assert not Membership.objects.exists()


def test_admin_membership_of_a_service_account_is_read_only(admin_client, api_key):
    membership = Membership.objects.get(user=api_key.service_account)
    change = url("membership", "change", membership.pk)
    assert admin_client.get(change).context["has_change_permission"] is False
    response = admin_client.post(change, {"role": "auditor", "is_active": ""})
    assert response.status_code == 403
    membership.refresh_from_db()
    assert (membership.role, membership.is_active) == ("partner", True)


def test_admin_membership_add_refuses_a_service_account(admin_client, organization, api_key):
    response = admin_client.post(
        url("membership", "add"),
        {"user": api_key.service_account_id, "organization": organization.pk, "role": "auditor"},
    )
    assert "user" in form_errors(response)


def test_admin_membership_cannot_be_deleted(admin_client, organization):
    membership = Membership.objects.get(user=make_member(Role.CASEWORKER, organization))
    assert admin_client.get(url("membership", "delete", membership.pk)).status_code == 403


# ---------------------------------------------------------------------------------------------
# Users and service accounts
# ---------------------------------------------------------------------------------------------
def test_admin_user_memberships_inline(admin_client, organization):
    person = UserFactory.create(username="inline-person")
    change = url("user", "change", person.pk)
    page = admin_client.get(change)
    data = user_form_data(page)
    add_inline_row(
        data, page, Membership, organization=organization, role="supervisor", is_active=True
    )
    response = admin_client.post(change, data)
    assert response.status_code == 302, form_errors(response)
    membership = Membership.objects.get(user=person)
    assert (membership.organization, membership.role, membership.is_active) == (
        organization,
        "supervisor",
        True,
    )


def test_admin_user_is_service_account_is_read_only(admin_client):
    person = UserFactory.create(username="plain-person")
    change = url("user", "change", person.pk)
    page = admin_client.get(change)
    assert "is_service_account" not in page.context["adminform"].form.fields
    data = user_form_data(page)
    data["is_service_account"] = "on"
    assert admin_client.post(change, data).status_code == 302
    person.refresh_from_db()
    assert not person.is_service_account


def test_admin_service_account_is_view_only(admin_client, api_key):
    account = api_key.service_account
    change = url("user", "change", account.pk)
    page = admin_client.get(change)
    assert page.context["has_change_permission"] is False
    assert "password" not in page.content.decode().split('id="user_form"')[-1].split("<h2")[0]
    response = admin_client.post(
        change, {"username": account.username, "is_staff": "on", "is_superuser": "on"}
    )
    assert response.status_code == 403
    account.refresh_from_db()
    assert not account.is_staff
    assert not account.is_superuser


def test_admin_service_account_cannot_be_given_a_password(admin_client, api_key):
    account = api_key.service_account
    password_url = reverse("admin:auth_user_password_change", args=[account.pk])
    assert admin_client.get(password_url).status_code == 403
    response = admin_client.post(
        password_url,
        {
            "password1": "a-long-synthetic-pass-42",
            "password2": "a-long-synthetic-pass-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 403
    account.refresh_from_db()
    assert not account.has_usable_password()


def test_admin_service_account_cannot_be_deleted(admin_client, api_key):
    delete = url("user", "delete", api_key.service_account_id)
    assert admin_client.get(delete).status_code == 403


def test_admin_people_still_get_passwords(admin_client):
    person = UserFactory.create(username="password-person")
    password_url = reverse("admin:auth_user_password_change", args=[person.pk])
    response = admin_client.post(
        password_url,
        {
            "password1": "a-long-synthetic-pass-42",
            "password2": "a-long-synthetic-pass-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a-long-synthetic-pass-42")


# ---------------------------------------------------------------------------------------------
# API keys
# ---------------------------------------------------------------------------------------------
def add_key(client, **fields):
    data = {
        "organization": "",
        "name": "",
        "role": "partner",
        "expiry_date_0": "",
        "expiry_date_1": "",
    }
    data.update(fields)
    return client.post(url("organizationapikey", "add"), data)


def test_admin_api_key_add_shows_the_secret_once_and_stores_only_its_hash(
    admin_client, admin_user, organization
):
    response = add_key(admin_client, organization=organization.pk, name="New mirror")
    assert response.status_code == 200
    assert "admin/accounts/organizationapikey/created.html" in [t.name for t in response.templates]
    api_key = OrganizationAPIKey.objects.get()
    (message,) = messages_of(response)
    secret = next(word for word in message.split() if word.startswith(api_key.prefix + "."))
    secret = secret.rstrip(".")
    assert services.api_key_authenticate(key=secret) == api_key
    assert secret in response.content.decode()
    # Stored nowhere: not in the row, not in a message cookie or the session for later.
    row = OrganizationAPIKey.objects.filter(pk=api_key.pk).values().get()
    assert all(secret.partition(".")[2] not in str(value) for value in row.values())
    assert "messages" not in response.cookies
    later = admin_client.get(url("organizationapikey", "changelist"))
    assert secret not in later.content.decode()
    key_page = admin_client.get(url("organizationapikey", "change", api_key.pk))
    assert secret not in key_page.content.decode()
    # Made through the service: its service account and who made it.
    assert api_key.created_by == admin_user
    assert api_key.service_account.is_service_account
    assert Membership.objects.get(user=api_key.service_account).role == "partner"


def test_admin_api_key_add_with_role_and_expiry(admin_client, organization):
    when = timezone.localtime() + dt.timedelta(days=10)
    response = add_key(
        admin_client,
        organization=organization.pk,
        name="Auditors",
        role="auditor",
        expiry_date_0=when.strftime("%Y-%m-%d"),
        expiry_date_1="12:00:00",
    )
    assert response.status_code == 200
    api_key = OrganizationAPIKey.objects.get()
    assert api_key.role == "auditor"
    assert api_key.expiry_date is not None
    assert timezone.localtime(api_key.expiry_date).date() == when.date()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"expiry_date_0": "2020-01-01", "expiry_date_1": "00:00:00"}, "expiry_date"),
        ({"role": "boss"}, "role"),
        ({"organization": "{inactive}"}, "organization"),
    ],
)
def test_admin_api_key_add_refuses(admin_client, organization, fields, field):
    inactive = OrganizationFactory.create(is_active=False)
    data = {"organization": organization.pk, "name": "Mirror"}
    data.update({k: v.format(inactive=inactive.pk) for k, v in fields.items()})
    response = add_key(admin_client, **data)
    assert response.status_code == 200
    assert field in form_errors(response)
    assert not OrganizationAPIKey.objects.exists()


def test_admin_api_key_change_only_name_and_expiry(admin_client, api_key):
    change = url("organizationapikey", "change", api_key.pk)
    page = admin_client.get(change)
    assert set(page.context["adminform"].form.fields) == {"name", "expiry_date"}
    when = timezone.localtime() + dt.timedelta(days=3)
    response = admin_client.post(
        change,
        {
            "name": "Renamed mirror",
            "expiry_date_0": when.strftime("%Y-%m-%d"),
            "expiry_date_1": "08:00:00",
            "role": "auditor",
            "organization": OrganizationFactory.create().pk,
            "revoked": "on",
        },
    )
    assert response.status_code == 302, form_errors(response)
    api_key.refresh_from_db()
    assert api_key.name == "Renamed mirror"
    assert api_key.expiry_date is not None
    assert (api_key.role, api_key.revoked) == ("partner", False)


def test_admin_api_key_change_refuses_a_past_expiry(admin_client, api_key):
    response = admin_client.post(
        url("organizationapikey", "change", api_key.pk),
        {"name": "Mirror", "expiry_date_0": "2020-01-01", "expiry_date_1": "00:00:00"},
    )
    assert "expiry_date" in form_errors(response)
    api_key.refresh_from_db()
    assert api_key.expiry_date is None


def test_admin_revoked_api_key_is_view_only(admin_client, api_key):
    services.api_key_revoke(api_key=api_key, actor=None)
    change = url("organizationapikey", "change", api_key.pk)
    assert admin_client.get(change).context["has_change_permission"] is False
    assert admin_client.post(change, {"name": "Back", "expiry_date_0": ""}).status_code == 403
    api_key.refresh_from_db()
    assert api_key.name == "Partner mirror"


def test_admin_revoke_selected_keys(admin_client, admin_user, organization):
    first, first_secret = make_api_key(organization)
    second, _secret = make_api_key(organization)
    already, _secret = make_api_key(organization)
    services.api_key_revoke(api_key=already, actor=None)
    keep, keep_secret = make_api_key(organization)
    response = admin_client.post(
        url("organizationapikey", "changelist"),
        {"action": "revoke_selected", "_selected_action": [first.pk, second.pk, already.pk]},
        follow=True,
    )
    assert "2 API keys revoked." in messages_of(response)
    for api_key in (first, second):
        api_key.refresh_from_db()
        assert api_key.revoked
        assert api_key.revoked_by == admin_user
        assert not User.objects.get(pk=api_key.service_account_id).is_active
    already.refresh_from_db()
    assert already.revoked_by is None
    assert services.api_key_authenticate(key=first_secret) is None
    assert services.api_key_authenticate(key=keep_secret) == keep


def test_admin_api_keys_cannot_be_deleted(admin_client, api_key):
    assert admin_client.get(url("organizationapikey", "delete", api_key.pk)).status_code == 403
    page = admin_client.get(url("organizationapikey", "changelist"))
    actions = [name for name, _label in page.context["action_form"].fields["action"].choices]
    assert "revoke_selected" in actions
    assert "delete_selected" not in actions


# -- who manages accounts ------------------------------------------------------------------------
def test_only_administrators_manage_accounts_whatever_model_permissions_say(client):
    from django.contrib.auth.models import Permission

    from tests.factories.accounts import make_member

    supervisor = make_member("supervisor")
    # Even given Django's permissions on memberships, a supervisor grants no roles here.
    supervisor.user_permissions.add(*Permission.objects.filter(content_type__app_label="accounts"))
    client.force_login(supervisor)

    for url in (
        "/admin/accounts/membership/",
        "/admin/accounts/membership/add/",
        "/admin/accounts/organization/",
        "/admin/accounts/organizationapikey/add/",
    ):
        assert client.get(url).status_code == 403, url


def test_auditors_read_accounts_and_change_nothing(client):
    from tests.factories.accounts import make_member

    auditor = make_member("auditor")
    membership = auditor.memberships.get()
    client.force_login(auditor)

    assert client.get("/admin/accounts/membership/").status_code == 200
    assert client.get("/admin/accounts/membership/add/").status_code == 403
    page = client.get(f"/admin/accounts/membership/{membership.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = client.post(
        f"/admin/accounts/membership/{membership.pk}/change/", {"role": "supervisor"}
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == "auditor"

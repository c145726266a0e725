"""The audit trail in the admin: read only for everyone, readable by auditors and superusers;
and the history table other admin pages embed."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.models import Organization, Role
from audit import services
from audit.admin import render_object_history
from audit.models import Action, AuditEvent
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.audit import AuditEventFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/auditevent/"


@pytest.fixture
def superuser():
    return UserFactory.create(is_superuser=True)


@pytest.mark.parametrize("who", ["superuser", "auditor"])
def test_nobody_may_add_change_or_delete(who):
    actor = (
        UserFactory.create(is_superuser=True) if who == "superuser" else make_member(Role.AUDITOR)
    )
    request = RequestFactory().get(CHANGELIST)
    request.user = actor
    model_admin = admin.site._registry[AuditEvent]
    event = AuditEventFactory.create()
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_superuser_reads_the_changelist_and_an_event(client, superuser):
    event = AuditEventFactory.create(request_id="req-admin-1")
    client.force_login(superuser)
    response = client.get(CHANGELIST, {"q": "req-admin-1"})
    assert response.status_code == 200
    assert f"/admin/audit/auditevent/{event.pk}/change/" in response.content.decode()
    detail = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_changelist_filters_and_date_hierarchy(client, superuser):
    AuditEventFactory.create(action=Action.LOGIN)
    client.force_login(superuser)
    for params in ({"action": "login"}, {"channel": "admin"}, {"object_type": "cases.case"}):
        assert client.get(CHANGELIST, params).status_code == 200
    assert client.get(CHANGELIST, {"at__year": "2024"}).status_code == 200


def test_auditor_reads_the_changelist(client):
    client.force_login(make_member(Role.AUDITOR))
    assert client.get(CHANGELIST).status_code == 200
    assert CHANGELIST in client.get("/admin/").content.decode()


def test_add_change_and_delete_pages_are_refused(client, superuser):
    event = AuditEventFactory.create()
    client.force_login(superuser)
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(f"{CHANGELIST}{event.pk}/delete/").status_code == 403
    response = client.post(f"{CHANGELIST}{event.pk}/change/", {"action": "view"})
    assert response.status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).action == Action.UPDATE


def test_caseworker_is_refused(client, trail):
    client.force_login(make_member(Role.CASEWORKER))
    assert client.get(CHANGELIST).status_code == 403
    assert CHANGELIST not in client.get("/admin/").content.decode()
    assert trail().filter(action=Action.DENIED).count() == 1


def test_object_history_renders_field_by_field(user):
    organization = OrganizationFactory.create(name="Synthetic NGO", is_active=True)
    services.record_create(organization, actor=user)
    before = services.snapshot(organization)
    organization.name = "Synthetic NGO <renamed>"
    organization.is_active = False
    organization.save()
    services.record_update(organization, before, actor=user)
    services.record_view(organization, actor=user)  # a read is not a change

    html = render_object_history(organization)

    assert html.count("<tr>") == 1 + len(services.snapshot(organization)) + 2
    assert user.username in html
    assert "Synthetic NGO &lt;renamed&gt;" in html  # escaped
    assert "<renamed>" not in html
    assert str(Organization._meta.get_field("is_active").verbose_name) in html
    assert "Viewed" not in html


def test_object_history_of_an_unsaved_or_unchanged_record():
    assert "No recorded changes" in render_object_history(Organization(name="x"))
    assert "No recorded changes" in render_object_history(OrganizationFactory.create())

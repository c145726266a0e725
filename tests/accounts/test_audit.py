"""Every accounts write leaves its audit event in the same transaction, by the actor who made
it; a key's secret and hash never reach the trail."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import Membership
from audit.models import AuditEvent
from core.errors import ValidationFailed
from tests.factories.accounts import OrganizationFactory, UserFactory, make_api_key

pytestmark = pytest.mark.django_db


def events_of(instance) -> list[AuditEvent]:
    object_id = getattr(instance, "prefix", None) or str(instance.pk)
    return list(
        AuditEvent.objects.filter(
            object_type=instance._meta.label_lower, object_id=object_id
        ).order_by("at", "id")
    )


def test_audit_organization_create_and_update():
    admin = UserFactory.create(is_superuser=True)
    organization = services.organization_create(name="Synthetic audited", kind="ngo", actor=admin)
    services.organization_update(organization=organization, country="PL", actor=admin)
    services.organization_update(organization=organization, country="PL", actor=admin)  # no-op
    created, updated = events_of(organization)
    assert (created.action, created.actor, created.organization_id) == (
        "create",
        admin,
        organization.pk,
    )
    assert created.changes["name"] == [None, "Synthetic audited"]
    assert (updated.action, updated.changes) == ("update", {"country": ["", "PL"]})


def test_audit_membership_set_and_end():
    admin = UserFactory.create(is_superuser=True)
    organization = OrganizationFactory.create()
    person = UserFactory.create()
    membership = services.membership_set(
        user=person, organization=organization, role="caseworker", actor=admin
    )
    services.membership_set(user=person, organization=organization, role="supervisor", actor=admin)
    services.membership_end(membership=Membership.objects.get(pk=membership.pk), actor=admin)
    created, promoted, ended = events_of(membership)
    assert created.action == "create"
    assert created.changes["role"] == [None, "caseworker"]
    assert promoted.changes == {"role": ["caseworker", "supervisor"]}
    assert ended.changes == {"is_active": [True, False]}
    assert {e.actor for e in (created, promoted, ended)} == {admin}
    assert {e.organization_id for e in (created, promoted, ended)} == {organization.pk}


def test_audit_api_key_create_update_revoke_never_holds_the_secret():
    admin = UserFactory.create(is_superuser=True)
    organization = OrganizationFactory.create()
    api_key, secret = make_api_key(organization, created_by=admin)
    services.api_key_update(api_key=api_key, name="Renamed", expires_at=None, actor=admin)
    services.api_key_revoke(api_key=api_key, actor=admin)
    created, renamed, revoked = events_of(api_key)
    assert (created.action, created.actor) == ("create", admin)
    assert created.object_id == api_key.prefix
    assert renamed.changes == {"name": ["Synthetic partner system", "Renamed"]}
    assert revoked.action == "revoke"
    assert revoked.changes["revoked"] == [False, True]
    account_events = events_of(api_key.service_account)
    assert [e.action for e in account_events] == ["create", "update"]
    assert account_events[1].changes == {"is_active": [True, False]}
    assert [e.action for e in events_of(Membership.objects.get(user=api_key.service_account))] == [
        "create"
    ]
    trail = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert secret.partition(".")[2] not in trail
    assert api_key.hashed_key.partition("$$")[2] not in trail


def test_audit_nothing_when_a_service_refuses():
    organization = OrganizationFactory.create()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed):
        services.api_key_create(organization=organization, name="x", role="boss")
    with pytest.raises(ValidationFailed):
        services.organization_update(organization=organization, kind="club")
    assert AuditEvent.objects.count() == before


def test_audit_admin_writes_name_the_admin(admin_client, admin_user):
    organization = OrganizationFactory.create()
    response = admin_client.post(
        reverse("admin:accounts_organizationapikey_add"),
        {"organization": organization.pk, "name": "Via admin", "role": "partner"},
    )
    assert response.status_code == 200
    (api_key,) = organization.api_keys.all()
    (created,) = events_of(api_key)
    assert (created.actor, created.channel) == (admin_user, "admin")
    admin_client.post(
        reverse("admin:accounts_organizationapikey_changelist"),
        {"action": "revoke_selected", "_selected_action": [api_key.pk]},
    )
    assert [e.action for e in events_of(api_key)] == ["create", "revoke"]
    assert events_of(api_key)[1].actor == admin_user

"""The queryset guard of audited models (``accounts.Organization`` and ``Membership`` use it):
bulk writes leave one event per row, or are refused."""

from __future__ import annotations

import pytest

from accounts.models import Membership, Organization, Role
from audit.context import audit_context
from audit.exceptions import UnauditedWrite
from audit.models import Action, AuditEvent, Channel
from audit.querysets import AuditedQuerySet, is_audited
from tests.factories.accounts import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _events(trail, action: str) -> list[AuditEvent]:
    return list(trail().filter(action=action).order_by("object_id"))


def test_audited_models_use_the_guard():
    assert is_audited(Organization)
    assert is_audited(Membership)
    assert isinstance(Organization.objects.filter(is_active=True), AuditedQuerySet)


def test_update_records_one_event_per_changed_row(user, trail):
    first, second, unchanged = OrganizationFactory.create_batch(3, is_active=True)
    unchanged.is_active = False
    unchanged.save()
    targets = Organization.objects.filter(pk__in=[first.pk, second.pk, unchanged.pk])

    count = targets.audit_as(actor=user, metadata={"reason": "test"}).update(is_active=False)

    assert count == 3
    events = _events(trail, Action.UPDATE)
    assert [e.object_id for e in events] == sorted([str(first.pk), str(second.pk)])
    for event in events:
        assert event.changes == {"is_active": [True, False]}
        assert event.actor == user
        assert event.metadata == {"reason": "test"}
    assert len({e.at for e in events}) == 1  # one statement, one time


def test_update_takes_the_actor_and_channel_from_the_context(user, trail):
    organization = OrganizationFactory.create(is_active=True)
    with audit_context(channel=Channel.COMMAND, actor=user, request_id="command-1"):
        Organization.objects.filter(pk=organization.pk).update(is_active=False)
    (event,) = _events(trail, Action.UPDATE)
    assert (event.actor, event.channel, event.request_id) == (user, Channel.COMMAND, "command-1")


def test_update_with_expressions_records_the_values_written(user, trail):
    organization = OrganizationFactory.create(name="Synthetic NGO", short_name="SN")
    from django.db.models import F

    Organization.objects.filter(pk=organization.pk).update(short_name=F("name"))
    (event,) = _events(trail, Action.UPDATE)
    assert event.changes == {"short_name": ["SN", "Synthetic NGO"]}


def test_update_of_nothing_records_nothing(trail):
    assert Organization.objects.filter(pk=-1).update(is_active=False) == 0
    assert not trail().exists()


def test_update_of_a_slice_is_refused():
    OrganizationFactory.create()
    with pytest.raises(TypeError, match="slice"):
        Organization.objects.all()[:1].update(is_active=False)


def test_update_through_a_related_manager_is_audited(user, home, trail):
    Membership.objects.filter(user=user).update(role=Role.CASEWORKER)
    (event,) = _events(trail, Action.UPDATE)
    assert event.object_type == "accounts.membership"
    assert event.changes == {"role": [Role.SUPERVISOR, Role.CASEWORKER]}


def test_bulk_update_records_one_event_per_changed_row(user, trail):
    organizations = OrganizationFactory.create_batch(3, country="UA")
    organizations[0].country = "PL"
    organizations[1].country = "MD"
    with audit_context(channel=Channel.TASK, actor=user):
        Organization.objects.bulk_update(organizations, ["country"], batch_size=2)
    events = _events(trail, Action.UPDATE)
    assert len(events) == 2
    assert {e.object_id: e.changes["country"][1] for e in events} == {
        str(organizations[0].pk): "PL",
        str(organizations[1].pk): "MD",
    }
    assert all(e.actor == user and e.channel == Channel.TASK for e in events)


def test_bulk_create_records_one_event_per_row(user, trail):
    created = Organization.objects.audit_as(actor=user).bulk_create(
        [Organization(name=f"Synthetic bulk {n}", kind="ngo") for n in range(3)]
    )
    events = _events(trail, Action.CREATE)
    assert sorted(e.object_id for e in events) == sorted(str(o.pk) for o in created)
    assert all(e.changes["kind"] == [None, "ngo"] for e in events)
    assert all(e.actor == user for e in events)


def test_bulk_create_ignoring_conflicts_is_refused():
    with pytest.raises(UnauditedWrite):
        Organization.objects.bulk_create(
            [Organization(name="Synthetic", kind="ngo")], ignore_conflicts=True
        )
    assert not Organization.objects.filter(name="Synthetic").exists()


def test_delete_records_one_event_per_row_before_deleting(user, trail):
    doomed = [
        OrganizationFactory.create(name="Synthetic doomed A"),
        OrganizationFactory.create(name="Synthetic doomed B"),
    ]
    kept = OrganizationFactory.create(name="Synthetic kept")

    deleted, per_model = (
        Organization.objects.filter(name__startswith="Synthetic doomed")
        .audit_as(actor=user)
        .delete()
    )

    assert (deleted, per_model) == (2, {"accounts.Organization": 2})
    assert Organization.objects.filter(pk=kept.pk).exists()
    events = _events(trail, Action.DELETE)
    assert [e.object_id for e in events] == sorted(str(o.pk) for o in doomed)
    assert {e.changes["name"][0] for e in events} == {"Synthetic doomed A", "Synthetic doomed B"}
    assert all(e.changes["name"][1] is None for e in events)


def test_delete_records_cascaded_rows_of_audited_models(monkeypatch, trail):
    # Organization and Membership protect each other; a user's API token is deleted with the
    # user, so a guarded user queryset shows the cascade (both models taken as audited).
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from audit import querysets

    monkeypatch.setattr(querysets, "is_audited", lambda model: model in {User, Token})
    member = UserFactory.create()
    Token.objects.create(user=member)
    bystander = UserFactory.create()
    Token.objects.create(user=bystander)

    querysets.AuditedQuerySet(model=User).filter(pk=member.pk).delete()

    events = _events(trail, Action.DELETE)
    assert {e.object_type for e in events} == {"accounts.user", "authtoken.token"}
    assert Token.objects.filter(user=bystander).exists()


def test_delete_refused_by_protection_records_nothing(user, home, trail):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Organization.objects.filter(pk=home.pk).delete()
    assert not trail().exists()


def test_unaudited_update_only_writes_technical_fields(monkeypatch, trail):
    organization = OrganizationFactory.create(short_name="OLD")
    with pytest.raises(UnauditedWrite, match="are audited"):
        Organization.objects.filter(pk=organization.pk).unaudited_update(
            "a technical column", short_name="NEW"
        )
    monkeypatch.setattr(Organization, "audit_technical_fields", frozenset({"short_name"}), False)
    with pytest.raises(UnauditedWrite, match="needs a reason"):
        Organization.objects.filter(pk=organization.pk).unaudited_update(" ", short_name="NEW")
    count = Organization.objects.filter(pk=organization.pk).unaudited_update(
        "denormalised label, derived from the name", short_name="NEW"
    )
    assert count == 1
    organization.refresh_from_db()
    assert organization.short_name == "NEW"
    assert not trail().exists()

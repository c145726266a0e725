"""The recording services: what an event holds for each kind of write and read, and whose it is."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import Membership, Organization, Role
from audit import services
from audit.context import audit_context
from audit.models import Action, Channel
from cases.models import Facility
from tests.factories.accounts import OrganizationFactory, make_api_key
from tests.factories.cases import FacilityFactory, make_case

pytestmark = pytest.mark.django_db


def test_snapshot_values_are_json_safe():
    facility = Facility(
        pk=7, name="Synthetic camp", kind="camp", country="RU", latitude=Decimal("55.5")
    )
    values = services.snapshot(facility)
    assert values["latitude"] == "55.500000"  # exact, at the field's precision
    assert values["longitude"] is None
    assert values["country"] == "RU"
    assert "id" not in values  # the id is the event's object_id
    assert "created_at" not in values  # the event's own time says when
    json.dumps(values)


def test_snapshot_dates_times_and_foreign_keys(user):
    case = make_case(actor=user, deported_on=dt.date(2022, 6, 1))
    values = services.snapshot(case)
    assert values["deported_on"] == "2022-06-01"
    assert values["child_id"] == case.child_id
    assert values["organization_id"] == case.organization_id
    assert values["status_changed_at"].endswith("+00:00")  # aware times in UTC
    assert "child" not in values
    json.dumps(values)


def test_snapshot_of_named_fields_accepts_names_and_attribute_names(user):
    case = make_case(actor=user)
    assert set(services.snapshot(case, ["assignee", "priority"])) == {"assignee_id", "priority"}
    with pytest.raises(ValueError, match="no recordable field"):
        services.snapshot(case, ["no_such_field"])


def test_snapshot_never_holds_passwords_or_key_hashes():
    key, _secret = make_api_key()
    assert "password" not in services.snapshot(key.service_account)
    key_values = services.snapshot(key)
    assert "hashed_key" not in key_values
    assert key.hashed_key not in json.dumps(key_values)
    with pytest.raises(ValueError, match="no recordable field"):
        services.snapshot(key.service_account, ["password"])


def test_record_create_holds_every_field_with_no_before(user):
    organization = OrganizationFactory.create(name="Synthetic NGO", kind="ngo")
    event = services.record_create(organization, actor=user)
    assert event.action == Action.CREATE
    assert event.object_type == "accounts.organization"
    assert event.object_id == str(organization.pk)
    assert event.object_repr == f"organization #{organization.pk}"
    assert event.changes["name"] == [None, "Synthetic NGO"]
    assert event.changes["is_active"] == [None, True]
    assert event.actor == user
    assert event.actor_label == user.username


def test_record_update_holds_only_what_changed(user):
    organization = OrganizationFactory.create(name="Synthetic NGO", is_active=True)
    before = services.snapshot(organization)
    organization.name = "Synthetic NGO renamed"
    organization.is_active = False
    organization.save()
    event = services.record_update(organization, before, actor=user, metadata={"why": "test"})
    assert event is not None
    assert event.action == Action.UPDATE
    assert event.changes == {
        "is_active": [True, False],
        "name": ["Synthetic NGO", "Synthetic NGO renamed"],
    }
    assert event.metadata == {"why": "test"}


def test_record_update_writes_nothing_when_nothing_changed(user, trail):
    organization = OrganizationFactory.create()
    before = services.snapshot(organization)
    organization.save()  # updated_at moves; no field of substance does
    assert services.record_update(organization, before, actor=user) is None
    assert not trail().exists()


def test_record_update_compares_values_not_types(user):
    case = make_case(actor=user, deported_on=dt.date(2022, 6, 1))
    before = services.snapshot(case, ["deported_on"])
    case.deported_on = "2022-06-01"  # as a form or import might assign it
    assert services.record_update(case, before, actor=user) is None


def test_record_update_with_another_action(user):
    case = make_case(actor=user)
    before = services.snapshot(case, ["priority"])
    case.priority = "high"
    event = services.record_update(
        case, before, actor=user, action=Action.ASSIGN, metadata={"reason": "test"}
    )
    assert event is not None
    assert event.action == Action.ASSIGN
    assert event.changes == {"priority": ["normal", "high"]}


def test_record_delete_holds_every_field_with_no_after(user):
    organization = OrganizationFactory.create(name="Synthetic NGO to delete")
    pk = organization.pk
    event = services.record_delete(organization, actor=user)
    Organization.objects.filter(pk=pk).delete()
    event.refresh_from_db()
    assert event.action == Action.DELETE
    assert event.object_id == str(pk)
    assert event.changes["name"] == ["Synthetic NGO to delete", None]


def test_record_delete_after_deleting_is_refused(user):
    facility = FacilityFactory.create()
    facility.delete()
    with pytest.raises(ValueError, match="before deleting"):
        services.record_delete(facility, actor=user)


def test_record_view_never_names_the_child(user):
    case = make_case(actor=user)
    event = services.record_view(case, actor=user)
    assert event.action == Action.VIEW
    assert event.object_type == "cases.case"
    assert event.object_id == str(case.pk)
    assert case.child.given_name not in event.object_repr
    assert case.child.family_name not in event.object_repr
    assert event.changes == {}


def test_object_repr_is_the_models_audit_label_when_it_has_one(user):
    facility = FacilityFactory.create()
    assert services.record_view(facility, actor=user).object_repr == f"facility #{facility.pk}"
    facility.audit_label = lambda: "camp #7 in RU"  # type: ignore[attr-defined]
    assert services.record_view(facility, actor=user).object_repr == "camp #7 in RU"


def test_record_refuses_unknown_actions(user):
    with pytest.raises(ValueError, match="Unknown audit action"):
        services.record("frobnicate", actor=user)


def test_record_export_with_explicit_object(user):
    event = services.record(
        Action.EXPORT,
        actor=user,
        object_type="cases.case",
        object_id=42,
        object_repr="cases export",
        metadata={"rows": 3, "on": dt.date(2024, 1, 1)},
    )
    assert event.object_id == "42"
    assert event.metadata == {"rows": 3, "on": "2024-01-01"}


def test_without_context_the_channel_is_system_and_actor_none():
    event = services.record(Action.EXPORT, actor=None)
    assert event.channel == Channel.SYSTEM
    assert event.actor is None
    assert event.actor_label == ""
    assert event.request_id == ""


def test_audit_context_names_channel_actor_and_request(user):
    with audit_context(channel=Channel.TASK, actor=user, request_id="task-1") as ctx:
        event = services.record(Action.EXPORT, actor=None)
    assert ctx.channel == Channel.TASK
    assert event.channel == Channel.TASK
    assert event.actor == user
    assert event.request_id == "task-1"
    assert services.record(Action.EXPORT, actor=None).channel == Channel.SYSTEM


def test_audit_context_makes_a_request_id_and_refuses_unknown_channels():
    with audit_context(channel=Channel.COMMAND):
        event = services.record(Action.EXPORT, actor=None)
    assert len(event.request_id) == 32
    with pytest.raises(ValueError, match="Unknown audit channel"), audit_context(channel="x"):
        pass


def test_organization_is_the_actors_only_one(home, user):
    event = services.record(Action.EXPORT, actor=user)
    assert event.organization == home


def test_organization_is_unknown_for_an_actor_of_several(home, user):
    other = OrganizationFactory.create()
    Membership.objects.create(user=user, organization=other, role=Role.CASEWORKER)
    user = type(user).objects.get(pk=user.pk)  # roles are cached on the user object
    assert services.record(Action.EXPORT, actor=user).organization is None
    given = services.record(Action.EXPORT, actor=user, organization=other)
    assert given.organization == other


def test_api_key_prefix_and_organization_come_from_the_request():
    key, _secret = make_api_key()
    request = RequestFactory().get("/api/v1/cases/")
    request.user = key.service_account
    setattr(request, "auth", key)  # noqa: B010 - as DRF sets it on the Django request
    from audit import context

    token = context.bind(context.AuditContext(channel=Channel.API, request=request))
    try:
        event = services.record_view(key.organization, actor=key.service_account)
    finally:
        context.unbind(token)
    assert event.api_key_prefix == key.prefix
    assert event.organization == key.organization
    assert event.actor == key.service_account
    assert key.hashed_key not in json.dumps(
        [event.object_id, event.object_repr, event.api_key_prefix, event.changes]
    )


def test_api_keys_are_named_by_prefix_never_by_their_hashed_id(user):
    key, _secret = make_api_key()
    event = services.record(Action.REVOKE, actor=user, instance=key)
    assert event.object_id == key.prefix
    assert key.hashed_key not in event.object_repr


def test_record_denied_takes_the_actor_from_the_request(user):
    request = RequestFactory().post("/api/v1/cases/1/transition/")
    request.user = user
    event = services.record_denied(request, "case_transition")
    assert event.action == Action.DENIED
    assert event.actor == user
    assert event.metadata == {
        "reason": "case_transition",
        "method": "POST",
        "path": "/api/v1/cases/1/transition/",
    }


def test_actor_label_survives_a_rename(user):
    event = services.record(Action.EXPORT, actor=user)
    old = user.username
    user.username = "renamed-caseworker"
    user.save()
    event.refresh_from_db()
    assert event.actor_label == old


def test_anonymous_actor_is_recorded_as_nobody():
    anonymous = SimpleNamespace(is_authenticated=False)
    assert services.record(Action.EXPORT, actor=anonymous).actor is None


def test_events_roll_back_with_the_write(user, trail):
    from django.db import transaction

    def write_then_fail() -> None:
        with transaction.atomic():
            services.record(Action.EXPORT, actor=user)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not trail().exists()


def test_json_value_of_awkward_values():
    aware = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert services.json_value(aware) == "2024-01-01T10:00:00+00:00"
    assert services.json_value(dt.timedelta(days=1)) == "P1DT00H00M00S"
    assert services.json_value(float("nan")) == "nan"
    assert services.json_value(b"abc") == "<3 bytes>"
    assert services.json_value({1: (Decimal("1.5"),)}) == {"1": ["1.5"]}
    assert services.json_value(timezone.now().date()) == timezone.now().date().isoformat()

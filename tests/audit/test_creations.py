"""``record_creations``: a bulk write's ``create`` events, worked out together, are the events
``record_create`` records one by one (``COPY`` on PostgreSQL, one insert elsewhere); and a
snapshot reads plain values without their field's conversion, with the same result."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django_countries.fields import Country

from audit import services
from audit.context import audit_context
from audit.models import Action, AuditEvent, Channel
from audit.snapshots import _field_value, _recorded_fields, snapshot
from cases.models import Child, DatePrecision, Sex, Whereabouts
from tests.factories.accounts import make_member
from tests.factories.cases import home_organization, make_case

pytestmark = pytest.mark.django_db

# Every field of an event but its id.
_COMPARED = [f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def _as_written(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in _COMPARED}


@pytest.mark.parametrize("copy_from", [1, 10_000], ids=["copy", "insert"])
def test_record_creations_writes_the_events_record_create_builds(
    oblasts: Any, monkeypatch: pytest.MonkeyPatch, copy_from: int
):
    """The same events as one ``build_instance_event`` each, whether streamed (``COPY`` on
    PostgreSQL from ``COPY_EVENTS_FROM`` events) or inserted."""
    monkeypatch.setattr(services, "COPY_EVENTS_FROM", copy_from)
    organization = home_organization()
    actor = make_member("caseworker", organization)
    cases = [make_case(organization=organization) for _ in range(3)]
    instances = [*cases, *(c.child for c in cases)]
    at = timezone.now()
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with audit_context(channel=Channel.COMMAND):
        expected = [
            services.build_instance_event(
                Action.CREATE,
                instance,
                actor=actor,
                changes=services.creation_changes(instance),
                metadata={"case_import": 7},
                at=at,
            )
            for instance in instances
        ]
        written = services.record_creations(
            instances, actor=actor, metadata={"case_import": 7}, at=at
        )
    events = list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))
    assert written == len(events) == len(instances)
    assert [_as_written(e) for e in events] == [_as_written(e) for e in expected]
    assert all(e.changes and e.organization_id == organization.pk for e in events)


def test_record_creations_of_nothing_writes_nothing():
    count = AuditEvent.objects.count()
    assert services.record_creations([], actor=None) == 0
    assert AuditEvent.objects.count() == count


@pytest.mark.parametrize(
    "values",
    [
        {},  # as created: str, date, bool, datetime, an oblast's id, a choice's member
        {"sex": Sex.MALE, "date_of_birth_precision": DatePrecision.YEAR},
        {"date_of_birth": "2013-02-03", "origin_latitude": "47.1"},  # converted, as saved
        {"origin_latitude": Decimal("47.123456789"), "origin_longitude": 36},
        {"merged_at": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC), "is_synthetic": 1},
        {"given_name": "Ярина", "patronymic": "", "distinguishing_notes": None},
    ],
)
def test_snapshot_reads_plain_values_as_the_fields_convert_them(oblasts: Any, values: Any):
    child = make_case(organization=home_organization()).child
    for name, value in values.items():
        setattr(child, name, value)
    converted = {f.attname: _field_value(f, child) for f in _recorded_fields(Child, None)}
    assert snapshot(child) == converted
    assert snapshot(child, ["sex", "origin_oblast"]) == {
        "sex": converted["sex"],
        "origin_oblast_id": converted["origin_oblast_id"],
    }


@pytest.mark.parametrize("country", ["RU", "", Country("BY")], ids=["code", "none", "country"])
def test_snapshot_reads_a_country_as_stored_as_the_field_converts_it(oblasts: Any, country: Any):
    """A country field's code is read as the instance keeps it (its descriptor builds a
    ``Country`` at every read), with the value the field's conversion gives."""
    child = make_case(organization=home_organization()).child
    stay = Whereabouts(child=child, country=country, from_date=dt.date(2022, 7, 1))
    converted = {f.attname: _field_value(f, stay) for f in _recorded_fields(Whereabouts, None)}
    assert snapshot(stay) == converted
    assert snapshot(stay)["country"] == str(getattr(country, "code", country))

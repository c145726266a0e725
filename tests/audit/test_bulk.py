"""``record_bulk_creations``: one ``create`` event per row a bulk load wrote, in the context it
runs in (``COPY`` on PostgreSQL, one insert elsewhere; the same events either way)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organization
from audit import services
from audit.context import audit_context
from audit.models import Action, AuditEvent, Channel
from cases.models import Oblast
from tests.factories.accounts import OrganizationFactory

pytestmark = pytest.mark.django_db


def _events_since(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))


def _mark() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_record_bulk_creations_writes_one_event_per_row_in_the_command_context():
    organizations = OrganizationFactory.create_batch(3)
    mark = _mark()
    before = timezone.now()

    with audit_context(channel=Channel.COMMAND) as ctx:
        written = services.record_bulk_creations(
            Organization,
            (o.pk for o in organizations),
            metadata={"synthetic": True, "written_by": "a test"},
        )

    events = _events_since(mark)
    assert written == len(events) == 3
    assert [e.object_id for e in events] == [str(o.pk) for o in organizations]
    assert [e.object_repr for e in events] == [f"organization #{o.pk}" for o in organizations]
    for event in events:
        assert event.action == Action.CREATE
        assert event.object_type == "accounts.organization"
        assert event.channel == Channel.COMMAND
        assert event.request_id == ctx.request_id
        assert event.actor_id is None
        assert event.actor_label == ""
        assert event.api_key_prefix == ""
        assert event.organization_id is None
        assert event.client_address is None
        assert event.changes == {}
        assert event.metadata == {"synthetic": True, "written_by": "a test"}
        assert before <= event.at <= timezone.now()
    assert len({e.at for e in events}) == 1  # one time for the whole load


def test_record_bulk_creations_takes_labels_and_the_contexts_actor(user):
    mark = _mark()

    with audit_context(channel=Channel.TASK, actor=user):
        services.record_bulk_creations(Oblast, ["UA-14", "UA-43"], labels=["Donetsk", "Crimea"])

    events = _events_since(mark)
    assert [(e.object_type, e.object_id, e.object_repr) for e in events] == [
        ("cases.oblast", "UA-14", "Donetsk"),
        ("cases.oblast", "UA-43", "Crimea"),
    ]
    assert {(e.channel, e.actor_id, e.actor_label) for e in events} == {
        (Channel.TASK, user.pk, user.username)
    }
    assert {e.metadata.get("synthetic") for e in events} == {None}


def test_record_bulk_creations_of_nothing_writes_nothing():
    mark = _mark()

    assert services.record_bulk_creations(Organization, []) == 0

    assert _events_since(mark) == []


def test_record_bulk_creations_outside_a_context_is_the_systems():
    mark = _mark()

    services.record_bulk_creations(Organization, [1, 2])

    assert {e.channel for e in _events_since(mark)} == {Channel.SYSTEM}


@pytest.mark.postgres
def test_record_bulk_creations_streams_with_copy_on_postgresql(django_assert_num_queries):
    """PostgreSQL: the rows go in one ``COPY``, so a thousand take the statements three do
    (those Django sees: the ``COPY`` runs on the driver's cursor)."""
    assert connection.vendor == "postgresql"
    mark = _mark()
    with CaptureQueriesContext(connection) as few:
        services.record_bulk_creations(Organization, range(1, 4))

    with django_assert_num_queries(len(few.captured_queries)):
        services.record_bulk_creations(Organization, range(1, 1001))

    assert len(_events_since(mark)) == 1003

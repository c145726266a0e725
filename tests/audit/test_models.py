"""Audit events are append-only: refused in Python everywhere, and by the database on
PostgreSQL whatever sends the statement."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.exceptions import AuditTrailImmutable
from audit.models import Action, AuditEvent
from tests.factories.audit import AuditEventFactory

pytestmark = pytest.mark.django_db


def test_event_cannot_be_saved_twice():
    event = AuditEventFactory.create()
    event.action = Action.DELETE
    with pytest.raises(AuditTrailImmutable):
        event.save()
    with pytest.raises(AuditTrailImmutable):
        AuditEvent(pk=event.pk, action=Action.VIEW).save(update_fields=["action"])
    event.refresh_from_db()
    assert event.action == Action.UPDATE


def test_event_cannot_be_deleted():
    event = AuditEventFactory.create()
    with pytest.raises(AuditTrailImmutable):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "write",
    [
        lambda qs: qs.update(action=Action.VIEW),
        lambda qs: qs.delete(),
        lambda qs: qs.bulk_update(list(qs), ["action"]),
        lambda qs: qs.update_or_create(pk=1, defaults={"action": Action.VIEW}),
    ],
    ids=["update", "delete", "bulk_update", "update_or_create"],
)
def test_event_queryset_refuses_changes(write, trail):
    AuditEventFactory.create()
    with pytest.raises(AuditTrailImmutable):
        write(AuditEvent.objects.all())
    assert trail().filter(action=Action.UPDATE).count() == 1


def test_immutable_error_is_a_domain_error():
    from core.errors import DomainError

    assert issubclass(AuditTrailImmutable, DomainError)
    assert AuditTrailImmutable().code == "audit_trail_immutable"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'view'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
    ],
    ids=["update", "delete", "truncate"],
)
def test_database_refuses_raw_changes(sql):
    event = AuditEventFactory.create()
    with transaction.atomic(), connection.cursor() as cursor:
        # The test settings let the test runner truncate; a real session cannot.
        cursor.execute("SET LOCAL registry.audit_truncate_allowed = 'off'")
        # Check the insert's deferred foreign keys now: TRUNCATE refuses pending ones.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(sql)
    event.refresh_from_db()
    assert event.action == Action.UPDATE


@pytest.mark.postgres
def test_database_refuses_an_update_that_matches_nothing():
    with (
        connection.cursor() as cursor,
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        cursor.execute("UPDATE audit_auditevent SET action = 'view' WHERE id < 0")


@pytest.mark.postgres
def test_database_accepts_new_events(trail):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_label, api_key_prefix, action, object_type,"
            " object_id, object_repr, changes, channel, request_id, metadata)"
            " VALUES (now(), '', '', 'view', '', '', '', '{}', 'system', '', '{}')"
        )
    assert trail().count() == 1


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_empty_the_trail(trail):
    # After this test the runner empties every table with TRUNCATE; the test settings allow it
    # (AUDIT_ALLOW_TRUNCATE), so on PostgreSQL the teardown must not fail.
    event = AuditEventFactory.create()
    assert list(trail()) == [event]

"""Factories for the audit trail. Events are written by ``audit.services``; this factory exists
for API and admin tests that need events with chosen channels, times and request ids."""

from __future__ import annotations

import factory
from django.utils import timezone

from audit.models import Action, AuditEvent, Channel

# No model has this type, so tests can tell their events from those the services wrote.
SYNTHETIC_TYPE = "tests.synthetic"


class AuditEventFactory(factory.django.DjangoModelFactory[AuditEvent]):
    class Meta:
        model = AuditEvent

    at = factory.LazyFunction(timezone.now)
    action = Action.UPDATE
    object_type = SYNTHETIC_TYPE
    object_id = factory.Sequence(str)
    object_repr = factory.LazyAttribute(lambda e: f"synthetic #{e.object_id}")
    changes = factory.LazyFunction(lambda: {"is_active": [True, False]})
    channel = Channel.ADMIN
    request_id = factory.Sequence(lambda n: f"synthetic-request-{n}")
    actor_label = factory.LazyAttribute(lambda e: e.actor.get_username() if e.actor else "")
    actor = None

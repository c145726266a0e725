"""Factories for the reports app's records. A reminder is normally written by the refresh;
``make_reminder`` writes one directly for the tests of what reads and acts on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from reports.models import Reminder, ReminderRule

_next_key = iter(range(1, 10**9))


def make_reminder(user: Any, **fields: Any) -> Reminder:
    """An open follow-up reminder of ``user`` (fields override), with synthetic details."""
    fields.setdefault("rule", ReminderRule.FOLLOW_UP_DUE)
    if fields.get("case") is not None:
        # As the refresh writes it: a case's reminder belongs to the case's organization.
        fields.setdefault("organization", fields["case"].organization)
    fields.setdefault("item_key", f"followup:{next(_next_key)}")
    due_on = fields.setdefault("due_on", timezone.localdate() + dt.timedelta(days=3))
    fields.setdefault("item_state", f"due:{due_on.isoformat()}")
    fields.setdefault("details", {"case_number": "UA-2026-000123", "due_on": due_on.isoformat()})
    return Reminder.objects.create(user=user, **fields)

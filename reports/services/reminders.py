"""Reminders: the refresh that keeps them in step with the rules, and what a user does with one
(acknowledge it, snooze it).

The refresh, for each rule of ``reports.rules``, in one transaction per rule:

- an item that holds for a user with no reminder of it: a new open reminder;
- a resolved reminder whose item holds again: open again, its acknowledgement and snooze reset;
- an acknowledged or snoozed reminder whose item changed (``item_state``): open again, since
  what was acknowledged is no longer what is there;
- a snoozed reminder whose date has come: open again;
- a reminder whose item no longer holds, or whose user is no longer among its recipients:
  resolved.

Its writes are bulk writes through the audited manager (``audit.querysets``): one insert of
the new rows, one update per batch of changed rows, and their audit events in one insert each,
so a refresh costs a fixed number of queries per rule however many reminders it touches. The
events are the system's (or the task's context's): the reminders are the registry's own
bookkeeping, yet who was told what and when is worth keeping.

Two refreshes at once (a beat tick and the management command, two workers) do not write the
same rows twice: on PostgreSQL each rule's transaction first takes a transaction-level
advisory lock of its own; SQLite takes its write lock when a transaction begins
(``transaction_mode="IMMEDIATE"``), which serializes them already. The reminders of the rule
are read with ``select_for_update``, so an acknowledgement made meanwhile is not overwritten.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from core.db import InArray, advisory_xact_lock
from core.errors import Conflict, NotFound, ValidationFailed

from ..models import Reminder, ReminderState
from ..rules import RULES, Rule
from ..selectors.reminders import ReminderItem, reminders_for

logger = logging.getLogger(__name__)

# How far ahead a reminder may be snoozed.
SNOOZE_MAX_DAYS = 90
# The advisory lock space of the refresh (a constant of this module; the rule is the second key).
_LOCK_SPACE = zlib.crc32(b"reports.reminders_refresh") & 0x7FFFFFFF
# The fields the refresh writes on an existing reminder.
_REFRESHED_FIELDS = [
    "case",
    "organization",
    "item_state",
    "due_on",
    "details",
    "state",
    "snoozed_until",
    "acknowledged_at",
    "resolved_at",
    "version",
    "updated_at",
]


@dataclass
class RefreshResult:
    """What a refresh did: reminders created, opened again, resolved, and left as they were
    (their details may have been brought up to date)."""

    created: int = 0
    reopened: int = 0
    resolved: int = 0
    unchanged: int = 0

    def add(self, other: RefreshResult) -> None:
        self.created += other.created
        self.reopened += other.reopened
        self.resolved += other.resolved
        self.unchanged += other.unchanged

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def reminders_refresh(
    *, today: dt.date | None = None, now: dt.datetime | None = None
) -> RefreshResult:
    """Bring every user's reminders in step with what the rules find now (see the module
    docstring). Idempotent: a second run with nothing changed writes nothing."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    result = RefreshResult()
    for index, rule in enumerate(RULES):
        result.add(_refresh_rule(rule, index, today=today, now=now))
    return result


def _lock_rule(index: int) -> None:
    advisory_xact_lock(_LOCK_SPACE, index)


def _reopen(reminder: Reminder) -> None:
    reminder.state = ReminderState.OPEN
    reminder.snoozed_until = None
    reminder.acknowledged_at = None
    reminder.resolved_at = None


@transaction.atomic
def _refresh_rule(rule: Rule, index: int, *, today: dt.date, now: dt.datetime) -> RefreshResult:
    _lock_rule(index)
    items = rule.find(today=today, now=now)
    wanted: dict[tuple[int, str], ReminderItem] = {
        (user_id, item.item_key): item for item in items for user_id in item.recipients
    }
    keys = sorted({item.item_key for item in items})
    # The rule's reminders that may change: every one not resolved, and resolved ones of the
    # items that hold now (resolved reminders of items long gone are left alone).
    existing = {
        (r.user_id, r.item_key): r
        for r in Reminder.objects.select_for_update()
        .filter(rule=rule.rule)
        .filter(~Q(state=ReminderState.RESOLVED) | Q(InArray(F("item_key"), keys)))
        .order_by("pk")
    }
    result = RefreshResult()
    changed: list[Reminder] = []
    new: list[Reminder] = []
    for key, item in wanted.items():
        reminder = existing.get(key)
        if reminder is None:
            new.append(
                Reminder(
                    user_id=key[0],
                    rule=rule.rule,
                    item_key=item.item_key,
                    case_id=item.case_id,
                    organization_id=item.organization_id,
                    item_state=item.item_state,
                    due_on=item.due_on,
                    details=item.details,
                )
            )
            continue
        before = (
            reminder.case_id,
            reminder.organization_id,
            reminder.item_state,
            reminder.due_on,
            reminder.details,
            reminder.state,
        )
        item_changed = reminder.item_state != item.item_state
        if (
            reminder.state == ReminderState.RESOLVED
            or (
                reminder.state in (ReminderState.ACKNOWLEDGED, ReminderState.SNOOZED)
                and item_changed
            )
            or (
                reminder.state == ReminderState.SNOOZED
                and reminder.snoozed_until is not None
                and reminder.snoozed_until <= today
            )
        ):
            _reopen(reminder)
            result.reopened += 1
        else:
            result.unchanged += 1
        reminder.case_id = item.case_id
        reminder.organization_id = item.organization_id
        reminder.item_state = item.item_state
        reminder.due_on = item.due_on
        reminder.details = item.details
        after = (
            reminder.case_id,
            reminder.organization_id,
            reminder.item_state,
            reminder.due_on,
            reminder.details,
            reminder.state,
        )
        if after != before:
            reminder.version += 1
            reminder.updated_at = now
            changed.append(reminder)
    for key, reminder in existing.items():
        if key not in wanted and reminder.state != ReminderState.RESOLVED:
            reminder.state = ReminderState.RESOLVED
            reminder.resolved_at = now
            reminder.snoozed_until = None
            reminder.version += 1
            reminder.updated_at = now
            changed.append(reminder)
            result.resolved += 1
    if new:
        Reminder.objects.bulk_create(new)
        result.created = len(new)
    if changed:
        Reminder.objects.bulk_update(changed, _REFRESHED_FIELDS)
    if new or changed:
        logger.info(
            "reminders_rule_refreshed rule=%s created=%s reopened=%s resolved=%s",
            rule.rule.value,
            result.created,
            result.reopened,
            result.resolved,
        )
    return result


# ---------------------------------------------------------------------------------------------
# What a user does with a reminder
# ---------------------------------------------------------------------------------------------
def _own_locked(*, actor: Any, reminder_id: Any) -> Reminder:
    """The actor's reminder, locked; another user's is not found (its existence is not
    revealed)."""
    try:
        pk = int(reminder_id)
    except (TypeError, ValueError):
        pk = 0
    # The reminders the actor is shown (``reminders_for``), so no door acts on one it hides.
    reminder = (
        reminders_for(actor=actor, states=None).select_for_update().filter(pk=pk).first()
        if pk > 0 and actor is not None
        else None
    )
    if reminder is None:
        raise NotFound(_("No such reminder."))
    if reminder.state == ReminderState.RESOLVED:
        raise Conflict(_("This reminder is resolved: what it was about no longer needs you."))
    return reminder


def _save(reminder: Reminder, before: dict[str, Any], *, actor: Any) -> Reminder:
    reminder.version += 1
    reminder.save()
    audit.record_update(reminder, before, actor=actor)
    return reminder


@transaction.atomic
def reminder_acknowledge(*, actor: Any, reminder_id: int) -> Reminder:
    """Mark the actor's reminder seen: it stays out of the open ones until its item changes.
    Acknowledging it again changes nothing."""
    reminder = _own_locked(actor=actor, reminder_id=reminder_id)
    if reminder.state == ReminderState.ACKNOWLEDGED:
        return reminder
    before = audit.snapshot(reminder)
    reminder.state = ReminderState.ACKNOWLEDGED
    reminder.acknowledged_at = timezone.now()
    reminder.snoozed_until = None
    return _save(reminder, before, actor=actor)


@transaction.atomic
def reminder_snooze(*, actor: Any, reminder_id: int, until: dt.date) -> Reminder:
    """Hide the actor's reminder until ``until`` (after today, at most ``SNOOZE_MAX_DAYS``
    ahead); it comes back then, or earlier if its item changes."""
    today = timezone.localdate()
    if not isinstance(until, dt.date) or isinstance(until, dt.datetime):
        raise ValidationFailed.on("until", _("Give a date (YYYY-MM-DD)."))
    if until <= today:
        raise ValidationFailed.on("until", _("Snooze until a day after today."))
    if until > today + dt.timedelta(days=SNOOZE_MAX_DAYS):
        raise ValidationFailed.on(
            "until",
            _("Snooze for %(days)s days at most.") % {"days": SNOOZE_MAX_DAYS},
        )
    reminder = _own_locked(actor=actor, reminder_id=reminder_id)
    if reminder.state == ReminderState.SNOOZED and reminder.snoozed_until == until:
        return reminder
    before = audit.snapshot(reminder)
    reminder.state = ReminderState.SNOOZED
    reminder.snoozed_until = until
    return _save(reminder, before, actor=actor)

"""Refreshes racing on PostgreSQL: several at once write each reminder once (the per-rule
advisory lock), never an integrity error, and an acknowledgement made during a refresh is not
lost. Each worker thread has its own database connection. All data is synthetic."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case, FollowUp
from reports.models import Reminder, ReminderState
from reports.services.reminders import reminder_acknowledge, reminders_refresh
from tests.cases.test_concurrency import race
from tests.factories.accounts import make_member
from tests.factories.cases import home_organization, make_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _due_follow_ups(count: int) -> list[int]:
    home = home_organization()
    assignee = make_member("caseworker", home)
    ids = []
    for _index in range(count):
        case = make_case(organization=home)
        Case.objects.filter(pk=case.pk).update(assignee=assignee)
        ids.append(FollowUp.objects.create(case=case, due_on=timezone.localdate()).pk)
    return ids


def test_concurrent_refreshes_write_each_reminder_once():
    _due_follow_ups(5)
    results = race(lambda _i: reminders_refresh(), workers=4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.created for r in results) == 5
    assert Reminder.objects.count() == 5


def test_an_acknowledgement_during_refreshes_is_kept():
    _due_follow_ups(3)
    reminders_refresh()
    reminder = Reminder.objects.order_by("pk").first()
    assert reminder is not None
    user = reminder.user

    def work(index: int) -> object:
        if index == 0:
            return reminder_acknowledge(actor=user, reminder_id=reminder.pk)
        return reminders_refresh(now=timezone.now() + dt.timedelta(seconds=index))

    results = race(work, workers=3)
    assert not [r for r in results if isinstance(r, Exception)], results
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.ACKNOWLEDGED

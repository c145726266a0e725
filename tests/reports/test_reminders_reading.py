"""How a reminder reads (its sentence and its admin page, for every rule), the digest's read of
users' open reminders, and the periodic task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from reports.models import Reminder, ReminderRule, ReminderState
from reports.selectors.reminders import (
    open_reminders_for_users,
    reminder_admin_url,
    reminder_text,
)
from reports.tasks import reminders_refresh as refresh_task
from tests.factories.accounts import make_member
from tests.factories.cases import make_case
from tests.factories.reports import make_reminder

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 6)

TEXTS = [
    (
        ReminderRule.FOLLOW_UP_DUE,
        {"case_number": "UA-2026-000123", "due_on": "2026-12-12"},
        "Follow-up for UA-2026-000123 due on 12 Dec 2026",
    ),
    (
        ReminderRule.FOLLOW_UP_DUE,
        {"case_number": "UA-2026-000123", "due_on": "2026-12-01"},
        "Follow-up for UA-2026-000123 overdue since 1 Dec 2026",
    ),
    (
        ReminderRule.STATUS_TOO_LONG,
        {"case_number": "UA-2026-000123", "status": "verifying", "since": "2026-11-16",
         "limit": 14},
        "UA-2026-000123 has been in status “Verifying” for 20 days (limit 14)",
    ),
    (
        ReminderRule.CLOSURE_WAITING,
        {"case_number": "UA-2026-000123", "requested_on": "2026-12-01",
         "closure_reason": "duplicate"},
        "Closure request for UA-2026-000123 waiting for a decision since 1 Dec 2026",
    ),
    (
        ReminderRule.SHARE_EXPIRING,
        {"case_number": "UA-2026-000123", "expires_on": "2026-12-09", "shared_with": "ORG1"},
        "Share of UA-2026-000123 with ORG1 expires on 9 Dec 2026",
    ),
    (
        ReminderRule.PLEDGE_OVERDUE,
        {"pledge_id": 9, "member": "Canada", "due_on": "2026-11-30"},
        "Pledge #9 of Canada overdue since 30 Nov 2026",
    ),
    (
        ReminderRule.LIST_NO_ANSWER,
        {"list_id": 4, "waiting": 12, "handed_on": "2025-06-02"},
        "List #4: 12 entries without an answer since 2 Jun 2025",
    ),
    (
        ReminderRule.SOURCE_INTEGRITY,
        {"source_id": 8, "integrity": "missing"},
        "Source #8 failed its integrity check: Missing from storage",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "details", "text"), TEXTS)
def test_reminder_text_is_written_from_the_details(user: Any, rule: str, details: Any, text: str):
    reminder = Reminder(user=user, rule=rule, item_key="x:1", details=details)
    with translation.override("en"):
        assert reminder_text(reminder, today=TODAY) == text


def test_reminder_texts_cover_every_rule():
    assert {rule for rule, _details, _text in TEXTS} == set(ReminderRule.values)


def test_reminder_admin_url_points_at_what_it_is_about(user: Any):
    case = make_case()
    assert reminder_admin_url(Reminder(rule=ReminderRule.SHARE_EXPIRING, case=case)) == reverse(
        "admin:cases_case_change", args=[case.pk]
    )
    pages = {
        ReminderRule.PLEDGE_OVERDUE: ("admin:coalition_pledge_change", {"pledge_id": 9}),
        ReminderRule.LIST_NO_ANSWER: ("admin:coalition_childlist_change", {"list_id": 4}),
        ReminderRule.SOURCE_INTEGRITY: ("admin:sources_source_change", {"source_id": 8}),
    }
    for rule, (name, details) in pages.items():
        reminder = Reminder(rule=rule, details=details)
        assert reminder_admin_url(reminder) == reverse(name, args=list(details.values()))
    assert reminder_admin_url(Reminder(rule=ReminderRule.PLEDGE_OVERDUE, details={})) is None


def test_open_reminders_for_users_in_one_query(user: Any, django_assert_num_queries: Any):
    other = make_member("caseworker")
    nobody = make_member("caseworker")
    late = make_reminder(user, due_on=TODAY + dt.timedelta(days=5))
    soon = make_reminder(user, due_on=TODAY)
    theirs = make_reminder(other)
    make_reminder(other, state=ReminderState.ACKNOWLEDGED)
    make_reminder(make_member("caseworker"))  # not asked for
    with django_assert_num_queries(1):
        found = open_reminders_for_users([user.pk, other.pk, nobody.pk])
    assert found == {user.pk: [soon, late], other.pk: [theirs]}
    assert open_reminders_for_users([]) == {}


def test_refresh_task_returns_its_counts(user: Any, caplog: Any):
    from cases.models import FollowUp

    FollowUp.objects.create(case=make_case(), due_on=TODAY - dt.timedelta(days=400))
    with caplog.at_level("INFO", logger="reports.tasks"):
        counts = refresh_task.apply().get()
    assert counts == {"created": 1, "reopened": 0, "resolved": 0, "unchanged": 0}
    assert "reminders_refreshed created=1" in caplog.text

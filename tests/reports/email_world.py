"""What the e-mail tests share: a status report with a full set of figures (schema 1), open
reminders, and a mail backend whose server always refuses. All data is synthetic."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from accounts.models import Organization, User
from cases.models import Case
from reports.models import Reminder, ReminderRule, ReminderState, ReportPeriod, StatusReport
from reports.periods import Period, last_complete

# A Sunday: the last complete week is 30 Nov - 6 Dec 2026 once it is Monday 7 Dec.
MONDAY = dt.date(2026, 12, 7)


def figures(**overrides: Any) -> dict[str, Any]:
    """A status report's figures (schema 1): a few small cells (1 to 4) among larger ones."""
    data: dict[str, Any] = {
        "schema": 1,
        "total": 57,
        "by_status": {
            "reported": 3,
            "verifying": 6,
            "searching": 20,
            "located": 7,
            "return_in_progress": 0,
            "returned": 9,
            "rehabilitation": 5,
            "integration": 4,
            "closed": 3,
        },
        "by_phase": {"repatriation": 36, "rehabilitation": 14, "integration": 4, "closed": 3},
        "flows": {
            "new": 8,
            "located": 2,
            "returned": 6,
            "reopened": 0,
            "closed": {
                "integrated": 2,
                "adulthood_abroad": 0,
                "deceased": 0,
                "duplicate": 1,
                "not_deportation": 0,
                "transferred": 0,
            },
        },
        "time_to_return_days": {"returns": 6, "median": 210.5, "p90": 400.0},
        "follow_ups": {"on_time": 12, "late": 2, "missed": 1, "open": 9},
        "services": {"psychological": {"planned": 2, "provided": 7}},
        "by_origin_oblast": {"UA-14": 30, "unknown": 2},
        "by_country": {"RU": 40, "BY": 3},
        "published_figures": [],
        "coalition": None,
    }
    data.update(overrides)
    return data


COALITION = {
    "pledges": {"pledged": 11, "in_progress": 6, "delivered": 2, "withdrawn": 0},
    "pledges_overdue": 3,
    "list_entries": {"listed": 40, "acknowledged": 12, "returned": 1, "no_answer": 25},
    "meetings": 4,
    "statements": 2,
}


def make_report(
    organization: Organization | None = None,
    *,
    period: Period | None = None,
    data: dict[str, Any] | None = None,
) -> StatusReport:
    period = period or last_complete(ReportPeriod.WEEK, MONDAY)
    report = StatusReport.objects.create(
        scope="organization" if organization is not None else "registry",
        organization=organization,
        period=period.kind,
        period_start=period.start,
        period_end=period.end,
        as_of=period.ends_at,
        figures=data or figures(coalition=None if organization is not None else dict(COALITION)),
    )
    return report


def make_reminder(
    user: User,
    *,
    case: Case | None = None,
    rule: str = ReminderRule.FOLLOW_UP_DUE,
    state: str = ReminderState.OPEN,
    due_on: dt.date | None = dt.date(2026, 12, 9),
    key: str | None = None,
) -> Reminder:
    return Reminder.objects.create(
        user=user,
        rule=rule,
        item_key=key or f"case:{case.pk if case else 0}:{Reminder.objects.count()}",
        case=case,
        organization=case.organization if case is not None else None,
        item_state="synthetic",
        due_on=due_on,
        # What the rules write (``reports.selectors.reminders``): the case's number and dates.
        details={
            "case_number": case.number if case is not None else "",
            "due_on": due_on.isoformat() if due_on else "",
            "requested_on": "2026-12-01",
        },
        state=state,
        snoozed_until=dt.date(2026, 12, 20) if state == ReminderState.SNOOZED else None,
    )


def local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


class RefusingBackend(BaseEmailBackend):
    """A mail server that drops every connection."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("synthetic: the server hung up")

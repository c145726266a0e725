"""Report periods: a week (Monday to Sunday, ISO 8601), a month, or chosen dates, and the key
that names a period in the outbox (``2026-W49``, ``2026-11``, ``2026-12-06``).

Days are the project's local days (``TIME_ZONE``): a week that ends on Sunday ends at local
midnight, not UTC's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from .models import Frequency, ReportPeriod


@dataclass(frozen=True)
class Period:
    kind: str  # ReportPeriod
    start: dt.date
    end: dt.date  # the last day, inclusive

    @property
    def key(self) -> str:
        if self.kind == ReportPeriod.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == ReportPeriod.MONTH:
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def starts_at(self) -> dt.datetime:
        """The first moment of the period, local time."""
        return local_midnight(self.start)

    @property
    def ends_at(self) -> dt.datetime:
        """The first moment after the period (exclusive), local time."""
        return local_midnight(self.end + dt.timedelta(days=1))


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def week_of(day: dt.date) -> Period:
    start = day - dt.timedelta(days=day.weekday())
    return Period(ReportPeriod.WEEK, start, start + dt.timedelta(days=6))


def month_of(day: dt.date) -> Period:
    start = day.replace(day=1)
    next_month = (start + dt.timedelta(days=32)).replace(day=1)
    return Period(ReportPeriod.MONTH, start, next_month - dt.timedelta(days=1))


def last_complete(kind: str, today: dt.date | None = None) -> Period:
    """The latest week or month that has ended before ``today`` (the local date by default)."""
    today = today or timezone.localdate()
    if kind == ReportPeriod.WEEK:
        return week_of(today - dt.timedelta(days=today.weekday() + 1))
    if kind == ReportPeriod.MONTH:
        return month_of(today.replace(day=1) - dt.timedelta(days=1))
    raise ValueError(f"no scheduled period of kind {kind!r}")


def period_of_frequency(frequency: str) -> str:
    """The report period a summary e-mail of ``frequency`` reports on."""
    periods: dict[str, str] = {
        Frequency.WEEKLY: ReportPeriod.WEEK,
        Frequency.MONTHLY: ReportPeriod.MONTH,
    }
    return periods[frequency]

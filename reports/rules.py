"""The reminder rules as data: for each rule, the setting its threshold is read from and the
selector that finds its items now. The refresh (``reports.services.reminders``) reads this
table and nothing else to know what to remind of; a new rule is a new row (and a choice of
``ReminderRule``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .models import ReminderRule
from .selectors import reminders as selectors
from .selectors.reminders import ReminderItem

ItemSelector = Callable[..., list[ReminderItem]]


@dataclass(frozen=True)
class Rule:
    """One reminder rule: ``items(today=, now=, <argument>=threshold)`` finds what holds."""

    rule: ReminderRule
    # The setting holding the threshold: ``REMINDER_THRESHOLDS`` (days, keyed by the rule) or
    # ``REMINDER_STATUS_LIMITS`` (days by status, the whole mapping).
    setting: str
    items: ItemSelector
    # The keyword the selector takes its threshold by.
    argument: str = "days"

    def threshold(self) -> Any:
        """The threshold as the settings say now (tests and deployments override them)."""
        value = getattr(settings, self.setting)
        if self.setting == "REMINDER_THRESHOLDS":
            return int(value[self.rule.value])
        return dict(value)

    def find(self, *, today: dt.date, now: dt.datetime) -> list[ReminderItem]:
        """The rule's items now, each with its recipients."""
        return self.items(today=today, now=now, **{self.argument: self.threshold()})


RULES: tuple[Rule, ...] = (
    Rule(ReminderRule.FOLLOW_UP_DUE, "REMINDER_THRESHOLDS", selectors.follow_up_due_items),
    Rule(
        ReminderRule.STATUS_TOO_LONG,
        "REMINDER_STATUS_LIMITS",
        selectors.status_too_long_items,
        argument="limits",
    ),
    Rule(ReminderRule.CLOSURE_WAITING, "REMINDER_THRESHOLDS", selectors.closure_waiting_items),
    Rule(ReminderRule.SHARE_EXPIRING, "REMINDER_THRESHOLDS", selectors.share_expiring_items),
    Rule(ReminderRule.PLEDGE_OVERDUE, "REMINDER_THRESHOLDS", selectors.pledge_overdue_items),
    Rule(ReminderRule.LIST_NO_ANSWER, "REMINDER_THRESHOLDS", selectors.list_no_answer_items),
    Rule(ReminderRule.SOURCE_INTEGRITY, "REMINDER_THRESHOLDS", selectors.source_integrity_items),
)

RULES_BY_NAME: dict[str, Rule] = {rule.rule.value: rule for rule in RULES}
assert set(RULES_BY_NAME) == set(ReminderRule.values), "every ReminderRule has its row"

"""Query filters of a user's reminders: every parameter named, so the strict query-parameter
check refuses the others, and an invalid value is a 400 naming it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.api import FilterSet

from ..models import Reminder, ReminderRule, ReminderState


class ReminderFilterSet(FilterSet):
    state = filters.ChoiceFilter(
        choices=ReminderState.choices,
        help_text=_("The reminders in this state; open ones when not given."),
    )
    rule = filters.ChoiceFilter(
        choices=ReminderRule.choices, help_text=_("The reminders of this rule.")
    )
    due_before = filters.DateFilter(
        field_name="due_on",
        lookup_expr="lt",
        help_text=_("The reminders due strictly before this date (YYYY-MM-DD)."),
    )

    class Meta:
        model = Reminder
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Open reminders unless a state is asked for: what needs the reader now.
        if not self.form.cleaned_data.get("state"):
            queryset = queryset.filter(state=ReminderState.OPEN)
        return super().filter_queryset(queryset)

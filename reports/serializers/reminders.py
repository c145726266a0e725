"""A reminder as the API renders it, and the body of a snooze."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import StrictInputMixin

from ..models import Reminder
from ..selectors.reminders import reminder_admin_url, reminder_text


class ReminderSerializer(serializers.ModelSerializer[Reminder]):
    """A reminder of the requesting user, its sentence written in the request's language."""

    rule_label = serializers.CharField(
        source="get_rule_display", read_only=True, help_text=_("The rule, in words.")
    )
    text = serializers.SerializerMethodField(help_text=_("The reminder as one sentence."))
    case_number = serializers.SerializerMethodField(
        help_text=_("The number of the case it is about, if any.")
    )
    admin_url = serializers.SerializerMethodField(
        help_text=_("The admin page of what the reminder is about, if any.")
    )

    class Meta:
        model = Reminder
        fields = [
            "id",
            "rule",
            "rule_label",
            "text",
            "case_number",
            "item_key",
            "due_on",
            "state",
            "snoozed_until",
            "acknowledged_at",
            "created_at",
            "updated_at",
            "version",
            "admin_url",
        ]
        read_only_fields = fields

    def get_text(self, reminder: Reminder) -> str:
        return reminder_text(reminder)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_case_number(self, reminder: Reminder) -> str | None:
        if reminder.case_id is None:
            return None
        number = (reminder.details or {}).get("case_number")
        return str(number) if number else None

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_admin_url(self, reminder: Reminder) -> str | None:
        path = reminder_admin_url(reminder)
        if path is None:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ReminderSnoozeInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    until = serializers.DateField(
        help_text=_("The day the reminder comes back (after today, at most 90 days ahead).")
    )

"""Query filters of the audit API; every parameter has an explicit name (see ``config.api``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from django_stubs_ext import StrOrPromise
from drf_spectacular.utils import extend_schema_field

from config.api import FilterSet

from .models import Action, AuditEvent, Channel

MAX_ID = 2**63 - 1


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time that still exists in UTC (``0001-01-01T00:00:00+14:00`` does not)."""

    def to_python(self, value: Any) -> dt.datetime | None:
        result: dt.datetime | None = super().to_python(value)
        if result is not None:
            try:
                result.astimezone(dt.UTC)
            except OverflowError as exc:
                raise forms.ValidationError(_("Out of range."), code="invalid") from exc
        return result


class DateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class IdFilter(filters.NumberFilter):
    """A whole-number id: ``1.5`` or ``abc`` is a 400, not a silently truncated match."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def _id_filter(field_name: str, help_text: StrOrPromise) -> IdFilter:
    """An id filter documented as a positive integer, with its help text as the description."""
    schema = {"type": "integer", "minimum": 1, "description": str(help_text)}
    return extend_schema_field(schema)(IdFilter(field_name=field_name, help_text=help_text))


class AuditEventFilterSet(FilterSet):
    actor = _id_filter("actor_id", _("The acting user's id."))
    api_key_prefix = filters.CharFilter(
        max_length=16, help_text=_("Prefix of the API key a partner system acted with.")
    )
    organization = _id_filter("organization_id", _("Id of the organization acted for."))
    action = filters.MultipleChoiceFilter(
        choices=Action.choices, help_text=_("What was done; repeat the parameter for several.")
    )
    channel = filters.ChoiceFilter(choices=Channel.choices, help_text=_("Through which door."))
    object_type = filters.CharFilter(
        max_length=100, help_text=_("The record's type as app_label.model, e.g. cases.case.")
    )
    object_id = filters.CharFilter(
        max_length=64, help_text=_("The record's id (with object_type).")
    )
    request_id = filters.CharFilter(
        max_length=64, help_text=_("Every event of one request (its X-Request-ID).")
    )
    at_after = DateTimeFilter(
        field_name="at", lookup_expr="gte", help_text=_("At or after this ISO 8601 time.")
    )
    at_before = DateTimeFilter(
        field_name="at", lookup_expr="lt", help_text=_("Before this ISO 8601 time.")
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

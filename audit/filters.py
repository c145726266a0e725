"""Query filters of the audit API; every parameter has an explicit name (see ``core.api``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.api import DateTimeFilter, FilterSet, id_filter

from .models import Action, AuditEvent, Channel


class AuditEventFilterSet(FilterSet):
    actor = id_filter("actor_id", _("The acting user's id."))
    api_key_prefix = filters.CharFilter(
        max_length=16, help_text=_("Prefix of the API key a partner system acted with.")
    )
    organization = id_filter("organization_id", _("Id of the organization acted for."))
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

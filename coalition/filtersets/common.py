"""Filters the coalition's filter sets share: a party by its code, the synchronisation cursor
and the strict yes/no."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.api import DateTimeFilter

from ..services.common import normalized_party_code

BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


class PartyCodeFormField(forms.CharField):
    """A party's code as stored, however it is typed (``ca`` is CA)."""

    def to_python(self, value: Any) -> str:
        return normalized_party_code(str(super().to_python(value)))


class PartyCodeFilter(filters.CharFilter):
    """A party by its code: a code no party has matches nothing."""

    field_class = PartyCodeFormField


def updated_since_filter() -> DateTimeFilter:
    return DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_(
            "For synchronisation: records changed at or after this ISO 8601 time. Pass the "
            "updated_at of the last record seen, with ordering=updated_at."
        ),
    )


def yes_no(method: str, help_text: object) -> filters.ChoiceFilter:
    """``true`` or ``false`` and nothing else (django-filter's boolean filter takes any other
    value as "no filter"; here it is a 400 naming the parameter)."""
    return filters.ChoiceFilter(choices=BOOLEAN_CHOICES, method=method, help_text=help_text)

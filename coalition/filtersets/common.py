"""Filters the coalition's filter sets share: a party by its code, the synchronisation cursor
and the strict yes/no."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.api import DateTimeFilter

from ..models import Party, PartyKind
from ..services.common import ORGANIZATION_CODE, is_country_code, normalized_party_code

BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


class PartyCodeFormField(forms.CharField):
    """A party's code as stored, however it is typed (``ca`` is CA): a state's ISO 3166-1
    alpha-2 code or a recorded organization's code. Any other is refused (a 400 naming the
    parameter), never read as "matches nothing": a client that mistyped a code must know."""

    def to_python(self, value: Any) -> str:
        return normalized_party_code(str(super().to_python(value)))

    def validate(self, value: Any) -> None:
        super().validate(value)
        if not value:
            return
        if len(value) == 2:
            if not is_country_code(value):
                raise forms.ValidationError(
                    _("Unknown country code %(code)s."), params={"code": value}, code="invalid"
                )
        elif (
            not ORGANIZATION_CODE.match(value)
            or not Party.objects.filter(kind=PartyKind.ORGANIZATION, code=value).exists()
        ):
            raise forms.ValidationError(
                _("No organization with this code is recorded."), code="invalid"
            )


class PartyCodeFilter(filters.CharFilter):
    """A party by its code (a state's or a recorded organization's)."""

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

"""Query filters of meetings, joint statements and resolutions. Every parameter is named, so
the strict query-parameter check knows each; an unknown value (a country code that is none, an
organization not recorded) is a 400 naming the parameter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from cases.filters import COUNTRY_SCHEMA, CountryFilter
from core.api import FilterSet, documented, range_filters

from ..models import Meeting, MeetingKind, Resolution, Statement, UnBody
from ..selectors import meetings as selectors
from ..services.common import is_country_code
from .common import PartyCodeFilter, PartyCodeFormField, updated_since_filter

PARTY_SCHEMA: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z0-9-]{2,40}$"}


class StateCodeFormField(PartyCodeFormField):
    """A state only: votes are cast by states."""

    def validate(self, value: Any) -> None:
        forms.CharField.validate(self, value)
        if value and not is_country_code(value):
            raise forms.ValidationError(
                _("Give a state's ISO 3166-1 alpha-2 code, e.g. RU."), code="invalid"
            )


PartyFilter = PartyCodeFilter


class StateFilter(filters.CharFilter):
    field_class = StateCodeFormField


class MeetingFilterSet(FilterSet):
    kind = filters.MultipleChoiceFilter(
        choices=MeetingKind.choices, help_text=_("Kind of meeting; repeat for several.")
    )
    participant = documented(
        PartyFilter(
            method="filter_participant",
            help_text=_(
                "A state's code (e.g. RU) or an organization's: the meetings it took part in "
                "or hosted."
            ),
        ),
        PARTY_SCHEMA,
    )
    country = documented(
        CountryFilter(
            field_name="country",
            help_text=_("Country it was held in (ISO 3166-1 alpha-2, e.g. TR)."),
        ),
        COUNTRY_SCHEMA,
    )
    held_after, held_before = range_filters(
        "held_on",
        after=_("Held on or after this date (YYYY-MM-DD)."),
        before=_("Held before this date (YYYY-MM-DD)."),
    )
    updated_since = updated_since_filter()

    class Meta:
        model = Meeting
        fields: list[str] = []

    def filter_participant(
        self, queryset: QuerySet[Meeting], name: str, value: str
    ) -> QuerySet[Meeting]:
        return selectors.meetings_of_party(queryset, value)


class StatementFilterSet(FilterSet):
    signatory = documented(
        PartyFilter(
            method="filter_signatory",
            help_text=_("A state's code (e.g. CA) or an organization's: the statements it signed."),
        ),
        PARTY_SCHEMA,
    )
    issued_after, issued_before = range_filters(
        "issued_on",
        after=_("Issued on or after this date (YYYY-MM-DD)."),
        before=_("Issued before this date (YYYY-MM-DD)."),
    )
    updated_since = updated_since_filter()

    class Meta:
        model = Statement
        fields: list[str] = []

    def filter_signatory(
        self, queryset: QuerySet[Statement], name: str, value: str
    ) -> QuerySet[Statement]:
        return selectors.statements_signed_by(queryset, value)


class ResolutionFilterSet(FilterSet):
    body = filters.MultipleChoiceFilter(
        choices=UnBody.choices, help_text=_("The body that voted; repeat for several.")
    )
    voted_after, voted_before = range_filters(
        "voted_on",
        after=_("Voted on or after this date (YYYY-MM-DD)."),
        before=_("Voted before this date (YYYY-MM-DD)."),
    )
    state = documented(
        StateFilter(
            method="filter_state",
            help_text=_("A state's code (e.g. RU): the resolutions with its vote entered."),
        ),
        COUNTRY_SCHEMA,
    )
    updated_since = updated_since_filter()

    class Meta:
        model = Resolution
        fields: list[str] = []

    def filter_state(
        self, queryset: QuerySet[Resolution], name: str, value: str
    ) -> QuerySet[Resolution]:
        return selectors.resolutions_with_vote_of(queryset, value)

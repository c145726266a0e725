"""Query filters of the case registry API.

Every parameter has an explicit name (no ``__gte`` suffixes), so the strict query-parameter check
in ``core.api`` knows each one, and the OpenAPI document lists exactly what is accepted. Invalid
values are a 400 naming the parameter (django-filter's form errors, rendered by the one handler).
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_filters import rest_framework as filters

from core.api import ID_SCHEMA, DateTimeFilter, FilterSet, IdFilter, documented, range_filters

from . import selectors
from .models import (
    Case,
    CaseQuerySet,
    DuplicateDecision,
    DuplicatePair,
    Facility,
    FacilityKind,
    Priority,
)
from .workflow import Phase, Status

_F = TypeVar("_F", bound=filters.Filter)


class CountryCodeField(forms.CharField):
    """An ISO 3166-1 alpha-2 code; lower case is accepted and read as upper case.

    Checked against the code list rather than offered as ~250 choices: a choice field is
    deep-copied on every request, which cost more than the rest of the filtering.
    """

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().upper()

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value not in countries:
            raise forms.ValidationError(
                _("Select a valid choice. %(value)s is not one of the available choices."),
                code="invalid_choice",
                params={"value": value},
            )


class CountryFilter(filters.CharFilter):
    field_class = CountryCodeField


# Country codes are documented as a pattern rather than an enum of every country.
COUNTRY_SCHEMA: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z]{2}$", "example": "RU"}


class CaseFilterSet(FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=Status.choices, help_text=_("Workflow status; repeat the parameter for several.")
    )
    phase = filters.ChoiceFilter(
        choices=Phase.choices, method="filter_phase", help_text=_("Phase derived from the status.")
    )
    priority = filters.MultipleChoiceFilter(
        choices=Priority.choices, help_text=_("Priority; repeat the parameter for several.")
    )
    origin_oblast = filters.ModelChoiceFilter(
        field_name="child__origin_oblast",
        to_field_name="code",
        queryset=selectors.oblast_list(),
        help_text=_("Oblast of origin by its ISO 3166-2 code, e.g. UA-14."),
    )
    current_country = documented(
        CountryFilter(
            field_name="child__current_whereabouts__country",
            help_text=_(
                "Country of the child's current whereabouts (ISO 3166-1 alpha-2, e.g. RU)."
            ),
        ),
        COUNTRY_SCHEMA,
    )
    assignee = documented(
        IdFilter(field_name="assignee_id", help_text=_("Assigned caseworker's user id.")),
        ID_SCHEMA,
    )
    created_after, created_before = range_filters(
        "created_at",
        after=_("Created at or after this ISO 8601 time."),
        before=_("Created before this ISO 8601 time."),
        filter_class=DateTimeFilter,
    )
    updated_after, updated_before = range_filters(
        "updated_at",
        after=_("Changed at or after this ISO 8601 time."),
        before=_("Changed before this ISO 8601 time."),
        filter_class=DateTimeFilter,
    )
    updated_since = DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_(
            "For synchronisation: cases changed at or after this time. Pass the updated_at of "
            "the last case seen, with ordering=updated_at."
        ),
    )
    search = filters.CharFilter(
        method="filter_search",
        help_text=_(
            "A child's name in any script or spelling (Cyrillic, KMU Latin, Russified, an alias; "
            "Г and Ґ, Е and Є, И and І, Ї and І and every apostrophe count as one), or a case "
            "number, whole, begun or bare (2025-000123, 000123)."
        ),
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_phase(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return cast(CaseQuerySet, queryset).in_phase(value)

    def filter_search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return selectors.case_search(queryset, value)


class CaseRemovalFilterSet(FilterSet):
    since = DateTimeFilter(
        field_name="left_at",
        lookup_expr="gte",
        required=True,
        help_text=_(
            "Cases that left your sight at or after this ISO 8601 time. Pass the "
            "time your previous sync started, less a margin: a removal listed twice is harmless."
        ),
    )

    class Meta:
        model = Case
        fields: list[str] = []


class FacilityFilterSet(FilterSet):
    country = documented(
        CountryFilter(help_text=_("ISO 3166-1 alpha-2 code of the facility's country.")),
        COUNTRY_SCHEMA,
    )
    kind = filters.ChoiceFilter(choices=FacilityKind.choices)
    search = filters.CharFilter(
        method="filter_search", help_text=_("Part of the facility's name (any script).")
    )

    class Meta:
        model = Facility
        fields: list[str] = []

    def filter_search(
        self, queryset: QuerySet[Facility], name: str, value: str
    ) -> QuerySet[Facility]:
        return selectors.facility_search(queryset, value)


class DuplicatePairFilterSet(FilterSet):
    decision = filters.ChoiceFilter(
        choices=DuplicateDecision.choices,
        help_text=_("`open` for the pairs waiting for a decision (the review queue)."),
    )
    band = filters.ChoiceFilter(
        choices=[("likely", _("Likely")), ("possible", _("Possible"))],
        help_text=_("How alike identity matching found the two children."),
    )
    child = documented(
        IdFilter(method="filter_child", help_text=_("The pairs one child (by id) belongs to.")),
        ID_SCHEMA,
    )

    class Meta:
        model = DuplicatePair
        fields: list[str] = []

    def filter_child(
        self, queryset: QuerySet[DuplicatePair], name: str, value: Any
    ) -> QuerySet[DuplicatePair]:
        return queryset.filter(Q(first_id=value) | Q(second_id=value))

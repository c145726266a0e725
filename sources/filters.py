"""Query filters of the sources, evidence and published-figures API.

As in ``cases.filters``: every parameter has an explicit name, so the strict query-parameter
check in ``core.api`` knows each one and the OpenAPI document lists exactly what is accepted;
an invalid value is a 400 naming the parameter.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.api import (
    ID_SCHEMA,
    DateTimeFilter,
    FilterSet,
    IdFilter,
    documented,
    id_filter,
    range_filters,
)

from . import selectors
from .models import (
    Evidence,
    EvidenceFact,
    FigureMetric,
    FigureQualifier,
    Integrity,
    PublishedFigure,
    Source,
    SourceKind,
)


class SourceFilterSet(FilterSet):
    kind = filters.MultipleChoiceFilter(
        choices=SourceKind.choices, help_text=_("Kind of source; repeat the parameter for several.")
    )
    language = filters.CharFilter(
        method="filter_language", help_text=_("ISO 639-1 code of the language, e.g. uk, en, ru.")
    )
    published_after, published_before = range_filters(
        "published_on",
        after=_("Published on or after this date (YYYY-MM-DD)."),
        before=_("Published before this date (YYYY-MM-DD)."),
    )
    created_after, created_before = range_filters(
        "created_at",
        after=_("Recorded in the registry at or after this ISO 8601 time."),
        before=_("Recorded in the registry before this ISO 8601 time."),
        filter_class=DateTimeFilter,
    )
    case = documented(
        IdFilter(
            method="filter_case",
            help_text=_(
                "A case's id: the sources that support it. A case you cannot see matches no source."
            ),
        ),
        ID_SCHEMA,
    )
    integrity = filters.ChoiceFilter(
        choices=Integrity.choices, help_text=_("Result of the last integrity check.")
    )
    search = filters.CharFilter(
        method="filter_search", help_text=_("Part of the title or of the publisher's name.")
    )

    class Meta:
        model = Source
        fields: list[str] = []

    def filter_case(self, queryset: QuerySet[Source], name: str, value: int) -> QuerySet[Source]:
        actor = getattr(self.request, "user", None)
        return queryset.filter(pk__in=selectors.sources_supporting(actor=actor, case_id=value))

    def filter_language(
        self, queryset: QuerySet[Source], name: str, value: str
    ) -> QuerySet[Source]:
        return queryset.filter(language__iexact=value.strip())

    def filter_search(self, queryset: QuerySet[Source], name: str, value: str) -> QuerySet[Source]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(publisher__icontains=value))


class EvidenceFilterSet(FilterSet):
    case = id_filter("case_id", _("A case's id: the evidence linked to it."))
    source = id_filter("source_id", _("A source's id: the facts it supports."))
    fact = filters.MultipleChoiceFilter(
        choices=EvidenceFact.choices,
        help_text=_("The fact supported; repeat the parameter for several."),
    )

    class Meta:
        model = Evidence
        fields: list[str] = []


class FigureFilterSet(FilterSet):
    metric = filters.MultipleChoiceFilter(
        choices=FigureMetric.choices, help_text=_("What was counted; repeat for several.")
    )
    claimant = filters.CharFilter(
        field_name="claimant",
        lookup_expr="icontains",
        help_text=_("Part of the claimant's name, e.g. Ukraine."),
    )
    as_of_after, as_of_before = range_filters(
        "as_of",
        after=_("Claims dated on or after this date (YYYY-MM-DD)."),
        before=_("Claims dated before this date (YYYY-MM-DD)."),
    )
    qualifier = filters.MultipleChoiceFilter(
        choices=FigureQualifier.choices,
        help_text=_("How the claim qualifies its number; repeat for several."),
    )
    source = id_filter("source_id", _("A source's id: the figures it published."))

    class Meta:
        model = PublishedFigure
        fields: list[str] = []

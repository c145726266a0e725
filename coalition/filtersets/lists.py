"""Query filters of the lists of named children and of their entries."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.api import DateTimeFilter, FilterSet, id_filter

from ..models import ChildList, ChildListEntry, EntryOutcome
from ..selectors.lists import EFFECTIVE_OUTCOME

UPDATED_SINCE_HELP = _(
    "For synchronisation: records changed at or after this ISO 8601 time. Pass the updated_at "
    "of the last record seen, with ordering=updated_at."
)


class ChildListFilterSet(FilterSet):
    meeting = id_filter("meeting_id", _("A meeting's id: the lists handed over there."))
    statement = id_filter("statement_id", _("A joint statement's id: the lists it names."))
    handed_by = filters.CharFilter(
        method="filter_handed_by",
        help_text=_("Code of the party that handed the list over (e.g. UA)."),
    )
    handed_to = filters.CharFilter(
        method="filter_handed_to",
        help_text=_("Code of a party the list was handed to (e.g. RU)."),
    )
    handed_after = filters.DateFilter(
        field_name="handed_on",
        lookup_expr="gte",
        help_text=_("Handed over on or after this date (YYYY-MM-DD)."),
    )
    handed_before = filters.DateFilter(
        field_name="handed_on",
        lookup_expr="lt",
        help_text=_("Handed over before this date (YYYY-MM-DD)."),
    )
    updated_since = DateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=UPDATED_SINCE_HELP
    )

    class Meta:
        model = ChildList
        fields: list[str] = []

    @staticmethod
    def _code(value: str) -> str:
        value = value.strip()
        return value.upper() if len(value) == 2 else value.lower()

    def filter_handed_by(
        self, queryset: QuerySet[ChildList], name: str, value: str
    ) -> QuerySet[ChildList]:
        return queryset.filter(handed_by__code=self._code(value))

    def filter_handed_to(
        self, queryset: QuerySet[ChildList], name: str, value: str
    ) -> QuerySet[ChildList]:
        return queryset.filter(handed_to__code=self._code(value)).distinct()


class ChildListEntryFilterSet(FilterSet):
    outcome = filters.MultipleChoiceFilter(
        field_name=EFFECTIVE_OUTCOME,
        choices=EntryOutcome.choices,
        help_text=_(
            "The outcome the entry shows ('returned' once its case is returned); repeat for "
            "several."
        ),
    )
    linked = filters.BooleanFilter(
        field_name="case",
        lookup_expr="isnull",
        exclude=True,
        help_text=_("true: entries tied to a registry case; false: the others."),
    )
    updated_since = DateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=UPDATED_SINCE_HELP
    )

    class Meta:
        model = ChildListEntry
        fields: list[str] = []

"""Query filters of the lists of named children and of their entries."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.api import FilterSet, id_filter, range_filters

from ..models import ChildList, ChildListEntry, EntryOutcome
from ..selectors.lists import EFFECTIVE_OUTCOME
from .common import PartyCodeFilter, updated_since_filter, yes_no


class ChildListFilterSet(FilterSet):
    meeting = id_filter("meeting_id", _("A meeting's id: the lists handed over there."))
    statement = id_filter("statement_id", _("A joint statement's id: the lists it names."))
    handed_by = PartyCodeFilter(
        field_name="handed_by__code",
        help_text=_("Code of the party that handed the list over (e.g. UA)."),
    )
    handed_to = PartyCodeFilter(
        field_name="handed_to__code",
        distinct=True,
        help_text=_("Code of a party the list was handed to (e.g. RU)."),
    )
    handed_after, handed_before = range_filters(
        "handed_on",
        after=_("Handed over on or after this date (YYYY-MM-DD)."),
        before=_("Handed over before this date (YYYY-MM-DD)."),
    )
    updated_since = updated_since_filter()

    class Meta:
        model = ChildList
        fields: list[str] = []


class ChildListEntryFilterSet(FilterSet):
    outcome = filters.MultipleChoiceFilter(
        field_name=EFFECTIVE_OUTCOME,
        choices=EntryOutcome.choices,
        help_text=_(
            "The outcome the entry shows ('returned' once its case is returned); repeat for "
            "several."
        ),
    )
    linked = yes_no("filter_linked", _("true: entries tied to a registry case; false: the others."))
    updated_since = updated_since_filter()

    class Meta:
        model = ChildListEntry
        fields: list[str] = []

    def filter_linked(
        self, queryset: QuerySet[ChildListEntry], name: str, value: str
    ) -> QuerySet[ChildListEntry]:
        return queryset.filter(case__isnull=value != "true")

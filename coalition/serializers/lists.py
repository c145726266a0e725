"""Lists of named children and their entries in the API: input serializers that only validate,
output serializers that only render. An entry is rendered from what the reader may see of it
(``coalition.selectors.lists.entries_as_seen``), never from the row alone."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import OrganizationRefSerializer
from core.serializers import StrictInputMixin
from sources.models import FigureQualifier

from ..models import ChildList, DatePrecision, EntryOutcome
from ..selectors.lists import ENTRIES_HELD, EntryAsSeen, ListSummary, effective_outcome
from ..services.lists import BULK_LIMIT
from .common import PartyCodeField, PartyCodeListField, PartyRefSerializer, SourceIdListField


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------
class ChildListInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300, required=False)
    organization = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=_(
            "The keeping organization's id: yours by default; required when you coordinate for "
            "several, and for a superuser. Its members see the entries no case stands behind."
        ),
    )
    meeting = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text=_("The meeting's id.")
    )
    statement = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_("The joint statement's id (a list needs a meeting, a statement, or both)."),
    )
    handed_by = PartyCodeField(required=False, allow_null=True, allow_blank=True)
    handed_to = PartyCodeListField(required=False)
    handed_on = serializers.DateField(required=False, help_text=_("The first day the date covers."))
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    count_claimed = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        help_text=_("The count as claimed: 400 for 'nearly 400'."),
    )
    count_qualifier = serializers.ChoiceField(
        choices=FigureQualifier.choices, required=False, help_text=_("'nearly' for 'nearly 400'.")
    )
    script = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text=_("ISO 15924 code of the names' script, e.g. Cyrl, Latn."),
    )
    note = serializers.CharField(required=False, allow_blank=True)
    sources = SourceIdListField(required=False)


class CoalitionRecordRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)


class ChildListSerializer(serializers.ModelSerializer[ChildList]):
    organization = OrganizationRefSerializer(read_only=True)
    meeting = CoalitionRecordRefSerializer(read_only=True, allow_null=True)
    statement = CoalitionRecordRefSerializer(read_only=True, allow_null=True)
    handed_by = PartyRefSerializer(read_only=True, allow_null=True)
    handed_to = PartyRefSerializer(read_only=True, many=True)
    sources = serializers.SerializerMethodField(
        help_text=_("Ids of the sources that report it (those you may see).")
    )
    entries_held = serializers.SerializerMethodField(
        help_text=_("How many entries the registry holds for the list (beside the claimed count).")
    )

    class Meta:
        model = ChildList
        fields = [
            "id",
            "title",
            "organization",
            "meeting",
            "statement",
            "handed_by",
            "handed_to",
            "handed_on",
            "date_precision",
            "count_claimed",
            "count_qualifier",
            "entries_held",
            "script",
            "note",
            "sources",
            "is_synthetic",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_sources(self, child_list: ChildList) -> list[int]:
        return [source.pk for source in child_list.sources.all()]

    def get_entries_held(self, child_list: ChildList) -> int:
        held = getattr(child_list, ENTRIES_HELD, None)
        return held if held is not None else child_list.entries.count()


class OutcomeCountsSerializer(serializers.Serializer[Any]):
    """The entries by the outcome they show; a returned case counts as returned."""

    listed = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    information_received = serializers.IntegerField()
    return_agreed = serializers.IntegerField()
    returned = serializers.IntegerField()
    refused = serializers.IntegerField()
    no_answer = serializers.IntegerField()


class ChildListDetailSerializer(ChildListSerializer):
    by_outcome = serializers.SerializerMethodField()
    returned = serializers.SerializerMethodField(
        help_text=_(
            "How many listed children have returned: entries recorded as returned, and entries "
            "whose case is returned in the registry."
        )
    )

    class Meta(ChildListSerializer.Meta):
        fields = [*ChildListSerializer.Meta.fields, "by_outcome", "returned"]
        read_only_fields = fields

    def _summary(self) -> ListSummary:
        summary: ListSummary = self.context["summary"]
        return summary

    def get_entries_held(self, child_list: ChildList) -> int:
        return self._summary().entries_held

    @extend_schema_field(OutcomeCountsSerializer)
    def get_by_outcome(self, child_list: ChildList) -> dict[str, int]:
        return self._summary().by_outcome

    def get_returned(self, child_list: ChildList) -> int:
        return self._summary().returned


# ---------------------------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------------------------
class EntryInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    position = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        allow_null=True,
        help_text=_("Its number on the list; the next one when left out."),
    )
    name_as_written = serializers.CharField(
        max_length=300, required=False, help_text=_("The name as the list writes it.")
    )
    date_of_birth_as_written = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text=_("As the list writes it.")
    )
    details = serializers.CharField(required=False, allow_blank=True)
    case = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_(
            "The registry case of the child: one you may see, or one of the list's "
            "organization. Null unlinks."
        ),
    )
    outcome = serializers.ChoiceField(choices=EntryOutcome.choices, required=False)
    outcome_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_("Required with any outcome but 'listed'; not before the list's date."),
    )


class EntriesBulkInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    entries = serializers.ListField(
        child=EntryInputSerializer(),
        min_length=1,
        max_length=BULK_LIMIT,
        help_text=_("Entries added all or none: one refused row refuses them all."),
    )


class ListEntryCaseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)


class EntrySerializer(serializers.Serializer[Any]):
    """An entry as you may see it: without a name, date of birth, details or case when it is
    linked to a case you do not see (or, unlinked, when you are not of the list's
    organization); without the date of birth and details through a limited share."""

    id = serializers.IntegerField(read_only=True)
    list = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    sight = serializers.ChoiceField(
        choices=["full", "limited", "none"],
        read_only=True,
        help_text=_("How much of the entry you see: full, limited (no date of birth), none."),
    )
    name_as_written = serializers.CharField(read_only=True, allow_null=True)
    date_of_birth_as_written = serializers.CharField(read_only=True, allow_null=True)
    details = serializers.CharField(read_only=True, allow_null=True)
    case = ListEntryCaseSerializer(read_only=True, allow_null=True)
    linked = serializers.BooleanField(
        read_only=True, help_text=_("Whether the entry is tied to a registry case.")
    )
    outcome = serializers.ChoiceField(
        choices=EntryOutcome.choices,
        read_only=True,
        help_text=_("What became of the request: 'returned' once the linked case is returned."),
    )
    outcome_on = serializers.DateField(read_only=True, allow_null=True)
    recorded_outcome = serializers.ChoiceField(
        choices=EntryOutcome.choices,
        read_only=True,
        help_text=_("The outcome as recorded on the entry."),
    )
    recorded_outcome_on = serializers.DateField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance: EntryAsSeen) -> dict[str, Any]:
        entry = instance.entry
        case = entry.case if instance.shows_case else None
        outcome, outcome_on = effective_outcome(entry)
        return {
            "id": entry.pk,
            "list": entry.child_list_id,
            "position": entry.position,
            "sight": instance.sight.value,
            "name_as_written": entry.name_as_written if instance.shows_name else None,
            "date_of_birth_as_written": (
                entry.date_of_birth_as_written if instance.shows_birth else None
            ),
            "details": entry.details if instance.shows_birth else None,
            "case": ({"id": case.pk, "number": case.number} if case is not None else None),
            "linked": entry.case_id is not None,
            "outcome": outcome,
            "outcome_on": outcome_on.isoformat() if outcome_on else None,
            "recorded_outcome": entry.outcome,
            "recorded_outcome_on": entry.outcome_on.isoformat() if entry.outcome_on else None,
            "version": entry.version,
            "updated_at": serializers.DateTimeField().to_representation(entry.updated_at),
        }

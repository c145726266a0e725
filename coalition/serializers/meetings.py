"""Meetings, joint statements, resolutions and votes in the API: input serializers that only
validate shapes (the services check the rules), output serializers that only render."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.db import MAX_ID
from core.serializers import BlankAsNullMixin, CountryCodeField, DateTimeField, StrictInputMixin
from sources.models import FigureQualifier

from ..models import DatePrecision, Meeting, MeetingKind, Resolution, Statement, UnBody, Vote
from ..services.meetings import MEETING_FIELD_NAMES
from .common import PartyCodeField, PartyCodeListField, PartyRefSerializer, SourceIdListField


def _count(help_text: Any) -> serializers.IntegerField:
    """A count as reported: null when not reported."""
    return serializers.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, allow_null=True, help_text=help_text
    )


def _meeting_id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text=_("The id of the meeting (GET /api/v1/coalition/meetings/)."),
        **kwargs,
    )


def _all_optional(fields: dict[str, Any]) -> dict[str, Any]:
    for field in fields.values():
        field.required = False
    return fields


def _source_ids(record: Any) -> list[int]:
    return [source.pk for source in record.sources.all()]


# ---------------------------------------------------------------------------------------------
# Meetings
# ---------------------------------------------------------------------------------------------
class MeetingInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    title = serializers.CharField(max_length=300)
    held_on = serializers.DateField(help_text=_("The first day the date covers."))
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    date_label = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        help_text=_("The date as reported, e.g. 'late April 2023'."),
    )
    place = serializers.CharField(max_length=200, required=False, allow_blank=True)
    country = CountryCodeField(required=False, allow_blank=True)
    host = PartyCodeField(required=False, allow_null=True)
    participants = PartyCodeListField(required=False)
    outcomes = serializers.CharField(required=False, allow_blank=True)
    members_claimed = _count(_("A count of members reported at the meeting (e.g. 28)."))
    members_claimed_qualifier = serializers.ChoiceField(
        choices=FigureQualifier.choices, required=False, allow_blank=True
    )
    sources = SourceIdListField(required=False)


class MeetingUpdateInputSerializer(MeetingInputSerializer):
    """Every field optional: only those sent change."""

    def get_fields(self) -> dict[str, Any]:
        return _all_optional(super().get_fields())


class MeetingSerializer(BlankAsNullMixin, serializers.ModelSerializer[Meeting]):
    country = serializers.SerializerMethodField(
        help_text=_("ISO 3166-1 alpha-2 code of the country it was held in; null: not said.")
    )
    host = PartyRefSerializer(read_only=True, allow_null=True)
    participants = PartyRefSerializer(many=True, read_only=True)
    sources = serializers.SerializerMethodField(help_text=_("Ids of the sources reporting it."))
    created_at = DateTimeField(read_only=True)
    updated_at = DateTimeField(read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", *MEETING_FIELD_NAMES, "version", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_country(self, meeting: Meeting) -> str | None:
        return str(meeting.country) or None

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_sources(self, meeting: Meeting) -> list[int]:
        return _source_ids(meeting)


# ---------------------------------------------------------------------------------------------
# Joint statements
# ---------------------------------------------------------------------------------------------
class StatementInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300)
    issued_on = serializers.DateField()
    demands = serializers.ListField(
        child=serializers.CharField(max_length=2000),
        required=False,
        max_length=100,
        help_text=_("Each demand as a sentence; none empty."),
    )
    text = serializers.CharField(required=False, allow_blank=True)
    meeting = _meeting_id()
    signatories = PartyCodeListField(required=False)
    signatories_claimed = _count(_("The count of signatories as reported (e.g. 40)."))
    sources = SourceIdListField(required=False)


class StatementUpdateInputSerializer(StatementInputSerializer):
    """Every field optional: only those sent change."""

    def get_fields(self) -> dict[str, Any]:
        return _all_optional(super().get_fields())


class StatementSerializer(serializers.ModelSerializer[Statement]):
    signatories = PartyRefSerializer(many=True, read_only=True)
    signatories_entered = serializers.SerializerMethodField(
        help_text=_("How many signatories are entered, beside the count reported.")
    )
    demands = serializers.ListField(child=serializers.CharField(), read_only=True)
    meeting = serializers.IntegerField(source="meeting_id", read_only=True, allow_null=True)
    sources = serializers.SerializerMethodField(help_text=_("Ids of the sources reporting it."))
    created_at = DateTimeField(read_only=True)
    updated_at = DateTimeField(read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "title",
            "issued_on",
            "demands",
            "text",
            "meeting",
            "signatories",
            "signatories_entered",
            "signatories_claimed",
            "sources",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_signatories_entered(self, statement: Statement) -> int:
        entered = getattr(statement, "signatories_entered", None)
        return int(entered) if entered is not None else len(statement.signatories.all())

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_sources(self, statement: Statement) -> list[int]:
        return _source_ids(statement)


# ---------------------------------------------------------------------------------------------
# Resolutions and votes
# ---------------------------------------------------------------------------------------------
class ResolutionInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    body = serializers.ChoiceField(choices=UnBody.choices)
    symbol = serializers.CharField(
        max_length=60, required=False, allow_blank=True, help_text=_("e.g. A/RES/…")
    )
    title = serializers.CharField(max_length=500)
    voted_on = serializers.DateField(help_text=_("The first day the date covers."))
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    in_favour = _count(_("As reported; null: not reported."))
    against = _count(_("As reported; null: not reported."))
    abstaining = _count(_("As reported; null: not reported."))
    absent = _count(_("As reported; null: not reported."))
    roll_call_complete = serializers.BooleanField(
        required=False,
        help_text=_("Every state's vote is entered: each category's count must equal its total."),
    )
    meeting = _meeting_id()
    sources = SourceIdListField(required=False)


class ResolutionUpdateInputSerializer(ResolutionInputSerializer):
    """Every field optional: only those sent change."""

    def get_fields(self) -> dict[str, Any]:
        return _all_optional(super().get_fields())


class VotesInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    votes = serializers.DictField(
        child=serializers.ChoiceField(choices=Vote.choices, allow_null=True),
        allow_empty=False,
        help_text=_(
            'Each state\'s vote by its ISO 3166-1 alpha-2 code, e.g. {"RU": "against"}; '
            "null removes a state's vote. States not named keep theirs."
        ),
    )


class RollCallInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    in_favour = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    against = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    abstaining = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    absent = serializers.CharField(required=False, allow_blank=True, max_length=20000)


class VoteCountsSerializer(serializers.Serializer[Any]):
    in_favour = serializers.IntegerField(allow_null=True)
    against = serializers.IntegerField(allow_null=True)
    abstaining = serializers.IntegerField(allow_null=True)
    absent = serializers.IntegerField(allow_null=True)


class StateVoteSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(source="party.code")
    name = serializers.CharField(source="party.display_name")
    vote = serializers.ChoiceField(choices=Vote.choices)


class ResolutionSerializer(serializers.ModelSerializer[Resolution]):
    reported = serializers.SerializerMethodField(
        help_text=_("The totals as reported; null: not reported.")
    )
    entered = serializers.SerializerMethodField(help_text=_("The votes entered per category."))
    meeting = serializers.IntegerField(source="meeting_id", read_only=True, allow_null=True)
    sources = serializers.SerializerMethodField(help_text=_("Ids of the sources reporting it."))
    created_at = DateTimeField(read_only=True)
    updated_at = DateTimeField(read_only=True)

    class Meta:
        model = Resolution
        fields = [
            "id",
            "body",
            "symbol",
            "title",
            "voted_on",
            "date_precision",
            "reported",
            "entered",
            "roll_call_complete",
            "meeting",
            "sources",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(VoteCountsSerializer)
    def get_reported(self, resolution: Resolution) -> dict[str, int | None]:
        return {vote: getattr(resolution, vote) for vote in Vote.values}

    @extend_schema_field(VoteCountsSerializer)
    def get_entered(self, resolution: Resolution) -> dict[str, int]:
        return {vote: int(getattr(resolution, f"entered_{vote}", 0)) for vote in Vote.values}

    @extend_schema_field({"type": "array", "items": {"type": "integer"}})
    def get_sources(self, resolution: Resolution) -> list[int]:
        return _source_ids(resolution)


class ResolutionDetailSerializer(ResolutionSerializer):
    votes = StateVoteSerializer(many=True, read_only=True)

    class Meta(ResolutionSerializer.Meta):
        fields = [*ResolutionSerializer.Meta.fields, "votes"]
        read_only_fields = fields

"""Input and output of the coalition's parties, reference data, members, projects and
pledges. Input serializers only validate shapes; the services check every rule."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserRefSerializer
from core.serializers import BlankAsNullMixin, StrictInputMixin

from ..models import (
    Commitment,
    Member,
    MemberRole,
    Party,
    PartyKind,
    Pledge,
    PledgeKind,
    PledgeStatus,
    PledgeStatusChange,
    Project,
    ProjectArea,
    ProjectStatus,
)
from ..services.members import MEMBER_PRECISION_CHOICES, pledge_moves
from .common import PartyCodeField, PartyRefSerializer, SourceIdListField

AREA_CODE_HELP = _("A project area's code (GET /api/v1/coalition/areas/).")


def party_name_uk(party: Party) -> str:
    """A state's name in Ukrainian from the country library; an organization's as recorded."""
    if party.kind == PartyKind.STATE:
        with translation.override("uk"):
            return str(countries.name(str(party.country)))
    return party.name_uk


def _source_ids(record: Any) -> list[int]:
    return sorted(source.pk for source in record.sources.all())


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class SourceIdsField(serializers.Field):
    """The ids of the sources that report a record (prefetched by its selector)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("Ids of the sources that report it."))
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, record: Any) -> list[int]:
        return _source_ids(record)


# ---------------------------------------------------------------------------------------------
# Parties
# ---------------------------------------------------------------------------------------------
class PartySerializer(serializers.ModelSerializer[Party]):
    name = serializers.CharField(source="display_name", read_only=True)
    name_uk = serializers.SerializerMethodField(
        help_text=_("The name in Ukrainian (a state's from the country library).")
    )
    sources = SourceIdsField()

    class Meta:
        model = Party
        fields = [
            "code",
            "kind",
            "name",
            "name_uk",
            "abbreviation",
            "sources",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_name_uk(self, party: Party) -> str:
        return party_name_uk(party)


class OrganizationInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    code = serializers.CharField(
        max_length=40, help_text=_("A lower-case code, e.g. council-of-europe.")
    )
    name = serializers.CharField(max_length=200)
    name_uk = serializers.CharField(max_length=200, required=False, allow_blank=True)
    abbreviation = serializers.CharField(max_length=30, required=False, allow_blank=True)
    sources = SourceIdListField(required=False)


class OrganizationUpdateInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    name_uk = serializers.CharField(max_length=200, required=False, allow_blank=True)
    abbreviation = serializers.CharField(max_length=30, required=False, allow_blank=True)
    sources = SourceIdListField(required=False)


# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------
class ProjectAreaSerializer(serializers.ModelSerializer[ProjectArea]):
    sources = SourceIdsField()

    class Meta:
        model = ProjectArea
        fields = ["code", "position", "name", "name_uk", "sources"]
        read_only_fields = fields


class CommitmentSerializer(serializers.ModelSerializer[Commitment]):
    sources = SourceIdsField()

    class Meta:
        model = Commitment
        fields = ["code", "position", "text", "text_uk", "sources"]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------
class MemberAreaSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(source="area.code", read_only=True)
    name = serializers.CharField(source="area.name", read_only=True)
    leads = serializers.BooleanField(read_only=True)


class MemberSerializer(serializers.ModelSerializer[Member]):
    party = PartyRefSerializer(read_only=True)
    joined_precision = serializers.CharField(
        read_only=True, help_text=_("How precisely the joining date is known: day, month or year.")
    )
    areas = MemberAreaSerializer(many=True, read_only=True)
    sources = serializers.SerializerMethodField(help_text=_("Ids of the sources that report it."))

    class Meta:
        model = Member
        fields = [
            "id",
            "party",
            "role",
            "joined_on",
            "joined_precision",
            "left_on",
            "endorsed_declaration",
            "areas",
            "note",
            "sources",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_sources(self, member: Member) -> list[int]:
        return _source_ids(member)


class MemberUpdateInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=MemberRole.choices, required=False)
    joined_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_("The first day of the period its precision names; null when unknown."),
    )
    joined_precision = serializers.ChoiceField(choices=MEMBER_PRECISION_CHOICES, required=False)
    left_on = serializers.DateField(required=False, allow_null=True)
    endorsed_declaration = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    areas = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=50,
        help_text=_("Codes of the areas the member acts in (replacing those recorded)."),
    )
    leads = serializers.ListField(
        child=serializers.CharField(max_length=50),
        required=False,
        max_length=50,
        help_text=_("The code of the area it leads (one of its areas), or an empty list."),
    )
    sources = SourceIdListField(required=False)


class MemberInputSerializer(MemberUpdateInputSerializer):
    party = PartyCodeField()


# ---------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------
class ProjectAreaRefSerializer(serializers.ModelSerializer[ProjectArea]):
    class Meta:
        model = ProjectArea
        fields = ["code", "name"]
        read_only_fields = fields


class ProjectSerializer(serializers.ModelSerializer[Project]):
    area = ProjectAreaRefSerializer(read_only=True)
    lead = serializers.SerializerMethodField(help_text=_("The lead member's party, or null."))
    sources = serializers.SerializerMethodField(help_text=_("Ids of the sources that report it."))
    created_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "title",
            "description",
            "area",
            "lead",
            "status",
            "starts_on",
            "ends_on",
            "budget",
            "budget_currency",
            "sources",
            "created_by",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PartyRefSerializer(allow_null=True))
    def get_lead(self, project: Project) -> dict[str, Any] | None:
        if project.lead is None:
            return None
        return dict(PartyRefSerializer(project.lead.party).data)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_sources(self, project: Project) -> list[int]:
        return _source_ids(project)


class ProjectUpdateInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    area = serializers.CharField(max_length=50, required=False, help_text=AREA_CODE_HELP)
    lead = PartyCodeField(
        required=False, allow_null=True, allow_blank=True, help_text=_("The lead member's code.")
    )
    status = serializers.ChoiceField(choices=ProjectStatus.choices, required=False)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    budget = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True
    )
    budget_currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text=_("ISO 4217 code, e.g. EUR.")
    )
    sources = SourceIdListField(required=False)


class ProjectInputSerializer(ProjectUpdateInputSerializer):
    title = serializers.CharField(max_length=300)
    area = serializers.CharField(max_length=50, help_text=AREA_CODE_HELP)


# ---------------------------------------------------------------------------------------------
# Pledges
# ---------------------------------------------------------------------------------------------
class PledgeStatusChangeSerializer(
    BlankAsNullMixin, serializers.ModelSerializer[PledgeStatusChange]
):
    actor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PledgeStatusChange
        fields = ["from_status", "to_status", "changed_at", "actor", "note"]
        read_only_fields = fields


class PledgeSerializer(serializers.ModelSerializer[Pledge]):
    member = serializers.SerializerMethodField(help_text=_("The pledging member's party."))
    area = ProjectAreaRefSerializer(read_only=True)
    is_overdue = serializers.BooleanField(
        read_only=True, help_text=_("Past its due date and neither delivered nor withdrawn.")
    )
    allowed_transitions = serializers.SerializerMethodField(
        help_text=_("The statuses it may move to (POST .../transition/).")
    )
    history = PledgeStatusChangeSerializer(source="status_changes", many=True, read_only=True)
    sources = serializers.SerializerMethodField(help_text=_("Ids of the sources that report it."))
    created_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Pledge
        fields = [
            "id",
            "member",
            "project",
            "area",
            "kind",
            "description",
            "amount",
            "currency",
            "status",
            "status_changed_at",
            "allowed_transitions",
            "is_overdue",
            "pledged_on",
            "due_on",
            "history",
            "sources",
            "created_by",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PartyRefSerializer)
    def get_member(self, pledge: Pledge) -> dict[str, Any]:
        return dict(PartyRefSerializer(pledge.member.party).data)

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=PledgeStatus.choices))
    )
    def get_allowed_transitions(self, pledge: Pledge) -> list[str]:
        return pledge_moves(pledge.status)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_sources(self, pledge: Pledge) -> list[int]:
        return _source_ids(pledge)


class PledgeUpdateInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    member = PartyCodeField(required=False, help_text=_("The pledging member's code."))
    project = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text=_("The project's id.")
    )
    area = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        help_text=_("An area's code: the pledge's area when it is to no project."),
    )
    kind = serializers.ChoiceField(choices=PledgeKind.choices, required=False)
    description = serializers.CharField(required=False)
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, required=False, allow_null=True
    )
    currency = serializers.CharField(
        max_length=3, required=False, allow_blank=True, help_text=_("ISO 4217 code, e.g. EUR.")
    )
    pledged_on = serializers.DateField(required=False, allow_null=True)
    due_on = serializers.DateField(required=False, allow_null=True)
    sources = SourceIdListField(required=False)


class PledgeInputSerializer(PledgeUpdateInputSerializer):
    member = PartyCodeField(help_text=_("The pledging member's code."))
    kind = serializers.ChoiceField(choices=PledgeKind.choices)
    description = serializers.CharField()


class PledgeTransitionInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=PledgeStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")

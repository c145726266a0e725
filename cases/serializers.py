"""Serializers of the case registry API.

Input serializers only validate the shape and types of a request; the rules live in
``cases.services``. They refuse fields they do not know, so a misspelt field is a 400 rather than
silently ignored. Output serializers only render what the selectors fetched: nothing here may
touch the database beyond what ``cases.selectors`` already loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import OrganizationRefSerializer, UserRefSerializer
from core.db import MAX_ID
from core.serializers import (
    BlankAsNullMixin,
    CountryCodeField,
    IdRelatedField,
    StrictInputMixin,
    blank_means_none,
)

from . import selectors, services
from .models import (
    AliasKind,
    Case,
    CaseShare,
    Child,
    ChildAlias,
    ClosureRequest,
    Facility,
    Oblast,
    Relative,
    ShareScope,
    Whereabouts,
    distance_km,
)
from .selectors import Viewer
from .workflow import ClosureReason, Phase, Status, Transition, phase_of, transitions_from


# ---------------------------------------------------------------------------------------------
# Errors (for the OpenAPI document; the handler in core.errors renders them)
# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------
class AliasInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    name = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=AliasKind.choices)
    seen_in = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ChildInputSerializer(StrictInputMixin, serializers.ModelSerializer[Child]):
    """The child's own fields; names in Ukrainian Cyrillic (the Latin forms are derived)."""

    origin_oblast = serializers.SlugRelatedField(
        slug_field="code",
        queryset=selectors.oblast_list(),
        required=False,
        allow_null=True,
        help_text=_("ISO 3166-2 code of the oblast of origin, e.g. UA-14."),
    )

    class Meta:
        model = Child
        fields = sorted(services.CHILD_FIELDS)


class ChildCreateInputSerializer(ChildInputSerializer):
    aliases = AliasInputSerializer(many=True, required=False)

    class Meta(ChildInputSerializer.Meta):
        fields = [*sorted(services.CHILD_FIELDS), "aliases"]


class CaseCreateInputSerializer(StrictInputMixin, serializers.ModelSerializer[Case]):
    child = ChildCreateInputSerializer()
    assignee = IdRelatedField(
        queryset=selectors.user_accounts(),
        required=False,
        allow_null=True,
        help_text=_("User id of the assigned caseworker (assigning takes a supervisor)."),
    )
    organization = IdRelatedField(
        queryset=selectors.organizations(),
        required=False,
        help_text=_(
            "Id of the owning organization; needed only by members of several organizations."
        ),
    )

    candidates_checked = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "Say true after looking at the candidates a first attempt answered with (409, "
            "likely_candidates): the case is then opened whatever the registry holds."
        ),
    )

    class Meta:
        model = Case
        fields = ["child", "organization", *sorted(services.CASE_FIELDS), "candidates_checked"]


class CaseUpdateInputSerializer(StrictInputMixin, serializers.ModelSerializer[Case]):
    """A partial change of a case and its child. The status, return date and closure reason
    change only through a transition: naming them here is a 400 that says so."""

    passthrough = services.WORKFLOW_FIELDS

    child = ChildInputSerializer(required=False)
    assignee = IdRelatedField(
        queryset=selectors.user_accounts(),
        required=False,
        allow_null=True,
        help_text=_("User id of the assigned caseworker."),
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("The version you read; the change is refused with 412 if the case moved on."),
    )

    class Meta:
        model = Case
        fields = ["child", *sorted(services.CASE_FIELDS), "version"]


class TransitionInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=Status.choices, help_text=_("The target status."))
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text=_("Why the case moves; required for moves back and for reopening."),
    )
    returned_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The date the child came home; required to enter 'returned'."),
    )
    closure_reason = serializers.ChoiceField(
        choices=ClosureReason.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required to enter 'closed'."),
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("The version you read; the move is refused with 412 if the case moved on."),
    )


class RelativeInputSerializer(StrictInputMixin, serializers.ModelSerializer[Relative]):
    class Meta:
        model = Relative
        fields = sorted(services.RELATIVE_FIELDS)


class WhereaboutsInputSerializer(StrictInputMixin, serializers.ModelSerializer[Whereabouts]):
    facility = IdRelatedField(
        queryset=selectors.facility_list(),
        required=False,
        allow_null=True,
        help_text=_("Id of a facility from /facilities/; its country is used when none is given."),
    )
    country = CountryCodeField(
        required=False, help_text=_("ISO 3166-1 alpha-2 code; defaults to the facility's.")
    )

    class Meta:
        model = Whereabouts
        fields = sorted(services.WHEREABOUTS_FIELDS)


class ShareInputSerializer(StrictInputMixin, serializers.ModelSerializer[CaseShare]):
    organization = IdRelatedField(
        queryset=selectors.organizations(), help_text=_("Id of the organization to share with.")
    )

    class Meta:
        model = CaseShare
        fields = ["organization", "scope", "reason", "consent_reference", "expires_at"]


class ReasonInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=5000, help_text=_("Why."))


class ClosureRequestInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    closure_reason = serializers.ChoiceField(choices=ClosureReason.choices)
    reason = serializers.CharField(
        max_length=5000, help_text=_("Why the case should close, for the supervisor.")
    )


class ClosureDecisionInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text=_("The supervisor's note; required to reject."),
    )


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------
def coordinate_field() -> serializers.DecimalField:
    """A read-only latitude or longitude, rendered as a JSON number."""
    return serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, read_only=True, allow_null=True
    )


class OblastSerializer(serializers.ModelSerializer[Oblast]):
    class Meta:
        model = Oblast
        fields = ["code", "name_uk", "name_en"]
        read_only_fields = fields


class TransitionOptionSerializer(serializers.Serializer[Transition]):
    target = serializers.ChoiceField(choices=Status.choices, read_only=True)
    requires = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("Fields the transition body must carry besides 'to'."),
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "label" names a Field attribute, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["label"] = serializers.CharField(read_only=True)
        return fields


class FacilityRefSerializer(serializers.ModelSerializer[Facility]):
    class Meta:
        model = Facility
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class FacilitySerializer(serializers.ModelSerializer[Facility]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    country = serializers.CharField(source="country.code", read_only=True)
    country_name = serializers.CharField(source="country.name", read_only=True)
    latitude = coordinate_field()
    longitude = coordinate_field()

    class Meta:
        model = Facility
        fields = [
            "id",
            "name",
            "name_latin",
            "kind",
            "kind_label",
            "country",
            "country_name",
            "region",
            "settlement",
            "latitude",
            "longitude",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WhereaboutsSummarySerializer(serializers.ModelSerializer[Whereabouts]):
    """Where the child is (or was): the place and its distance from home."""

    country = serializers.CharField(source="country.code", read_only=True)
    country_name = serializers.CharField(source="country.name", read_only=True)
    facility = FacilityRefSerializer(read_only=True, allow_null=True)
    distance_from_home_km = serializers.SerializerMethodField(
        help_text=_("Great-circle distance from the place of origin, when both are known.")
    )

    class Meta:
        model = Whereabouts
        fields = [
            "id",
            "country",
            "country_name",
            "region",
            "settlement",
            "facility",
            "from_date",
            "to_date",
            "distance_from_home_km",
        ]
        read_only_fields = fields

    def get_distance_from_home_km(self, place: Whereabouts) -> float | None:
        return place.distance_from_home_km()


class WhereaboutsSerializer(WhereaboutsSummarySerializer):
    latitude = coordinate_field()
    longitude = coordinate_field()
    recorded_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta(WhereaboutsSummarySerializer.Meta):
        fields = [
            *WhereaboutsSummarySerializer.Meta.fields,
            "latitude",
            "longitude",
            "source_description",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class AliasSerializer(serializers.ModelSerializer[ChildAlias]):
    class Meta:
        model = ChildAlias
        fields = ["id", "name", "kind", "seen_in"]
        read_only_fields = fields


class ChildSummarySerializer(serializers.ModelSerializer[Child]):
    """The child as a list row shows it."""

    full_name = serializers.CharField(read_only=True)
    full_name_latin = serializers.CharField(read_only=True)
    origin_oblast = OblastSerializer(read_only=True, allow_null=True)
    current_whereabouts = WhereaboutsSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Child
        fields = [
            "id",
            "given_name",
            "family_name",
            "patronymic",
            "given_name_latin",
            "family_name_latin",
            "patronymic_latin",
            "full_name",
            "full_name_latin",
            "date_of_birth",
            "date_of_birth_precision",
            "birth_year",
            "sex",
            "origin_oblast",
            "origin_settlement",
            "current_whereabouts",
            "is_synthetic",
        ]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        fields["birth_year"] = serializers.IntegerField(
            source="date_of_birth.year",
            read_only=True,
            allow_null=True,
            help_text=_("The year of birth; all a limited share shows of the date."),
        )
        return fields

    def to_representation(self, instance: Child) -> dict[str, Any]:
        place = instance.current_whereabouts
        if place is not None:
            # The child is already at hand: link it so the distance needs no query back to it.
            place.child = instance
        return dict(super().to_representation(instance))


class ChildSerializer(ChildSummarySerializer):
    """The child's full record."""

    aliases = AliasSerializer(many=True, read_only=True)
    origin_latitude = coordinate_field()
    origin_longitude = coordinate_field()

    class Meta(ChildSummarySerializer.Meta):
        fields = [
            *ChildSummarySerializer.Meta.fields,
            "aliases",
            "origin_latitude",
            "origin_longitude",
            "parental_care",
            "distinguishing_notes",
        ]
        read_only_fields = fields


class CaseListSerializer(BlankAsNullMixin, serializers.ModelSerializer[Case]):
    """A case as a list row: everything but the child's aliases and the free-text fields."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    phase = serializers.ChoiceField(choices=Phase.choices, read_only=True)
    phase_label = serializers.CharField(read_only=True)
    assignee = UserRefSerializer(read_only=True, allow_null=True)
    organization = OrganizationRefSerializer(
        read_only=True, help_text=_("The organization that owns the case.")
    )
    access_scope = serializers.ChoiceField(
        choices=ShareScope.choices,
        read_only=True,
        help_text=_(
            "How you see the case: full, or limited through a share (the child's birth year "
            "instead of the date, no relatives' contacts, no documents)."
        ),
    )
    allowed_transitions = serializers.SerializerMethodField(
        help_text=_(
            "The moves you may make from the current status: the workflow's moves your role "
            "in the owning organization allows (none through a share, which gives reading only)."
        )
    )
    child = ChildSummarySerializer(read_only=True)

    class Meta:
        model = Case
        fields = [
            *selectors.CASE_ROW_FIELDS,
            "status_label",
            "phase",
            "phase_label",
            "organization",
            "access_scope",
            "assignee",
            "allowed_transitions",
            "child",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Case) -> dict[str, Any]:
        data = dict(super().to_representation(instance))
        if data["access_scope"] != ShareScope.FULL:
            data["child"] = limit_child(data["child"])
        return data

    @extend_schema_field(TransitionOptionSerializer(many=True))
    def get_allowed_transitions(self, case: Case) -> list[dict[str, Any]]:
        request = self.context.get("request")
        moves = selectors.case_allowed_moves(getattr(request, "user", None), case)
        return allowed_transitions(case.status, moves)


def _datetime(value: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    # What DRF's DateTimeField renders (ISO 8601 in the current time zone, "Z" for UTC),
    # without its per-call settings and time-zone lookups.
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value: dt.date | None) -> str | None:
    # DRF's DateField with DATE_FORMAT "iso-8601".
    return None if value is None else value.isoformat()


# The list row's own columns that hold times and dates; every other column renders as it is.
_ROW_DATETIMES = tuple(
    name
    for name in selectors.CASE_ROW_FIELDS
    if isinstance(Case._meta.get_field(name), models.DateTimeField)
)
_ROW_DATES = tuple(
    name
    for name in selectors.CASE_ROW_FIELDS
    if type(Case._meta.get_field(name)) is models.DateField
)
# ... and those that answer null for "" (BlankAsNullMixin does the same for CaseListSerializer).
_ROW_BLANK_AS_NULL = tuple(
    name for name in selectors.CASE_ROW_FIELDS if blank_means_none(Case._meta.get_field(name))
)


@dataclass(frozen=True)
class _Labels:
    """The translated labels a list row shows, worked out once per language."""

    language: str | None
    status: dict[str, str]
    phase: dict[str, str]
    transitions: dict[str, list[dict[str, Any]]]


@lru_cache(maxsize=16)
def _labels(language: str | None) -> _Labels:
    return _Labels(
        language=language,
        status={value: str(label) for value, label in Status.choices},
        phase={value: str(label) for value, label in Phase.choices},
        transitions={
            status: [
                {"target": t.target, "label": str(t.label), "requires": list(t.requires)}
                for t in transitions_from(status)
            ]
            for status in Status.values
        },
    )


@lru_cache(maxsize=1024)
def _country_name(code: str, language: str | None) -> str:
    return str(countries.name(code))


def allowed_transitions(
    status: str, moves: Iterable[Transition], labels: _Labels | None = None
) -> list[dict[str, Any]]:
    """``moves`` (from ``status``, as ``selectors.case_moves_allowed`` gives them) labelled in
    the current language, in the table's order (copies: the cached lists are never handed
    out)."""
    labels = labels or _labels(get_language())
    targets = {move.target for move in moves}
    return [
        {**t, "requires": list(t["requires"])}
        for t in labels.transitions[status]
        if t["target"] in targets
    ]


def _origin_oblast(row: Mapping[str, Any]) -> dict[str, Any] | None:
    code = row["child__origin_oblast_id"]
    if code is None:
        return None
    return {
        "code": code,
        "name_uk": row["child__origin_oblast__name_uk"],
        "name_en": row["child__origin_oblast__name_en"],
    }


def _current_whereabouts(row: Mapping[str, Any], language: str | None) -> dict[str, Any] | None:
    w = "child__current_whereabouts__"
    if row["child__current_whereabouts_id"] is None:
        return None
    facility_id = row[f"{w}facility_id"]
    if row[f"{w}latitude"] is not None:  # the same choice as Whereabouts.coordinates
        lat, lon = row[f"{w}latitude"], row[f"{w}longitude"]
    elif facility_id is not None:
        lat, lon = row[f"{w}facility__latitude"], row[f"{w}facility__longitude"]
    else:
        lat = lon = None
    country = row[f"{w}country"]
    return {
        "id": row["child__current_whereabouts_id"],
        "country": country,
        "country_name": _country_name(country, language),
        "region": row[f"{w}region"],
        "settlement": row[f"{w}settlement"],
        "facility": None
        if facility_id is None
        else {
            "id": facility_id,
            "name": row[f"{w}facility__name"],
            "kind": row[f"{w}facility__kind"],
        },
        "from_date": _date(row[f"{w}from_date"]),
        "to_date": _date(row[f"{w}to_date"]),
        "distance_from_home_km": distance_km(
            row["child__origin_latitude"], row["child__origin_longitude"], lat, lon
        ),
    }


def case_rows(rows: Iterable[Mapping[str, Any]], *, actor: Viewer) -> list[dict[str, Any]]:
    """Cases as ``CaseListSerializer`` renders them, built from ``selectors.case_list_rows``.

    The list endpoint renders rows this way: DRF's per-field machinery cost several times the
    database's time on a full page. A test holds the output equal to the declared fields.
    """
    labels = _labels(get_language())
    tz = timezone.get_current_timezone()
    return [_case_row(row, labels, tz, actor) for row in rows]


def _case_row(
    row: Mapping[str, Any], labels: _Labels, tz: dt.tzinfo, actor: Viewer
) -> dict[str, Any]:
    status = row["status"]
    moves = selectors.case_moves_allowed(
        actor, status=status, organization_id=row["organization_id"], scope=row[selectors.ACCESS]
    )
    birth = row["child__date_of_birth"]
    phase = phase_of(status)
    names = (row["child__family_name"], row["child__given_name"], row["child__patronymic"])
    latin = (
        row["child__family_name_latin"],
        row["child__given_name_latin"],
        row["child__patronymic_latin"],
    )
    data = {name: row[name] for name in selectors.CASE_ROW_FIELDS}
    for name in _ROW_DATETIMES:
        data[name] = _datetime(data[name], tz)
    for name in _ROW_DATES:
        data[name] = _date(data[name])
    for name in _ROW_BLANK_AS_NULL:
        data[name] = data[name] or None
    rendered = {
        **data,
        "status_label": labels.status[status],
        "phase": phase,
        "phase_label": labels.phase[phase],
        "organization": {"id": row["organization_id"], "name": row["organization__name"]},
        "access_scope": row[selectors.ACCESS],
        "assignee": None
        if row["assignee_id"] is None
        else {"id": row["assignee_id"], "username": row["assignee__username"]},
        "allowed_transitions": allowed_transitions(status, moves, labels),
        "child": {
            "id": row["child_id"],
            "given_name": row["child__given_name"],
            "family_name": row["child__family_name"],
            "patronymic": row["child__patronymic"],
            "given_name_latin": row["child__given_name_latin"],
            "family_name_latin": row["child__family_name_latin"],
            "patronymic_latin": row["child__patronymic_latin"],
            "full_name": " ".join(p for p in names if p),
            "full_name_latin": " ".join(p for p in latin if p),
            "date_of_birth": _date(birth),
            "date_of_birth_precision": row["child__date_of_birth_precision"],
            "birth_year": None if birth is None else birth.year,
            "sex": row["child__sex"],
            "origin_oblast": _origin_oblast(row),
            "origin_settlement": row["child__origin_settlement"],
            "current_whereabouts": _current_whereabouts(row, labels.language),
            "is_synthetic": row["child__is_synthetic"],
        },
    }
    if rendered["access_scope"] != ShareScope.FULL:
        rendered["child"] = limit_child(rendered["child"])
    return rendered


def limit_child(child: dict[str, Any]) -> dict[str, Any]:
    """What a limited share shows of a rendered child: the birth year, not the date."""
    return {**child, "date_of_birth": None}


class CaseShareSerializer(serializers.ModelSerializer[CaseShare]):
    organization = OrganizationRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    revoked_by = UserRefSerializer(read_only=True, allow_null=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = CaseShare
        fields = [
            "id",
            "organization",
            "scope",
            "reason",
            "consent_reference",
            "expires_at",
            "is_active",
            "created_by",
            "created_at",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
        ]
        read_only_fields = fields


class ClosureRequestSerializer(serializers.ModelSerializer[ClosureRequest]):
    requested_by = UserRefSerializer(read_only=True, allow_null=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ClosureRequest
        fields = [
            "id",
            "closure_reason",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class CaseCountsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField(read_only=True)
    by_status = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    by_phase = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    by_origin_oblast = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=_("By ISO 3166-2 code; children of unknown origin under 'unknown'."),
    )
    by_current_country = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=_("By ISO 3166-1 code; children with no recorded whereabouts under 'unknown'."),
    )
    as_of = serializers.DateTimeField(
        read_only=True,
        help_text=_(
            "When the cases were counted: the counts are kept, counted again every few "
            "minutes, and never older than the deployment's CASE_COUNTS_MAX_AGE (5 minutes "
            "unless set)."
        ),
    )


class CaseRemovalSerializer(serializers.Serializer[Any]):
    """A case that left the reader's sight: its id and number, never the child's data."""

    id = serializers.IntegerField(read_only=True, help_text=_("The case's id."))
    number = serializers.CharField(read_only=True, help_text=_("The case's number."))
    left_at = serializers.DateTimeField(
        read_only=True, help_text=_("When the case left your sight (the share's end).")
    )
    reason = serializers.ChoiceField(
        choices=selectors.RemovalReason.choices,
        read_only=True,
        help_text=_("Why: the share you saw it through was revoked, or expired."),
    )


class CaseDetailSerializer(CaseListSerializer):
    """A case's full record."""

    child = ChildSerializer(read_only=True)

    class Meta(CaseListSerializer.Meta):
        fields = [*CaseListSerializer.Meta.fields, "circumstances"]
        read_only_fields = fields


class RelativeSerializer(BlankAsNullMixin, serializers.ModelSerializer[Relative]):
    relationship_label = serializers.CharField(source="get_relationship_display", read_only=True)

    class Meta:
        model = Relative
        # The relationship's label follows it; the fields are those a caller may set.
        fields = [
            "id",
            *services.RELATIVE_FIELD_ORDER[:1],
            "relationship_label",
            *services.RELATIVE_FIELD_ORDER[1:],
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        # A limited share shows who the relatives are, never how to reach them.
        extra_kwargs = {
            name: {
                "allow_null": True,
                "help_text": _("Null through a limited share, which shows no contacts."),
            }
            for name in selectors.RELATIVE_CONTACT_FIELDS
        }


class TimelineEntrySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField(read_only=True)
    kind = serializers.CharField(
        read_only=True,
        help_text=_("One of status_change, whereabouts, service, follow_up."),
    )
    summary = serializers.CharField(read_only=True)
    actor = serializers.CharField(read_only=True, help_text=_("Username, or empty."))
    details = serializers.DictField(read_only=True)

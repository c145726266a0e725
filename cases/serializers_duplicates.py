"""API input and output of the duplicate review: a pair with its two children side by side
(``cases.selectors_duplicates.PairView``), and a decision on it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import OrganizationRefSerializer, UserRefSerializer
from core.serializers import DateTimeField, StrictInputMixin

from .models import Child, DatePrecision, DuplicateDecision
from .selectors_duplicates import PairSide


def date_of_birth_text(child: Child) -> str | None:
    """The date of birth as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` by its precision (an
    estimated date as its year)."""
    dob = child.date_of_birth
    if dob is None:
        return None
    if child.date_of_birth_precision == DatePrecision.EXACT:
        return dob.isoformat()
    if child.date_of_birth_precision == DatePrecision.MONTH:
        return f"{dob.year:04d}-{dob.month:02d}"
    return f"{dob.year:04d}"


class PairCaseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    organization = OrganizationRefSerializer(read_only=True)


class PairChildSerializer(serializers.Serializer[PairSide]):
    """One child of a pair, as the reader (who may change it) sees it in full."""

    id = serializers.IntegerField(source="child.pk", read_only=True)
    given_name = serializers.CharField(source="child.given_name", read_only=True)
    family_name = serializers.CharField(source="child.family_name", read_only=True)
    patronymic = serializers.CharField(source="child.patronymic", read_only=True)
    full_name_latin = serializers.CharField(source="child.full_name_latin", read_only=True)
    date_of_birth = serializers.SerializerMethodField(
        help_text=_("`YYYY`, `YYYY-MM` or `YYYY-MM-DD` by its precision.")
    )
    date_of_birth_precision = serializers.CharField(
        source="child.date_of_birth_precision", read_only=True
    )
    sex = serializers.CharField(source="child.sex", read_only=True)
    origin_oblast = serializers.CharField(
        source="child.origin_oblast_id", read_only=True, allow_null=True
    )
    origin_settlement = serializers.CharField(source="child.origin_settlement", read_only=True)
    merged_into = serializers.IntegerField(
        source="child.merged_into_id",
        read_only=True,
        allow_null=True,
        help_text=_("The child this record was merged into, once it was."),
    )
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    cases = PairCaseSerializer(many=True, read_only=True, help_text=_("Open first."))
    relatives = serializers.IntegerField(read_only=True, help_text=_("How many are recorded."))
    whereabouts = serializers.IntegerField(read_only=True, help_text=_("How many are recorded."))
    external_references = serializers.IntegerField(
        read_only=True, help_text=_("How many organizations' references the child carries.")
    )
    has_open_case = serializers.BooleanField(read_only=True)

    @extend_schema_field({"type": "string", "nullable": True, "pattern": r"^\d{4}(-\d{2}){0,2}$"})
    def get_date_of_birth(self, side: PairSide) -> str | None:
        return date_of_birth_text(side.child)


class DuplicatePairSerializer(serializers.Serializer[Any]):
    """A pair of registry children identity matching found alike, side by side."""

    id = serializers.IntegerField(source="pair.pk", read_only=True)
    score = serializers.FloatField(source="pair.score", read_only=True)
    band = serializers.CharField(source="pair.band", read_only=True)
    reasons = serializers.SerializerMethodField(
        help_text=_("Why they look alike, in words, in the request's language.")
    )
    decision = serializers.ChoiceField(
        source="pair.decision", choices=DuplicateDecision.choices, read_only=True
    )
    decided_by = UserRefSerializer(source="pair.decided_by", read_only=True, allow_null=True)
    decided_at = DateTimeField(source="pair.decided_at", read_only=True, allow_null=True)
    note = serializers.CharField(source="pair.note", read_only=True)
    found_at = DateTimeField(source="pair.found_at", read_only=True)
    first = PairChildSerializer(read_only=True)
    second = PairChildSerializer(read_only=True)

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_reasons(self, view: Any) -> list[str]:
        return [gettext(reason) for reason in view.pair.reasons]


class DuplicateDecisionInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    decision = serializers.ChoiceField(
        choices=[
            (DuplicateDecision.SAME.value, DuplicateDecision.SAME.label),
            (DuplicateDecision.DIFFERENT.value, DuplicateDecision.DIFFERENT.label),
        ],
        help_text=_(
            "`same`: one child recorded twice, merged into `keep`; `different`: two children, "
            "never proposed as a pair again."
        ),
    )
    keep = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text=_(
            "With `same`: the id of the child whose record is kept (one of the pair's two; "
            "the older record by default). The other becomes a pointer to it."
        ),
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text=_("Why.")
    )

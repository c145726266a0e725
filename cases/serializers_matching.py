"""Serializers of identity matching: one child's description as a client sends it, and the
candidates as the reader may see them (``cases.selectors_matching.SeenCandidate``).

The same candidate rendering answers ``POST /children/match/`` and the 409 that refuses to
open a case for a child the registry may already hold.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import ErrorSerializer
from core.serializers import StrictInputMixin

from .matching import Description, description_from
from .models import Sex, ShareScope
from .selectors_matching import SeenCandidate, reasons_in_words

# At most this many candidates for one description.
MATCH_LIMIT = 5
# Sex as a description gives it (the registry's own values are ``cases.models.Sex``).
DESCRIBED_SEX = [("M", "M"), ("F", "F")]

_DATE_OF_BIRTH_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_OBLAST_RE = re.compile(r"^UA-\d{2}$")
_NAME_PARTS = ("given_name", "family_name", "patronymic")


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------
class MatchInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    """One child as described in a document, a list or a conversation: the name as one string
    in any order, script and romanization (`full_name`), or in its parts; what else is
    known. At least a given or a family name."""

    full_name = serializers.CharField(
        max_length=300,
        required=False,
        help_text=_(
            "The whole name in any order (family, given name, patronymic), in Cyrillic or any "
            "Latin romanization. Give either this or the parts."
        ),
    )
    given_name = serializers.CharField(max_length=100, required=False)
    family_name = serializers.CharField(max_length=100, required=False)
    patronymic = serializers.CharField(max_length=100, required=False)
    date_of_birth = serializers.RegexField(
        _DATE_OF_BIRTH_RE,
        max_length=10,
        required=False,
        help_text=_("YYYY, YYYY-MM or YYYY-MM-DD: as precise as it is known."),
        error_messages={"invalid": _("Expected YYYY, YYYY-MM or YYYY-MM-DD.")},
    )
    sex = serializers.ChoiceField(
        choices=DESCRIBED_SEX, required=False, help_text=_("M or F, if known.")
    )
    origin_oblast = serializers.RegexField(
        _OBLAST_RE,
        max_length=5,
        required=False,
        help_text=_("ISO 3166-2 code of the oblast of origin, e.g. UA-14."),
        error_messages={"invalid": _("Expected an ISO 3166-2 code of Ukraine, e.g. UA-14.")},
    )
    limit = serializers.IntegerField(
        min_value=1,
        max_value=MATCH_LIMIT,
        default=MATCH_LIMIT,
        help_text=_("At most this many candidates, best first."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        parts = [name for name in _NAME_PARTS if name in attrs]
        if "full_name" in attrs and parts:
            raise serializers.ValidationError(
                {
                    name: [_("Give either full_name or the name's parts, not both.")]
                    for name in parts
                }
            )
        if "full_name" not in attrs and not parts:
            raise serializers.ValidationError(
                {"full_name": [_("Give full_name, or at least given_name or family_name.")]}
            )
        try:
            description = description_from(
                **{k: v for k, v in attrs.items() if k != "limit"},
            )
        except ValueError as error:
            # The scorer's message quotes the value: name the field, never echo a birth date.
            field = str(error).partition(":")[0]
            message = _("Not a calendar date.") if field == "date_of_birth" else _("Not valid.")
            field = field if field in self.fields else "non_field_errors"
            raise serializers.ValidationError({field: [message]}) from None
        if description.given_name is None and description.family_name is None:
            field = "full_name" if "full_name" in attrs else (parts[0] if parts else "full_name")
            raise serializers.ValidationError(
                {field: [_("Give a given or a family name in letters.")]}
            )
        attrs["description"] = description
        return attrs

    def description(self) -> Description:
        described: Description = self.validated_data["description"]
        return described


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------
class CandidateOrganizationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="organization_id", read_only=True, allow_null=True)
    name = serializers.CharField(source="organization_name", read_only=True)


class CandidateCaseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="case_id", read_only=True, help_text=_("The case's id."))
    number = serializers.CharField(
        source="case_number", read_only=True, help_text=_("The case's number.")
    )
    status = serializers.CharField(source="case_status", read_only=True)
    access_scope = serializers.ChoiceField(
        source="scope",
        choices=ShareScope.choices,
        read_only=True,
        help_text=_("How you see the case: in full, or through a limited share."),
    )


class CandidateChildSerializer(serializers.Serializer[Any]):
    given_name = serializers.CharField(read_only=True)
    family_name = serializers.CharField(read_only=True)
    patronymic = serializers.CharField(read_only=True)
    date_of_birth = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=_(
            "YYYY, YYYY-MM or YYYY-MM-DD as precise as the registry knows it; the year only "
            "through a limited share."
        ),
    )
    sex = serializers.ChoiceField(choices=Sex.choices, read_only=True)
    origin_oblast = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("ISO 3166-2 code of the oblast of origin.")
    )

    def to_representation(self, instance: SeenCandidate) -> dict[str, Any]:
        row = dict(super().to_representation(instance))
        row["date_of_birth"] = instance.date_of_birth or None
        row["origin_oblast"] = instance.origin_oblast or None
        return row


class SeenCandidateSerializer(serializers.Serializer[Any]):
    """A registry child that may be the one described, as you may see it. A child you may see
    comes with its case, its names and what else the registry knows; one you may not is only
    said to be held by an organization (a likely match only), with no personal data: ask that
    organization for a share."""

    held = serializers.SerializerMethodField(
        help_text=_("Whether the child is held by an organization whose case you cannot see.")
    )
    band = serializers.ChoiceField(
        choices=[("likely", "likely"), ("possible", "possible")], read_only=True
    )
    score = serializers.SerializerMethodField(
        help_text=_("How well the child fits, 0 to 1; null when held by another organization.")
    )
    reasons = serializers.SerializerMethodField(
        help_text=_("Why it may be the child, in words; empty when held by another organization.")
    )
    summary = serializers.SerializerMethodField(
        help_text=_("The candidate in one sentence, e.g. who holds it.")
    )
    organization = CandidateOrganizationSerializer(source="*", read_only=True)
    case = serializers.SerializerMethodField()
    child = serializers.SerializerMethodField()
    external_references = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("Your organizations' own references for the child (from their imports)."),
    )

    def get_held(self, candidate: SeenCandidate) -> bool:
        return not candidate.visible

    def get_score(self, candidate: SeenCandidate) -> float | None:
        return candidate.score if candidate.visible else None

    def get_reasons(self, candidate: SeenCandidate) -> list[str]:
        return reasons_in_words(candidate.reasons) if candidate.visible else []

    def get_summary(self, candidate: SeenCandidate) -> str:
        return candidate_summary(candidate)

    @extend_schema_field(CandidateCaseSerializer(allow_null=True))
    def get_case(self, candidate: SeenCandidate) -> dict[str, Any] | None:
        return dict(CandidateCaseSerializer(candidate).data) if candidate.visible else None

    @extend_schema_field(CandidateChildSerializer(allow_null=True))
    def get_child(self, candidate: SeenCandidate) -> dict[str, Any] | None:
        return dict(CandidateChildSerializer(candidate).data) if candidate.visible else None


def candidate_summary(candidate: SeenCandidate) -> str:
    """One sentence on a candidate in the reader's language: who holds a child the reader may
    not see (so they can ask for a share), or which case a visible one is."""
    if not candidate.visible:
        return gettext("A likely match is held by %(organization)s.") % {
            "organization": candidate.organization_name
        }
    if candidate.band == "likely":
        return gettext("A likely match: case %(number)s.") % {"number": candidate.case_number}
    return gettext("A possible match: case %(number)s.") % {"number": candidate.case_number}


class MatchResultSerializer(serializers.Serializer[Any]):
    candidates = SeenCandidateSerializer(many=True, read_only=True)


class LikelyCandidatesErrorSerializer(ErrorSerializer):
    """The refusal to open a case for a child the registry may already hold
    (`likely_candidates`): the candidates as you may see them. Look at them; open the case
    again with `candidates_checked: true` if the child is not one of them."""

    candidates = SeenCandidateSerializer(many=True, read_only=True)

    class Meta:
        ref_name = "LikelyCandidatesError"

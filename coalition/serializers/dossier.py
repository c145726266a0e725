"""The country dossier and the list of states, as the API renders them (output only: the
dossier is read, never written). No personal data: lists of named children appear with their
counts, never their entries; children appear as counts."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from sources.models import AsOfPrecision, FigureQualifier

from ..models import MeetingKind, MemberRole, PledgeKind, PledgeStatus, UnBody, Vote


def _by_status(help_text: Any) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.IntegerField(min_value=0), read_only=True, help_text=help_text
    )


class DossierAreaSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    leads = serializers.BooleanField(read_only=True, help_text=_("Whether the member leads it."))


class DossierMembershipSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=MemberRole.choices, read_only=True)
    joined_on = serializers.DateField(read_only=True, allow_null=True)
    joined_precision = serializers.ChoiceField(choices=AsOfPrecision.choices, read_only=True)
    left_on = serializers.DateField(read_only=True, allow_null=True)
    is_current = serializers.BooleanField(
        read_only=True, help_text=_("A member today (it has not left).")
    )
    areas = DossierAreaSerializer(many=True, read_only=True)


class DossierPledgeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=PledgeKind.choices, read_only=True)
    description = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=PledgeStatus.choices, read_only=True)
    overdue = serializers.BooleanField(
        read_only=True, help_text=_("Past its due date and neither delivered nor withdrawn.")
    )
    project_id = serializers.IntegerField(read_only=True, allow_null=True)
    project_title = serializers.CharField(read_only=True)
    area_code = serializers.CharField(read_only=True)
    area_name = serializers.CharField(read_only=True)
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, allow_null=True
    )
    currency = serializers.CharField(read_only=True, help_text=_("ISO 4217 code, or empty."))
    pledged_on = serializers.DateField(read_only=True, allow_null=True)
    due_on = serializers.DateField(read_only=True, allow_null=True)


class DossierPledgeTotalSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=PledgeStatus.choices, read_only=True)
    count = serializers.IntegerField(read_only=True)
    amounts = serializers.DictField(
        child=serializers.DecimalField(max_digits=18, decimal_places=2),
        read_only=True,
        help_text=_("The amounts promised, by ISO 4217 currency (never added across them)."),
    )


class DossierMeetingSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=MeetingKind.choices, read_only=True)
    title = serializers.CharField(read_only=True)
    held_on = serializers.DateField(
        read_only=True, help_text=_("The first day of the period the date names.")
    )
    date_precision = serializers.ChoiceField(choices=AsOfPrecision.choices, read_only=True)
    date_label = serializers.CharField(
        read_only=True, help_text=_("The date as reported, e.g. 'late April 2023'.")
    )
    place = serializers.CharField(read_only=True)
    hosted = serializers.BooleanField(read_only=True, help_text=_("The state hosted it."))
    took_part = serializers.BooleanField(
        read_only=True, help_text=_("The state is among its participants.")
    )


class DossierStatementSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    issued_on = serializers.DateField(read_only=True)


class DossierVoteSerializer(serializers.Serializer[Any]):
    resolution_id = serializers.IntegerField(read_only=True)
    body = serializers.ChoiceField(choices=UnBody.choices, read_only=True)
    symbol = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    voted_on = serializers.DateField(read_only=True)
    vote = serializers.ChoiceField(choices=Vote.choices, read_only=True)


class DossierChildListSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    handed_on = serializers.DateField(read_only=True)
    date_precision = serializers.ChoiceField(choices=AsOfPrecision.choices, read_only=True)
    count_claimed = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("The count as claimed (e.g. 400).")
    )
    count_qualifier = serializers.ChoiceField(choices=FigureQualifier.choices, read_only=True)
    entries_held = serializers.IntegerField(
        read_only=True, help_text=_("How many entries the registry holds (never the entries).")
    )
    handed_over = serializers.BooleanField(read_only=True, help_text=_("The state handed it."))
    received = serializers.BooleanField(read_only=True, help_text=_("The state received it."))


class DossierChildrenSerializer(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(
        choices=[
            ("registry", _("Every case of the registry")),
            ("visible", _("The cases you may see")),
        ],
        read_only=True,
        help_text=_(
            "`registry` for coordinators, auditors and superusers (every case is counted); "
            "`visible` for caseworkers, supervisors and partners (the cases they may see)."
        ),
    )
    ever_total = serializers.IntegerField(read_only=True)
    now_total = serializers.IntegerField(read_only=True)
    ever = _by_status(
        _("Cases whose child has any recorded whereabouts in the country, by case status.")
    )
    now = _by_status(
        _("Cases whose child's current whereabouts (the latest) is in the country, by status.")
    )


class CountryDossierSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True, help_text=_("ISO 3166-1 alpha-2 code."))
    name = serializers.CharField(read_only=True, help_text=_("The country's name in English."))
    name_uk = serializers.CharField(read_only=True, help_text=_("The country's name in Ukrainian."))
    recorded = serializers.BooleanField(
        read_only=True, help_text=_("Whether any coalition record names the state.")
    )
    membership = DossierMembershipSerializer(
        read_only=True, allow_null=True, help_text=_("Null when the state is not a member.")
    )
    pledges = DossierPledgeSerializer(many=True, read_only=True)
    pledge_totals = DossierPledgeTotalSerializer(many=True, read_only=True)
    overdue_pledges = serializers.IntegerField(read_only=True)
    meetings = DossierMeetingSerializer(many=True, read_only=True)
    statements = DossierStatementSerializer(many=True, read_only=True)
    votes = DossierVoteSerializer(many=True, read_only=True)
    vote_totals = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        read_only=True,
        help_text=_("How many of the recorded votes were cast each way."),
    )
    child_lists = DossierChildListSerializer(many=True, read_only=True)
    children = DossierChildrenSerializer(read_only=True)


class CountryRowSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True, help_text=_("ISO 3166-1 alpha-2 code."))
    name = serializers.CharField(read_only=True)
    is_member = serializers.BooleanField(read_only=True, help_text=_("A member today."))
    role = serializers.ChoiceField(
        choices=MemberRole.choices,
        read_only=True,
        allow_null=True,
        help_text=_("Its role in the coalition; null when it never joined."),
    )

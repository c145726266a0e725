"""Query filters of parties, members, projects and pledges: every parameter named, so the
strict query-parameter check refuses the others, and an invalid value is a 400 naming it."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_filters import rest_framework as filters

from core.api import FilterSet, id_filter, range_filters

from ..models import (
    Member,
    MemberRole,
    Party,
    PartyKind,
    Pledge,
    PledgeKind,
    PledgeStatus,
    Project,
    ProjectArea,
    ProjectStatus,
)
from ..selectors.members import overdue_condition
from .common import PartyCodeFilter, updated_since_filter, yes_no

COUNTRY_CHOICES = [(code, code) for code, _name in countries]


class PartyFilterSet(FilterSet):
    kind = filters.ChoiceFilter(choices=PartyKind.choices, help_text=_("State or organization."))
    updated_since = updated_since_filter()

    class Meta:
        model = Party
        fields: list[str] = []


class MemberFilterSet(FilterSet):
    country = filters.ChoiceFilter(
        field_name="party__country",
        choices=COUNTRY_CHOICES,
        help_text=_("A state's ISO 3166-1 alpha-2 code, e.g. CA."),
    )
    kind = filters.ChoiceFilter(
        field_name="party__kind", choices=PartyKind.choices, help_text=_("State or organization.")
    )
    role = filters.ChoiceFilter(choices=MemberRole.choices, help_text=_("Co-chair or member."))
    area = filters.ModelChoiceFilter(
        field_name="areas__area",
        to_field_name="code",
        queryset=ProjectArea.objects.all(),
        help_text=_("An area's code: the members acting in it."),
    )
    current = yes_no(
        "filter_current", _("true: members that have not left; false: those that left.")
    )
    joined_after, joined_before = range_filters(
        "joined_on",
        after=_("Joined on or after (YYYY-MM-DD)."),
        before=_("Joined before (YYYY-MM-DD)."),
    )
    updated_since = updated_since_filter()

    class Meta:
        model = Member
        fields: list[str] = []

    def filter_current(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        today = timezone.localdate()
        current = Q(left_on__isnull=True) | Q(left_on__gt=today)
        return queryset.filter(current) if value == "true" else queryset.exclude(current)


class ProjectFilterSet(FilterSet):
    area = filters.ModelChoiceFilter(
        field_name="area",
        to_field_name="code",
        queryset=ProjectArea.objects.all(),
        help_text=_("An area's code."),
    )
    lead = PartyCodeFilter(
        field_name="lead__party__code",
        help_text=_("The lead member's code (country or organization)."),
    )
    status = filters.MultipleChoiceFilter(
        choices=ProjectStatus.choices, help_text=_("Status; repeat for several.")
    )
    starts_after, starts_before = range_filters(
        "starts_on",
        after=_("Starts on or after (YYYY-MM-DD)."),
        before=_("Starts before (YYYY-MM-DD)."),
    )
    ends_after, ends_before = range_filters(
        "ends_on", after=_("Ends on or after (YYYY-MM-DD)."), before=_("Ends before (YYYY-MM-DD).")
    )
    updated_since = updated_since_filter()

    class Meta:
        model = Project
        fields: list[str] = []


class PledgeFilterSet(FilterSet):
    member = PartyCodeFilter(
        field_name="member__party__code",
        help_text=_("The pledging member's code (country or organization)."),
    )
    project = id_filter("project_id", _("A project's id."))
    area = filters.ModelChoiceFilter(
        field_name="area",
        to_field_name="code",
        queryset=ProjectArea.objects.all(),
        help_text=_("An area's code."),
    )
    status = filters.MultipleChoiceFilter(
        choices=PledgeStatus.choices, help_text=_("Status; repeat for several.")
    )
    kind = filters.MultipleChoiceFilter(
        choices=PledgeKind.choices, help_text=_("Kind of pledge; repeat for several.")
    )
    overdue = yes_no(
        "filter_overdue", _("true: past the due date and neither delivered nor withdrawn.")
    )
    due_after, due_before = range_filters(
        "due_on", after=_("Due on or after (YYYY-MM-DD)."), before=_("Due before (YYYY-MM-DD).")
    )
    updated_since = updated_since_filter()

    class Meta:
        model = Pledge
        fields: list[str] = []

    def filter_overdue(self, queryset: QuerySet[Pledge], name: str, value: str) -> QuerySet[Pledge]:
        condition = overdue_condition(timezone.localdate())
        return queryset.filter(condition) if value == "true" else queryset.exclude(condition)

"""Query filters of parties, members, projects and pledges: every parameter named, so the
strict query-parameter check refuses the others, and an invalid value is a 400 naming it."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_filters import rest_framework as filters

from core.api import DateTimeFilter, FilterSet, id_filter

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

COUNTRY_CHOICES = [(code, code) for code, _name in countries]


def _updated_since() -> DateTimeFilter:
    return DateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text=_("Changed at or after this ISO 8601 time (for synchronisation)."),
    )


BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


def _yes_no(method: str, help_text: object) -> filters.ChoiceFilter:
    """``true`` or ``false`` and nothing else (django-filter's boolean filter takes any other
    value as "no filter"; here it is a 400 naming the parameter)."""
    return filters.ChoiceFilter(choices=BOOLEAN_CHOICES, method=method, help_text=help_text)


class PartyFilterSet(FilterSet):
    kind = filters.ChoiceFilter(choices=PartyKind.choices, help_text=_("State or organization."))
    updated_since = _updated_since()

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
    current = _yes_no(
        "filter_current", _("true: members that have not left; false: those that left.")
    )
    joined_after = filters.DateFilter(
        field_name="joined_on", lookup_expr="gte", help_text=_("Joined on or after (YYYY-MM-DD).")
    )
    joined_before = filters.DateFilter(
        field_name="joined_on", lookup_expr="lt", help_text=_("Joined before (YYYY-MM-DD).")
    )
    updated_since = _updated_since()

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
    lead = filters.CharFilter(
        method="filter_lead", help_text=_("The lead member's code (country or organization).")
    )
    status = filters.MultipleChoiceFilter(
        choices=ProjectStatus.choices, help_text=_("Status; repeat for several.")
    )
    starts_after = filters.DateFilter(
        field_name="starts_on", lookup_expr="gte", help_text=_("Starts on or after (YYYY-MM-DD).")
    )
    starts_before = filters.DateFilter(
        field_name="starts_on", lookup_expr="lt", help_text=_("Starts before (YYYY-MM-DD).")
    )
    ends_after = filters.DateFilter(
        field_name="ends_on", lookup_expr="gte", help_text=_("Ends on or after (YYYY-MM-DD).")
    )
    ends_before = filters.DateFilter(
        field_name="ends_on", lookup_expr="lt", help_text=_("Ends before (YYYY-MM-DD).")
    )
    updated_since = _updated_since()

    class Meta:
        model = Project
        fields: list[str] = []

    def filter_lead(self, queryset: QuerySet[Project], name: str, value: str) -> QuerySet[Project]:
        return queryset.filter(lead__party__code=_party_code(value))


def _party_code(value: str) -> str:
    value = value.strip()
    return value.upper() if len(value) == 2 else value.lower()


class PledgeFilterSet(FilterSet):
    member = filters.CharFilter(
        method="filter_member", help_text=_("The pledging member's code (country or organization).")
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
    overdue = _yes_no(
        "filter_overdue", _("true: past the due date and neither delivered nor withdrawn.")
    )
    due_after = filters.DateFilter(
        field_name="due_on", lookup_expr="gte", help_text=_("Due on or after (YYYY-MM-DD).")
    )
    due_before = filters.DateFilter(
        field_name="due_on", lookup_expr="lt", help_text=_("Due before (YYYY-MM-DD).")
    )
    updated_since = _updated_since()

    class Meta:
        model = Pledge
        fields: list[str] = []

    def filter_member(self, queryset: QuerySet[Pledge], name: str, value: str) -> QuerySet[Pledge]:
        return queryset.filter(member__party__code=_party_code(value))

    def filter_overdue(self, queryset: QuerySet[Pledge], name: str, value: str) -> QuerySet[Pledge]:
        condition = overdue_condition(timezone.localdate())
        return queryset.filter(condition) if value == "true" else queryset.exclude(condition)

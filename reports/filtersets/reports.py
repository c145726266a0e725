"""Query filters of the status reports' list. Every parameter is named, so the strict
query-parameter check knows each; an unknown value is a 400 naming the parameter."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from core.api import FilterSet, id_filter, range_filters

from ..models import ReportPeriod, ReportScope, StatusReport


class StatusReportFilterSet(FilterSet):
    scope = filters.ChoiceFilter(
        choices=ReportScope.choices, help_text=_("An organization's reports, or the registry's.")
    )
    organization = id_filter(
        "organization_id", _("An organization's id: its reports (that you may read).")
    )
    period = filters.MultipleChoiceFilter(
        choices=ReportPeriod.choices, help_text=_("Kind of period; repeat for several.")
    )
    period_start_after, period_start_before = range_filters(
        "period_start",
        after=_("Periods starting on or after this date (YYYY-MM-DD)."),
        before=_("Periods starting before this date (YYYY-MM-DD)."),
    )

    class Meta:
        model = StatusReport
        fields: list[str] = []

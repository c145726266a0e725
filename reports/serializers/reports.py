"""Status reports in the API: the answer (metadata and the figures as the reader sees them)
and the body of an issue on demand (which only validates; the service decides)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Organization
from core.db import MAX_ID
from core.serializers import DateTimeField, StrictInputMixin

from ..models import ReportPeriod, ReportScope, StatusReport
from ..suppression import figures_as_seen, reads_exact


class ReportOrganizationSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["id", "name"]
        read_only_fields = fields


class StatusReportSerializer(serializers.ModelSerializer[StatusReport]):
    """A status report: which scope and period, when it was issued, and whether the reader
    sees its small counts hidden (`suppressed`). The list leaves the figures out."""

    organization = ReportOrganizationSerializer(read_only=True, allow_null=True)
    as_of = DateTimeField(read_only=True)
    issued_at = DateTimeField(read_only=True)
    issued_by = serializers.SerializerMethodField(
        help_text=_("The username of who issued it; null when issued on schedule.")
    )
    suppressed = serializers.SerializerMethodField(
        help_text=_(
            'Whether counts from 1 to 4 are shown as "<5" to you (every reader but the '
            "members of the report's own organization)."
        )
    )

    class Meta:
        model = StatusReport
        fields = [
            "id",
            "scope",
            "organization",
            "period",
            "period_start",
            "period_end",
            "as_of",
            "issued_at",
            "issued_by",
            "suppressed",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True})
    def get_issued_by(self, report: StatusReport) -> str | None:
        return report.issued_by.get_username() if report.issued_by is not None else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_suppressed(self, report: StatusReport) -> bool:
        return not reads_exact(self.context.get("actor"), report)


class StatusReportDetailSerializer(StatusReportSerializer):
    """A status report with its figures as you may see them (schema 1: cases by status and
    phase as of `as_of`, the period's flows, time to return, follow-ups, services, oblasts
    and countries, published figures, the coalition for the registry's report)."""

    figures = serializers.SerializerMethodField()

    class Meta(StatusReportSerializer.Meta):
        fields = [*StatusReportSerializer.Meta.fields, "figures"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_figures(self, report: StatusReport) -> dict[str, Any]:
        seen = figures_as_seen(report, self.context.get("actor"))
        seen.pop("suppressed", None)  # said beside the figures
        return seen


class ReportIssueInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=ReportScope.choices)
    organization = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text=_("The organization's id, for an organization's report."),
    )
    period = serializers.ChoiceField(choices=ReportPeriod.choices)
    period_start = serializers.DateField(
        help_text=_("The first day: a Monday for a week, the 1st for a month.")
    )
    period_end = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=_("The last day, for chosen dates (a week's or a month's follows its start)."),
    )

"""Status reports in the admin: the list of the reports the user may read, a page per report
(``admin:reports_statusreport_change``) with its figures as the user may see them, in tables
and bar charts drawn on the server (no script: the admin runs under a strict CSP), CSV and
XLSX downloads, and a form to issue a report for those who may.

The figures are never edited: a report is issued once and kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import request_actor
from accounts.models import Organization, Role
from accounts.selectors import actor_roles, organization_list
from cases.models import ServiceKind, ServiceStatus
from cases.selectors import reads_aggregates
from cases.workflow import ClosureReason, Phase, Status
from coalition.models import EntryOutcome, PledgeStatus
from core.charts import BarChart, counts_chart
from core.errors import DomainError, NotFound

from ..models import ReportPeriod, ReportScope, StatusReport
from ..selectors.reports import report_get, report_visible_to
from ..services import reports as services
from ..suppression import figures_as_seen, hidden_label


def _reads(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active) and reads_aggregates(
        request_actor(request)
    )


def _issues(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active) and services.can_issue_any(
        request_actor(request)
    )


# ---------------------------------------------------------------------------------------------
# The page's tables and charts
# ---------------------------------------------------------------------------------------------
def _labelled(
    cells: dict[str, Any] | None, labels: dict[str, str] | None = None
) -> list[tuple[str, Any]]:
    """A group's cells as (label, shown value) in the group's order."""
    labels = labels or {}
    return [(labels.get(key, key), value) for key, value in (cells or {}).items()]


def _chart(rows: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A bar chart of a group: a hidden cell ("<5") is drawn with no bar, its label shown."""
    rows = list(rows)
    chart: BarChart = counts_chart(
        (label, value if isinstance(value, int) and not isinstance(value, bool) else 0)
        for label, value in rows
    )
    return {
        "chart": chart,
        "bars": [
            {"bar": bar, "shown": value}
            for bar, (_label, value) in zip(chart.bars, rows, strict=True)
        ],
    }


def _choices_labels(choices: Any) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _sections(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's sections: a title, its rows, and a chart where a bar chart says more."""
    flows = figures.get("flows") or {}
    coalition = figures.get("coalition")
    sections: list[dict[str, Any]] = [
        {
            "id": "by-status",
            "title": _("Cases by status"),
            "rows": _labelled(figures.get("by_status"), _choices_labels(Status.choices)),
            "chart": True,
        },
        {
            "id": "by-phase",
            "title": _("Cases by phase"),
            "rows": _labelled(figures.get("by_phase"), _choices_labels(Phase.choices)),
            "chart": True,
        },
        {
            "id": "flows",
            "title": _("Moves in the period"),
            "rows": [
                (_("New cases"), flows.get("new")),
                (_("Located"), flows.get("located")),
                (_("Returned"), flows.get("returned")),
                (_("Reopened"), flows.get("reopened")),
            ],
            "chart": True,
        },
        {
            "id": "closed",
            "title": _("Closed in the period, by reason"),
            "rows": _labelled(flows.get("closed"), _choices_labels(ClosureReason.choices)),
            "chart": True,
        },
        {
            "id": "time-to-return",
            "title": _("Days from the case's creation to the return"),
            "rows": [
                (_("Returns"), (figures.get("time_to_return_days") or {}).get("returns")),
                (_("Median"), (figures.get("time_to_return_days") or {}).get("median")),
                (_("90th percentile"), (figures.get("time_to_return_days") or {}).get("p90")),
            ],
        },
        {
            "id": "follow-ups",
            "title": _("Follow-ups due in the period"),
            "rows": _labelled(
                figures.get("follow_ups"),
                {
                    "on_time": gettext("On time"),
                    "late": gettext("Late"),
                    "missed": gettext("Missed"),
                    "open": gettext("Not yet due"),
                },
            ),
            "chart": True,
        },
    ]
    kinds = _choices_labels(ServiceKind.choices)
    statuses = _choices_labels(ServiceStatus.choices)
    for kind, cells in (figures.get("services") or {}).items():
        sections.append(
            {
                "id": f"services-{kind}",
                "title": _("Services: %(kind)s") % {"kind": kinds.get(kind, kind)},
                "rows": _labelled(cells, statuses),
            }
        )
    sections += [
        {
            "id": "by-origin-oblast",
            "title": _("Children of open cases by oblast of origin"),
            "rows": _labelled(figures.get("by_origin_oblast")),
            "chart": True,
        },
        {
            "id": "by-country",
            "title": _("Children of open cases by the country they are in"),
            "rows": _labelled(figures.get("by_country")),
            "chart": True,
        },
    ]
    if isinstance(coalition, dict):
        sections += [
            {
                "id": "pledges",
                "title": _("Coalition pledges by status"),
                "rows": [
                    *_labelled(coalition.get("pledges"), _choices_labels(PledgeStatus.choices)),
                    (_("Overdue"), coalition.get("pledges_overdue")),
                ],
            },
            {
                "id": "list-entries",
                "title": _("Children on the coalition's lists, by outcome"),
                "rows": _labelled(
                    coalition.get("list_entries"), _choices_labels(EntryOutcome.choices)
                ),
                "chart": True,
            },
            {
                "id": "diplomacy",
                "title": _("Coalition meetings and statements in the period"),
                "rows": [
                    (_("Meetings"), coalition.get("meetings")),
                    (_("Statements"), coalition.get("statements")),
                ],
            },
        ]
    for section in sections:
        if section.pop("chart", False):
            section["chart"] = _chart(section["rows"])
    return sections


# ---------------------------------------------------------------------------------------------
# Issuing a report
# ---------------------------------------------------------------------------------------------
class ReportIssueForm(forms.Form):
    scope = forms.ChoiceField(label=_("Scope"), choices=ReportScope.choices)
    organization = forms.ModelChoiceField(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("For an organization's report."),
    )
    period = forms.ChoiceField(label=_("Period"), choices=ReportPeriod.choices)
    period_start = forms.DateField(
        label=_("First day"), help_text=_("A Monday for a week, the 1st for a month.")
    )
    period_end = forms.DateField(
        label=_("Last day"), required=False, help_text=_("For chosen dates only.")
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        roles = actor_roles(actor)
        organizations = organization_list()
        if not roles.is_superuser:
            supervised = [org for org, role in roles.roles.items() if role == Role.SUPERVISOR]
            organizations = organizations.filter(pk__in=supervised)
        field: Any = self.fields["organization"]
        field.queryset = organizations.order_by("name")


@admin.register(StatusReport)
class StatusReportAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "scope",
        "organization",
        "period",
        "period_start",
        "period_end",
        "issued_at",
        "issued_by",
    ]
    list_filter = ["scope", "period"]
    list_select_related = ["organization", "issued_by"]
    date_hierarchy = "period_start"
    ordering = ["-period_end", "-issued_at", "-id"]
    change_list_template = "admin/reports/statusreport/change_list.html"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reads(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued through the issue page, computed by the service

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusReport]:
        return report_visible_to(actor=request_actor(request))

    def get_urls(self) -> list[URLPattern]:
        def view(fn: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
            return self.admin_site.admin_view(fn)

        return [
            path("issue/", view(self.issue_view), name="reports_statusreport_issue"),
            path(
                "<path:object_id>/csv/",
                view(self.download_view),
                {"extension": "csv"},
                name="reports_statusreport_csv",
            ),
            path(
                "<path:object_id>/xlsx/",
                view(self.download_view),
                {"extension": "xlsx"},
                name="reports_statusreport_xlsx",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "can_issue": _issues(request)}
        return super().changelist_view(request, extra)

    def _report(self, request: HttpRequest, object_id: str) -> StatusReport:
        if not _reads(request):
            raise PermissionDenied
        try:
            return report_get(actor=request_actor(request), report_id=object_id)
        except NotFound as exc:
            raise Http404(gettext("No such report.")) from exc

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The report page: its figures as the user may see them, never a form."""
        report = self._report(request, object_id)
        figures = figures_as_seen(report, request_actor(request))
        name = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Status report: %(report)s") % {"report": report},
            "report": report,
            "figures": figures,
            "suppressed": figures.get("suppressed", False),
            "sections": _sections(figures),
            "published": figures.get("published_figures") or [],
            "csv_url": reverse(f"{name}:reports_statusreport_csv", args=[report.pk]),
            "xlsx_url": reverse(f"{name}:reports_statusreport_xlsx", args=[report.pk]),
            "small_cell": hidden_label(),
        }
        return TemplateResponse(request, "admin/reports/statusreport/report.html", context)

    def download_view(self, request: HttpRequest, object_id: str, extension: str) -> HttpResponse:
        report = self._report(request, object_id)
        download = services.report_download(
            actor=request_actor(request), report=report, extension=extension
        )
        response = HttpResponse(download.content, content_type=download.media_type)
        response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
        return response

    def issue_view(self, request: HttpRequest) -> HttpResponse:
        if not _issues(request):
            raise PermissionDenied
        actor = request_actor(request)
        form = ReportIssueForm(request.POST or None, actor=actor)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                period = services.period_checked(
                    kind=data["period"], start=data["period_start"], end=data["period_end"]
                )
                report = services.report_issue(
                    actor=actor,
                    scope=data["scope"],
                    organization=data["organization"],
                    period=period,
                )
            except DomainError as refused:
                for field, problems in (refused.fields or {}).items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
                if not refused.fields:
                    form.add_error(None, str(refused.detail))
            else:
                messages.success(request, gettext("The report was issued."))
                return HttpResponseRedirect(
                    reverse(f"{self.admin_site.name}:reports_statusreport_change", args=[report.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Issue a status report"),
            "form": form,
        }
        return TemplateResponse(request, "admin/reports/statusreport/issue.html", context)

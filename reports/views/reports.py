"""REST API of status reports: thin views over ``reports.selectors.reports``,
``reports.services.reports`` and ``reports.exports``.

Every answer shows the figures as its reader may see them (``figures_as_seen``): exact for the
members of the report's own organization, small counts hidden for everyone else. A report the
reader may not read is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.serializers import BaseSerializer

from accounts.authentication import request_actor
from accounts.models import Organization
from accounts.selectors import organization_list
from core.api import (
    PAGE_SIZE_PARAMETER,
    CursorPagination,
    StrictQueryParamsMixin,
    error_responses,
    response_header,
    response_headers,
)
from core.errors import ValidationFailed
from idempotency.views import IdempotentPostMixin

from .. import exports
from ..filtersets.reports import StatusReportFilterSet
from ..models import StatusReport
from ..selectors.reports import report_visible_to
from ..serializers.reports import (
    ReportIssueInputSerializer,
    StatusReportDetailSerializer,
    StatusReportSerializer,
)
from ..services import reports as services

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _(
        "Invalid input: a body field or a query parameter (unknown parameters included). "
        "`fields` names each."
    ),
    401: _(
        "No valid credentials: send `Authorization: Api-Key <key>`, `Authorization: Token "
        "<key>` or a session cookie."
    ),
    403: _("Your role does not issue this report (`report_issue_denied`)."),
    404: _("No such report, or not one you may read."),
    409: _("`report_exists`: this week's or month's report is already issued; read it."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(_ERROR_DESCRIPTIONS, *codes)


REPORT_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The report's id.")
)
ATTACHMENT = response_headers(
    **{
        "Content-Disposition": response_header(
            _("`attachment`, with the report's scope and period in the file name.")
        )
    }
)


class ReportPagination(CursorPagination):
    """The latest issued first."""

    ordering = ("-issued_at", "-id")


class StatusReportViewSet(
    IdempotentPostMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[StatusReport],
):
    """Status reports: counts of cases by status, the period's flows, follow-ups, services and
    more, as issued (weekly and monthly on schedule, or on demand). No personal data."""

    filterset_class = StatusReportFilterSet
    pagination_class = ReportPagination
    ordering = ["-issued_at", "-id"]

    def get_queryset(self) -> QuerySet[StatusReport]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return StatusReport.objects.none()
        return report_visible_to(actor=request_actor(self.request))

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return StatusReportSerializer if self.action == "list" else StatusReportDetailSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "actor": request_actor(self.request)}

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers with its file whatever the client accepts; errors are JSON.
        return super().perform_content_negotiation(
            request, force=force or getattr(self, "action", None) in {"csv", "xlsx"}
        )

    @extend_schema(
        operation_id="reports_list",
        summary=_("List status reports"),
        description=_(
            "The reports you may read, the latest issued first: your organization's and the "
            "registry's (coordinators, auditors: every organization's). Without figures: read "
            "a report for them."
        ),
        parameters=[PAGE_SIZE_PARAMETER],
        responses={200: StatusReportSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="reports_retrieve",
        summary=_("Read a status report"),
        description=_(
            "The report's figures as you may see them: exact for members of its organization, "
            'counts from 1 to 4 shown as "<5" for everyone else (`suppressed`).'
        ),
        parameters=[REPORT_ID],
        responses={200: StatusReportDetailSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="reports_create",
        summary=_("Issue a status report"),
        description=_(
            "Supervisors issue their organization's report, coordinators the registry's. A "
            "`week` starts on a Monday and a `month` on the 1st (their end follows); `custom` "
            "needs `period_end`, at most 366 days after the start. Not starting in the future. "
            "Figures are computed now and kept."
        ),
        request=ReportIssueInputSerializer,
        responses={201: StatusReportDetailSerializer, **errors(400, 401, 403, 409)},
        extensions=response_headers(
            Location=response_header(
                _("The new report's URL."), {"type": "string", "format": "uri"}
            )
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ReportIssueInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        period = services.period_checked(
            kind=data["period"], start=data["period_start"], end=data.get("period_end")
        )
        report = services.report_issue(
            actor=request_actor(request),
            scope=data["scope"],
            organization=_organization(data.get("organization")),
            period=period,
        )
        written = self.get_queryset().get(pk=report.pk)
        response = Response(
            StatusReportDetailSerializer(written, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )
        response["Location"] = reverse("report-detail", args=[report.pk], request=request)
        return response

    def _download(self, request: Request, extension: str) -> HttpResponse:
        download = services.report_download(
            actor=request_actor(request), report=self.get_object(), extension=extension
        )
        response = HttpResponse(download.content, content_type=download.media_type)
        response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
        return response

    @extend_schema(
        operation_id="reports_csv",
        summary=_("Download a status report as CSV"),
        description=_(
            "The figures as you may see them, one a row: section, key, subkey, value. "
            "Recorded in the audit trail as a download."
        ),
        parameters=[REPORT_ID],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=_("The CSV file.")),
            **errors(400, 401, 404),
        },
        extensions=ATTACHMENT,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def csv(self, request: Request, pk: str | None = None) -> HttpResponse:
        return self._download(request, "csv")

    @extend_schema(
        operation_id="reports_xlsx",
        summary=_("Download a status report as an XLSX workbook"),
        description=_(
            "The CSV's rows in one sheet, numbers as numbers. Recorded in the audit trail as "
            "a download."
        ),
        parameters=[REPORT_ID],
        responses={
            (200, exports.XLSX_MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description=_("The workbook.")
            ),
            **errors(400, 401, 404),
        },
        extensions=ATTACHMENT,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def xlsx(self, request: Request, pk: str | None = None) -> HttpResponse:
        return self._download(request, "xlsx")


def _organization(organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    found = organization_list().filter(pk=organization_id).first()
    if found is None:
        raise ValidationFailed.on("organization", gettext("No such organization."))
    return found

"""The audit API: the trail, read only, for auditors and superusers."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import (
    PAGE_SIZE_PARAMETER,
    CursorPagination,
    StrictFilterBackend,
    StrictQueryParamsMixin,
    error_responses,
)

from . import selectors, services
from .filters import AuditEventFilterSet
from .models import AuditEvent
from .permissions import CanReadAudit
from .serializers import AuditEventSerializer

_ERRORS: dict[int, Any] = {
    400: _("An invalid filter value, or an unknown query parameter; `fields` names each."),
    401: _("No valid credentials."),
    403: _("Only auditors and superusers read the audit trail (`permission_denied`)."),
    404: _("No such event."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(_ERRORS, *codes)


class AuditEventPagination(CursorPagination):
    ordering = ("-at", "-id")


class AuditEventViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[AuditEvent],
):
    """Audit events, newest first. Read only: events are never changed or deleted."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsAuthenticated, CanReadAudit]
    filterset_class = AuditEventFilterSet
    filter_backends = [StrictFilterBackend]
    pagination_class = AuditEventPagination

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return selectors.audit_event_list(actor=self.request.user)

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> NoReturn:
        if request.user.is_authenticated:
            services.record_denied(request, "read_audit")
        super().permission_denied(request, message=message, code=code)

    @extend_schema(
        operation_id="audit_events_list",
        summary=_("List audit events"),
        description=_(
            "Who did what to which record, when and through which door: every write, every "
            "read of a full record, every download, sign-in and refusal. Newest first."
        ),
        parameters=[PAGE_SIZE_PARAMETER],
        responses={200: AuditEventSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        # The trail holds children's names in its changes: reading it is recorded too.
        ids = [row["id"] for row in response.data["results"]]
        services.record_read(actor=request.user, records={AuditEvent: ids}, query=request.GET)
        return response

    @extend_schema(
        operation_id="audit_events_retrieve",
        summary=_("Read an audit event"),
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The event's id.")
            )
        ],
        responses={200: AuditEventSerializer, **errors(400, 401, 403, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_object()
        services.record_read(actor=request.user, of=event, records={AuditEvent: [event.pk]})
        return Response(self.get_serializer(event).data)

"""REST API of a user's reminders: thin views over ``reports.selectors.reminders`` and
``reports.services.reminders``.

Every signed-in actor (a person, a partner's API key) reads only their own reminders; another
user's reminder is a 404, so its existence is not revealed. Acknowledging and snoozing are
idempotent by nature (the same request twice leaves the reminder as the first left it), so
they take no ``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import request_actor
from core.api import PAGE_SIZE_PARAMETER, StrictQueryParamsMixin, error_responses

from ..filtersets.reminders import ReminderFilterSet
from ..models import Reminder
from ..selectors import reminders as selectors
from ..serializers.reminders import ReminderSerializer, ReminderSnoozeInputSerializer
from ..services import reminders as services

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _(
        "Invalid input: a body field or a query parameter (unknown parameters included). "
        "`fields` names each."
    ),
    401: _(
        "No valid credentials: send `Authorization: Api-Key <key>`, `Authorization: Token "
        "<key>` or a session cookie."
    ),
    404: _("No such reminder of yours."),
    409: _("The reminder is resolved: what it was about no longer needs you."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(_ERROR_DESCRIPTIONS, *codes)


ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The reminder's id.")
)


class ReminderViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Reminder],
):
    """The requesting user's reminders: list and read them, acknowledge or snooze one."""

    serializer_class = ReminderSerializer
    filterset_class = ReminderFilterSet
    # Filters only; the order is the pagination's (latest changed first).
    ordering_fields: list[str] = []
    lookup_value_regex = "[0-9]+"

    def get_queryset(self) -> QuerySet[Reminder]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's generation
            return Reminder.objects.none()
        return selectors.reminders_for(actor=request_actor(self.request), states=None)

    def filter_queryset(self, queryset: QuerySet[Any, Any]) -> QuerySet[Any, Any]:
        # The filters (and the default "open only") are the list's; a reminder is read and
        # acted on in any state.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(
        operation_id="reminders_list",
        summary=_("List your reminders"),
        description=_("Open ones unless `state` says otherwise."),
        parameters=[PAGE_SIZE_PARAMETER],
        responses={200: ReminderSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="reminders_retrieve",
        summary=_("Read one of your reminders"),
        parameters=[ID_PARAMETER],
        responses={200: ReminderSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        operation_id="reminders_acknowledge",
        summary=_("Acknowledge a reminder"),
        description=_("It leaves your open reminders, and comes back if what it is about changes."),
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: ReminderSerializer, **errors(400, 401, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        reminder = self.get_object()
        done = services.reminder_acknowledge(actor=request_actor(request), reminder_id=reminder.pk)
        return Response(self.get_serializer(done).data)

    @extend_schema(
        operation_id="reminders_snooze",
        summary=_("Snooze a reminder"),
        description=_(
            "It leaves your open reminders until `until`, or until what it is about changes."
        ),
        parameters=[ID_PARAMETER],
        request=ReminderSnoozeInputSerializer,
        responses={200: ReminderSerializer, **errors(400, 401, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def snooze(self, request: Request, pk: str | None = None) -> Response:
        reminder = self.get_object()
        serializer = ReminderSnoozeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = services.reminder_snooze(
            actor=request_actor(request),
            reminder_id=reminder.pk,
            until=serializer.validated_data["until"],
        )
        return Response(self.get_serializer(done).data)

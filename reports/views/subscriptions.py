"""REST API of the requesting user's own e-mail subscriptions: thin views over
``reports.selectors.subscriptions`` and ``reports.services.subscriptions``.

A subscription is keyed by its topic and frequency: subscribing again to the same one changes
its language (and organization) and starts it again if it was stopped. DELETE unsubscribes: the
row stays, stopped, so that a stopped digest stays stopped.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import request_actor
from core.api import StrictQueryParamsMixin, error_responses

from ..models import Subscription
from ..selectors.subscriptions import subscription_list
from ..serializers.subscriptions import (
    SubscriptionInputSerializer,
    SubscriptionSerializer,
    SubscriptionUpdateInputSerializer,
)
from ..services import subscriptions as services

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _("Invalid input: a body field or a query parameter. `fields` names each."),
    401: _(
        "No valid credentials: send `Authorization: Api-Key <key>`, `Authorization: Token "
        "<key>` or a session cookie."
    ),
    403: _("Your role does not receive this e-mail (`subscription_denied`)."),
    404: _("No such subscription of yours."),
}
SUBSCRIPTION_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The subscription's id.")
)


def errors(*codes: int) -> Any:
    return error_responses(_ERROR_DESCRIPTIONS, *codes)


class SubscriptionViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Subscription],
):
    """The e-mails you receive: summaries you subscribed to, and your daily digest."""

    serializer_class = SubscriptionSerializer
    lookup_value_regex = "[0-9]+"
    # A user has a handful of subscriptions: one page, no filters.
    pagination_class = None
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Subscription]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return Subscription.objects.none()
        return subscription_list(actor=request_actor(self.request))

    @extend_schema(
        operation_id="subscriptions_list",
        summary=_("List your e-mail subscriptions"),
        responses={200: SubscriptionSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="subscriptions_create",
        summary=_("Subscribe to an e-mail"),
        description=_(
            "Subscribing again to a topic at the same frequency changes its language (and "
            "organization) and starts it again if it was stopped: 200 instead of 201."
        ),
        request=SubscriptionInputSerializer,
        responses={
            201: SubscriptionSerializer,
            200: SubscriptionSerializer,
            **errors(400, 401, 403),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = SubscriptionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription, created = services.subscription_set(
            actor=request_actor(request), **serializer.validated_data
        )
        return Response(
            SubscriptionSerializer(subscription).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        operation_id="subscriptions_retrieve",
        summary=_("Read one of your e-mail subscriptions"),
        parameters=[SUBSCRIPTION_ID],
        responses={200: SubscriptionSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="subscriptions_partial_update",
        summary=_("Change the language of a subscription"),
        parameters=[SUBSCRIPTION_ID],
        request=SubscriptionUpdateInputSerializer,
        responses={200: SubscriptionSerializer, **errors(400, 401, 404)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        serializer = SubscriptionUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changed = services.subscription_language_set(
            actor=request_actor(request),
            subscription_id=subscription.pk,
            language=serializer.validated_data["language"],
        )
        return Response(SubscriptionSerializer(changed).data)

    @extend_schema(
        operation_id="subscriptions_destroy",
        summary=_("Unsubscribe"),
        description=_("Stops the e-mail; the subscription stays, stopped (`active`: false)."),
        parameters=[SUBSCRIPTION_ID],
        responses={204: None, **errors(400, 401, 404)},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        subscription = self.get_object()
        services.subscription_cancel(actor=request_actor(request), subscription_id=subscription.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

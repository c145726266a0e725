"""REST API of the duplicate review: the pairs of registry children identity matching found
alike, and the decision on each (the same child, merged; or different, kept for good).

Thin: the pairs come from ``cases.selectors_duplicates`` (only whoever may change both children
sees a pair), the decision is ``cases.services.duplicate_pair_decide``, errors are raised.
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
from audit import services as audit
from core.api import PAGE_SIZE_PARAMETER, CursorPagination, StrictQueryParamsMixin, error_responses
from idempotency.views import IdempotentPostMixin

from . import services
from .filters import DuplicatePairFilterSet
from .models import Case, DuplicatePair
from .selectors_duplicates import (
    duplicate_pair_get,
    duplicate_pair_views,
    duplicate_pairs_visible_to,
    pair_view_cases,
)
from .serializers_duplicates import DuplicateDecisionInputSerializer, DuplicatePairSerializer

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _(
        "Invalid input: a body field or a query parameter (unknown parameters included). "
        "`fields` names each."
    ),
    401: _(
        "No valid credentials: send `Authorization: Api-Key <key>`, `Authorization: Token "
        "<key>` or a session cookie."
    ),
    404: _("No such pair, or not one you may decide (it takes the right to change both children)."),
    409: _(
        "`duplicate_pair_decided`: decided already; `both_cases_open`: both children have an "
        "open case, close one as a duplicate first; `child_already_merged`; "
        "`merge_dates_conflict`: a case of the merged record was taken before the kept "
        "record's date of birth."
    ),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(_ERROR_DESCRIPTIONS, *codes)


PAIR_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The pair's id.")
)


class DuplicatePairPagination(CursorPagination):
    """The most recently found first."""

    ordering = ("-found_at", "-id")


class DuplicatePairViewSet(
    IdempotentPostMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[DuplicatePair],
):
    """Possible duplicates: list and read them with both children side by side, and decide."""

    filterset_class = DuplicatePairFilterSet
    pagination_class = DuplicatePairPagination
    serializer_class = DuplicatePairSerializer

    def get_queryset(self) -> QuerySet[DuplicatePair]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return DuplicatePair.objects.none()
        return duplicate_pairs_visible_to(actor=request_actor(self.request)).select_related(
            "decided_by"
        )

    def _render(self, pairs: list[DuplicatePair]) -> Any:
        views = duplicate_pair_views(actor=request_actor(self.request), pairs=pairs)
        return views, DuplicatePairSerializer(views, many=True).data

    @extend_schema(
        operation_id="duplicates_list",
        summary=_("List possible duplicates"),
        description=_(
            "Pairs of registry children identity matching found alike, each with both children "
            "side by side, the most recently found first. Only the pairs whose two children you "
            "may change (your organizations' cases; superusers: all). `decision=open` is the "
            "review queue."
        ),
        parameters=[PAGE_SIZE_PARAMETER],
        responses={200: DuplicatePairSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # the viewset always paginates
        views, data = self._render(list(page))
        audit.record_read(
            actor=request_actor(request),
            records={DuplicatePair: [pair.pk for pair in page], Case: pair_view_cases(views)},
            query=request.query_params,
        )
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="duplicates_retrieve",
        summary=_("Read a possible duplicate"),
        parameters=[PAIR_ID],
        responses={200: DuplicatePairSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pair = duplicate_pair_get(actor=request_actor(request), pair_id=kwargs["pk"])
        views, data = self._render([pair])
        audit.record_read(
            actor=request_actor(request),
            of=pair,
            records={DuplicatePair: [pair.pk], Case: pair_view_cases(views)},
        )
        return Response(data[0])

    @extend_schema(
        operation_id="duplicates_decide",
        summary=_("Decide a possible duplicate: the same child, or different"),
        description=_(
            "`same` merges the two records into `keep`: cases (with their evidence and "
            "history), aliases, whereabouts, relatives and external references move to it, the "
            "other record's name becomes an alias, and the other record stays as a pointer "
            "(`merged_into`). Refused (409 `both_cases_open`) while both children have an open "
            "case: close one as a duplicate first. `different` is kept: the pair is never "
            "proposed again. Each pair is decided once."
        ),
        parameters=[PAIR_ID],
        request=DuplicateDecisionInputSerializer,
        responses={200: DuplicatePairSerializer, **errors(400, 401, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def decide(self, request: Request, pk: str | None = None) -> Response:
        pair = duplicate_pair_get(actor=request_actor(request), pair_id=pk or "")
        serializer = DuplicateDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.duplicate_pair_decide(
            pair_id=pair.pk,
            actor=request_actor(request),
            decision=data["decision"],
            keep=data["keep"],
            note=data["note"],
        )
        decided = duplicate_pair_get(actor=request_actor(request), pair_id=pair.pk)
        _views, data = self._render([decided])
        return Response(data[0])

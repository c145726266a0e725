"""REST API of the case registry: thin views over ``cases.selectors`` and ``cases.services``.

Every read starts from a selector (visibility is decided there), every write is one service
call, and every error is raised, never built here: ``config.errors`` renders it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.serializers import BaseSerializer

from accounts.models import User
from config.api import StrictQueryParamsMixin
from config.errors import ValidationFailed

from . import selectors, services
from .filters import CaseFilterSet, FacilityFilterSet
from .models import Case, Facility, Oblast, Relative, Whereabouts
from .serializers import (
    CaseCreateInputSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    CaseUpdateInputSerializer,
    ErrorSerializer,
    FacilitySerializer,
    OblastSerializer,
    RelativeInputSerializer,
    RelativeSerializer,
    TimelineEntrySerializer,
    TransitionInputSerializer,
    WhereaboutsInputSerializer,
    WhereaboutsSerializer,
    case_rows,
)

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _(
        "Invalid input: a body field, a query parameter (unknown parameters included) or a "
        "workflow guard. `fields` names each."
    ),
    401: _("No valid credentials: send `Authorization: Token <key>` or a session cookie."),
    404: _("No such record, or not visible to you."),
    409: _("The request conflicts with the record's state (e.g. `transition_not_allowed`)."),
    412: _("`version` no longer matches: someone changed the case since you read it."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers of an operation, each with the shared error body."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in codes
    }


def _actor(request: Request) -> User:
    # IsAuthenticated lets only signed-in users this far.
    return cast(User, request.user)


@contextmanager
def _nested_fields(prefix: str, names: Iterable[str]) -> Iterator[None]:
    """Name the fields of a nested object as the request nests them (``child.given_name``).

    The services speak of the child's fields by their own names; the API body nests them.
    """
    try:
        yield
    except ValidationFailed as exc:
        nested = set(names)
        exc.fields = {
            (f"{prefix}.{name}" if name in nested else name): messages
            for name, messages in exc.fields.items()
        }
        head, sep, _rest = exc.detail.partition(": ")
        if sep and head in nested:
            exc.detail = f"{prefix}.{exc.detail}"
        raise


PAGE_SIZE_PARAMETER = OpenApiParameter(
    "page_size",
    {
        "type": "integer",
        "minimum": 1,
        "maximum": settings.API_MAX_PAGE_SIZE,
        "default": settings.API_PAGE_SIZE,
    },
    OpenApiParameter.QUERY,
    description=_("Rows per page."),
)


def ordering_parameter(fields: Iterable[str]) -> OpenApiParameter:
    return OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        enum=[term for field in fields for term in (field, f"-{field}")],
        description=_("Order by this field; a leading minus reverses it."),
    )


ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The case's id.")
)


class CaseViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Case],
):
    """Cases: list, open, read and change them; move them through the workflow.

    There is no PUT and no DELETE: a case is changed field by field and never deleted.
    """

    filterset_class = CaseFilterSet
    # Unique or near-unique columns only: cursor pagination pages by the first ordering field.
    ordering_fields = ["updated_at", "created_at", "number"]
    ordering = ["-updated_at", "-id"]

    def get_queryset(self) -> QuerySet[Case]:
        if self.action == "retrieve":
            return selectors.case_detail_queryset(actor=self.request.user)
        if self.action == "list":
            return selectors.case_list_rows(actor=self.request.user)  # type: ignore[return-value]
        return selectors.case_list(actor=self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return CaseListSerializer if self.action == "list" else CaseDetailSerializer

    def _case_response(self, case_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        case = selectors.case_get(actor=self.request.user, case_id=case_id)
        data = CaseDetailSerializer(case, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    @extend_schema(
        operation_id="cases_list",
        summary=_("List cases"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: CaseListSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Rows are read as plain values and rendered by ``case_rows`` (same output as
        # CaseListSerializer): a full page costs little more than its one query.
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # the viewset always paginates
        return self.get_paginated_response(case_rows(cast(list[dict[str, Any]], page)))

    @extend_schema(
        operation_id="cases_retrieve",
        summary=_("Read a case"),
        parameters=[ID_PARAMETER],
        responses={200: CaseDetailSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="cases_create",
        summary=_("Open a case for a new child"),
        request=CaseCreateInputSerializer,
        responses={201: CaseDetailSerializer, **errors(400, 401)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CaseCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        child_data = dict(data.pop("child"))
        aliases = [dict(alias) for alias in child_data.pop("aliases", [])]
        with _nested_fields("child", services.CHILD_FIELDS):
            case = services.case_create(
                actor=_actor(request), child_data=child_data, data=data, aliases=aliases
            )
        response = self._case_response(case.pk, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("case-detail", args=[case.pk], request=request)
        return response

    @extend_schema(
        operation_id="cases_partial_update",
        summary=_("Change a case and its child"),
        description=_(
            "Case fields and a partial `child` object. The status, return date and closure "
            "reason change only through `POST /cases/{id}/transition/`; naming them here is a "
            "400. With `version`, the change is refused (412) if the case changed since."
        ),
        parameters=[ID_PARAMETER],
        request=CaseUpdateInputSerializer,
        responses={200: CaseDetailSerializer, **errors(400, 401, 404, 412)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        serializer = CaseUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        child_data = data.pop("child", None)
        version = data.pop("version", None)
        with _nested_fields("child", services.CHILD_FIELDS):
            services.case_update(
                case=case,
                actor=_actor(request),
                data=data,
                child_data=child_data,
                expected_version=version,
            )
        return self._case_response(case.pk)

    @extend_schema(
        operation_id="cases_transition",
        summary=_("Move a case through the workflow"),
        description=_(
            "`to` is the target status; `allowed_transitions` on the case lists the moves the "
            "workflow allows now and the fields each requires (`reason`, `returned_on`, "
            "`closure_reason`). A move the workflow forbids is a 409 `transition_not_allowed`; "
            "a missing or invalid guard field is a 400 naming it."
        ),
        parameters=[ID_PARAMETER],
        request=TransitionInputSerializer,
        responses={200: CaseDetailSerializer, **errors(400, 401, 404, 409, 412)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def transition(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.case_transition(
            case_id=case.pk,
            to=data["to"],
            actor=_actor(request),
            reason=data["reason"],
            returned_on=data["returned_on"],
            closure_reason=data["closure_reason"],
            expected_version=data.get("version"),
        )
        return self._case_response(case.pk)

    # -- relatives ------------------------------------------------------------------------------
    @extend_schema(
        methods=["GET"],
        operation_id="cases_relatives_list",
        summary=_("List the child's relatives"),
        parameters=[ID_PARAMETER],
        responses={200: RelativeSerializer(many=True), **errors(400, 401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        operation_id="cases_relatives_create",
        summary=_("Add a relative of the child"),
        parameters=[ID_PARAMETER],
        request=RelativeInputSerializer,
        responses={201: RelativeSerializer, **errors(400, 401, 404)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def relatives(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        if request.method == "POST":
            serializer = RelativeInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            relative = services.relative_create(child=case.child, data=serializer.validated_data)
            return Response(RelativeSerializer(relative).data, status=status.HTTP_201_CREATED)
        return Response(RelativeSerializer(selectors.child_relatives(case=case), many=True).data)

    @extend_schema(
        operation_id="cases_relatives_partial_update",
        summary=_("Change a relative of the child"),
        parameters=[
            ID_PARAMETER,
            OpenApiParameter("relative_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=RelativeInputSerializer,
        responses={200: RelativeSerializer, **errors(400, 401, 404)},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"relatives/(?P<relative_id>[^/.]+)",
        url_name="relative-detail",
        filter_backends=[],
        pagination_class=None,
    )
    def relative_detail(
        self, request: Request, pk: str | None = None, relative_id: str | None = None
    ) -> Response:
        case = self.get_object()
        relative: Relative = get_object_or_404(selectors.child_relatives(case=case), pk=relative_id)
        serializer = RelativeInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        relative = services.relative_update(relative=relative, data=serializer.validated_data)
        return Response(RelativeSerializer(relative).data)

    # -- whereabouts ----------------------------------------------------------------------------
    @extend_schema(
        methods=["GET"],
        operation_id="cases_whereabouts_list",
        summary=_("List where the child has been, latest first"),
        parameters=[ID_PARAMETER],
        responses={200: WhereaboutsSerializer(many=True), **errors(400, 401, 404)},
    )
    @extend_schema(
        methods=["POST"],
        operation_id="cases_whereabouts_create",
        summary=_("Record where the child is or was"),
        description=_(
            "The latest record by `from_date` becomes the child's current whereabouts. "
            "`facility` refers to `/facilities/{id}/`; without `country` the facility's is used."
        ),
        parameters=[ID_PARAMETER],
        request=WhereaboutsInputSerializer,
        responses={201: WhereaboutsSerializer, **errors(400, 401, 404)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def whereabouts(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        if request.method == "POST":
            serializer = WhereaboutsInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            place = services.whereabouts_record(
                child=case.child, actor=_actor(request), data=serializer.validated_data
            )
            place = selectors.child_whereabouts(case=case).get(pk=place.pk)
            return Response(WhereaboutsSerializer(place).data, status=status.HTTP_201_CREATED)
        places = selectors.child_whereabouts(case=case)
        return Response(WhereaboutsSerializer(places, many=True).data)

    @extend_schema(
        operation_id="cases_whereabouts_partial_update",
        summary=_("Correct a whereabouts record"),
        parameters=[
            ID_PARAMETER,
            OpenApiParameter("whereabouts_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=WhereaboutsInputSerializer,
        responses={200: WhereaboutsSerializer, **errors(400, 401, 404)},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"whereabouts/(?P<whereabouts_id>[^/.]+)",
        url_name="whereabouts-detail",
        filter_backends=[],
        pagination_class=None,
    )
    def whereabouts_detail(
        self, request: Request, pk: str | None = None, whereabouts_id: str | None = None
    ) -> Response:
        case = self.get_object()
        places = selectors.child_whereabouts(case=case)
        place: Whereabouts = get_object_or_404(places, pk=whereabouts_id)
        serializer = WhereaboutsInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.whereabouts_update(whereabouts=place, data=serializer.validated_data)
        return Response(WhereaboutsSerializer(places.get(pk=place.pk)).data)

    # -- timeline -------------------------------------------------------------------------------
    @extend_schema(
        operation_id="cases_timeline",
        summary=_("The case's history, oldest first"),
        description=_("Status changes, whereabouts, support services and follow-ups."),
        parameters=[ID_PARAMETER],
        responses={200: TimelineEntrySerializer(many=True), **errors(400, 401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        entries = selectors.case_timeline(case=case)
        return Response(TimelineEntrySerializer(entries, many=True).data)


class FacilityViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Facility],
):
    """Places children are held or placed (read-only reference data)."""

    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[Facility]:
        return selectors.facility_list()

    @extend_schema(
        operation_id="facilities_list",
        summary=_("List facilities"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: FacilitySerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="facilities_retrieve",
        summary=_("Read a facility"),
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The facility's id.")
            )
        ],
        responses={200: FacilitySerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


class OblastViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Oblast],
):
    """The 27 first-level divisions of Ukraine by ISO 3166-2 code (read-only reference data)."""

    serializer_class = OblastSerializer
    lookup_field = "code"
    filter_backends: list[Any] = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[Oblast]:
        return selectors.oblast_list()

    @extend_schema(
        operation_id="oblasts_list",
        summary=_("List oblasts"),
        responses={200: OblastSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="oblasts_retrieve",
        summary=_("Read an oblast"),
        parameters=[
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description=_("ISO 3166-2 code, e.g. UA-14."),
            )
        ],
        responses={200: OblastSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

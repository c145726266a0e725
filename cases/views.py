"""REST API of the case registry: thin views over ``cases.selectors`` and ``cases.services``.

Every read starts from a selector (visibility is decided there), every write is one service
call, and every error is raised, never built here: ``core.errors`` renders it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

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
from rest_framework.views import APIView

from accounts.authentication import request_actor as _actor
from accounts.throttling import BulkReadThrottle
from audit import services as audit
from core.api import (
    PAGE_SIZE_PARAMETER,
    CursorPagination,
    StrictFilterBackend,
    StrictQueryParamsMixin,
    error_responses,
    ordering_parameter,
    response_header,
    response_headers,
    version_etag,
)
from core.api import if_match_version as core_if_match_version
from core.errors import PermissionDenied, ValidationFailed
from idempotency.views import IdempotentPostMixin

from . import selectors, services
from .exceptions import LikelyCandidatesFound, StaleVersion
from .filters import CaseFilterSet, CaseRemovalFilterSet, FacilityFilterSet
from .matching import Description
from .models import Case, CaseShare, ClosureRequest, Facility, Oblast, Relative, Whereabouts
from .selectors_matching import SeenCandidate, seen_candidate_cases
from .serializers import (
    CaseCountsSerializer,
    CaseCreateInputSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    CaseRemovalSerializer,
    CaseShareSerializer,
    CaseUpdateInputSerializer,
    ClosureDecisionInputSerializer,
    ClosureRequestInputSerializer,
    ClosureRequestSerializer,
    FacilitySerializer,
    OblastSerializer,
    ReasonInputSerializer,
    RelativeInputSerializer,
    RelativeSerializer,
    ShareInputSerializer,
    TimelineEntrySerializer,
    TransitionInputSerializer,
    WhereaboutsInputSerializer,
    WhereaboutsSerializer,
    case_rows,
)
from .serializers_matching import LikelyCandidatesErrorSerializer, SeenCandidateSerializer

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _(
        "Invalid input: a body field, a query parameter (unknown parameters included) or a "
        "workflow guard. `fields` names each."
    ),
    401: _(
        "No valid credentials: send `Authorization: Api-Key <key>`, `Authorization: Token "
        "<key>` or a session cookie."
    ),
    403: _("Your role does not allow this on a case you can see (`permission_denied`)."),
    404: _("No such record, or not visible to you."),
    409: _("The request conflicts with the record's state (e.g. `transition_not_allowed`)."),
    412: _(
        "`If-Match` (or `version`) no longer matches: someone changed the case since you "
        "read it. Read it again and re-apply your change."
    ),
    428: _("`If-Match` is missing: send the ETag of the case as you read it."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers of an operation, each with the shared error body."""
    return error_responses(_ERROR_DESCRIPTIONS, *codes)


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


ID_PARAMETER = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The case's id.")
)


IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=_(
        "The `ETag` of the case as you read it (from its detail or a previous write). A change "
        "made since is refused with 412; without the header, 428."
    ),
)


# Every answer with a case's full record carries its ETag.
ETAG_HEADER = response_header(
    _(
        'The case\'s entity tag, "<id>-<version>": send it in `If-Match` to change the case '
        "or move it through the workflow."
    )
)
CASE_ETAG = response_headers(ETag=ETAG_HEADER)


def case_scope(case: Case) -> str:
    return "full" if selectors.case_is_full(case) else "limited"


def _record_read(request: Request, case: Case, records: Mapping[Any, Iterable[Any]]) -> None:
    """Record the read of ``case``'s personal data that answering ``request`` makes."""
    audit.record_read(
        actor=_actor(request), of=case, records=records, metadata={"scope": case_scope(case)}
    )


def record_candidates_read(
    request: Request, seen: list[SeenCandidate], *, description: Description | None = None
) -> None:
    """Record the read that showing ``seen`` makes: the cases whose child it shows (none for a
    held candidate), and the names matched as keyed digests (never the names)."""
    words = (
        " ".join(
            part
            for part in (description.given_name, description.family_name, description.patronymic)
            if part
        )
        if description is not None
        else ""
    )
    audit.record_read(
        actor=_actor(request),
        records={Case: seen_candidate_cases(seen)},
        search=selectors.case_search_recorded(words),
        metadata={
            "kind": "identity_match",
            "candidates": len(seen),
            "held": sum(1 for c in seen if not c.visible),
        },
    )


def case_etag(case: Case) -> str:
    """The case's entity tag: its id and version, so any change to the case changes it."""
    return version_etag(case)


def if_match_version(request: Request, case: Case) -> int:
    """The case version the client last read, from ``If-Match`` (428 when missing, 412 when
    stale); the service compares it again under the row lock."""
    return core_if_match_version(request, case, stale=StaleVersion)


class CaseViewSet(
    IdempotentPostMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Case],
):
    """Cases: list, open, read and change them; move them through the workflow.

    There is no PUT and no DELETE: a case is changed field by field and never deleted.
    """

    filterset_class = CaseFilterSet
    throttle_classes = [BulkReadThrottle]
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
        return Response(data, status=status_code, headers={"ETag": case_etag(case)})

    def _expected_version(self, request: Request, case: Case, body_version: int | None) -> int:
        version = if_match_version(request, case)
        if body_version is not None and body_version != version:
            raise ValidationFailed.on(
                "version", str(_("Does not match the version named by If-Match."))
            )
        return version

    @extend_schema(
        operation_id="cases_list",
        summary=_("List cases"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: CaseListSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Rows are read as plain values and rendered by ``case_rows`` (same output as
        # CaseListSerializer): a full page costs little more than its one query.
        # The page's ids are read first, from the cases alone, then its rows for those ids
        # (``selectors.page_first``): the same plan for the first page and one 500,000 rows
        # deep, and a search matching thousands joins fifty rows, not all.
        listed = self.get_queryset()
        page = self.paginate_queryset(
            selectors.page_first(self.filter_queryset(listed), rows=listed)
        )
        assert page is not None  # the viewset always paginates
        rows = cast(list[dict[str, Any]], page)
        # Who listed or searched for what, and which cases came back: one insert.
        audit.record_read(
            actor=_actor(request),
            records={Case: [row["id"] for row in rows]},
            query=request.query_params,
            search=selectors.case_search_recorded(request.query_params.get("search", "")),
        )
        return self.get_paginated_response(case_rows(rows, actor=request.user))

    @extend_schema(
        operation_id="cases_retrieve",
        summary=_("Read a case"),
        parameters=[ID_PARAMETER],
        responses={200: CaseDetailSerializer, **errors(400, 401, 404)},
        extensions=CASE_ETAG,
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        # Every read of a child's full record is traceable to who read it.
        _record_read(request, case, {Case: [case.pk]})
        data = CaseDetailSerializer(case, context=self.get_serializer_context()).data
        return Response(data, headers={"ETag": case_etag(case)})

    @extend_schema(
        operation_id="cases_create",
        summary=_("Open a case for a new child"),
        description=_(
            "The child is first matched against the registry. When a likely candidate turns "
            "up, the case is not opened: the answer is 409 (`likely_candidates`) with the "
            "candidates as you may see them (likely and possible). Look at them; if the child "
            "is none of them, send the request again with `candidates_checked: true`."
        ),
        request=CaseCreateInputSerializer,
        responses={
            201: CaseDetailSerializer,
            **errors(400, 401, 403),
            409: OpenApiResponse(
                LikelyCandidatesErrorSerializer,
                description=_(
                    "The registry may already hold the child (`likely_candidates`): "
                    "`candidates` lists who it may be."
                ),
            ),
        },
        extensions=response_headers(
            ETag=ETAG_HEADER,
            Location=response_header(_("The new case's URL."), {"type": "string", "format": "uri"}),
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = CaseCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        child_data = dict(data.pop("child"))
        organization = data.pop("organization", None)
        candidates_checked = data.pop("candidates_checked", False)
        aliases = [dict(alias) for alias in child_data.pop("aliases", [])]
        try:
            with _nested_fields("child", services.CHILD_FIELDS):
                case = services.case_create(
                    actor=_actor(request),
                    child_data=child_data,
                    data=data,
                    aliases=aliases,
                    organization=organization,
                    candidates_checked=candidates_checked,
                )
        except LikelyCandidatesFound as refused:
            # The refusal shows the candidates: a read of the cases it names, like any other.
            seen: list[SeenCandidate] = list(refused.candidates)
            record_candidates_read(request, seen)
            refused.extra = {"candidates": SeenCandidateSerializer(seen, many=True).data}
            raise
        response = self._case_response(case.pk, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("case-detail", args=[case.pk], request=request)
        return response

    @extend_schema(
        operation_id="cases_partial_update",
        summary=_("Change a case and its child"),
        description=_(
            "Case fields and a partial `child` object. The status, return date and closure "
            "reason change only through `POST /cases/{id}/transition/`; naming them here is a "
            "400. `If-Match` carries the case's ETag as you read it: a change made since is "
            "refused (412), and a change without it too (428). Assigning takes a supervisor."
        ),
        parameters=[ID_PARAMETER, IF_MATCH_PARAMETER],
        request=CaseUpdateInputSerializer,
        responses={200: CaseDetailSerializer, **errors(400, 401, 403, 404, 412, 428)},
        extensions=CASE_ETAG,
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        serializer = CaseUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        child_data = data.pop("child", None)
        version = self._expected_version(request, case, data.pop("version", None))
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
            "`to` is the target status; `allowed_transitions` on the case lists the moves you "
            "may make now and the fields each requires (`reason`, `returned_on`, "
            "`closure_reason`). A move the workflow forbids is a 409 `transition_not_allowed`; "
            "a missing or invalid guard field is a 400 naming it. Closing and reopening take a "
            "supervisor (403 `closure_needs_approval`: a caseworker requests the closure). "
            "`If-Match` as for changes."
        ),
        parameters=[ID_PARAMETER, IF_MATCH_PARAMETER],
        request=TransitionInputSerializer,
        responses={200: CaseDetailSerializer, **errors(400, 401, 403, 404, 409, 412, 428)},
        extensions=CASE_ETAG,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def transition(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = self._expected_version(request, case, data.get("version"))
        services.case_transition(
            case_id=case.pk,
            to=data["to"],
            actor=_actor(request),
            reason=data["reason"],
            returned_on=data["returned_on"],
            closure_reason=data["closure_reason"],
            expected_version=version,
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
        responses={201: RelativeSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def relatives(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        if request.method == "POST":
            serializer = RelativeInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            relative = services.relative_create(
                child=case.child, actor=_actor(request), data=serializer.validated_data
            )
            return Response(RelativeSerializer(relative).data, status=status.HTTP_201_CREATED)
        relatives = selectors.relatives_as_seen(case=case)
        _record_read(request, case, {Relative: [relative.pk for relative in relatives]})
        return Response(RelativeSerializer(relatives, many=True).data)

    @extend_schema(
        operation_id="cases_relatives_partial_update",
        summary=_("Change a relative of the child"),
        parameters=[
            ID_PARAMETER,
            OpenApiParameter("relative_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=RelativeInputSerializer,
        responses={200: RelativeSerializer, **errors(400, 401, 403, 404)},
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
        relative = services.relative_update(
            relative=relative, actor=_actor(request), data=serializer.validated_data
        )
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
        responses={201: WhereaboutsSerializer, **errors(400, 401, 403, 404)},
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
        places = list(selectors.child_whereabouts(case=case))
        _record_read(request, case, {Whereabouts: [place.pk for place in places]})
        return Response(WhereaboutsSerializer(places, many=True).data)

    @extend_schema(
        operation_id="cases_whereabouts_partial_update",
        summary=_("Correct a whereabouts record"),
        parameters=[
            ID_PARAMETER,
            OpenApiParameter("whereabouts_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=WhereaboutsInputSerializer,
        responses={200: WhereaboutsSerializer, **errors(400, 401, 403, 404)},
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
        services.whereabouts_update(
            whereabouts=place, actor=_actor(request), data=serializer.validated_data
        )
        return Response(WhereaboutsSerializer(places.get(pk=place.pk)).data)

    # -- shares ---------------------------------------------------------------------------------
    def _internals(self) -> Case:
        """The case, for reading or changing its shares and closure requests: 403 for an
        organization it is shared with (which sees the case, not who else does)."""
        case = self.get_object()
        if not selectors.case_can_see_internals(self.request.user, case):
            raise PermissionDenied()
        return case

    @extend_schema(
        methods=["GET"],
        operation_id="cases_shares_list",
        summary=_("List the case's shares, live and past"),
        parameters=[ID_PARAMETER],
        responses={200: CaseShareSerializer(many=True), **errors(400, 401, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        operation_id="cases_shares_create",
        summary=_("Share the case with another organization"),
        description=_(
            "A supervisor of the owning organization shares the case, `full` or `limited` "
            "(birth year instead of the date, no relatives' contacts, no documents), with a "
            "reason, the consent it rests on and an optional expiry. One live share per "
            "organization (409 `share_exists`)."
        ),
        parameters=[ID_PARAMETER],
        request=ShareInputSerializer,
        responses={201: CaseShareSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def shares(self, request: Request, pk: str | None = None) -> Response:
        case = self._internals()
        if request.method == "POST":
            serializer = ShareInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            share = services.case_share_create(
                case=case, actor=_actor(request), **serializer.validated_data
            )
            share = selectors.case_shares(case=case).get(pk=share.pk)
            return Response(CaseShareSerializer(share).data, status=status.HTTP_201_CREATED)
        shares = list(selectors.case_shares(case=case))
        _record_read(request, case, {CaseShare: [share.pk for share in shares]})
        return Response(CaseShareSerializer(shares, many=True).data)

    @extend_schema(
        operation_id="cases_shares_revoke",
        summary=_("Revoke a share"),
        parameters=[
            ID_PARAMETER,
            OpenApiParameter("share_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=ReasonInputSerializer,
        responses={200: CaseShareSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"shares/(?P<share_id>[0-9]+)/revoke",
        url_name="share-revoke",
        filter_backends=[],
        pagination_class=None,
    )
    def share_revoke(
        self, request: Request, pk: str | None = None, share_id: str | None = None
    ) -> Response:
        case = self._internals()
        share: CaseShare = get_object_or_404(selectors.case_shares(case=case), pk=share_id)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.case_share_revoke(
            share=share, actor=_actor(request), reason=serializer.validated_data["reason"]
        )
        return Response(CaseShareSerializer(selectors.case_shares(case=case).get(pk=share.pk)).data)

    # -- closure requests -----------------------------------------------------------------------
    @extend_schema(
        methods=["GET"],
        operation_id="cases_closure_requests_list",
        summary=_("List the case's closure requests"),
        parameters=[ID_PARAMETER],
        responses={200: ClosureRequestSerializer(many=True), **errors(400, 401, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        operation_id="cases_closure_requests_create",
        summary=_("Ask a supervisor to close the case"),
        description=_(
            "A caseworker requests the closure with its reason; a supervisor of the owning "
            "organization approves (the case closes) or rejects it. One pending request per "
            "case (409 `closure_request_pending`)."
        ),
        parameters=[ID_PARAMETER],
        request=ClosureRequestInputSerializer,
        responses={201: ClosureRequestSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="closure-requests",
        url_name="closure-requests",
        filter_backends=[],
        pagination_class=None,
    )
    def closure_requests(self, request: Request, pk: str | None = None) -> Response:
        case = self._internals()
        if request.method == "POST":
            serializer = ClosureRequestInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            closure = services.closure_request_create(
                case_id=case.pk, actor=_actor(request), **serializer.validated_data
            )
            closure = selectors.case_closure_requests(case=case).get(pk=closure.pk)
            return Response(ClosureRequestSerializer(closure).data, status=status.HTTP_201_CREATED)
        requests = list(selectors.case_closure_requests(case=case))
        _record_read(request, case, {ClosureRequest: [closure.pk for closure in requests]})
        return Response(ClosureRequestSerializer(requests, many=True).data)

    def _closure_decide(
        self, request: Request, request_id: str | None, *, approve: bool
    ) -> Response:
        case = self._internals()
        closure: ClosureRequest = get_object_or_404(
            selectors.case_closure_requests(case=case), pk=request_id
        )
        serializer = ClosureDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.closure_request_decide(
            request_id=closure.pk,
            actor=_actor(request),
            approve=approve,
            note=serializer.validated_data["note"],
        )
        closure = selectors.case_closure_requests(case=case).get(pk=closure.pk)
        return Response(ClosureRequestSerializer(closure).data)

    @extend_schema(
        operation_id="cases_closure_requests_approve",
        summary=_("Approve a closure request: the case closes"),
        parameters=[
            ID_PARAMETER,
            OpenApiParameter("request_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=ClosureDecisionInputSerializer,
        responses={200: ClosureRequestSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"closure-requests/(?P<request_id>[0-9]+)/approve",
        url_name="closure-request-approve",
        filter_backends=[],
        pagination_class=None,
    )
    def closure_request_approve(
        self, request: Request, pk: str | None = None, request_id: str | None = None
    ) -> Response:
        return self._closure_decide(request, request_id, approve=True)

    @extend_schema(
        operation_id="cases_closure_requests_reject",
        summary=_("Reject a closure request"),
        parameters=[
            ID_PARAMETER,
            OpenApiParameter("request_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=ClosureDecisionInputSerializer,
        responses={200: ClosureRequestSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"closure-requests/(?P<request_id>[0-9]+)/reject",
        url_name="closure-request-reject",
        filter_backends=[],
        pagination_class=None,
    )
    def closure_request_reject(
        self, request: Request, pk: str | None = None, request_id: str | None = None
    ) -> Response:
        return self._closure_decide(request, request_id, approve=False)

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
        _record_read(request, case, selectors.timeline_records(entries))
        return Response(TimelineEntrySerializer(entries, many=True).data)


class CaseRemovalPagination(CursorPagination):
    ordering = ("left_at", "id")


class CaseRemovalViewSet(
    StrictQueryParamsMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Case]
):
    """Cases that left the reader's sight since a time: what a sync client deletes."""

    serializer_class = CaseRemovalSerializer
    filterset_class = CaseRemovalFilterSet
    filter_backends = [StrictFilterBackend]
    pagination_class = CaseRemovalPagination
    throttle_classes = [BulkReadThrottle]

    def get_queryset(self) -> QuerySet[Case]:
        return selectors.case_removals(actor=self.request.user)  # type: ignore[return-value]

    @extend_schema(
        operation_id="case_removals_list",
        summary=_("List the cases that left your sight since a time"),
        description=_(
            "For synchronisation, beside `GET /cases/?updated_since=`: the cases you saw through "
            "a share that was revoked or expired at or after `since`, and that you no longer "
            "see by any other way (a case shared again, or owned by your organization, is not "
            "listed). Oldest first; each case once, with its latest removal. Ids and numbers "
            "only: delete these cases from your copy."
        ),
        parameters=[PAGE_SIZE_PARAMETER],
        responses={200: CaseRemovalSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class FacilityViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Facility],
):
    """Places children are held or placed (read-only reference data)."""

    serializer_class = FacilitySerializer
    filterset_class = FacilityFilterSet
    throttle_classes = [BulkReadThrottle]
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


class CaseCountsView(StrictQueryParamsMixin, APIView):
    """Counts of cases across the registry, without personal data."""

    @extend_schema(
        operation_id="case_counts",
        summary=_("Count cases by status, phase, oblast of origin and current country"),
        description=_(
            "For coordinators, supervisors, caseworkers and auditors: every case in the "
            "registry is counted, and no child's personal data is returned. The counts are "
            "kept rather than counted on each request: `as_of` says when they were counted, "
            "at most CASE_COUNTS_MAX_AGE seconds (5 minutes unless the deployment sets it) "
            "before the request."
        ),
        responses={200: CaseCountsSerializer, **errors(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        counts = selectors.case_counts(actor=request.user)
        return Response(CaseCountsSerializer(counts).data)

"""REST API of meetings, joint statements, resolutions and votes: thin views over
``coalition.selectors.meetings`` and ``coalition.services.meetings``.

Every record carries a ``version``: its answers carry ``ETag: "<id>-<version>"``, and every
change (PATCH, the votes' PUT, the roll call's POST) needs it in ``If-Match``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from accounts.throttling import BulkReadThrottle
from core.api import (
    PAGE_SIZE_PARAMETER,
    ordering_parameter,
    response_header,
    response_headers,
)

from ..filtersets.meetings import MeetingFilterSet, ResolutionFilterSet, StatementFilterSet
from ..models import Meeting, Resolution, Statement
from ..selectors import meetings as selectors
from ..serializers.meetings import (
    MeetingInputSerializer,
    MeetingSerializer,
    MeetingUpdateInputSerializer,
    ResolutionDetailSerializer,
    ResolutionInputSerializer,
    ResolutionSerializer,
    ResolutionUpdateInputSerializer,
    RollCallInputSerializer,
    StatementInputSerializer,
    StatementSerializer,
    StatementUpdateInputSerializer,
    VotesInputSerializer,
)
from ..services import meetings as services
from .common import (
    ETAG,
    IF_MATCH_PARAMETER,
    CoalitionRecordViewSet,
    actor_of,
    errors,
    id_parameter,
)

CREATED = response_headers(
    ETag=response_header(
        _('The record\'s entity tag, "<id>-<version>": send it in `If-Match` to change it.')
    ),
    Location=response_header(_("The new record's URL."), {"type": "string", "format": "uri"}),
)
ORDERING_FIELDS = ["updated_at", "created_at"]


class _RecordViewSet(CoalitionRecordViewSet):
    """What the three collections share beyond the coalition's base: bulk reads throttled,
    the latest changed first."""

    throttle_classes = [BulkReadThrottle]
    ordering_fields = ORDERING_FIELDS
    ordering = ["-updated_at", "-id"]


# ---------------------------------------------------------------------------------------------
# Meetings
# ---------------------------------------------------------------------------------------------
MEETING_ID = id_parameter(_("The meeting's id."))


class MeetingViewSet(_RecordViewSet):
    """Meetings, calls, negotiation rounds and UN sessions: who took part, what came of them."""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilterSet
    input_serializer = MeetingInputSerializer
    update_serializer = MeetingUpdateInputSerializer
    detail_name = "coalition-meeting-detail"

    def get_queryset(self) -> QuerySet[Meeting]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return Meeting.objects.none()
        return selectors.meeting_list(actor=actor_of(self.request))

    @extend_schema(
        operation_id="coalition_meetings_list",
        summary=_("List meetings"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ORDERING_FIELDS)],
        responses={200: MeetingSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_meetings_create",
        summary=_("Record a meeting"),
        description=_(
            "Participants and host by code: any state (ISO 3166-1 alpha-2) or recorded "
            "organization, member of the coalition or not. A vague date is given as the first "
            "day of its period (`held_on`) with its `date_precision` and the reported words "
            "in `date_label` (e.g. 'late April 2023')."
        ),
        request=MeetingInputSerializer,
        responses={201: MeetingSerializer, **errors(400, 401, 403)},
        extensions=CREATED,
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(request, services.meeting_record)

    @extend_schema(
        operation_id="coalition_meetings_retrieve",
        summary=_("Read a meeting"),
        parameters=[MEETING_ID],
        responses={200: MeetingSerializer, **errors(400, 401, 403, 404)},
        extensions=ETAG,
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_meetings_partial_update",
        summary=_("Change a meeting"),
        parameters=[MEETING_ID, IF_MATCH_PARAMETER],
        request=MeetingUpdateInputSerializer,
        responses={200: MeetingSerializer, **errors(400, 401, 403, 404, 412, 428)},
        extensions=ETAG,
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, services.meeting_update, "meeting")


# ---------------------------------------------------------------------------------------------
# Joint statements
# ---------------------------------------------------------------------------------------------
STATEMENT_ID = id_parameter(_("The joint statement's id."))


class StatementViewSet(_RecordViewSet):
    """Joint statements: their demands and signatories, the count reported beside those
    entered."""

    serializer_class = StatementSerializer
    filterset_class = StatementFilterSet
    input_serializer = StatementInputSerializer
    update_serializer = StatementUpdateInputSerializer
    detail_name = "coalition-statement-detail"

    def get_queryset(self) -> QuerySet[Statement]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return Statement.objects.none()
        return selectors.statement_list(actor=actor_of(self.request))

    @extend_schema(
        operation_id="coalition_statements_list",
        summary=_("List joint statements"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ORDERING_FIELDS)],
        responses={200: StatementSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_statements_create",
        summary=_("Record a joint statement"),
        description=_(
            "Signatories by code; `signatories_claimed` is the count as reported, which may be "
            "more than those entered (never fewer)."
        ),
        request=StatementInputSerializer,
        responses={201: StatementSerializer, **errors(400, 401, 403)},
        extensions=CREATED,
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(request, services.statement_record)

    @extend_schema(
        operation_id="coalition_statements_retrieve",
        summary=_("Read a joint statement"),
        parameters=[STATEMENT_ID],
        responses={200: StatementSerializer, **errors(400, 401, 403, 404)},
        extensions=ETAG,
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_statements_partial_update",
        summary=_("Change a joint statement"),
        parameters=[STATEMENT_ID, IF_MATCH_PARAMETER],
        request=StatementUpdateInputSerializer,
        responses={200: StatementSerializer, **errors(400, 401, 403, 404, 412, 428)},
        extensions=ETAG,
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, services.statement_update, "statement")


# ---------------------------------------------------------------------------------------------
# Resolutions and votes
# ---------------------------------------------------------------------------------------------
RESOLUTION_ID = id_parameter(_("The resolution's id."))


class ResolutionViewSet(_RecordViewSet):
    """Resolutions put to a vote: the totals as reported, the votes entered per category, and
    each state's vote where known."""

    serializer_class = ResolutionSerializer
    filterset_class = ResolutionFilterSet
    input_serializer = ResolutionInputSerializer
    update_serializer = ResolutionUpdateInputSerializer
    detail_name = "coalition-resolution-detail"

    def get_queryset(self) -> QuerySet[Resolution]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return Resolution.objects.none()
        return selectors.resolution_list(
            actor=actor_of(self.request), with_votes=self.action != "list"
        )

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return ResolutionSerializer if self.action == "list" else ResolutionDetailSerializer

    @extend_schema(
        operation_id="coalition_resolutions_list",
        summary=_("List resolutions"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ORDERING_FIELDS)],
        responses={200: ResolutionSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_resolutions_create",
        summary=_("Record a resolution"),
        description=_(
            "The totals as reported (null: not reported). Votes are entered afterwards (PUT "
            "votes/, or a pasted roll call)."
        ),
        request=ResolutionInputSerializer,
        responses={201: ResolutionDetailSerializer, **errors(400, 401, 403)},
        extensions=CREATED,
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(request, services.resolution_record)

    @extend_schema(
        operation_id="coalition_resolutions_retrieve",
        summary=_("Read a resolution and its votes"),
        parameters=[RESOLUTION_ID],
        responses={200: ResolutionDetailSerializer, **errors(400, 401, 403, 404)},
        extensions=ETAG,
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_resolutions_partial_update",
        summary=_("Change a resolution"),
        description=_(
            "Totals are checked against the votes entered: none may fall below its entered "
            "count, and `roll_call_complete: true` needs every count equal to its total."
        ),
        parameters=[RESOLUTION_ID, IF_MATCH_PARAMETER],
        request=ResolutionUpdateInputSerializer,
        responses={200: ResolutionDetailSerializer, **errors(400, 401, 403, 404, 412, 428)},
        extensions=ETAG,
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, services.resolution_update, "resolution")

    @extend_schema(
        operation_id="coalition_resolutions_votes",
        summary=_("Enter states' votes"),
        description=_(
            "Each state named gets the vote given (null removes it); the others keep theirs. "
            "Refused, nothing written, when a category would hold more votes than its reported "
            "total, or when the roll call is complete and a count would differ from its total."
        ),
        parameters=[RESOLUTION_ID, IF_MATCH_PARAMETER],
        request=VotesInputSerializer,
        responses={200: ResolutionDetailSerializer, **errors(400, 401, 403, 404, 412, 428)},
        extensions=ETAG,
    )
    @action(detail=True, methods=["put"], url_path="votes", url_name="votes")
    def votes(self, request: Request, pk: str | None = None) -> Response:
        resolution = self.get_object()
        version = self.expected_version(request, resolution)
        serializer = VotesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.votes_set(
            resolution=resolution,
            votes=serializer.validated_data["votes"],
            actor=actor_of(request),
            expected_version=version,
        )
        return self.render_written(resolution)

    @extend_schema(
        operation_id="coalition_resolutions_roll_call",
        summary=_("Enter a pasted roll call"),
        description=_(
            "Country names per vote, English or Ukrainian, separated by commas, semicolons or "
            "line breaks (ISO codes and common short forms are read too). Every unknown name "
            "comes back named under its vote; a state under two votes is refused; nothing is "
            "written then."
        ),
        parameters=[RESOLUTION_ID, IF_MATCH_PARAMETER],
        request=RollCallInputSerializer,
        responses={200: ResolutionDetailSerializer, **errors(400, 401, 403, 404, 412, 428)},
        extensions=ETAG,
    )
    @action(detail=True, methods=["post"], url_path="roll-call", url_name="roll-call")
    def roll_call(self, request: Request, pk: str | None = None) -> Response:
        resolution = self.get_object()
        version = self.expected_version(request, resolution)
        serializer = RollCallInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.votes_from_text(
            resolution=resolution,
            actor=actor_of(request),
            expected_version=version,
            **serializer.validated_data,
        )
        return self.render_written(resolution)

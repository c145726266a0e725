"""REST API of the coalition's parties, reference data, members, projects and pledges: thin
views over ``coalition.selectors.members`` and ``coalition.services.members``.

Every coalition record has a version: detail and write answers carry ``ETag``, a PATCH (and a
pledge's transition) needs ``If-Match`` (428 without it, 412 when stale)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import (
    PAGE_SIZE_PARAMETER,
    StrictQueryParamsMixin,
    ordering_parameter,
)

from ..filtersets.members import MemberFilterSet, PartyFilterSet, PledgeFilterSet, ProjectFilterSet
from ..models import Commitment, Member, Party, Pledge, Project, ProjectArea
from ..selectors import members as selectors
from ..serializers.members import (
    CommitmentSerializer,
    MemberInputSerializer,
    MemberSerializer,
    MemberUpdateInputSerializer,
    OrganizationInputSerializer,
    OrganizationUpdateInputSerializer,
    PartySerializer,
    PledgeInputSerializer,
    PledgeSerializer,
    PledgeStatusChangeSerializer,
    PledgeTransitionInputSerializer,
    PledgeUpdateInputSerializer,
    ProjectAreaSerializer,
    ProjectInputSerializer,
    ProjectSerializer,
    ProjectUpdateInputSerializer,
)
from ..services import members as services
from ..services.common import normalized_party_code
from .common import (
    ETAG,
    IF_MATCH_PARAMETER,
    CoalitionReadMixin,
    CoalitionRecordViewSet,
    actor_of,
    errors,
    id_parameter,
)

CODE_PARAMETER = OpenApiParameter(
    "code",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=_("A state's ISO 3166-1 alpha-2 code or an organization's code."),
)
REFERENCE_CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("The record's code.")
)


# ---------------------------------------------------------------------------------------------
# Parties
# ---------------------------------------------------------------------------------------------
class PartyViewSet(CoalitionRecordViewSet):
    """States and international organizations the coalition deals with. A state appears once
    a record names it; organizations are recorded here."""

    serializer_class = PartySerializer
    input_serializer = OrganizationInputSerializer
    update_serializer = OrganizationUpdateInputSerializer
    detail_name = "coalition-party-detail"
    filterset_class = PartyFilterSet
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]{2,40}"
    ordering_fields = ["code", "updated_at"]
    ordering = ["kind", "code"]

    def get_queryset(self) -> QuerySet[Party]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's generation
            return Party.objects.none()
        return selectors.party_list(actor=actor_of(self.request))

    def get_object(self) -> Party:
        self.kwargs["code"] = normalized_party_code(str(self.kwargs["code"]))
        return super().get_object()

    @extend_schema(
        operation_id="coalition_parties_list",
        summary=_("List states and organizations"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: PartySerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_parties_create",
        extensions=ETAG,
        summary=_("Record an international organization"),
        description=_("States need no recording: a state is named by its country code."),
        request=OrganizationInputSerializer,
        responses={(201, "application/json"): PartySerializer, **errors(400, 401, 403, 409)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(request, services.organization_record)

    @extend_schema(
        operation_id="coalition_parties_retrieve",
        extensions=ETAG,
        summary=_("Read a state or organization"),
        parameters=[CODE_PARAMETER],
        responses={200: PartySerializer, **errors(400, 401, 403, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_parties_partial_update",
        extensions=ETAG,
        summary=_("Change an organization's names"),
        parameters=[CODE_PARAMETER, IF_MATCH_PARAMETER],
        request=OrganizationUpdateInputSerializer,
        responses={200: PartySerializer, **errors(400, 401, 403, 404, 412, 428)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, services.organization_update, "party")


# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------
class ProjectAreaViewSet(
    CoalitionReadMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[ProjectArea],
):
    """The six areas in which projects are proposed (reference data)."""

    serializer_class = ProjectAreaSerializer
    lookup_field = "code"
    lookup_value_regex = "[a-z0-9-]{1,50}"
    filter_backends: list[Any] = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[ProjectArea]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's generation
            return ProjectArea.objects.none()
        return selectors.project_area_list(actor=actor_of(self.request))

    @extend_schema(
        operation_id="coalition_areas_list",
        summary=_("List the project areas"),
        responses={200: ProjectAreaSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_areas_retrieve",
        summary=_("Read a project area"),
        parameters=[REFERENCE_CODE],
        responses={200: ProjectAreaSerializer, **errors(400, 401, 403, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


class CommitmentViewSet(
    CoalitionReadMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Commitment],
):
    """The declaration's four commitments (reference data)."""

    serializer_class = CommitmentSerializer
    lookup_field = "code"
    lookup_value_regex = "[a-z0-9-]{1,50}"
    filter_backends: list[Any] = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[Commitment]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's generation
            return Commitment.objects.none()
        return selectors.commitment_list(actor=actor_of(self.request))

    @extend_schema(
        operation_id="coalition_commitments_list",
        summary=_("List the declaration's commitments"),
        responses={200: CommitmentSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_commitments_retrieve",
        summary=_("Read a commitment of the declaration"),
        parameters=[REFERENCE_CODE],
        responses={200: CommitmentSerializer, **errors(400, 401, 403, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------
class MemberViewSet(CoalitionRecordViewSet):
    """Members of the coalition: states and organizations, their role, when they joined and
    left, the areas they act in and lead."""

    serializer_class = MemberSerializer
    input_serializer = MemberInputSerializer
    update_serializer = MemberUpdateInputSerializer
    detail_name = "coalition-member-detail"
    filterset_class = MemberFilterSet
    ordering_fields = ["joined_on", "updated_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Member]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's generation
            return Member.objects.none()
        return selectors.member_list(actor=actor_of(self.request))

    @extend_schema(
        operation_id="coalition_members_list",
        summary=_("List the coalition's members"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: MemberSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_members_create",
        extensions=ETAG,
        summary=_("Record a member"),
        description=_(
            "A state by its country code or a recorded organization by its code; one "
            "membership per party. `leads` names the area it leads, one of its `areas`."
        ),
        request=MemberInputSerializer,
        responses={(201, "application/json"): MemberSerializer, **errors(400, 401, 403, 409)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(request, services.member_record)

    @extend_schema(
        operation_id="coalition_members_retrieve",
        extensions=ETAG,
        summary=_("Read a member"),
        parameters=[id_parameter(_("The member's id."))],
        responses={(200, "application/json"): MemberSerializer, **errors(400, 401, 403, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_members_partial_update",
        extensions=ETAG,
        summary=_("Change a membership"),
        parameters=[id_parameter(_("The member's id.")), IF_MATCH_PARAMETER],
        request=MemberUpdateInputSerializer,
        responses={200: MemberSerializer, **errors(400, 401, 403, 404, 412, 428)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, services.member_update, "member")


# ---------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------
class ProjectViewSet(CoalitionRecordViewSet):
    """Projects in the six areas, led by a member, that members pledge to support."""

    serializer_class = ProjectSerializer
    input_serializer = ProjectInputSerializer
    update_serializer = ProjectUpdateInputSerializer
    detail_name = "coalition-project-detail"
    filterset_class = ProjectFilterSet
    ordering_fields = ["starts_on", "ends_on", "updated_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's generation
            return Project.objects.none()
        return selectors.project_list(actor=actor_of(self.request))

    @extend_schema(
        operation_id="coalition_projects_list",
        summary=_("List projects"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: ProjectSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_projects_create",
        extensions=ETAG,
        summary=_("Record a project"),
        description=_("A budget comes with its ISO 4217 currency, both or neither."),
        request=ProjectInputSerializer,
        responses={(201, "application/json"): ProjectSerializer, **errors(400, 401, 403)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(request, services.project_record)

    @extend_schema(
        operation_id="coalition_projects_retrieve",
        extensions=ETAG,
        summary=_("Read a project"),
        parameters=[id_parameter(_("The project's id."))],
        responses={(200, "application/json"): ProjectSerializer, **errors(400, 401, 403, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_projects_partial_update",
        extensions=ETAG,
        summary=_("Change a project"),
        parameters=[id_parameter(_("The project's id.")), IF_MATCH_PARAMETER],
        request=ProjectUpdateInputSerializer,
        responses={200: ProjectSerializer, **errors(400, 401, 403, 404, 412, 428)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, services.project_update, "project")


# ---------------------------------------------------------------------------------------------
# Pledges
# ---------------------------------------------------------------------------------------------
class PledgeViewSet(CoalitionRecordViewSet):
    """Members' pledges of money, goods or expertise, their status and its history. A pledge
    past its due date and neither delivered nor withdrawn is overdue."""

    serializer_class = PledgeSerializer
    input_serializer = PledgeInputSerializer
    update_serializer = PledgeUpdateInputSerializer
    detail_name = "coalition-pledge-detail"
    filterset_class = PledgeFilterSet
    ordering_fields = ["due_on", "pledged_on", "updated_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Pledge]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's generation
            return Pledge.objects.none()
        return selectors.pledge_list(actor=actor_of(self.request))

    @extend_schema(
        operation_id="coalition_pledges_list",
        summary=_("List pledges"),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: PledgeSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_pledges_create",
        extensions=ETAG,
        summary=_("Record a pledge"),
        description=_(
            "To a project (the pledge takes the project's area) or to an area. Money gives "
            "its amount and ISO 4217 currency. The pledge starts as `pledged`."
        ),
        request=PledgeInputSerializer,
        responses={(201, "application/json"): PledgeSerializer, **errors(400, 401, 403)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(request, services.pledge_record)

    @extend_schema(
        operation_id="coalition_pledges_retrieve",
        extensions=ETAG,
        summary=_("Read a pledge, with its status history"),
        parameters=[id_parameter(_("The pledge's id."))],
        responses={(200, "application/json"): PledgeSerializer, **errors(400, 401, 403, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_pledges_partial_update",
        extensions=ETAG,
        summary=_("Change what a pledge says"),
        description=_("Every field but the status (POST .../transition/ moves it)."),
        parameters=[id_parameter(_("The pledge's id.")), IF_MATCH_PARAMETER],
        request=PledgeUpdateInputSerializer,
        responses={200: PledgeSerializer, **errors(400, 401, 403, 404, 412, 428)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, services.pledge_update, "pledge")

    @extend_schema(
        operation_id="coalition_pledges_transition",
        extensions=ETAG,
        summary=_("Move a pledge along its workflow"),
        description=_(
            "pledged → in_progress → delivered; pledged or in_progress → withdrawn. Delivered "
            "and withdrawn are final: another move is a 409 `pledge_transition_not_allowed`."
        ),
        parameters=[id_parameter(_("The pledge's id.")), IF_MATCH_PARAMETER],
        request=PledgeTransitionInputSerializer,
        responses={200: PledgeSerializer, **errors(400, 401, 403, 404, 409, 412, 428)},
    )
    @action(detail=True, methods=["post"], url_path="transition", url_name="transition")
    def transition(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pledge = self.get_object()
        version = self.expected_version(request, pledge)
        serializer = PledgeTransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.pledge_transition(
            pledge=pledge,
            to_status=serializer.validated_data["to"],
            note=serializer.validated_data["note"],
            actor=actor_of(request),
            expected_version=version,
        )
        return self.render_written(pledge)

    @extend_schema(
        operation_id="coalition_pledges_history",
        summary=_("A pledge's status history"),
        parameters=[id_parameter(_("The pledge's id."))],
        responses={200: PledgeStatusChangeSerializer(many=True), **errors(400, 401, 403, 404)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="history",
        url_name="history",
        # The whole history, as one array: no pagination and not the pledges' filters.
        pagination_class=None,
        filter_backends=[],
    )
    def history(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pledge = self.get_object()
        return Response(PledgeStatusChangeSerializer(pledge.status_changes.all(), many=True).data)

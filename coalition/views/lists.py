"""Lists of named children and their entries in the API: thin views over
``coalition.services.lists`` and ``coalition.selectors.lists``.

A list is read by every coalition reader; its entries are rendered as the reader may see them
(``entries_as_seen``), and a read that shows names records one read event per request.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import (
    PAGE_SIZE_PARAMETER,
    CursorPagination,
    StrictQueryParamsMixin,
    if_match_version,
    ordering_parameter,
    version_etag,
)

from ..filtersets.lists import ChildListEntryFilterSet, ChildListFilterSet
from ..models import ChildList, ChildListEntry
from ..selectors import lists as selectors
from ..serializers.lists import (
    ChildListDetailSerializer,
    ChildListInputSerializer,
    ChildListSerializer,
    EntriesBulkInputSerializer,
    EntryInputSerializer,
    EntrySerializer,
)
from ..services import lists as services
from ..services.common import StaleRecord
from .common import (
    ETAG,
    IF_MATCH_PARAMETER,
    CoalitionReadMixin,
    CoalitionRecordViewSet,
    actor_of,
    errors,
    id_parameter,
)

LIST_ID = id_parameter(_("The list's id."))
ENTRY_ID = id_parameter(_("The entry's id."))
ENTRY_ORDERING = ["position", "updated_at"]

ENTRIES_INPUT = PolymorphicProxySerializer(
    component_name="ChildListEntriesInput",
    serializers=[EntryInputSerializer, EntriesBulkInputSerializer],
    resource_type_field_name=None,
)
ENTRIES_CREATED = PolymorphicProxySerializer(
    component_name="ChildListEntriesCreated",
    serializers=[
        EntrySerializer,
        inline_serializer("ChildListEntriesBulkCreated", {"entries": EntrySerializer(many=True)}),
    ],
    resource_type_field_name=None,
)


class EntryPagination(CursorPagination):
    ordering = ("position", "id")


class ChildListViewSet(CoalitionRecordViewSet):
    """Lists of named children handed over at meetings or named in statements."""

    queryset = ChildList.objects.none()  # the schema's; requests read get_queryset()
    lookup_value_regex = "[0-9]+"
    serializer_class = ChildListSerializer
    input_serializer = ChildListInputSerializer
    update_serializer = ChildListInputSerializer
    detail_name = "coalition-list-detail"
    filterset_class = ChildListFilterSet
    ordering_fields = ["handed_on", "created_at", "updated_at"]
    ordering = ["-handed_on", "-id"]
    list_actions = frozenset({"list", "entries"})

    def get_queryset(self) -> QuerySet[ChildList]:
        if getattr(self, "swagger_fake_view", False):
            # The schema: each action's model (the entries action's are entries).
            return self.queryset
        return selectors.child_list_list(actor=actor_of(self.request))

    def output_serializer_class(self) -> type[ChildListDetailSerializer]:
        return ChildListDetailSerializer

    def output_context(self, record: Any) -> dict[str, Any]:
        return {"summary": selectors.child_list_summary(child_list=record)}

    @extend_schema(
        operation_id="coalition_lists_list",
        summary=_("List the lists of named children"),
        description=_(
            "Every list with who handed it to whom and when, the count as claimed and the count "
            "of entries held. No names: the entries are read per list."
        ),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: ChildListSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_lists_create",
        summary=_("Record a list of named children"),
        description=_(
            "A list handed over at a meeting or named in a statement (one at least). The count "
            "as claimed with its qualifier: 'nearly 400' is 400 with 'nearly'."
        ),
        request=ChildListInputSerializer,
        responses={201: ChildListDetailSerializer, **errors(400, 401, 403)},
        extensions=ETAG,
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.record(request, services.child_list_create)

    @extend_schema(
        operation_id="coalition_lists_retrieve",
        summary=_("Read a list of named children"),
        description=_(
            "The list, with the entries held beside the count claimed and the entries by the "
            "outcome they show (a case returned in the registry counts as returned). No names."
        ),
        parameters=[LIST_ID],
        responses={200: ChildListDetailSerializer, **errors(400, 401, 403, 404)},
        extensions=ETAG,
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="coalition_lists_partial_update",
        summary=_("Change a list of named children"),
        parameters=[LIST_ID, IF_MATCH_PARAMETER],
        request=ChildListInputSerializer,
        responses={200: ChildListDetailSerializer, **errors(400, 401, 403, 404, 412, 428)},
        extensions=ETAG,
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.change(request, services.child_list_update, "child_list")

    @extend_schema(
        methods=["GET"],
        operation_id="coalition_lists_entries_list",
        summary=_("Read the entries of a list"),
        description=_(
            "The entries as you may see them: the name, date of birth and details as written "
            "only for an entry linked to a case you see (not the date of birth nor details "
            "through a limited share), or, unlinked, when you are of the list's organization, "
            "an auditor or a superuser. Every other entry shows its number and outcome only. "
            "A read that shows names is recorded in the audit trail."
        ),
        parameters=[LIST_ID, PAGE_SIZE_PARAMETER, ordering_parameter(ENTRY_ORDERING)],
        responses={200: EntrySerializer(many=True), **errors(400, 401, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        operation_id="coalition_lists_entries_create",
        summary=_("Add entries to a list"),
        description=_(
            'One entry, or `{"entries": [...]}` for several, all or none: a refused row '
            "refuses them all, each error named `entries.<index>.<field>`."
        ),
        parameters=[LIST_ID],
        request=ENTRIES_INPUT,
        responses={201: ENTRIES_CREATED, **errors(400, 401, 403, 404)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="entries",
        url_name="entries",
        queryset=ChildListEntry.objects.none(),
        filterset_class=ChildListEntryFilterSet,
        ordering_fields=ENTRY_ORDERING,
        ordering=["position", "id"],
        pagination_class=EntryPagination,
    )
    def entries(self, request: Request, pk: str | None = None) -> Response:
        # Not get_object(): this action's filters are the entries', not the lists'.
        child_list = get_object_or_404(ChildList.objects.all(), pk=pk)
        actor = actor_of(request)
        if request.method == "POST":
            return self._add_entries(request, child_list)
        rows: Any = self.filter_queryset(selectors.list_entries(child_list=child_list))
        page = self.paginate_queryset(rows)
        assert page is not None  # the action always paginates
        seen = selectors.entries_as_seen(actor=actor, child_list=child_list, entries=page)
        services.entries_read_record(
            actor=actor, child_list=child_list, seen=seen, query=request.query_params
        )
        return self.get_paginated_response(EntrySerializer(seen, many=True).data)

    def _add_entries(self, request: Request, child_list: ChildList) -> Response:
        actor = actor_of(request)
        bulk = isinstance(request.data, dict) and "entries" in request.data
        serializer: Any
        if bulk:
            serializer = EntriesBulkInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            rows = [dict(row) for row in serializer.validated_data["entries"]]
        else:
            serializer = EntryInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            rows = [dict(serializer.validated_data)]
        added = services.entries_add(actor=actor, child_list=child_list, rows=rows, bulk=bulk)
        written = list(
            selectors.list_entries(child_list=child_list).filter(
                pk__in=[entry.pk for entry in added]
            )
        )
        seen = selectors.entries_as_seen(actor=actor, child_list=child_list, entries=written)
        rendered = EntrySerializer(seen, many=True).data
        if bulk:
            return Response({"entries": rendered}, status=status.HTTP_201_CREATED)
        return Response(
            rendered[0],
            status=status.HTTP_201_CREATED,
            headers={"ETag": version_etag(written[0])},
        )


class ChildListEntryViewSet(
    CoalitionReadMixin, StrictQueryParamsMixin, viewsets.GenericViewSet[ChildListEntry]
):
    """One entry of a list: change its texts, number, outcome or case."""

    serializer_class = EntrySerializer
    lookup_value_regex = "[0-9]+"
    filter_backends: list[Any] = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[ChildListEntry]:
        return ChildListEntry.objects.all()

    @extend_schema(
        operation_id="coalition_list_entries_partial_update",
        summary=_("Change an entry of a list"),
        description=_(
            "Its outcome and outcome date, its case (null unlinks), its number or texts. An "
            "entry linked to a case is 'returned' only once the case is returned in the "
            "registry: move the case through its workflow. `If-Match` takes "
            '"<id>-<version>" of the entry as read in the list\'s entries.'
        ),
        parameters=[ENTRY_ID, IF_MATCH_PARAMETER],
        request=EntryInputSerializer,
        responses={200: EntrySerializer, **errors(400, 401, 403, 404, 412, 428)},
        extensions=ETAG,
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        entry: ChildListEntry = get_object_or_404(self.get_queryset(), pk=pk)
        serializer = EntryInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        expected = if_match_version(request, entry, stale=StaleRecord)
        actor = actor_of(request)
        services.entry_update(
            actor=actor,
            entry=entry,
            data=dict(serializer.validated_data),
            expected_version=expected,
        )
        child_list = ChildList.objects.get(pk=entry.child_list_id)
        written = selectors.list_entries(child_list=child_list).get(pk=entry.pk)
        seen = selectors.entries_as_seen(actor=actor, child_list=child_list, entries=[written])
        return Response(EntrySerializer(seen[0]).data, headers={"ETag": version_etag(written)})

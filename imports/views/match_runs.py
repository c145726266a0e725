"""REST API of match runs (``/api/v1/match-runs/``): thin views over
``imports.services.match_runs`` and ``imports.selectors.match_runs``.

A run is started by uploading a list (``multipart/form-data``, field ``file``) or by naming a
coalition list (JSON, ``child_list``); a small run answers done, a large one queued, and its
status shows the progress. Its results (JSON, or CSV) show each candidate as the reader may see
it at the time of reading, and every read of them is recorded. A run is seen by who ran it (and
superusers): anyone else's is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.authentication import request_actor
from coalition.selectors.lists import child_list_list
from core.api import (
    PAGE_SIZE_PARAMETER,
    CursorPagination,
    StrictQueryParamsMixin,
    error_responses,
    response_header,
    response_headers,
)
from core.errors import ValidationFailed
from core.parsers import JSONParser, MultiPartParser
from core.spreadsheets import CSV_MEDIA_TYPE
from core.uploads import use_streaming_upload_handlers
from idempotency.views import IdempotentPostMixin, UploadFingerprintMixin

from ..exceptions import FileTooLarge, MatchRunNotDone
from ..exports import results_csv
from ..models import MatchRun, MatchRunStatus
from ..selectors.match_runs import cases_shown, match_run_results, match_run_visible_to
from ..serializers.match_runs import (
    MatchRowSerializer,
    MatchRunConfirmedSerializer,
    MatchRunConfirmInputSerializer,
    MatchRunListInputSerializer,
    MatchRunResultsSerializer,
    MatchRunSerializer,
    MatchRunUploadSchemaSerializer,
)
from ..services import match_runs as services
from ..tabular import limit as table_limit

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _(
        "Invalid input: a body field or a query parameter (unknown parameters included), or a "
        "file that cannot be read (`file_refused` and the reader's code, e.g. `empty_file`, "
        "`unsupported_format`, `missing_columns`, `cell_too_long`: the message names the row "
        "and the column). `fields` names each."
    ),
    401: _(
        "No valid credentials: send `Authorization: Api-Key <key>`, `Authorization: Token "
        "<key>` or a session cookie."
    ),
    403: _(
        "Your role does not match lists (`match_run_denied`), or does not link this list's "
        "entries (`coalition_write_denied`)."
    ),
    404: _("No such run, or not one you ran."),
    409: _("`match_run_not_done`: the run is queued or running; read its status first."),
    413: _("`file_too_large`: the file is over the size limit, which the message names."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(_ERROR_DESCRIPTIONS, *codes)


RUN_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The run's id.")
)


class MatchRunPagination(CursorPagination):
    """The latest first."""

    ordering = ("-created_at", "-id")


class MatchRunViewSet(
    IdempotentPostMixin,
    UploadFingerprintMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[MatchRun],
):
    """Identity matching over a list: runs, their progress, results and confirmations."""

    serializer_class = MatchRunSerializer
    pagination_class = MatchRunPagination
    filter_backends: list[Any] = []

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body: the upload streams to a temporary file, under the
        # size limit.
        use_streaming_upload_handlers(
            request, limit=table_limit("MAX_FILE_BYTES"), refuse=FileTooLarge.over_limit
        )
        return super().initialize_request(request, *args, **kwargs)

    def get_parsers(self) -> list[BaseParser]:
        method = getattr(getattr(self, "request", None), "method", "")
        if method == "POST" and getattr(self, "action_map", {}).get("post") == "create":
            return [JSONParser(), MultiPartParser()]
        return [JSONParser()]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The CSV answers as CSV whatever the client accepts; its errors are JSON.
        return super().perform_content_negotiation(
            request, force=force or getattr(self, "action", None) == "csv"
        )

    def get_queryset(self) -> QuerySet[MatchRun]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return MatchRun.objects.none()
        return match_run_visible_to(actor=request_actor(self.request))

    @extend_schema(
        operation_id="match_runs_list",
        summary=_("List your match runs"),
        description=_("The runs you started, the latest first (superusers: every run)."),
        parameters=[PAGE_SIZE_PARAMETER],
        responses={200: MatchRunSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="match_runs_retrieve",
        summary=_("Read a match run's status"),
        description=_(
            "Its status (`queued`, `running`, `done`, `failed`) and progress (`rows_done` of "
            "`rows_total`). No personal data: read the results once it is done."
        ),
        parameters=[RUN_ID],
        responses={200: MatchRunSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="match_runs_create",
        summary=_("Match a list against the registry"),
        description=_(
            "Upload a list (`multipart/form-data`, field `file`), or name a coalition list of "
            "named children (JSON, `child_list`: its entries whose names you see). Up to 5 "
            "candidates a row. A list of up to 200 rows is matched at once and answers `done`; "
            "a longer one answers `queued` and is matched in the background: read the run "
            "for its progress. Who may: whoever reads cases or coordinates the coalition."
        ),
        request={
            "application/json": MatchRunListInputSerializer,
            "multipart/form-data": MatchRunUploadSchemaSerializer,
        },
        responses={201: MatchRunSerializer, **errors(400, 401, 403, 413)},
        extensions=response_headers(
            Location=response_header(_("The run's URL."), {"type": "string", "format": "uri"})
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = request_actor(request)
        upload = request.FILES.get("file")
        if upload is not None or request.content_type.startswith("multipart/"):
            unknown = sorted(set(request.data) - {"file"})
            if unknown:
                raise ValidationFailed(
                    gettext("Unknown field: %(names)s.") % {"names": ", ".join(unknown)},
                    fields={name: [gettext("Unknown field.")] for name in unknown},
                )
            if upload is None:
                raise ValidationFailed.on("file", gettext("Upload the list as `file`."))
            content = b"".join(upload.chunks())
            run = services.match_run_start_file(
                actor=actor, file_name=upload.name or "", content=content
            )
        else:
            serializer = MatchRunListInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            child_list = (
                child_list_list(actor=actor)
                .filter(pk=serializer.validated_data["child_list"])
                .first()
            )
            if child_list is None:
                raise ValidationFailed.on("child_list", gettext("No such list."))
            run = services.match_run_start_list(actor=actor, child_list=child_list)
        response = Response(MatchRunSerializer(run).data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("match-run-detail", args=[run.pk], request=request)
        return response

    def _finished(self) -> MatchRun:
        run = self.get_object()
        if run.status != MatchRunStatus.DONE:
            raise MatchRunNotDone()
        return run

    @extend_schema(
        operation_id="match_runs_results",
        summary=_("Read a match run's results"),
        description=_(
            "Each row (its number, the `ref` and `id` it came with, its problems) with its "
            "candidates, best first, as you may see them now: a child whose case you see in "
            "full or through a share (the year of birth only through a limited share), or, "
            "for a `likely` candidate held by an organization you do not see, only that "
            "organization's name, so you can ask it for a share. Recorded in the audit trail "
            "as a read of the cases shown."
        ),
        parameters=[RUN_ID],
        responses={200: MatchRunResultsSerializer, **errors(400, 401, 404, 409)},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def results(self, request: Request, pk: str | None = None) -> Response:
        run = self._finished()
        actor = request_actor(request)
        rows = match_run_results(actor=actor, run=run)
        services.match_run_read_record(actor=actor, run=run, case_ids=cases_shown(rows))
        return Response(
            {
                "run": run.pk,
                "status": run.status,
                "rows": [MatchRowSerializer(row).data for row in rows],
            }
        )

    @extend_schema(
        operation_id="match_runs_csv",
        summary=_("Download a match run's results as CSV"),
        description=_(
            "The results' rows, one line per candidate you may see (a row without any, one "
            "line). Cells that a spreadsheet would run as formulas are written as text. "
            "Recorded in the audit trail as a read of the cases shown."
        ),
        parameters=[RUN_ID],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=_("The CSV file.")),
            **errors(400, 401, 404, 409),
        },
        extensions=response_headers(
            **{"Content-Disposition": response_header(_("`attachment`, named match-run-<id>.csv."))}
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def csv(self, request: Request, pk: str | None = None) -> HttpResponse:
        run = self._finished()
        actor = request_actor(request)
        rows = match_run_results(actor=actor, run=run)
        services.match_run_read_record(
            actor=actor, run=run, case_ids=cases_shown(rows), download="csv"
        )
        response = HttpResponse(results_csv(rows), content_type=CSV_MEDIA_TYPE)
        response["Content-Disposition"] = f'attachment; filename="match-run-{run.pk}.csv"'
        return response

    @extend_schema(
        operation_id="match_runs_confirm",
        summary=_("Confirm a candidate for a list entry"),
        description=_(
            "For a run over a coalition list: the entry of `row` is the child of candidate "
            "`rank`, and is linked to the child's case (the open one first) through the "
            "coalition's own rules: coordinators of the list's keeping organization link "
            "entries, to a case they see or one of that organization."
        ),
        parameters=[RUN_ID],
        request=MatchRunConfirmInputSerializer,
        responses={200: MatchRunConfirmedSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        serializer = MatchRunConfirmInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row, rank = serializer.validated_data["row"], serializer.validated_data["rank"]
        actor = request_actor(request)
        shown = match_run_results(actor=actor, run=run, rows=[row])
        confirmed = services.match_run_confirm(
            actor=actor,
            run=run,
            row=row,
            rank=rank,
            shown_ranks=[r for item in shown for r, _seen in item.candidates],
        )
        return Response({"entry": confirmed.entry.pk, "case": confirmed.case_id})

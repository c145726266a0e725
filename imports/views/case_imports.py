"""REST API of case imports: thin views over ``imports.selectors.case_imports`` and
``imports.services.imports``.

Upload a file (checked at once, or by a worker when large: ``202`` and a status with
progress), read the import (its problems by row and column, and the rows like children already
in the registry, shown as you may see them: an audited read), then ``commit`` (all rows or
none) or ``discard``. The upload is read into memory under the import's size limit; a body
announcing more is refused before a byte of it is read.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.serializers import BaseSerializer

from accounts.authentication import request_actor
from accounts.models import Organization
from accounts.selectors import organization_list
from audit import services as audit
from cases.models import Case
from core.api import (
    PAGE_SIZE_PARAMETER,
    CursorPagination,
    FilterSet,
    StrictQueryParamsMixin,
    error_responses,
    id_filter,
    response_header,
    response_headers,
)
from core.errors import ValidationFailed
from core.parsers import JSONParser, MultiPartParser
from core.uploads import use_streaming_upload_handlers

from ..exceptions import FileTooLarge
from ..models import CaseImport, ImportStatus
from ..selectors.case_imports import (
    case_import_get,
    case_import_matches_as_seen,
    case_import_visible_to,
)
from ..serializers.case_imports import (
    CaseImportCheckedSerializer,
    CaseImportDetailSerializer,
    CaseImportSerializer,
    CaseImportUploadInputSerializer,
    EmptyInputSerializer,
)
from ..services import imports as services
from ..tabular import limit

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _(
        "Invalid input: a body field or a query parameter (unknown ones included), or a file "
        "that cannot be read as a table of the import's columns (`empty_file`, "
        "`unsupported_format`, `missing_columns`, `unknown_column`, `cell_too_long`...): the "
        "message names the row and the column."
    ),
    401: _(
        "No valid credentials: send `Authorization: Api-Key <key>`, `Authorization: Token "
        "<key>` or a session cookie."
    ),
    403: _("Your role does not allow importing cases for this organization."),
    404: _("No such import, or not one of an organization you import for."),
    409: _(
        "`case_import_not_ready`: the import is not in a state that allows this (still being "
        "checked, has problems, already written or discarded)."
    ),
    413: _("`file_too_large`: the file is over the import's size limit."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(_ERROR_DESCRIPTIONS, *codes)


IMPORT_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The import's id.")
)
FILE_FIELD = "file"


class CaseImportUploadParser(MultiPartParser):
    """``multipart/form-data`` through the request's upload handlers (the limit above)."""


class CaseImportFilterSet(FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=ImportStatus.choices, help_text=_("The imports in this state; repeat for several.")
    )
    organization = id_filter("organization_id", _("An organization's id: its imports."))

    class Meta:
        model = CaseImport
        fields: list[str] = []


class CaseImportPagination(CursorPagination):
    """The latest upload first."""

    ordering = ("-created_at", "-id")


def _organization(organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    found = organization_list().filter(pk=organization_id).first()
    if found is None:
        raise ValidationFailed.on("organization", gettext("No such organization."))
    return found


def _empty_body(request: Request) -> None:
    EmptyInputSerializer(data=request.data or {}).is_valid(raise_exception=True)


class CaseImportViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[CaseImport],
):
    """Imports of an organization's cases from a spreadsheet: upload (checked), read the
    report, then commit or discard. No PUT, no DELETE: an import's record stays."""

    filterset_class = CaseImportFilterSet
    pagination_class = CaseImportPagination
    ordering = ["-created_at", "-id"]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything reads the body (the session authentication's CSRF check reads a
        # form): the limit holds while the file streams in.
        use_streaming_upload_handlers(
            request, limit=limit("MAX_FILE_BYTES"), refuse=FileTooLarge.over_limit
        )
        return super().initialize_request(request, *args, **kwargs)

    def get_parsers(self) -> list[BaseParser]:
        method = getattr(getattr(self, "request", None), "method", "")
        if method == "POST" and getattr(self, "action_map", {}).get("post") == "create":
            return [CaseImportUploadParser()]
        return [JSONParser()]

    def get_queryset(self) -> QuerySet[CaseImport]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's pass
            return CaseImport.objects.none()
        return case_import_visible_to(actor=request_actor(self.request))

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return CaseImportSerializer if self.action == "list" else CaseImportDetailSerializer

    def _answer(self, case_import_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
        case_import = case_import_get(
            actor=request_actor(self.request), case_import_id=case_import_id
        )
        code = status_code
        if case_import.status in (ImportStatus.VALIDATING, ImportStatus.COMMITTING):
            code = status.HTTP_202_ACCEPTED
        response = Response(
            CaseImportCheckedSerializer(case_import, context=self.get_serializer_context()).data,
            status=code,
        )
        response["Location"] = reverse(
            "case-import-detail", args=[case_import.pk], request=self.request
        )
        return response

    @extend_schema(
        operation_id="case_imports_list",
        summary=_("List case imports"),
        description=_(
            "The imports of the organizations you open cases for, the latest first: their "
            "status, progress and counts."
        ),
        parameters=[PAGE_SIZE_PARAMETER],
        responses={200: CaseImportSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="case_imports_create",
        summary=_("Upload a file of cases: it is checked, nothing is written yet"),
        description=_(
            "`multipart/form-data` with the CSV or XLSX in `file` (and `organization` when you "
            "open cases for several). Columns by English or Ukrainian header; `ref`, "
            "`given_name`, `family_name` and `date_of_birth` are required. A file that cannot "
            "be read is refused (400 naming the row and the column; 413 over the size limit) "
            "and nothing is kept. Otherwise every row is checked: `201` with the problems "
            "(row, column, reason) and the counts, status `validated` or `invalid`; a large "
            "file is checked by a worker: `202`, status `validating`, follow `Location`. Read "
            "the import for the rows like children already in the registry."
        ),
        request={"multipart/form-data": CaseImportUploadInputSerializer},
        responses={
            201: OpenApiResponse(CaseImportCheckedSerializer, description=_("Checked.")),
            202: OpenApiResponse(
                CaseImportCheckedSerializer, description=_("Being checked by a worker.")
            ),
            **errors(400, 401, 403, 413),
        },
        extensions=response_headers(
            Location=response_header(_("The import's URL."), {"type": "string", "format": "uri"})
        ),
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = cast(QueryDict, request.data)
        fields = QueryDict(mutable=True)
        for name in form:
            if name not in request.FILES:
                fields.setlist(name, form.getlist(name))
        uploads = request.FILES.getlist(FILE_FIELD)
        serializer = CaseImportUploadInputSerializer(
            data={**fields.dict(), **({FILE_FIELD: uploads[0]} if uploads else {})}
        )
        problems = {} if serializer.is_valid() else dict(serializer.errors)
        for name in sorted(set(request.FILES) - {FILE_FIELD}):
            problems[name] = [gettext("Only one file, in the `file` field, is received.")]
        if len(uploads) > 1:
            problems[FILE_FIELD] = [gettext("Send one file.")]
        if problems:
            raise ValidationFailed(
                gettext("Some fields are not valid."),
                fields={k: [str(m) for m in v] for k, v in problems.items()},
            )
        upload = uploads[0]
        case_import = services.case_import_upload(
            actor=request_actor(request),
            file_name=upload.name or "",
            content=upload.read(),
            organization=_organization(serializer.validated_data.get("organization")),
        )
        return self._answer(case_import.pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="case_imports_retrieve",
        summary=_("Read a case import"),
        description=_(
            "Its status and progress, the problems by row and column, and the new rows like "
            "children already in the registry, each with up to 5 candidates as you may see "
            "them now: in full, or, for a likely match in a case you cannot see, only the "
            "organization that holds it. Recorded in the audit trail as a read of the cases "
            "shown."
        ),
        parameters=[IMPORT_ID],
        responses={200: CaseImportDetailSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case_import = self.get_object()
        actor = request_actor(request)
        matches, case_ids = case_import_matches_as_seen(actor=actor, case_import=case_import)
        audit.record_read(
            actor=actor, of=case_import, records={CaseImport: [case_import.pk], Case: case_ids}
        )
        context = {**self.get_serializer_context(), "matches": matches}
        return Response(CaseImportDetailSerializer(case_import, context=context).data)

    @extend_schema(
        operation_id="case_imports_commit",
        summary=_("Write a checked import: every row, or none"),
        description=_(
            "The rows are checked again; a row that breaks a rule now leaves the registry "
            "untouched and the import `invalid` with its problems. New rows open cases; rows "
            "whose `ref` was imported before update that child's records (never a second "
            "child); rows like children already in the registry are proposed as possible "
            "duplicates, never merged. `200` when written; `202` when a worker writes a large "
            "import (follow `Location`). No body."
        ),
        request=None,
        parameters=[IMPORT_ID],
        responses={
            200: OpenApiResponse(
                CaseImportCheckedSerializer, description=_("Written, or found invalid.")
            ),
            202: OpenApiResponse(
                CaseImportCheckedSerializer, description=_("Being written by a worker.")
            ),
            **errors(400, 401, 403, 404, 409),
        },
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def commit(self, request: Request, pk: str | None = None) -> Response:
        _empty_body(request)
        case_import = self.get_object()
        actor = request_actor(request)
        if case_import.rows_total > services.sync_max_rows():
            services.case_import_commit_queue(case_import_id=case_import.pk, actor=actor)
        else:
            services.case_import_commit(case_import_id=case_import.pk, actor=actor)
        return self._answer(case_import.pk)

    @extend_schema(
        operation_id="case_imports_discard",
        summary=_("Discard an import before it is written"),
        description=_("Its file is deleted; its record and counts stay. No body."),
        request=None,
        parameters=[IMPORT_ID],
        responses={200: CaseImportCheckedSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def discard(self, request: Request, pk: str | None = None) -> Response:
        _empty_body(request)
        case_import = self.get_object()
        services.case_import_discard(case_import_id=case_import.pk, actor=request_actor(request))
        return self._answer(case_import.pk)

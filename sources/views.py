"""REST API of sources, evidence and published figures: thin views over ``sources.selectors``,
``sources.services`` and ``sources.figures``.

Files come in as multipart uploads streamed to a temporary file, with the size limit held
while they stream (and before, when the request announces its length); they go out only
through the download endpoint, which records a custody event for every download.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import unicodedata
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.serializers import BaseSerializer

from accounts.authentication import request_actor as _actor
from accounts.models import Organization, User
from accounts.selectors import organization_list
from accounts.throttling import BulkReadThrottle
from audit import services as audit
from cases import selectors as case_selectors
from core.api import (
    PAGE_SIZE_PARAMETER,
    CursorPagination,
    StrictQueryParamsMixin,
    error_responses,
    ordering_parameter,
    response_header,
    response_headers,
)
from core.errors import NotFound, ValidationFailed
from core.parsers import JSONParser, MultiPartParser
from core.uploads import use_streaming_upload_handlers as streaming_upload_handlers
from idempotency.views import IdempotentPostMixin, UploadFingerprintMixin

from . import figures, selectors, services
from .detection import ALLOWED as ALLOWED_MEDIA_TYPES
from .exceptions import FileTooLarge
from .filters import EvidenceFilterSet, FigureFilterSet, SourceFilterSet
from .models import CustodyEvent, Evidence, PublishedFigure, Source
from .serializers import (
    CustodyEventSerializer,
    EvidenceCreateInputSerializer,
    EvidenceSerializer,
    EvidenceUpdateInputSerializer,
    FigureInputSerializer,
    FigureSerializer,
    FigureUpdateInputSerializer,
    SourceDetailSerializer,
    SourceReceivedSerializer,
    SourceRecordInputSerializer,
    SourceSerializer,
    SourceUpdateInputSerializer,
    SourceUploadInputSerializer,
    SourceUploadSchemaSerializer,
)

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _(
        "Invalid input: a body field or a query parameter (unknown parameters included). "
        "`fields` names each."
    ),
    401: _(
        "No valid credentials: send `Authorization: Api-Key <key>`, `Authorization: Token "
        "<key>` or a session cookie."
    ),
    403: _("Your role does not allow this on a record you can see (`permission_denied`)."),
    404: _("No such record, or not visible to you."),
    409: _("The request conflicts with a record (`evidence_exists`, `source_held_elsewhere`)."),
    410: _("`source_file_missing`: the file is gone from storage; the administrators know."),
    413: _("`file_too_large`: the file is over the size limit, which the message names."),
    415: _(
        "`unsupported_media_type`: the content (not the name) is of a type the registry does "
        "not accept; the message names the type found and those accepted."
    ),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers of an operation, each with the shared error body."""
    return error_responses(_ERROR_DESCRIPTIONS, *codes)


def _id_parameter(what: Any) -> OpenApiParameter:
    return OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=what)


SOURCE_ID = _id_parameter(_("The source's id."))
EVIDENCE_ID = _id_parameter(_("The evidence link's id."))
FIGURE_ID = _id_parameter(_("The published figure's id."))


# ---------------------------------------------------------------------------------------------
# Receiving files: streamed to a temporary file, the size limit held while they stream
# ---------------------------------------------------------------------------------------------
def upload_limit() -> int:
    return int(settings.SOURCES_MAX_UPLOAD_BYTES)


def use_streaming_upload_handlers(request: HttpRequest) -> None:
    """Files always go to a temporary file, never to memory, under the size limit
    (``core.uploads``)."""
    streaming_upload_handlers(
        request, limit=upload_limit(), refuse=lambda: FileTooLarge(limit=upload_limit())
    )


def streaming_upload_entry(protected: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An admin upload page's view (``protected``: wrapped by ``admin_view``) with the
    streaming upload handlers set before anything reads the body. Django's CSRF check reads a
    form body, so the middleware is told to skip this view and ``csrf_protect`` (added by
    ``admin_view``) checks the token with the handlers in place. A file over the limit is
    refused while it streams, never stored whole first: the page again, with the reason."""

    @csrf_exempt
    def entry(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        use_streaming_upload_handlers(request)
        try:
            return protected(request, *args, **kwargs)
        except FileTooLarge as exc:
            messages.error(request, str(exc.detail))
            return HttpResponseRedirect(request.path)

    return entry


class SourceUploadParser(MultiPartParser):
    """``multipart/form-data`` through the request's upload handlers (see above)."""


FILE_FIELD = "file"


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------
def download_filename(source: Source) -> str:
    """The name a download is saved under: the original file name without any directory,
    control characters or quotes, or ``source-<id>`` with the extension of its type."""
    name = os.path.basename(source.original_filename.replace("\\", "/"))
    name = "".join(
        ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*'
    ).strip(" .")
    if name:
        return name[:200]
    extension = mimetypes.guess_extension(source.media_type or "") or ""
    return f"source-{source.pk}{extension}"


def file_download_response(file: Any, source: Source) -> FileResponse:
    """Stream a source's file as an attachment that no browser renders or keeps, with its
    SHA-256 as recorded (``Repr-Digest``, RFC 9530; ``Digest``, RFC 3230) so the receiver can
    check what arrived."""
    response = FileResponse(
        file,
        as_attachment=True,
        filename=download_filename(source),
        content_type=source.media_type or "application/octet-stream",
    )
    digest = base64.b64encode(bytes.fromhex(source.sha256)).decode("ascii")
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    response["Digest"] = f"SHA-256={digest}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# A file is answered with the media type detected when it was received (one of those accepted),
# or application/octet-stream when none was recorded.
DOWNLOAD_MEDIA_TYPES = sorted({*ALLOWED_MEDIA_TYPES, "application/octet-stream"})
DOWNLOAD_HEADERS = response_headers(
    **{
        "Content-Disposition": response_header(
            _("attachment, with the file's original name (or source-<id> and its extension).")
        ),
        "Repr-Digest": response_header(
            _("The SHA-256 recorded when the file was received (RFC 9530): sha-256=:<base64>:")
        ),
        "Digest": response_header(
            _("The same SHA-256 in the older form (RFC 3230): SHA-256=<base64>.")
        ),
    }
)


def _record_read(
    request: Request, records: dict[Any, list[Any]], *, of: Any = None, listed: bool = False
) -> None:
    """Record the read of personal data (a testimony's metadata, evidence about a child, who
    handled a file) that answering ``request`` makes: one event, naming what it returned; a
    list keeps its filters, and its search as digests of the words (``search_recorded``)."""
    search = request.query_params.get("search", "").strip() if listed else ""
    audit.record_read(
        actor=_actor(request),
        of=of,
        records=records,
        query=request.query_params if listed else None,
        search=audit.search_words_recorded(search) if search else None,
    )


def _listed_ids(response: Response) -> list[Any]:
    return [row["id"] for row in cast(dict[str, Any], response.data)["results"]]


class CustodyPagination(CursorPagination):
    """The chain of custody, oldest link first."""

    ordering = ("at", "id")


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------
class SourceViewSet(
    IdempotentPostMixin,
    UploadFingerprintMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Source],
):
    """Sources: list, receive (a file, or a source known by its URL), read and judge them;
    download their files and read their chain of custody.

    No PUT and no DELETE: a received file is kept unaltered, and a source is never deleted.
    """

    filterset_class = SourceFilterSet
    throttle_classes = [BulkReadThrottle]
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["-created_at", "-id"]
    # The custody chain pages with its own cursor; it takes no filters.
    list_actions = frozenset({"list", "custody"})

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        use_streaming_upload_handlers(request)
        return super().initialize_request(request, *args, **kwargs)

    def get_parsers(self) -> list[BaseParser]:
        # Files come only to the collection's POST; changes are JSON. (Called before the
        # action is known: the method and the route's action map say which it is.)
        method = getattr(getattr(self, "request", None), "method", "")
        if method == "POST" and getattr(self, "action_map", {}).get("post") == "create":
            return [JSONParser(), SourceUploadParser()]
        return [JSONParser()]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A download answers with the file whatever the client accepts (Accept:
        # application/pdf, say); its error answers are JSON.
        return super().perform_content_negotiation(
            request, force=force or getattr(self, "action", None) == "download"
        )

    def get_queryset(self) -> QuerySet[Source]:
        return selectors.source_list(actor=self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return SourceSerializer if self.action == "list" else SourceDetailSerializer

    def _source_response(
        self, source_id: int, *, status_code: int = status.HTTP_200_OK, **context: Any
    ) -> Response:
        source = selectors.source_get(actor=self.request.user, source_id=source_id)
        serializer_class = SourceReceivedSerializer if "duplicate" in context else None
        data = self._render(source, serializer_class=serializer_class, **context)
        return Response(data, status=status_code)

    def _render(
        self,
        source: Source,
        *,
        serializer_class: type[BaseSerializer[Any]] | None = None,
        **context: Any,
    ) -> Any:
        context = {
            **self.get_serializer_context(),
            "custody_summary": selectors.source_custody_summary(source=source),
            **context,
        }
        return (serializer_class or SourceDetailSerializer)(source, context=context).data

    @extend_schema(
        operation_id="sources_list",
        summary=_("List sources"),
        description=_(
            "The sources you may see: public kinds (news articles, official statements, UN "
            "documents) for everyone; others when your organization received them, when they "
            "support a case you see in full, or when you read every case."
        ),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: SourceSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        _record_read(request, {Source: _listed_ids(response)}, listed=True)
        return response

    @extend_schema(
        operation_id="sources_create",
        summary=_("Receive a source: upload a file, or record one known by its URL"),
        description=_(
            "`multipart/form-data` with the document in `file` and its metadata in the other "
            "fields, or JSON without a file (a source known by its URL). The file's SHA-256 "
            "is computed while it streams into storage and its type is read from its content. "
            "Identical content is not stored twice: the answer is then 200 with the source "
            "already in the registry and `duplicate: true` (201 and `duplicate: false` for a "
            "new one); when that source is one you cannot see, 409 `source_held_elsewhere`. Over "
            "the size limit: 413 `file_too_large`; a type not accepted: 415 "
            "`unsupported_media_type`."
        ),
        request={
            "multipart/form-data": SourceUploadSchemaSerializer,
            "application/json": SourceRecordInputSerializer,
        },
        responses={
            201: OpenApiResponse(SourceReceivedSerializer, description=_("A new source.")),
            200: OpenApiResponse(
                SourceReceivedSerializer,
                description=_("Identical content was already received: that source."),
            ),
            **errors(400, 401, 403, 409, 413, 415),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.content_type.startswith("multipart/form-data"):
            source, created = self._receive_upload(request)
        else:
            serializer = SourceRecordInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            organization = _organization(data.pop("organization", None))
            source = services.source_record(
                actor=_actor(request), data=data, organization=organization
            )
            created = True
        response = self._source_response(
            source.pk,
            status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            duplicate=not created,
        )
        response["Location"] = reverse("source-detail", args=[source.pk], request=request)
        return response

    def _receive_upload(self, request: Request) -> tuple[Source, bool]:
        upload = request.FILES.get(FILE_FIELD)
        form = cast(QueryDict, request.data)
        # A QueryDict, so the serializer reads the fields as a form's (an empty date is none).
        fields = QueryDict(mutable=True)
        for name in form:
            if name != FILE_FIELD and name not in request.FILES:
                fields.setlist(name, form.getlist(name))
        serializer = SourceUploadInputSerializer(data=fields)
        errors_ = {} if serializer.is_valid() else dict(serializer.errors)
        if upload is None:
            errors_[FILE_FIELD] = [gettext("Send the document in the `file` field.")]
        else:
            try:
                services.upload_single(request.FILES.getlist(FILE_FIELD), field=FILE_FIELD)
            except ValidationFailed as exc:
                errors_.update(exc.fields)
        unexpected = sorted(name for name in request.FILES if name != FILE_FIELD)
        for name in unexpected:
            errors_[name] = [gettext("Only one file, in the `file` field, is received.")]
        if errors_:
            raise ValidationFailed(
                gettext("Some fields are not valid."),
                fields={k: [str(m) for m in v] for k, v in errors_.items()},
            )
        assert upload is not None
        data = dict(serializer.validated_data)
        organization = _organization(data.pop("organization", None))
        return services.source_receive(
            fileobj=upload,
            filename=upload.name or "",
            actor=_actor(request),
            organization=organization,
            data=data,
        )

    @extend_schema(
        operation_id="sources_retrieve",
        summary=_("Read a source"),
        description=_(
            "Its metadata, the file's SHA-256, size and type, its integrity, who judged its "
            "reliability and credibility and when, and a summary of its chain of custody. "
            "Never the file's content: download it."
        ),
        parameters=[SOURCE_ID],
        responses={200: SourceDetailSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        source = self.get_object()
        _record_read(request, {Source: [source.pk]}, of=source)
        return Response(self._render(source))

    @extend_schema(
        operation_id="sources_partial_update",
        summary=_("Change a source's metadata, or judge it"),
        description=_(
            "Metadata fields, and `reliability` (A to F) and `credibility` (1 to 6): a "
            "judgement records who made it and when. The file, its hash, size and type never "
            "change."
        ),
        parameters=[SOURCE_ID],
        request=SourceUpdateInputSerializer,
        responses={200: SourceDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        source = self.get_object()
        serializer = SourceUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        judgement = {
            name: data.pop(name)
            for name in SourceUpdateInputSerializer.JUDGEMENT_FIELDS
            if name in data
        }
        # One change: a judgement the service refuses takes the metadata change with it.
        services.source_change(source=source, actor=_actor(request), data=data, **judgement)
        return self._source_response(source.pk)

    @extend_schema(
        operation_id="sources_download",
        summary=_("Download a source's file"),
        description=_(
            "The file as received, as an attachment. Every download is recorded in the "
            "source's chain of custody and in the audit trail. `Repr-Digest` (and the older "
            "`Digest`) carry its SHA-256 as recorded when it was received. A source without a "
            "file is a 404 `source_has_no_file`; a file gone from storage a 410."
        ),
        parameters=[SOURCE_ID],
        responses={
            **{
                (200, media_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description=_("The file, with its own media type.")
                )
                for media_type in DOWNLOAD_MEDIA_TYPES
            },
            **errors(400, 401, 404, 410),
        },
        extensions=DOWNLOAD_HEADERS,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        file, source = services.source_open(source=self.get_object(), actor=_actor(request))
        return file_download_response(file, source)

    @extend_schema(
        operation_id="sources_custody",
        summary=_("The source's chain of custody, oldest first"),
        description=_(
            "Who received, downloaded, verified or exported the file, when, and the SHA-256 "
            "they saw. Read-only: the chain is only ever added to."
        ),
        parameters=[SOURCE_ID, PAGE_SIZE_PARAMETER],
        responses={200: CustodyEventSerializer(many=True), **errors(400, 401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=CustodyPagination)
    def custody(self, request: Request, pk: str | None = None) -> Response:
        source = self.get_object()
        events = selectors.source_custody(source=source)
        page = self.paginate_queryset(cast(Any, events))
        assert page is not None  # the action always paginates
        _record_read(request, {CustodyEvent: [event.pk for event in page]}, of=source)
        return self.get_paginated_response(
            CustodyEventSerializer(cast(list[CustodyEvent], page), many=True).data
        )


def _organization(organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    found = organization_list().filter(pk=organization_id).first()
    if found is None:
        raise ValidationFailed.on("organization", gettext("No such organization."))
    return found


# ---------------------------------------------------------------------------------------------
# Evidence
# ---------------------------------------------------------------------------------------------
class EvidenceViewSet(
    IdempotentPostMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Evidence],
):
    """Evidence: a source supporting a fact in a case. Seen with the case (in full); linked,
    changed and unlinked by those who write the case."""

    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilterSet
    throttle_classes = [BulkReadThrottle]
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Evidence]:
        return selectors.evidence_visible_to(actor=self.request.user)

    def _evidence_response(
        self, evidence_id: int, *, status_code: int = status.HTTP_200_OK
    ) -> Response:
        evidence = self.get_queryset().get(pk=evidence_id)
        return Response(EvidenceSerializer(evidence).data, status=status_code)

    @extend_schema(
        operation_id="evidence_list",
        summary=_("List evidence links"),
        description=_("The evidence of the cases you see in full."),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: EvidenceSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        _record_read(request, {Evidence: _listed_ids(response)}, listed=True)
        return response

    @extend_schema(
        operation_id="evidence_create",
        summary=_("Link a source to a fact of a case"),
        description=_(
            "Takes the right to change the case (its own organization's caseworkers and "
            "supervisors). A source or case you cannot see is a 400 naming the field; the same "
            "source at the same place for the same fact again is a 409 `evidence_exists`."
        ),
        request=EvidenceCreateInputSerializer,
        responses={201: EvidenceSerializer, **errors(400, 401, 403, 409)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = EvidenceCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        actor = _actor(request)
        source = _visible_source(actor, data.pop("source"))
        case = _visible_case(actor, data.pop("case"))
        evidence = services.evidence_link(source=source, case=case, actor=actor, **data)
        response = self._evidence_response(evidence.pk, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("evidence-detail", args=[evidence.pk], request=request)
        return response

    @extend_schema(
        operation_id="evidence_retrieve",
        summary=_("Read an evidence link"),
        parameters=[EVIDENCE_ID],
        responses={200: EvidenceSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        evidence = self.get_object()
        _record_read(request, {Evidence: [evidence.pk]}, of=evidence)
        return Response(EvidenceSerializer(evidence).data)

    @extend_schema(
        operation_id="evidence_partial_update",
        summary=_("Change an evidence link: the fact, the place in the source, the note"),
        parameters=[EVIDENCE_ID],
        request=EvidenceUpdateInputSerializer,
        responses={200: EvidenceSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        evidence = self.get_object()
        serializer = EvidenceUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.evidence_update(
            evidence=evidence, actor=_actor(request), data=serializer.validated_data
        )
        return self._evidence_response(evidence.pk)

    @extend_schema(
        operation_id="evidence_destroy",
        summary=_("Unlink a source from a case"),
        description=_(
            "The link goes; the source, its file and its chain of custody stay. Takes the "
            "right to change the case; the audit trail keeps what the link said."
        ),
        parameters=[EVIDENCE_ID],
        responses={204: None, **errors(400, 401, 403, 404)},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.evidence_unlink(evidence=self.get_object(), actor=_actor(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _visible_source(actor: User, source_id: int) -> Source:
    try:
        return selectors.source_get(actor=actor, source_id=source_id)
    except NotFound as exc:
        raise ValidationFailed.on("source", gettext("No such source.")) from exc


def _visible_case(actor: User, case_id: int) -> Any:
    try:
        return case_selectors.case_get(actor=actor, case_id=case_id)
    except NotFound as exc:
        raise ValidationFailed.on("case", gettext("No such case.")) from exc


# ---------------------------------------------------------------------------------------------
# Published figures
# ---------------------------------------------------------------------------------------------
class FigureViewSet(
    IdempotentPostMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[PublishedFigure],
):
    """Figures claimants published (public reporting, conflicting figures side by side):
    read by every signed-in user, recorded by those who write cases and by coordinators."""

    serializer_class = FigureSerializer
    filterset_class = FigureFilterSet
    throttle_classes = [BulkReadThrottle]
    ordering_fields = ["as_of", "created_at", "updated_at"]
    ordering = ["as_of", "id"]

    def get_queryset(self) -> QuerySet[PublishedFigure]:
        return selectors.figure_list().select_related("source", "created_by")

    def _figure_response(
        self, figure_id: int, *, status_code: int = status.HTTP_200_OK
    ) -> Response:
        figure = self.get_queryset().get(pk=figure_id)
        return Response(FigureSerializer(figure).data, status=status_code)

    def _figure_data(self, request: Request, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("source") is not None:
            data["source"] = _visible_source(_actor(request), data["source"])
        return data

    @extend_schema(
        operation_id="figures_list",
        summary=_("List published figures"),
        description=_(
            "Every figure as its claimant published it, with its qualifier, date as claimed "
            "and source. Conflicting figures are each their own record."
        ),
        parameters=[PAGE_SIZE_PARAMETER, ordering_parameter(ordering_fields)],
        responses={200: FigureSerializer(many=True), **errors(400, 401)},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        operation_id="figures_create",
        summary=_("Record a published figure"),
        description=_(
            'A `value`, or for a claim without a number ("hundreds of thousands") '
            "`value_text`. A vague date is given as the first day of the period it names "
            "(`as_of`, e.g. 2023-03-01 for spring 2023) with its `as_of_precision` and the "
            "claim's own words in `as_of_label`."
        ),
        request=FigureInputSerializer,
        responses={201: FigureSerializer, **errors(400, 401, 403)},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = FigureInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = self._figure_data(request, dict(serializer.validated_data))
        figure = figures.figure_record(actor=_actor(request), data=data)
        response = self._figure_response(figure.pk, status_code=status.HTTP_201_CREATED)
        response["Location"] = reverse("figure-detail", args=[figure.pk], request=request)
        return response

    @extend_schema(
        operation_id="figures_retrieve",
        summary=_("Read a published figure"),
        parameters=[FIGURE_ID],
        responses={200: FigureSerializer, **errors(400, 401, 404)},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        operation_id="figures_partial_update",
        summary=_("Correct the record of a published figure"),
        parameters=[FIGURE_ID],
        request=FigureUpdateInputSerializer,
        responses={200: FigureSerializer, **errors(400, 401, 403, 404)},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        figure = self.get_object()
        serializer = FigureUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = self._figure_data(request, dict(serializer.validated_data))
        figures.figure_update(figure=figure, actor=_actor(request), data=data)
        return self._figure_response(figure.pk)

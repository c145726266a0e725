"""What the coalition's API views share: the error answers they document, the read
permission every coalition endpoint checks before anything else, and the base of the
versioned collections (list, read, record, change with ``If-Match``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.serializers import BaseSerializer

from accounts.authentication import request_actor
from accounts.models import User
from core.api import (
    StrictQueryParamsMixin,
    error_responses,
    if_match_version,
    response_header,
    response_headers,
    version_etag,
)
from idempotency.views import IdempotentPostMixin

from ..services.common import StaleRecord, require_reader, require_writer

_ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _(
        "Invalid input: a body field or a query parameter (unknown parameters included). "
        "`fields` names each."
    ),
    401: _(
        "No valid credentials: send `Authorization: Api-Key <key>`, `Authorization: Token "
        "<key>` or a session cookie."
    ),
    403: _("Your role does not allow this (`coalition_read_denied`, `coalition_write_denied`)."),
    404: _("No such record."),
    409: _("The request conflicts with the record's current state; the message says how."),
    412: _("`If-Match` no longer matches: someone changed the record since you read it."),
    428: _("`If-Match` is missing: send the ETag of the record as you read it."),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers of an operation, each with the shared error body."""
    return error_responses(_ERROR_DESCRIPTIONS, *codes)


def id_parameter(what: Any) -> OpenApiParameter:
    return OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=what)


IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=_(
        'The `ETag` of the record as you read it ("<id>-<version>"): a change made since is '
        "refused with 412."
    ),
)
ETAG = response_headers(
    ETag=response_header(
        _('The record\'s entity tag, "<id>-<version>": send it in `If-Match` to change it.')
    )
)


def actor_of(request: Request) -> User:
    return request_actor(request)


class CoalitionReadMixin:
    """Every coalition endpoint: refused (403) to a signed-in user whose role does not read
    the coalition, before any query runs."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        require_reader(request_actor(request))


class CoalitionRecordViewSet(
    IdempotentPostMixin,
    CoalitionReadMixin,
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[Any],
):
    """What the coalition's versioned collections share: list, read, record (an idempotent
    POST answering 201 with ``Location``), change with ``If-Match``, each answer carrying the
    record and its ``ETag``. A change is refused (403) to a reader before anything else is
    looked at (the record, the body, the ``If-Match``); the services check again.

    Each viewset names its input serializers and the URL name of its detail, and hands its
    service functions to ``record()`` and ``change()``."""

    detail_name: ClassVar[str]
    input_serializer: ClassVar[type[BaseSerializer[Any]]]
    update_serializer: ClassVar[type[BaseSerializer[Any]]]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method not in SAFE_METHODS:
            require_writer(actor_of(request))

    def output_serializer_class(self) -> type[BaseSerializer[Any]]:
        """The serializer of a record's answers (a detail; ``serializer_class`` renders lists
        too)."""
        return self.get_serializer_class()

    def output_context(self, record: Any) -> dict[str, Any]:
        return dict(self.get_serializer_context())

    def render(self, record: Any, *, status_code: int = status.HTTP_200_OK) -> Response:
        """``record`` as the detail renders it, with its ``ETag``."""
        serializer = self.output_serializer_class()
        data = serializer(record, context=self.output_context(record)).data
        return Response(data, status=status_code, headers={"ETag": version_etag(record)})

    def render_written(self, record: Any, *, status_code: int = status.HTTP_200_OK) -> Response:
        """A record just written, read again as the collection reads it."""
        return self.render(self.get_queryset().get(pk=record.pk), status_code=status_code)

    def expected_version(self, request: Request, record: Any) -> int:
        return if_match_version(request, record, stale=StaleRecord)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.render(self.get_object())

    def record(self, request: Request, write: Callable[..., Any]) -> Response:
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = write(actor=actor_of(request), data=dict(serializer.validated_data))
        response = self.render_written(record, status_code=status.HTTP_201_CREATED)
        key = getattr(record, self.lookup_field)
        response["Location"] = reverse(self.detail_name, args=[key], request=request)
        return response

    def change(self, request: Request, write: Callable[..., Any], name: str) -> Response:
        """PATCH: the record, its ``If-Match``, the body, then ``write(<name>=record, ...)``."""
        record = self.get_object()
        version = self.expected_version(request, record)
        serializer = self.update_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        write(
            **{name: record},
            actor=actor_of(request),
            data=dict(serializer.validated_data),
            expected_version=version,
        )
        return self.render_written(record)

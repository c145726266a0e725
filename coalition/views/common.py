"""What the coalition's API views share: the error answers they document, and the read
permission every coalition endpoint checks before anything else."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request

from accounts.authentication import request_actor
from accounts.models import User
from core.api import error_responses, response_header, response_headers

from ..services.common import require_reader

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

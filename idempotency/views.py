"""``IdempotentPostMixin``: Stripe-style ``Idempotency-Key`` for the POSTs of a DRF view.

A POST that carries the header is performed in one transaction with the insert of its
``IdempotencyRecord``; its successful answer is kept and returned again (with
``Idempotent-Replayed: true``) to a retry by the same actor with the same key and request.
Without the header nothing changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, cast

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.errors import ValidationFailed

from . import services
from .models import IdempotencyRecord
from .schema import IDEMPOTENCY_HEADER, KEY_PATTERN, REPLAYED_HEADER, IdempotentPostSchema

if TYPE_CHECKING:
    from rest_framework.views import APIView

    _ViewBase = APIView
else:
    _ViewBase = object

logger = logging.getLogger(__name__)

# What a client may act on besides the body; everything else is recomputed on replay.
KEPT_HEADERS = ("Location", "ETag", "Content-Type")
_KEY_SHAPE = re.compile(KEY_PATTERN)


def idempotency_key(request: Request) -> str | None:
    """The request's ``Idempotency-Key``, ``None`` without one; a malformed key is a 400."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not _KEY_SHAPE.fullmatch(key):
        raise ValidationFailed.on(
            IDEMPOTENCY_HEADER,
            _("Must be 1 to 255 printable ASCII characters, without spaces at either end."),
        )
    return key


def _request_json(request: Request) -> Any:
    data = request.data
    if isinstance(data, QueryDict):  # an empty or form body
        return {name: data.getlist(name) for name in sorted(data)}
    return data


def _response_json(response: Response) -> Any:
    """The body as the JSON renderer writes it (dates, decimals and lazy strings included)."""
    return json.loads(json.dumps(response.data, cls=JSONEncoder))


def _content_type(response: Response) -> str | None:
    """The Content-Type the response will be rendered with (DRF sets it while rendering)."""
    if response.content_type:
        return response.content_type
    renderer = getattr(response, "accepted_renderer", None)
    if renderer is None:
        return None
    media_type = str(renderer.media_type)
    return f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type


class IdempotentPostMixin(_ViewBase):
    """Honour ``Idempotency-Key`` on the view's POSTs. List it first among the view's bases,
    so the key is looked at after authentication, permissions and query checks.

    The transaction opens in ``initial()``, once the actor is known (authentication is not
    held inside it), and closes when ``dispatch()`` returns, after the error handler and
    ``finalize_response()`` have had their say, so the kept answer is the one the client got.
    """

    schema = IdempotentPostSchema()

    _idempotency_scope: ExitStack | None = None
    _idempotency_claim: IdempotencyRecord | None = None
    _idempotency_replay: IdempotencyRecord | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with ExitStack() as scope:
            self._idempotency_scope = scope
            response = super().dispatch(request, *args, **kwargs)
            if self._idempotency_claim is not None:
                self._idempotency_settle(self._idempotency_claim, response)
            return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if request.method != "POST":
            return
        key = idempotency_key(request)
        if key is None or not request.user.is_authenticated:
            return
        assert self._idempotency_scope is not None, "dispatch() opens the scope"
        self._idempotency_scope.enter_context(transaction.atomic())
        record, claimed = services.idempotency_record_claim(
            actor=request.user,
            key=key,
            method=request.method,
            path=request.path,
            data=_request_json(request),
        )
        if claimed:
            self._idempotency_claim = record
        else:
            # dispatch() looks the handler up after initial(): answer from the record instead.
            self._idempotency_replay = record
            self.post = self.idempotent_replay

    def idempotent_replay(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The kept answer, in place of performing the request again."""
        record = self._idempotency_replay
        assert record is not None
        assert record.status_code is not None
        headers = {name: value for name, value in record.headers.items() if name in KEPT_HEADERS}
        content_type = headers.pop("Content-Type", None)
        headers[REPLAYED_HEADER] = "true"
        return Response(
            record.body, status=record.status_code, headers=headers, content_type=content_type
        )

    def _idempotency_settle(self, record: IdempotencyRecord, response: HttpResponseBase) -> None:
        if 200 <= response.status_code <= 299 and isinstance(response, Response):
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            content_type = _content_type(response)
            if content_type:
                headers["Content-Type"] = content_type
            services.idempotency_record_complete(
                record=record,
                status_code=response.status_code,
                body=_response_json(response),
                headers=headers,
            )
            return
        if 200 <= response.status_code <= 299:
            logger.warning(
                "idempotency_not_kept view=%s reason=not_a_drf_response", type(self).__name__
            )
        if not transaction.get_rollback():
            # A failed request leaves the key free; its own writes stand or fall as they
            # would without a key. (A transaction already doomed takes the record with it.)
            services.idempotency_record_release(record=record)


class UploadFingerprintMixin:
    """Let the idempotency key's fingerprint cover an uploaded file by its hash.

    ``IdempotentPostMixin`` fingerprints ``request.data``; for a multipart body that holds the
    uploaded file objects, which are not JSON. When the request carries an ``Idempotency-Key``,
    each file is replaced there by its name, size and SHA-256 (the view reads the file from
    ``request.FILES``). List this mixin after ``IdempotentPostMixin``: it runs once the request
    is authenticated and checked, before the key is looked at.
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method != "POST" or not request.FILES:
            return
        if idempotency_key(request) is None:
            return
        data = cast(QueryDict, request.data)
        described = QueryDict(mutable=True)
        for name in data:
            if name not in request.FILES:
                described.setlist(name, data.getlist(name))
        for name, upload in request.FILES.items():
            described.setlist(name, [describe_upload(upload)])
        # What request.data answers from now on (DRF keeps the parsed body there).
        setattr(request, "_full_data", described)  # noqa: B010


def describe_upload(upload: UploadedFile) -> str:
    """What identifies an uploaded file in a fingerprint (which keeps only a hash of it)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return f"sha256={digest.hexdigest()} size={upload.size} name={upload.name}"

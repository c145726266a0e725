"""One family of domain errors, and the one shape of every error answer.

Every error body has the same shape: ``{"code": str, "detail": str, "fields": {name: [msg]}}``
(``fields`` only when a field is at fault). Services raise ``DomainError`` subclasses; views never
build error responses by hand: the API's exception handler (``core.api.exception_handler``)
renders them.

This module imports no DRF view: DRF's views load the authentication classes named in the
settings, which load the models, and the models raise these errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import status

# A message: text, or a lazy translation resolved in the language of the request that shows it.
StrOrPromise = str | Promise
FieldErrors = Mapping[str, Sequence[StrOrPromise]]


class DomainError(Exception):
    """A rule of the domain was broken. Subclasses set ``status_code`` and ``code``."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"
    # Lazy: each answer is in the language of its request, not of the moment of import.
    default_detail: StrOrPromise = _("The request breaks a rule of the registry.")

    def __init__(
        self,
        detail: StrOrPromise | None = None,
        *,
        fields: FieldErrors | None = None,
        code: str | None = None,
    ) -> None:
        self.detail = str(detail) if detail is not None else str(self.default_detail)
        if code is not None:
            self.code = code
        self.fields: dict[str, list[str]] = {
            k: [str(m) for m in v] for k, v in (fields or {}).items()
        }
        # What an error's answer carries besides code, detail and fields (e.g. the candidates a
        # refused case opening found), as JSON-ready values; set by the layer that renders it.
        self.extra: dict[str, Any] = {}
        super().__init__(self.detail)


class ValidationFailed(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_detail = _("Some fields are not valid.")

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, fields={field: [message]})


class PermissionDenied(DomainError):
    """The actor may see the record but not do this to it (a record out of the actor's scope
    is a ``NotFound`` instead, so its existence is not revealed)."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_detail = _("Your role does not allow this.")


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_detail = _("Not found.")


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_detail = _("The request conflicts with the current state of the record.")


class PreconditionFailed(DomainError):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    code = "precondition_failed"
    default_detail = _("The record has changed since you read it.")


class PreconditionRequired(DomainError):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    code = "precondition_required"
    default_detail = _(
        "Send the record's ETag in an If-Match header, so a change made since is not lost."
    )


class RequestTooLarge(DomainError):
    """The body is over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (files of a multipart body aside: an
    upload has its own limit)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    code = "request_too_large"
    default_detail = _("The request body is over the size limit.")


class MalformedRequest(DomainError):
    """A request Django refused while reading it (``SuspiciousOperation`` or ``BadRequest``)."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "bad_request"
    default_detail = _("The request is malformed.")


def unreadable_request_error(exc: Exception) -> DomainError:
    """The error to answer for what Django raises while reading a request (its body, its
    form fields): a body over the limit is a 413, too many fields or files and anything else
    Django finds suspicious a 400."""
    if isinstance(exc, RequestDataTooBig):
        limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return RequestTooLarge(
            _("The request body is over the size limit of %(limit)s (files uploaded aside).")
            % {"limit": limit}
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return MalformedRequest(_("The request has too many fields or files."))
    return MalformedRequest()


def error_body(
    code: str,
    detail: str,
    fields: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    # Never over the shape every error shares.
    body.update({k: v for k, v in (extra or {}).items() if k not in ("code", "detail", "fields")})
    return body


def django_validation_fields(error: DjangoValidationError) -> dict[str, list[str]]:
    """Django's errors by field, with whole-record errors under ``non_field_errors`` as DRF
    names them (Django says ``__all__``)."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if k == NON_FIELD_ERRORS else k): [str(m) for m in v]
            for k, v in error.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in error.messages]}


def api_page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for unrouted URLs: the JSON error body under ``/api/``, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", str(_("No such endpoint."))), status=404)
    return defaults.page_not_found(request, exception)


def error_response(error: DomainError) -> JsonResponse:
    """The JSON answer of a refusal made outside an API view's own error handling."""
    return JsonResponse(
        error_body(error.code, error.detail, error.fields, error.extra), status=error.status_code
    )


def api_bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 (``handler400``) for what Django refuses outside an API view's own error handling
    (a body over the size limit read by a middleware, too many fields, a disallowed host): the
    JSON error body under ``/api/`` (413 for a body too large), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return error_response(unreadable_request_error(exception))
    return defaults.bad_request(request, exception)


def api_permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403 (``handler403``) outside an API view: the JSON error body under ``/api/``."""
    if request.path.startswith("/api/"):
        return error_response(PermissionDenied())
    return defaults.permission_denied(request, exception)


def api_server_error(request: HttpRequest) -> HttpResponse:
    """Last resort for an unexpected failure: the JSON error body under ``/api/``, no details."""
    if request.path.startswith("/api/"):
        body = error_body("server_error", str(_("The server could not complete the request.")))
        return JsonResponse(body, status=500)
    return defaults.server_error(request)

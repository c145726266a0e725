"""One family of domain errors and the one exception handler that turns errors into HTTP answers.

Every error body has the same shape: ``{"code": str, "detail": str, "fields": {name: [msg]}}``
(``fields`` only when a field is at fault). Services raise ``DomainError`` subclasses; views never
build error responses by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django_stubs_ext import StrOrPromise
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

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


def _body(code: str, detail: str, fields: Mapping[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


def _flatten(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into ``{"child.given_name": ["..."]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            name = (
                key if not prefix else (prefix if key == "non_field_errors" else f"{prefix}.{key}")
            )
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(errors, list | tuple):
        for index, item in enumerate(errors):
            if isinstance(item, Mapping | list | tuple):
                for k, v in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    out.setdefault(k, []).extend(v)
            else:
                out.setdefault(prefix or "non_field_errors", []).append(str(item))
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(errors))
    return out


def _first_message(fields: Mapping[str, Sequence[str]]) -> str:
    for name, messages in fields.items():
        if messages:
            return f"{name}: {messages[0]}" if name != "non_field_errors" else str(messages[0])
    return str(ValidationFailed.default_detail)


def django_validation_fields(error: DjangoValidationError) -> dict[str, list[str]]:
    """Django's errors by field, with whole-record errors under ``non_field_errors`` as DRF
    names them (Django says ``__all__``)."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if k == NON_FIELD_ERRORS else k): [str(m) for m in v]
            for k, v in error.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in error.messages]}


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """Map every error a view can meet to ``{"code", "detail", "fields"}`` with its status."""
    if isinstance(exc, DomainError):
        return Response(_body(exc.code, exc.detail, exc.fields), status=exc.status_code)

    if isinstance(exc, DjangoValidationError):
        fields = django_validation_fields(exc)
        return Response(_body("invalid", _first_message(fields), fields), status=400)

    if isinstance(exc, IntegrityError):
        # Services check rules before writing; reaching here means a concurrent write won the race.
        logger.warning("integrity_conflict view=%s", type(context.get("view")).__name__)
        return Response(
            _body("conflict", str(_("The record was changed concurrently; reload and retry."))),
            status=409,
        )

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    if isinstance(exc, drf_exceptions.ValidationError):
        fields = _flatten(exc.detail)
        return Response(_body("invalid", _first_message(fields), fields), status=400)

    response = drf_exception_handler(exc, dict(context))
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.APIException):
        detail = exc.detail
        code = exc.get_codes() if not isinstance(exc.detail, Mapping | list) else exc.default_code
        if isinstance(detail, Mapping | list):
            fields = _flatten(detail)
            response.data = _body(str(exc.default_code), _first_message(fields), fields)
        else:
            response.data = _body(str(code), str(detail))
    return response


def api_page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for unrouted URLs: the JSON error body under ``/api/``, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(_body("not_found", str(_("No such endpoint."))), status=404)
    return defaults.page_not_found(request, exception)


def api_server_error(request: HttpRequest) -> HttpResponse:
    """Last resort for an unexpected failure: the JSON error body under ``/api/``, no details."""
    if request.path.startswith("/api/"):
        body = _body("server_error", str(_("The server could not complete the request.")))
        return JsonResponse(body, status=500)
    return defaults.server_error(request)

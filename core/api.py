"""API plumbing shared by every app: pagination, strict filtering and strict query parameters,
and the exception handler that answers every error with the one error body.

A partner system that misspells a filter must hear about it: an unknown query parameter, an
unknown ordering field, a bad cursor or a page size out of range is a 400 naming the parameter,
never silently ignored.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    FieldDoesNotExist,
    ImproperlyConfigured,
    SuspiciousOperation,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models
from django.db.models import QuerySet
from django.http import Http404, QueryDict
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import exceptions as drf_exceptions
from rest_framework import pagination, serializers
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.db import MAX_ID
from core.errors import (
    DomainError,
    PreconditionFailed,
    PreconditionRequired,
    StrOrPromise,
    ValidationFailed,
    django_validation_fields,
    error_body,
    unreadable_request_error,
)

logger = logging.getLogger(__name__)

FORMAT_PARAM = "format"
_WHOLE_NUMBER = re.compile(r"-?[0-9]+")
# A query parameter given without a value is refused rather than read as absent: a client that
# sent ?country= believes it filtered.
EMPTY_VALUE_MESSAGE = gettext_lazy("Empty: give a value, or leave the parameter out.")


def _is_empty(values: Iterable[Any]) -> bool:
    return any(not str(value).strip() for value in values)


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination: stable under concurrent inserts and constant-cost at any depth."""

    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE
    ordering = ("-updated_at", "-id")

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return int(self.page_size)
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationFailed.on(
                self.page_size_query_param,
                _("Must be a whole number from 1 to %(max)d.") % {"max": self.max_page_size},
            )
        return size

    def decode_cursor(self, request: Request) -> Any:
        """The cursor, refused (400 naming ``cursor``) unless it is one this API would issue.

        DRF reads a cursor leniently: what does not decode as base64 decodes to nothing, unknown
        or repeated keys are dropped and an offset past its cut-off is clamped, so ``!!!`` or
        ``AAAA`` would silently answer the first page. Here the decoded cursor must encode back
        to exactly what was sent, and its position must be a value of the ordering field as the
        API writes it (an aware time for a time, a whole number for a number, text without a
        NUL for text): anything else was forged, mangled or issued for another ordering.
        """
        if _is_empty(request.query_params.getlist(self.cursor_query_param)):
            raise ValidationFailed.on(self.cursor_query_param, str(EMPTY_VALUE_MESSAGE))
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            cursor = super().decode_cursor(request)
        except (drf_exceptions.NotFound, TypeError, ValueError) as exc:
            # DRF answers a cursor it cannot read with a 404; it is a bad parameter.
            raise self._not_a_cursor() from exc
        if cursor is None or not encoded:
            return cursor  # no cursor (an empty one reads as none, as DRF reads it)
        # DRF's stubs type the position as a number; it is the text the cursor carried.
        position = cast(str | None, cursor.position)
        if self._token(cursor) != encoded or (
            position is not None and not self._is_position(position)
        ):
            raise self._not_a_cursor()
        return cursor

    def _not_a_cursor(self) -> ValidationFailed:
        return ValidationFailed.on(self.cursor_query_param, _("Not a cursor this API issued."))

    @staticmethod
    def _token(cursor: pagination.Cursor) -> str:
        """The cursor's value as ``encode_cursor`` writes it into a link."""
        tokens: dict[str, str] = {}
        if cursor.offset != 0:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = str(cursor.position)
        return base64.b64encode(urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")

    def _is_position(self, position: str) -> bool:
        """Whether ``position`` is a value of the ordering field as the API writes it (DRF
        writes ``str()`` of the value)."""
        if "\x00" in position:
            return False
        field = self._ordering_field()
        if isinstance(field, models.DateTimeField):
            try:
                moment = parse_datetime(position)
                if moment is None or moment.tzinfo is None:
                    return False
                moment.astimezone(dt.UTC)  # the database's zone: overflows before year 1
            except (ValueError, OverflowError):  # well formed but no such time (February 30)
                return False
            return True
        if isinstance(field, models.DateField):
            try:
                return parse_date(position) is not None
            except ValueError:
                return False
        if isinstance(field, models.IntegerField | models.AutoField):
            return _WHOLE_NUMBER.fullmatch(position) is not None and str(int(position)) == position
        if field is not None:
            try:
                field.to_python(position)
            except DjangoValidationError:
                return False
        return True

    def _ordering_field(self) -> Any:
        """The model field (or annotation's output field) the cursor's position is a value of;
        ``None`` when unknown."""
        queryset = getattr(self, "_queryset", None)
        if not isinstance(queryset, QuerySet):
            return None
        name = self.ordering[0].lstrip("-")
        try:
            return queryset.model._meta.get_field(name)
        except FieldDoesNotExist:
            annotation = queryset.query.annotations.get(name)
            return getattr(annotation, "output_field", None)

    def paginate_queryset(
        self,
        queryset: QuerySet[Any, Any] | Sequence[Any],
        request: Request,
        view: APIView | None = None,
    ) -> list[Any] | None:
        self._queryset = queryset  # decode_cursor checks the position against its ordering field
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, OverflowError) as exc:
            # A position that passed the checks above but that the database refuses still
            # names a cursor the API did not issue.
            raise self._not_a_cursor() from exc

    def query_params(self) -> set[str]:
        return {self.cursor_query_param, self.page_size_query_param}


class NonEmptyFilterForm:
    """The filters' form refuses a parameter given without a value (``?country=``): read as
    absent, it would answer every record while the client believes it filtered."""

    def clean(self) -> dict[str, Any] | None:
        form: Any = self  # mixed into a forms.Form
        cleaned: dict[str, Any] | None = super().clean()  # type: ignore[misc]
        for name in form.fields:
            key = form.add_prefix(name)
            if key not in form.data or name in form._errors:
                continue
            values = form.data.getlist(key) if hasattr(form.data, "getlist") else [form.data[key]]
            if _is_empty(values):
                form.add_error(name, EMPTY_VALUE_MESSAGE)
        return cleaned


class FilterSet(filters.FilterSet):
    """django-filter's FilterSet without its two deep copies per request, refusing empty values
    (``NonEmptyFilterForm``).

    django-filter deep-copies every declared filter for each request and builds a new form
    class from the copies; on the case list that was a tenth of the request. Here each request
    takes shallow copies of the filters (each gets its own ``parent`` and ``model``; their
    declared arguments are never mutated) and the form class is built once per FilterSet. The
    form's fields are still copied per form instance, as Django's forms always do. Because
    the form is built without a request, a filter's ``queryset`` may not depend on one.
    """

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Any] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(f) for name, f in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self
            if filter_.method is not None:
                filter_.method = filter_.method  # binds a FilterMethod to this copy

    def get_form_class(self) -> type[forms.Form]:
        cls = type(self)
        form_class: type[forms.Form] | None = cls.__dict__.get("_form_class")
        if form_class is None:
            for name, filter_ in cls.base_filters.items():
                if callable(getattr(filter_, "queryset", None)):
                    raise ImproperlyConfigured(
                        f"{cls.__name__}.{name}: a queryset that depends on the request "
                        "cannot be used with a form built once per FilterSet."
                    )
                filter_.model = self._meta.model  # labels are derived from the model
            fields = {name: f.field for name, f in cls.base_filters.items()}
            form_class = type(f"{cls.__name__}Form", (NonEmptyFilterForm, self._meta.form), fields)
            cls._form_class = form_class
        return form_class


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, answering 400 for invalid values (its default) and naming its parameters."""

    def query_params(self, view: APIView) -> set[str]:
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is None:
            return set()
        return set(filterset_class.base_filters)


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` that refuses fields it does not offer instead of dropping them, and an
    empty value instead of reading it as the default order."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: APIView) -> Any:
        if _is_empty(request.query_params.getlist(self.ordering_param)):
            raise ValidationFailed.on(self.ordering_param, str(EMPTY_VALUE_MESSAGE))
        return super().get_ordering(request, queryset, view)

    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: Iterable[str], view: APIView, request: Request
    ) -> list[str]:
        valid = {item[0] for item in self.get_valid_fields(queryset, view, {"request": request})}
        invalid = [term for term in fields if term.lstrip("-") not in valid]
        if invalid:
            raise ValidationFailed.on(
                self.ordering_param,
                _("Cannot order by %(terms)s; choose from %(valid)s.")
                % {"terms": ", ".join(invalid), "valid": ", ".join(sorted(valid))},
            )
        return list(fields)

    def query_params(self, view: APIView) -> set[str]:
        return {self.ordering_param} if getattr(view, "ordering_fields", None) else set()


class StrictQueryParamsMixin:
    """Refuse query parameters the endpoint does not understand.

    List actions accept their filters, ordering and pagination parameters; other actions accept
    only ``format`` and what ``extra_query_params`` names for them.
    """

    extra_query_params: dict[str, Iterable[str]] = {}
    list_actions: frozenset[str] = frozenset({"list"})

    def allowed_query_params(self) -> set[str]:
        view: Any = self
        allowed = {FORMAT_PARAM}
        action = getattr(view, "action", None)
        allowed.update(self.extra_query_params.get(action or "", ()))
        if action in self.list_actions:
            for backend_class in getattr(view, "filter_backends", ()):
                backend = backend_class()
                if hasattr(backend, "query_params"):
                    allowed.update(backend.query_params(view))
                elif hasattr(backend, "search_param"):
                    allowed.add(backend.search_param)
            paginator = getattr(view, "paginator", None)
            if paginator is not None and hasattr(paginator, "query_params"):
                allowed.update(paginator.query_params())
        return allowed

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        unknown = sorted(set(request.query_params) - self.allowed_query_params())
        if unknown:
            message = _("Unknown query parameter.")
            raise ValidationFailed(
                _("Unknown query parameter: %(names)s.") % {"names": ", ".join(unknown)},
                fields={name: [message] for name in unknown},
            )


# ---------------------------------------------------------------------------------------------
# Filters every API shares
# ---------------------------------------------------------------------------------------------
_F = TypeVar("_F", bound=filters.Filter)

ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1}


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time that still exists once converted to UTC (the database's time zone).

    ``0001-01-01T00:00:00+14:00`` parses, but falls before year 1 in UTC; refuse it here rather
    than let the database adapter overflow.
    """

    def to_python(self, value: Any) -> dt.datetime | None:
        result: dt.datetime | None = super().to_python(value)
        if result is not None:
            try:
                result.astimezone(dt.UTC)
            except OverflowError as exc:
                raise forms.ValidationError(_("Out of range."), code="invalid") from exc
        return result


class DateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class IdFilter(filters.NumberFilter):
    """A whole-number id: ``1.5`` or ``abc`` is a 400, not a silently truncated match."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def documented(filter_: _F, schema: dict[str, Any]) -> _F:
    """Give a filter an explicit OpenAPI schema, keeping its help text as the description."""
    return extend_schema_field({**schema, "description": str(filter_.extra.get("help_text", ""))})(
        filter_
    )


def id_filter(field_name: str, help_text: StrOrPromise) -> IdFilter:
    """An id filter documented as a positive integer."""
    return documented(IdFilter(field_name=field_name, help_text=help_text), ID_SCHEMA)


def range_filters(
    field_name: str,
    *,
    after: StrOrPromise,
    before: StrOrPromise,
    filter_class: type[filters.Filter] = filters.DateFilter,
) -> tuple[filters.Filter, filters.Filter]:
    """The ``<x>_after`` and ``<x>_before`` pair of a date or time: on or after the one, strictly
    before the other, so consecutive ranges neither overlap nor leave a gap."""
    return (
        filter_class(field_name=field_name, lookup_expr="gte", help_text=after),
        filter_class(field_name=field_name, lookup_expr="lt", help_text=before),
    )


# ---------------------------------------------------------------------------------------------
# OpenAPI pieces every API shares
# ---------------------------------------------------------------------------------------------
class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error answer: a stable code, an explanation and, when fields or query
    parameters are at fault, what is wrong with each."""

    code = serializers.CharField(help_text=gettext_lazy("Stable machine-readable error code."))
    detail = serializers.CharField(help_text=gettext_lazy("Human-readable explanation."))

    class Meta:
        ref_name = "Error"

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "fields" names a Serializer attribute, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["fields"] = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text=_(
                "Messages per field or query parameter at fault; nested fields are dotted, "
                "e.g. child.given_name."
            ),
        )
        return fields


def error_responses(
    descriptions: Mapping[int, StrOrPromise], *codes: int
) -> dict[int, OpenApiResponse]:
    """The error answers of an operation, each with the shared error body."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=str(descriptions[code]))
        for code in codes
    }


PAGE_SIZE_PARAMETER = OpenApiParameter(
    "page_size",
    {
        "type": "integer",
        "minimum": 1,
        "maximum": settings.API_MAX_PAGE_SIZE,
        "default": settings.API_PAGE_SIZE,
    },
    OpenApiParameter.QUERY,
    description=gettext_lazy("Rows per page."),
)


# Response headers are not part of drf-spectacular's ``OpenApiResponse``: an operation names them
# as an extension of its own (``extend_schema(extensions=response_headers(...))``), and the
# post-processing hook below moves them onto its successful answers.
RESPONSE_HEADERS_EXTENSION = "x-response-headers"


def response_header(
    description: StrOrPromise, schema: Mapping[str, Any] | None = None, *, required: bool = True
) -> dict[str, Any]:
    """One response header as the OpenAPI document describes it."""
    return {
        "description": description,
        "required": required,
        "schema": dict(schema or {"type": "string"}),
    }


def response_headers(**headers: Mapping[str, Any]) -> dict[str, Any]:
    """The ``extensions`` of an operation whose successful answers carry these headers."""
    return {RESPONSE_HEADERS_EXTENSION: {name: dict(h) for name, h in headers.items()}}


def document_response_headers(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the headers ``response_headers`` named, on every
    2xx answer of their operation."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            headers = operation.pop(RESPONSE_HEADERS_EXTENSION, None)
            if not headers:
                continue
            for status_code, response in operation.get("responses", {}).items():
                if str(status_code).startswith("2"):
                    documented = response.setdefault("headers", {})
                    for name, header in headers.items():
                        documented[name] = {**header, "description": str(header["description"])}
    return result


def document_non_empty_query_parameters(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every text query parameter documented as not
    empty (nor only spaces), as such a value is refused (``EMPTY_VALUE_MESSAGE``)."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "query":
                    continue
                schema = parameter.get("schema", {})
                for target in (schema, schema.get("items", {})):
                    if target.get("type") == "string":
                        target.setdefault("minLength", 1)
                        if not {"enum", "format", "pattern"} & set(target):
                            target["pattern"] = r"\S"
    return result


def ordering_parameter(fields: Iterable[str]) -> OpenApiParameter:
    return OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        enum=[term for field in fields for term in (field, f"-{field}")],
        description=_("Order by this field; a leading minus reverses it."),
    )


# ---------------------------------------------------------------------------------------------
# The exception handler (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``)
# ---------------------------------------------------------------------------------------------
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


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """Map every error a view can meet to ``{"code", "detail", "fields"}`` with its status."""
    if isinstance(exc, SuspiciousOperation | BadRequest):
        # Raised by Django while the view reads the body (over DATA_UPLOAD_MAX_MEMORY_SIZE, too
        # many fields). Left to Django, the answer would be its HTML page (or, with DEBUG, its
        # debug page); logged as Django logs it, to its security logger.
        if isinstance(exc, SuspiciousOperation):
            security_logger = logging.getLogger(f"django.security.{type(exc).__name__}")
            security_logger.error(str(exc), exc_info=exc, extra={"status_code": 400})
        exc = unreadable_request_error(exc)

    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.detail, exc.fields, exc.extra), status=exc.status_code
        )

    if isinstance(exc, DjangoValidationError):
        fields = django_validation_fields(exc)
        return Response(error_body("invalid", _first_message(fields), fields), status=400)

    if isinstance(exc, IntegrityError):
        # Services check rules before writing; reaching here means a concurrent write won the race.
        logger.warning("integrity_conflict view=%s", type(context.get("view")).__name__)
        return Response(
            error_body(
                "conflict", str(_("The record was changed concurrently; reload and retry."))
            ),
            status=409,
        )

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    if isinstance(exc, drf_exceptions.ValidationError):
        fields = _flatten(exc.detail)
        return Response(error_body("invalid", _first_message(fields), fields), status=400)

    response = drf_exception_handler(exc, dict(context))
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.APIException):
        detail = exc.detail
        code = exc.get_codes() if not isinstance(exc.detail, Mapping | list) else exc.default_code
        if isinstance(detail, Mapping | list):
            fields = _flatten(detail)
            response.data = error_body(str(exc.default_code), _first_message(fields), fields)
        else:
            response.data = error_body(str(code), str(detail))
    return response


# ---------------------------------------------------------------------------------------------
# Entity tags: optimistic concurrency for records that carry a ``version``
# ---------------------------------------------------------------------------------------------
def version_etag(record: models.Model) -> str:
    """A versioned record's entity tag, ``"<id>-<version>"``: any change to it changes the tag."""
    return f'"{record.pk}-{record.version}"'  # type: ignore[attr-defined]


def if_match_version(
    request: Request, record: models.Model, *, stale: type[PreconditionFailed] = PreconditionFailed
) -> int:
    """The version of ``record`` the client last read, from ``If-Match``: 428 when missing,
    ``stale`` (412) when no listed tag names the record's current version (a weak tag never
    matches, as RFC 9110 says). The service compares the version again under the row lock."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    current: int = record.version  # type: ignore[attr-defined]
    for tag in (t.strip() for t in header.split(",")):
        if tag.startswith('"') and tag.endswith('"'):
            record_part, sep, version = tag[1:-1].partition("-")
            # Any listed tag may match (a client may send several): look for the current one.
            if sep and record_part == str(record.pk) and version == str(current):
                return current
    raise stale()

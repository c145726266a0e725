"""The error types (``core.errors``), the one exception handler and the strict API plumbing
(``core.api``).

The handler is tested as a unit and through HTTP; the plumbing through a tiny test-only viewset
routed by this module's ``urlpatterns`` (``@pytest.mark.urls``).
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import django_filters
import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.test import RequestFactory
from django.urls import include, path
from rest_framework import exceptions as drf_exceptions
from rest_framework import mixins, serializers, viewsets
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from cases.exceptions import CaseNotFound, OpenCaseExists, StaleVersion, TransitionNotAllowed
from cases.models import Facility, FacilityKind
from core import errors
from core.api import (
    CursorPagination,
    StrictFilterBackend,
    StrictOrderingFilter,
    StrictQueryParamsMixin,
    exception_handler,
)
from core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)


# ---------------------------------------------------------------------------------------------
# Test-only views
# ---------------------------------------------------------------------------------------------
class FacilityOut(serializers.ModelSerializer[Facility]):
    class Meta:
        model = Facility
        fields = ["id", "name", "kind"]


class FacilityFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=FacilityKind.choices)
    country = django_filters.CharFilter()

    class Meta:
        model = Facility
        fields = ["kind", "country"]


class FacilityViewSet(
    StrictQueryParamsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Facility],
):
    queryset = Facility.objects.all()
    serializer_class = FacilityOut
    pagination_class = CursorPagination
    filter_backends = [StrictFilterBackend, StrictOrderingFilter, SearchFilter]
    filterset_class = FacilityFilter
    ordering_fields = ["name", "updated_at"]
    search_fields = ["name"]
    extra_query_params = {"retrieve": ["expand"]}


class NestedIn(serializers.Serializer[Any]):
    given_name = serializers.CharField(max_length=5)


class CaseIn(serializers.Serializer[Any]):
    child = NestedIn()
    aliases = serializers.ListField(child=serializers.CharField(max_length=3))
    priority = serializers.ChoiceField(choices=["low", "high"])


RAISES: dict[str, Exception] = {
    "domain": ValidationFailed.on("to", "Not a status of the workflow."),
    "conflict": TransitionNotAllowed(fields={"to": ["Not allowed."]}),
    "stale": StaleVersion(),
    "case_not_found": CaseNotFound(),
    "http404": Http404("No such thing with a secret name in it"),
    "django_permission": DjangoPermissionDenied(),
    "django_validation": DjangoValidationError({"date_of_birth": ["Cannot be in the future."]}),
    "integrity": IntegrityError("duplicate key value violates unique constraint secret_idx"),
    "parse": drf_exceptions.ParseError(),
}


# Raised as services raise them: built during the request.
RAISED_IN_REQUEST: dict[str, type[Exception]] = {"not_found": NotFound}


class BoomView(APIView):
    def get(self, request: Request, kind: str) -> Response:
        if kind in RAISED_IN_REQUEST:
            raise RAISED_IN_REQUEST[kind]()
        raise RAISES[kind]

    def post(self, request: Request, kind: str) -> Response:
        CaseIn(data=request.data).is_valid(raise_exception=True)
        return Response({})


router = SimpleRouter()
router.register("facilities", FacilityViewSet, basename="facility")
urlpatterns = [
    path("api/test/", include(router.urls)),
    path("api/test/boom/<str:kind>/", BoomView.as_view()),
]

HANDLER_CONTEXT: dict[str, Any] = {"view": None, "request": None}


def body(exc: Exception) -> tuple[int, dict[str, Any]]:
    response = exception_handler(exc, HANDLER_CONTEXT)
    assert response is not None
    return response.status_code, dict(response.data)


# ---------------------------------------------------------------------------------------------
# The handler, as a unit
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (DomainError(), 400, "invalid"),
        (ValidationFailed(), 400, "invalid"),
        (NotFound(), 404, "not_found"),
        (Conflict(), 409, "conflict"),
        (PreconditionFailed(), 412, "precondition_failed"),
        (CaseNotFound(), 404, "case_not_found"),
        (TransitionNotAllowed(), 409, "transition_not_allowed"),
        (OpenCaseExists(), 409, "open_case_exists"),
        (StaleVersion(), 412, "stale_version"),
    ],
)
def test_exception_handler_maps_domain_errors(exc, status, code):
    got_status, data = body(exc)
    assert got_status == status
    assert data == {"code": code, "detail": exc.default_detail}


def test_exception_handler_domain_error_fields_and_detail():
    status, data = body(ValidationFailed.on("returned_on", "Cannot be in the future."))
    assert status == 400
    assert data == {
        "code": "invalid",
        "detail": "Cannot be in the future.",
        "fields": {"returned_on": ["Cannot be in the future."]},
    }
    status, data = body(TransitionNotAllowed("Cannot move.", fields={"to": ["No."]}))
    assert (status, data) == (
        409,
        {"code": "transition_not_allowed", "detail": "Cannot move.", "fields": {"to": ["No."]}},
    )


def test_domain_error_stringifies_lazy_messages_and_field_lists():
    from django.utils.translation import gettext_lazy

    # Views and forms may hand over lazy translations; the error holds plain strings.
    lazy: Any = gettext_lazy("Lazy.")
    exc = ValidationFailed(lazy, fields={"a": [str(gettext_lazy("x")), "y"]})
    assert exc.detail == "Lazy."
    assert exc.fields == {"a": ["x", "y"]}
    assert str(exc) == "Lazy."


def test_domain_error_answers_in_the_language_active_when_raised():
    from django.utils import translation

    # This module, and with it every error class, was imported in English; the messages are
    # translated when an error is raised, in the language of its request.
    with translation.override("uk"):
        status, data = body(NotFound())
        assert (status, data) == (404, {"code": "not_found", "detail": "Не знайдено."})
        assert str(NotFound.default_detail) == "Не знайдено."
    with translation.override("en"):
        assert body(NotFound())[1]["detail"] == "Not found."


def test_exception_handler_drf_validation_error_nested_to_dotted_names():
    exc = drf_exceptions.ValidationError(
        {
            "child": {"given_name": ["Too long."], "non_field_errors": ["Child is odd."]},
            "aliases": [{}, {"name": ["Required."]}],
            "tags": {"2": ["Bad tag."]},
            "priority": ["Not a valid choice."],
            "non_field_errors": ["Whole record."],
        }
    )
    status, data = body(exc)
    assert status == 400
    assert data["code"] == "invalid"
    assert data["fields"] == {
        "child.given_name": ["Too long."],
        "child": ["Child is odd."],
        "aliases.1.name": ["Required."],
        "tags.2": ["Bad tag."],
        "priority": ["Not a valid choice."],
        "non_field_errors": ["Whole record."],
    }
    assert data["detail"] == "child.given_name: Too long."


def test_exception_handler_drf_validation_error_plain_and_list():
    status, data = body(drf_exceptions.ValidationError("Just wrong."))
    assert (status, data) == (
        400,
        {
            "code": "invalid",
            "detail": "Just wrong.",
            "fields": {"non_field_errors": ["Just wrong."]},
        },
    )
    _, data = body(drf_exceptions.ValidationError([{"name": ["Required."]}, "Loose."]))
    assert data["fields"] == {"0.name": ["Required."], "non_field_errors": ["Loose."]}


def test_exception_handler_django_validation_error():
    status, data = body(DjangoValidationError({"date_of_birth": ["Cannot be in the future."]}))
    assert (status, data) == (
        400,
        {
            "code": "invalid",
            "detail": "date_of_birth: Cannot be in the future.",
            "fields": {"date_of_birth": ["Cannot be in the future."]},
        },
    )
    status, data = body(DjangoValidationError("Nope."))
    assert (status, data) == (
        400,
        {"code": "invalid", "detail": "Nope.", "fields": {"non_field_errors": ["Nope."]}},
    )


def test_exception_handler_django_whole_record_errors_are_non_field_errors():
    exc = DjangoValidationError({"__all__": ["Pair exists."], "name": ["Bad."]})
    _, data = body(exc)
    assert data["fields"] == {"non_field_errors": ["Pair exists."], "name": ["Bad."]}
    assert errors.django_validation_fields(exc) == data["fields"]


def test_exception_handler_http404_hides_the_message():
    status, data = body(Http404("Case UA-2026-000001 of Шевченко"))
    assert (status, data) == (404, {"code": "not_found", "detail": "Not found."})


def test_exception_handler_django_permission_denied():
    status, data = body(DjangoPermissionDenied())
    assert status == 403
    assert data["code"] == "permission_denied"
    assert set(data) == {"code", "detail"}


def test_exception_handler_integrity_error_is_a_conflict_without_sql():
    status, data = body(IntegrityError('duplicate key value violates "case_one_open_per_child"'))
    assert status == 409
    assert data["code"] == "conflict"
    assert set(data) == {"code", "detail"}
    assert "case_one_open_per_child" not in data["detail"]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (drf_exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (drf_exceptions.AuthenticationFailed(), 401, "authentication_failed"),
        (drf_exceptions.PermissionDenied(), 403, "permission_denied"),
        (drf_exceptions.NotFound(), 404, "not_found"),
        (drf_exceptions.MethodNotAllowed("DELETE"), 405, "method_not_allowed"),
        (drf_exceptions.NotAcceptable(), 406, "not_acceptable"),
        (drf_exceptions.UnsupportedMediaType("text/plain"), 415, "unsupported_media_type"),
        (drf_exceptions.Throttled(wait=5), 429, "throttled"),
        (drf_exceptions.ParseError(), 400, "parse_error"),
    ],
)
def test_exception_handler_drf_api_exceptions(exc, status, code):
    got_status, data = body(exc)
    assert got_status == status
    assert data["code"] == code
    assert data["detail"] == str(exc.detail)
    assert set(data) == {"code", "detail"}


def test_exception_handler_api_exception_with_structured_detail():
    status, data = body(drf_exceptions.APIException({"field": ["Broken."]}))
    assert status == 500
    assert data == {"code": "error", "detail": "field: Broken.", "fields": {"field": ["Broken."]}}


def test_exception_handler_leaves_unknown_errors_to_django():
    assert exception_handler(RuntimeError("boom"), HANDLER_CONTEXT) is None
    assert exception_handler(KeyError("x"), HANDLER_CONTEXT) is None


def test_api_page_not_found_json_under_api_only():
    factory = RequestFactory()
    response = errors.api_page_not_found(factory.get("/api/v1/nowhere/"), Http404())
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content) == {"code": "not_found", "detail": "No such endpoint."}
    html = errors.api_page_not_found(factory.get("/admin/nowhere/"), Http404())
    assert html.status_code == 404
    assert not html["Content-Type"].startswith("application/json")


def test_api_server_error_json_under_api_only():
    factory = RequestFactory()
    response = errors.api_server_error(factory.get("/api/v1/cases/"))
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "code": "server_error",
        "detail": "The server could not complete the request.",
    }
    assert not errors.api_server_error(factory.get("/"))["Content-Type"].startswith(
        "application/json"
    )


# ---------------------------------------------------------------------------------------------
# The handler, wired into DRF through settings
# ---------------------------------------------------------------------------------------------
@pytest.mark.urls("tests.test_errors")
@pytest.mark.parametrize(
    ("kind", "status", "code", "fields"),
    [
        ("domain", 400, "invalid", {"to": ["Not a status of the workflow."]}),
        ("conflict", 409, "transition_not_allowed", {"to": ["Not allowed."]}),
        ("stale", 412, "stale_version", None),
        ("case_not_found", 404, "case_not_found", None),
        ("http404", 404, "not_found", None),
        ("django_permission", 403, "permission_denied", None),
        ("django_validation", 400, "invalid", {"date_of_birth": ["Cannot be in the future."]}),
        ("integrity", 409, "conflict", None),
        ("parse", 400, "parse_error", None),
    ],
)
def test_exception_handler_through_http(api_client, kind, status, code, fields):
    response = api_client.get(f"/api/test/boom/{kind}/")
    assert response.status_code == status
    data = response.json()
    assert data["code"] == code
    assert isinstance(data["detail"], str)
    assert data["detail"]
    assert data.get("fields") == fields
    assert "secret" not in data["detail"]


@pytest.mark.urls("tests.test_errors")
@pytest.mark.parametrize(("language", "detail"), [("uk", "Не знайдено."), ("en", "Not found.")])
def test_domain_error_answers_in_the_language_of_the_request(api_client, language, detail):
    response = api_client.get("/api/test/boom/not_found/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": detail}
    assert response.headers["Content-Language"] == language


@pytest.mark.urls("tests.test_errors")
def test_exception_handler_serializer_errors_through_http(api_client):
    response = api_client.post(
        "/api/test/boom/any/",
        {"child": {"given_name": "Олександр"}, "aliases": ["ok", "toolong"], "priority": "x"},
        format="json",
    )
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert set(data["fields"]) == {"child.given_name", "aliases.1", "priority"}


@pytest.mark.urls("tests.test_errors")
def test_exception_handler_malformed_json_through_http(api_client):
    response = api_client.post(
        "/api/test/boom/any/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.urls("tests.test_errors")
def test_exception_handler_anonymous_through_http(anon_client, db):
    # ``db``: an API 401 is checked for a refused API key, which the audit trail records.
    response = anon_client.get("/api/test/boom/domain/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# ---------------------------------------------------------------------------------------------
# core.api: unknown parameters, page size, cursor, ordering, filters
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def facilities(db: None) -> list[Facility]:
    return [
        Facility.objects.create(
            name=f"Synthetic facility {i:02d}",
            kind="camp" if i % 2 else "orphanage",
            country="RU" if i < 4 else "BY",
        )
        for i in range(7)
    ]


URL = "/api/test/facilities/"


def names_of(response: Any) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.urls("tests.test_errors")
def test_strict_query_params_list_accepts_what_it_understands(api_client, facilities):
    response = api_client.get(
        URL,
        {
            "kind": "camp",
            "country": "RU",
            "ordering": "-name",
            "search": "Synthetic",
            "page_size": "10",
            "format": "json",
        },
    )
    assert response.status_code == 200, response.json()
    assert names_of(response) == ["Synthetic facility 03", "Synthetic facility 01"]


@pytest.mark.urls("tests.test_errors")
@pytest.mark.parametrize(
    "params",
    [{"colour": "red"}, {"kind": "camp", "knid": "camp"}, {"page": "2"}, {"offset": "10"}],
)
def test_strict_query_params_list_refuses_unknown(api_client, facilities, params):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    unknown = sorted(set(params) - {"kind"})
    assert sorted(data["fields"]) == unknown
    for name in unknown:
        assert name in data["detail"]


@pytest.mark.urls("tests.test_errors")
def test_strict_query_params_detail_accepts_only_its_own(api_client, facilities):
    detail = f"{URL}{facilities[0].pk}/"
    assert api_client.get(detail).status_code == 200
    assert api_client.get(detail, {"format": "json", "expand": "1"}).status_code == 200
    for params in ({"kind": "camp"}, {"page_size": "5"}, {"cursor": "x"}, {"ordering": "name"}):
        response = api_client.get(detail, params)
        assert response.status_code == 400, params
        assert list(response.json()["fields"]) == list(params)


@pytest.mark.urls("tests.test_errors")
def test_strict_query_params_list_refuses_extra_params_of_other_actions(api_client, facilities):
    response = api_client.get(URL, {"expand": "1"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["expand"]


@pytest.mark.urls("tests.test_errors")
@pytest.mark.parametrize("size", ["0", "-1", "201", "abc", "1.5", ""])
def test_cursor_pagination_page_size_out_of_range(api_client, facilities, size):
    response = api_client.get(URL, {"page_size": size})
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert list(data["fields"]) == ["page_size"]
    assert "200" in data["fields"]["page_size"][0]


@pytest.mark.urls("tests.test_errors")
@pytest.mark.parametrize(("size", "rows"), [("1", 1), ("200", 7), (None, 7)])
def test_cursor_pagination_page_size_in_range(api_client, facilities, size, rows):
    response = api_client.get(URL, {"page_size": size} if size else {})
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.urls("tests.test_errors")
def test_cursor_pagination_walks_every_row_once(api_client, facilities):
    seen: list[str] = []
    params: dict[str, str] = {"page_size": "3", "ordering": "name"}
    for _ in range(5):
        response = api_client.get(URL, params)
        assert response.status_code == 200
        seen += names_of(response)
        next_url = response.json()["next"]
        if not next_url:
            break
        query = parse_qs(urlparse(next_url).query)
        params = {key: values[0] for key, values in query.items()}
        assert "cursor" in params
    assert seen == sorted(f.name for f in facilities)


@pytest.mark.urls("tests.test_errors")
@pytest.mark.parametrize("cursor", ["garbage", "b=x", "bz0tNQ==", "cj14"])
def test_cursor_pagination_refuses_a_cursor_it_did_not_issue(api_client, facilities, cursor):
    # Not base64, a negative offset ("o=-5"), a reverse flag that is not a number ("r=x").
    response = api_client.get(URL, {"cursor": cursor})
    assert response.status_code == 400, response.json()
    data = response.json()
    assert data["code"] == "invalid"
    assert list(data["fields"]) == ["cursor"]


@pytest.mark.urls("tests.test_errors")
@pytest.mark.parametrize("position", ["1", "abc", "2024-13-45"])
def test_cursor_pagination_forged_position_is_a_400_not_a_500(api_client, facilities, position):
    forged = base64.b64encode(f"p={position}".encode()).decode()
    response = api_client.get(URL, {"cursor": forged})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.urls("tests.test_errors")
@pytest.mark.parametrize("ordering", ["colour", "-colour", "name,colour", "kind"])
def test_strict_ordering_refuses_unknown_fields(api_client, facilities, ordering):
    response = api_client.get(URL, {"ordering": ordering})
    assert response.status_code == 400
    data = response.json()
    assert list(data["fields"]) == ["ordering"]
    assert "name" in data["fields"]["ordering"][0]  # the valid choices are named


@pytest.mark.urls("tests.test_errors")
def test_strict_filter_refuses_invalid_values(api_client, facilities):
    response = api_client.get(URL, {"kind": "zoo"})
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert list(data["fields"]) == ["kind"]


def test_strict_query_params_allowed_set():
    view = FacilityViewSet()
    view.action = "list"
    view.request = None  # type: ignore[assignment]
    allowed = view.allowed_query_params()
    assert allowed == {"format", "kind", "country", "ordering", "search", "cursor", "page_size"}
    view.action = "retrieve"
    assert view.allowed_query_params() == {"format", "expand"}

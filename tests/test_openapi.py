"""The OpenAPI document: valid OpenAPI 3, every path and operation, every error body, and no
generator warnings (so what the document says is what the API does)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

EXPECTED_OPERATIONS: dict[str, dict[str, str]] = {
    "/api/v1/cases/": {"get": "cases_list", "post": "cases_create"},
    "/api/v1/cases/{id}/": {"get": "cases_retrieve", "patch": "cases_partial_update"},
    "/api/v1/cases/{id}/transition/": {"post": "cases_transition"},
    "/api/v1/cases/{id}/relatives/": {
        "get": "cases_relatives_list",
        "post": "cases_relatives_create",
    },
    "/api/v1/cases/{id}/relatives/{relative_id}/": {"patch": "cases_relatives_partial_update"},
    "/api/v1/cases/{id}/whereabouts/": {
        "get": "cases_whereabouts_list",
        "post": "cases_whereabouts_create",
    },
    "/api/v1/cases/{id}/whereabouts/{whereabouts_id}/": {
        "patch": "cases_whereabouts_partial_update"
    },
    "/api/v1/cases/{id}/timeline/": {"get": "cases_timeline"},
    "/api/v1/cases/{id}/shares/": {"get": "cases_shares_list", "post": "cases_shares_create"},
    "/api/v1/cases/{id}/shares/{share_id}/revoke/": {"post": "cases_shares_revoke"},
    "/api/v1/cases/{id}/closure-requests/": {
        "get": "cases_closure_requests_list",
        "post": "cases_closure_requests_create",
    },
    "/api/v1/cases/{id}/closure-requests/{request_id}/approve/": {
        "post": "cases_closure_requests_approve"
    },
    "/api/v1/cases/{id}/closure-requests/{request_id}/reject/": {
        "post": "cases_closure_requests_reject"
    },
    "/api/v1/case-counts/": {"get": "case_counts"},
    "/api/v1/children/match/": {"post": "children_match"},
    "/api/v1/case-removals/": {"get": "case_removals_list"},
    "/api/v1/duplicates/": {"get": "duplicates_list"},
    "/api/v1/duplicates/{id}/": {"get": "duplicates_retrieve"},
    "/api/v1/duplicates/{id}/decide/": {"post": "duplicates_decide"},
    "/api/v1/facilities/": {"get": "facilities_list"},
    "/api/v1/facilities/{id}/": {"get": "facilities_retrieve"},
    "/api/v1/oblasts/": {"get": "oblasts_list"},
    "/api/v1/oblasts/{code}/": {"get": "oblasts_retrieve"},
    "/api/v1/audit-events/": {"get": "audit_events_list"},
    "/api/v1/audit-events/{id}/": {"get": "audit_events_retrieve"},
    "/api/v1/sources/": {"get": "sources_list", "post": "sources_create"},
    "/api/v1/sources/{id}/": {"get": "sources_retrieve", "patch": "sources_partial_update"},
    "/api/v1/sources/{id}/download/": {"get": "sources_download"},
    "/api/v1/sources/{id}/custody/": {"get": "sources_custody"},
    "/api/v1/evidence/": {"get": "evidence_list", "post": "evidence_create"},
    "/api/v1/evidence/{id}/": {
        "get": "evidence_retrieve",
        "patch": "evidence_partial_update",
        "delete": "evidence_destroy",
    },
    "/api/v1/figures/": {"get": "figures_list", "post": "figures_create"},
    "/api/v1/figures/{id}/": {"get": "figures_retrieve", "patch": "figures_partial_update"},
    "/api/v1/coalition/meetings/": {
        "get": "coalition_meetings_list",
        "post": "coalition_meetings_create",
    },
    "/api/v1/coalition/meetings/{id}/": {
        "get": "coalition_meetings_retrieve",
        "patch": "coalition_meetings_partial_update",
    },
    "/api/v1/coalition/statements/": {
        "get": "coalition_statements_list",
        "post": "coalition_statements_create",
    },
    "/api/v1/coalition/statements/{id}/": {
        "get": "coalition_statements_retrieve",
        "patch": "coalition_statements_partial_update",
    },
    "/api/v1/coalition/resolutions/": {
        "get": "coalition_resolutions_list",
        "post": "coalition_resolutions_create",
    },
    "/api/v1/coalition/resolutions/{id}/": {
        "get": "coalition_resolutions_retrieve",
        "patch": "coalition_resolutions_partial_update",
    },
    "/api/v1/coalition/resolutions/{id}/votes/": {"put": "coalition_resolutions_votes"},
    "/api/v1/coalition/resolutions/{id}/roll-call/": {"post": "coalition_resolutions_roll_call"},
    "/api/v1/coalition/parties/": {
        "get": "coalition_parties_list",
        "post": "coalition_parties_create",
    },
    "/api/v1/coalition/parties/{code}/": {
        "get": "coalition_parties_retrieve",
        "patch": "coalition_parties_partial_update",
    },
    "/api/v1/coalition/areas/": {"get": "coalition_areas_list"},
    "/api/v1/coalition/areas/{code}/": {"get": "coalition_areas_retrieve"},
    "/api/v1/coalition/commitments/": {"get": "coalition_commitments_list"},
    "/api/v1/coalition/commitments/{code}/": {"get": "coalition_commitments_retrieve"},
    "/api/v1/coalition/members/": {
        "get": "coalition_members_list",
        "post": "coalition_members_create",
    },
    "/api/v1/coalition/members/{id}/": {
        "get": "coalition_members_retrieve",
        "patch": "coalition_members_partial_update",
    },
    "/api/v1/coalition/projects/": {
        "get": "coalition_projects_list",
        "post": "coalition_projects_create",
    },
    "/api/v1/coalition/projects/{id}/": {
        "get": "coalition_projects_retrieve",
        "patch": "coalition_projects_partial_update",
    },
    "/api/v1/coalition/pledges/": {
        "get": "coalition_pledges_list",
        "post": "coalition_pledges_create",
    },
    "/api/v1/coalition/pledges/{id}/": {
        "get": "coalition_pledges_retrieve",
        "patch": "coalition_pledges_partial_update",
    },
    "/api/v1/coalition/pledges/{id}/transition/": {"post": "coalition_pledges_transition"},
    "/api/v1/coalition/pledges/{id}/history/": {"get": "coalition_pledges_history"},
    "/api/v1/coalition/countries/": {"get": "coalition_countries_list"},
    "/api/v1/coalition/countries/{code}/": {"get": "coalition_country_dossier"},
    "/api/v1/reports/": {"get": "reports_list", "post": "reports_create"},
    "/api/v1/reports/{id}/": {"get": "reports_retrieve"},
    "/api/v1/reports/{id}/csv/": {"get": "reports_csv"},
    "/api/v1/reports/{id}/xlsx/": {"get": "reports_xlsx"},
    "/api/v1/match-runs/": {"get": "match_runs_list", "post": "match_runs_create"},
    "/api/v1/match-runs/{id}/": {"get": "match_runs_retrieve"},
    "/api/v1/match-runs/{id}/results/": {"get": "match_runs_results"},
    "/api/v1/match-runs/{id}/csv/": {"get": "match_runs_csv"},
    "/api/v1/match-runs/{id}/confirm/": {"post": "match_runs_confirm"},
    "/api/v1/imports/": {"get": "case_imports_list", "post": "case_imports_create"},
    "/api/v1/imports/{id}/": {"get": "case_imports_retrieve"},
    "/api/v1/imports/{id}/commit/": {"post": "case_imports_commit"},
    "/api/v1/imports/{id}/discard/": {"post": "case_imports_discard"},
    "/api/v1/coalition/lists/": {"get": "coalition_lists_list", "post": "coalition_lists_create"},
    "/api/v1/coalition/lists/{id}/": {
        "get": "coalition_lists_retrieve",
        "patch": "coalition_lists_partial_update",
    },
    "/api/v1/coalition/lists/{id}/entries/": {
        "get": "coalition_lists_entries_list",
        "post": "coalition_lists_entries_create",
    },
    "/api/v1/coalition/list-entries/{id}/": {"patch": "coalition_list_entries_partial_update"},
    "/api/v1/reminders/": {"get": "reminders_list"},
    "/api/v1/reminders/{id}/": {"get": "reminders_retrieve"},
    "/api/v1/reminders/{id}/acknowledge/": {"post": "reminders_acknowledge"},
    "/api/v1/reminders/{id}/snooze/": {"post": "reminders_snooze"},
    "/api/v1/subscriptions/": {"get": "subscriptions_list", "post": "subscriptions_create"},
    "/api/v1/subscriptions/{id}/": {
        "get": "subscriptions_retrieve",
        "patch": "subscriptions_partial_update",
        "delete": "subscriptions_destroy",
    },
}
CASE_FILTERS = {
    "status",
    "phase",
    "priority",
    "origin_oblast",
    "current_country",
    "assignee",
    "created_after",
    "created_before",
    "updated_after",
    "updated_before",
    "updated_since",
    "search",
    "ordering",
    "cursor",
    "page_size",
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def document(django_db_blocker: Any) -> dict[str, Any]:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_openapi_document_is_valid_openapi_3(document):
    assert document["openapi"].startswith("3.")
    validate(document)


def test_openapi_document_lists_every_path_and_operation(document):
    found = {
        path: {method: operation["operationId"] for method, operation in item.items()}
        for path, item in document["paths"].items()
    }
    assert found == EXPECTED_OPERATIONS


def test_openapi_operation_ids_are_unique(document):
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))


def test_openapi_every_operation_documents_its_errors(document):
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        # Every operation refuses unknown query parameters, so every one can answer 400.
        assert {"400", "401"} <= set(responses), (path, method)
        if "{" in path:
            assert "404" in responses, (path, method)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                if (path, method, status) in EXTENDED_ERRORS:
                    # An error body with more to say: the shared shape and its own fields.
                    extended = document["components"]["schemas"][schema["$ref"].rsplit("/")[-1]]
                    error = document["components"]["schemas"]["Error"]
                    assert set(error["properties"]) <= set(extended["properties"])
                    assert set(error["required"]) <= set(extended["required"])
                    continue
                assert schema == {"$ref": ERROR_REF}, (path, method, status)


# Errors whose body carries more than the shared shape: opening a case for a child the registry
# may hold answers with the candidates.
EXTENDED_ERRORS = {("/api/v1/cases/", "post", "409")}


def test_openapi_case_create_documents_its_likely_candidates_conflict(document):
    operation = document["paths"]["/api/v1/cases/"]["post"]
    ref = operation["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"code", "detail", "candidates"} <= set(body["properties"])
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    fields = document["components"]["schemas"][request.rsplit("/", 1)[1]]["properties"]
    assert fields["candidates_checked"]["type"] == "boolean"


def test_openapi_transition_documents_409_and_its_body(document):
    operation = document["paths"]["/api/v1/cases/{id}/transition/"]["post"]
    assert {"200", "400", "401", "404", "409"} <= set(operation["responses"])
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"to", "reason", "returned_on", "closure_reason"} <= set(body["properties"])
    assert body["required"] == ["to"]


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/v1/cases/{id}/", "patch"), ("/api/v1/cases/{id}/transition/", "post")],
)
def test_openapi_case_writes_document_if_match(document, path, method):
    operation = document["paths"][path][method]
    (if_match,) = [p for p in operation["parameters"] if p["name"] == "If-Match"]
    assert if_match["in"] == "header"
    assert if_match["required"] is True
    assert {"412", "428"} <= set(operation["responses"])


def test_openapi_source_upload_documents_the_multipart_body(document):
    operation = document["paths"]["/api/v1/sources/"]["post"]
    content = operation["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(content)
    ref = content["multipart/form-data"]["schema"]["$ref"]
    body = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert body["properties"]["file"] == {**body["properties"]["file"], "format": "binary"}
    assert body["required"] == ["file"]
    assert {"kind", "title", "publisher", "published_on", "url"} <= set(body["properties"])
    assert {"200", "201", "400", "401", "403", "409", "413", "415"} <= set(operation["responses"])
    download = document["paths"]["/api/v1/sources/{id}/download/"]["get"]
    assert download["responses"]["200"]["content"]["application/octet-stream"]["schema"] == {
        "type": "string",
        "format": "binary",
    }


def test_openapi_error_component_has_the_error_shape(document):
    error = document["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "detail", "fields"}
    assert set(error["required"]) == {"code", "detail"}


def test_openapi_case_list_documents_every_filter(document):
    parameters = document["paths"]["/api/v1/cases/"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == CASE_FILTERS
    by_name = {p["name"]: p for p in parameters}
    assert by_name["status"]["schema"]["type"] == "array"
    assert by_name["page_size"]["schema"]["maximum"] == 200
    assert "-updated_at" in by_name["ordering"]["schema"]["enum"]


def test_openapi_requires_authentication(document):
    schemes = document["components"]["securitySchemes"]
    assert {"ApiKeyAuth", "tokenAuth"} <= set(schemes)
    api_key = schemes["ApiKeyAuth"]
    assert (api_key["type"], api_key["in"], api_key["name"]) == (
        "apiKey",
        "header",
        "Authorization",
    )
    assert "Api-Key" in api_key["description"]
    for _, _, operation in _operations(document):
        # API keys first: the scheme an anonymous 401 names in WWW-Authenticate.
        assert operation["security"][0] == {"ApiKeyAuth": []}
        assert {"tokenAuth": []} in operation["security"]


def test_openapi_generation_has_no_warnings(tmp_path: Path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/cases/" in yaml.safe_load(target.read_text(encoding="utf-8"))["paths"]


def test_openapi_swagger_ui_is_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200


def _output_model_serializers() -> list[type[Any]]:
    from rest_framework import serializers

    from core.serializers import StrictInputMixin
    from tests.project_modules import project_modules

    found: dict[str, type[Any]] = {}
    for module in project_modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, serializers.ModelSerializer)
                and not issubclass(value, StrictInputMixin)
                and getattr(getattr(value, "Meta", None), "model", None) is not None
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def test_openapi_empty_choice_url_and_email_columns_answer_null():
    """A column that keeps "none" as "" though it holds a choice, a URL or an e-mail address
    is answered as null, and documented as nullable: "" is none of the enum's values, nor a
    URI, nor an address, and a typed client refuses it."""
    from django.core.exceptions import FieldDoesNotExist

    from core.serializers import blank_means_none

    checked = []
    for serializer_class in _output_model_serializers():
        model = serializer_class.Meta.model
        for name, field in serializer_class().fields.items():
            source = getattr(field, "source", name)
            try:
                model_field = model._meta.get_field(source)
            except FieldDoesNotExist:  # a method, a property or a relation's attribute
                continue
            if blank_means_none(model_field):
                checked.append(f"{serializer_class.__name__}.{name}")
                assert field.allow_null, (serializer_class, name)
                assert field.to_representation("") is None, (serializer_class, name)
    assert {"CaseListSerializer.closure_reason", "RelativeSerializer.email"} <= set(checked)
    assert {"SourceSerializer.url", "SourceSerializer.reliability"} <= set(checked)


# Wording meant for the code's readers: reStructuredText literals, the layers' module names,
# the code's own vocabulary.
INTERNAL_WORDING = re.compile(
    r"``|\b(core|audit|accounts|idempotency|cases|sources)\."
    r"(api|errors|serializers|services|selectors|views|models|filters|workflow)\b|"
    r"serializer|selector|passthrough|\bthe service\b|docstring",
    re.IGNORECASE,
)


def _descriptions(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield where, value
            else:
                yield from _descriptions(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _descriptions(value, f"{where}/{index}")


def test_openapi_descriptions_are_written_for_clients(document):
    """Descriptions come from docstrings and help texts: none may be a note to the code's
    readers (a mixin's docstring is inherited by every serializer without one of its own)."""
    internal = [
        f"{where}: {text[:80]!r}"
        for where, text in _descriptions(document)
        if INTERNAL_WORDING.search(text)
    ]
    assert not internal, "\n".join(internal)


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/api/v1/cases/", "post", "201"),
        ("/api/v1/cases/{id}/", "get", "200"),
        ("/api/v1/cases/{id}/", "patch", "200"),
        ("/api/v1/cases/{id}/transition/", "post", "200"),
    ],
)
def test_openapi_case_answers_document_their_etag(document, path, method, status):
    """A typed client reads only the headers the document declares: the ETag it must send
    back in If-Match is one of them."""
    headers = document["paths"][path][method]["responses"][status]["headers"]
    assert headers["ETag"]["required"] is True
    assert headers["ETag"]["schema"] == {"type": "string"}


def test_openapi_download_documents_every_media_type_it_answers_with(document):
    from sources.detection import ALLOWED

    answer = document["paths"]["/api/v1/sources/{id}/download/"]["get"]["responses"]["200"]
    assert set(answer["content"]) == {*ALLOWED, "application/octet-stream"}
    for content in answer["content"].values():
        assert content["schema"] == {"type": "string", "format": "binary"}
    assert {"Content-Disposition", "Repr-Digest", "Digest"} <= set(answer["headers"])


def test_openapi_query_parameters_are_documented_as_never_empty(document):
    for path, method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            schema = schema.get("items", schema)
            if parameter["in"] == "query" and schema.get("type") == "string":
                assert schema["minLength"] == 1, (path, method, parameter["name"])

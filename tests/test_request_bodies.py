"""Request bodies the API cannot take: JSON nested too deeply (a 400 ``parse_error``, not a
``RecursionError``) and bodies over the size limit (a 413 in the JSON error form, not Django's
HTML page), through a plain POST, a PATCH and the idempotency key alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organization
from core.parsers import MAX_JSON_DEPTH
from sources.models import Source
from tests.api_errors import assert_error
from tests.cases.etags import if_match
from tests.factories.sources import text_bytes
from tests.hostile_input import CHILD, counts, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(user: Any, home: Organization, oblasts: Any) -> dict[str, Any]:
    return make_world(user=user, home=home)


# ---------------------------------------------------------------------------------------------
# Nesting
# ---------------------------------------------------------------------------------------------
def nested(depth: int, *, array: bool) -> str:
    """JSON nested ``depth`` levels (arrays or objects)."""
    if array:
        return "[" * depth + "]" * depth
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


@pytest.mark.parametrize("array", [True, False])
@pytest.mark.parametrize("idempotency_key", [None, "deep-1"])
@pytest.mark.parametrize(
    "url", ["/api/v1/cases/", "/api/v1/sources/", "/api/v1/evidence/", "/api/v1/figures/"]
)
def test_json_nested_a_thousand_levels_is_a_parse_error(
    api_client, world, array, idempotency_key, url
):
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    before = counts()
    response = api_client.post(
        url, nested(1000, array=array), content_type="application/json", **headers
    )
    assert_error(response, 400, "parse_error")
    assert counts() == before


def test_json_nested_deeper_than_the_limit_is_a_parse_error_and_at_it_is_read(api_client, world):
    deep = {"child": {**CHILD, "aliases": json.loads(nested(MAX_JSON_DEPTH - 2, array=True))}}
    response = api_client.post("/api/v1/cases/", deep, format="json")
    assert_error(response, 400, "invalid")  # read, then refused by the serializer
    deeper = {"child": {**CHILD, "aliases": json.loads(nested(MAX_JSON_DEPTH - 1, array=True))}}
    response = api_client.post("/api/v1/cases/", deeper, format="json")
    assert_error(response, 400, "parse_error")


# ---------------------------------------------------------------------------------------------
# Bodies over the size limit
# ---------------------------------------------------------------------------------------------
LIMIT = 2000


@pytest.mark.parametrize("idempotency_key", [None, "big-1"])
@pytest.mark.parametrize("url", ["/api/v1/cases/", "/api/v1/sources/", "/api/v1/figures/"])
def test_a_json_body_over_the_limit_is_a_413_in_json(
    api_client, world, settings, idempotency_key, url
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    headers = {"HTTP_IDEMPOTENCY_KEY": idempotency_key} if idempotency_key else {}
    body = {"child": {**CHILD, "origin_settlement": "x" * LIMIT}}
    before = counts()
    response = api_client.post(url, body, format="json", **headers)
    assert response["Content-Type"] == "application/json"
    assert_error(response, 413, "request_too_large")
    assert counts() == before


def test_a_patch_over_the_limit_is_a_413_in_json(api_client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    body = {"child": {"origin_settlement": "x" * LIMIT}}
    response = api_client.patch(
        f"/api/v1/cases/{world['case']}/", body, format="json", **if_match(world["case"])
    )
    assert_error(response, 413, "request_too_large")


def test_a_multipart_body_over_the_limit_is_a_413_in_json(api_client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    body = {"file": SimpleUploadedFile("notes.txt", text_bytes("x")), "title": "x" * LIMIT}
    response = api_client.post("/api/v1/sources/", body, format="multipart")
    assert_error(response, 413, "request_too_large")
    assert Source.objects.count() == 1


def test_a_multipart_body_with_too_many_fields_is_a_400_in_json(api_client, world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = {f"field{i}": "x" for i in range(20)}
    response = api_client.post("/api/v1/sources/", body, format="multipart")
    assert_error(response, 400, "bad_request")


def test_a_query_string_with_too_many_parameters_is_a_400_in_json(api_client, world, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join("status=reported" for _ in range(20))
    assert_error(api_client.get(f"/api/v1/cases/?{query}"), 400, "bad_request")


def test_the_admin_answers_a_body_over_the_limit_with_its_own_page(client, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    response = client.post("/admin/login/", {"username": "x" * LIMIT, "password": "x"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")

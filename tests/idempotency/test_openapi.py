"""The OpenAPI document tells clients about Idempotency-Key on every POST of a view that
honours it, and about the 422 a reused key causes."""

from __future__ import annotations

from typing import Any

import pytest

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def document(django_db_blocker: Any) -> dict[str, Any]:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any], method: str) -> dict[str, dict[str, Any]]:
    return {
        path: item[method]
        for path, item in document["paths"].items()
        if path.startswith("/api/v1/cases/") and method in item
    }


def test_openapi_every_case_post_documents_the_idempotency_key(document):
    posts = _operations(document, "post")
    assert {"/api/v1/cases/", "/api/v1/cases/{id}/transition/"} <= set(posts)
    for path, operation in posts.items():
        (header,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header", path
        assert not header.get("required", False), path
        assert header["schema"]["maxLength"] == 255, path
        response = operation["responses"]["422"]
        assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, path
        assert "idempotency_key_reused" in response["description"], path


def test_openapi_other_methods_do_not_take_the_idempotency_key(document):
    for method in ("get", "patch"):
        for path, operation in _operations(document, method).items():
            names = {p["name"] for p in operation.get("parameters", [])}
            assert "Idempotency-Key" not in names, (method, path)
            assert "422" not in operation["responses"], (method, path)

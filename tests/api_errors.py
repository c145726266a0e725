"""The one assertion every API test uses for the error body ``{"code", "detail", "fields"?}``."""

from __future__ import annotations

from typing import Any


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert set(body) <= {"code", "detail", "fields"}
    assert isinstance(body["code"], str)
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if code is not None:
        assert body["code"] == code
    for messages in body.get("fields", {}).values():
        assert messages
        assert all(isinstance(m, str) for m in messages)
    return body

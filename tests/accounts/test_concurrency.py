"""API keys under concurrent requests (PostgreSQL: real row locks and concurrent writers)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models.query import QuerySet

from accounts.models import OrganizationAPIKey
from accounts.services import api_key_authenticate
from tests.factories.accounts import make_api_key

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CALLERS = 8


def test_api_key_authenticate_concurrent_first_uses_write_once(monkeypatch):
    api_key, secret = make_api_key()
    written: list[int] = []
    found: list[OrganizationAPIKey | None] = []
    real_update = QuerySet.update

    def counting_update(self: QuerySet, **kwargs: object) -> int:
        rows = real_update(self, **kwargs)
        if self.model is OrganizationAPIKey and "last_used_at" in kwargs:
            written.append(rows)
        return rows

    monkeypatch.setattr(QuerySet, "update", counting_update)
    barrier = threading.Barrier(CALLERS)

    def call() -> None:
        try:
            barrier.wait(timeout=10)
            found.append(api_key_authenticate(key=secret))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(found) == CALLERS
    assert all(key == api_key for key in found)
    assert sum(written) == 1
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None

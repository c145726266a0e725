"""Concurrent retries on PostgreSQL: eight requests with one key at the same moment.

Each worker thread has its own database connection (Django opens one per thread) and closes
it when done; a barrier releases them together so the requests really overlap. The first to
insert its record holds the key's unique index entry; the others wait on it and replay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case, Child
from idempotency.models import IdempotencyRecord
from tests.factories.cases import make_case
from tests.idempotency.payloads import CASES, case_body, case_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8
KEY = "race-5b1e0c7a"


def race(work: Callable[[APIClient], Any], token: str, workers: int = WORKERS) -> list[Any]:
    """Run ``work(client)`` in ``workers`` threads released at once; each result or error."""
    barrier = threading.Barrier(workers, timeout=30)
    results: list[Any] = [None] * workers

    def run(index: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            results[index] = work(client)
        except Exception as exc:  # the outcome under test, checked by the caller
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a worker hung: a lock was never released"
    return results


def test_idempotent_create_race_opens_one_case(caseworker, oblasts):
    token = Token.objects.create(user=caseworker).key
    responses = race(
        lambda client: client.post(CASES, case_body(), format="json", HTTP_IDEMPOTENCY_KEY=KEY),
        token,
    )

    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [201] * WORKERS, [r.content for r in responses]
    assert {r.json()["id"] for r in responses} == set(Case.objects.values_list("pk", flat=True))
    assert Case.objects.count() == 1
    assert Child.objects.count() == 1
    assert sum(r.has_header("Idempotent-Replayed") for r in responses) == WORKERS - 1
    assert {r["Location"] for r in responses} == {responses[0]["Location"]}
    assert IdempotencyRecord.objects.count() == 1


def test_idempotent_transition_race_moves_the_case_once(caseworker, oblasts):
    case = make_case(actor=caseworker)
    token = Token.objects.create(user=caseworker).key
    etag = f'"{case.pk}-{case.version}"'
    responses = race(
        lambda client: client.post(
            case_url(case.pk, "transition/"),
            {"to": "verifying"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=KEY,
            HTTP_IF_MATCH=etag,
        ),
        token,
    )

    assert [r.status_code for r in responses] == [200] * WORKERS, [r.content for r in responses]
    assert {r.json()["version"] for r in responses} == {case.version + 1}
    assert sum(r.has_header("Idempotent-Replayed") for r in responses) == WORKERS - 1
    assert Case.objects.get(pk=case.pk).version == case.version + 1

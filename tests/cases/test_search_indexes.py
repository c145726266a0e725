"""The search indexes during a bulk write: the new entries left in the pending lists for a worker to
merge after the commit (``cases.services.search_indexes``), and searches that find the rows
before and after the merge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from celery import current_app
from django.db import connection

from accounts.models import Organization
from cases import selectors, services, tasks
from cases.models import Case
from cases.services import search_indexes
from tests.factories.cases import child_data, home_organization

pytestmark = pytest.mark.django_db


def _on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the GIN indexes and their pending lists are PostgreSQL's")


@pytest.fixture
def org(oblasts: Any) -> Organization:
    return home_organization()


def _records(families: list[str]) -> list[services.NewCaseRecord]:
    return [
        services.NewCaseRecord(
            child=child_data(family_name=family),
            case={"deported_on": dt.date(2022, 6, 1)},
            reference=f"REF-{index}",
        )
        for index, family in enumerate(families)
    ]


def _pending_list_limit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW gin_pending_list_limit")
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def _case_found(family: str) -> bool:
    """Whether a case search for the family name finds its child's case (by the cases' words)."""
    found = selectors.case_search(Case.objects.all(), family)
    return found.filter(child__family_name=family).exists()


def _found_by_the_index(family: str) -> bool:
    """Whether searching the family name finds its child, read through the index of words."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    try:
        return selectors.children_search(query=family).filter(family_name=family).exists()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")


def _merges_queued(callbacks: list[Callable[[], Any]]) -> int:
    merge = current_app.tasks[services.SEARCH_MERGE_TASK].delay
    return sum(1 for callback in callbacks if callback == merge)


def test_search_merge_deferred_leaves_small_writes_and_other_databases_alone(
    django_capture_on_commit_callbacks: Any,
):
    limit = _pending_list_limit() if connection.vendor == "postgresql" else ""
    with django_capture_on_commit_callbacks() as callbacks:
        deferred = services.search_merge_deferred(rows=search_indexes.DEFER_MERGE_FROM - 1)
    assert deferred is False
    assert _merges_queued(callbacks) == 0
    if connection.vendor == "postgresql":
        assert _pending_list_limit() == limit
    else:  # SQLite: nothing to defer whatever the size
        assert services.search_merge_deferred(rows=10_000) is False
        assert services.search_indexes_merge() == 0


def test_cases_create_many_leaves_the_index_entries_to_a_merge_after_the_commit(
    org: Organization, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
):
    _on_postgres()
    monkeypatch.setattr(search_indexes, "DEFER_MERGE_FROM", 3)
    families = ["Пендінгова", "Списочна", "Відкладена"]
    with django_capture_on_commit_callbacks() as callbacks:
        services.cases_create_many(actor=None, records=_records(families), organization=org)
    assert _merges_queued(callbacks) == 1
    assert _pending_list_limit() == f"{search_indexes.BULK_PENDING_LIST_LIMIT_KB // 1024}MB"
    # Before the merge: the new children and cases are in the pending lists, and found.
    assert all(_found_by_the_index(family) for family in families)
    assert all(_case_found(family) for family in families)
    assert tasks.search_indexes_merge() > 0
    # After it: found in the indexes' trees; nothing is left to merge.
    assert all(_found_by_the_index(family) for family in families)
    assert all(_case_found(family) for family in families)
    assert services.search_indexes_merge() == 0


def test_a_bulk_write_below_the_threshold_queues_no_merge(
    org: Organization, django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.cases_create_many(actor=None, records=_records(["Малопартійна"]), organization=org)
    assert _merges_queued(callbacks) == 0


@pytest.mark.django_db(transaction=True)
def test_search_merge_deferred_needs_the_writes_transaction():
    _on_postgres()
    # Outside a transaction the setting would not outlast the statement that sets it.
    with pytest.raises(RuntimeError):
        services.search_merge_deferred(rows=search_indexes.DEFER_MERGE_FROM)

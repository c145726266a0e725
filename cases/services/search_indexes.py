"""The GIN indexes of search (the words of children's search keys, on the children and on
their cases; the words known; case numbers' trigrams) during a bulk write.

A GIN index with ``fastupdate`` (PostgreSQL's default) first appends each new row's entries
to a pending list, and merges the list into its tree once the list passes
``gin_pending_list_limit`` (4 MB by default), inside whichever insert passes it: an import of
thousands of children merges it again and again while it writes. A bulk write raises the limit
for its own transaction instead, so every row it writes is only appended, and has a worker
merge the list in one pass once the transaction commits (``search_indexes_merge``, also done
by autovacuum). Searches read the pending list as well as the tree: they find the rows written
before and after the merge alike (until it, they also scan the list).
"""

from __future__ import annotations

from typing import Final

from celery import current_app
from django.db import connection, transaction

# The GIN indexes a bulk write of cases adds to (migrations ``cases.0002`` and ``cases.0018``).
SEARCH_INDEXES: Final = (
    "child_search_words_idx",
    "case_search_words_idx",
    "child_search_word_trgm_idx",
    "case_number_trgm_idx",
)
SEARCH_MERGE_TASK: Final = "cases.search_indexes_merge"
# Writes of fewer rows go to the indexes as any write does: their pending entries are few.
DEFER_MERGE_FROM: Final = 200
# The pending list a bulk write may grow before it merges the list itself, in kB: room for an
# import of some 100,000 children.
BULK_PENDING_LIST_LIMIT_KB: Final = 256 * 1024


def search_merge_deferred(*, rows: int) -> bool:
    """Before a bulk write of ``rows`` rows into tables with search indexes: on PostgreSQL,
    from ``DEFER_MERGE_FROM`` rows, let the transaction's inserts grow the indexes' pending
    lists up to ``BULK_PENDING_LIST_LIMIT_KB`` and have a worker merge them once it commits.
    Whether it did. Call it inside the write's transaction (the setting is the transaction's;
    a rolled-back savepoint takes it back, and the merge with it)."""
    if connection.vendor != "postgresql" or rows < DEFER_MERGE_FROM:
        return False
    if not connection.in_atomic_block:
        raise RuntimeError("A bulk write defers its index merge inside its transaction.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('gin_pending_list_limit', %s, true)",
            [str(BULK_PENDING_LIST_LIMIT_KB)],
        )
    # Robust: the rows are written whether or not the merge can be queued (autovacuum merges
    # the lists too).
    transaction.on_commit(current_app.tasks[SEARCH_MERGE_TASK].delay, robust=True)
    return True


def search_indexes_merge() -> int:
    """Merge the search indexes' pending lists into their trees (``gin_clean_pending_list``);
    returns the pending pages merged (0 when there were none, and on other databases).
    Idempotent: what a concurrent insert, autovacuum or an earlier call merged is not there
    any more."""
    if connection.vendor != "postgresql":
        return 0
    merged = 0
    with connection.cursor() as cursor:
        for index in SEARCH_INDEXES:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            row = cursor.fetchone()
            merged += int(row[0]) if row else 0
    return merged

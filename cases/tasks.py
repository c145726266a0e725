"""Celery tasks of the case registry: thin, load by primary key, call one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from audit.context import audit_context
from audit.models import Channel

from . import counts, selectors, services

logger = logging.getLogger(__name__)


@shared_task(
    name=services.FOLLOW_UPS_TASK,
    acks_late=True,
    # Only a database that is briefly unreachable is worth retrying; a missing case is not.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def case_follow_ups_schedule(case_id: int) -> int:
    """Schedule the 30/90/180-day follow-ups of a case that entered ``returned``."""
    with audit_context(channel=Channel.TASK):
        written = services.case_follow_ups_schedule(case_id=case_id)
    logger.info("follow_ups_scheduled case_id=%s count=%s", case_id, len(written))
    return len(written)


@shared_task(name="cases.follow_ups_catch_up")
def follow_ups_catch_up() -> int:
    """Periodic tick: schedule follow-ups a lost or failed task left unscheduled."""
    case_ids = selectors.returned_cases_missing_follow_ups()
    with audit_context(channel=Channel.TASK):
        for case_id in case_ids:
            services.case_follow_ups_schedule(case_id=case_id)
    logger.info("follow_ups_catch_up cases=%s", len(case_ids))
    return len(case_ids)


@shared_task(
    name=services.DUPLICATE_PAIRS_FIND_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def duplicate_pairs_find(child_ids: list[int]) -> int:
    """Propose the possible duplicates of the children one transaction created or renamed."""
    with audit_context(channel=Channel.TASK):
        written = services.child_duplicate_pairs_find(child_ids=child_ids)
    logger.info("duplicate_pairs_found children=%s pairs=%s", len(child_ids), len(written))
    return len(written)


@shared_task(
    name="cases.duplicate_pairs_scan",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def duplicate_pairs_scan(batch_size: int = services.SCAN_BATCH_SIZE) -> int:
    """Nightly: match every child against the registry in batches, each batch in its own
    transaction, and propose the pairs found. Idempotent: a pair already proposed is updated,
    a decided one left alone. Returns the children scanned."""
    scanned = pairs = 0
    after_id = 0
    with audit_context(channel=Channel.TASK):
        while True:
            batch = services.duplicate_pairs_scan_batch(after_id=after_id, batch_size=batch_size)
            if batch.last_id is None:
                break
            scanned += batch.children
            pairs += batch.pairs
            after_id = batch.last_id
    logger.info("duplicate_pairs_scanned children=%s pairs=%s", scanned, pairs)
    return scanned


@shared_task(
    name=counts.CASE_COUNTS_REFRESH_TASK,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def case_counts_refresh() -> int | None:
    """Periodic tick: count every case again and keep the counts (``CASE_COUNTS_MAX_AGE``).
    Idempotent; skipped when another refresh is running (its counts are as fresh). Returns
    the cases counted, ``None`` when skipped."""
    snapshot = counts.case_counts_refresh(wait=False)
    if snapshot is None:
        logger.info("case_counts_refresh_skipped reason=running")
        return None
    return snapshot.cases


@shared_task(
    name=services.SEARCH_MERGE_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def search_indexes_merge() -> int:
    """Merge the search indexes' pending lists a bulk write left (``search_merge_deferred``);
    idempotent. Returns the pending pages merged."""
    merged = services.search_indexes_merge()
    logger.info("search_indexes_merged pages=%s", merged)
    return merged

"""Celery tasks of sources and evidence: thin, each calls one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from audit.context import audit_context
from audit.models import Channel

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    name="sources.verify_evidence",
    acks_late=True,
    # Only a database that is briefly unreachable is worth retrying: a run is idempotent (a
    # failure already notified is not notified again), so a retry re-checks safely.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def verify_evidence(source_ids: list[int] | None = None) -> dict[str, int]:
    """Periodic tick (daily): re-hash every stored source file, or those of ``source_ids``;
    returns the counts (checked, ok, altered, missing)."""
    with audit_context(channel=Channel.TASK):
        report = services.sources_verify(source_ids=source_ids)
    counts = report.counts()
    logger.info("verify_evidence_done %s", " ".join(f"{k}={v}" for k, v in counts.items()))
    return counts

"""Celery tasks of idempotent requests: thin, idempotent, returning counts."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="idempotency.purge_expired")
def purge_expired() -> int:
    """Periodic tick: delete idempotency records past their expiry (and the answers they
    kept, which may hold personal data)."""
    count = services.idempotency_records_purge()
    logger.info("idempotency_records_purged count=%s", count)
    return count

"""Celery tasks of the case registry: thin, load by primary key, call one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from audit.context import audit_context
from audit.models import Channel

from . import selectors, services

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

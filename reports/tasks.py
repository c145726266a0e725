"""Celery tasks of the reports app: thin, each calls one service and logs what it did."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from audit.context import audit_context
from audit.models import Channel

from .services import reminders as reminder_services

logger = logging.getLogger(__name__)


@shared_task(
    name="reports.reminders_refresh",
    # Only a database briefly unreachable is worth retrying; the next tick runs anyway.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def reminders_refresh() -> dict[str, int]:
    """Periodic tick: bring every user's reminders in step with the rules."""
    with audit_context(channel=Channel.TASK):
        result = reminder_services.reminders_refresh()
    logger.info(
        "reminders_refreshed created=%s reopened=%s resolved=%s unchanged=%s",
        result.created,
        result.reopened,
        result.resolved,
        result.unchanged,
    )
    return result.as_dict()

"""Celery tasks of the reports app: thin, each calls one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from audit.context import audit_context
from audit.models import Channel

from .services import reports as report_services

logger = logging.getLogger(__name__)


@shared_task(
    name="reports.issue_due",
    # Only a database that is briefly unreachable is worth retrying; the next tick catches up
    # on anything else.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def issue_due() -> int:
    """Hourly tick: issue the last complete week's and month's reports not issued yet."""
    with audit_context(channel=Channel.TASK):
        issued = report_services.reports_issue_due()
    logger.info("reports_issue_due issued=%s", issued)
    return issued

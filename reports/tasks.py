"""Celery tasks of the reports app: thin, each calls one service and returns its counts."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

from audit.context import audit_context
from audit.models import Channel

from .services import outbox
from .services import reminders as reminder_services
from .services import reports as report_services

logger = logging.getLogger(__name__)


@shared_task(name="reports.summaries_queue", acks_late=True)
def summaries_queue() -> dict[str, int]:
    """Periodic tick (hourly): queue the summaries of the last complete week and month whose
    reports are issued, then send the outbox."""
    with audit_context(channel=Channel.TASK):
        queued = outbox.summaries_queue()
    if queued:
        outbox_send.delay()
    return {"queued": queued}


@shared_task(name="reports.digests_queue", acks_late=True)
def digests_queue() -> dict[str, int]:
    """Periodic tick (hourly): from ``REPORTS_DIGEST_HOUR`` on, queue today's digests, then
    send the outbox."""
    with audit_context(channel=Channel.TASK):
        queued = outbox.digests_queue()
    if queued:
        outbox_send.delay()
    return {"queued": queued}


@shared_task(
    name="reports.outbox_send",
    acks_late=True,
    # A database briefly unreachable is worth another try; a record in flight stays pending
    # and is taken again. Mail transport errors are the service's (backoff per record).
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def outbox_send() -> dict[str, int]:
    """Periodic tick (every minute): send the due e-mails of the outbox; returns the counts."""
    with audit_context(channel=Channel.TASK):
        return outbox.outbox_send().counts()


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

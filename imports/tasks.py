"""Celery tasks of the imports app: thin, each loads by primary key and calls one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import OperationalError

from audit.context import audit_context
from audit.models import Channel

from .services import match_runs


@shared_task(
    name=match_runs.MATCH_RUN_TASK,
    acks_late=True,
    # A database briefly unreachable is worth another try: a run still queued is taken again,
    # one already running or done is left alone.
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def match_run_execute(run_id: int) -> dict[str, Any]:
    """Match the rows of a queued run; returns its status and counts."""
    with audit_context(channel=Channel.TASK):
        run = match_runs.match_run_execute(run_id=run_id)
    if run is None:
        return {"status": "gone"}
    return {"status": run.status, "rows": run.rows_total, "done": run.rows_done}

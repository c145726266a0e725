"""Celery tasks of the imports app: thin, each loads an import or a run by its id and calls
one service. An import's task that dies on an unexpected error leaves the import ``failed``
(its file dropped) through the failure hook, so no import waits in ``validating`` or
``committing`` for ever."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError

from audit.context import audit_context
from audit.models import Channel

from .services import imports as import_services
from .services import match_runs

logger = logging.getLogger(__name__)


class CaseImportTask(Task):
    """Marks the import failed once the task gives up (its first argument is the import's id)."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        import_id = args[0] if args else kwargs.get("case_import_id")
        logger.warning("case_import_failed id=%s error=%s", import_id, type(exc).__name__)
        if import_id is not None:
            import_services.case_import_fail(case_import_id=import_id, error=type(exc).__name__)


def _actor(actor_id: int | None) -> Any:
    if actor_id is None:
        return None
    return get_user_model()._default_manager.filter(pk=actor_id).first()


@shared_task(
    name=import_services.CHECK_TASK,
    base=CaseImportTask,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def case_import_check(case_import_id: int, actor_id: int | None = None) -> dict[str, Any]:
    """Check a large import's rows, as the person who uploaded it; returns its status and
    counts."""
    actor = _actor(actor_id)
    with audit_context(channel=Channel.TASK, actor=actor):
        case_import = import_services.case_import_check(case_import_id=case_import_id, actor=actor)
    return {"status": case_import.status, "rows": case_import.rows_total}


@shared_task(
    name=import_services.COMMIT_TASK,
    base=CaseImportTask,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def case_import_commit(case_import_id: int, actor_id: int | None = None) -> dict[str, Any]:
    """Write a large import, as the person who asked for it; returns its status and counts."""
    actor = _actor(actor_id)
    with audit_context(channel=Channel.TASK, actor=actor):
        case_import = import_services.case_import_commit(case_import_id=case_import_id, actor=actor)
    return {"status": case_import.status, "rows": case_import.rows_total}


class MatchRunTask(Task):
    """Marks the run failed once the task gives up (its first argument is the run's id)."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        run_id = args[0] if args else kwargs.get("run_id")
        logger.warning("match_run_task_failed id=%s error=%s", run_id, type(exc).__name__)
        if run_id is not None:
            match_runs.match_run_fail(run_id=run_id, error=type(exc).__name__)


@shared_task(
    name=match_runs.MATCH_RUN_TASK,
    base=MatchRunTask,
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

"""A Celery worker killed as a whole mid-task, on Redis: the task is taken again by the next
worker once the visibility timeout has passed, and done exactly once (real workers:
``tests.celery_workers``)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.conf import settings

from audit.models import AuditEvent
from cases.models import FollowUp
from cases.workflow import FOLLOW_UP_DAYS
from tests.celery_workers import VISIBILITY_TIMEOUT, WAIT, kill, wait_for
from tests.factories.cases import make_case, move_case
from tests.worker_tasks import TASK_NAME

TO_RETURNED = ("verifying", "searching", "located", "return_in_progress", "returned")
# The task's run: shorter than the workers' time limit.
PAUSE = 3.0

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.REDIS_URL, reason="needs Redis (set REDIS_URL) for a real Celery worker"
    ),
]


def test_celery_task_of_a_killed_worker_is_done_once_by_the_next(
    transactional_db: Any, start_worker: Any, tmp_path: Path
) -> None:
    case = move_case(make_case(), *TO_RETURNED)
    # Scheduled already (tasks run in-process under test): the worker is to write them again.
    FollowUp.objects.filter(case=case).delete()
    created_before = AuditEvent.objects.filter(
        object_type="cases.followup", action="create"
    ).count()
    run = uuid.uuid4().hex
    queue, starts_key = f"registry-test-{run}", f"registry-test-{run}-starts"
    client = redis.Redis.from_url(settings.REDIS_URL)
    sender = Celery("registry-test-sender", broker=settings.REDIS_URL, backend=settings.REDIS_URL)
    result = sender.send_task(TASK_NAME, args=[case.pk, starts_key, PAUSE], queue=queue)

    def starts() -> int:
        return int(client.get(starts_key) or 0)

    try:
        first = start_worker(queue, f"first-{run}")
        wait_for(lambda: starts() == 1, "the first worker to start the task", tmp_path)
        taken_at = time.monotonic()
        kill(first)
        assert FollowUp.objects.filter(case=case).count() == 0

        # A worker started before the timeout has passed leaves the task to its owner; once it
        # has passed, the next worker to start takes it back.
        time.sleep(max(0.0, taken_at + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))
        start_worker(queue, f"second-{run}")
        assert result.get(timeout=WAIT) == len(FOLLOW_UP_DAYS)

        assert starts() == 2
        assert FollowUp.objects.filter(case=case).count() == len(FOLLOW_UP_DAYS)
        created = (
            AuditEvent.objects.filter(object_type="cases.followup", action="create").count()
            - created_before
        )
        assert created == len(FOLLOW_UP_DAYS)
        # Acknowledged: nothing is waiting to be handed out a third time.
        assert client.llen(queue) == 0
        unacked = [value for value in client.hvals("unacked") if result.id.encode() in value]
        assert unacked == []
    finally:
        bindings = list(client.scan_iter(f"_kombu.binding*.{queue}"))
        client.delete(queue, starts_key, f"celery-task-meta-{result.id}", *bindings)

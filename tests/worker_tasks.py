"""A task for the test that kills a Celery worker mid-task (``tests/test_celery_worker.py``).

A real worker loads it with ``--include tests.worker_tasks``. It counts its starts in Redis, waits
long enough to be killed, then runs the project's follow-up scheduling for the case, so what the
test sees is what the project's task writes when it is run again after a lost worker.
"""

from __future__ import annotations

import time

import redis
from celery import shared_task
from django.conf import settings

from cases.tasks import case_follow_ups_schedule

TASK_NAME = "tests.follow_ups_after_a_pause"


@shared_task(name=TASK_NAME)
def follow_ups_after_a_pause(case_id: int, starts_key: str, pause: float) -> int:
    redis.Redis.from_url(settings.REDIS_URL).incr(starts_key)
    time.sleep(pause)
    written: int = case_follow_ups_schedule(case_id)
    return written

"""A Celery worker killed as a whole mid-task, on Redis: the task is taken again by the next
worker once the visibility timeout has passed, and done exactly once.

Real ``celery -A config worker`` processes on the production settings, against the Redis of
``REDIS_URL`` and the test database (committed data: a transactional test), with a visibility
timeout of a few seconds set through ``CELERY_VISIBILITY_TIMEOUT`` as an operator would set it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from audit.models import AuditEvent
from cases.models import FollowUp
from cases.workflow import FOLLOW_UP_DAYS
from tests.factories.cases import make_case, move_case
from tests.worker_tasks import TASK_NAME

ROOT = Path(__file__).resolve().parent.parent
TO_RETURNED = ("verifying", "searching", "located", "return_in_progress", "returned")
# Short enough for a test, in the order production needs them: the task's pause (its run) is
# shorter than the time limit, which is shorter than the visibility timeout.
PAUSE = 3.0
TIME_LIMIT = 6
VISIBILITY_TIMEOUT = 8
WAIT = 45.0

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.REDIS_URL, reason="needs Redis (set REDIS_URL) for a real Celery worker"
    ),
]


def _database_url() -> str:
    """The test database, as the worker processes reach it."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def _wait_for(condition: Callable[[], bool], what: str, logs: Path) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            output = "\n".join(
                f"--- {log.name}\n{log.read_text('utf-8', 'replace')[-3000:]}"
                for log in sorted(logs.glob("*.log"))
            )
            pytest.fail(f"waited {WAIT:.0f} s for {what}\n{output}")
        time.sleep(0.2)


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[str, str], subprocess.Popen[bytes]]]:
    """Starts ``celery -A config worker`` processes in process groups of their own; whatever
    is left of them is killed afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "PYTEST_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_SECRET_KEY="worker-test-only-key",
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        SOURCES_DIR=str(tmp_path / "sources"),
        CELERY_TASK_TIME_LIMIT=str(TIME_LIMIT),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        PYTHONPATH=str(ROOT),
    )

    def start(queue: str, name: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                *("--loglevel", "INFO", "--queues", queue, "--concurrency", "1"),
                *("--hostname", f"{name}@%h", "--include", "tests.worker_tasks"),
                *("--without-heartbeat", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


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
        _wait_for(lambda: starts() == 1, "the first worker to start the task", tmp_path)
        taken_at = time.monotonic()
        os.killpg(first.pid, signal.SIGKILL)  # the whole worker: main process and pool
        first.wait(timeout=10)
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

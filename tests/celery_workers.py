"""Real Celery workers for tests: ``celery -A config worker`` processes on the production
settings, against the Redis of ``REDIS_URL`` and the test database (committed data: a
transactional test), each in a process group of its own so a test can kill a whole worker.

Short limits, in the order production needs them: a task's run is shorter than the time
limit, which is shorter than the visibility timeout (set through ``CELERY_VISIBILITY_TIMEOUT``
as an operator would set it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
TIME_LIMIT = 6
VISIBILITY_TIMEOUT = 8
WAIT = 45.0

StartWorker = Callable[..., subprocess.Popen[bytes]]


def database_url() -> str:
    """The test database, as the worker processes reach it."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def wait_for(condition: Callable[[], bool], what: str, logs: Path, wait: float = WAIT) -> None:
    """Wait until ``condition`` holds; on timeout, fail with the tail of the workers' logs."""
    import pytest

    deadline = time.monotonic() + wait
    while not condition():
        if time.monotonic() > deadline:
            output = "\n".join(
                f"--- {log.name}\n{log.read_text('utf-8', 'replace')[-3000:]}"
                for log in sorted(logs.glob("*.log"))
            )
            pytest.fail(f"waited {wait:.0f} s for {what}\n{output}")
        time.sleep(0.2)


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the whole worker (main process and pool) at once, as a lost machine would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def worker_starter(tmp_path: Path) -> Iterator[StartWorker]:
    """Yields ``start(queue, name, **environment)``; whatever is left of the workers it
    started is killed afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    base_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "PYTEST_", "EMAIL_"))
    }
    base_env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_SECRET_KEY="worker-test-only-key",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        SOURCES_DIR=str(tmp_path / "sources"),
        CELERY_TASK_TIME_LIMIT=str(TIME_LIMIT),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        PYTHONPATH=str(ROOT),
    )

    def start(queue: str, name: str, **environment: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                *("--loglevel", "INFO", "--queues", queue, "--concurrency", "1"),
                *("--hostname", f"{name}@%h", "--include", "tests.worker_tasks"),
                *("--without-heartbeat", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env={**base_env, **environment},
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
            kill(process)

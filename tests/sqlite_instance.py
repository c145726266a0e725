"""A real instance of the registry on a SQLite file, as ``make run`` serves it: its management
commands run in their own processes, and ``runserver`` (threaded) serves it on a free port.

The database file is made once per test run (``migrate`` on an empty file) and copied for each
test, so every test starts from a migrated, empty database of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def instance_env(database: Path, **extra: str) -> dict[str, str]:
    """The environment of ``make run`` (a development instance) on ``database``: nothing of the
    test run's own database, broker or settings leaks in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTHONPATH"}
        and not key.startswith(("DJANGO_", "SOURCES_", "PYTEST_"))
    }
    env.update(
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{database}",
        SOURCES_DIR=str(database.parent / "sources"),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def manage(
    database: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python manage.py <args>`` on ``database``; fails the test with its output if it fails."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**instance_env(database), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result


def migrated_database(folder: Path) -> Path:
    """An empty SQLite database with every migration applied."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "migrated.sqlite3"
    manage(database, "migrate", "--noinput", timeout=300)
    return database


def database_copy(template: Path, folder: Path, name: str = "db.sqlite3") -> Path:
    """A database of its own for a test, copied from the migrated one (and its WAL, if any)."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / name
    shutil.copyfile(template, copy)
    for suffix in ("-wal", "-shm"):
        companion = template.with_name(template.name + suffix)
        if companion.exists():
            shutil.copyfile(companion, copy.with_name(copy.name + suffix))
    return copy


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(database: Path, *, timeout: float = 90) -> Iterator[str]:
    """``manage.py runserver`` on ``database`` (threaded, as ``make run`` serves); yields its
    base URL and stops it afterwards."""
    port = _free_port()
    log = database.with_suffix(".server.log")
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                "--skip-checks",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=instance_env(database),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, log.read_text("utf-8")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "runserver did not start\n" + log.read_text(
                    "utf-8"
                )
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def call(
    method: str,
    url: str,
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, dict[str, str], Any]:
    """One HTTP request: (status, headers, the JSON body or the text)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (a local URL the test built)
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, answer_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, dict(error.headers), error.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, answer_headers, json.loads(text)
    except ValueError:
        return status, answer_headers, text

"""What the benchmark scripts share: their command line, the PostgreSQL database they run on,
Django's setup, the registry's data (migrated, seeded, synthetic cases loaded) and the timing.

A script puts the project's root on ``sys.path`` before importing this module (run as
``python benchmarks/<script>.py``, only ``benchmarks/`` is there). Django's modules are imported
inside the functions that need them: ``setup_django`` must run first.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NotRequired, TypedDict

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/registry_bench"


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------
def arguments(
    doc: str,
    *,
    cases: int | None = None,
    repeat: int | None = None,
    warmup: int | None = None,
    database_url: str = DEFAULT_DATABASE_URL,
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    """Parse the command line of a benchmark script and return its namespace.

    ``doc`` is the script's docstring: its first line describes the script in ``--help``.
    ``extra`` adds the script's own options first; then come ``--cases``, ``--repeat`` and
    ``--warmup`` with the defaults given (an option whose default is ``None`` is left out) and
    ``--database-url`` (``DATABASE_URL`` from the environment, else ``database_url``). Exits
    with a usage error unless the URL is a PostgreSQL one: every benchmark runs on PostgreSQL.
    """
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    if extra is not None:
        extra(parser)
    for option, default in (("--cases", cases), ("--repeat", repeat), ("--warmup", warmup)):
        if default is not None:
            parser.add_argument(option, type=int, default=default)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", database_url))
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the benchmark runs on PostgreSQL: give a postgres:// DATABASE_URL")
    return args


# ---------------------------------------------------------------------------------------------
# The database and Django
# ---------------------------------------------------------------------------------------------
def psycopg_url(database_url: str) -> str:
    """``database_url`` as psycopg takes it (``postgresql://``, not Django's ``postgres://``)."""
    return database_url.replace("postgres://", "postgresql://", 1)


def admin_url_and_name(database_url: str) -> tuple[str, str]:
    """The URL of the server's maintenance database (``postgres``) and the name of the
    database ``database_url`` points at."""
    url = psycopg_url(database_url)
    name = url.rsplit("/", 1)[1].split("?")[0]
    return url.rsplit("/", 1)[0] + "/postgres", name


def ensure_database(database_url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    import psycopg

    admin_url, name = admin_url_and_name(database_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database_url: str, settings_module: str = "benchmarks.settings") -> None:
    """Set Django up on ``database_url`` with ``settings_module``: a random secret key unless
    one is set, and no Redis (the cache in the process's memory, Celery's tasks run eagerly)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


# ---------------------------------------------------------------------------------------------
# The registry's data
# ---------------------------------------------------------------------------------------------
def registry_prepared() -> None:
    """Migrate the database and load the reference data (``load_seeds``)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_seeds", verbosity=0)


def synthetic_loaded(cases: int) -> None:
    """Load synthetic cases (``load_demo --synthetic``) until there are ``cases`` of them,
    printing how many were loaded and how long it took; nothing when they are there."""
    from django.core.management import call_command

    from cases.models import Case

    have = Case.objects.filter(is_synthetic=True).count()
    if have < cases:
        print(f"Loading {cases - have} synthetic cases (have {have})...", flush=True)
        started = time.perf_counter()
        call_command("load_demo", synthetic=cases - have)
        print(f"  loaded in {time.perf_counter() - started:.1f} s", flush=True)


def analyzed(*, vacuum: bool) -> None:
    """Settle the database before measuring: ``ANALYZE`` (statistics for the planner) or, with
    ``vacuum``, ``VACUUM ANALYZE`` (the visibility map of fresh rows too, as autovacuum would
    set it later, which index-only scans need)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")


def registry_loaded(cases: int, *, vacuum: bool) -> None:
    """Prepare the registry for a benchmark: migrated, seeded, ``cases`` synthetic cases loaded
    (printing what was loaded) and analyzed (see ``analyzed`` for ``vacuum``)."""
    registry_prepared()
    synthetic_loaded(cases)
    analyzed(vacuum=vacuum)


# ---------------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------------
def server_cpu() -> float | None:
    """The CPU seconds so far of the database server's process for Django's connection, when
    the server runs on this host (its ``/proc`` entry is readable); ``None`` otherwise."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone() or (0,)
    try:
        with open(f"/proc/{backend}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``samples``: the nearest sample by rank, no interpolation."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def interleaved(fns: list[Callable[[], object]], repeat: int, warmup: int) -> list[list[float]]:
    """Time each of ``fns`` ``repeat`` times, one call of each per round, after ``warmup``
    rounds: milliseconds per call, per function. Interleaved, every measure sees the same drift
    of the machine's speed over a run."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, times in zip(fns, samples, strict=True):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
    return samples


# ---------------------------------------------------------------------------------------------
# Rows of a combined table (benchmarks/million.py)
# ---------------------------------------------------------------------------------------------
class BenchRow(TypedDict):
    """One measure of a part of a combined benchmark: what each part's ``measure(*, repeat,
    warmup)`` returns a list of, and ``benchmarks/million.py`` prints as a line of its table.

    ``p50_ms`` and ``p95_ms`` are milliseconds, or ``None`` for a row that is a ratio or a
    size (``note`` then says it); ``queries`` is the number of SQL queries of one call, or
    ``None`` when not counted. ``target`` (what the row must meet, in words) and ``passed``
    (whether it did) are optional: a row without them is a figure to read, not a check.
    """

    name: str
    p50_ms: float | None
    p95_ms: float | None
    queries: int | None
    note: str
    target: NotRequired[str]
    passed: NotRequired[bool | None]


def timing_row(
    name: str,
    samples: list[float],
    *,
    queries: int | None = None,
    note: str = "",
    target: str | None = None,
    passed: bool | None = None,
) -> BenchRow:
    """A row of ``samples`` (milliseconds): their median and 95th percentile."""
    row = BenchRow(
        name=name,
        p50_ms=statistics.median(samples),
        p95_ms=percentile(samples, 95),
        queries=queries,
        note=note,
    )
    if target is not None:
        row["target"] = target
        row["passed"] = passed
    return row


def check_row(name: str, *, value: str, target: str, passed: bool, note: str = "") -> BenchRow:
    """A row that is a check on other rows (a ratio, a size): ``value`` goes in the note."""
    return BenchRow(
        name=name,
        p50_ms=None,
        p95_ms=None,
        queries=None,
        note=f"{value}; {note}" if note else value,
        target=target,
        passed=passed,
    )


def markdown_table(rows: list[BenchRow]) -> str:
    """``rows`` as one Markdown table: measure, p50, p95, queries, target, result, note."""

    def ms(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    def result(row: BenchRow) -> str:
        if "target" not in row:
            return ""
        passed = row.get("passed")
        return "n/a" if passed is None else ("pass" if passed else "**FAIL**")

    lines = [
        "| measure | p50 ms | p95 ms | queries | target | result | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        queries = "" if row["queries"] is None else str(row["queries"])
        lines.append(
            f"| {row['name']} | {ms(row['p50_ms'])} | {ms(row['p95_ms'])} | {queries} "
            f"| {row.get('target', '')} | {result(row)} | {row['note']} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Serving the project over HTTP
# ---------------------------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port free on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn_serving(
    database_url: str, *, settings_module: str = "benchmarks.settings"
) -> Iterator[int]:
    """Serve the project with gunicorn (one sync worker: latency, not throughput) on
    ``database_url``; yields the port, stops the server on leaving."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url,
    }
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def http_getter(
    port: int, path_of: Callable[[int], str], headers: dict[str, str]
) -> Callable[[], None]:
    """A function that GETs ``path_of(n)`` (``n`` counting its calls) on one keep-alive
    connection and stops the benchmark on any answer but 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    counter = [0]

    def get() -> None:
        conn.request("GET", path_of(counter[0]), headers=headers)
        counter[0] += 1
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {body[:300]!r}")

    return get

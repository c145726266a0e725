"""Benchmark of the caseworkers' case admin on PostgreSQL: list, filtered, searched, one case.

Prints p50/p95 latency, the number of queries and their database time for each page, as a
caseworker of the organization owning the most cases and as a superuser:

- the case list (100 rows a page), filtered by status, filtered by current country, searched
  by a common family name;
- one case's change page and its history page.

Requests go through Django's test client in-process (the admin's whole stack: middleware,
filters, templates), each one in a transaction rolled back afterwards, so the read events the
pages record are not left in the database. With ``--explain`` it also runs ``EXPLAIN (ANALYZE,
BUFFERS)`` on every read each page makes and lists the sequential scans of large tables: none
should remain, whatever the number of cases.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/admin_list.py --repeat 20 --warmup 3 --explain

Runs on a database already loaded (see ``benchmarks/list_endpoint.py`` or ``make bench``); it
only adds its two benchmark users (``--user-prefix``). All data is synthetic.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    arguments,
    interleaved,
    percentile,
    setup_django,
)

# The case list's target, filtered and searched as unfiltered (issue 15).
LIST_TARGET_MS = 300

DEFAULT_USER_PREFIX = "benchmark_admin_"
# A table this large read whole by a page is the cost this benchmark is about.
LARGE_TABLE_ROWS = 50_000


@dataclass
class _Page:
    name: str
    path: str
    params: dict[str, str]
    login: Any
    # Per timed request: the number of queries and their database time (ms).
    queries: list[int]
    sql_ms: list[float]
    statements: list[str]


def _users(prefix: str) -> tuple[Any, Any, int]:
    """The benchmark's caseworker (of the organization owning the most cases) and superuser,
    created when missing, and that organization's id."""
    from django.db.models import Count

    from accounts.models import Organization, Role, User
    from accounts.services import membership_set
    from cases.models import Case

    largest = (
        Case.objects.values_list("organization", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if largest is None:
        raise SystemExit("no cases in the database: load them first")
    worker, _ = User.objects.get_or_create(
        username=f"{prefix}caseworker",
        defaults={"is_staff": True, "email": f"{prefix}caseworker@example.org"},
    )
    membership_set(
        user=worker, organization=Organization.objects.get(pk=largest), role=Role.CASEWORKER
    )
    superuser, _ = User.objects.get_or_create(
        username=f"{prefix}superuser",
        defaults={"is_staff": True, "is_superuser": True, "email": f"{prefix}super@example.org"},
    )
    return worker, superuser, largest


def _pages(worker: Any, superuser: Any, organization_id: int) -> list[_Page]:
    from django.db.models import Count
    from django.urls import reverse

    from cases.models import Case, Child

    # A family name shared by many children: a search that fills a page. Read from a sample
    # (the first children by id), not a count over all of them.
    sample = Child.objects.order_by("pk").values("pk")[:20_000]
    common = (
        Child.objects.filter(pk__in=sample)
        .values("family_name")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("family_name", flat=True)
        .first()
    ) or "а"
    # The most common country children are in now, and the least common: a filter that keeps
    # most rows, and one that keeps few.
    by_country = list(
        Case.objects.filter(pk__in=Case.objects.order_by("pk").values("pk")[:20_000])
        .exclude(current_country="")
        .values("current_country")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("current_country", flat=True)
    ) or ["RU"]
    case = (
        Case.objects.filter(organization_id=organization_id)
        .order_by("-updated_at", "-id")
        .only("pk")
        .first()
    )
    assert case is not None
    changelist = reverse("admin:cases_case_changelist")
    change = reverse("admin:cases_case_change", args=[case.pk])
    history = reverse("admin:cases_case_history", args=[case.pk])
    pages: list[_Page] = []
    for who, user in (("caseworker", worker), ("superuser", superuser)):
        for name, path, params in (
            ("list", changelist, {}),
            ("list, status", changelist, {"status__exact": "searching"}),
            ("list, current country", changelist, {"current_country": by_country[0]}),
            ("list, rare current country", changelist, {"current_country": by_country[-1]}),
            ("list, search family name", changelist, {"q": common}),
            ("change page", change, {}),
            ("history page", history, {}),
        ):
            pages.append(_Page(f"{name} ({who})", path, params, user, [], [], []))
    return pages


def _getter(page: _Page, client: Any) -> Callable[[], None]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    def get() -> None:
        # The log is bounded (9,000 queries): once full, a capture would find nothing new.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx, transaction.atomic():
            response = client.get(page.path, page.params)
            # What the page wrote (its read events) is not kept.
            transaction.set_rollback(True)
        if response.status_code != 200:
            where = response.get("Location", "")
            raise SystemExit(f"{page.name}: HTTP {response.status_code} {where}")
        reads = [q for q in ctx.captured_queries if not _savepoint(q["sql"])]
        page.queries.append(len(reads))
        page.sql_ms.append(sum(float(q["time"]) for q in reads) * 1000)
        page.statements = [q["sql"] for q in reads]

    return get


def _savepoint(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK"))


def measure(
    *, repeat: int, warmup: int, user_prefix: str = DEFAULT_USER_PREFIX
) -> list[dict[str, Any]]:
    """Time each admin page ``repeat`` times (interleaved rounds, after ``warmup`` rounds) in a
    process where Django is set up on the loaded database. One row per page: ``name``,
    ``p50_ms``, ``p95_ms``, ``queries`` (of the last request) and a ``note`` with the database
    time of the page's queries."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    worker, superuser, organization_id = _users(user_prefix)
    pages = _pages(worker, superuser, organization_id)
    clients = {user.pk: Client(HTTP_HOST="127.0.0.1") for user in (worker, superuser)}
    for user in (worker, superuser):
        clients[user.pk].force_login(user)
    # Pages rendered in-process link their static files by name: the production storage's
    # manifest is built by ``collectstatic``, which a benchmark does not run. The superuser
    # signs in without a second factor (``REQUIRE_2FA``): the pages are measured, not the login.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, REQUIRE_2FA=False):
        samples = interleaved(
            [_getter(page, clients[page.login.pk]) for page in pages], repeat, warmup
        )
    rows = []
    for page, times in zip(pages, samples, strict=True):
        measured = page.sql_ms[warmup:] or page.sql_ms
        row: dict[str, Any] = {
            "name": f"admin: {page.name}",
            "p50_ms": statistics.median(times),
            "p95_ms": percentile(times, 95),
            "queries": page.queries[-1] if page.queries else None,
            "note": f"SQL p50 {statistics.median(measured):.1f} ms",
        }
        if page.name.startswith("list"):  # the case list, filtered and searched
            row["target"] = f"p50 < {LIST_TARGET_MS} ms"
            row["passed"] = row["p50_ms"] < LIST_TARGET_MS
        rows.append(row)
    _LAST_PAGES[:] = pages
    return rows


# The pages of the last ``measure``: ``main`` explains their statements.
_LAST_PAGES: list[_Page] = []


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def explain(pages: list[_Page]) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of every read of each page: a line per page with its
    slowest statement, and any sequential scan of a table of more than ``LARGE_TABLE_ROWS``."""
    import json

    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relkind = 'r' AND reltuples > %s",
            [LARGE_TABLE_ROWS],
        )
        large = dict(cursor.fetchall())
    lines = []
    for page in pages:
        slowest, slowest_ms, scans = "", 0.0, []
        for sql in page.statements:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
                (raw,) = cursor.fetchone()
                transaction.set_rollback(True)
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
            ms = float(plan["Execution Time"])
            if ms > slowest_ms:
                slowest, slowest_ms = sql, ms
            for node in _plan_nodes(plan["Plan"]):
                relation = node.get("Relation Name")
                if node.get("Node Type") == "Seq Scan" and relation in large:
                    # A scan under a LIMIT stops early: what it read is what counts.
                    read = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node[
                        "Actual Loops"
                    ]
                    scans.append(f"{relation} read {int(read):,} of {int(large[relation]):,}")
        lines.append(
            f"{page.name}: slowest statement {slowest_ms:.1f} ms; "
            f"sequential scans of large tables: {'; '.join(scans) or 'none'}"
        )
        lines.append(f"    slowest: {slowest[:300]}")
    return lines


def main() -> None:
    def options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--user-prefix", default=DEFAULT_USER_PREFIX)
        parser.add_argument("--explain", action="store_true")

    args = arguments(__doc__, repeat=20, warmup=3, extra=options)
    setup_django(args.database_url)
    from cases.models import Case

    rows = measure(repeat=args.repeat, warmup=args.warmup, user_prefix=args.user_prefix)
    print(f"Cases in the database: {Case.objects.count():,}; {args.repeat} requests a page")
    print()
    print("| page | p50 ms | p95 ms | queries | note |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['name']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['queries']} "
            f"| {row['note']} |"
        )
    if args.explain:
        print()
        for line in explain(_LAST_PAGES):
            print(line)


if __name__ == "__main__":
    main()

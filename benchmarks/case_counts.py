"""Benchmark of the registry's counts on PostgreSQL: ``/api/v1/case-counts/`` read from the kept
counts (``cases.counts``) against the plain ``GROUP BY status``, the refresh that keeps them,
and the admin's home pages that read them.

Run on a registry already loaded (``make bench`` loads the million; or ``load_demo
--synthetic N``). In interleaved rounds (one call of each per round, after warm-up rounds):

- ``case-counts API``: ``GET /api/v1/case-counts/`` as a coordinator, through Django's test
  client in-process (authentication, the view, the kept counts' one query, JSON rendering);
- ``floor: GROUP BY status``: ``SELECT status, count(*) FROM cases_case GROUP BY status`` sent
  through psycopg on a connection of its own, rows fetched;

then, each alone and fewer times (every call counts every case):

- ``refresh``: ``case_counts_refresh``, the one GROUP BY pass over cases, children and current
  whereabouts and the writing of the snapshot (the beat tick's work);
- ``counted live (before)``: the three aggregations the API ran on every request before its
  counts were kept, for comparison;

and, interleaved again, the admin's home page (``/admin/``) of a coordinator and of a supervisor
of the organization owning the most cases (a caseworker's part counts their own cases live;
the synthetic cases have no assignee, so it is not measured here).

Target: the API's p50 no more than 1.5x the floor's and under one second. Everything runs in
one transaction rolled back at the end: the accounts made to read as a coordinator and a
supervisor, their sessions and the snapshots written leave nothing behind. For the page
measures the admin's two-factor check is off and static files are named without collectstatic's
manifest (the page's own cost is measured).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/case_counts.py [--no-migrate] [--repeat 50] [--warmup 5]

All data is synthetic.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    BenchRow,
    arguments,
    interleaved,
    markdown_table,
    psycopg_url,
    setup_django,
    timing_row,
)

FLOOR_SQL = "SELECT status, count(*) FROM cases_case GROUP BY status"
COUNTS_PATH = "/api/v1/case-counts/"
HOME_PATH = "/admin/"


def _counted_live() -> dict[str, Any]:
    """The counts as the API took them before they were kept: three aggregations over every
    case, two of them joining children and whereabouts."""
    from django.db.models import Count

    from cases.models import Case

    return {
        "by_status": dict(Case.objects.values_list("status").annotate(n=Count("id")).order_by()),
        "by_origin_oblast": dict(
            Case.objects.values_list("child__origin_oblast_id").annotate(n=Count("id")).order_by()
        ),
        "by_current_country": dict(
            Case.objects.values_list("child__current_whereabouts__country")
            .annotate(n=Count("id"))
            .order_by()
        ),
    }


def measure(*, repeat: int, warmup: int) -> list[BenchRow]:
    """The rows of the benchmark (``name``, ``p50_ms``, ``p95_ms``, ``queries``, ``note``),
    on the database Django is set up on. ``repeat`` and ``warmup`` apply to the requests; the
    refresh and the live count (a second or more each) run ``max(3, repeat // 10)`` times after
    one warm-up call. Reads ``DATABASE_URL`` (``setup_django`` sets it) for the floor's own
    connection."""
    import psycopg
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from rest_framework.authtoken.models import Token

    from accounts.models import Organization, Role, User
    from accounts.services import membership_set
    from cases.counts import case_counts_refresh
    from cases.models import Case

    slow_repeat = max(3, repeat // 10)
    rows: list[BenchRow] = []
    with transaction.atomic():
        owner = (
            Case.objects.values_list("organization", flat=True)
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        if owner is None:
            raise SystemExit("No cases: load the registry first (load_demo --synthetic N).")
        organization = Organization.objects.get(pk=owner)
        people: dict[str, User] = {}
        for role in (Role.COORDINATOR, Role.SUPERVISOR):
            user, _ = User.objects.get_or_create(
                username=f"bench-counts-{role}",
                defaults={"is_staff": True, "email": f"bench-counts-{role}@example.org"},
            )
            membership_set(user=user, organization=organization, role=role)
            people[role] = user
        token, _ = Token.objects.get_or_create(user=people[Role.COORDINATOR])
        api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token.key}")
        total = Case.objects.count()

        # The counts kept now: the API's reads measure the kept path, not a first refresh.
        case_counts_refresh()

        def get(client: Client, path: str) -> Callable[[], object]:
            def call() -> object:
                response = client.get(path)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {response.status_code}")
                return response

            return call

        def queries_of(fn: Callable[[], object]) -> int:
            with CaptureQueriesContext(connection) as ctx:
                fn()
            return len(ctx.captured_queries)

        counts_call = get(api, COUNTS_PATH)
        body = counts_call().json()  # type: ignore[attr-defined]
        if body["total"] != total:
            raise SystemExit(f"the kept counts say {body['total']} cases, the table {total}")
        counts_queries = queries_of(counts_call)

        with psycopg.connect(psycopg_url(os.environ["DATABASE_URL"])) as pg:

            def floor() -> None:
                pg.execute(FLOOR_SQL).fetchall()

            api_samples, floor_samples = interleaved([counts_call, floor], repeat, warmup)
        api_p50 = statistics.median(api_samples)
        ratio = api_p50 / statistics.median(floor_samples)
        rows.append(
            timing_row(
                "case-counts API (kept counts)",
                api_samples,
                queries=counts_queries,
                note=f"{total:,} cases; p50 {ratio:.2f}x the floor's",
                target="≤ 1.5× the GROUP BY, under 1 s",
                passed=ratio <= 1.5 and api_p50 < 1000,
            )
        )
        rows.append(
            timing_row("floor: GROUP BY status (psycopg)", floor_samples, queries=1, note=FLOOR_SQL)
        )

        refresh_queries = queries_of(case_counts_refresh)
        (refresh_samples,) = interleaved([case_counts_refresh], slow_repeat, 1)
        rows.append(
            timing_row(
                "refresh of the kept counts",
                refresh_samples,
                queries=refresh_queries,
                note="one GROUP BY pass and the snapshot written; every "
                f"{settings.CASE_COUNTS_MAX_AGE / 2:.0f} s by beat",
            )
        )
        (live_samples,) = interleaved([_counted_live], slow_repeat, 1)
        rows.append(
            timing_row(
                "counted live (before)",
                live_samples,
                queries=3,
                note="the three aggregations the API ran on every request before",
            )
        )

        # The admin's static files as found in the apps: no collectstatic (and no manifest)
        # needed to render the pages (only their URLs are written into a page).
        storages = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        with override_settings(REQUIRE_2FA=False, STORAGES=storages):
            pages: list[tuple[str, Callable[[], object]]] = []
            for role, label in ((Role.COORDINATOR, "coordinator"), (Role.SUPERVISOR, "supervisor")):
                client = Client(HTTP_HOST="127.0.0.1")
                client.force_login(people[role])
                pages.append((label, get(client, HOME_PATH)))
            page_queries = [queries_of(call) for _label, call in pages]
            page_samples = interleaved([call for _label, call in pages], repeat, warmup)
        owned = Case.objects.filter(organization=owner).count()
        for (label, _call), samples, queries in zip(pages, page_samples, page_queries, strict=True):
            rows.append(
                timing_row(
                    f"admin home page: {label}",
                    samples,
                    queries=queries,
                    note=f"organization owning {owned:,} cases"
                    if label == "supervisor"
                    else "registry counts by phase, published figures, coalition items",
                )
            )
        transaction.set_rollback(True)
    return rows


def _migrate_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="the database is migrated already (a shared one: nothing is written to it)",
    )


def main() -> None:
    args = arguments(__doc__, repeat=50, warmup=5, extra=_migrate_option)
    setup_django(args.database_url)

    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    rows = measure(repeat=args.repeat, warmup=args.warmup)
    print(f"Requests per measure: {args.repeat} after {args.warmup} warm-up (in-process client)")
    print()
    print(markdown_table(rows))


if __name__ == "__main__":
    main()

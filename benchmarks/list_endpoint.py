"""Benchmark of the case list and detail endpoints over HTTP on PostgreSQL.

Loads synthetic cases (100,000 by default) unless they are already there, serves the project with
gunicorn, and prints p50/p95 latency and query counts for:

- the filtered + search list endpoint (50 rows a page) and the detail endpoint;
- floor 1: the same SQL the list endpoint runs to read its page (not the audit event it writes),
  fetched with psycopg and encoded to JSON in-process;
- floor 2: a bare Django view returning a constant, over the same HTTP stack.

Target: list p50 no more than 3x (floor 1 + floor 2); the same number of queries for 10 and 200
rows a page. Prints a Markdown table for ``docs/benchmarks.md``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/list_endpoint.py --cases 100000

All data is synthetic.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    arguments,
    ensure_database,
    gunicorn_serving,
    http_getter,
    interleaved,
    percentile,
    psycopg_url,
    registry_loaded,
    setup_django,
)


def main() -> None:
    args = arguments(__doc__, cases=100_000, repeat=300, warmup=30)
    ensure_database(args.database_url)
    setup_django(args.database_url)

    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from accounts.models import Organization, Role, User
    from accounts.services import membership_set
    from cases.models import Case, Child
    from cases.names import fold

    registry_loaded(args.cases, vacuum=False)
    total = Case.objects.count()

    # A caseworker of the organization owning the most cases: the list runs through the same
    # visibility rule (own cases, or shared with the organization) as for any member.
    owner = (
        Case.objects.values_list("organization", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    user, _ = User.objects.get_or_create(
        username="benchmark", defaults={"is_staff": True, "email": "benchmark@example.org"}
    )
    membership_set(user=user, organization=Organization.objects.get(pk=owner), role=Role.CASEWORKER)
    token, _ = Token.objects.get_or_create(user=user)
    auth = {"Authorization": f"Token {token.key}"}

    # A common synthetic family name gives a search that fills a page.
    common = (
        Child.objects.values("family_name_latin")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("family_name_latin", flat=True)
        .first()
    ) or "a"
    list_params = {"phase": "repatriation", "search": fold(common), "page_size": 50}
    list_path = f"/api/v1/cases/?{urlencode(list_params)}"
    # Cases the benchmark user sees (its organization's): another's would answer 404.
    detail_ids = list(
        Case.objects.filter(is_synthetic=True, organization=owner)
        .order_by("?")
        .values_list("pk", flat=True)[:50]
    )

    # Query counts, in-process, and the SQL the list page runs.
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=auth["Authorization"])
    counts = {}
    for size in (10, 50, 200):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/v1/cases/?{urlencode({**list_params, 'page_size': size})}")
        assert response.status_code == 200, response.content[:300]
        counts[size] = len(ctx.captured_queries)
        if size == 50:
            # The floor is what reading the page costs: the audit event recording the read is
            # the request's own cost (a write, not replayed: replaying it would write events).
            list_sql = [q["sql"] for q in ctx.captured_queries if not _audit_write(q["sql"])]
            audit_writes = len(ctx.captured_queries) - len(list_sql)
            rows_on_page = len(response.json()["results"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/cases/{detail_ids[0]}/")
    assert response.status_code == 200
    detail_queries = len(ctx.captured_queries)

    # Floor 1: the same SQL through psycopg, encoded to JSON in-process.
    import orjson
    import psycopg

    pg = psycopg.connect(psycopg_url(args.database_url))

    def sql_floor() -> None:
        payload = []
        with pg.cursor() as cur:
            for sql in list_sql:
                cur.execute(sql.encode())
                if cur.description:
                    payload.append(cur.fetchall())
        # The same encoder the API renders with (core.renderers).
        orjson.dumps(payload, default=str)

    # HTTP: gunicorn, one sync worker, one keep-alive client: latency, not throughput.
    try:
        with gunicorn_serving(args.database_url) as port:
            # Interleaved, one of each per round: the machine's speed drifts over a run, and
            # every measure then sees the same drift (measured one after another, the floors'
            # medians moved the ratio more than the list did).
            floor_http, list_http, detail_http, floor_sql = interleaved(
                [
                    http_getter(port, lambda i: "/bench/constant/", auth),
                    http_getter(port, lambda i: list_path, auth),
                    http_getter(
                        port, lambda i: f"/api/v1/cases/{detail_ids[i % len(detail_ids)]}/", auth
                    ),
                    sql_floor,
                ],
                args.repeat,
                args.warmup,
            )
    finally:
        pg.close()

    def row(name: str, samples: list[float], queries: str) -> str:
        return (
            f"| {name} | {statistics.median(samples):.2f} | {percentile(samples, 95):.2f} "
            f"| {queries} |"
        )

    floors = statistics.median(floor_sql) + statistics.median(floor_http)
    ratio = statistics.median(list_http) / floors
    print()
    print(
        f"Cases in the database: {total:,}; list page rows: {rows_on_page}; "
        f"requests per measure: {args.repeat} after {args.warmup} warm-up"
    )
    print(f"List request: GET {list_path}")
    print()
    print("| measure | p50 ms | p95 ms | queries |")
    print("|---|---|---|---|")
    print(row("list, filtered + search, 50 rows (HTTP)", list_http, str(counts[50])))
    print(row("detail (HTTP)", detail_http, str(detail_queries)))
    print(row("floor 1: same reads via psycopg + JSON, in-process", floor_sql, str(len(list_sql))))
    print(row("floor 2: constant Django view (HTTP)", floor_http, "0"))
    print()
    print(f"Queries for 10 / 50 / 200 rows a page: {counts[10]} / {counts[50]} / {counts[200]}")
    print(f"Of the list's queries, audit event inserts (not in floor 1): {audit_writes}")
    print(
        f"List p50 / (floor 1 + floor 2) p50 = {ratio:.2f} (target <= 3.00): "
        f"{'met' if ratio <= 3 else 'NOT met'}"
    )
    print(f"Same query count for 10 and 200 rows: {'yes' if counts[10] == counts[200] else 'NO'}")


def _audit_write(sql: str) -> bool:
    """Whether ``sql`` writes to the audit trail (the read event of the request)."""
    return sql.lstrip().upper().startswith("INSERT") and "audit_auditevent" in sql


if __name__ == "__main__":
    main()

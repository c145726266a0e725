"""The case list API at scale, over HTTP: the list filtered and searched against its floors,
searches for a common and a rare family name, the detail, a cursor page deep in the list
against the first, the plain ``ModelViewSet`` it is compared with, and (given a second,
smaller database) the same list request there, for how its cost grows with the registry.

Every measure is a GET to gunicorn (one sync worker, one keep-alive client: latency, not
throughput) as a caseworker of the organization owning the most cases, interleaved one of each
per round. Floor 1 replays the SQL the list request runs to read its page with psycopg and
encodes it to JSON in-process; floor 2 is a bare Django view over the same HTTP stack.

Part of ``benchmarks/million.py``; runnable alone on a loaded database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_million \\
        .venv/bin/python benchmarks/api_list.py --small-database-url \\
        postgres://postgres@127.0.0.1:5432/registry_100k

All data is synthetic.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    BenchRow,
    arguments,
    check_row,
    gunicorn_serving,
    http_getter,
    interleaved,
    markdown_table,
    psycopg_url,
    setup_django,
    timing_row,
)

# How deep the deep cursor page starts, in rows of the list (or half the list when shorter).
DEEP_ROWS = 500_000
PAGE_SIZE = 50
# Who the benchmark's users are named after: ``<prefix>_caseworker``. BENCH_USER_PREFIX
# overrides it (a database shared with others may ask for names of its own).
DEFAULT_USER_PREFIX = "benchmark"


def user_prefix() -> str:
    return os.environ.get("BENCH_USER_PREFIX", DEFAULT_USER_PREFIX)


def caseworker_token() -> str:
    """The API token of the benchmark's caseworker, made a member of the organization owning
    the most cases (created on first use): the list runs through the same visibility rule
    (own cases, or shared with the organization) as for any member."""
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from accounts.models import Organization, Role, User
    from accounts.services import membership_set
    from cases.models import Case

    user, created = User.objects.get_or_create(
        username=f"{user_prefix()}_caseworker",
        defaults={"is_staff": True, "email": f"{user_prefix()}@example.org"},
    )
    if created:
        owner = (
            Case.objects.values_list("organization", flat=True)
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        membership_set(
            user=user, organization=Organization.objects.get(pk=owner), role=Role.CASEWORKER
        )
    token, _ = Token.objects.get_or_create(user=user)
    return str(token.key)


def family_names() -> tuple[str, str]:
    """The most and the least common family name (Latin form) among the children."""
    from django.db.models import Count

    from cases.models import Child

    counted = Child.objects.values("family_name_latin").annotate(n=Count("id"))
    common = counted.order_by("-n", "family_name_latin").values_list(
        "family_name_latin", flat=True
    )[0]
    rare = counted.order_by("n", "family_name_latin").values_list("family_name_latin", flat=True)[0]
    return common, rare


def cursor_at(position: Any) -> str:
    """A cursor of the case list starting after ``position`` (an ``updated_at``), encoded as
    the API writes its cursors (``core.api.CursorPagination``)."""
    return base64.b64encode(urlencode({"p": str(position)}).encode("ascii")).decode("ascii")


def small_database_token(small_database_url: str) -> str:
    """The caseworker's token on the smaller database (its own process: Django serves one
    database per process here)."""
    env = {**os.environ, "BENCH_USER_PREFIX": user_prefix()}
    out = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, __file__, "--token-only", "--database-url", small_database_url],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def measure(*, repeat: int, warmup: int, small_database_url: str | None = None) -> list[BenchRow]:
    """Measure the case list API on the database Django is set up on (``setup_django``)."""
    import orjson
    import psycopg
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from cases import selectors
    from cases.names import fold

    database_url = os.environ["DATABASE_URL"]
    token = caseworker_token()
    auth = {"Authorization": f"Token {token}"}
    user = User.objects.get(username=f"{user_prefix()}_caseworker")
    visible = selectors.case_list_rows(actor=user).order_by("-updated_at", "-id")
    total_visible = visible.count()
    common, rare = family_names()
    matches = {name: selectors.children_search(query=fold(name)).count() for name in (common, rare)}

    def path(**params: Any) -> str:
        return f"/api/v1/cases/?{urlencode({'page_size': PAGE_SIZE, **params})}"

    list_path = path(phase="repatriation", search=fold(common))
    filtered_path = path(phase="repatriation")
    common_path = path(search=fold(common))
    rare_path = path(search=fold(rare))
    first_path = path()
    deep_at = DEEP_ROWS if total_visible > DEEP_ROWS + PAGE_SIZE else total_visible // 2
    deep_position = visible.values_list("updated_at", flat=True)[deep_at]
    deep_path = path(cursor=cursor_at(deep_position))
    detail_ids = list(visible.values_list("id", flat=True)[:2000])[::40]

    # Query counts, in-process, and the SQL the list page runs (floor 1).
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=auth["Authorization"])

    def captured(url: str) -> tuple[list[str], int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}: {response.content[:300]!r}")
        return [q["sql"] for q in ctx.captured_queries], len(response.json().get("results", []))

    reads: dict[str, int] = {}
    for name, url in (
        ("list 10", list_path.replace(f"page_size={PAGE_SIZE}", "page_size=10")),
        ("list 200", list_path.replace(f"page_size={PAGE_SIZE}", "page_size=200")),
        ("common", common_path),
        ("rare", rare_path),
        ("first", first_path),
        ("deep", deep_path),
    ):
        sqls, _rows = captured(url)
        reads[name] = sum(1 for sql in sqls if not _audit_write(sql))
    list_sqls, list_rows = captured(list_path)
    list_sql = [sql for sql in list_sqls if not _audit_write(sql)]
    reads["list"] = len(list_sql)
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/api/v1/cases/{detail_ids[0]}/")
    detail_queries = len(ctx.captured_queries)

    pg = psycopg.connect(psycopg_url(database_url))

    def sql_floor() -> None:
        payload = []
        with pg.cursor() as cur:
            for sql in list_sql:
                cur.execute(sql.encode())
                if cur.description:
                    payload.append(cur.fetchall())
        orjson.dumps(payload, default=str)  # the encoder the API renders with

    small_token = small_database_token(small_database_url) if small_database_url else None
    try:
        with gunicorn_serving(database_url) as port:
            fns: list[Callable[[], object]] = [
                http_getter(port, lambda i: "/bench/constant/", auth),
                http_getter(port, lambda i: list_path, auth),
                http_getter(port, lambda i: common_path, auth),
                http_getter(port, lambda i: rare_path, auth),
                http_getter(
                    port, lambda i: f"/api/v1/cases/{detail_ids[i % len(detail_ids)]}/", auth
                ),
                http_getter(port, lambda i: first_path, auth),
                http_getter(port, lambda i: deep_path, auth),
                http_getter(port, lambda i: "/bench/plain-cases/", auth),
                sql_floor,
            ]
            if small_database_url and small_token:
                with gunicorn_serving(small_database_url) as small_port:
                    small_auth = {"Authorization": f"Token {small_token}"}
                    fns += [
                        http_getter(small_port, lambda i: list_path, small_auth),
                        http_getter(port, lambda i: filtered_path, auth),
                        http_getter(small_port, lambda i: filtered_path, small_auth),
                    ]
                    samples = interleaved(fns, repeat, warmup)
            else:
                samples = interleaved(fns, repeat, warmup)
    finally:
        pg.close()

    floor_http, list_http, common_http, rare_http, detail_http = samples[:5]
    first_http, deep_http, plain_http, floor_sql = samples[5:9]
    p50 = statistics.median
    floors = p50(floor_sql) + p50(floor_http)
    list_ratio = p50(list_http) / floors
    search_ratio = p50(common_http) / p50(rare_http)
    deep_ratio = p50(deep_http) / p50(first_http)
    plain_ratio = p50(plain_http) / p50(first_http)
    rows = [
        timing_row(
            f"API list, phase + search `{fold(common)}`, {PAGE_SIZE} rows",
            list_http,
            queries=reads["list"],
            note=(
                f"{list_rows} rows on the page; reads for 10 / 200 rows: "
                f"{reads['list 10']} / {reads['list 200']} (+1 audit insert each)"
            ),
            target="≤ 5 reads, same for 10 and 200 rows",
            passed=reads["list"] <= 5 and reads["list 10"] == reads["list 200"],
        ),
        timing_row(
            "floor 1: the list's reads via psycopg + JSON", floor_sql, queries=len(list_sql)
        ),
        timing_row("floor 2: constant Django view (HTTP)", floor_http, queries=0),
        check_row(
            "API list / (floor 1 + floor 2)",
            value=f"{list_ratio:.2f}",
            target="≤ 3.0",
            passed=list_ratio <= 3.0,
        ),
        timing_row(
            f"API search, most common family name `{fold(common)}`",
            common_http,
            queries=reads["common"],
            note=f"{matches[common]:,} children match",
        ),
        timing_row(
            f"API search, rarest family name `{fold(rare)}`",
            rare_http,
            queries=reads["rare"],
            note=f"{matches[rare]:,} children match",
        ),
        check_row(
            "common-name search / rare-name search",
            value=f"{search_ratio:.2f}",
            target="≤ 1.5",
            passed=search_ratio <= 1.5,
        ),
        timing_row("API detail", detail_http, queries=detail_queries),
        timing_row("API list, first cursor page", first_http, queries=reads["first"]),
        timing_row(
            f"API list, cursor page {deep_at:,} rows deep",
            deep_http,
            queries=reads["deep"],
            note=f"{total_visible:,} cases visible to the caseworker",
        ),
        check_row(
            "deep cursor page / first page",
            value=f"{deep_ratio:.2f}",
            target="≤ 1.2",
            passed=deep_ratio <= 1.2,
        ),
        timing_row(
            "plain ModelViewSet, page 1 (page numbers)",
            plain_http,
            note="benchmarks/plain_viewset.py",
        ),
        check_row(
            "plain ModelViewSet / API list first page",
            value=f"{plain_ratio:.1f}×",
            target="≥ 5×",
            passed=plain_ratio >= 5,
        ),
    ]
    if small_database_url:
        small_http, filtered_http, small_filtered_http = samples[9:12]
        growth = p50(list_http) / p50(small_http)
        filtered_growth = p50(filtered_http) / p50(small_filtered_http)
        small = _database_name(small_database_url)
        rows += [
            timing_row(
                f"API list, phase + search `{fold(common)}`, on {small}",
                small_http,
            ),
            check_row(
                f"API list, phase + search: this database / {small}",
                value=f"{growth:.2f}",
                target="≤ 1.3",
                passed=growth <= 1.3,
            ),
            timing_row("API list, phase only", filtered_http),
            timing_row(f"API list, phase only, on {small}", small_filtered_http),
            check_row(
                f"API list, phase only: this database / {small}",
                value=f"{filtered_growth:.2f}",
                target="≤ 1.3",
                passed=filtered_growth <= 1.3,
            ),
        ]
    return rows


def _database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?")[0]


def _audit_write(sql: str) -> bool:
    """Whether ``sql`` writes to the audit trail (the read event of the request)."""
    return sql.lstrip().upper().startswith("INSERT") and "audit_auditevent" in sql


def main() -> None:
    def extra(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--small-database-url", default=None)
        parser.add_argument("--token-only", action="store_true", help=argparse.SUPPRESS)

    args = arguments(__doc__, repeat=100, warmup=10, extra=extra)
    setup_django(args.database_url)
    if args.token_only:
        print(caseworker_token())
        return
    print(markdown_table(measure(repeat=args.repeat, warmup=args.warmup, **_small(args))))


def _small(args: Any) -> dict[str, Any]:
    return {"small_database_url": args.small_database_url} if args.small_database_url else {}


if __name__ == "__main__":
    main()

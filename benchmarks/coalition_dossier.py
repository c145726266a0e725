"""Benchmark of the coalition's country dossier on PostgreSQL, for a country holding the
whereabouts of many synthetic cases.

Loads synthetic cases with the demo generator (``load_demo --synthetic``) up to each size asked
(1,000 then 100,000 by default): the generator places the children's whereabouts in Russia
mostly; the rest are given an earlier stay there (``_place_every_child_in``), so every
synthetic child's whereabouts were, at some time, in Russia. At each size it measures
``GET /api/v1/coalition/countries/RU/`` in-process through Django's test client (the whole
request: authentication, role checks, the dossier's queries and the JSON rendering) for a
coordinator (every case counted) and a caseworker of the organization owning the most cases
(the cases it may see), and a country no record names (Canada: no whereabouts there). Prints
p50/p95 and the number of queries per request, and the plan of the counting query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/coalition_dossier.py --sizes 1000,100000

All data is synthetic.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    analyzed,
    arguments,
    ensure_database,
    percentile,
    registry_prepared,
    setup_django,
    synthetic_loaded,
)

COUNTRY = "RU"


def _coalition_records() -> None:
    """A few records naming the country, so the dossier's sections are not all empty."""
    import datetime as dt

    from coalition.models import Meeting, MeetingKind, Party, PartyKind, Resolution, UnBody, Vote

    state, _ = Party.objects.get_or_create(
        code=COUNTRY, defaults={"kind": PartyKind.STATE, "country": COUNTRY}
    )
    ukraine, _ = Party.objects.get_or_create(
        code="UA", defaults={"kind": PartyKind.STATE, "country": "UA"}
    )
    meeting, created = Meeting.objects.get_or_create(
        title="Synthetic benchmark negotiation round",
        defaults={"kind": MeetingKind.NEGOTIATION, "held_on": dt.date(2025, 6, 2)},
    )
    if created:
        meeting.participants.set([state, ukraine])
    resolution, _ = Resolution.objects.get_or_create(
        body=UnBody.GENERAL_ASSEMBLY,
        symbol="A/RES/SYNTHETIC/1",
        defaults={"title": "Synthetic benchmark resolution", "voted_on": dt.date(2025, 12, 3)},
    )
    resolution.votes.get_or_create(party=state, defaults={"vote": Vote.AGAINST})


def _place_every_child_in(country: str) -> int:
    """Give every synthetic child a whereabouts in ``country``: the generator leaves some
    elsewhere only (Belarus, occupied Ukraine) or nowhere yet. The added stay is an earlier
    one (a day at the start of March 2022), so a child placed elsewhere since stays counted
    there "now"; a child with no whereabouts at all is now in ``country``. Written in bulk, each
    row with its audit event; the child's current whereabouts (a derived column) is set where
    it had none."""
    import datetime as dt

    from django.db.models import Exists, OuterRef, Subquery

    from cases.models import Child, Whereabouts

    missing = list(
        Child.objects.filter(is_synthetic=True)
        .exclude(Exists(Whereabouts.objects.filter(child=OuterRef("pk"), country=country)))
        .values_list("pk", "current_whereabouts_id")
    )
    day = dt.date(2022, 3, 1)
    Whereabouts.objects.bulk_create(
        [
            Whereabouts(
                child_id=pk,
                country=country,
                from_date=day,
                to_date=day if current is not None else None,
                source_description="Synthetic benchmark placement",
            )
            for pk, current in missing
        ],
        batch_size=5000,
    )
    latest = Whereabouts.objects.filter(child=OuterRef("pk")).order_by("-from_date", "-id")
    Child.objects.filter(is_synthetic=True, current_whereabouts=None).unaudited_update(
        "derived pointer of synthetic benchmark children, as the whereabouts service sets it",
        current_whereabouts=Subquery(latest.values("pk")[:1]),
    )
    return len(missing)


def _timed(client: Any, path: str, repeat: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        client.get(path)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:300]!r}")
    return samples


def _sizes_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", default="1000,100000", help="synthetic cases, ascending")


def main() -> None:
    args = arguments(__doc__, repeat=100, warmup=10, extra=_sizes_option)
    sizes = sorted(int(size) for size in args.sizes.split(","))

    ensure_database(args.database_url)
    setup_django(args.database_url)

    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from accounts.models import Organization, Role, User
    from accounts.services import membership_set
    from cases.models import Case, Whereabouts

    registry_prepared()
    _coalition_records()

    def client_for(username: str, role: str, organization: int) -> Any:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "email": f"{username}@example.org"}
        )
        membership_set(user=user, organization=Organization.objects.get(pk=organization), role=role)
        token, _ = Token.objects.get_or_create(user=user)
        return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token.key}")

    rows: list[str] = []
    plan = ""
    for size in sizes:
        synthetic_loaded(size)
        placed = _place_every_child_in(COUNTRY)
        print(f"  {placed:,} children given an earlier stay in {COUNTRY}", flush=True)
        # Settled before measuring: statistics for the planner, and the visibility map that lets
        # the index on whereabouts by country answer alone (autovacuum would do it, later).
        analyzed(vacuum=True)
        # Loading leaves a large heap behind (the generator's name lists, the seeds) that a
        # server process never holds: moved out of the collector's sight, so the requests are
        # not charged for collections of it.
        gc.collect()
        gc.freeze()
        total = Case.objects.count()
        in_country = (
            Case.objects.filter(child__whereabouts__country=COUNTRY).values("id").distinct().count()
        )
        whereabouts = Whereabouts.objects.filter(country=COUNTRY).count()
        owner = (
            Case.objects.values_list("organization", flat=True)
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        assert owner is not None
        readers = {
            "coordinator": client_for("bench-coordinator", Role.COORDINATOR, owner),
            "caseworker": client_for("bench-caseworker", Role.CASEWORKER, owner),
        }
        for reader, client in readers.items():
            for code in (COUNTRY, "CA"):
                path = f"/api/v1/coalition/countries/{code}/"
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(path)
                assert response.status_code == 200, response.content[:300]
                body = response.json()
                queries = len(ctx.captured_queries)
                if code == COUNTRY and reader == "coordinator":
                    counting = next(
                        q["sql"] for q in ctx.captured_queries if "cases_case" in q["sql"]
                    )
                    with connection.cursor() as cursor:
                        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {counting}")
                        plan = "\n".join(line for (line,) in cursor.fetchall())
                samples = _timed(client, path, args.repeat, args.warmup)
                children = body["children"]
                rows.append(
                    f"| {total:,} | {code} | {reader} ({children['scope']}) "
                    f"| {children['ever_total']:,} / {children['now_total']:,} "
                    f"| {statistics.median(samples):.1f} | {percentile(samples, 95):.1f} "
                    f"| {queries} |"
                )
                print(rows[-1], flush=True)
        print(
            f"  cases: {total:,}; cases ever in {COUNTRY}: {in_country:,}; "
            f"whereabouts in {COUNTRY}: {whereabouts:,}",
            flush=True,
        )

    print()
    print(f"Requests per measure: {args.repeat} after {args.warmup} warm-up (in-process client)")
    print()
    print("| cases | country | reader (scope) | counted ever / now | p50 ms | p95 ms | queries |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)
    print()
    print(f"Plan of the counting query ({COUNTRY}, coordinator, last size):")
    print(plan)


if __name__ == "__main__":
    main()

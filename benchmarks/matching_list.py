"""Benchmark of matching a list against a large registry: 1,000 list rows against 1,000,000
synthetic children, through the key index (``child_candidates_many``) and by brute force (the
same scorer on every child), on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_matching_bench \\
        .venv/bin/python benchmarks/matching_list.py --children 1000000 --rows 1000 --brute-rows 10

Loads the children once (the evaluation set's generator, ``matching_evaluation_generate``,
drawing a registry of that size: the same weighted name pools, families, twins; no aliases),
written with ``COPY`` with their name keys as ``matching.record_name_keys`` builds them. The
list's rows are queries drawn by the same generator for random registry children in every form
(Cyrillic, Russified, the romanizations, surname changed, patronymic missing, dates
approximate, swapped or year only, full names in any order) and for children not in it, one in
ten.

- **indexed**: the wall time of ``child_candidates_many`` for all rows (its queries, the
  scoring of each row's pool, the bands), after one warm-up row.
- **brute force**: ``matching.score`` of every child for each of ``--brute-rows`` rows drawn at
  random from the list (every child read once from the database, as the scorer reads a
  record, and scored against each sampled row, as recorded and under each alias), the best
  child with a band kept, ties broken by id as the index's path breaks them. Its time per
  row, times the number of rows, is the brute force's time for the list; scoring a million
  children per row for all 1,000 rows would take most of a day.
- **ratio**: brute force for the list / indexed; **same top candidate**: the sampled rows
  whose first candidate (or the absence of one) is the same both ways.

All data is synthetic.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    arguments,
    ensure_database,
    psycopg_url,
    registry_prepared,
    setup_django,
)

SEED = 1_000_000


def _extra(parser: Any) -> None:
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--brute-rows", type=int, default=10)


def children_loaded(database_url: str, size: int) -> None:
    """Write ``size`` synthetic children with their name keys unless they are there."""
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from benchmarks import matching_evaluation_generate as generate
    from cases import matching
    from cases.models import Child, ChildNameKey

    if Child.objects.filter(is_synthetic=True).count() == size:
        return
    print(f"Loading {size} synthetic children...", flush=True)
    started = time.perf_counter()
    Child.objects.filter(is_synthetic=True).delete()
    drawn = generate.registry(random.Random(SEED), generate.pools(), size)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM cases_child")
        first_id = cursor.fetchone()[0] + 1
    now = timezone.now()
    sexes = {"M": "male", "F": "female"}
    precisions = {1: "year", 2: "month", 3: "exact"}
    columns = (
        "id given_name family_name patronymic given_name_latin family_name_latin "
        "patronymic_latin date_of_birth date_of_birth_precision sex origin_oblast_id "
        "origin_settlement parental_care distinguishing_notes search_text is_synthetic "
        "created_at updated_at"
    )
    with psycopg.connect(psycopg_url(database_url)) as conn:
        with conn.cursor().copy(f"COPY cases_child ({', '.join(columns.split())}) FROM STDIN") as c:
            for offset, child in enumerate(drawn):
                parts = [int(p) for p in child.date_of_birth.split("-")]
                c.write_row(
                    (
                        first_id + offset, child.given_name, child.family_name, child.patronymic,
                        "", "", "", dt.date(*[*parts, 1, 1][:3]),
                        precisions[len(parts)], sexes[child.sex], child.origin_oblast, "",
                        "unknown", "", "", True, now, now,
                    )
                )  # fmt: skip
        print(f"  children written in {time.perf_counter() - started:.1f} s", flush=True)
        keys = f"COPY {ChildNameKey._meta.db_table} (child_id, key) FROM STDIN"
        with conn.cursor().copy(keys) as c:
            for offset, child in enumerate(drawn):
                for key in matching.record_name_keys(
                    given_name=child.given_name,
                    family_name=child.family_name,
                    patronymic=child.patronymic,
                ):
                    c.write_row((first_id + offset, key))
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('cases_child', 'id'), "
            "(SELECT MAX(id) FROM cases_child))"
        )
    # As autovacuum would in time: statistics, and the visibility map the index-only scans of
    # the key index need.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE cases_child")
        cursor.execute(f"VACUUM ANALYZE {ChildNameKey._meta.db_table}")
    print(f"  loaded with their keys in {time.perf_counter() - started:.1f} s", flush=True)


def list_rows(count: int) -> list[tuple[Any, int | None]]:
    """``count`` descriptions with the id of the child each is for (None: absent)."""
    from benchmarks import matching_evaluation_generate as generate
    from benchmarks.matching_evaluation import description_of
    from cases.models import Child

    rng = random.Random(SEED + 1)
    p = generate.pools()
    ids = list(Child.objects.filter(is_synthetic=True).order_by("pk").values_list("pk", flat=True))
    drawn = generate.registry(random.Random(SEED), p, len(ids))
    rows: list[tuple[Any, int | None]] = []
    while len(rows) < count:
        if rng.random() < 0.1:
            child = generate.absent_child(rng, p, drawn[:1000], 0)
            target = None
        else:
            index = rng.randrange(len(drawn))
            child, target = drawn[index], ids[index]
        row = generate.query(rng, p, child, rng.choice(generate.FORMS), len(rows), "")
        if row is not None:
            rows.append((description_of(row), target))
    return rows


def brute_force(descriptions: list[Any]) -> tuple[list[int | None], float]:
    """The best child with a band for each description, scoring every child as recorded and
    under each alias, as ``child_candidates`` scores its pool; and the seconds it took."""
    from django.db.models import Prefetch

    from cases.matching import score
    from cases.models import Child, ChildAlias
    from cases.selectors_matching import _alias_descriptions, child_description

    best: list[tuple[float, int] | None] = [None] * len(descriptions)
    started = time.perf_counter()
    fields = ("given_name", "family_name", "patronymic", "date_of_birth",
              "date_of_birth_precision", "sex", "origin_oblast")  # fmt: skip
    children = (
        Child.objects.filter(merged_into__isnull=True)
        .only(*fields)
        .prefetch_related(
            Prefetch("aliases", queryset=ChildAlias.objects.only("child_id", "name").order_by())
        )
        .order_by("pk")
    )
    for child in children.iterator(chunk_size=20_000):
        record = child_description(child)
        records = [record, *_alias_descriptions(child, record)]
        for index, description in enumerate(descriptions):
            match = max((score(description, r) for r in records), key=lambda m: m.score)
            if match.band is None:
                continue
            current = best[index]
            if current is None or (-match.score, child.pk) < (-current[0], current[1]):
                best[index] = (match.score, child.pk)
    return [b[1] if b else None for b in best], time.perf_counter() - started


def main() -> int:
    args = arguments(
        __doc__, database_url="postgres://postgres@127.0.0.1:5432/registry_matching_bench",
        extra=_extra,
    )  # fmt: skip
    ensure_database(args.database_url)
    setup_django(args.database_url)
    registry_prepared()
    children_loaded(args.database_url, args.children)
    from django.db import connection, reset_queries

    from cases.selectors_matching import child_candidates_many

    rows = list_rows(args.rows)
    descriptions = [d for d, _ in rows]
    child_candidates_many(descriptions=descriptions[:1])  # warm-up: caches, connection
    reset_queries()
    started = time.perf_counter()
    results = child_candidates_many(descriptions=descriptions)
    indexed = time.perf_counter() - started
    queries = len(connection.queries) if connection.queries_logged else None
    present = [(r, t) for r, (_, t) in zip(results, rows, strict=True) if t is not None]
    found_1 = sum(1 for r, t in present if r and r[0].child_id == t)
    print(f"indexed: {len(rows)} rows in {indexed:.2f} s ({indexed / len(rows) * 1000:.1f} ms/row)")
    if queries is not None:
        print(f"  queries: {queries}")
    print(f"  rows for registry children whose child came first: {found_1}/{len(present)}")

    sample = random.Random(SEED + 2).sample(range(len(rows)), args.brute_rows)
    top, seconds = brute_force([descriptions[i] for i in sample])
    per_row = seconds / len(sample)
    same = sum(
        1
        for i, brute in zip(sample, top, strict=True)
        if (results[i][0].child_id if results[i] else None) == brute
    )
    estimate = per_row * len(rows)
    print(
        f"brute force: {len(sample)} sampled rows against every child in {seconds:.1f} s "
        f"({per_row:.1f} s a row; {estimate:.0f} s estimated for {len(rows)} rows)"
    )
    print(f"ratio brute force / indexed: {estimate / indexed:.0f}x (target >= 50x)")
    print(f"same top candidate: {same}/{len(sample)} sampled rows (target >= 99%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

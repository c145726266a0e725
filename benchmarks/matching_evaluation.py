"""Evaluate identity matching on the evaluation set: recall at 1 and at 5, and the share of
children absent from the registry who are given a ``likely`` candidate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_matching_eval \\
        .venv/bin/python benchmarks/matching_evaluation.py

Loads the set's registry (``benchmarks/data/matching_evaluation/registry.csv``, made by
``matching_evaluation_generate.py``) into the database as children with their aliases and name
keys, as ``services.child_refresh_name_keys`` writes them, then asks
``selectors_matching.child_candidates_many`` for every query of ``queries.csv``: the path every
door of the registry takes (keys from the index, the pool, the scorer, the bands). Prints the
figures per form and overall, and exits non-zero below the targets.

- **recall at 1**: the share of queries for a registry child whose first candidate is that
  child; **at 5**: among the first five. A candidate needs a band (``likely`` or ``possible``).
- **absent with a likely candidate**: the share of queries for children not in the registry
  given at least one ``likely`` candidate.

The test ``tests/cases/test_matching_evaluation.py`` runs a slice of the same set with the same
functions. All data is synthetic.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "benchmarks" / "data" / "matching_evaluation"
TARGET_RECALL_AT_1 = 0.95
TARGET_RECALL_AT_5 = 0.98
TARGET_ABSENT_LIKELY = 0.02
BATCH = 200


def read_rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(value: str) -> tuple[dt.date | None, str]:
    """A recorded ``YYYY[-MM[-DD]]`` as the registry stores it: a date and its precision."""
    if not value:
        return None, "exact"
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        return dt.date(*parts), "exact"
    if len(parts) == 2:
        return dt.date(parts[0], parts[1], 1), "month"
    return dt.date(parts[0], 1, 1), "year"


def registry_loaded(rows: Sequence[dict[str, str]]) -> dict[str, int]:
    """Write ``rows`` as children, with their aliases and name keys; the set's id → child id.

    Written in bulk, as the synthetic loader does: the names and keys are derived by the same
    functions the services call (``names.latin_kmu``, ``names.search_text``,
    ``matching.record_name_keys``).
    """
    from cases import matching, names
    from cases.models import AliasKind, Child, ChildAlias, ChildNameKey

    sexes = {"M": "male", "F": "female"}
    children = []
    for row in rows:
        date_of_birth, precision = _date(row["date_of_birth"])
        children.append(
            Child(
                given_name=row["given_name"],
                family_name=row["family_name"],
                patronymic=row["patronymic"],
                given_name_latin=names.latin_kmu(row["given_name"]),
                family_name_latin=names.latin_kmu(row["family_name"]),
                patronymic_latin=names.latin_kmu(row["patronymic"]),
                date_of_birth=date_of_birth,
                date_of_birth_precision=precision,
                sex=sexes.get(row["sex"], "unknown"),
                origin_oblast_id=row["origin_oblast"] or None,
                search_text=names.search_text(
                    [row["given_name"], row["family_name"], row["patronymic"]]
                ),
                is_synthetic=True,
            )
        )
    created = Child.objects.bulk_create(children, batch_size=2000)
    ids = {row["id"]: child.pk for row, child in zip(rows, created, strict=True)}
    aliases: list[ChildAlias] = []
    keys: list[ChildNameKey] = []
    for row in rows:
        child_id = ids[row["id"]]
        alias_names = [a for a in row["aliases"].split("|") if a]
        aliases += [
            ChildAlias(child_id=child_id, name=a, kind=AliasKind.RUSSIFIED) for a in alias_names
        ]
        keys += [
            ChildNameKey(child_id=child_id, key=key)
            for key in sorted(
                matching.record_name_keys(
                    given_name=row["given_name"],
                    family_name=row["family_name"],
                    patronymic=row["patronymic"],
                    alias_names=alias_names,
                )
            )
        ]
    ChildAlias.objects.bulk_create(aliases, batch_size=2000)
    ChildNameKey.objects.bulk_create(keys, batch_size=5000)
    return ids


def description_of(row: dict[str, str]) -> Any:
    from cases.matching import description_from

    return description_from(
        full_name=row["full_name"] or None,
        given_name=row["given_name"] or None,
        family_name=row["family_name"] or None,
        patronymic=row["patronymic"] or None,
        date_of_birth=row["date_of_birth"] or None,
        sex=row["sex"] or None,
        origin_oblast=row["origin_oblast"] or None,
    )


@dataclass
class Tally:
    """The outcome of a form's queries."""

    queries: int = 0
    at_1: int = 0
    at_5: int = 0
    likely: int = 0  # absent queries given a likely candidate; present ones found as likely

    def recall_at_1(self) -> float:
        return self.at_1 / self.queries if self.queries else 0.0

    def recall_at_5(self) -> float:
        return self.at_5 / self.queries if self.queries else 0.0

    def likely_share(self) -> float:
        return self.likely / self.queries if self.queries else 0.0


@dataclass
class Figures:
    present: Tally = field(default_factory=Tally)
    absent: Tally = field(default_factory=Tally)
    by_form: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[tuple[str, str]] = field(default_factory=list)  # (query id, what happened)
    seconds: float = 0.0

    def meets_targets(self) -> bool:
        return (
            self.present.recall_at_1() >= TARGET_RECALL_AT_1
            and self.present.recall_at_5() >= TARGET_RECALL_AT_5
            and self.absent.likely_share() <= TARGET_ABSENT_LIKELY
        )


def evaluate(queries: Iterable[dict[str, str]], ids: dict[str, int]) -> Figures:
    """Ask for the candidates of every query, ``BATCH`` queries a call, and tally them."""
    from cases.selectors_matching import child_candidates_many

    figures = Figures()
    rows = list(queries)
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        results = child_candidates_many(descriptions=[description_of(r) for r in batch])
        for row, candidates in zip(batch, results, strict=True):
            found = [c.child_id for c in candidates]
            tally = figures.by_form[row["form"]]
            tally.queries += 1
            if row["expected"]:
                expected = ids[row["expected"]]
                figures.present.queries += 1
                hit_1 = found[:1] == [expected]
                hit_5 = expected in found[:5]
                likely = any(c.child_id == expected and c.band == "likely" for c in candidates)
                for t in (figures.present, tally):
                    t.at_1 += hit_1
                    t.at_5 += hit_5
                    t.likely += likely
                if not hit_1:
                    where = found.index(expected) + 1 if expected in found else 0
                    figures.misses.append((row["id"], f"at {where}" if where else "not found"))
            else:
                figures.absent.queries += 1
                likely = any(c.band == "likely" for c in candidates)
                figures.absent.likely += likely
                tally.likely += likely
                if likely:
                    figures.misses.append((row["id"], "absent child given a likely candidate"))
    figures.seconds = time.perf_counter() - started
    return figures


def report(figures: Figures) -> str:
    lines = [
        f"{'form':<32} {'queries':>7} {'recall@1':>9} {'recall@5':>9} {'likely':>7}",
    ]
    for form in sorted(figures.by_form, key=lambda f: (f.startswith("absent"), f)):
        t = figures.by_form[form]
        if form.startswith("absent"):
            continue
        lines.append(
            f"{form:<32} {t.queries:>7} {t.recall_at_1():>9.3f} {t.recall_at_5():>9.3f} "
            f"{t.likely_share():>7.3f}"
        )
    absent_forms = Counter[str]()
    for form, t in figures.by_form.items():
        if form.startswith("absent"):
            absent_forms[form] += t.likely
    p, a = figures.present, figures.absent
    lines += [
        f"{'all present':<32} {p.queries:>7} {p.recall_at_1():>9.3f} {p.recall_at_5():>9.3f} "
        f"{p.likely_share():>7.3f}",
        f"{'absent (likely candidate)':<32} {a.queries:>7} {'':>9} {'':>9} "
        f"{a.likely_share():>7.3f}",
        "",
        f"recall@1 {p.recall_at_1():.4f} (target >= {TARGET_RECALL_AT_1})",
        f"recall@5 {p.recall_at_5():.4f} (target >= {TARGET_RECALL_AT_5})",
        f"absent children with a likely candidate {a.likely_share():.4f} "
        f"(target <= {TARGET_ABSENT_LIKELY})",
        f"{p.queries + a.queries} queries in {figures.seconds:.1f} s "
        f"({(p.queries + a.queries) / max(figures.seconds, 1e-9):.0f} queries/s)",
    ]
    if absent_forms:
        lines.append(
            "absent given a likely candidate, by form: "
            + ", ".join(f"{f.split('/', 1)[1]} {n}" for f, n in sorted(absent_forms.items()) if n)
        )
    return "\n".join(lines)


def main() -> int:
    from benchmarks.common import arguments, ensure_database, registry_prepared, setup_django

    def extra(parser: Any) -> None:
        parser.add_argument("--misses", action="store_true", help="list the queries missed")
        parser.add_argument(
            "--brute", type=int, default=0, metavar="N",
            help="also score every registry child for N queries drawn at random and count "
            "those whose first candidate is the same both ways",
        )  # fmt: skip

    args = arguments(
        __doc__, database_url="postgres://postgres@127.0.0.1:5432/registry_matching_eval",
        extra=extra,
    )  # fmt: skip
    ensure_database(args.database_url)
    setup_django(args.database_url)
    registry_prepared()
    from django.db import connection

    from cases.models import Child

    registry = read_rows("registry.csv")
    print(f"Loading {len(registry)} registry children...", flush=True)
    started = time.perf_counter()
    Child.objects.filter(is_synthetic=True).delete()
    ids = registry_loaded(registry)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  loaded in {time.perf_counter() - started:.1f} s", flush=True)
    figures = evaluate(read_rows("queries.csv"), ids)
    print(report(figures))
    if args.misses:
        for query_id, what in figures.misses:
            print(f"  {query_id}: {what}")
    if args.brute:
        print(same_top_candidate(read_rows("queries.csv"), args.brute))
    return 0 if figures.meets_targets() else 1


def same_top_candidate(queries: list[dict[str, str]], count: int) -> str:
    """The first candidate through the index against scoring every registry child, for
    ``count`` queries drawn at random (seeded)."""
    import random

    from benchmarks.matching_list import brute_force
    from cases.selectors_matching import child_candidates_many

    sample = random.Random(count).sample(queries, count)
    descriptions = [description_of(row) for row in sample]
    indexed = [
        c[0].child_id if c else None for c in child_candidates_many(descriptions=descriptions)
    ]
    brute, seconds = brute_force(descriptions)
    same = sum(1 for a, b in zip(indexed, brute, strict=True) if a == b)
    return (
        f"same top candidate as brute force: {same}/{count} queries "
        f"({seconds / count:.2f} s a query scoring every child)"
    )


if __name__ == "__main__":
    sys.exit(main())

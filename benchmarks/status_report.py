"""Benchmark of a status report's figures on PostgreSQL: ``reports.figures.report_figures``
for the registry over the last complete month, against the plain GROUP BY queries it needs
run alone.

Loads synthetic cases (1,000,000 by default) unless they are already there, then times, in
interleaved rounds (one call of each per round, after warm-up rounds):

- the report: ``report_figures(scope="registry", period=<last month>, as_of=<its end>)``, every
  section, through the ORM, the Python that arranges the grouped rows included;
- the floor: the GROUP BYs a report cannot do without, hand-written and sent through psycopg
  with nothing else: cases by status, the moves since the period began by (from, to), open
  cases by oblast and country, services by kind and status, follow-ups due in the period, and
  the median and 90th percentile of the days to return of the period's returns
  (``percentile_cont``).

Target: the report's p50 no more than 1.5x the floor's and under one second. Prints a
Markdown table for ``docs/benchmarks.md``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/status_report.py --cases 1000000

All data is synthetic.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    arguments,
    ensure_database,
    interleaved,
    percentile,
    psycopg_url,
    registry_loaded,
    setup_django,
)

FLOOR_SQL = [
    "SELECT status, count(*) FROM cases_case GROUP BY status",
    "SELECT from_status, to_status, count(*) FROM cases_statuschange "
    "WHERE changed_at >= %(starts_at)s GROUP BY from_status, to_status",
    "SELECT ch.origin_oblast_id, w.country, count(*) FROM cases_case k "
    "JOIN cases_child ch ON ch.id = k.child_id "
    "LEFT JOIN cases_whereabouts w ON w.id = ch.current_whereabouts_id "
    "WHERE k.status <> 'closed' GROUP BY ch.origin_oblast_id, w.country",
    "SELECT kind, status, count(*) FROM cases_service GROUP BY kind, status",
    "SELECT count(*) FROM cases_followup WHERE due_on >= %(start)s AND due_on <= %(end)s",
    "SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP "
    "(ORDER BY k.returned_on - (k.created_at AT TIME ZONE %(zone)s)::date) "
    "FROM cases_statuschange s JOIN cases_case k ON k.id = s.case_id "
    "WHERE s.to_status = 'returned' AND s.changed_at >= %(starts_at)s "
    "AND s.changed_at < %(ends_at)s",
]


def main() -> None:
    args = arguments(__doc__, cases=1_000_000, repeat=21, warmup=3)
    ensure_database(args.database_url)
    setup_django(args.database_url)

    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.models import Case, StatusChange
    from reports.figures import report_figures
    from reports.periods import last_complete

    # VACUUM ANALYZE: fresh rows' visibility map, as autovacuum would set it.
    registry_loaded(args.cases, vacuum=True)
    total = Case.objects.count()
    changes = StatusChange.objects.count()

    period = last_complete("month")
    as_of = period.ends_at
    in_period = StatusChange.objects.filter(
        changed_at__gte=period.starts_at, changed_at__lt=period.ends_at
    ).count()

    def report() -> object:
        return report_figures(scope="registry", organization=None, period=period, as_of=as_of)

    with CaptureQueriesContext(connection) as ctx:
        figures = report()
    queries = len(ctx.captured_queries)

    import psycopg

    pg = psycopg.connect(psycopg_url(args.database_url))
    params = {
        "starts_at": period.starts_at,
        "ends_at": period.ends_at,
        "start": period.start,
        "end": period.end,
        "zone": settings.TIME_ZONE,
    }

    def floor() -> None:
        with pg.cursor() as cur:
            for sql in FLOOR_SQL:
                cur.execute(sql, params if "%(" in sql else None)
                cur.fetchall()

    report_ms, floor_ms = interleaved([report, floor], args.repeat, args.warmup)
    p50_report, p50_floor = statistics.median(report_ms), statistics.median(floor_ms)
    ratio = p50_report / p50_floor
    print()
    print(f"Cases: {total:,}; status changes: {changes:,}; moves in {period.key}: {in_period:,}")
    print(f"Report for {period.key}: {queries} queries; total {figures['total']:,}")  # type: ignore[index]
    print()
    print("| What | p50 (ms) | p95 (ms) | Queries |")
    print("|---|---:|---:|---:|")
    print(
        f"| `report_figures` (registry, {period.key}) | {p50_report:.1f} | "
        f"{percentile(report_ms, 95):.1f} | {queries} |"
    )
    print(
        f"| Floor: the plain GROUP BYs alone (psycopg) | {p50_floor:.1f} | "
        f"{percentile(floor_ms, 95):.1f} | {len(FLOOR_SQL)} |"
    )
    print()
    verdict = "met" if ratio <= 1.5 and p50_report < 1000 else "NOT met"
    print(f"Ratio report/floor (p50): {ratio:.2f}x; target <= 1.5x and < 1 s: {verdict}")
    pg.close()


if __name__ == "__main__":
    main()

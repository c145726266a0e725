"""Benchmark of a case import's per-row work on PostgreSQL, without matching: reading the rows,
checking them against the case rules, and writing them with their audit events.

The parts of ``benchmarks/import_cases.py`` that do not depend on the registry's size: the
same synthetic file (10,000 rows by default) is read into case records
(``imports.case_rows.RowReader``), checked (``cases.services.case_records_check``, what the
import's check runs) and written (``cases.services.cases_create_many``, what the import's
write runs, COPY and audit events included) in a transaction that is then rolled back, so
runs leave the registry as it was. Each step is timed ``--repeat`` times (the first run of a
process also fills the name caches); prints the wall time and the process's CPU seconds of
each (the database's own work not counted in the CPU seconds).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/import_rows.py --rows 10000 --cases 20000

All data is synthetic.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    arguments,
    ensure_database,
    registry_loaded,
    setup_django,
)
from benchmarks.import_cases import _file, _options  # noqa: E402 - the same file and options


class _RolledBack(Exception):
    """Leaves the write's transaction without keeping anything."""


def _since(started: float, cpu: float) -> str:
    """Wall seconds (CPU seconds) since ``perf_counter()`` was ``started``, ``process_time()``
    ``cpu``."""
    return f"{time.perf_counter() - started:.2f} ({time.process_time() - cpu:.2f})"


def main() -> None:
    args = arguments(__doc__ or "", cases=20_000, repeat=2, extra=_options)
    ensure_database(args.database_url)
    setup_django(args.database_url)
    registry_loaded(args.cases, vacuum=False)

    from django.db import transaction

    from accounts.models import Organization
    from audit.context import audit_context
    from audit.models import Channel
    from cases.selectors import oblast_list
    from cases.services import case_records_check, cases_create_many
    from imports.case_rows import COLUMNS, RowReader
    from imports.uploads import read_upload

    table = read_upload(_file(args.rows, args.seed), COLUMNS)
    rows = len(table.rows)
    print(f"rows: {rows}; registry of {args.cases} synthetic cases")
    print()
    print("| run | read: s (CPU s) | rules: s (CPU s) | write: s (CPU s) |")
    print("|---|---:|---:|---:|")
    for run in range(1, args.repeat + 1):
        times: list[str] = []
        started, cpu = time.perf_counter(), time.process_time()
        reader = RowReader.for_oblasts(oblast_list())
        records = [reader.read(number, cells).record for number, cells in table.rows]
        times.append(_since(started, cpu))
        started, cpu = time.perf_counter(), time.process_time()
        problems = case_records_check(records=records)
        times.append(_since(started, cpu))
        assert not problems, sorted(problems)[:5]
        try:
            with transaction.atomic(), audit_context(channel=Channel.COMMAND):
                organization = Organization.objects.create(
                    name=f"Benchmark rows {time.time_ns()}", kind="ngo"
                )
                started, cpu = time.perf_counter(), time.process_time()
                cases_create_many(
                    actor=None,
                    records=records,
                    organization=organization,
                    metadata={"benchmark": "import_rows"},
                )
                times.append(_since(started, cpu))
                raise _RolledBack
        except _RolledBack:
            pass
        print(f"| {run} | {' | '.join(times)} |")
    print(f"(load average while measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()

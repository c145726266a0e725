"""The registry at a million cases, in one command and one table (``make bench``).

Ensures two PostgreSQL databases, a small one (100,000 synthetic cases) and a large one
(1,000,000), loads each once (``benchmarks.common.registry_loaded``: migrated, seeded, the
synthetic cases loaded unless they are there, then ``VACUUM ANALYZE``), then measures on the
large one, each part in interleaved rounds, and prints one Markdown table with a target column
and pass or fail:

- ``benchmarks/api_list.py``: the API list (filters + search, the common-name search against a
  rare name), the detail, both floors and their ratio, the same list on the small database
  (cost growth), the plain ``ModelViewSet`` with page numbers, a cursor page 500,000 rows
  deep against the first;
- ``benchmarks/admin_list.py``: the admin's case list, filtered list and search;
- ``benchmarks/case_counts.py``: the counts against their plain ``GROUP BY``s;
- ``benchmarks/export_memory.py``: the export of every case to CSV and XLSX, its time and the
  peak memory of the process writing it.

A part is a module with ``measure(*, repeat: int, warmup: int) -> list[BenchRow]``
(``benchmarks.common.BenchRow``), run in this process once Django is set up on the large
database; a part whose module is not there is named and skipped. Each part runs alone too
(``python benchmarks/<part>.py``).

    .venv/bin/python benchmarks/million.py
    .venv/bin/python benchmarks/million.py --parts api_list,export_memory --repeat 50

Databases: ``--small-database-url`` and ``--database-url`` (``DATABASE_URL``), by default
``registry_100k`` and ``registry_million`` on the local server. ``BENCH_USER_PREFIX`` names
the users the parts create (``benchmark`` by default). All data is synthetic.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    BenchRow,
    arguments,
    ensure_database,
    markdown_table,
    registry_loaded,
    setup_django,
)

SMALL_CASES = 100_000
LARGE_CASES = 1_000_000
DEFAULT_SMALL_URL = "postgres://postgres@127.0.0.1:5432/registry_100k"
DEFAULT_LARGE_URL = "postgres://postgres@127.0.0.1:5432/registry_million"
# The parts, in the order their rows are printed.
PARTS = ("api_list", "admin_list", "case_counts", "export_memory")


def _extra(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--small-database-url",
        default=os.environ.get("SMALL_DATABASE_URL", DEFAULT_SMALL_URL),
        help="the database of 100,000 cases the list is compared with",
    )
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default: all of {', '.join(PARTS)})",
    )
    parser.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)


def _load_elsewhere(database_url: str, cases: int) -> None:
    """Load ``database_url`` in a process of its own (Django serves one database a process)."""
    subprocess.run(  # noqa: S603 - fixed argv
        [
            sys.executable,
            __file__,
            "--load-only",
            "--cases",
            str(cases),
            "--database-url",
            database_url,
        ],
        cwd=ROOT,
        check=True,
    )


def _part(name: str) -> Any | None:
    """The part's module, or ``None`` when there is no such module."""
    if importlib.util.find_spec(f"benchmarks.{name}") is None:
        return None
    return importlib.import_module(f"benchmarks.{name}")


def main() -> None:
    args = arguments(
        __doc__,
        cases=LARGE_CASES,
        repeat=100,
        warmup=10,
        database_url=DEFAULT_LARGE_URL,
        extra=_extra,
    )
    if args.load_only:
        ensure_database(args.database_url)
        setup_django(args.database_url)
        registry_loaded(args.cases, vacuum=True)
        return
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"unknown parts: {', '.join(unknown)} (known: {', '.join(PARTS)})")

    started = time.perf_counter()
    print(f"Preparing {args.small_database_url.rsplit('/', 1)[1]} ({SMALL_CASES:,} cases)...")
    _load_elsewhere(args.small_database_url, SMALL_CASES)
    print(f"Preparing {args.database_url.rsplit('/', 1)[1]} ({args.cases:,} cases)...")
    _load_elsewhere(args.database_url, args.cases)
    setup_django(args.database_url)

    from cases.models import Case

    total = Case.objects.count()
    rows: list[BenchRow] = []
    ran: list[str] = []
    skipped: list[str] = []
    for name in parts:
        module = _part(name)
        if module is None:
            skipped.append(name)
            continue
        print(f"Measuring {name}...", flush=True)
        part_started = time.perf_counter()
        if name == "api_list":
            found = module.measure(
                repeat=args.repeat,
                warmup=args.warmup,
                small_database_url=args.small_database_url,
            )
        else:
            found = module.measure(repeat=args.repeat, warmup=args.warmup)
        rows += found
        ran.append(f"{name} ({time.perf_counter() - part_started:.0f} s)")

    checks = [row for row in rows if "target" in row and row.get("passed") is not None]
    failed = [row["name"] for row in checks if not row.get("passed")]
    print()
    print(
        f"Cases: {total:,} (compared with {args.small_database_url.rsplit('/', 1)[1]}); "
        f"{args.repeat} rounds after {args.warmup} warm-up; "
        f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} on "
        f"{os.cpu_count()} cores; Python {platform.python_version()}"
    )
    print(
        f"Parts: {', '.join(ran) or 'none'}"
        + (f"; not there: {', '.join(skipped)}" if skipped else "")
    )
    print()
    print(markdown_table(rows))
    print()
    print(
        f"Checks: {len(checks) - len(failed)} of {len(checks)} met"
        + (f"; not met: {'; '.join(failed)}" if failed else "")
        + f". Total time {time.perf_counter() - started:.0f} s."
    )


if __name__ == "__main__":
    main()

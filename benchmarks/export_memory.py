"""The case list export at scale: the time to write every case a reader sees to CSV and to
XLSX, the time to its first bytes, and the peak memory of the process that writes it.

Each format is exported in a process of its own (``resource.getrusage``'s ``ru_maxrss`` is the
peak of the whole process, so a fresh one per format), as a superuser reading every case, in
the admin list's order, through ``cases.exports.case_export_stream`` (what the admin's export
view streams), written to nothing. The process's memory after Django's setup, before any row,
is given too: what the export itself adds is the difference.

Part of ``benchmarks/million.py``; runnable alone on a loaded database:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_million \\
        .venv/bin/python benchmarks/export_memory.py

All data is synthetic.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
    markdown_table,
    setup_django,
)

FORMATS = ("csv", "xlsx")
MEMORY_TARGET_MB = 200
DEFAULT_USER_PREFIX = "benchmark"


def _peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_once(file_format: str) -> dict[str, Any]:
    """Export every case to ``file_format`` in this process: rows, bytes, seconds, seconds to
    the first bytes, and peak memory before and after."""
    from django.contrib.auth import get_user_model

    from cases import selectors
    from cases.exports import case_export_stream

    prefix = os.environ.get("BENCH_USER_PREFIX", DEFAULT_USER_PREFIX)
    user, _ = get_user_model().objects.get_or_create(
        username=f"{prefix}_exporter",
        defaults={"is_staff": True, "is_superuser": True, "email": f"{prefix}@example.org"},
    )
    cases = selectors.case_list(actor=user).order_by("-updated_at", "-id")
    rows = cases.count()
    before = _peak_rss_mb()
    written = 0
    first: float | None = None
    started = time.perf_counter()
    for chunk in case_export_stream(cases, file_format=file_format):
        if first is None:
            first = time.perf_counter() - started
        written += len(chunk)
    return {
        "rows": rows,
        "bytes": written,
        "seconds": time.perf_counter() - started,
        "first_seconds": first,
        "rss_before_mb": before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def measure(*, repeat: int, warmup: int) -> list[BenchRow]:
    """Export once per format (a million rows take minutes: ``repeat`` and ``warmup`` do not
    apply), each in a fresh process on the database Django is set up on."""
    rows: list[BenchRow] = []
    for file_format in FORMATS:
        out = subprocess.run(  # noqa: S603 - fixed argv
            [
                sys.executable,
                __file__,
                "--child",
                file_format,
                "--database-url",
                os.environ["DATABASE_URL"],
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        peak = result["peak_rss_mb"]
        rows.append(
            BenchRow(
                name=f"export {file_format.upper()}, {result['rows']:,} cases (one run)",
                p50_ms=result["seconds"] * 1000,
                p95_ms=None,
                queries=None,
                note=(
                    f"peak RSS {peak:.0f} MB ({result['rss_before_mb']:.0f} MB before the "
                    f"first row); first bytes after {result['first_seconds']:.2f} s; "
                    f"{result['bytes'] / 1e6:.0f} MB written"
                ),
                target=f"peak RSS < {MEMORY_TARGET_MB} MB",
                passed=peak < MEMORY_TARGET_MB,
            )
        )
    return rows


def main() -> None:
    def extra(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)

    args = arguments(__doc__, extra=extra)
    setup_django(args.database_url)
    if args.child:
        print(json.dumps(export_once(args.child)))
        return
    print(markdown_table(measure(repeat=1, warmup=0)))


if __name__ == "__main__":
    main()

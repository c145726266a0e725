"""Benchmark of a case import's parts on PostgreSQL, one after the other: reading the rows,
drawing their candidates from the registry, checking them against the case rules, scoring
the candidates, writing the rows with their audit events, and the foreign keys' checks.

The parts ``benchmarks/import_cases.py`` runs together (the command runs the drawing beside
the rules and the scoring beside the write, on helper threads), each alone here, on the same
synthetic file (10,000 rows by default): ``imports.case_rows.RowReader``,
``cases.selectors_matching.candidate_pools``, ``cases.services.case_records_checked``,
``child_candidates_many(pools=...)``, ``cases.services.cases_create_many`` (COPY and audit
events included), then ``SET CONSTRAINTS ALL IMMEDIATE`` (the checks a commit runs), in a
transaction that is then rolled back, so runs leave the registry as it was. Each is timed
``--repeat`` times (the first run of a process also fills the name caches); prints the wall
time, the process's CPU seconds and the database server's CPU seconds for the connection
(when the server runs on this host) of each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/import_rows.py --rows 10000 --cases 20000

All data is synthetic.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    arguments,
    ensure_database,
    registry_loaded,
    server_cpu,
    setup_django,
)
from benchmarks.import_cases import _file, _options  # noqa: E402 - the same file and options

_T = TypeVar("_T")


class _RolledBack(Exception):
    """Leaves the write's transaction without keeping anything."""


def main() -> None:
    args = arguments(__doc__ or "", cases=20_000, repeat=2, extra=_options)
    ensure_database(args.database_url)
    setup_django(args.database_url)
    registry_loaded(args.cases, vacuum=False)

    from django.db import connection, transaction

    from accounts.models import Organization
    from audit.context import audit_context
    from audit.models import Channel
    from cases.selectors import oblast_list
    from cases.selectors_matching import candidate_pools, child_candidates_many
    from cases.services import case_records_checked, cases_create_many
    from imports.case_rows import COLUMNS, RowReader
    from imports.uploads import read_upload

    table = read_upload(_file(args.rows, args.seed), COLUMNS)
    rows = len(table.rows)
    parts = ["read", "draw candidates", "rules", "score", "write", "foreign keys"]
    print(f"rows: {rows}; registry of {args.cases} synthetic cases")
    print("each part: wall seconds / CPU seconds / database CPU seconds")
    print()
    print(f"| run | {' | '.join(parts)} | sum |")
    print(f"|---|{'---:|' * (len(parts) + 1)}")

    def one_run() -> list[tuple[float, float, float]]:
        spent: list[tuple[float, float, float]] = []

        def timed(call: Callable[[], _T]) -> _T:
            started, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
            result = call()
            server_after = server_cpu()
            spent.append(
                (
                    time.perf_counter() - started,
                    time.process_time() - cpu,
                    0.0 if server is None or server_after is None else server_after - server,
                )
            )
            return result

        reader = RowReader.for_oblasts(oblast_list())
        read = timed(lambda: [reader.read(number, cells) for number, cells in table.rows])
        descriptions = [r.description for r in read if r.description is not None]
        try:
            with transaction.atomic(), audit_context(channel=Channel.COMMAND):
                pools = timed(lambda: candidate_pools(descriptions=descriptions))
                checked = timed(lambda: case_records_checked(records=[r.record for r in read]))
                assert not checked.problems, sorted(checked.problems)[:5]
                timed(
                    lambda: child_candidates_many(
                        descriptions=descriptions, second_look=False, pools=pools
                    )
                )
                organization = Organization.objects.create(
                    name=f"Benchmark rows {time.time_ns()}", kind="ngo"
                )
                timed(
                    lambda: cases_create_many(
                        actor=None,
                        records=checked,
                        organization=organization,
                        metadata={"benchmark": "import_rows"},
                    )
                )
                timed(lambda: connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE"))
                raise _RolledBack
        except _RolledBack:
            pass
        return spent

    for run in range(1, args.repeat + 1):
        spent = one_run()
        total = tuple(sum(part[i] for part in spent) for i in range(3))
        cells = [f"{w:.2f} / {c:.2f} / {d:.2f}" for w, c, d in [*spent, total]]
        print(f"| {run} | {' | '.join(cells)} |")
    print(f"(load average while measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()

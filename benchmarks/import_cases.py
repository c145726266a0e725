"""Benchmark of a case import on PostgreSQL: 10,000 rows checked, matched and written, audited.

Loads synthetic cases into the registry (20,000 by default) unless they are there, makes a
file of synthetic rows (10,000 by default; one in twenty describes a child already in the
registry, so matching finds candidates and the write proposes possible duplicates), and
imports it as ``import_cases`` does (``case_import_run``): every row read, checked against the
case rules and matched against the registry once, then written (child, name keys, case, first
status change, whereabouts, relative, external reference) with one audit event per record
written, and the look-alikes proposed as possible duplicates, in one transaction.

With ``--rolled-back``, the command's import is rolled back once written and its foreign keys
checked (``SET CONSTRAINTS ALL IMMEDIATE``, the checks a commit runs): the registry stays as it
was, so runs of different code compare on the same registry with the same file.

With ``--upper-bound`` (and ``--rolled-back``), the command runs as if the write had the two
shapes proposed to halve the database's work, at their cheapest: the name keys not written at
all (not even as an array) and a ``create`` event for each case only (none for the child, the
status change, the whereabouts, the relative and the reference). Not an import anyone could
keep (its children could not be matched, and most of its records would have no event): what
the command would take at best with those changes, on the same machine.

With ``--two-step``, a second file is also imported as the API does it, in two requests: the
check (``case_import_upload``), then the write (``case_import_commit``: every row read and
checked again, since the registry may have changed between the two, then written).

Each import is for a new organization (references are unique per organization), so runs do
not update each other's rows. Prints rows per second with the process's CPU seconds and,
when the server runs on the same host, the CPU seconds of the server's process for the
connection: on a machine shared with other work, the wall time varies with the load and the
CPU times much less. The search indexes' pending lists, which a worker merges after the
commit, are merged after the import is timed, and timed on their own. Target: at least 2,000
rows per second.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench \\
        .venv/bin/python benchmarks/import_cases.py --rows 10000 --cases 20000

All data is synthetic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    arguments,
    ensure_database,
    registry_loaded,
    server_cpu,
    setup_django,
)

# One row in this many describes a child already in the registry.
LOOK_ALIKE_EVERY = 20


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=10_000, help="rows in the file")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--rolled-back",
        action="store_true",
        help="roll the command's import back once written and checked, so that runs compare "
        "on the same registry with the same file",
    )
    parser.add_argument(
        "--upper-bound",
        action="store_true",
        help="with --rolled-back: leave the name keys out of the write and record an event for "
        "each case only, the least the proposed changes to the write could cost",
    )
    parser.add_argument(
        "--two-step",
        action="store_true",
        help="also measure the API's two steps (check, then write) on a second file",
    )


def _file(rows: int, seed: int) -> bytes:
    """A CSV of ``rows`` synthetic children, every ``LOOK_ALIKE_EVERY``-th like a registry
    child (its names and date of birth)."""
    import csv
    import io

    from faker import Faker

    from cases.models import Child

    fake = Faker("uk_UA")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    known = list(
        Child.objects.filter(is_synthetic=True)
        .order_by("?")
        .values("given_name", "family_name", "patronymic", "date_of_birth", "sex")[
            : rows // LOOK_ALIKE_EVERY + 1
        ]
    )
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(
        [
            "ref",
            "given_name",
            "family_name",
            "patronymic",
            "sex",
            "date_of_birth",
            "origin_oblast",
            "deported_on",
            "deported_from",
            "whereabouts_country",
            "whereabouts_settlement",
            "whereabouts_since",
            "relative_relationship",
            "relative_given_name",
            "relative_family_name",
            "relative_phone",
        ]
    )
    for index in range(rows):
        male = rng.random() < 0.5
        if index % LOOK_ALIKE_EVERY == 0 and known:
            child: dict[str, Any] = known.pop()
            given, family, patronymic = (
                child["given_name"],
                child["family_name"],
                child["patronymic"],
            )
            born = child["date_of_birth"]
            male = child["sex"] == "male"
        else:
            given = fake.first_name_male() if male else fake.first_name_female()
            family = fake.last_name_male() if male else fake.last_name_female()
            patronymic = fake.middle_name_male() if male else fake.middle_name_female()
            born = fake.date_between_dates(
                date_start=dt.date(2006, 1, 1), date_end=dt.date(2021, 12, 31)
            )
        precision = rng.random()
        if born is None:
            dob = ""
        elif precision < 0.7:
            dob = born.isoformat()
        elif precision < 0.85:
            dob = f"{born.year:04d}-{born.month:02d}"
        else:
            dob = f"{born.year:04d}"
        writer.writerow(
            [
                f"BENCH-{index:06d}",
                given,
                family,
                patronymic,
                "M" if male else "F",
                dob,
                rng.choice(["UA-14", "UA-09", "UA-23", "UA-65", "UA-43"]),
                "2022-06-01" if born is None or born.year < 2022 else "",
                "Маріуполь",
                "RU",
                fake.city(),
                "2022-07-01",
                "mother",
                fake.first_name_female(),
                family,
                f"+380 00 {index:07d}",
            ]
        )
    return out.getvalue().encode("utf-8")


def _upper_bound() -> Any:
    """The write without its name keys and with a ``create`` event for each case only
    (``--upper-bound``): patched for the block."""
    from contextlib import ExitStack

    from audit import services as audit
    from cases.models import Case
    from cases.services import bulk

    record_creations = audit.record_creations

    def cases_only(instances: Any, **options: Any) -> int:
        if not instances or not isinstance(instances[0], Case):
            return 0
        return record_creations(instances, **options)

    stack = ExitStack()
    stack.enter_context(mock.patch.object(bulk, "_write_name_keys", return_value=None))
    stack.enter_context(mock.patch.object(bulk.audit, "record_creations", cases_only))
    return stack


def main() -> None:
    args = arguments(__doc__ or "", cases=20_000, extra=_options)
    if args.upper_bound and not args.rolled_back:
        raise SystemExit("--upper-bound writes what nobody could keep: use it with --rolled-back")
    ensure_database(args.database_url)
    setup_django(args.database_url)
    registry_loaded(args.cases, vacuum=False)

    from celery import current_app
    from django.db import connection, transaction

    from accounts.models import Organization
    from audit.context import audit_context
    from audit.models import AuditEvent, Channel
    from cases.models import Case, DuplicatePair
    from cases.services import SEARCH_MERGE_TASK, search_indexes_merge
    from imports.models import CaseImport
    from imports.services import case_import_commit, case_import_run, case_import_upload

    def organization() -> Organization:
        return Organization.objects.create(name=f"Benchmark import {time.time_ns()}", kind="ngo")

    def timed(call: Any) -> tuple[Any, float, float, str]:
        started, cpu, server = time.perf_counter(), time.process_time(), server_cpu()
        result = call()
        server_after = server_cpu()
        spent = "n/a" if server is None or server_after is None else f"{server_after - server:.2f}"
        return result, time.perf_counter() - started, time.process_time() - cpu, spent

    # The search indexes' merge is a worker's, after the commit: each import's is queued, then
    # timed on its own (Celery runs eagerly here, which would put it inside the import's time).
    merges: list[tuple[Any, ...]] = []
    queued_only = mock.patch.object(
        current_app.tasks[SEARCH_MERGE_TASK], "delay", lambda *a: merges.append(a)
    )

    rows = args.rows
    # A new file each run (the rows of an earlier run are in the registry now), unless runs
    # are rolled back: then the same file against the same registry each run.
    content = _file(rows, args.seed + CaseImport.objects.count())
    registry = Case.objects.count()
    events_before = AuditEvent.objects.count()
    pairs_before = DuplicatePair.objects.count()

    def command(owner: Organization) -> Any:
        done = case_import_run(
            actor=None, file_name="benchmark.csv", content=content, organization=owner
        )
        if args.rolled_back:
            # The foreign keys' deferred checks, as the commit would run them.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        return done

    with transaction.atomic() if args.rolled_back else nullcontext():
        owner = organization()
        with (
            audit_context(channel=Channel.COMMAND),
            queued_only,
            _upper_bound() if args.upper_bound else nullcontext(),
        ):
            done, seconds, cpu, server = timed(lambda: command(owner))
        assert done.status == "committed", done.report.get("problems", [])[:5]
        cases = Case.objects.filter(organization=owner).count()
        events = AuditEvent.objects.count() - events_before
        pairs = DuplicatePair.objects.count() - pairs_before
        if args.rolled_back:
            transaction.set_rollback(True)
    if args.rolled_back:
        # No merge was queued (nothing committed), but the rolled-back rows' entries are in
        # the pending lists until merged: merged here, untimed.
        search_indexes_merge()
    if merges:
        merged, merge_seconds, _cpu, merge_server = timed(search_indexes_merge)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone() or ("?",)
    print(f"PostgreSQL {version}; registry of {registry} cases before the run")
    print(f"rows: {rows}; cases written: {cases}; audit events: {events}; pairs proposed: {pairs}")
    if args.rolled_back:
        print("(all of it rolled back after the foreign keys' checks: the registry is unchanged)")
    if args.upper_bound:
        print("(upper bound: no name keys written, a create event for each case only)")
    print(f"flagged as like a registry child: {done.report['counts']['matching_existing']}")
    print()
    print("| step | seconds | rows/s | CPU seconds | database CPU seconds |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| the command (`import_cases`: read, check, match, write, audit, propose) | "
        f"{seconds:.2f} | {rows / seconds:,.0f} | {cpu:.2f} | {server} |"
    )
    if merges:
        print(
            f"| after the commit, a worker: the search indexes' pending lists merged "
            f"({merged} pages) | {merge_seconds:.2f} | | | {merge_server} |"
        )
    if args.two_step:
        content = _file(rows, args.seed + CaseImport.objects.count())
        owner = organization()
        with audit_context(channel=Channel.COMMAND), queued_only:
            checked, check_seconds, check_cpu, check_server = timed(
                lambda: case_import_upload(
                    actor=None,
                    file_name="benchmark.csv",
                    content=content,
                    organization=owner,
                    in_background=False,
                )
            )
            assert checked.status == "validated", checked.report.get("problems", [])[:5]
            written, write_seconds, write_cpu, write_server = timed(
                lambda: case_import_commit(case_import_id=checked.pk, actor=None)
            )
        assert written.status == "committed", written.report.get("problems", [])[:5]
        search_indexes_merge()
        print(
            f"| API step 1, check (read, rules, matching) | {check_seconds:.2f} | "
            f"{rows / check_seconds:,.0f} | {check_cpu:.2f} | {check_server} |"
        )
        print(
            f"| API step 2, write (check again, write, audit, propose) | {write_seconds:.2f} | "
            f"{rows / write_seconds:,.0f} | {write_cpu:.2f} | {write_server} |"
        )
    print(f"(load average while measured: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()

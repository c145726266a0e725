"""Benchmark of the reminders, the daily digests and the summary e-mails for many users, on
PostgreSQL.

For each number of users asked (100 and 1,000 by default) the script copies a base database
(migrated, reference data loaded) into a database of its own, ``<name>_u<users>``, and fills
it in a process of its own with synthetic data:

- organizations of ``--users-per-organization`` caseworkers and supervisors each (one in ten a
  supervisor), every one with an e-mail address; the organizations grow with the users, so
  each user has the same kind and amount of work at every size;
- ``--cases-per-user`` synthetic cases per user (``demo.synthetic``, the bulk generator of the
  other benchmarks), assigned round-robin to the organization's members; for every open case
  a follow-up due in the coming days or overdue, for every fifth a closure request pending for
  five days, for every fourth a share with another organization expiring in three days; the
  generator's status histories leave many cases in their status longer than its limit;
- as many coordinators as users, each subscribed to the registry's weekly summary (half in
  English, half in Ukrainian), and the registry's report of the last complete week (a row with
  figures of the synthetic data, issued as beat issues it).

Then it measures, counting queries with ``CaptureQueriesContext``:

- ``reminders_refresh()``: the first (writing every reminder), then a second with nothing
  changed;
- ``digests_queue(now=<this morning, after REPORTS_DIGEST_HOUR>)``;
- ``outbox_send()`` of the digests, with Django's in-memory mail backend (locmem);
- ``summaries_queue()`` and ``outbox_send()`` of the summaries, the same way.

The refresh and the queueing should cost the same number of queries at every size, and the
sending the same number per message. Prints a Markdown table for ``docs/benchmarks.md``. The
databases of the sizes are dropped at the end (``--keep`` keeps them), so the script can run
again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_h4bench \\
        .venv/bin/python benchmarks/reminders_digests.py --users 100,1000

All data is synthetic.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402 - after the path is set
    admin_url_and_name,
    arguments,
    ensure_database,
    registry_prepared,
    setup_django,
)

QUERIES_LOG_LIMIT = 1_000_000
SUPERVISOR_EVERY = 10
CLOSURE_EVERY = 5
SHARE_EVERY = 4


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The synthetic data of one size
# ---------------------------------------------------------------------------------------------
def _build(*, users: int, per_organization: int, cases_per_user: int) -> dict[str, Any]:
    """Write the synthetic users, cases, follow-ups, closure requests, shares, subscriptions
    and the registry's report; returns what was written."""
    from django.db.models import Q
    from django.utils import timezone

    from accounts.models import Membership, OrganizationKind, Role, User
    from accounts.services import organization_create
    from cases.models import Case, CaseShare, ClosureRequest, FollowUp, ShareScope
    from cases.workflow import ClosureReason, Status
    from demo.synthetic import synthetic_cases_generate
    from reports.models import Frequency, ReportPeriod, StatusReport, Subscription, Topic
    from reports.periods import last_complete
    from reports.services.reports import report_issue

    now = timezone.now()
    today = timezone.localdate(now)
    organizations = [
        organization_create(
            name=f"Synthetic benchmark organization {index + 1}",
            short_name=f"SBO{index + 1}",
            kind=OrganizationKind.NGO,
            country="UA",
        )
        for index in range((users + per_organization - 1) // per_organization)
    ]
    # Case workers and supervisors, then as many coordinators (the summaries' subscribers).
    people: list[User] = []
    roles: list[tuple[int, str]] = []  # (organization index, role), by user
    for index in range(users):
        org = index // per_organization
        role: str = Role.SUPERVISOR if index % SUPERVISOR_EVERY == 0 else Role.CASEWORKER
        people.append(_user(f"bench-{role}-{index}", f"Worker{index}"))
        roles.append((org, role))
    for index in range(users):
        people.append(_user(f"bench-coordinator-{index}", f"Coordinator{index}"))
        roles.append((index // per_organization, Role.COORDINATOR))
    people = User.objects.bulk_create(people, batch_size=2000)
    Membership.objects.bulk_create(
        [
            Membership(user=user, organization=organizations[org], role=role)
            for user, (org, role) in zip(people, roles, strict=True)
        ],
        batch_size=2000,
    )
    workers_of: dict[int, list[User]] = {o.pk: [] for o in organizations}
    for user, (org, role) in zip(people, roles, strict=True):
        if role != Role.COORDINATOR:
            workers_of[organizations[org].pk].append(user)

    # Cases, owned by each organization in proportion to its workers, assigned round-robin.
    for organization in organizations:
        synthetic_cases_generate(
            count=len(workers_of[organization.pk]) * cases_per_user,
            organization_ids=[organization.pk],
            progress=False,
        )
    cases = list(Case.objects.filter(organization__in=organizations).order_by("organization", "pk"))
    position: dict[int, int] = {}
    for case in cases:
        members = workers_of[case.organization_id]
        n = position.get(case.organization_id, 0)
        position[case.organization_id] = n + 1
        case.assignee = members[n % len(members)]
    Case.objects.bulk_update(cases, ["assignee"], batch_size=2000)

    open_cases = [case for case in cases if case.status != Status.CLOSED]
    follow_ups = FollowUp.objects.bulk_create(
        [
            # Due between four days ago and five days ahead: overdue or due soon.
            FollowUp(case=case, due_on=today + dt.timedelta(days=index % 10 - 4))
            for index, case in enumerate(open_cases)
        ],
        batch_size=2000,
    )
    closures = ClosureRequest.objects.bulk_create(
        [
            ClosureRequest(
                case=case,
                closure_reason=ClosureReason.DUPLICATE,
                reason="Synthetic benchmark request.",
                requested_by=case.assignee,
            )
            for case in open_cases[::CLOSURE_EVERY]
        ],
        batch_size=2000,
    )
    # Pending for five days (the creation time is set on insert).
    ClosureRequest.objects.filter(pk__in=[c.pk for c in closures]).update(
        requested_at=now - dt.timedelta(days=5)
    )
    others = {
        o.pk: organizations[(i + 1) % len(organizations)] for i, o in enumerate(organizations)
    }
    shares = CaseShare.objects.bulk_create(
        [
            CaseShare(
                case=case,
                organization=others[case.organization_id],
                scope=ShareScope.LIMITED,
                reason="Synthetic benchmark share.",
                consent_reference="Synthetic",
                expires_at=now + dt.timedelta(days=3),
            )
            for case in open_cases[1::SHARE_EVERY]
            if others[case.organization_id].pk != case.organization_id
        ],
        batch_size=2000,
    )

    coordinators = [
        user for user, (_org, role) in zip(people, roles, strict=True) if role == "coordinator"
    ]
    Subscription.objects.bulk_create(
        [
            Subscription(
                user=user,
                topic=Topic.REGISTRY,
                frequency=Frequency.WEEKLY,
                language="en" if index % 2 == 0 else "uk",
            )
            for index, user in enumerate(coordinators)
        ],
        batch_size=2000,
    )
    week = last_complete(ReportPeriod.WEEK, today)
    StatusReport.objects.filter(
        Q(scope="registry"), period=week.kind, period_start=week.start
    ).delete()
    # The registry's weekly report of the synthetic data, issued as beat would issue it.
    report_issue(actor=None, scope="registry", period=week)
    return {
        "organizations": len(organizations),
        "workers": users,
        "supervisors": sum(1 for _o, role in roles if role == Role.SUPERVISOR),
        "coordinators": len(coordinators),
        "cases": len(cases),
        "open_cases": len(open_cases),
        "follow_ups": len(follow_ups),
        "closure_requests": len(closures),
        "shares": len(shares),
    }


def _user(username: str, name: str) -> Any:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    return User(
        username=username,
        first_name=name,
        last_name="Synthetic",
        email=f"{username}@example.org",
        password=make_password(None),  # unusable: cannot sign in
    )


# ---------------------------------------------------------------------------------------------
# Measuring one size (run in a process of its own, on the size's own database)
# ---------------------------------------------------------------------------------------------
def _measured(fn: Callable[[], Any]) -> tuple[Any, float, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Django keeps the last 9,000 queries only (``queries_limit``): a longer step would be
    # miscounted. The log is made long enough, and emptied before each step.
    if connection.queries_log.maxlen != QUERIES_LOG_LIMIT:
        connection.queries_log = deque(maxlen=QUERIES_LOG_LIMIT)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
    if len(ctx.captured_queries) >= QUERIES_LOG_LIMIT:
        raise SystemExit("too many queries to count: raise QUERIES_LOG_LIMIT")
    return result, seconds, [q["sql"] for q in ctx.captured_queries]


def _first_transaction(queries: list[str]) -> list[str]:
    """The queries up to the first ``COMMIT``: one message's, when sending."""
    end = next((i for i, sql in enumerate(queries) if sql.strip() == "COMMIT"), len(queries))
    return queries[: end + 1]


def _worker(args: argparse.Namespace) -> None:
    setup_django(args.database_url)

    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from audit.context import audit_context
    from audit.models import Channel
    from reports.models import OutboundEmail, Reminder, ReminderState, Topic
    from reports.services.outbox import digests_queue, outbox_send, summaries_queue
    from reports.services.reminders import reminders_refresh

    users = args.users
    started = time.perf_counter()
    with audit_context(channel=Channel.COMMAND):
        built = _build(
            users=users,
            per_organization=args.users_per_organization,
            cases_per_user=args.cases_per_user,
        )
    built["seconds"] = round(time.perf_counter() - started, 1)
    _log(f"  built in {built['seconds']} s: {built}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    # The generator's heap is no server's: out of the collector's sight while measuring.
    gc.collect()
    gc.freeze()

    now = timezone.now()
    local = timezone.localtime(now)
    # This morning, after the digest hour: what the hourly tick sees (a later tick of the day).
    morning = local.replace(hour=settings.REPORTS_DIGEST_HOUR, minute=30, second=0, microsecond=0)
    rows: list[dict[str, Any]] = []
    samples: dict[str, list[str]] = {}

    def row(step: str, seconds: float, queries: list[str], count: int, per: str) -> None:
        rows.append(
            {
                "step": step,
                "users": users,
                "seconds": seconds,
                "queries": len(queries),
                "count": count,
                "per": per,
            }
        )
        _log(f"  {step}: {seconds:.2f} s, {len(queries)} queries, {count} {per}")

    with (
        audit_context(channel=Channel.TASK),
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
    ):
        result, seconds, queries = _measured(reminders_refresh)
        row("reminders_refresh (first)", seconds, queries, result.created, "reminders written")
        samples["refresh"] = queries
        result, seconds, queries = _measured(reminders_refresh)
        written = result.created + result.reopened + result.resolved
        row("reminders_refresh (nothing changed)", seconds, queries, written, "reminders written")
        open_reminders = Reminder.objects.filter(state=ReminderState.OPEN)
        built["open_reminders"] = open_reminders.count()
        built["workers_with_reminders"] = (
            open_reminders.filter(user__memberships__role__in=["caseworker", "supervisor"])
            .values("user")
            .distinct()
            .count()
        )

        queued, seconds, queries = _measured(lambda: digests_queue(now=morning))
        row("digests_queue", seconds, queries, queued, "digests queued")
        samples["digests_queue"] = queries
        mail.outbox = []
        sent, seconds, queries = _measured(lambda: outbox_send(now=morning))
        assert sent.sent == queued == len(mail.outbox), (sent, queued, len(mail.outbox))
        row("outbox_send (digests)", seconds, queries, sent.sent, "messages")
        samples["digest_send"] = _first_transaction(queries)
        built["digest_lines"] = sum(m.body.count("\n  - ") for m in mail.outbox)

        queued, seconds, queries = _measured(lambda: summaries_queue(today=morning.date()))
        row("summaries_queue", seconds, queries, queued, "summaries queued")
        mail.outbox = []
        # Queued due now (the real time), which may be later than the morning above.
        later = max(morning, timezone.now())
        sent, seconds, queries = _measured(lambda: outbox_send(now=later))
        assert sent.sent == queued == len(mail.outbox), (sent, queued, len(mail.outbox))
        row("outbox_send (summaries)", seconds, queries, sent.sent, "messages")
        samples["summary_send"] = _first_transaction(queries)
        built["outbox_sent"] = OutboundEmail.objects.filter(status="sent").count()
        built["summary_topic"] = OutboundEmail.objects.filter(topic=Topic.REGISTRY).count()

    print(json.dumps({"built": built, "rows": rows, "samples": samples}))


# ---------------------------------------------------------------------------------------------
# The driver: the base database, a copy per size, the table
# ---------------------------------------------------------------------------------------------
def _copy_database(database_url: str, copy: str, *, drop_only: bool = False) -> str:
    import psycopg

    admin_url, name = admin_url_and_name(database_url)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}"')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    return database_url.rsplit("/", 1)[0] + f"/{copy}"


def _table(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| step | users | seconds | queries | items | queries per user | queries per item "
        "| ms per item |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for r in result["rows"]:
            count = r["count"]
            per_item = f"{r['queries'] / count:.2f}" if count else "—"
            ms = f"{1000 * r['seconds'] / count:.2f}" if count else "—"
            lines.append(
                f"| {r['step']} | {r['users']:,} | {r['seconds']:.2f} | {r['queries']:,} "
                f"| {count:,} {r['per']} | {r['queries'] / r['users']:.3f} | {per_item} | {ms} |"
            )
    return lines


def _verdict(results: list[dict[str, Any]]) -> list[str]:
    """Whether the refresh and the queues cost a constant total, and the sending a constant
    number per message, across the sizes."""
    by_step: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        for r in result["rows"]:
            by_step.setdefault(r["step"], []).append(r)
    lines = []
    for step, rows in by_step.items():
        sizes = " / ".join(f"{r['users']:,}" for r in rows)
        if step.startswith("outbox_send"):
            # Queries = fixed + per message x messages: the per-message cost from the two
            # largest sizes, then checked against every size.
            first, last = rows[0], rows[-1]
            per = (last["queries"] - first["queries"]) / max(last["count"] - first["count"], 1)
            fixed = first["queries"] - per * first["count"]
            same = per == int(per) and all(r["queries"] == fixed + per * r["count"] for r in rows)
            shown = " / ".join(f"{r['queries']:,} for {r['count']:,}" for r in rows)
            lines.append(
                f"- {step}: queries at {sizes} users: {shown} messages = "
                f"{fixed:g} + {per:g} per message: "
                f"{'constant per message' if same else 'NOT constant per message'}"
            )
        else:
            totals = [r["queries"] for r in rows]
            same = len(set(totals)) == 1
            shown = " / ".join(str(t) for t in totals)
            lines.append(
                f"- {step}: queries in all at {sizes} users: {shown}: "
                f"{'the same total (constant per user: O(1) in users)' if same else 'NOT the same'}"
            )
    return lines


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", default="100,1000", help="caseworkers and supervisors, sizes")
    parser.add_argument("--users-per-organization", type=int, default=50)
    parser.add_argument("--cases-per-user", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep each size's database")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)


def main() -> None:
    args = arguments(
        __doc__,
        database_url="postgres://postgres@127.0.0.1:5432/registry_h4bench",
        extra=_options,
    )
    if args.worker:
        args.users = int(args.users)
        _worker(args)
        return
    sizes = sorted(int(size) for size in args.users.split(","))

    # The base database: migrated and the reference data loaded, then copied per size (a
    # database used as a template must have no connection open: this process closes its own).
    ensure_database(args.database_url)
    setup_django(args.database_url)
    from django.db import connection

    registry_prepared()
    connection.close()
    _, name = admin_url_and_name(args.database_url)

    results = []
    for size in sizes:
        copy = f"{name}_u{size}"
        _log(f"{size:,} users: database {copy}")
        url = _copy_database(args.database_url, copy)
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    "--users",
                    str(size),
                    "--users-per-organization",
                    str(args.users_per_organization),
                    "--cases-per-user",
                    str(args.cases_per_user),
                    "--database-url",
                    url,
                ],
                cwd=ROOT,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            )
        finally:
            if not args.keep:
                _copy_database(args.database_url, copy, drop_only=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    print()
    for result in results:
        print(f"Data at {result['built']['workers']:,} users: {result['built']}")
    print()
    for line in _table(results):
        print(line)
    print()
    for line in _verdict(results):
        print(line)
    last = results[-1]["samples"]
    for key, title in (
        ("refresh", "The first refresh's queries"),
        ("digests_queue", "The digest queue's queries"),
        ("digest_send", "One digest's queries (the first message)"),
        ("summary_send", "One summary's queries (the first message)"),
    ):
        print()
        print(f"{title}:")
        for sql in last[key]:
            print(f"  {' '.join(sql.split())[:110]}")


if __name__ == "__main__":
    main()

"""The kept counts of the registry's cases: how they are counted and kept (the refresh, a write)
and how they are read (with the time they were counted, ``as_of``).

**Kept.** One GROUP BY pass over every case, its child and the child's current whereabouts,
kept as a snapshot (``CaseCountSnapshot``) of two small tables, so that the counts by status,
phase, oblast of origin and current country, and the supervisors' caseloads, cost a read of a
few hundred rows instead of a pass over every case on every request:

- ``CaseloadCount``: cases by (organization, status, assignee): caseloads, counts by status;
- ``PlaceCount``: cases by (organization, status, oblast of origin, current country).

Two tables rather than one keyed by all five: a key holding the assignee and the geography
together could grow towards one row per case (every caseworker's cases spread over oblasts and
countries), while each of these stays bounded by what it describes.

A refresh replaces the whole snapshot in one transaction: the new snapshot and its rows are
written and the older ones deleted, so a reader, which reads a snapshot and its rows in one
statement, sees the old counts or the new ones, never a mix. Two refreshes at once do not both
count: on PostgreSQL a refresh first takes a transaction-level advisory lock; SQLite takes its
write lock when a transaction begins (``transaction_mode="IMMEDIATE"``), which serializes them
already.

**Read.** The counts are at most ``CASE_COUNTS_MAX_AGE`` seconds old: a beat task
(``cases.case_counts_refresh``) counts again twice as often, and a read that finds them older
(or none at all: a fresh install, a test) counts first, then reads. While another refresh is
running, a read that has counts to show shows them rather than queue behind it. Who may read
what is decided by the callers (``cases.selectors.case_counts``, the home pages'
``cases.selectors_home``).

Reads and the refresh share this module (not ``services`` and ``selectors``) because a read
may refresh: ``cases.selectors`` reads from here, and ``cases.services`` imports
``cases.selectors``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zlib
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, FilteredRelation, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from core.db import advisory_xact_lock

from .models import Case, CaseCountSnapshot, CaseloadCount, PlaceCount
from .workflow import Status

logger = logging.getLogger(__name__)

CASE_COUNTS_REFRESH_TASK = "cases.case_counts_refresh"
# The advisory lock of the refresh (a constant of this module).
_LOCK = zlib.crc32(b"cases.case_counts_refresh") & 0x7FFFFFFF
_BATCH_SIZE = 2000
UNKNOWN = "unknown"


# ---------------------------------------------------------------------------------------------
# Counting and keeping
# ---------------------------------------------------------------------------------------------
def _lock(*, wait: bool) -> bool:
    """The refresh's lock, held for the rest of the transaction (``advisory_xact_lock``)."""
    return advisory_xact_lock(_LOCK, wait=wait)


@transaction.atomic
def case_counts_refresh(
    *, fresh_after: dt.datetime | None = None, wait: bool = True
) -> CaseCountSnapshot | None:
    """Count every case once and keep the counts as the registry's snapshot, replacing the
    one before. Returns the snapshot, or ``None`` when ``wait`` is false and another refresh is
    running (a reader then shows the counts it has rather than queue behind it).

    ``fresh_after``: when a snapshot taken after this time is there by the time the lock is
    held (another refresh wrote it meanwhile), it is returned as it is, not counted again."""
    if not _lock(wait=wait):
        return None
    if fresh_after is not None:
        latest = (
            CaseCountSnapshot.objects.filter(taken_at__gt=fresh_after)
            .order_by("-taken_at", "-id")
            .first()
        )
        if latest is not None:
            return latest
    started = time.monotonic()
    # Before the pass: the counts hold at least every change committed by then.
    taken_at = timezone.now()
    caseload: Counter[tuple[int, str, int | None]] = Counter()
    places: Counter[tuple[int, str, str | None, str]] = Counter()
    rows = (
        Case.objects.order_by()
        .values_list(
            "organization_id",
            "status",
            "assignee_id",
            "child__origin_oblast_id",
            # Kept on the case by the services (the current whereabouts' country): no join.
            "current_country",
        )
        .annotate(n=Count("id"))
    )
    for organization_id, status, assignee_id, oblast, country, n in rows.iterator(
        chunk_size=_BATCH_SIZE
    ):
        caseload[(organization_id, status, assignee_id)] += n
        places[(organization_id, status, oblast, country or "")] += n
    duration_ms = round((time.monotonic() - started) * 1000)
    snapshot = CaseCountSnapshot.objects.create(
        taken_at=taken_at, cases=sum(caseload.values()), duration_ms=duration_ms
    )
    CaseloadCount.objects.bulk_create(
        (
            CaseloadCount(
                snapshot=snapshot,
                organization_id=organization_id,
                status=status,
                assignee_id=assignee_id,
                count=n,
            )
            for (organization_id, status, assignee_id), n in caseload.items()
        ),
        batch_size=_BATCH_SIZE,
    )
    PlaceCount.objects.bulk_create(
        (
            PlaceCount(
                snapshot=snapshot,
                organization_id=organization_id,
                status=status,
                origin_oblast_id=oblast,
                current_country=country,
                count=n,
            )
            for (organization_id, status, oblast, country), n in places.items()
        ),
        batch_size=_BATCH_SIZE,
    )
    CaseloadCount.objects.exclude(snapshot=snapshot).delete()
    PlaceCount.objects.exclude(snapshot=snapshot).delete()
    CaseCountSnapshot.objects.exclude(pk=snapshot.pk).delete()
    logger.info(
        "case_counts_refreshed snapshot=%s cases=%s caseload_rows=%s place_rows=%s ms=%s",
        snapshot.pk,
        snapshot.cases,
        len(caseload),
        len(places),
        duration_ms,
    )
    return snapshot


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
def counts_max_age() -> dt.timedelta:
    """How old the kept counts may be when read (``CASE_COUNTS_MAX_AGE``)."""
    return dt.timedelta(seconds=settings.CASE_COUNTS_MAX_AGE)


def _latest_snapshot() -> QuerySet[CaseCountSnapshot]:
    latest = CaseCountSnapshot.objects.order_by("-taken_at", "-id").values("pk")[:1]
    return CaseCountSnapshot.objects.filter(pk=Subquery(latest))


def _fresh(read: Callable[[], list[tuple[Any, ...]]]) -> tuple[dt.datetime, list[tuple[Any, ...]]]:
    """Run ``read`` (rows whose first column is the snapshot's ``taken_at``; one row of
    ``None``s after it for a snapshot without rows; no row without a snapshot), counting first
    when the counts are missing or older than their maximum age. Returns ``taken_at`` and the
    rows of the snapshot (``None`` rows left out)."""
    now = timezone.now()
    oldest = now - counts_max_age()
    rows = read()
    if not rows or rows[0][0] < oldest:
        # Without counts to show, wait for a refresh running elsewhere; with stale ones, show
        # them while it runs.
        refreshed = case_counts_refresh(fresh_after=oldest, wait=not rows)
        if refreshed is not None:
            rows = read() or [(refreshed.taken_at, None)]
    return rows[0][0], [row[1:] for row in rows if row[1] is not None]


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegistryCounts:
    """Every case of the registry by status, by oblast of origin (``"unknown"``: not known) and
    by the country of the child's current whereabouts (``"unknown"``: none recorded), as
    counted at ``as_of``."""

    as_of: dt.datetime
    by_status: dict[str, int] = field(default_factory=dict)
    by_origin_oblast: dict[str, int] = field(default_factory=dict)
    by_current_country: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def _add(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def _in_order(counts: dict[str, int]) -> dict[str, int]:
    """By key, ``"unknown"`` last."""
    return dict(sorted(counts.items(), key=lambda item: (item[0] == UNKNOWN, item[0])))


def kept_registry_counts() -> RegistryCounts:
    """The registry's counts by status, oblast and country, from the kept counts: one
    statement over a few hundred rows (plus a refresh when they are stale)."""
    as_of, rows = _fresh(
        lambda: list(
            _latest_snapshot()
            .values_list(
                "taken_at",
                "place_counts__status",
                "place_counts__origin_oblast_id",
                "place_counts__current_country",
            )
            .annotate(n=Sum("place_counts__count"))
            .order_by()
        )
    )
    by_status: dict[str, int] = {}
    by_oblast: dict[str, int] = {}
    by_country: dict[str, int] = {}
    for status, oblast, country, n in rows:
        _add(by_status, status, n)
        _add(by_oblast, oblast or UNKNOWN, n)
        _add(by_country, country or UNKNOWN, n)
    return RegistryCounts(
        as_of=as_of,
        by_status=dict(sorted(by_status.items())),
        by_origin_oblast=_in_order(by_oblast),
        by_current_country=_in_order(by_country),
    )


def kept_registry_counts_by_status() -> tuple[dt.datetime, dict[str, int]]:
    """The registry's cases by status from the kept counts (the caseload table: a handful of
    rows an organization), and when they were counted."""
    as_of, rows = _fresh(
        lambda: list(
            _latest_snapshot()
            .values_list("taken_at", "caseload_counts__status")
            .annotate(n=Sum("caseload_counts__count"))
            .order_by()
        )
    )
    return as_of, dict(sorted(rows))


# ---------------------------------------------------------------------------------------------
# Organizations' caseloads
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AssigneeLoad:
    assignee_id: int
    username: str
    count: int


@dataclass
class OrganizationCounts:
    """One organization's cases by status, its open cases by assignee (by username) and its
    open cases assigned to no one."""

    by_status: dict[str, int] = field(default_factory=dict)
    by_assignee: list[AssigneeLoad] = field(default_factory=list)
    unassigned: int = 0


def kept_organization_counts(
    *, organization_ids: Collection[int]
) -> tuple[dt.datetime, dict[int, OrganizationCounts]]:
    """The kept caseloads of ``organization_ids`` (one or more; every one of them in the
    answer, zero included), and when they were counted: one statement over their rows of the
    snapshot."""
    ids = sorted(set(organization_ids))
    if not ids:
        raise ValueError("organization_ids is empty")

    def read() -> list[tuple[Any, ...]]:
        # The organizations' rows joined to the snapshot (a FilteredRelation is built anew
        # for each query: adding it to one binds it).
        load = FilteredRelation(
            "caseload_counts", condition=Q(caseload_counts__organization_id__in=ids)
        )
        return list(
            _latest_snapshot()
            .annotate(load=load)
            .values_list(
                "taken_at",
                "load__organization_id",
                "load__status",
                "load__assignee_id",
                "load__assignee__username",
                "load__count",
            )
            .order_by()
        )

    as_of, rows = _fresh(read)
    counts = {organization_id: OrganizationCounts() for organization_id in ids}
    assignees: dict[int, dict[int, AssigneeLoad]] = {organization_id: {} for organization_id in ids}
    for organization_id, status, assignee_id, username, n in rows:
        organization = counts[organization_id]
        _add(organization.by_status, status, n)
        if status == Status.CLOSED:
            continue
        if assignee_id is None:
            organization.unassigned += n
        else:
            seen = assignees[organization_id].get(assignee_id)
            assignees[organization_id][assignee_id] = AssigneeLoad(
                assignee_id, username, n + (seen.count if seen else 0)
            )
    for organization_id, organization in counts.items():
        organization.by_assignee = sorted(
            assignees[organization_id].values(), key=lambda row: (row.username, row.assignee_id)
        )
    return as_of, counts

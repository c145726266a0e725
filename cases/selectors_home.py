"""Reads of the admin's home page by role: a caseworker's own cases, a supervisor's organization,
the registry's counts by phase.

Each number is of the cases the list it links to shows (the case list's filters: ``assignee``,
``organization``, ``status`` and the work-list conditions below). None of them costs a pass over
a number of cases that grows with the registry:

- a caseworker's own cases are counted live, over ``case_visible_to`` narrowed to the
  assignee (the assignee's index: as many rows as the caseworker's cases);
- an organization's caseload by status and by assignee, and the registry's counts by phase,
  are read from the kept counts (``cases.counts``): as of a time at most
  ``CASE_COUNTS_MAX_AGE`` seconds ago (the page says when), so a list opened from them may
  already hold a few changes more;
- the work an organization must attend to (closure requests waiting, shares ending soon) is
  counted live from those requests and shares, a few rows each, so a decision taken shows at
  once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.roles import Capability
from accounts.selectors import actor_roles, organization_list
from core.errors import PermissionDenied

from .counts import (
    AssigneeLoad,
    OrganizationCounts,
    kept_organization_counts,
    kept_registry_counts_by_status,
)
from .models import Case, CaseQuerySet, CaseShare, ClosureRequest, ClosureRequestStatus, FollowUp
from .selectors import Viewer, case_visible_to, reads_aggregates, reads_all_cases
from .workflow import Phase, phase_of


class WorkListCondition:
    """The values of the case list's work-list filters (``cases.admin_worklist``)."""

    FOLLOW_UP_OVERDUE = "overdue"
    FOLLOW_UP_DUE = "due"
    CLOSURE_PENDING = "pending"
    SHARE_EXPIRING = "expiring"


def follow_up_window_days() -> int:
    """How far ahead a follow-up counts as due: the reminders' threshold, so the home page
    and the daily digest agree."""
    return int(settings.REMINDER_THRESHOLDS["follow_up_due"])


def share_window_days() -> int:
    return int(settings.REMINDER_THRESHOLDS["share_expiring"])


def follow_up_condition(kind: str, *, today: dt.date | None = None) -> Q:
    """Cases with an open follow-up overdue (due before today) or due (today or within the
    window). Unknown kinds raise ``ValueError``."""
    today = today or timezone.localdate()
    open_follow_ups = FollowUp.objects.filter(case_id=OuterRef("pk"), completed_on__isnull=True)
    if kind == WorkListCondition.FOLLOW_UP_OVERDUE:
        return Q(Exists(open_follow_ups.filter(due_on__lt=today)))
    if kind == WorkListCondition.FOLLOW_UP_DUE:
        last = today + dt.timedelta(days=follow_up_window_days())
        return Q(Exists(open_follow_ups.filter(due_on__gte=today, due_on__lte=last)))
    raise ValueError(kind)


def _pending_closures() -> QuerySet[ClosureRequest]:
    return ClosureRequest.objects.filter(status=ClosureRequestStatus.PENDING)


def closure_pending_condition() -> Q:
    """Cases with a closure request waiting for a decision."""
    return Q(Exists(_pending_closures().filter(case_id=OuterRef("pk"))))


def _expiring_shares(now: dt.datetime | None) -> QuerySet[CaseShare]:
    return CaseShare.objects.expiring(now=now or timezone.now(), days=share_window_days())


def share_expiring_condition(*, now: dt.datetime | None = None) -> Q:
    """Cases with a live share (not revoked, not expired) ending within the window."""
    return Q(Exists(_expiring_shares(now).filter(case_id=OuterRef("pk"))))


def _status_counts(cases: QuerySet[Case]) -> dict[str, int]:
    return dict(cases.order_by().values_list("status").annotate(n=Count("id")).order_by("status"))


# ---------------------------------------------------------------------------------------------
# A caseworker's cases
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecentCase:
    """A recently changed case as the home page names it: number and status, no child's
    personal data (the page is not a read of the case)."""

    id: int
    number: str
    status: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class MyCases:
    by_status: dict[str, int]
    follow_ups_overdue: int
    follow_ups_due: int
    recent: list[RecentCase]


RECENT_CASES = 10


def my_cases(*, actor: Viewer) -> MyCases:
    """The cases assigned to ``actor`` that they see: by status, those with follow-ups
    overdue and due, and the latest changed. Four queries."""
    mine = case_visible_to(actor=actor).filter(assignee_id=getattr(actor, "pk", None))
    by_status = _status_counts(mine)
    open_mine = cast(CaseQuerySet, mine).open()
    overdue = open_mine.filter(follow_up_condition(WorkListCondition.FOLLOW_UP_OVERDUE)).count()
    due = open_mine.filter(follow_up_condition(WorkListCondition.FOLLOW_UP_DUE)).count()
    recent = [
        RecentCase(**row)
        for row in mine.order_by("-updated_at", "-id").values(
            "id", "number", "status", "updated_at"
        )[:RECENT_CASES]
    ]
    return MyCases(
        by_status=by_status, follow_ups_overdue=overdue, follow_ups_due=due, recent=recent
    )


# ---------------------------------------------------------------------------------------------
# A supervisor's organization
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Caseload:
    """One organization's open and closed cases by status, open cases by assignee (by
    username; ``unassigned``: assigned to no one), as kept at ``as_of``; and, live, its cases
    with a closure waiting or a share ending soon."""

    organization_id: int
    organization_name: str
    by_status: dict[str, int]
    by_assignee: list[AssigneeLoad]
    unassigned: int
    closures_pending: int
    shares_expiring: int
    as_of: dt.datetime | None


def supervised_organizations(*, actor: Viewer) -> list[int]:
    """The organizations where ``actor`` decides closures: their supervisor part's scope."""
    return sorted(actor_roles(actor).organizations(Capability.CASE_CLOSE))


def _read_whole(actor: Viewer, organization_ids: list[int]) -> list[int]:
    """Those of ``organization_ids`` whose every case ``actor`` sees (``case_visible_to``): the
    kept counts of an organization are its every case."""
    if reads_all_cases(actor):
        return organization_ids
    whole = actor_roles(actor).organizations(Capability.CASE_READ_ORGANIZATION)
    return [organization_id for organization_id in organization_ids if organization_id in whole]


def organization_caseloads(*, actor: Viewer, organization_ids: Collection[int]) -> list[Caseload]:
    """The caseload of each of ``organization_ids``, counted for those ``actor`` reads whole
    (their own organizations: a supervisor reads every case of theirs); another
    organization's is all zeros, never its cases shared with ``actor``. Four queries, whatever
    the number of organizations and of their cases: the kept counts, the names, the closure
    requests waiting and the shares ending soon."""
    ids = sorted(set(organization_ids))
    if not ids:
        return []
    read = _read_whole(actor, ids)
    names = dict(organization_list().filter(pk__in=ids).values_list("pk", "name"))
    as_of: dt.datetime | None = None
    kept: dict[int, OrganizationCounts] = {}
    closures: dict[int, int] = {}
    shares: dict[int, int] = {}
    if read:
        as_of, kept = kept_organization_counts(organization_ids=read)
        closures = _counts_by_organization(
            _pending_closures().filter(case__organization_id__in=read)
        )
        shares = _counts_by_organization(
            _expiring_shares(None).filter(case__organization_id__in=read)
        )
    loads = []
    for org in ids:
        counts = kept.get(org, OrganizationCounts())
        loads.append(
            Caseload(
                organization_id=org,
                organization_name=names.get(org, ""),
                by_status=counts.by_status,
                by_assignee=counts.by_assignee,
                unassigned=counts.unassigned,
                closures_pending=closures.get(org, 0),
                shares_expiring=shares.get(org, 0),
                as_of=as_of,
            )
        )
    return loads


def _counts_by_organization(rows: QuerySet[ClosureRequest] | QuerySet[CaseShare]) -> dict[int, int]:
    """The distinct cases of ``rows`` (requests or shares) by the cases' organization."""
    return dict(
        rows.order_by()
        .values_list("case__organization_id")
        .annotate(n=Count("case_id", distinct=True))
        .order_by()
    )


def closure_queue(*, actor: Viewer) -> QuerySet[ClosureRequest]:
    """Closure requests waiting for a decision on cases ``actor`` may close (their
    organizations' cases, as they see them), oldest first."""
    organizations = supervised_organizations(actor=actor)
    if not organizations:
        return ClosureRequest.objects.none()
    visible = case_visible_to(actor=actor).filter(organization_id__in=organizations)
    return (
        ClosureRequest.objects.filter(
            status=ClosureRequestStatus.PENDING, case__in=visible.values("pk")
        )
        .select_related("case", "requested_by")
        .order_by("requested_at", "id")
    )


def closure_queue_get(*, actor: Viewer, request_id: int) -> ClosureRequest | None:
    """A pending closure request of ``actor``'s queue, or ``None`` (decided meanwhile, or
    not theirs to decide)."""
    return closure_queue(actor=actor).filter(pk=request_id).first()


# ---------------------------------------------------------------------------------------------
# The registry's counts, for those who read aggregates
# ---------------------------------------------------------------------------------------------
def registry_counts_by_phase(*, actor: Viewer) -> tuple[dt.datetime, dict[str, int]]:
    """Every case of the registry by phase, every phase named (zero included), and when they
    were counted: counts without personal data, for roles that read aggregates
    (``reads_aggregates``), read from the kept counts (``cases.counts``)."""
    if not reads_aggregates(actor):
        raise PermissionDenied()
    as_of, by_status = kept_registry_counts_by_status()
    counts = dict.fromkeys(Phase.values, 0)
    for status, n in by_status.items():
        counts[phase_of(status)] += n
    return as_of, counts

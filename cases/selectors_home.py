"""Reads of the admin's home page by role: a caseworker's own cases, a supervisor's organization.

Every count here is taken over ``case_visible_to`` narrowed the way the case list's filters
narrow it (``assignee``, ``organization``, ``status`` and the work-list conditions below), so a
number and the list it links to always agree. The counts are GROUP BYs over the cases of the
reader's own organizations (or assigned to the reader); only ``registry_counts_by_phase``, for
the roles that read the registry's aggregates, counts every case (by status, from its index).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.roles import Capability
from accounts.selectors import actor_roles, organization_list
from core.errors import PermissionDenied

from .models import Case, CaseShare, ClosureRequest, ClosureRequestStatus, FollowUp
from .selectors import Viewer, case_visible_to, reads_aggregates
from .workflow import Phase, Status, phase_of


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


def closure_pending_condition() -> Q:
    """Cases with a closure request waiting for a decision."""
    return Q(
        Exists(
            ClosureRequest.objects.filter(
                case_id=OuterRef("pk"), status=ClosureRequestStatus.PENDING
            )
        )
    )


def share_expiring_condition(*, now: dt.datetime | None = None) -> Q:
    """Cases with a live share (not revoked, not expired) ending within the window."""
    now = now or timezone.now()
    return Q(
        Exists(
            CaseShare.objects.filter(
                case_id=OuterRef("pk"),
                revoked_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=now + dt.timedelta(days=share_window_days()),
            )
        )
    )


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
    open_mine = mine.exclude(status=Status.CLOSED)
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
class AssigneeCount:
    assignee_id: int | None
    username: str
    count: int


@dataclass(frozen=True)
class Caseload:
    """One organization's open and closed cases by status, open cases by assignee (``None``:
    unassigned), and its cases with a closure waiting or a share ending soon."""

    organization_id: int
    organization_name: str
    by_status: dict[str, int]
    by_assignee: list[AssigneeCount]
    unassigned: int
    closures_pending: int
    shares_expiring: int


def supervised_organizations(*, actor: Viewer) -> list[int]:
    """The organizations where ``actor`` decides closures: their supervisor part's scope."""
    return sorted(actor_roles(actor).organizations(Capability.CASE_CLOSE))


def organization_caseloads(*, actor: Viewer, organization_ids: Collection[int]) -> list[Caseload]:
    """The caseload of each of ``organization_ids`` as ``actor`` sees it (their own
    organizations' cases; other organizations' never counted). Five queries, whatever the
    number of organizations."""
    ids = sorted(set(organization_ids))
    if not ids:
        return []
    cases = case_visible_to(actor=actor).filter(organization_id__in=ids)
    names: dict[int, str] = {}
    by_status: dict[int, dict[str, int]] = {org: {} for org in ids}
    for row in (
        cases.order_by()
        .values("organization_id", "organization__name", "status")
        .annotate(n=Count("id"))
        .order_by("organization_id", "status")
    ):
        names[row["organization_id"]] = row["organization__name"]
        by_status[row["organization_id"]][row["status"]] = row["n"]
    open_cases = cases.exclude(status=Status.CLOSED)
    by_assignee: dict[int, list[AssigneeCount]] = {org: [] for org in ids}
    unassigned: dict[int, int] = {}
    for assigned in (
        open_cases.order_by()
        .values("organization_id", "assignee_id", "assignee__username")
        .annotate(n=Count("id"))
        .order_by("organization_id", "assignee__username")
    ):
        if assigned["assignee_id"] is None:
            unassigned[assigned["organization_id"]] = assigned["n"]
        else:
            by_assignee[assigned["organization_id"]].append(
                AssigneeCount(
                    assigned["assignee_id"], assigned["assignee__username"], assigned["n"]
                )
            )
    closures = _counts_by_organization(cases.filter(closure_pending_condition()))
    shares = _counts_by_organization(cases.filter(share_expiring_condition()))
    missing = [org for org in ids if org not in names]
    if missing:
        # An organization without cases yet: named all the same.
        names.update(organization_list().filter(pk__in=missing).values_list("pk", "name"))
    return [
        Caseload(
            organization_id=org,
            organization_name=names.get(org, ""),
            by_status=by_status[org],
            by_assignee=by_assignee[org],
            unassigned=unassigned.get(org, 0),
            closures_pending=closures.get(org, 0),
            shares_expiring=shares.get(org, 0),
        )
        for org in ids
    ]


def _counts_by_organization(cases: QuerySet[Case]) -> dict[int, int]:
    return dict(
        cases.order_by()
        .values_list("organization_id")
        .annotate(n=Count("id"))
        .order_by("organization_id")
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
def registry_counts_by_phase(*, actor: Viewer) -> dict[str, int]:
    """Every case of the registry by phase, every phase named (zero included): counts without
    personal data, for roles that read aggregates (``reads_aggregates``). One GROUP BY on the
    status, which the (status, updated_at) index answers without reading the cases."""
    if not reads_aggregates(actor):
        raise PermissionDenied()
    counts = dict.fromkeys(Phase.values, 0)
    for status, n in Case.objects.order_by().values_list("status").annotate(n=Count("id")):
        counts[phase_of(status)] += n
    return counts

"""Reads of the coalition's members, parties, reference data, projects and pledges. Coalition
records are not personal data: every role that reads the coalition reads all of them."""

from __future__ import annotations

import datetime as dt

from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from ..models import (
    OPEN_PLEDGE_STATUSES,
    Commitment,
    Member,
    MemberArea,
    Party,
    Pledge,
    PledgeStatusChange,
    Project,
    ProjectArea,
)
from ..services.common import Actor, require_reader


def party_list(*, actor: Actor) -> QuerySet[Party]:
    require_reader(actor)
    return Party.objects.prefetch_related("sources")


def project_area_list(*, actor: Actor) -> QuerySet[ProjectArea]:
    require_reader(actor)
    return ProjectArea.objects.prefetch_related("sources")


def commitment_list(*, actor: Actor) -> QuerySet[Commitment]:
    require_reader(actor)
    return Commitment.objects.prefetch_related("sources")


def member_list(*, actor: Actor) -> QuerySet[Member]:
    """Members with their party, areas and source ids, read in a constant number of queries."""
    require_reader(actor)
    return Member.objects.select_related("party").prefetch_related(
        Prefetch("areas", queryset=MemberArea.objects.select_related("area")),
        "sources",
    )


def project_list(*, actor: Actor) -> QuerySet[Project]:
    require_reader(actor)
    return Project.objects.select_related("area", "lead__party").prefetch_related("sources")


def overdue_condition(today: dt.date) -> Q:
    """Past its due date and neither delivered nor withdrawn."""
    return Q(due_on__lt=today, status__in=OPEN_PLEDGE_STATUSES)


def pledge_list(*, actor: Actor, today: dt.date | None = None) -> QuerySet[Pledge]:
    """Pledges with ``is_overdue`` annotated (as of ``today``, the local date by default)."""
    require_reader(actor)
    today = today or timezone.localdate()
    return (
        Pledge.objects.select_related("member__party", "project", "area")
        .prefetch_related(
            "sources",
            Prefetch("status_changes", queryset=PledgeStatusChange.objects.select_related("actor")),
        )
        .annotate(
            is_overdue=Case(
                When(overdue_condition(today), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )

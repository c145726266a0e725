"""Every read of the case registry. Visibility is decided here, in ``case_visible_to``, and nowhere
else: the API, the admin, exports, reports and tasks all start from it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from config.db import InArray

from . import names, workflow
from .exceptions import CaseNotFound
from .models import (
    Case,
    Child,
    ChildAlias,
    Facility,
    FollowUp,
    Oblast,
    Relative,
    Service,
    StatusChange,
    Whereabouts,
)

Viewer = User | AnonymousUser | None

# Up to this many matching children, search filters cases by a list of child ids.
SEARCH_ID_LIST_LIMIT = 2000
CASE_NUMBER_RE = re.compile(r"^ua-\d{0,4}(-\d{0,6})?$", re.IGNORECASE)


_CaseRows = TypeVar("_CaseRows", QuerySet[Case], QuerySet[Case, dict[str, Any]])


def _visible(queryset: _CaseRows, actor: Viewer) -> _CaseRows:
    """Narrow any queryset of cases (of models or of values) to what ``actor`` may see."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return queryset.none()
    # Every signed-in, active user sees every case for now; organizations and sharing narrow
    # this here, in one place.
    return queryset


def case_visible_to(*, actor: Viewer) -> QuerySet[Case]:
    """The cases an actor may see."""
    return _visible(Case.objects.all(), actor)


def case_list(*, actor: Viewer) -> QuerySet[Case]:
    """Visible cases with what a list row renders, in one query."""
    return case_visible_to(actor=actor).select_related(
        "child",
        "child__origin_oblast",
        "child__current_whereabouts",
        "child__current_whereabouts__facility",
        "assignee",
    )


_WHEREABOUTS = "child__current_whereabouts__"
# The case's own columns a list row shows as they are (the API's list renders these unchanged).
CASE_ROW_FIELDS: tuple[str, ...] = (
    "id",
    "number",
    "status",
    "priority",
    "pathway",
    "deported_on",
    "deported_from",
    "russian_citizenship_imposed",
    "under_russian_guardianship",
    "adopted_in_russia",
    "listed_in_adoption_database",
    "returned_on",
    "closure_reason",
    "closed_at",
    "status_changed_at",
    "version",
    "is_synthetic",
    "created_at",
    "updated_at",
)
CASE_ROW_COLUMNS: tuple[str, ...] = (
    *CASE_ROW_FIELDS,
    "assignee_id",
    "assignee__username",
    "child_id",
    "child__given_name",
    "child__family_name",
    "child__patronymic",
    "child__given_name_latin",
    "child__family_name_latin",
    "child__patronymic_latin",
    "child__date_of_birth",
    "child__date_of_birth_precision",
    "child__sex",
    "child__origin_oblast_id",
    "child__origin_oblast__name_uk",
    "child__origin_oblast__name_en",
    "child__origin_settlement",
    "child__origin_latitude",
    "child__origin_longitude",
    "child__is_synthetic",
    "child__current_whereabouts_id",
    *(
        f"{_WHEREABOUTS}{name}"
        for name in (
            "country",
            "region",
            "settlement",
            "from_date",
            "to_date",
            "latitude",
            "longitude",
            "facility_id",
            "facility__name",
            "facility__kind",
            "facility__latitude",
            "facility__longitude",
        )
    ),
)


@cache
def _case_rows_base() -> QuerySet[Case, dict[str, Any]]:
    # Resolving some fifty columns across five joins costs more than the database takes to run
    # the query; it is done once, and each request clones the result (never evaluated here).
    return Case.objects.values(*CASE_ROW_COLUMNS)


def case_list_rows(*, actor: Viewer) -> QuerySet[Case, dict[str, Any]]:
    """Visible cases with the columns a list row shows, as plain values (no model instances):
    one query for a page of any size. ``cases.serializers.case_rows`` renders them."""
    return _visible(_case_rows_base().all(), actor)


def case_detail_queryset(*, actor: Viewer) -> QuerySet[Case]:
    """Visible cases with what a full record renders (aliases prefetched)."""
    return case_list(actor=actor).prefetch_related(
        Prefetch("child__aliases", queryset=ChildAlias.objects.order_by("id"))
    )


def case_get(*, actor: Viewer, case_id: int) -> Case:
    try:
        return case_detail_queryset(actor=actor).get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise CaseNotFound() from exc


def case_search(queryset: QuerySet[Case], query: str) -> QuerySet[Case]:
    """Cases whose child matches every word of ``query`` in any script or spelling (names,
    Latin forms, Russified forms, aliases), or whose number matches."""
    query = query.strip()
    if not query:
        return queryset
    if CASE_NUMBER_RE.match(query):
        return queryset.filter(number__startswith=query.upper())
    terms = names.query_terms(query)
    if not terms:
        return queryset.none()
    # Rare names: take the matching children first (the trigram index finds them at once) and
    # filter cases by id. PostgreSQL misjudges how few rows a LIKE on the search keys matches and
    # would otherwise walk the whole updated_at index testing each child. Common fragments match
    # densely, and there the join finds a page fastest.
    matching = list(
        children_search(query=query).values_list("pk", flat=True)[: SEARCH_ID_LIST_LIMIT + 1]
    )
    if len(matching) <= SEARCH_ID_LIST_LIMIT:
        return queryset.filter(InArray(F("child_id"), matching))
    condition = Q()
    for term in terms:
        condition &= Q(child__search_text__contains=term)
    return queryset.filter(condition)


def child_relatives(*, case: Case) -> QuerySet[Relative]:
    return Relative.objects.filter(child_id=case.child_id).order_by("id")


def child_whereabouts(*, case: Case) -> QuerySet[Whereabouts]:
    return (
        Whereabouts.objects.filter(child_id=case.child_id)
        .select_related("facility", "child", "recorded_by")
        .order_by("-from_date", "-id")
    )


def facility_list() -> QuerySet[Facility]:
    return Facility.objects.order_by("name", "id")


def facility_search(queryset: QuerySet[Facility], query: str) -> QuerySet[Facility]:
    """Facilities whose name (as written, or in Latin) contains ``query``."""
    query = query.strip()
    if not query:
        return queryset
    return queryset.filter(Q(name__icontains=query) | Q(name_latin__icontains=query))


def oblast_list() -> QuerySet[Oblast]:
    return Oblast.objects.order_by("code")


def assignee_candidates() -> QuerySet[User]:
    """Users a case may be assigned to: active accounts (organizations narrow this later)."""
    return User.objects.filter(is_active=True).order_by("id")


@dataclass(frozen=True)
class TimelineEntry:
    """One event in a case's life, for the timeline the admin and the API show."""

    at: dt.datetime
    kind: str
    summary: str
    actor: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def case_timeline(*, case: Case) -> list[TimelineEntry]:
    """The case's history: status changes, whereabouts, services and follow-ups, oldest first.

    Four queries whatever the length of the history.
    """
    entries: list[TimelineEntry] = []
    changes = (
        StatusChange.objects.filter(case=case).select_related("actor").order_by("changed_at", "id")
    )
    for change in changes:
        entries.append(
            TimelineEntry(
                at=change.changed_at,
                kind="status_change",
                summary=f"{change.from_status or '-'} → {change.to_status}",
                actor=change.actor.get_username() if change.actor else "",
                details={
                    "from_status": change.from_status,
                    "to_status": change.to_status,
                    "reason": change.reason,
                    "case_version": change.case_version,
                },
            )
        )
    for place in child_whereabouts(case=case):
        entries.append(
            TimelineEntry(
                at=_start_of(place.from_date),
                kind="whereabouts",
                summary=str(place),
                actor=place.recorded_by.get_username() if place.recorded_by else "",
                details={
                    "whereabouts_id": place.pk,
                    "country": str(place.country),
                    "facility_id": place.facility_id,
                    "from_date": place.from_date.isoformat(),
                    "to_date": place.to_date.isoformat() if place.to_date else None,
                },
            )
        )
    for service in Service.objects.filter(case=case).order_by("id"):
        entries.append(
            TimelineEntry(
                at=_start_of(service.started_on) if service.started_on else service.created_at,
                kind="service",
                summary=f"{service.get_kind_display()}: {service.get_status_display()}",
                details={"service_id": service.pk, "kind": service.kind, "status": service.status},
            )
        )
    for follow_up in (
        FollowUp.objects.filter(case=case).select_related("completed_by").order_by("id")
    ):
        day = follow_up.completed_on or follow_up.due_on
        entries.append(
            TimelineEntry(
                at=_start_of(day),
                kind="follow_up",
                summary=(follow_up.get_outcome_display() if follow_up.completed_on else _("due")),
                actor=follow_up.completed_by.get_username() if follow_up.completed_by else "",
                details={
                    "follow_up_id": follow_up.pk,
                    "due_on": follow_up.due_on.isoformat(),
                    "completed_on": follow_up.completed_on.isoformat()
                    if follow_up.completed_on
                    else None,
                    "outcome": follow_up.outcome,
                    "days_after_return": follow_up.days_after_return,
                },
            )
        )
    entries.sort(key=lambda e: e.at)
    return entries


def children_search(*, query: str) -> QuerySet[Child]:
    """Children matching every word of ``query`` in any spelling (for pickers and matching)."""
    condition = Q()
    for term in names.query_terms(query):
        condition &= Q(search_text__contains=term)
    return Child.objects.filter(condition) if condition else Child.objects.none()


def returned_cases_missing_follow_ups() -> list[int]:
    """Returned cases whose scheduled follow-ups are not all there (a lost task, say)."""
    # Count the scheduled days present: any one missing (not only the last) needs a catch-up.
    return list(
        Case.objects.filter(returned_on__isnull=False)
        .exclude(status=workflow.Status.CLOSED)
        .annotate(
            scheduled=Count(
                "follow_ups",
                filter=Q(follow_ups__days_after_return__in=workflow.FOLLOW_UP_DAYS),
            )
        )
        .filter(scheduled__lt=len(workflow.FOLLOW_UP_DAYS))
        .order_by("pk")
        .values_list("pk", flat=True)
    )

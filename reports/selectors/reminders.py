"""Reads of reminders: what each rule finds now (the items the refresh keeps reminders in step
with), a user's reminders, and how a reminder reads (its sentence and its admin page).

The item selectors each cost a fixed number of queries however many items hold: the items in
one query, the people they go to in one more (the members of every organization concerned at
once). Their ``details`` hold what the sentence is made of and nothing that names a child: a
case number, a status, dates, counts, a pledge's member (a state or an organization).

``reminder_text`` and ``reminder_admin_url`` are how the admin, the API and the daily digest
all write a reminder; ``reminders_for`` is which reminders each of them shows (one's own, none
of an organization one has left); ``open_reminders_for_users`` reads many users' at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from accounts.models import Membership, Role, User
from accounts.selectors import actor_roles
from cases.models import Case, CaseShare, ClosureRequest, ClosureRequestStatus, FollowUp
from cases.workflow import Status
from coalition.models import ChildListEntry, EntryOutcome, Pledge
from coalition.selectors.lists import EFFECTIVE_OUTCOME, with_effective_outcome
from coalition.selectors.members import overdue_condition
from coalition.selectors.open_items import UNANSWERED_OUTCOMES
from sources.models import CustodyAction, CustodyEvent, Integrity, Source

from ..models import Reminder, ReminderRule, ReminderState

# Who may be reminded of a case: its assignee while they still work on the owning organization's
# cases; otherwise the organization's supervisors.
CASE_ROLES = (Role.CASEWORKER, Role.SUPERVISOR)
INTEGRITY_FAILURES = (Integrity.ALTERED, Integrity.MISSING)


@dataclass(frozen=True)
class ReminderItem:
    """One thing a rule finds needing attention now, and whom it concerns."""

    item_key: str
    case_id: int | None
    organization_id: int | None
    # A fingerprint of the item's state: a change of it brings an acknowledged or snoozed
    # reminder back.
    item_state: str
    due_on: dt.date | None
    details: dict[str, Any]
    recipients: frozenset[int] = field(default_factory=frozenset)


# ---------------------------------------------------------------------------------------------
# Recipients: read once per rule, for every organization concerned
# ---------------------------------------------------------------------------------------------
def _active_memberships() -> QuerySet[Membership]:
    """Memberships that give an active user a role (as ``accounts.selectors.actor_roles``
    counts them)."""
    return Membership.objects.filter(
        is_active=True, organization__is_active=True, user__is_active=True
    )


@dataclass(frozen=True)
class CaseRecipients:
    """Who hears of the cases of some organizations: each organization's caseworkers and
    supervisors, read in one query."""

    members: frozenset[tuple[int, int]]  # (user id, organization id)
    supervisors: Mapping[int, frozenset[int]]  # organization id -> user ids

    @classmethod
    def of(cls, organization_ids: Iterable[int]) -> CaseRecipients:
        rows = _active_memberships().filter(
            organization_id__in=set(organization_ids), role__in=CASE_ROLES
        )
        members: set[tuple[int, int]] = set()
        supervisors: dict[int, set[int]] = defaultdict(set)
        for user_id, organization_id, role in rows.values_list(
            "user_id", "organization_id", "role"
        ):
            members.add((user_id, organization_id))
            if role == Role.SUPERVISOR:
                supervisors[organization_id].add(user_id)
        return cls(frozenset(members), {k: frozenset(v) for k, v in supervisors.items()})

    def of_case(self, organization_id: int, assignee_id: int | None) -> frozenset[int]:
        """The assignee, if still a caseworker or supervisor of the case's organization;
        otherwise the organization's supervisors."""
        if assignee_id is not None and (assignee_id, organization_id) in self.members:
            return frozenset({assignee_id})
        return self.supervisors.get(organization_id, frozenset())


def _coordinators() -> dict[int, frozenset[int]]:
    """Every active coordinator, by organization (one query)."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = _active_memberships().filter(role=Role.COORDINATOR)
    for user_id, organization_id in rows.values_list("user_id", "organization_id"):
        found[organization_id].add(user_id)
    return {k: frozenset(v) for k, v in found.items()}


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


# ---------------------------------------------------------------------------------------------
# The items of each rule (``reports.rules`` names them with their thresholds)
# ---------------------------------------------------------------------------------------------
def follow_up_due_items(*, today: dt.date, now: dt.datetime, days: int) -> list[ReminderItem]:
    """Follow-ups not completed, of open cases, due within ``days`` days or overdue."""
    rows = list(
        FollowUp.objects.filter(completed_on__isnull=True, due_on__lte=today + dt.timedelta(days))
        .exclude(case__status=Status.CLOSED)
        .order_by("due_on", "id")
        .values_list(
            "id", "due_on", "case_id", "case__number", "case__organization_id", "case__assignee_id"
        )
    )
    recipients = CaseRecipients.of(row[4] for row in rows)
    return [
        ReminderItem(
            item_key=f"followup:{pk}",
            case_id=case_id,
            organization_id=organization_id,
            item_state=f"due:{due_on.isoformat()}",
            due_on=due_on,
            details={"case_number": number, "due_on": due_on.isoformat()},
            recipients=recipients.of_case(organization_id, assignee_id),
        )
        for pk, due_on, case_id, number, organization_id, assignee_id in rows
    ]


def status_too_long_items(
    *, today: dt.date, now: dt.datetime, limits: Mapping[str, int]
) -> list[ReminderItem]:
    """Open cases whose status has not changed for longer than its limit (``limits``: days
    by status; a status not named has none)."""
    condition = Q()
    for status, days in limits.items():
        if status != Status.CLOSED:
            condition |= Q(status=status, status_changed_at__lt=now - dt.timedelta(days=days))
    if not condition:
        return []
    rows = list(
        Case.objects.filter(condition)
        .order_by("status_changed_at", "id")
        .values_list(
            "id", "number", "status", "status_changed_at", "organization_id", "assignee_id"
        )
    )  # fmt: skip
    recipients = CaseRecipients.of(row[4] for row in rows)
    items = []
    for pk, number, status, changed_at, organization_id, assignee_id in rows:
        limit = limits[status]
        items.append(
            ReminderItem(
                item_key=f"case:{pk}",
                case_id=pk,
                organization_id=organization_id,
                item_state=f"{status}@{changed_at.isoformat()}",
                due_on=_local_date(changed_at + dt.timedelta(days=limit)),
                details={
                    "case_number": number,
                    "status": status,
                    "since": _local_date(changed_at).isoformat(),
                    "limit": limit,
                },
                recipients=recipients.of_case(organization_id, assignee_id),
            )
        )
    return items


def closure_waiting_items(*, today: dt.date, now: dt.datetime, days: int) -> list[ReminderItem]:
    """Closure requests pending for more than ``days`` days: the supervisors of the case's
    organization decide them."""
    rows = list(
        ClosureRequest.objects.filter(
            status=ClosureRequestStatus.PENDING, requested_at__lt=now - dt.timedelta(days=days)
        )
        .order_by("requested_at", "id")
        .values_list(
            "id", "status", "requested_at", "closure_reason", "case_id", "case__number",
            "case__organization_id",
        )
    )  # fmt: skip
    recipients = CaseRecipients.of(row[6] for row in rows)
    return [
        ReminderItem(
            item_key=f"closure:{pk}",
            case_id=case_id,
            organization_id=organization_id,
            item_state=f"{pk}:{status}",
            due_on=_local_date(requested_at + dt.timedelta(days=days)),
            details={
                "case_number": number,
                "requested_on": _local_date(requested_at).isoformat(),
                "closure_reason": closure_reason,
            },
            recipients=recipients.supervisors.get(organization_id, frozenset()),
        )
        for pk, status, requested_at, closure_reason, case_id, number, organization_id in rows
    ]


def share_expiring_items(*, today: dt.date, now: dt.datetime, days: int) -> list[ReminderItem]:
    """Live shares (not revoked, not yet expired) expiring within ``days`` days: the owning
    organization decides whether to share again."""
    rows = list(
        CaseShare.objects.expiring(now=now, days=days)
        .order_by("expires_at", "id")
        .values_list(
            "id", "expires_at", "case_id", "case__number", "case__organization_id",
            "case__assignee_id", "organization__short_name", "organization__name",
        )
    )  # fmt: skip
    recipients = CaseRecipients.of(row[4] for row in rows)
    items = []
    for pk, expires_at, case_id, number, organization_id, assignee_id, short_name, name in rows:
        assert expires_at is not None  # filtered on it
        items.append(
            ReminderItem(
                item_key=f"share:{pk}",
                case_id=case_id,
                organization_id=organization_id,
                item_state=f"expires:{expires_at.isoformat()}",
                due_on=_local_date(expires_at),
                details={
                    "case_number": number,
                    "expires_on": _local_date(expires_at).isoformat(),
                    "shared_with": short_name or name,
                },
                recipients=recipients.of_case(organization_id, assignee_id),
            )
        )
    return items


def pledge_overdue_items(*, today: dt.date, now: dt.datetime, days: int) -> list[ReminderItem]:
    """Coalition pledges overdue (``coalition.selectors.members.overdue_condition``) by
    ``days`` days or more: every coordinator hears of them."""
    pledges = list(
        Pledge.objects.filter(overdue_condition(today), due_on__lte=today - dt.timedelta(days))
        .select_related("member__party")
        .order_by("due_on", "id")
    )
    if not pledges:
        return []
    coordinators = frozenset().union(*_coordinators().values())
    items = []
    for pledge in pledges:
        assert pledge.due_on is not None  # overdue_condition holds only with a due date
        items.append(
            ReminderItem(
                item_key=f"pledge:{pledge.pk}",
                case_id=None,
                organization_id=None,
                item_state=f"{pledge.status}|{pledge.due_on.isoformat()}|v{pledge.version}",
                due_on=pledge.due_on,
                details={
                    "pledge_id": pledge.pk,
                    "member": str(pledge.member.party),
                    "due_on": pledge.due_on.isoformat(),
                },
                recipients=coordinators,
            )
        )
    return items


def list_no_answer_items(*, today: dt.date, now: dt.datetime, days: int) -> list[ReminderItem]:
    """Per list handed over ``days`` days ago or more: how many entries still wait for an
    answer (listed or no answer, and not shown returned by their case). Never the entries
    themselves: a coordinator may not see the names. Coordinators of the keeping organization
    hear of it, or every coordinator when it has none."""
    entries = with_effective_outcome(
        ChildListEntry.objects.filter(
            child_list__handed_on__lte=today - dt.timedelta(days=days),
            outcome__in=UNANSWERED_OUTCOMES,
        )
    ).exclude(**{EFFECTIVE_OUTCOME: EntryOutcome.RETURNED})
    rows = list(
        entries.order_by()
        .values(
            "child_list_id",
            "child_list__version",
            "child_list__handed_on",
            "child_list__organization_id",
        )
        .annotate(waiting=Count("id"))
        .order_by("child_list__handed_on", "child_list_id")
    )
    if not rows:
        return []
    coordinators = _coordinators()
    everyone = frozenset().union(*coordinators.values())
    items = []
    for row in rows:
        pk, handed_on = row["child_list_id"], row["child_list__handed_on"]
        organization_id = row["child_list__organization_id"]
        items.append(
            ReminderItem(
                item_key=f"list:{pk}",
                case_id=None,
                organization_id=organization_id,
                item_state=f"v{row['child_list__version']}|{row['waiting']}",
                due_on=handed_on + dt.timedelta(days=days),
                details={
                    "list_id": pk,
                    "waiting": row["waiting"],
                    "handed_on": handed_on.isoformat(),
                },
                recipients=coordinators.get(organization_id) or everyone,
            )
        )
    return items


def source_integrity_items(*, today: dt.date, now: dt.datetime, days: int) -> list[ReminderItem]:
    """Sources whose content is altered or missing (for ``days`` days or more): the active
    superusers and the supervisors of the receiving organization hear of them.

    The state of the item is the integrity and the content the last failed check saw, not the
    time of the check: the daily verification checks a failing source again every day, and an
    acknowledged reminder should come back only when something new is found."""
    failures = CustodyEvent.objects.filter(
        source=OuterRef("pk"), action=CustodyAction.INTEGRITY_FAILURE
    ).order_by("-at", "-id")
    rows = list(
        Source.objects.filter(
            integrity__in=INTEGRITY_FAILURES,
            integrity_checked_at__lte=now - dt.timedelta(days=days),
        )
        .annotate(
            failure_seen=Subquery(failures.values("sha256_seen")[:1]),
            failure_at=Subquery(failures.values("at")[:1]),
        )
        .order_by("integrity_checked_at", "id")
        .values_list(
            "id", "integrity", "integrity_checked_at", "organization_id", "failure_seen",
            "failure_at",
        )
    )  # fmt: skip
    if not rows:
        return []
    superusers = frozenset(
        User.objects.filter(is_superuser=True, is_active=True).values_list("id", flat=True)
    )
    supervisors = CaseRecipients.of(row[3] for row in rows if row[3] is not None).supervisors
    items = []
    for pk, integrity, checked_at, organization_id, seen, failure_at in rows:
        failed_at = failure_at or checked_at
        items.append(
            ReminderItem(
                item_key=f"source:{pk}",
                case_id=None,
                organization_id=organization_id,
                item_state=f"{integrity}|{seen or ''}",
                due_on=_local_date(failed_at) if failed_at is not None else None,
                details={"source_id": pk, "integrity": integrity},
                recipients=superusers | supervisors.get(organization_id, frozenset()),
            )
        )
    return items


# ---------------------------------------------------------------------------------------------
# A user's reminders
# ---------------------------------------------------------------------------------------------
def reminders_for(
    *,
    actor: Any,
    states: Collection[str] | None = (ReminderState.OPEN,),
    rules: Collection[str] | None = None,
) -> QuerySet[Reminder]:
    """The reminders of ``actor`` (nobody else's: a reminder is its user's alone), in
    ``states`` (open ones by default; ``None``: all) and ``rules`` (``None``: all)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Reminder.objects.none()
    reminders = Reminder.objects.filter(user_id=actor.pk)
    roles = actor_roles(actor)
    if not roles.is_superuser:
        # A case's reminder of an organization the user has left since the last refresh
        # names a case they may no longer read: hidden until the refresh resolves it.
        reminders = reminders.filter(
            Q(case__isnull=True) | Q(organization_id__in=roles.organizations())
        )
    if states is not None:
        reminders = reminders.filter(state__in=list(states))
    if rules is not None:
        reminders = reminders.filter(rule__in=list(rules))
    return reminders


def reminder_get(*, actor: Any, reminder_id: int) -> Reminder | None:
    """``actor``'s reminder ``reminder_id`` in any state, or ``None`` (another user's is none)."""
    return reminders_for(actor=actor, states=None).filter(pk=reminder_id).first()


def open_reminders_for_users(user_ids: Iterable[int]) -> dict[int, list[Reminder]]:
    """The open reminders of each of ``user_ids``, soonest due first, in one query (the daily
    digest's read). Users with none are left out."""
    found: dict[int, list[Reminder]] = defaultdict(list)
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    for reminder in Reminder.objects.filter(user_id__in=ids, state=ReminderState.OPEN).order_by(
        "user_id", "due_on", "id"
    ):
        found[reminder.user_id].append(reminder)
    return dict(found)


# ---------------------------------------------------------------------------------------------
# How a reminder reads
# ---------------------------------------------------------------------------------------------
def _date(value: Any) -> str:
    """A date of the details (ISO text) as the reader's language writes it."""
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return date_format(day, "j M Y")


def _days_since(value: Any, today: dt.date) -> int:
    try:
        return (today - dt.date.fromisoformat(str(value))).days
    except ValueError:
        return 0


def _status_label(value: Any) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return str(value)


def _integrity_label(value: Any) -> str:
    try:
        return str(Integrity(value).label)
    except ValueError:
        return str(value)


def reminder_text(reminder: Reminder, today: dt.date | None = None) -> str:
    """The reminder as one sentence in the active language, made from its ``details`` (case
    numbers, dates and counts; no child's name). ``today`` (the local date by default) is what
    "for 20 days" and "overdue" are counted from."""
    today = today or timezone.localdate()
    d = reminder.details or {}
    case = d.get("case_number", "")
    rule = reminder.rule
    if rule == ReminderRule.FOLLOW_UP_DUE:
        due = d.get("due_on", "")
        if _days_since(due, today) > 0:
            return gettext("Follow-up for %(case)s overdue since %(date)s") % {
                "case": case,
                "date": _date(due),
            }
        return gettext("Follow-up for %(case)s due on %(date)s") % {
            "case": case,
            "date": _date(due),
        }
    if rule == ReminderRule.STATUS_TOO_LONG:
        return gettext(
            "%(case)s has been in status “%(status)s” for %(days)s days (limit %(limit)s)"
        ) % {
            "case": case,
            "status": _status_label(d.get("status")),
            "days": _days_since(d.get("since"), today),
            "limit": d.get("limit", ""),
        }
    if rule == ReminderRule.CLOSURE_WAITING:
        return gettext("Closure request for %(case)s waiting for a decision since %(date)s") % {
            "case": case,
            "date": _date(d.get("requested_on", "")),
        }
    if rule == ReminderRule.SHARE_EXPIRING:
        return gettext("Share of %(case)s with %(organization)s expires on %(date)s") % {
            "case": case,
            "organization": d.get("shared_with", ""),
            "date": _date(d.get("expires_on", "")),
        }
    if rule == ReminderRule.PLEDGE_OVERDUE:
        return gettext("Pledge #%(id)s of %(member)s overdue since %(date)s") % {
            "id": d.get("pledge_id", ""),
            "member": d.get("member", ""),
            "date": _date(d.get("due_on", "")),
        }
    if rule == ReminderRule.LIST_NO_ANSWER:
        waiting = int(d.get("waiting", 0))
        return ngettext(
            "List #%(id)s: %(count)s entry without an answer since %(date)s",
            "List #%(id)s: %(count)s entries without an answer since %(date)s",
            waiting,
        ) % {"id": d.get("list_id", ""), "count": waiting, "date": _date(d.get("handed_on", ""))}
    if rule == ReminderRule.SOURCE_INTEGRITY:
        return gettext("Source #%(id)s failed its integrity check: %(state)s") % {
            "id": d.get("source_id", ""),
            "state": _integrity_label(d.get("integrity")),
        }
    return str(reminder)


# The admin page of what each rule's reminder is about: (URL name, the details key of its id).
# Case rules point at the case (the follow-up, closure request and share are managed there).
_ADMIN_PAGES: dict[str, tuple[str, str]] = {
    ReminderRule.PLEDGE_OVERDUE: ("admin:coalition_pledge_change", "pledge_id"),
    ReminderRule.LIST_NO_ANSWER: ("admin:coalition_childlist_change", "list_id"),
    ReminderRule.SOURCE_INTEGRITY: ("admin:sources_source_change", "source_id"),
}


def reminder_admin_url(reminder: Reminder) -> str | None:
    """The path of the admin page of what the reminder is about (the case, the pledge, the
    list, the source), or ``None`` when there is none. No query."""
    pk: Any
    if reminder.case_id is not None:
        name, pk = "admin:cases_case_change", reminder.case_id
    elif reminder.rule in _ADMIN_PAGES:
        name, key = _ADMIN_PAGES[reminder.rule]
        pk = (reminder.details or {}).get(key)
        if pk is None:
            return None
    else:
        return None
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return None


def reminder_counts(*, actor: Any) -> dict[str, int]:
    """How many open reminders ``actor`` has under each rule (rules with none left out)."""
    return dict(
        reminders_for(actor=actor)
        .order_by()
        .values_list("rule")
        .annotate(n=Count("id"))
        .order_by("rule")
    )

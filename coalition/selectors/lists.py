"""Reads of the lists of named children and of their entries.

A list (who handed it to whom, when, how many were claimed, how many entries are held and what
became of them) is no child's personal data: every coalition reader sees it. Its entries are:
``entries_as_seen`` is the one place that decides what of each entry a reader sees, and the
API and the admin both render through it.

What a reader sees of an entry:

- linked to a case the reader sees (``cases.selectors.case_visible_to``): the name, the date
  of birth and the details as written, and the case; through a ``limited`` share, the name and
  the case but not the date of birth nor the details as written (a limited share hides the
  exact date of birth, and the details may carry it);
- linked to a case the reader does not see: the number on the list, the outcome and its date;
  nothing that names the child, not even which case it is;
- not linked: as a linked one seen in full by members of the list's keeping organization (any
  role there that reads the coalition), auditors and superusers; hidden from everyone else.

An entry's *effective* outcome agrees with the registry: while the linked case has its child
home (returned, and not reopened since: ``cases.workflow.is_home``), the entry shows
``returned`` on the case's return date, whatever was recorded on the entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import (
    CharField,
    Count,
    DateField,
    F,
    Model,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from accounts.roles import Capability
from accounts.selectors import actor_roles
from cases.models import Case, ShareScope
from cases.selectors import ACCESS, Viewer, case_visible_to, reads_all_cases
from cases.workflow import HOME_CLOSURE_REASONS, HOME_STATUSES, Status, is_home
from sources.models import Source
from sources.selectors import source_visible_to

from ..models import ChildList, ChildListEntry, EntryOutcome

# The annotations every entry read carries: its outcome as the registry agrees with it.
EFFECTIVE_OUTCOME = "effective_outcome"
EFFECTIVE_OUTCOME_ON = "effective_outcome_on"
ENTRIES_HELD = "entries_held"


def _home(prefix: str = "") -> Q:
    """The linked case has its child home (``cases.workflow.is_home``): returned and not
    reopened, as a condition on ``<prefix>`` (``"entries__"`` from a list)."""
    return Q(**{f"{prefix}case__returned_on__isnull": False}) & (
        Q(**{f"{prefix}case__status__in": HOME_STATUSES})
        | Q(
            **{
                f"{prefix}case__status": Status.CLOSED,
                f"{prefix}case__closure_reason__in": HOME_CLOSURE_REASONS,
            }
        )
    )


_HOME = _home()
_RETURNED_IN_REGISTRY = When(_HOME, then=Value(EntryOutcome.RETURNED))


def shows_returned(prefix: str = "") -> Q:
    """The entries whose effective outcome is ``returned`` (their case has the child home, or
    ``returned`` was recorded), as a condition on ``<prefix>`` (``"entries__"`` from a list)."""
    return _home(prefix) | Q(**{f"{prefix}outcome": EntryOutcome.RETURNED})


def with_effective_outcome(entries: QuerySet[ChildListEntry]) -> QuerySet[ChildListEntry]:
    """``entries`` annotated with ``effective_outcome`` and ``effective_outcome_on``."""
    return entries.annotate(
        **{
            EFFECTIVE_OUTCOME: DbCase(
                _RETURNED_IN_REGISTRY, default=F("outcome"), output_field=CharField()
            ),
            EFFECTIVE_OUTCOME_ON: DbCase(
                When(_HOME, then=F("case__returned_on")),
                default=F("outcome_on"),
                output_field=DateField(),
            ),
        }
    )


def case_has_child_home(case: Case) -> bool:
    """Whether the case shows its child returned home (and not reopened since)."""
    return case.returned_on is not None and is_home(case.status, case.closure_reason)


def effective_outcome(entry: ChildListEntry) -> tuple[str, dt.date | None]:
    """The outcome an entry shows (read off its annotations, or worked out from its case)."""
    if hasattr(entry, EFFECTIVE_OUTCOME):
        return getattr(entry, EFFECTIVE_OUTCOME), getattr(entry, EFFECTIVE_OUTCOME_ON)
    case = entry.case if entry.case_id is not None else None
    if case is not None and case_has_child_home(case):
        return EntryOutcome.RETURNED.value, case.returned_on
    return entry.outcome, entry.outcome_on


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------
def child_list_list(*, actor: Viewer) -> QuerySet[ChildList]:
    """Every list (lists are no personal data), with what a row renders: the keeping
    organization, meeting, statement, parties, the sources the reader may see, and the count
    of entries held."""
    sources: QuerySet[Source] = (
        Source.objects.all() if actor is None else source_visible_to(actor=actor)
    )
    return (
        ChildList.objects.select_related("organization", "meeting", "statement", "handed_by")
        .prefetch_related(
            "handed_to", Prefetch("sources", queryset=sources.only("pk").order_by("pk"))
        )
        .annotate(**{ENTRIES_HELD: Count("entries")})
    )


def child_list_outcome_counts(*, child_list: ChildList) -> dict[str, int]:
    """How many entries of the list show each outcome (effective: a returned case counts as
    returned), every outcome named, zero included."""
    counts = dict.fromkeys(EntryOutcome.values, 0)
    rows = (
        with_effective_outcome(ChildListEntry.objects.filter(child_list=child_list))
        .order_by()
        .values(EFFECTIVE_OUTCOME)
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row[EFFECTIVE_OUTCOME]] = row["n"]
    return counts


@dataclass(frozen=True)
class ListSummary:
    """The claimed count beside what the registry holds: aggregate numbers, no names."""

    entries_held: int
    count_claimed: int | None
    count_qualifier: str
    by_outcome: dict[str, int]

    @property
    def returned(self) -> int:
        return self.by_outcome.get(EntryOutcome.RETURNED, 0)


def child_list_summary(*, child_list: ChildList) -> ListSummary:
    by_outcome = child_list_outcome_counts(child_list=child_list)
    return ListSummary(
        entries_held=sum(by_outcome.values()),
        count_claimed=child_list.count_claimed,
        count_qualifier=child_list.count_qualifier,
        by_outcome=by_outcome,
    )


# ---------------------------------------------------------------------------------------------
# Entries, as a reader sees them
# ---------------------------------------------------------------------------------------------
def list_entries(*, child_list: ChildList) -> QuerySet[ChildListEntry]:
    """The list's entries with their effective outcome and their case's number (read in the
    same query). What may be shown of each is ``entries_as_seen``'s answer."""
    return with_effective_outcome(
        ChildListEntry.objects.filter(child_list=child_list).select_related("case")
    )


class Sight(StrEnum):
    """How much of an entry a reader sees."""

    NONE = "none"  # number, outcome and dates only
    LIMITED = "limited"  # and the name and the case, not the date of birth nor the details
    FULL = "full"  # everything as written, and the case


def sees_unlinked_entries(actor: Viewer, child_list: ChildList) -> bool:
    """Whether ``actor`` sees the names on ``child_list`` that no case stands behind: the
    system, auditors and superusers, and members of the keeping organization whose role there
    reads the coalition."""
    if actor is None:
        return True
    if reads_all_cases(actor):
        return True
    return actor_roles(actor).can(Capability.READ_COALITION, child_list.organization_id)


@dataclass(frozen=True)
class EntryAsSeen:
    entry: ChildListEntry
    sight: Sight

    @property
    def shows_name(self) -> bool:
        return self.sight != Sight.NONE

    @property
    def shows_birth(self) -> bool:
        return self.sight == Sight.FULL

    @property
    def shows_case(self) -> bool:
        return self.shows_name and self.entry.case_id is not None


def entries_as_seen(
    *, actor: Viewer, child_list: ChildList, entries: Sequence[ChildListEntry]
) -> list[EntryAsSeen]:
    """What ``actor`` sees of each of ``entries`` (of ``child_list``), in one query for all
    (the scopes of their cases)."""
    case_ids = sorted({entry.case_id for entry in entries if entry.case_id is not None})
    scopes: dict[int, str] = {}
    if case_ids:
        if actor is None:
            scopes = dict.fromkeys(case_ids, ShareScope.FULL.value)
        else:
            rows: Any = (
                case_visible_to(actor=actor).filter(pk__in=case_ids).values_list("pk", ACCESS)
            )
            scopes = dict(rows)
    unlinked = Sight.FULL if sees_unlinked_entries(actor, child_list) else Sight.NONE
    seen: list[EntryAsSeen] = []
    for entry in entries:
        if entry.case_id is None:
            sight = unlinked
        else:
            scope = scopes.get(entry.case_id)
            if scope is None:
                sight = Sight.NONE
            elif scope == ShareScope.FULL:
                sight = Sight.FULL
            else:
                sight = Sight.LIMITED
        seen.append(EntryAsSeen(entry=entry, sight=sight))
    return seen


def names_read(seen: Sequence[EntryAsSeen]) -> dict[type[Model] | str, list[int]]:
    """The records a read of ``seen`` reveals, for its audit event: the entries whose names
    it shows and the cases it names. Empty when it shows no name."""
    entries = [item.entry.pk for item in seen if item.shows_name]
    if not entries:
        return {}
    cases = sorted({item.entry.case_id for item in seen if item.entry.case_id and item.shows_case})
    return {ChildListEntry: entries, **({Case: cases} if cases else {})}

"""The coalition's open items, as counts: pledges not yet kept (overdue among them) and list
entries still waiting for an answer from the other side. Counts only: no entry's name is read,
so every coalition reader may see them (a coordinator's home page shows them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from ..models import OPEN_PLEDGE_STATUSES, ChildListEntry, EntryOutcome, Pledge
from ..services.common import Actor, require_reader
from .lists import EFFECTIVE_OUTCOME, with_effective_outcome
from .members import overdue_condition

# A list's entries still waiting for an answer from the other side (an entry whose case has its
# child home shows returned, and waits no more).
UNANSWERED_OUTCOMES = (EntryOutcome.LISTED, EntryOutcome.NO_ANSWER)


@dataclass(frozen=True)
class OpenItems:
    pledges_by_status: dict[str, int]  # every open status named, zero included
    pledges_overdue: int
    entries_unanswered: dict[str, int]  # every unanswered outcome named, zero included


def coalition_open_items(*, actor: Actor, today: dt.date | None = None) -> OpenItems:
    """What the coalition still has to do, in three queries (GROUP BYs over the coalition's
    own records: pledges and list entries)."""
    require_reader(actor)
    today = today or timezone.localdate()
    pledges = dict.fromkeys(OPEN_PLEDGE_STATUSES, 0)
    pledges.update(
        Pledge.objects.filter(status__in=OPEN_PLEDGE_STATUSES)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    overdue = Pledge.objects.filter(overdue_condition(today)).count()
    entries = dict.fromkeys(UNANSWERED_OUTCOMES, 0)
    entries.update(
        with_effective_outcome(ChildListEntry.objects.filter(outcome__in=UNANSWERED_OUTCOMES))
        .filter(**{f"{EFFECTIVE_OUTCOME}__in": UNANSWERED_OUTCOMES})
        .order_by()
        .values_list(EFFECTIVE_OUTCOME)
        .annotate(n=Count("id"))
    )
    return OpenItems(
        pledges_by_status={str(k): v for k, v in pledges.items()},
        pledges_overdue=overdue,
        entries_unanswered={str(k): v for k, v in entries.items()},
    )

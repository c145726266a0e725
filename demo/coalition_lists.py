"""A synthetic list of named children for the demo: kept by the demo authority, handed over at a
synthetic negotiation round, its entries naming synthetic demo cases as a list abroad would
write them (Latin script, family name first), plus a few names no case stands behind.

Everything here is made up and says so: the list is ``is_synthetic`` and its title and the
meeting's title say "synthetic". Real lists (``coalition.seeding.lists``) carry no entries.
Written through ``coalition.services.lists``; a second load changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from faker import Faker

from cases.models import Case
from cases.names import latin_kmu
from coalition.models import ChildList, EntryOutcome, Meeting, MeetingKind
from coalition.services.lists import child_list_create, entries_add
from coalition.services.meetings import meeting_record
from core.seeds import SeedCounts

from .seeding import demo_organizations_load

DEMO_LIST_TITLE = "Synthetic demo list of named children (not real data)"
DEMO_MEETING_TITLE = "Synthetic demo negotiation round (not real data)"
DEMO_ROUND_DAY = dt.date(2025, 3, 3)
# Outcomes given to the linked entries in turn (a returned case shows "returned" by itself).
_OUTCOMES = (
    (EntryOutcome.LISTED, None),
    (EntryOutcome.ACKNOWLEDGED, dt.date(2025, 3, 20)),
    (EntryOutcome.INFORMATION_RECEIVED, dt.date(2025, 4, 10)),
    (EntryOutcome.NO_ANSWER, dt.date(2025, 5, 1)),
)


@transaction.atomic
def demo_child_list_load(*, linked: int = 12, unlinked: int = 3) -> SeedCounts:
    """The synthetic demo list, its entries naming up to ``linked`` demo cases of the demo
    authority and ``unlinked`` made-up names. Made once; later loads leave it as it is."""
    counts = SeedCounts()
    if ChildList.objects.filter(title=DEMO_LIST_TITLE, is_synthetic=True).exists():
        counts.unchanged += 1
        return counts
    authority = demo_organizations_load()["authority"]
    meeting = Meeting.objects.filter(
        kind=MeetingKind.NEGOTIATION, title=DEMO_MEETING_TITLE
    ).first() or meeting_record(
        actor=None,
        data={
            "kind": MeetingKind.NEGOTIATION,
            "title": DEMO_MEETING_TITLE,
            "held_on": DEMO_ROUND_DAY,
            "outcomes": "Synthetic demo data: no such round took place.",
        },
    )
    child_list = child_list_create(
        actor=None,
        is_synthetic=True,
        data={
            "title": DEMO_LIST_TITLE,
            "organization": authority.pk,
            "meeting": meeting.pk,
            "handed_by": "UA",
            "handed_to": ["RU"],
            "handed_on": DEMO_ROUND_DAY,
            "count_claimed": linked + unlinked + 5,
            "count_qualifier": "nearly",
            "script": "Latn",
            "note": "Synthetic demo data: the names are made up and name synthetic cases.",
        },
    )
    cases = Case.objects.filter(organization=authority, child__is_synthetic=True).select_related(
        "child"
    )
    rows = []
    for index, case in enumerate(cases.order_by("id")[:linked]):
        child = case.child
        outcome, outcome_on = _OUTCOMES[index % len(_OUTCOMES)]
        rows.append(
            {
                "name_as_written": f"{child.family_name_latin} {child.given_name_latin}".upper(),
                "date_of_birth_as_written": (
                    child.date_of_birth.strftime("%d.%m.%Y") if child.date_of_birth else ""
                ),
                "case": case.pk,
                "outcome": outcome,
                "outcome_on": outcome_on,
            }
        )
    fake = Faker("uk_UA")
    fake.seed_instance(20250303)
    for _ in range(unlinked):
        rows.append(
            {
                "name_as_written": latin_kmu(f"{fake.last_name()} {fake.first_name()}").upper(),
                "details": "Synthetic demo entry: no case matched.",
            }
        )
    if rows:
        entries_add(actor=None, child_list=child_list, rows=rows)
    counts.created += 1
    return counts

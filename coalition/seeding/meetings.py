"""Meetings, the joint statement and the UN vote that public reporting describes
(``seeds/coalition_meetings.json``), loaded through the services as the system.

Records are keyed naturally: a meeting by its title and date, a statement by its title and
date, a resolution by its body and title. A record as in the file is left alone; one whose
fields, parties, sources or votes differ is corrected through the services (one audit event);
so a second load changes nothing. Sources are those of ``seeds/sources.json``, by their key,
looked up by publisher and title; the organizations the records name are the members'
(``coalition.seeding.members``). ``load_seeds`` loads the sources and the members first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from core.seeds import SeedCounts, read_seed
from sources.models import Source

from ..models import Meeting, Resolution, Statement
from ..services import meetings as services
from .common import cited, seed_row, sources_by_key, tally

MEETINGS_SEED = "coalition_meetings.json"

MEETING_FIELDS = services.MEETING_FIELD_NAMES
# A seeded statement or resolution names no meeting.
STATEMENT_FIELDS = tuple(name for name in services.STATEMENT_FIELD_NAMES if name != "meeting")
RESOLUTION_FIELDS = tuple(name for name in services.RESOLUTION_FIELD_NAMES if name != "meeting")
DATES = ("held_on", "issued_on", "voted_on")
PARTY_LISTS = ("participants", "signatories")


def _data(
    row: Mapping[str, Any], fields: tuple[str, ...], sources: Mapping[str, Source]
) -> dict[str, Any]:
    """A seed row as the services take it (dates parsed, sources by id)."""
    data: dict[str, Any] = {name: row.get(name) for name in fields}
    for name in DATES:
        if name in data:
            data[name] = dt.date.fromisoformat(data[name])
    for name in ("date_label", "place", "country", "members_claimed_qualifier", "text", "symbol"):
        if name in data and data[name] is None:
            data[name] = ""
    data["sources"] = cited(data.get("sources") or [], sources, seed=MEETINGS_SEED)
    return data


def _differences(record: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """What differs between a record and its seed row (parties by code, sources by id)."""
    changed: dict[str, Any] = {}
    for name, value in data.items():
        if name in PARTY_LISTS:
            current: Any = sorted(getattr(record, name).values_list("code", flat=True))
            wanted: Any = sorted(value)
        elif name == "sources":
            current, wanted = sorted(record.sources.values_list("pk", flat=True)), sorted(value)
        elif name == "host":
            current, wanted = (record.host.code if record.host else None), value
        elif name == "country":
            current, wanted = str(record.country or ""), value
        else:
            current, wanted = getattr(record, name), value
        if current != wanted:
            changed[name] = value
    return changed


@transaction.atomic
def meetings_load() -> SeedCounts:
    """Load ``seeds/coalition_meetings.json``: meetings, statements, resolutions and votes."""
    seed = read_seed(MEETINGS_SEED)
    sources = sources_by_key()
    counts = SeedCounts()

    for row in seed["meetings"]:
        data = _data(row, MEETING_FIELDS, sources)
        seed_row(
            counts,
            Meeting.objects.filter(title=data["title"], held_on=data["held_on"]).first(),
            data,
            record=lambda data: services.meeting_record(actor=None, data=data),
            differences=_differences,
            update=lambda meeting, changed: services.meeting_update(
                meeting=meeting, actor=None, data=changed
            ),
        )

    for row in seed["statements"]:
        data = _data(row, STATEMENT_FIELDS, sources)
        seed_row(
            counts,
            Statement.objects.filter(title=data["title"], issued_on=data["issued_on"]).first(),
            data,
            record=lambda data: services.statement_record(actor=None, data=data),
            differences=_differences,
            update=lambda statement, changed: services.statement_update(
                statement=statement, actor=None, data=changed
            ),
        )

    for row in seed["resolutions"]:
        data = _data(row, RESOLUTION_FIELDS, sources)
        votes = {code: vote for vote, codes in row["votes"].items() for code in codes}
        resolution = Resolution.objects.filter(body=data["body"], title=data["title"]).first()
        created = resolution is None
        changed = False
        if resolution is None:
            resolution = services.resolution_record(actor=None, data=data)
        elif differences := _differences(resolution, data):
            resolution = services.resolution_update(
                resolution=resolution, actor=None, data=differences
            )
            changed = True
        current = services.votes_of(resolution)
        wanted = {code: vote for code, vote in votes.items() if current.get(code) != vote}
        if wanted:
            services.votes_set(resolution=resolution, votes=wanted, actor=None)
            changed = True
        tally(counts, created=created, changed=changed)
    return counts

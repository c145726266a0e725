"""The lists of named children from public reporting (``seeds/coalition_lists.json``), loaded
through ``coalition.services.lists`` as the system, idempotently.

A real list is seeded with its count as claimed and no entries: nobody's name is invented. Its
meeting or statement is looked up by kind and date: the meetings' seeds record them, and
``load_seeds`` loads them first (a missing one is a ``SeedFileError``). Its sources are the
rows of ``seeds/sources.json`` named by key.

The keeping organization is the one the seed names (created on the first load): lists from
public reporting belong to no caseworking organization until a superuser hands one over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from accounts.models import Organization
from accounts.services import organization_create
from core.seeds import SeedCounts, read_seed
from sources.models import Source

from ..models import ChildList, Meeting, Statement
from ..services.common import record_snapshot
from ..services.lists import LIST_RELATIONS, child_list_create, child_list_update
from .common import SeedFileError, cited, seed_row, sources_by_key

LISTS_SEED = "coalition_lists.json"


def _keeper(row: Mapping[str, Any]) -> Organization:
    found = Organization.objects.filter(name=row["name"]).first()
    if found is not None:
        return found
    return organization_create(
        name=row["name"], short_name=row["short_name"], kind=row["kind"], country=row["country"]
    )


def _meeting(row: Mapping[str, Any]) -> Meeting:
    """The meeting the list was handed over at, as the meetings' seeds record it."""
    held_on = dt.date.fromisoformat(row["held_on"])
    found = Meeting.objects.filter(kind=row["kind"], held_on=held_on).order_by("id").first()
    if found is None:
        raise SeedFileError(
            f"{LISTS_SEED}: no {row['kind']} meeting on {held_on} (load the meetings first)."
        )
    return found


def _statement(row: Mapping[str, Any]) -> Statement:
    """The statement that names the list, as the meetings' seeds record it."""
    issued_on = dt.date.fromisoformat(row["issued_on"])
    found = Statement.objects.filter(issued_on=issued_on).order_by("id").first()
    if found is None:
        raise SeedFileError(f"{LISTS_SEED}: no statement of {issued_on} (load the meetings first).")
    return found


def _list_data(row: Mapping[str, Any], sources: Mapping[str, Source]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": row["title"],
        "handed_by": row.get("handed_by"),
        "handed_to": row.get("handed_to", []),
        "handed_on": dt.date.fromisoformat(row["handed_on"]),
        "date_precision": row.get("date_precision", "day"),
        "count_claimed": row.get("count_claimed"),
        "count_qualifier": row.get("count_qualifier", "stated"),
        "note": row.get("note", ""),
        "sources": cited(row.get("sources", []), sources, seed=LISTS_SEED),
    }
    if "meeting" in row:
        data["meeting"] = _meeting(row["meeting"]).pk
    if "statement" in row:
        data["statement"] = _statement(row["statement"]).pk
    return data


def _differences(child_list: ChildList, data: Mapping[str, Any]) -> dict[str, Any]:
    current = record_snapshot(child_list, LIST_RELATIONS)
    wanted = {
        "title": data["title"],
        "handed_by_id": None,
        "handed_on": data["handed_on"].isoformat(),
        "date_precision": data["date_precision"],
        "count_claimed": data["count_claimed"],
        "count_qualifier": data["count_qualifier"],
        "note": data["note"],
        "meeting_id": data.get("meeting"),
        "statement_id": data.get("statement"),
        "handed_to": sorted(data["handed_to"]),
        "sources": sorted(data["sources"]),
    }
    changed: dict[str, Any] = {}
    for name, value in wanted.items():
        if name == "handed_by_id":
            code = child_list.handed_by.code if child_list.handed_by is not None else None
            if code != data["handed_by"]:
                changed["handed_by"] = data["handed_by"]
            continue
        if current.get(name) != value:
            field = name.removesuffix("_id")
            changed[field] = data.get(field)
    return changed


@transaction.atomic
def lists_load() -> SeedCounts:
    """Load the lists of ``seeds/coalition_lists.json``; a second load changes nothing."""
    seed = read_seed(LISTS_SEED)
    keeper = _keeper(seed["keeper"])
    counts = SeedCounts()
    sources = sources_by_key()
    for row in seed["lists"]:
        data = _list_data(row, sources)
        seed_row(
            counts,
            ChildList.objects.filter(title=row["title"], is_synthetic=False).first(),
            data,
            record=lambda data: child_list_create(
                actor=None, data={**data, "organization": keeper.pk}
            ),
            differences=_differences,
            update=lambda child_list, changed: child_list_update(
                actor=None, child_list=child_list, data=changed
            ),
        )
    return counts

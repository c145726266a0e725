"""Seeds of the members part (``seeds/coalition_members.json``): the six project areas, the
declaration's four commitments, the international organizations among the members and the
members the reporting names. Loaded through the services (actor ``None``, the system),
idempotently: a record as in the file is left alone, one that differs is corrected in place
(one audit event). Sources are found by the publisher and title of their ``sources.json`` row;
the sources step of ``load_seeds`` runs first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from core.seeds import SeedCounts, read_seed
from sources.models import Source

from ..models import Member, Party, PartyKind
from ..services import members as services
from .common import cited, seed_row, sources_by_key, tally

MEMBERS_SEED = "coalition_members.json"


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _load_organizations(
    rows: list[dict[str, Any]], sources: Mapping[str, Source], counts: SeedCounts
) -> None:
    for row in rows:
        names: dict[str, Any] = {
            name: row.get(name, "") for name in ("name", "name_uk", "abbreviation")
        }
        names["sources"] = cited(row["sources"], sources, seed=MEMBERS_SEED)
        seed_row(
            counts,
            Party.objects.filter(code=row["code"], kind=PartyKind.ORGANIZATION).first(),
            {"code": row["code"], **names},
            record=lambda data: services.organization_record(actor=None, data=data),
            # The code found the party: what may differ is its names.
            differences=_organization_differences,
            update=lambda party, changed: services.organization_update(
                party=party, actor=None, data=changed
            ),
        )


def _organization_differences(party: Party, data: Mapping[str, Any]) -> dict[str, Any]:
    """What differs of an organization the code found: its names and its sources."""
    differences = {
        name: value
        for name, value in data.items()
        if name not in ("code", "sources") and getattr(party, name) != value
    }
    if sorted(party.sources.values_list("pk", flat=True)) != sorted(data["sources"]):
        differences["sources"] = data["sources"]
    return differences


def _member_differences(member: Member, data: Mapping[str, Any]) -> dict[str, Any]:
    differences = {
        name: value
        for name, value in data.items()
        if name not in ("party", "sources") and getattr(member, name) != value
    }
    if sorted(member.sources.values_list("pk", flat=True)) != sorted(data["sources"]):
        differences["sources"] = data["sources"]
    return differences


def _load_members(
    rows: list[dict[str, Any]], sources: Mapping[str, Source], counts: SeedCounts
) -> None:
    for row in rows:
        data = {
            "party": row["party"],
            "role": row["role"],
            "joined_on": _date(row.get("joined_on")),
            "joined_precision": row.get("joined_precision") or "day",
            "note": row.get("note", ""),
            "sources": cited(row["sources"], sources, seed=MEMBERS_SEED),
        }
        seed_row(
            counts,
            Member.objects.filter(party__code=row["party"]).first(),
            data,
            record=lambda data: services.member_record(actor=None, data=data),
            differences=_member_differences,
            update=lambda member, changed: services.member_update(
                member=member, actor=None, data=changed
            ),
        )


@transaction.atomic
def members_load() -> SeedCounts:
    """Load ``seeds/coalition_members.json``; a second load changes nothing."""
    seed = read_seed(MEMBERS_SEED)
    sources = sources_by_key()
    counts = SeedCounts()
    for row in seed["areas"]:
        _area, outcome = services.project_area_sync(
            actor=None,
            code=row["code"],
            position=row["position"],
            name=row["name"],
            name_uk=row["name_uk"],
            sources=cited([row["source"]], sources, seed=MEMBERS_SEED),
        )
        tally(counts, created=outcome == services.CREATED, changed=outcome == services.UPDATED)
    for row in seed["commitments"]:
        _commitment, outcome = services.commitment_sync(
            actor=None,
            code=row["code"],
            position=row["position"],
            text=row["text"],
            text_uk=row["text_uk"],
            sources=cited([row["source"]], sources, seed=MEMBERS_SEED),
        )
        tally(counts, created=outcome == services.CREATED, changed=outcome == services.UPDATED)
    _load_organizations(seed["organizations"], sources, counts)
    _load_members(seed["members"], sources, counts)
    return counts

"""Reference data loaded from ``seeds/`` through the services, idempotently.

- ``oblasts_sync`` and ``facilities_load``: the 27 ISO 3166-2:UA divisions and a small registry of
  facilities publicly reported as holding deported children. Keyed by code and by (name,
  country); a second run changes nothing.

``load_seeds`` (a command of ``config``) runs them with every other app's loaders.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from core.seeds import SeedCounts, read_seed

from . import services
from .models import Facility, Oblast


# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def oblasts_sync() -> SeedCounts:
    """Load the 27 ISO 3166-2:UA divisions (Crimea and Sevastopol included) by code."""
    counts = SeedCounts()
    existing = set(Oblast.objects.values_list("code", flat=True))
    for row in read_seed("oblasts.json"):
        _, changed = services.oblast_upsert(
            code=row["code"], name_uk=row["name_uk"], name_en=row["name_en"]
        )
        if row["code"] not in existing:
            counts.created += 1
        elif changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts


def oblasts_load() -> int:
    """Load the oblasts; returns how many were created or corrected."""
    return oblasts_sync().changed


def _facility_differences(facility: Facility, row: dict[str, Any]) -> dict[str, Any]:
    """The seed's values that differ from the stored facility (coordinates compared as numbers)."""
    differences = {}
    for field, value in row.items():
        current = getattr(facility, field)
        if field in ("latitude", "longitude"):
            wanted = Decimal(value) if value is not None else None
            if (current is None) != (wanted is None) or (
                current is not None and wanted is not None and Decimal(current) != wanted
            ):
                differences[field] = wanted
        elif current != value:  # a Country compares equal to its code
            differences[field] = value
    return differences


@transaction.atomic
def facilities_load() -> SeedCounts:
    """Load ``seeds/facilities.json`` through ``facility_save``, keyed by (name, country)."""
    counts = SeedCounts()
    for row in read_seed("facilities.json"):
        data = {
            **row,
            "latitude": Decimal(row["latitude"]) if row.get("latitude") else None,
            "longitude": Decimal(row["longitude"]) if row.get("longitude") else None,
        }
        facility = Facility.objects.filter(name=row["name"], country=row["country"]).first()
        if facility is None:
            services.facility_save(actor=None, data=data)
            counts.created += 1
            continue
        differences = _facility_differences(facility, data)
        if differences:
            services.facility_save(actor=None, facility=facility, data=differences)
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts

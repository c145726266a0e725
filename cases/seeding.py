"""Reference data loaded from ``seeds/`` through the services, idempotently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from . import services

SEEDS_DIR: Path = settings.BASE_DIR / "seeds"


def read_seed(name: str) -> Any:
    with (SEEDS_DIR / name).open(encoding="utf-8") as handle:
        return json.load(handle)


@transaction.atomic
def oblasts_load() -> int:
    """Load the 27 ISO 3166-2:UA divisions; returns how many were created or corrected."""
    changed = 0
    for row in read_seed("oblasts.json"):
        _, was_changed = services.oblast_upsert(
            code=row["code"], name_uk=row["name_uk"], name_en=row["name_en"]
        )
        changed += was_changed
    return changed

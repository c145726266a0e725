"""Reading the seed files (``seeds/``, reference data kept with the code) and counting what a
loader did with them. Each app loads its own seeds through its services; ``load_seeds`` runs them
all."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _


def seeds_dir() -> Path:
    return Path(settings.BASE_DIR) / "seeds"


def read_seed(name: str) -> Any:
    """The parsed JSON of seed file ``name``."""
    with (seeds_dir() / name).open(encoding="utf-8") as handle:
        return json.load(handle)


@dataclass
class SeedCounts:
    """What a loader did: rows created, rows corrected, rows already as in the seed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def __str__(self) -> str:
        return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }

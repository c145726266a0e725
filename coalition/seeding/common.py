"""What the coalition's seed loaders share: the public sources they cite, by their key in
``seeds/sources.json`` (the sources step of ``load_seeds`` loads them first), and the count of
what a load did, row by row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from core.seeds import SeedCounts, read_seed
from sources.models import Source
from sources.seeding import SOURCES_SEED, SeedFileError

__all__ = ["SeedFileError", "cited", "seed_row", "sources_by_key", "tally"]

_R = TypeVar("_R")


def sources_by_key() -> dict[str, Source]:
    """The loaded sources of ``sources.json``, by their key, found by publisher and title."""
    found: dict[str, Source] = {}
    for row in read_seed(SOURCES_SEED)["sources"]:
        source = (
            Source.objects.filter(publisher=row["publisher"], title=row["title"], file="")
            .order_by("id")
            .first()
        )
        if source is not None:
            found[row["key"]] = source
    return found


def cited(keys: Iterable[str], sources: Mapping[str, Source], *, seed: str) -> list[int]:
    """The ids of the sources ``keys`` name; ``SeedFileError`` for a key that is not a loaded
    source of ``sources.json``."""
    keys = list(keys)
    missing = [key for key in keys if key not in sources]
    if missing:
        raise SeedFileError(
            f"{seed} cites {missing[0]!r}, not a loaded source of {SOURCES_SEED} "
            "(load the sources first)."
        )
    return [sources[key].pk for key in keys]


def tally(counts: SeedCounts, *, created: bool, changed: bool) -> None:
    """Count one row: created, else updated when it changed, else unchanged."""
    if created:
        counts.created += 1
    elif changed:
        counts.updated += 1
    else:
        counts.unchanged += 1


def seed_row(
    counts: SeedCounts,
    found: _R | None,
    data: Mapping[str, Any],
    *,
    record: Callable[[Mapping[str, Any]], object],
    differences: Callable[[_R, Mapping[str, Any]], Mapping[str, Any]],
    update: Callable[[_R, Mapping[str, Any]], object],
) -> None:
    """One seed row: ``record(data)`` when no record was ``found``; else ``update`` with what
    differs, when anything does (so a second load changes nothing). Counted either way."""
    if found is None:
        record(data)
        tally(counts, created=True, changed=False)
        return
    changed = differences(found, data)
    if changed:
        update(found, changed)
    tally(counts, created=False, changed=bool(changed))

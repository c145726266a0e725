"""What the coalition's seed loaders share: the public sources they cite, by their key in
``seeds/sources.json`` (the sources step of ``load_seeds`` loads them first)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.seeds import read_seed
from sources.models import Source
from sources.seeding import SOURCES_SEED, SeedFileError

__all__ = ["SeedFileError", "cited", "sources_by_key"]


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

"""Reference data from public reporting, loaded from ``seeds/`` through the services,
idempotently: the structured sources (``sources.json``) and the figures they published
(``figures.json``).

These are real, public claims (who said how many children, as of when), not synthetic records;
every figure says so in its note. Rows are keyed naturally:

- a source by its publisher and title (among sources without a file: seeds hold none);
- a figure by its source, claimant, metric and as-of date: the same claim in the same
  publication. A conflicting figure is another row, never a correction of this one.

A row changed in the seed file is corrected in place on the next load (one audit event), a row
as in the file is left alone, so ``load_seeds`` twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from core.seeds import SeedCounts, read_seed

from . import services
from .figures import figure_record, figure_update
from .models import PublishedFigure, Source

SOURCES_SEED = "sources.json"
FIGURES_SEED = "figures.json"

REFERENCE_NOTE = (
    "Reference data from public reporting, loaded with the registry's seeds: a published "
    "claim as reported, not a count of the registry's own records."
)

SOURCE_FIELDS = ("kind", "title", "publisher", "language", "published_on")
FIGURE_FIELDS = (
    "claimant",
    "metric",
    "description",
    "value",
    "value_text",
    "qualifier",
    "as_of",
    "as_of_precision",
    "as_of_label",
)


class SeedFileError(ValueError):
    """The seed file contradicts itself (a repeated key, a figure citing an unknown source)."""


@dataclass
class PublicReportingCounts:
    sources: SeedCounts = field(default_factory=SeedCounts)
    figures: SeedCounts = field(default_factory=SeedCounts)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _unique(rows: list[dict[str, Any]], key: Any, name: str) -> None:
    seen: set[Any] = set()
    for row in rows:
        identity = key(row)
        if identity in seen:
            raise SeedFileError(f"{name}: more than one row for {identity!r}.")
        seen.add(identity)


def _differences(instance: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in data.items() if getattr(instance, name) != value}


def _source_data(row: Mapping[str, Any]) -> dict[str, Any]:
    data = {name: row.get(name) or "" for name in SOURCE_FIELDS}
    data["published_on"] = _date(row.get("published_on"))
    return data


def reference_sources_load() -> tuple[SeedCounts, dict[str, Source]]:
    """Load ``seeds/sources.json``; returns the counts and the sources by their seed key."""
    rows: list[dict[str, Any]] = read_seed(SOURCES_SEED)["sources"]
    _unique(rows, lambda row: row["key"], SOURCES_SEED)
    _unique(rows, lambda row: (row["publisher"], row["title"]), SOURCES_SEED)
    counts = SeedCounts()
    by_key: dict[str, Source] = {}
    for row in rows:
        data = _source_data(row)
        source = (
            Source.objects.filter(publisher=data["publisher"], title=data["title"], file="")
            .order_by("id")
            .first()
        )
        if source is None:
            source = services.source_record(actor=None, data=data)
            counts.created += 1
        elif differences := _differences(source, data):
            source = services.source_update(source=source, actor=None, data=differences)
            counts.updated += 1
        else:
            counts.unchanged += 1
        by_key[row["key"]] = source
    return counts, by_key


def _figure_data(row: Mapping[str, Any], source: Source) -> dict[str, Any]:
    data = {name: row.get(name) for name in FIGURE_FIELDS}
    data["value_text"] = data["value_text"] or ""
    data["as_of"] = _date(row["as_of"])
    data["source"] = source
    data["note"] = REFERENCE_NOTE
    return data


def published_figures_load(*, sources: Mapping[str, Source]) -> SeedCounts:
    """Load ``seeds/figures.json``, each figure citing a source of ``sources`` (by seed key)."""
    rows: list[dict[str, Any]] = read_seed(FIGURES_SEED)["figures"]
    for row in rows:
        if row["source"] not in sources:
            raise SeedFileError(f"{FIGURES_SEED}: unknown source {row['source']!r}.")
    _unique(
        rows,
        lambda row: (row["source"], row["claimant"], row["metric"], row["as_of"]),
        FIGURES_SEED,
    )
    counts = SeedCounts()
    for row in rows:
        data = _figure_data(row, sources[row["source"]])
        figure = (
            PublishedFigure.objects.filter(
                source=data["source"],
                claimant=data["claimant"],
                metric=data["metric"],
                as_of=data["as_of"],
            )
            .order_by("id")
            .first()
        )
        if figure is None:
            figure_record(actor=None, data=data)
            counts.created += 1
        elif differences := _differences(figure, data):
            figure_update(figure=figure, actor=None, data=differences)
            counts.updated += 1
        else:
            counts.unchanged += 1
    return counts


@transaction.atomic
def public_reporting_load() -> PublicReportingCounts:
    """Load the sources, then the figures citing them."""
    source_counts, sources = reference_sources_load()
    return PublicReportingCounts(
        sources=source_counts, figures=published_figures_load(sources=sources)
    )

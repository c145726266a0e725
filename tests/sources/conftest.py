"""Fixtures of the sources tests: a storage emptied after each test (files outlive the database
transaction that is rolled back), and the audit events a test wrote."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db.models import Max, QuerySet

from audit.models import AuditEvent
from sources.models import Source, sources_storage


@pytest.fixture(autouse=True)
def _empty_sources_storage() -> Iterator[None]:
    yield
    # The test settings keep source files in a folder of the run's own: nothing else is there.
    location = Path(sources_storage().location)  # type: ignore[attr-defined]
    for child in location.iterdir() if location.is_dir() else ():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()


@pytest.fixture
def stored_path() -> Callable[[Source], Path]:
    """``stored_path(source)``: where the test storage keeps a source's file."""
    return lambda source: Path(sources_storage().path(str(source.file.name)))


@pytest.fixture
def stored_files() -> Callable[[], list[Path]]:
    """``stored_files()``: every file in the test storage."""
    location = Path(sources_storage().location)  # type: ignore[attr-defined]
    return lambda: sorted(p for p in location.rglob("*") if p.is_file())


@pytest.fixture
def trail(db: None) -> Callable[[], QuerySet[AuditEvent]]:
    """``trail()``: the audit events written since the test started."""
    baseline = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    return lambda: AuditEvent.objects.filter(pk__gt=baseline)

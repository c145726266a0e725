"""Seeds: reference data loads idempotently through the services (``load_seeds`` runs every
app's loaders)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from cases import seeding
from cases.models import (
    Case,
    Child,
    ChildAlias,
    Facility,
    FollowUp,
    Oblast,
    Relative,
    Service,
    StatusChange,
    Whereabouts,
)
from cases.workflow import Status

pytestmark = pytest.mark.django_db

RETURNED = (Status.RETURNED, Status.REHABILITATION, Status.INTEGRATION)


def _load_seeds(**options: Any) -> str:
    out = StringIO()
    call_command("load_seeds", stdout=out, **options)
    return out.getvalue()


def _row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Oblast,
            Facility,
            Child,
            Case,
            ChildAlias,
            Relative,
            Whereabouts,
            StatusChange,
            Service,
            FollowUp,
        )
    }


# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------
def test_load_seeds_second_run_changes_nothing() -> None:
    Oblast.objects.all().delete()  # the suite preloads them; start from an empty registry
    first = _load_seeds()
    counts = _row_counts()
    facilities = list(Facility.objects.order_by("pk").values())

    second = _load_seeds()

    assert "Oblasts: 27 created, 0 updated, 0 unchanged." in first
    assert "Oblasts: 0 created, 0 updated, 27 unchanged." in second
    assert "Facilities: 0 created, 0 updated" in second
    assert _row_counts() == counts
    assert list(Facility.objects.order_by("pk").values()) == facilities


def test_oblasts_sync_loads_all_27_divisions_with_crimea_sevastopol_and_kyiv() -> None:
    Oblast.objects.all().delete()  # the suite preloads them; start from an empty registry
    counts = seeding.oblasts_sync()

    assert counts.created == 27
    codes = set(Oblast.objects.values_list("code", flat=True))
    assert len(codes) == 27
    assert {"UA-43", "UA-40", "UA-30"} <= codes
    assert Oblast.objects.get(code="UA-43").name_en == "Autonomous Republic of Crimea"
    assert Oblast.objects.get(code="UA-40").name_uk == "Севастополь"
    assert Oblast.objects.get(code="UA-30").name_en == "Kyiv"


def test_oblasts_sync_corrects_a_changed_name_and_reports_it() -> None:
    seeding.oblasts_sync()
    Oblast.objects.filter(code="UA-14").update(name_en="Wrong")

    counts = seeding.oblasts_sync()

    assert (counts.created, counts.updated, counts.unchanged) == (0, 1, 26)
    assert Oblast.objects.get(code="UA-14").name_en == "Donetsk Oblast"


def test_facilities_load_has_songdowon_with_coordinates_in_north_korea() -> None:
    seeding.facilities_load()

    songdowon = Facility.objects.get(name_latin="Songdowon International Children's Camp")
    assert songdowon.country == "KP"
    assert songdowon.settlement == "Wonsan"
    assert songdowon.latitude is not None
    assert songdowon.longitude is not None
    assert 39.0 < float(songdowon.latitude) < 39.3
    assert 127.3 < float(songdowon.longitude) < 127.6
    assert "approximate" in songdowon.notes


def test_facilities_load_puts_crimea_in_ukraine_as_occupied() -> None:
    seeding.facilities_load()

    artek = Facility.objects.get(name_latin="Artek International Children's Centre")
    assert artek.country == "UA"
    assert artek.region == "Autonomous Republic of Crimea (occupied)"


def test_facilities_seed_rows_are_unique_by_name_and_country_and_explained() -> None:
    rows = seeding.read_seed("facilities.json")

    keys = [(row["name"], row["country"]) for row in rows]
    assert len(keys) == len(set(keys))
    for row in rows:
        assert row["notes"], row["name_latin"]
        assert "approximate" in row["notes"]


def test_facilities_load_restores_an_edited_facility_by_name_and_country() -> None:
    seeding.facilities_load()
    songdowon = Facility.objects.get(name_latin="Songdowon International Children's Camp")
    Facility.objects.filter(pk=songdowon.pk).update(latitude=None, longitude=None, notes="")
    total = Facility.objects.count()

    counts = seeding.facilities_load()

    assert counts.updated == 1
    assert counts.created == 0
    assert Facility.objects.count() == total
    songdowon.refresh_from_db()
    assert songdowon.latitude is not None
    assert "Wonsan" in songdowon.notes

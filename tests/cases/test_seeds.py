"""Seeds: reference data loads idempotently through the services; demo cases are synthetic,
stable across runs, and behave like any other case; the demo admin is a development tool only."""

from __future__ import annotations

import json
import stat
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

from accounts.models import User
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
from cases.workflow import FOLLOW_UP_DAYS, Phase, Status

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


def test_russified_uses_the_russian_form_of_known_names() -> None:
    assert seeding.russified("Олександр", "first") == "Александр"
    assert seeding.russified("Олексійович", "patronymic") == "Алексеевич"


# ---------------------------------------------------------------------------------------------
# Demo cases
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def demo(django_capture_on_commit_callbacks: Any) -> list[Case]:
    """Fourteen demo cases (every status), with the follow-up scheduling their commits trigger."""
    with django_capture_on_commit_callbacks(execute=True):
        _load_seeds(demo=14)
    return list(Case.objects.select_related("child").order_by("pk"))


def test_load_seeds_demo_makes_n_synthetic_cases(demo: list[Case]) -> None:
    assert len(demo) == 14
    assert all(case.is_synthetic and case.child.is_synthetic for case in demo)
    assert seeding.demo_indexes_present() == set(range(14))


def test_load_seeds_demo_rerun_with_same_n_keeps_n(
    demo: list[Case], django_capture_on_commit_callbacks: Any
) -> None:
    counts = _row_counts()

    with django_capture_on_commit_callbacks(execute=True):
        output = _load_seeds(demo=14)

    assert "Demo cases: 0 created, 0 updated, 14 unchanged." in output
    assert _row_counts() == counts


def test_load_seeds_demo_larger_n_adds_the_difference(
    demo: list[Case], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        output = _load_seeds(demo=17)

    assert "Demo cases: 3 created, 0 updated, 14 unchanged." in output
    assert Case.objects.count() == 17
    assert seeding.demo_indexes_present() == set(range(17))


def test_demo_cases_spread_over_statuses_phases_priorities_pathways_and_oblasts(
    demo: list[Case],
) -> None:
    assert {case.status for case in demo} == set(Status.values)
    assert {case.phase for case in demo} == set(Phase.values)
    assert len({case.priority for case in demo}) == 4
    assert len({case.pathway for case in demo}) >= 5
    assert len({case.child.origin_oblast_id for case in demo}) >= 5


def test_demo_returned_cases_have_their_follow_ups(demo: list[Case]) -> None:
    returned = [case for case in demo if case.status in RETURNED]

    assert returned
    for case in returned:
        assert case.returned_on is not None
        days = case.follow_ups.order_by("days_after_return").values_list(
            "days_after_return", flat=True
        )
        assert list(days) == list(FOLLOW_UP_DAYS)


def test_demo_cases_history_matches_their_version(demo: list[Case]) -> None:
    for case in demo:
        changes = list(case.status_changes.order_by("case_version"))
        assert changes[0].from_status == ""
        assert changes[-1].to_status == case.status
        assert changes[-1].case_version == case.version == len(changes)


def test_demo_songdowon_cases_from_donetsk_and_simferopol(demo: list[Case]) -> None:
    at_songdowon = [
        case
        for case in demo
        if case.child.current_whereabouts is not None
        and case.child.current_whereabouts.facility is not None
        and case.child.current_whereabouts.facility.country == "KP"
    ]

    origins = {(c.child.origin_oblast_id, c.child.origin_settlement) for c in at_songdowon}
    assert ("UA-14", "Донецьк") in origins
    assert ("UA-43", "Сімферополь") in origins
    for case in at_songdowon:
        assert case.child.current_whereabouts is not None
        distance = case.child.current_whereabouts.distance_from_home_km()
        assert distance is not None
        assert distance > 6000


def test_demo_cases_show_distances_from_home(demo: list[Case]) -> None:
    distances = [
        case.child.current_whereabouts.distance_from_home_km()
        for case in demo
        if case.child.current_whereabouts is not None
    ]

    assert sum(1 for d in distances if d is not None and d > 100) >= 5


def test_demo_children_have_russified_aliases_found_by_search(demo: list[Case]) -> None:
    from cases.selectors import case_search

    aliases = ChildAlias.objects.filter(kind="russified", child__is_synthetic=True)
    assert aliases.exists()
    alias = aliases.first()
    assert alias is not None

    found = case_search(Case.objects.all(), alias.name)

    assert found.filter(child=alias.child).exists()


def test_demo_relatives_have_obviously_fake_contacts(demo: list[Case]) -> None:
    relatives = Relative.objects.filter(child__is_synthetic=True)

    assert relatives.exists()
    for relative in relatives:
        assert relative.phone.startswith("+380 00 ")
        assert relative.email.endswith("@example.org")


def test_demo_cases_have_services_after_return(demo: list[Case]) -> None:
    rehabilitating = [c for c in demo if c.status in (Status.REHABILITATION, Status.INTEGRATION)]

    assert rehabilitating
    for case in rehabilitating:
        assert case.services.exists()


def test_load_seeds_rejects_a_negative_count() -> None:
    with pytest.raises(CommandError):
        _load_seeds(demo=-1)


# ---------------------------------------------------------------------------------------------
# Demo admin
# ---------------------------------------------------------------------------------------------
def _create_demo_admin(**options: Any) -> str:
    out = StringIO()
    call_command("create_demo_admin", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo_settings(settings: Any, tmp_path: Any) -> Any:
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    return settings


def test_create_demo_admin_is_idempotent(demo_settings: Any) -> None:
    first = _create_demo_admin()
    second = _create_demo_admin()

    assert first == second
    user = User.objects.get(username="admin")
    assert User.objects.filter(username="admin").count() == 1
    assert user.is_superuser
    assert user.is_staff
    stored = json.loads((demo_settings.VAR_DIR / "demo-admin.json").read_text())
    password = stored["admin"]["password"]
    assert user.check_password(password)
    token = Token.objects.get(user=user)
    assert Token.objects.filter(user=user).count() == 1
    for expected in (password, token.key, "/admin/", "/api/v1/cases/"):
        assert expected in first


def test_create_demo_admin_keeps_the_login_readable_by_its_owner_only(demo_settings: Any) -> None:
    _create_demo_admin(username="demo")

    mode = stat.S_IMODE((demo_settings.VAR_DIR / "demo-admin.json").stat().st_mode)
    assert mode == 0o600


def test_create_demo_admin_refuses_without_debug(settings: Any, tmp_path: Any) -> None:
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path

    with pytest.raises(CommandError, match="DEBUG"):
        _create_demo_admin()

    assert not User.objects.filter(username="admin").exists()
    assert not (tmp_path / "demo-admin.json").exists()


def test_create_demo_admin_refuses_to_take_over_an_existing_user(demo_settings: Any) -> None:
    User.objects.create_user(username="admin", password="someone-elses-password-1")

    with pytest.raises(CommandError, match="already exists"):
        _create_demo_admin()

    assert User.objects.get(username="admin").check_password("someone-elses-password-1")

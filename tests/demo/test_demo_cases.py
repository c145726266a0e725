"""Demo cases (``load_demo --cases N``): synthetic, written through the services, stable across
runs, and behaving like any other case."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

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
from cases.seeding import facilities_load
from cases.workflow import FOLLOW_UP_DAYS, Phase, Status
from demo import seeding

pytestmark = pytest.mark.django_db

RETURNED = (Status.RETURNED, Status.REHABILITATION, Status.INTEGRATION)


def _load_demo(**options: Any) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **options)
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


def test_russified_uses_the_russian_form_of_known_names() -> None:
    assert seeding.russified("Олександр", "first") == "Александр"
    assert seeding.russified("Олексійович", "patronymic") == "Алексеевич"


# ---------------------------------------------------------------------------------------------
# Demo cases
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def demo(django_capture_on_commit_callbacks: Any) -> list[Case]:
    """Fourteen demo cases (every status), with the follow-up scheduling their commits trigger."""
    facilities_load()
    with django_capture_on_commit_callbacks(execute=True):
        _load_demo(cases=14)
    return list(Case.objects.select_related("child").order_by("pk"))


def test_load_demo_cases_makes_n_synthetic_cases(demo: list[Case]) -> None:
    assert len(demo) == 14
    assert all(case.is_synthetic and case.child.is_synthetic for case in demo)
    assert seeding.demo_indexes_present() == set(range(14))


def test_load_demo_cases_rerun_with_same_n_keeps_n(
    demo: list[Case], django_capture_on_commit_callbacks: Any
) -> None:
    counts = _row_counts()

    with django_capture_on_commit_callbacks(execute=True):
        output = _load_demo(cases=14)

    assert "Demo cases: 0 created, 0 updated, 14 unchanged." in output
    assert _row_counts() == counts


def test_load_demo_cases_larger_n_adds_the_difference(
    demo: list[Case], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        output = _load_demo(cases=17)

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
        # Each move took a version; the case's records (relatives, whereabouts, services,
        # follow-ups, shares) took the others, so the moves' versions rise up to the case's.
        versions = [change.case_version for change in changes]
        assert versions == sorted(set(versions))
        assert versions[0] == 1
        assert versions[-1] <= case.version


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


def test_load_demo_rejects_a_negative_count() -> None:
    with pytest.raises(CommandError):
        _load_demo(cases=-1)


def test_load_demo_says_what_it_takes_when_given_nothing() -> None:
    with pytest.raises(CommandError, match="--cases N, --synthetic N"):
        _load_demo()


def test_load_demo_asks_for_the_reference_data_first() -> None:
    Oblast.objects.all().delete()  # the suite preloads them

    with pytest.raises(CommandError, match="load_seeds"):
        _load_demo(cases=1)

    assert not Case.objects.exists()

"""The bulk generator writes rows the services and selectors treat as normal: every database
constraint holds, the history matches the version, search finds the children in any script."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Min, Q

from cases import names, seeding, selectors, services
from cases.models import Case, Child, ChildAlias, StatusChange, Whereabouts
from cases.workflow import ClosureReason, Status, find_transition
from demo.synthetic import SYNTHETIC_NOTE, synthetic_cases_generate
from tests.factories.accounts import make_member

pytestmark = pytest.mark.django_db

RETURNED = (Status.RETURNED, Status.REHABILITATION, Status.INTEGRATION)


@pytest.fixture
def generated() -> list[Case]:
    seeding.oblasts_sync()
    seeding.facilities_load()
    written = synthetic_cases_generate(count=300, seed=7, batch_size=120, progress=False)
    assert written == 300
    return list(Case.objects.select_related("child").order_by("pk"))


def test_synthetic_generate_writes_n_synthetic_cases_with_unique_numbers(
    generated: list[Case],
) -> None:
    assert len(generated) == 300
    assert all(c.is_synthetic and c.child.is_synthetic for c in generated)
    assert all(c.child.distinguishing_notes == SYNTHETIC_NOTE for c in generated)
    numbers = [c.number for c in generated]
    assert len(set(numbers)) == 300
    assert all(n.startswith("UA-20") and len(n) == len("UA-2024-000001") for n in numbers)
    # One child per case, as the one-open-case rule wants.
    assert len({c.child_id for c in generated}) == 300


def test_synthetic_case_numbers_continue_the_service_sequence(generated: list[Case]) -> None:
    year = services.today().year
    last = max(int(c.number[-6:]) for c in generated if c.number.startswith(f"UA-{year}-"))

    assert services.case_numbers_allocate(year=year)[0] == f"UA-{year}-{last + 1:06d}"


def test_synthetic_statuses_satisfy_the_workflow_constraints(generated: list[Case]) -> None:
    today = services.today()
    statuses = Counter(c.status for c in generated)
    assert set(statuses) >= {Status.REPORTED, Status.SEARCHING, Status.LOCATED, Status.CLOSED}
    assert statuses[Status.SEARCHING] > statuses[Status.INTEGRATION]
    for case in generated:
        if case.status == Status.CLOSED:
            assert case.closure_reason in ClosureReason.values
            assert case.closed_at is not None
        else:
            assert case.closure_reason == ""
        if case.status in RETURNED:
            assert case.returned_on is not None
        if case.returned_on is not None:
            assert case.deported_on is None or case.returned_on >= case.deported_on
            assert case.returned_on <= today
        if case.deported_on is not None:
            assert case.deported_on <= today
            if case.child.date_of_birth is not None:
                assert case.child.date_of_birth <= case.deported_on
        if case.child.date_of_birth is None:
            assert case.child.date_of_birth_precision == "estimated"
        assert (case.child.origin_latitude is None) == (case.child.origin_longitude is None)
        assert case.created_at <= case.status_changed_at


def test_synthetic_history_is_a_walk_through_the_workflow_table(generated: list[Case]) -> None:
    changes: dict[int, list[StatusChange]] = {}
    for change in StatusChange.objects.order_by("case_id", "case_version"):
        changes.setdefault(change.case_id, []).append(change)

    for case in generated:
        history = changes[case.pk]
        assert history[0].from_status == ""
        assert history[0].to_status == Status.REPORTED
        assert history[0].changed_at == case.created_at
        assert [c.case_version for c in history] == list(range(1, len(history) + 1))
        assert history[-1].case_version == case.version
        assert history[-1].to_status == case.status
        assert history[-1].changed_at == case.status_changed_at
        for before, after in itertools.pairwise(history):
            assert after.from_status == before.to_status
            assert find_transition(before.to_status, after.to_status) is not None
            assert after.changed_at >= before.changed_at


def test_synthetic_current_whereabouts_is_the_latest_stay(generated: list[Case]) -> None:
    with_stays = Child.objects.annotate(stays=Count("whereabouts")).filter(stays__gt=0)
    assert with_stays.count() > 150
    assert not with_stays.filter(current_whereabouts__isnull=True).exists()
    assert not Child.objects.filter(
        whereabouts__isnull=True, current_whereabouts__isnull=False
    ).exists()
    for child in with_stays.select_related("current_whereabouts")[:100]:
        latest = child.whereabouts.order_by("-from_date", "-id").first()
        assert child.current_whereabouts == latest


def test_synthetic_whereabouts_have_ordered_dates_and_paired_coordinates(
    generated: list[Case],
) -> None:
    today = services.today()
    assert not Whereabouts.objects.filter(to_date__lt=F("from_date")).exists()
    assert not Whereabouts.objects.filter(from_date__gt=today).exists()
    assert not Whereabouts.objects.filter(
        Q(latitude__isnull=True, longitude__isnull=False)
        | Q(latitude__isnull=False, longitude__isnull=True)
    ).exists()
    at_facility = Whereabouts.objects.filter(facility__isnull=False).select_related("facility")
    for stay in at_facility:
        assert stay.facility is not None
        assert stay.country == stay.facility.country
    distances = [
        c.child.current_whereabouts.distance_from_home_km()
        for c in Case.objects.select_related(
            "child", "child__current_whereabouts", "child__current_whereabouts__facility"
        )
        if c.child.current_whereabouts is not None
    ]
    assert any(d is not None and d > 100 for d in distances)


def test_synthetic_children_have_derived_latin_forms(generated: list[Case]) -> None:
    for case in generated[:50]:
        child = case.child
        assert child.given_name_latin == names.latin_kmu(child.given_name)
        assert child.family_name_latin == names.latin_kmu(child.family_name)
        assert child.patronymic_latin == names.latin_kmu(child.patronymic)


def test_synthetic_children_are_found_by_search_in_latin_and_cyrillic(
    generated: list[Case],
) -> None:
    # The demo organizations own the generated cases; an auditor sees every one of them.
    visible = selectors.case_list(actor=make_member("auditor"))
    assert visible.count() == len(generated)
    for case in generated[:20]:
        child = case.child
        by_cyrillic = selectors.case_search(visible, f"{child.family_name} {child.given_name}")
        by_latin = selectors.case_search(
            visible, f"{child.family_name_latin} {child.given_name_latin}"
        )
        assert by_cyrillic.filter(pk=case.pk).exists()
        assert by_latin.filter(pk=case.pk).exists()


def test_synthetic_search_keys_match_what_the_services_would_write(
    generated: list[Case],
) -> None:
    for case in generated[:50]:
        child = case.child
        expected = services.child_refresh_search_text(child=child, save=False).search_text
        assert Child.objects.get(pk=child.pk).search_text == expected


def test_synthetic_aliases_are_russified_and_searchable(generated: list[Case]) -> None:
    aliases = ChildAlias.objects.filter(kind="russified").select_related("child")
    assert aliases.exists()
    alias = aliases.first()
    assert alias is not None

    found = selectors.children_search(query=alias.name)

    assert found.filter(pk=alias.child_id).exists()


def test_synthetic_rows_work_with_the_services(generated: list[Case]) -> None:
    case = next(c for c in generated if c.status == Status.SEARCHING)

    moved = services.case_transition(case_id=case.pk, to=Status.LOCATED, actor=None)

    assert moved.version == case.version + 1
    last = moved.status_changes.order_by("-case_version").first()
    assert last is not None
    assert last.case_version == moved.version


def test_synthetic_dates_spread_over_the_years(generated: list[Case]) -> None:
    span = Case.objects.aggregate(first=Min("created_at"), last=Max("created_at"))

    assert span["last"] - span["first"] > dt.timedelta(days=365)


def test_synthetic_generate_with_same_seed_draws_the_same_children() -> None:
    seeding.oblasts_sync()
    synthetic_cases_generate(count=5, seed=3, progress=False)
    first = list(Child.objects.order_by("pk").values_list("family_name", "given_name"))
    synthetic_cases_generate(count=5, seed=3, progress=False)

    again = list(Child.objects.order_by("pk").values_list("family_name", "given_name"))[5:]

    assert again == first


def test_load_demo_synthetic_adds_n_each_run() -> None:
    out = StringIO()
    call_command("load_demo", synthetic=40, stdout=out, verbosity=0)
    call_command("load_demo", synthetic=25, stdout=out, verbosity=0)

    assert Case.objects.filter(is_synthetic=True).count() == 65


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_synthetic_parallel_load_passes_the_postgres_only_rules() -> None:
    """Outside a transaction, PostgreSQL loads with several connections at once, and the rows
    must pass the triggers and date CHECKs that exist only there when each batch commits."""
    seeding.oblasts_sync()
    seeding.facilities_load()

    written = synthetic_cases_generate(count=240, seed=11, batch_size=40, progress=False)

    assert written == 240
    assert Case.objects.count() == 240
    assert len(set(Case.objects.values_list("number", flat=True))) == 240
    assert StatusChange.objects.filter(case_version=1).count() == 240
    assert not Child.objects.filter(
        whereabouts__isnull=False, current_whereabouts__isnull=True
    ).exists()

"""Depth tests of ``cases.services`` beyond the workflow: opening and changing cases, names and
aliases, whereabouts and distance from home, relatives, follow-ups and support services."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases import names, services
from cases.exceptions import CaseNotFound, OpenCaseExists, StaleVersion
from cases.models import (
    Case,
    CaseNumberSequence,
    Child,
    ChildAlias,
    Facility,
    FollowUp,
    Relative,
    Service,
    StatusChange,
    Whereabouts,
    distance_km,
)
from cases.workflow import Status
from core.errors import NotFound, ValidationFailed
from tests.factories.cases import make_relative, make_whereabouts, move_case

pytestmark = pytest.mark.django_db

DONETSK = (Decimal("48.015883"), Decimal("37.802850"))
SIMFEROPOL = (Decimal("44.952117"), Decimal("34.102417"))
SONGDOWON = (Decimal("39.180000"), Decimal("127.430000"))  # the camp near Wonsan, DPRK


def new_child(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_name": "Юрій",
        "family_name": "Згурський",
        "patronymic": "Олександрович",
        "sex": "male",
        "date_of_birth": dt.date(2011, 9, 3),
        "date_of_birth_precision": "exact",
    }
    data.update(overrides)
    return data


def open_case(actor: Any = None, *, child: dict[str, Any] | None = None, **data: Any) -> Case:
    data.setdefault("deported_on", dt.date(2022, 6, 1))
    return services.case_create(
        actor=actor, child_data=child or new_child(), data=data, is_synthetic=True
    )


def row_counts() -> dict[str, int]:
    return {
        "children": Child.objects.count(),
        "cases": Case.objects.count(),
        "aliases": ChildAlias.objects.count(),
        "changes": StatusChange.objects.count(),
    }


def refused_on(field: str, call: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as excinfo:
        call()
    assert field in excinfo.value.fields, excinfo.value.fields
    return excinfo.value


# ---------------------------------------------------------------------------------------------
# case_create
# ---------------------------------------------------------------------------------------------
def test_case_create_derives_the_kmu_latin_forms(user):
    case = open_case(user)
    child = Child.objects.get(pk=case.child_id)
    assert child.family_name_latin == "Zghurskyi"
    assert child.given_name_latin == "Yurii"
    assert child.patronymic_latin == "Oleksandrovych"
    assert child.full_name_latin == "Zghurskyi Yurii Oleksandrovych"


@pytest.mark.parametrize("apostrophe", ["'", "’", "ʼ", "`", "‘"])
def test_case_create_normalises_apostrophes_and_drops_them_in_latin(apostrophe, user):
    case = open_case(
        user,
        child=new_child(given_name=f"Мар{apostrophe}яна", family_name=f"П{apostrophe}ятниця"),
    )
    child = Child.objects.get(pk=case.child_id)
    assert child.given_name == "Марʼяна"
    assert child.family_name == "Пʼятниця"
    assert child.given_name_latin == "Mariana"
    assert child.family_name_latin == "Piatnytsia"


def test_case_create_cleans_spaces_in_names(user):
    case = open_case(user, child=new_child(given_name="  Анна-Марія ", family_name="Ко  валь"))
    child = Child.objects.get(pk=case.child_id)
    assert child.given_name == "Анна-Марія"
    assert child.given_name_latin == "Anna-Mariia"
    assert child.family_name == "Ко валь"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("given_name", "Yurii"),  # Latin: the Latin form is derived, never typed
        ("family_name", "Zgurskyi"),
        ("given_name", "Эдуард"),  # Russian letters that Ukrainian has not
        ("family_name", "Ёлкин"),
        ("family_name", "Подъячев"),
        ("patronymic", "Ыванович"),
        ("given_name", "Юрій2"),
        ("family_name", "Зг@рський"),
        ("given_name", "Jurій"),  # mixed scripts
        ("given_name", "-"),  # no letter at all
        ("family_name", "ʼ"),
    ],
)
def test_case_create_refuses_a_name_not_in_ukrainian_cyrillic(field, value, user):
    before = row_counts()
    refused_on(field, lambda: open_case(user, child=new_child(**{field: value})))
    assert row_counts() == before


@pytest.mark.parametrize("field", ["given_name", "family_name"])
def test_case_create_requires_given_and_family_name(field, user):
    refused_on(field, lambda: open_case(user, child=new_child(**{field: "  "})))


def test_case_create_patronymic_is_optional(user):
    case = open_case(user, child=new_child(patronymic=""))
    assert Child.objects.get(pk=case.child_id).patronymic_latin == ""


def test_case_create_refuses_a_future_birth_date(user):
    tomorrow = services.today() + dt.timedelta(days=1)
    before = row_counts()
    refused_on("date_of_birth", lambda: open_case(user, child=new_child(date_of_birth=tomorrow)))
    assert row_counts() == before


@pytest.mark.parametrize(
    "born", [dt.date(1, 1, 1), dt.date(1012, 5, 14), dt.date(1906, 5, 14), dt.date(1995, 12, 31)]
)
def test_case_create_and_update_refuse_a_birth_date_no_child_can_have(user, born):
    before = row_counts()
    child = new_child(date_of_birth=born)
    error = refused_on("date_of_birth", lambda: open_case(user, child=child))
    assert row_counts() == before
    assert services.EARLIEST_BIRTH.isoformat() in error.detail
    case = open_case(user)
    refused_on(
        "date_of_birth",
        lambda: services.case_update(case=case, actor=user, child_data={"date_of_birth": born}),
    )
    assert Child.objects.get(pk=case.child_id).date_of_birth == dt.date(2011, 9, 3)


def test_case_create_accepts_the_earliest_birth_date(user):
    case = open_case(
        user,
        child=new_child(date_of_birth=services.EARLIEST_BIRTH, date_of_birth_precision="year"),
        deported_on=dt.date(2014, 3, 1),
    )
    assert Child.objects.get(pk=case.child_id).birth_year == 1996


@pytest.mark.parametrize("precision", ["exact", "month", "year"])
def test_case_create_unknown_birth_date_must_be_estimated(precision, user):
    child = new_child(date_of_birth=None, date_of_birth_precision=precision)
    refused_on("date_of_birth_precision", lambda: open_case(user, child=child))


def test_case_create_unknown_birth_date_estimated_accepted(user):
    case = open_case(user, child=new_child(date_of_birth=None, date_of_birth_precision="estimated"))
    assert Child.objects.get(pk=case.child_id).birth_year is None


def test_case_create_refuses_deportation_before_birth(user):
    before = row_counts()
    error = refused_on(
        "deported_on",
        lambda: open_case(
            user,
            child=new_child(date_of_birth=dt.date(2016, 2, 2)),
            deported_on=dt.date(2016, 2, 1),
        ),
    )
    # Error messages never carry the child's personal data.
    assert "2016" not in error.detail
    assert "Юрій" not in error.detail
    assert row_counts() == before


def test_case_create_refuses_future_deportation(user):
    refused_on(
        "deported_on",
        lambda: open_case(user, deported_on=services.today() + dt.timedelta(days=1)),
    )


@pytest.mark.parametrize(
    ("child_extra", "case_extra", "field"),
    [
        ({"given_name_latin": "Yurii"}, {}, "given_name_latin"),
        ({"search_text": "x"}, {}, "search_text"),
        ({"is_synthetic": True}, {}, "is_synthetic"),
        ({}, {"number": "UA-2020-000001"}, "number"),
        ({}, {"status": "closed"}, "status"),
        ({}, {"version": 7}, "version"),
        ({}, {"child": None}, "child"),
        ({}, {"colour": "blue"}, "colour"),
    ],
)
def test_case_create_refuses_unknown_fields(child_extra, case_extra, field, user):
    before = row_counts()
    with pytest.raises(ValidationFailed) as excinfo:
        services.case_create(actor=user, child_data=new_child(**child_extra), data={**case_extra})
    assert list(excinfo.value.fields) == [field]
    assert row_counts() == before


def test_case_create_needs_exactly_one_of_child_and_child_data(user):
    case = open_case(user)
    move_case(case, Status.CLOSED)
    with pytest.raises(ValidationFailed) as excinfo:
        services.case_create(actor=user, child=case.child, child_data=new_child())
    assert list(excinfo.value.fields) == ["child"]
    with pytest.raises(ValidationFailed):
        services.case_create(actor=user)


def test_case_create_failure_leaves_no_half_written_rows(user):
    before = row_counts()
    # The child and its aliases are valid; the case is not (taken before birth): nothing stays.
    with pytest.raises(ValidationFailed):
        services.case_create(
            actor=user,
            child_data=new_child(date_of_birth=dt.date(2020, 1, 1)),
            data={"deported_on": dt.date(2019, 1, 1)},
            aliases=[{"name": "Юрий Згурский", "kind": "russified"}],
        )
    assert row_counts() == before
    # A bad alias after a valid child: nothing stays either.
    with pytest.raises(ValidationFailed):
        services.case_create(
            actor=user,
            child_data=new_child(),
            aliases=[{"name": "Юрий", "kind": "no_such_kind"}],
        )
    assert row_counts() == before


def test_case_create_numbers_are_formatted_and_consecutive(user):
    year = timezone.localdate().year
    first = open_case(user)
    second = open_case(user, child=new_child(given_name="Іван"))
    assert first.number == f"UA-{year}-000001"
    assert second.number == f"UA-{year}-000002"
    assert CaseNumberSequence.objects.get(year=year).last == 2


def test_case_create_continues_the_years_sequence(user):
    year = timezone.localdate().year
    CaseNumberSequence.objects.create(year=year, last=41)
    assert open_case(user).number == f"UA-{year}-000042"


def test_case_numbers_allocate_takes_a_block():
    assert services.case_numbers_allocate(year=2031, count=3) == [
        "UA-2031-000001",
        "UA-2031-000002",
        "UA-2031-000003",
    ]
    assert services.case_numbers_allocate(year=2031) == ["UA-2031-000004"]
    assert services.case_numbers_allocate(year=2032) == ["UA-2032-000001"]


def test_case_create_records_the_first_status_change(user):
    case = open_case(user)
    assert case.status == Status.REPORTED
    assert case.version == 1
    assert case.created_by == user
    assert case.is_synthetic
    assert Child.objects.get(pk=case.child_id).is_synthetic
    change = StatusChange.objects.get(case=case)
    assert change.from_status == ""
    assert change.to_status == Status.REPORTED
    assert change.actor == user
    assert change.case_version == 1
    assert change.reason
    assert change.changed_at == case.status_changed_at


def test_case_create_for_a_known_child_with_only_closed_cases(user):
    case = open_case(user)
    move_case(case, Status.CLOSED)
    second = services.case_create(actor=user, child=case.child, data={"priority": "urgent"})
    assert second.child_id == case.child_id
    assert second.priority == "urgent"
    with pytest.raises(OpenCaseExists):
        services.case_create(actor=user, child=case.child)


def test_case_create_with_aliases_puts_them_in_the_search_keys(user):
    case = services.case_create(
        actor=user,
        child_data=new_child(),
        aliases=[{"name": "Юрий Згурский", "kind": "russified", "seen_in": "adoption listing"}],
    )
    child = Child.objects.get(pk=case.child_id)
    assert child.aliases.count() == 1
    # The keys are in search form (``names.search_form``: и and і as one letter).
    assert names.search_form("юрий") in child.search_text.split()
    assert names.search_form("згурский") in child.search_text.split()


# ---------------------------------------------------------------------------------------------
# case_update and child_update
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "field", ["status", "returned_on", "closure_reason", "closed_at", "status_changed_at"]
)
def test_case_update_refuses_workflow_fields(field, user):
    case = open_case(user)
    value: Any = {
        "status": "closed",
        "returned_on": dt.date(2023, 1, 1),
        "closure_reason": "duplicate",
        "closed_at": timezone.now(),
        "status_changed_at": timezone.now(),
    }[field]
    row = Case.objects.filter(pk=case.pk).values().get()
    with pytest.raises(ValidationFailed) as excinfo:
        services.case_update(case=case, actor=user, data={field: value})
    assert list(excinfo.value.fields) == [field]
    assert Case.objects.filter(pk=case.pk).values().get() == row


@pytest.mark.parametrize("field", ["number", "version", "child", "created_by", "nickname"])
def test_case_update_refuses_unknown_fields(field, user):
    case = open_case(user)
    with pytest.raises(ValidationFailed) as excinfo:
        services.case_update(case=case, actor=user, data={field: "x"})
    assert list(excinfo.value.fields) == [field]


def test_case_update_refuses_a_stale_expected_version(user):
    case = open_case(user)
    services.case_update(case=case, actor=user, data={"priority": "high"})  # version 2
    with pytest.raises(StaleVersion):
        services.case_update(case=case, actor=user, data={"priority": "urgent"}, expected_version=1)
    stored = Case.objects.get(pk=case.pk)
    assert stored.priority == "high"
    assert stored.version == 2
    updated = services.case_update(
        case=case, actor=user, data={"priority": "urgent"}, expected_version=2
    )
    assert updated.version == 3


def test_case_update_bumps_version_only_on_a_real_change(user):
    case = open_case(user, priority="high", circumstances="synthetic")
    same = services.case_update(
        case=case, actor=user, data={"priority": "high", "circumstances": "synthetic"}
    )
    assert same.version == 1
    assert services.case_update(case=case, actor=user, data={}).version == 1
    changed = services.case_update(case=case, actor=user, data={"priority": "low"})
    assert changed.version == 2
    assert Case.objects.get(pk=case.pk).version == 2
    # A transition does not count as an update; the next update continues from its version.
    move_case(case, Status.VERIFYING)
    assert services.case_update(case=case, actor=user, data={"priority": "urgent"}).version == 4


def test_case_update_writes_no_status_change(user):
    case = open_case(user)
    services.case_update(case=case, actor=user, data={"priority": "low"})
    assert StatusChange.objects.filter(case=case).count() == 1


def test_case_update_validates_what_it_writes(user):
    case = open_case(user)
    refused_on(
        "priority", lambda: services.case_update(case=case, actor=user, data={"priority": "meh"})
    )
    refused_on(
        "deported_on",
        lambda: services.case_update(
            case=case, actor=user, data={"deported_on": services.today() + dt.timedelta(days=1)}
        ),
    )
    assert Case.objects.get(pk=case.pk).version == 1


def test_case_update_child_rederives_latin_and_search_keys(user):
    case = open_case(user, child=new_child(family_name="Коваль"))
    assert "koval" in Child.objects.get(pk=case.child_id).search_text.split()
    updated = services.case_update(
        case=case, actor=user, child_data={"family_name": "Щербак", "given_name": "Ярослав"}
    )
    child = Child.objects.get(pk=case.child_id)
    assert child.family_name_latin == "Shcherbak"
    assert child.given_name_latin == "Yaroslav"
    keys = child.search_text.split()
    assert {"щербак", "shcherbak", "ярослав", "yaroslav"} <= set(keys)
    assert "koval" not in keys
    assert "коваль" not in keys
    assert updated.version == 2  # the child is part of the case record


def test_case_update_child_without_change_keeps_version(user):
    case = open_case(user)
    child = Child.objects.get(pk=case.child_id)
    same = services.case_update(
        case=case, actor=user, child_data={"given_name": child.given_name, "sex": child.sex}
    )
    assert same.version == 1


def test_case_update_child_refuses_bad_names_and_changes_nothing(user):
    case = open_case(user)
    before = Child.objects.filter(pk=case.child_id).values().get()
    refused_on(
        "family_name",
        lambda: services.case_update(case=case, actor=user, child_data={"family_name": "Smith"}),
    )
    assert Child.objects.filter(pk=case.child_id).values().get() == before
    assert Case.objects.get(pk=case.pk).version == 1


def test_case_update_unknown_case_is_not_found(user):
    case = open_case(user)
    ghost = Case(pk=case.pk + 1000)
    with pytest.raises(CaseNotFound):
        services.case_update(case=ghost, actor=user, data={"priority": "low"})


def test_child_update_refuses_unknown_fields(user):
    case = open_case(user)
    with pytest.raises(ValidationFailed) as excinfo:
        services.child_update(child=case.child, actor=user, data={"family_name_latin": "Smith"})
    assert list(excinfo.value.fields) == ["family_name_latin"]


def test_child_update_returns_changed_fields(user):
    case = open_case(user)
    assert services.child_update(child=case.child, actor=user, data={"sex": "male"}) == []
    assert services.child_update(child=case.child, actor=user, data={"sex": "unknown"}) == ["sex"]


# ---------------------------------------------------------------------------------------------
# Aliases
# ---------------------------------------------------------------------------------------------
def test_child_alias_add_and_remove_change_the_search_keys(user):
    case = open_case(user)
    child = case.child
    assert "aleksandr" not in Child.objects.get(pk=child.pk).search_text.split()
    alias = services.child_alias_add(
        child=child, actor=user, name="Александр Зубков", kind="changed"
    )
    keys = Child.objects.get(pk=child.pk).search_text.split()
    assert {"александр", "aleksandr", "зубков", "zubkov"} <= set(keys)
    services.child_alias_remove(alias=alias, actor=user)
    keys = Child.objects.get(pk=child.pk).search_text.split()
    assert "зубков" not in keys
    assert "zubkov" not in keys
    assert names.search_form("згурський") in keys


def test_child_alias_add_accepts_latin_spellings(user):
    case = open_case(user)
    services.child_alias_add(child=case.child, actor=user, name="Iurii Zgurskii", kind="spelling")
    keys = Child.objects.get(pk=case.child_id).search_text.split()
    assert "iurii" in keys
    assert "zgurskii" in keys


def test_child_alias_add_refuses_a_duplicate_naming_the_field(user):
    case = open_case(user)
    services.child_alias_add(child=case.child, actor=user, name="Юрий", kind="russified")
    refused_on(
        "name",
        lambda: services.child_alias_add(
            child=case.child, actor=user, name=" Юрий ", kind="spelling"
        ),
    )
    assert ChildAlias.objects.filter(child=case.child).count() == 1


def test_child_alias_add_refuses_unknown_kind(user):
    case = open_case(user)
    refused_on(
        "kind", lambda: services.child_alias_add(child=case.child, actor=user, name="Юра", kind="x")
    )


# ---------------------------------------------------------------------------------------------
# Whereabouts, facilities and the distance from home
# ---------------------------------------------------------------------------------------------
def current_of(case: Case) -> Whereabouts | None:
    return (
        Child.objects.select_related("current_whereabouts")
        .get(pk=case.child_id)
        .current_whereabouts
    )


def test_whereabouts_record_points_the_child_at_the_latest_by_start_date(user):
    case = open_case(user)
    first = make_whereabouts(case, actor=user, from_date=dt.date(2022, 7, 1))
    assert current_of(case) == first
    later = make_whereabouts(case, actor=user, from_date=dt.date(2023, 1, 10), country="BY")
    assert current_of(case) == later
    # Recorded later but about an earlier time: the current location does not move.
    earlier = make_whereabouts(case, actor=user, from_date=dt.date(2022, 6, 5))
    assert current_of(case) == later
    assert earlier.recorded_by == user
    # Moving a record's start date later makes it current.
    services.whereabouts_update(
        whereabouts=earlier, actor=user, data={"from_date": dt.date(2023, 5, 1)}
    )
    assert current_of(case) == earlier


def test_whereabouts_same_start_date_latest_recorded_wins(user):
    case = open_case(user)
    make_whereabouts(case, from_date=dt.date(2022, 7, 1))
    second = make_whereabouts(case, from_date=dt.date(2022, 7, 1), country="BY")
    assert current_of(case) == second


def test_whereabouts_delete_falls_back_to_the_previous(user):
    case = open_case(user)
    first = make_whereabouts(case, from_date=dt.date(2022, 7, 1))
    second = make_whereabouts(case, from_date=dt.date(2023, 1, 10))
    services.whereabouts_delete(whereabouts=second, actor=user)
    assert current_of(case) == first
    services.whereabouts_delete(whereabouts=first, actor=user)
    assert current_of(case) is None
    assert Whereabouts.objects.count() == 0


def test_whereabouts_delete_of_an_older_record_keeps_the_current(user):
    case = open_case(user)
    first = make_whereabouts(case, from_date=dt.date(2022, 7, 1))
    second = make_whereabouts(case, from_date=dt.date(2023, 1, 10))
    services.whereabouts_delete(whereabouts=first, actor=user)
    assert current_of(case) == second


def test_whereabouts_record_refuses_unknown_fields(user):
    case = open_case(user)
    with pytest.raises(ValidationFailed) as excinfo:
        make_whereabouts(case, child=None)
    assert list(excinfo.value.fields) == ["child"]


def test_whereabouts_facility_country_mismatch_refused(user):
    case = open_case(user)
    camp = services.facility_save(
        actor=user, data={"name": "Synthetic camp", "kind": "camp", "country": "KP"}
    )
    refused_on("country", lambda: make_whereabouts(case, facility=camp, country="RU"))
    assert Whereabouts.objects.count() == 0


def test_whereabouts_country_defaults_to_the_facilitys(user):
    case = open_case(user)
    camp = services.facility_save(
        actor=user, data={"name": "Synthetic camp", "kind": "camp", "country": "KP"}
    )
    whereabouts = services.whereabouts_record(
        child=case.child,
        actor=user,
        data={
            "facility": camp,
            "from_date": dt.date(2023, 7, 1),
            "source_description": "synthetic",
        },
    )
    assert whereabouts.country == "KP"


def _songdowon() -> Facility:
    return services.facility_save(
        actor=None,
        data={
            "name": "Songdowon International Children's Camp (synthetic test record)",
            "kind": "camp",
            "country": "KP",
            "latitude": SONGDOWON[0],
            "longitude": SONGDOWON[1],
        },
    )


def _haversine_reference(a: tuple[Decimal, Decimal], b: tuple[Decimal, Decimal]) -> float:
    """An independent spherical-law-of-cosines figure to check the service's haversine."""
    lat1, lon1, lat2, lon2 = (math.radians(float(v)) for v in (*a, *b))
    cos_angle = math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(
        lon2 - lon1
    )
    return 6371.0088 * math.acos(cos_angle)


def test_whereabouts_distance_from_home_donetsk_to_songdowon(user):
    case = open_case(user, child=new_child(origin_latitude=DONETSK[0], origin_longitude=DONETSK[1]))
    whereabouts = make_whereabouts(case, facility=_songdowon(), country="KP")
    km = (
        Whereabouts.objects.select_related("child", "facility")
        .get(pk=whereabouts.pk)
        .distance_from_home_km()
    )
    assert km is not None
    # Great-circle, not the ~9,000 km of travel the reporting speaks of.
    assert 6_800 < km < 6_950
    assert km == pytest.approx(_haversine_reference(DONETSK, SONGDOWON), abs=0.1)


def test_whereabouts_distance_from_home_simferopol_to_songdowon(user):
    case = open_case(
        user, child=new_child(origin_latitude=SIMFEROPOL[0], origin_longitude=SIMFEROPOL[1])
    )
    whereabouts = make_whereabouts(case, facility=_songdowon(), country="KP")
    km = whereabouts.distance_from_home_km()
    assert km == pytest.approx(_haversine_reference(SIMFEROPOL, SONGDOWON), abs=0.1)
    assert 7_200 < km < 7_350  # type: ignore[operator]


def test_whereabouts_own_coordinates_take_precedence_over_the_facilitys(user):
    case = open_case(user, child=new_child(origin_latitude=DONETSK[0], origin_longitude=DONETSK[1]))
    whereabouts = make_whereabouts(
        case, facility=_songdowon(), country="KP", latitude=DONETSK[0], longitude=DONETSK[1]
    )
    assert whereabouts.distance_from_home_km() == 0


def test_whereabouts_distance_unknown_without_coordinates(user):
    case = open_case(user)  # no place of origin coordinates
    whereabouts = make_whereabouts(case, facility=_songdowon(), country="KP")
    assert whereabouts.distance_from_home_km() is None
    located = open_case(
        user,
        child=new_child(given_name="Іван", origin_latitude=DONETSK[0], origin_longitude=DONETSK[1]),
    )
    assert make_whereabouts(located, country="RU").distance_from_home_km() is None


def test_distance_km_basic_figures():
    assert distance_km(0, 0, 0, 0) == 0
    assert distance_km(0, 0, 0, 1) == pytest.approx(111.2, abs=0.05)
    assert distance_km(0, 0, 0, 180) == pytest.approx(math.pi * 6371.0088, abs=0.1)
    assert distance_km(None, 0, 0, 0) is None


def test_facility_save_creates_and_updates(user):
    facility = services.facility_save(
        actor=user,
        data={"name": "Synthetic home", "kind": "orphanage", "country": "RU", "region": "X"},
    )
    updated = services.facility_save(actor=user, facility=facility, data={"region": "Y"})
    assert updated.pk == facility.pk
    assert Facility.objects.get(pk=facility.pk).region == "Y"
    refused_on(
        "name",
        lambda: services.facility_save(
            actor=user, data={"name": "Synthetic home", "kind": "orphanage", "country": "RU"}
        ),
    )
    refused_on(
        "kind",
        lambda: services.facility_save(
            actor=user, data={"name": "Z", "kind": "zoo", "country": "RU"}
        ),
    )
    with pytest.raises(ValidationFailed) as unknown:
        services.facility_save(
            actor=user, data={"name": "Z", "kind": "camp", "country": "RU", "owner": "x"}
        )
    assert list(unknown.value.fields) == ["owner"]


# ---------------------------------------------------------------------------------------------
# Relatives
# ---------------------------------------------------------------------------------------------
def test_relative_consent_requires_its_date(user):
    case = open_case(user)
    refused_on("consent_recorded_on", lambda: make_relative(case, consent_to_share=True))
    relative = make_relative(case, consent_to_share=True, consent_recorded_on=dt.date(2024, 3, 1))
    assert relative.consent_to_share
    refused_on(
        "consent_recorded_on",
        lambda: services.relative_update(
            relative=relative, actor=user, data={"consent_recorded_on": None}
        ),
    )
    assert Relative.objects.get(pk=relative.pk).consent_recorded_on == dt.date(2024, 3, 1)


def test_relative_consent_date_not_in_the_future(user):
    case = open_case(user)
    refused_on(
        "consent_recorded_on",
        lambda: make_relative(
            case,
            consent_to_share=True,
            consent_recorded_on=services.today() + dt.timedelta(days=1),
        ),
    )


def test_relative_create_cleans_names_and_refuses_unknown_fields(user):
    case = open_case(user)
    relative = make_relative(case, given_name="  Оксана ", family_name="Дʼяченко")
    assert relative.given_name == "Оксана"
    with pytest.raises(ValidationFailed) as excinfo:
        make_relative(case, child=None)
    assert list(excinfo.value.fields) == ["child"]
    refused_on("relationship", lambda: make_relative(case, relationship="neighbour"))
    refused_on("email", lambda: make_relative(case, email="not-an-email"))


def test_alias_add_with_a_copy_read_before_a_rename_keeps_the_new_name_searchable(user):
    case = open_case(user)
    read_before = Child.objects.get(pk=case.child.pk)
    services.case_update(
        case=case, actor=user, data={}, child_data={"family_name": "Новопрізвищенко"}
    )

    services.child_alias_add(child=read_before, actor=user, name="Юра", kind="nickname")

    stored = Child.objects.get(pk=case.child.pk)
    assert stored.family_name == "Новопрізвищенко"
    assert set(names.search_text(["Новопрізвищенко", "Юра"]).split()) <= set(
        stored.search_text.split()
    )
    assert read_before.family_name == "Новопрізвищенко"


def test_relative_delete(user):
    case = open_case(user)
    relative = make_relative(case)
    services.relative_delete(relative=relative, actor=user)
    assert Relative.objects.count() == 0


def test_relative_update_keeps_what_was_saved_since_the_caller_read_it(user):
    case = open_case(user)
    relative = make_relative(case, phone="+380 00 000 0001")
    read_before = Relative.objects.get(pk=relative.pk)
    services.relative_update(relative=relative, actor=user, data={"phone": "+380 00 000 0002"})

    services.relative_update(relative=read_before, actor=user, data={"address": "Синтетична 1"})

    stored = Relative.objects.get(pk=relative.pk)
    assert (stored.phone, stored.address) == ("+380 00 000 0002", "Синтетична 1")
    assert (read_before.phone, read_before.address) == ("+380 00 000 0002", "Синтетична 1")
    event = AuditEvent.objects.filter(object_type="cases.relative", action="update").latest("id")
    assert set(event.changes) == {"address"}


def test_relative_delete_records_the_values_stored_and_happens_once(user):
    case = open_case(user)
    relative = make_relative(case, phone="+380 00 000 0001")
    read_before = Relative.objects.get(pk=relative.pk)
    services.relative_update(relative=relative, actor=user, data={"phone": "+380 00 000 0002"})

    services.relative_delete(relative=read_before, actor=user)
    with pytest.raises(NotFound):
        services.relative_delete(relative=relative, actor=user)

    deletions = AuditEvent.objects.filter(object_type="cases.relative", action="delete")
    assert [event.changes["phone"] for event in deletions] == [["+380 00 000 0002", None]]
    assert not Relative.objects.exists()


def test_alias_remove_records_the_values_stored_and_happens_once(user):
    case = open_case(user)
    alias = services.child_alias_add(
        child=case.child, actor=user, name="Алексей Згурский", kind="russified"
    )
    ChildAlias.objects.filter(pk=alias.pk).update(seen_in="Синтетичний список")

    services.child_alias_remove(alias=alias, actor=user)
    with pytest.raises(NotFound):
        services.child_alias_remove(alias=alias, actor=user)

    deletions = AuditEvent.objects.filter(object_type="cases.childalias", action="delete")
    assert [event.changes["seen_in"] for event in deletions] == [["Синтетичний список", None]]


def test_relative_update_of_a_relative_deleted_meanwhile_is_not_found(user):
    case = open_case(user)
    relative = make_relative(case)
    read_before = Relative.objects.get(pk=relative.pk)
    services.relative_delete(relative=relative, actor=user)

    with pytest.raises(NotFound):
        services.relative_update(relative=read_before, actor=user, data={"address": "Нова 2"})

    assert not Relative.objects.exists()


# ---------------------------------------------------------------------------------------------
# Follow-ups and support services
# ---------------------------------------------------------------------------------------------
def test_follow_up_complete_records_outcome_and_actor(user):
    case = open_case(user)
    follow_up = services.follow_up_create(
        case=case, actor=user, due_on=dt.date(2024, 2, 1), notes="check"
    )
    done = services.follow_up_complete(
        follow_up=follow_up, actor=user, outcome="concerns", completed_on=dt.date(2024, 2, 3)
    )
    stored = FollowUp.objects.get(pk=done.pk)
    assert stored.outcome == "concerns"
    assert stored.completed_on == dt.date(2024, 2, 3)
    assert stored.completed_by == user
    assert stored.notes == "check"


@pytest.mark.parametrize(
    ("outcome", "completed_on", "field"),
    [
        ("", dt.date(2024, 2, 3), "outcome"),
        ("fine", dt.date(2024, 2, 3), "outcome"),
        ("well", None, "completed_on"),
        ("well", "tomorrow", "completed_on"),
    ],
)
def test_follow_up_complete_refuses_bad_input(outcome, completed_on, field, user):
    case = open_case(user)
    follow_up = services.follow_up_create(case=case, actor=user, due_on=dt.date(2024, 2, 1))
    if completed_on == "tomorrow":
        completed_on = services.today() + dt.timedelta(days=1)
    refused_on(
        field,
        lambda: services.follow_up_complete(
            follow_up=follow_up, actor=user, outcome=outcome, completed_on=completed_on
        ),
    )
    stored = FollowUp.objects.get(pk=follow_up.pk)
    assert stored.completed_on is None
    assert stored.outcome == ""


def test_service_create_and_update_dates(user):
    case = open_case(user)
    service = services.service_create(
        case=case,
        actor=user,
        data={"kind": "psychological", "status": "active", "started_on": dt.date(2024, 2, 1)},
    )
    assert service.pk
    refused_on(
        "ended_on",
        lambda: services.service_update(
            service=service, actor=user, data={"ended_on": dt.date(2024, 1, 1)}
        ),
    )
    assert Service.objects.get(pk=service.pk).ended_on is None
    services.service_update(
        service=service, actor=user, data={"ended_on": dt.date(2024, 3, 1), "status": "completed"}
    )
    assert Service.objects.get(pk=service.pk).status == "completed"


def test_service_start_date_in_the_future_only_when_planned(user):
    case = open_case(user)
    next_week = services.today() + dt.timedelta(days=7)
    planned = services.service_create(
        case=case,
        actor=user,
        data={"kind": "education", "status": "planned", "started_on": next_week},
    )
    assert planned.started_on == next_week
    refused_on(
        "started_on",
        lambda: services.service_create(
            case=case,
            actor=user,
            data={"kind": "education", "status": "active", "started_on": next_week},
        ),
    )
    refused_on(
        "kind", lambda: services.service_create(case=case, actor=user, data={"kind": "magic"})
    )
    with pytest.raises(ValidationFailed) as excinfo:
        services.service_create(case=case, actor=user, data={"kind": "legal", "case": case})
    assert list(excinfo.value.fields) == ["case"]


def test_oblast_upsert_is_idempotent(oblasts):
    assert len(oblasts) == 27
    _, changed = services.oblast_upsert(
        code="UA-14", name_uk=oblasts["UA-14"].name_uk, name_en=oblasts["UA-14"].name_en
    )
    assert not changed
    _, changed = services.oblast_upsert(code="UA-14", name_uk="Донецька область", name_en="X")
    assert changed
    refused_on("code", lambda: services.oblast_upsert(code="UA-999", name_uk="x", name_en="x"))


# ---------------------------------------------------------------------------------------------
# Rules found in review: each enforced by the service, whichever door calls it
# ---------------------------------------------------------------------------------------------
def test_follow_up_complete_refuses_a_second_completion(
    oblasts, django_capture_on_commit_callbacks
):
    from core.errors import Conflict
    from tests.factories.cases import make_case

    case = make_case(oblast=oblasts["UA-14"])
    with django_capture_on_commit_callbacks(execute=True):
        case = move_case(
            case, "verifying", "searching", "located", "return_in_progress", "returned"
        )
    follow_up = case.follow_ups.order_by("due_on")[0]
    services.follow_up_complete(
        follow_up=follow_up, actor=None, outcome="well", completed_on=dt.date(2024, 2, 20)
    )
    with pytest.raises(Conflict) as caught:
        services.follow_up_complete(
            follow_up=follow_up, actor=None, outcome="concerns", completed_on=dt.date(2024, 2, 21)
        )
    assert "completed_on" in caught.value.fields
    follow_up.refresh_from_db()
    assert (follow_up.outcome, follow_up.completed_on) == ("well", dt.date(2024, 2, 20))


def test_case_create_and_update_refuse_an_inactive_assignee(oblasts, home):
    from tests.factories.accounts import make_member
    from tests.factories.cases import make_case

    # A caseworker of the owning organization, but whose account is switched off.
    gone = make_member("caseworker", home, is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        make_case(oblast=oblasts["UA-14"], assignee=gone)
    assert "assignee" in caught.value.fields
    case = make_case(oblast=oblasts["UA-14"])
    with pytest.raises(ValidationFailed) as caught:
        services.case_update(case=case, actor=None, data={"assignee": gone})
    assert "assignee" in caught.value.fields
    case.refresh_from_db()
    assert case.assignee_id is None


@pytest.mark.parametrize(
    ("date_of_birth", "deported_on"),
    [
        (dt.date(2022, 9, 1), dt.date(2023, 1, 10)),  # both later than stored
        (dt.date(2009, 1, 1), dt.date(2010, 6, 1)),  # both earlier than stored
    ],
)
def test_case_update_moves_birth_and_deportation_dates_together(
    oblasts, date_of_birth, deported_on
):
    from tests.factories.cases import make_case

    case = make_case(
        oblast=oblasts["UA-14"],
        child={"date_of_birth": dt.date(2012, 5, 17)},
        deported_on=dt.date(2022, 6, 1),
    )
    updated = services.case_update(
        case=case,
        actor=None,
        data={"deported_on": deported_on},
        child_data={"date_of_birth": date_of_birth},
    )
    updated.refresh_from_db()
    updated.child.refresh_from_db()
    assert (updated.child.date_of_birth, updated.deported_on) == (date_of_birth, deported_on)
    assert updated.version == 2


def test_child_update_keeps_what_was_saved_since_the_caller_read_the_child(user):
    """A caller's copy read before someone else's change: only the fields given are written,
    onto the child as stored now (the other change is kept, and the event compares with it)."""
    case = open_case(user)
    read_before = Child.objects.get(pk=case.child.pk)
    services.case_update(
        case=case, actor=user, data={}, child_data={"date_of_birth": dt.date(2012, 3, 4)}
    )

    changed = services.child_update(
        child=read_before, actor=user, data={"family_name": "Переписаний"}
    )

    stored = Child.objects.get(pk=case.child.pk)
    assert changed == ["family_name"]
    assert (stored.family_name, stored.date_of_birth) == ("Переписаний", dt.date(2012, 3, 4))
    assert (read_before.family_name, read_before.date_of_birth) == (
        "Переписаний",
        dt.date(2012, 3, 4),
    )
    event = AuditEvent.objects.filter(object_type="cases.child", action="update").latest("id")
    assert set(event.changes) == {"family_name", "family_name_latin"}

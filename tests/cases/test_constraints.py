"""Rules the database itself holds, proven by writing around the services; and the same rules
refused by the services with an error naming the field, on every backend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import services
from cases.exceptions import OpenCaseExists
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
from core.errors import ValidationFailed
from tests.factories.cases import (
    home_organization,
    make_case,
    make_relative,
    make_whereabouts,
    move_case,
)

pytestmark = pytest.mark.django_db

DOB = dt.date(2012, 5, 17)
DEPORTED = dt.date(2022, 6, 1)


def raw_child(**fields: Any) -> Child:
    """A child written straight to the table, with none of the services' checks."""
    values: dict[str, Any] = {
        "given_name": "Тестовий",
        "family_name": "Синтетичний",
        "given_name_latin": "Testovyi",
        "family_name_latin": "Syntetychnyi",
        "date_of_birth": DOB,
        "date_of_birth_precision": "exact",
        "is_synthetic": True,
    }
    values.update(fields)
    return Child.objects.create(**values)


_numbers = iter(range(1, 1_000_000))


def raw_case(child: Child | None = None, **fields: Any) -> Case:
    """A case written straight to the table, with none of the services' checks."""
    values: dict[str, Any] = {
        "number": f"UA-2024-{next(_numbers):06d}",
        "child": child or raw_child(),
        "organization": home_organization(),
        "status_changed_at": timezone.now(),
        "deported_on": DEPORTED,
        "is_synthetic": True,
    }
    values.update(fields)
    return Case.objects.create(**values)


def refused(write: Any) -> None:
    """The database refuses ``write`` (a callable) and the transaction stays usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def future_everywhere() -> dt.date:
    """A date that is in the future in every time zone on Earth."""
    return timezone.now().date() + dt.timedelta(days=2)


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------
def test_db_one_open_case_per_child():
    child = raw_child()
    raw_case(child)
    refused(lambda: raw_case(child))
    assert Case.objects.filter(child=child).count() == 1


def test_db_several_closed_cases_per_child_allowed_beside_one_open():
    child = raw_child()
    raw_case(child, status="closed", closure_reason="duplicate")
    raw_case(child, status="closed", closure_reason="transferred")
    raw_case(child, status="searching")
    assert Case.objects.filter(child=child).count() == 3
    assert Case.objects.filter(child=child).open().count() == 1


def test_db_reopening_beside_an_open_case_refused():
    child = raw_child()
    closed = raw_case(child, status="closed", closure_reason="duplicate")
    raw_case(child, status="verifying")
    refused(lambda: Case.objects.filter(pk=closed.pk).update(status="verifying", closure_reason=""))


def test_db_case_needs_an_owning_organization():
    refused(lambda: raw_case(organization=None))
    assert raw_case().organization == home_organization()


def test_db_case_numbers_unique():
    raw_case(number="UA-2024-000777")
    refused(lambda: raw_case(number="UA-2024-000777"))


@pytest.mark.parametrize(
    "number",
    ["UA-24-000001", "XX-2024-000001", "UA-2024-00001", "UA-2024-0000001", "ua-2024-000001", ""],
)
def test_db_case_number_format(number):
    refused(lambda: raw_case(number=number))


def test_db_case_number_format_accepts_the_issued_form():
    assert raw_case(number="UA-2026-000123").number == "UA-2026-000123"


def test_db_case_status_known():
    refused(lambda: raw_case(status="lost"))


def test_db_closed_case_needs_a_closure_reason():
    refused(lambda: raw_case(status="closed", closure_reason=""))
    case = raw_case()
    refused(lambda: Case.objects.filter(pk=case.pk).update(status="closed"))


@pytest.mark.parametrize("status", [s for s in Status.values if s != Status.CLOSED])
def test_db_open_case_has_no_closure_reason(status):
    returned_on = DEPORTED if status in ("returned", "rehabilitation", "integration") else None
    refused(lambda: raw_case(status=status, closure_reason="duplicate", returned_on=returned_on))


@pytest.mark.parametrize("status", ["returned", "rehabilitation", "integration"])
def test_db_returned_statuses_need_a_return_date(status):
    refused(lambda: raw_case(status=status, returned_on=None))
    assert raw_case(status=status, returned_on=dt.date(2023, 1, 1)).status == status


def test_db_closed_case_may_lack_a_return_date():
    case = raw_case(status="closed", closure_reason="deceased", returned_on=None)
    assert case.returned_on is None


def test_db_return_not_before_deportation():
    refused(lambda: raw_case(deported_on=DEPORTED, returned_on=DEPORTED - dt.timedelta(days=1)))
    assert raw_case(deported_on=DEPORTED, returned_on=DEPORTED).returned_on == DEPORTED


def test_db_case_version_positive():
    refused(lambda: raw_case(version=0))


def test_db_status_change_one_per_case_version():
    case = raw_case()
    StatusChange.objects.create(
        case=case, to_status="reported", changed_at=timezone.now(), case_version=1
    )
    refused(
        lambda: StatusChange.objects.create(
            case=case, to_status="verifying", changed_at=timezone.now(), case_version=1
        )
    )


# ---------------------------------------------------------------------------------------------
# Children, places, people, support
# ---------------------------------------------------------------------------------------------
def test_db_child_without_a_birth_date_is_estimated():
    refused(lambda: raw_child(date_of_birth=None, date_of_birth_precision="year"))
    assert raw_child(date_of_birth=None, date_of_birth_precision="estimated").pk


def test_db_alias_unique_per_child():
    child = raw_child()
    ChildAlias.objects.create(child=child, name="Александр", kind="russified")
    refused(lambda: ChildAlias.objects.create(child=child, name="Александр", kind="spelling"))
    other = raw_child()
    assert ChildAlias.objects.create(child=other, name="Александр", kind="russified").pk


COORDINATES_BAD = [
    pytest.param(Decimal("48.0"), None, id="latitude-alone"),
    pytest.param(None, Decimal("37.8"), id="longitude-alone"),
    pytest.param(Decimal("90.5"), Decimal("37.8"), id="latitude-above-90"),
    pytest.param(Decimal("-90.5"), Decimal("37.8"), id="latitude-below-minus-90"),
    pytest.param(Decimal("48.0"), Decimal("180.5"), id="longitude-above-180"),
    pytest.param(Decimal("48.0"), Decimal("-180.5"), id="longitude-below-minus-180"),
]
COORDINATES_GOOD = [
    (None, None),
    (Decimal("90"), Decimal("180")),
    (Decimal("-90"), Decimal("-180")),
    (Decimal("48.015883"), Decimal("37.802850")),
]


@pytest.mark.parametrize(("lat", "lon"), COORDINATES_BAD)
def test_db_child_origin_coordinates_paired_and_in_range(lat, lon):
    refused(lambda: raw_child(origin_latitude=lat, origin_longitude=lon))


@pytest.mark.parametrize(("lat", "lon"), COORDINATES_BAD)
def test_db_facility_coordinates_paired_and_in_range(lat, lon):
    refused(
        lambda: Facility.objects.create(
            name="Synthetic camp", kind="camp", country="RU", latitude=lat, longitude=lon
        )
    )


@pytest.mark.parametrize(("lat", "lon"), COORDINATES_BAD)
def test_db_whereabouts_coordinates_paired_and_in_range(lat, lon):
    child = raw_child()
    refused(
        lambda: Whereabouts.objects.create(
            child=child,
            country="RU",
            from_date=dt.date(2022, 7, 1),
            source_description="synthetic",
            latitude=lat,
            longitude=lon,
        )
    )


@pytest.mark.parametrize(("lat", "lon"), COORDINATES_GOOD)
def test_db_coordinates_within_range_accepted(lat, lon):
    assert raw_child(origin_latitude=lat, origin_longitude=lon).pk
    facility = Facility.objects.create(
        name=f"Synthetic camp {lat}", kind="camp", country="RU", latitude=lat, longitude=lon
    )
    assert facility.pk


def test_db_facility_unique_name_per_country():
    Facility.objects.create(name="Synthetic camp", kind="camp", country="RU")
    refused(lambda: Facility.objects.create(name="Synthetic camp", kind="camp", country="RU"))
    assert Facility.objects.create(name="Synthetic camp", kind="camp", country="BY").pk


def test_db_whereabouts_dates_ordered():
    child = raw_child()

    def write(to_date: dt.date) -> Whereabouts:
        return Whereabouts.objects.create(
            child=child,
            country="RU",
            from_date=dt.date(2022, 7, 1),
            to_date=to_date,
            source_description="synthetic",
        )

    refused(lambda: write(dt.date(2022, 6, 30)))
    assert write(dt.date(2022, 7, 1)).pk


def test_db_follow_up_completed_has_outcome():
    case = raw_case()
    refused(
        lambda: FollowUp.objects.create(
            case=case, due_on=dt.date(2024, 2, 1), completed_on=dt.date(2024, 2, 1)
        )
    )
    follow_up = FollowUp.objects.create(case=case, due_on=dt.date(2024, 2, 1))
    refused(
        lambda: FollowUp.objects.filter(pk=follow_up.pk).update(completed_on=dt.date(2024, 2, 1))
    )


def test_db_follow_up_one_per_schedule_day():
    case = raw_case()
    FollowUp.objects.create(case=case, due_on=dt.date(2024, 2, 1), days_after_return=30)
    refused(
        lambda: FollowUp.objects.create(case=case, due_on=dt.date(2024, 2, 2), days_after_return=30)
    )
    # Ad-hoc follow-ups (no schedule day) are not limited.
    FollowUp.objects.create(case=case, due_on=dt.date(2024, 3, 1))
    FollowUp.objects.create(case=case, due_on=dt.date(2024, 3, 1))


def test_db_relative_consent_dated():
    child = raw_child()

    def write(**fields: Any) -> Relative:
        return Relative.objects.create(
            child=child, relationship="mother", given_name="Тестова", family_name="Мати", **fields
        )

    refused(lambda: write(consent_to_share=True))
    assert write(consent_to_share=True, consent_recorded_on=dt.date(2024, 1, 1)).pk
    assert write(consent_to_share=False).pk


def test_db_service_dates_ordered():
    case = raw_case()
    refused(
        lambda: Service.objects.create(
            case=case, kind="medical", started_on=dt.date(2024, 3, 1), ended_on=dt.date(2024, 2, 1)
        )
    )


def test_db_oblast_code_iso():
    refused(lambda: Oblast.objects.create(code="UA-1", name_uk="x", name_en="x"))
    refused(lambda: Oblast.objects.create(code="RU-77", name_uk="x", name_en="x"))


# ---------------------------------------------------------------------------------------------
# PostgreSQL only: dates not in the future, birth before deportation (see 0002_postgres_rules)
# ---------------------------------------------------------------------------------------------
@pytest.mark.postgres
def test_db_child_birth_date_not_in_the_future():
    refused(lambda: raw_child(date_of_birth=future_everywhere()))
    child = raw_child()
    refused(lambda: Child.objects.filter(pk=child.pk).update(date_of_birth=future_everywhere()))
    assert raw_child(date_of_birth=services.today()).pk  # today in Kyiv is never refused


@pytest.mark.postgres
def test_db_case_deported_on_not_in_the_future():
    refused(lambda: raw_case(deported_on=future_everywhere()))
    assert raw_case(deported_on=services.today()).pk


@pytest.mark.postgres
def test_db_case_returned_on_not_in_the_future():
    refused(lambda: raw_case(status="returned", returned_on=future_everywhere()))
    case = raw_case(status="returned", returned_on=services.today())
    refused(lambda: Case.objects.filter(pk=case.pk).update(returned_on=future_everywhere()))


@pytest.mark.postgres
def test_db_whereabouts_from_date_not_in_the_future():
    child = raw_child()

    def write(from_date: dt.date) -> Whereabouts:
        return Whereabouts.objects.create(
            child=child, country="RU", from_date=from_date, source_description="synthetic"
        )

    refused(lambda: write(future_everywhere()))
    assert write(services.today()).pk


@pytest.mark.postgres
def test_db_follow_up_completed_on_not_in_the_future():
    case = raw_case()
    refused(
        lambda: FollowUp.objects.create(
            case=case, due_on=dt.date(2024, 2, 1), completed_on=future_everywhere(), outcome="well"
        )
    )


@pytest.mark.postgres
def test_db_status_change_not_in_the_future():
    case = raw_case()
    refused(
        lambda: StatusChange.objects.create(
            case=case,
            to_status="reported",
            changed_at=timezone.now() + dt.timedelta(days=3),
            case_version=1,
        )
    )


@pytest.mark.postgres
def test_db_trigger_refuses_case_taken_before_birth():
    child = raw_child(date_of_birth=dt.date(2015, 3, 1))
    refused(lambda: raw_case(child, deported_on=dt.date(2015, 2, 28)))
    assert raw_case(child, deported_on=dt.date(2015, 3, 1)).pk  # the same day is possible


@pytest.mark.postgres
def test_db_trigger_refuses_moving_deportation_before_birth():
    child = raw_child(date_of_birth=dt.date(2015, 3, 1))
    case = raw_case(child, deported_on=dt.date(2022, 3, 1))
    refused(lambda: Case.objects.filter(pk=case.pk).update(deported_on=dt.date(2014, 1, 1)))


@pytest.mark.postgres
def test_db_trigger_refuses_birth_moved_after_an_existing_deportation():
    child = raw_child(date_of_birth=dt.date(2015, 3, 1))
    raw_case(child, status="closed", closure_reason="duplicate", deported_on=dt.date(2016, 1, 1))
    raw_case(child, deported_on=dt.date(2022, 3, 1))
    refused(lambda: Child.objects.filter(pk=child.pk).update(date_of_birth=dt.date(2016, 1, 2)))
    # Moving the birth date within what the cases allow is fine.
    Child.objects.filter(pk=child.pk).update(date_of_birth=dt.date(2016, 1, 1))
    assert Child.objects.get(pk=child.pk).date_of_birth == dt.date(2016, 1, 1)


@pytest.mark.postgres
def test_db_trigger_ignores_unknown_dates():
    child = raw_child(date_of_birth=None, date_of_birth_precision="estimated")
    raw_case(child, deported_on=dt.date(2014, 1, 1))
    other = raw_child()
    raw_case(other, deported_on=None)
    Child.objects.filter(pk=other.pk).update(date_of_birth=dt.date(2020, 1, 1))


# ---------------------------------------------------------------------------------------------
# The same rules through the services, on every backend, each naming the field at fault
# ---------------------------------------------------------------------------------------------
def field_error(call: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as excinfo:
        call()
    assert excinfo.value.status_code == 400
    assert excinfo.value.fields
    return excinfo.value.fields


def tomorrow() -> dt.date:
    return services.today() + dt.timedelta(days=1)


def test_services_refuse_future_birth_date():
    fields = field_error(lambda: make_case(child={"date_of_birth": tomorrow()}))
    assert "date_of_birth" in fields


def test_services_refuse_future_deportation_date():
    fields = field_error(lambda: make_case(deported_on=tomorrow()))
    assert "deported_on" in fields


def test_services_refuse_deportation_before_birth():
    fields = field_error(
        lambda: make_case(
            child={"date_of_birth": dt.date(2015, 3, 1)}, deported_on=dt.date(2015, 2, 1)
        )
    )
    assert list(fields) == ["deported_on"]


def test_services_refuse_moving_deportation_before_birth(user):
    case = make_case(child={"date_of_birth": dt.date(2015, 3, 1)})
    fields = field_error(
        lambda: services.case_update(
            case=case, actor=user, data={"deported_on": dt.date(2014, 1, 1)}
        )
    )
    assert list(fields) == ["deported_on"]


def test_services_refuse_birth_moved_after_deportation(user):
    case = make_case(deported_on=dt.date(2022, 3, 1))
    fields = field_error(
        lambda: services.child_update(
            child=case.child, actor=user, data={"date_of_birth": dt.date(2022, 3, 2)}
        )
    )
    assert list(fields) == ["date_of_birth"]
    assert Child.objects.get(pk=case.child_id).date_of_birth == DOB


def test_services_refuse_birth_moved_after_a_closed_cases_deportation(user):
    case = make_case(deported_on=dt.date(2016, 1, 1))
    move_case(case, "closed")
    services.case_create(actor=user, child=case.child, data={"deported_on": dt.date(2022, 3, 1)})
    fields = field_error(
        lambda: services.child_update(
            child=case.child, actor=user, data={"date_of_birth": dt.date(2016, 1, 2)}
        )
    )
    assert list(fields) == ["date_of_birth"]


def test_services_refuse_a_second_open_case():
    case = make_case()
    with pytest.raises(OpenCaseExists):
        services.case_create(actor=None, child=case.child, data={}, organization=case.organization)
    assert Case.objects.filter(child=case.child).count() == 1


def test_services_refuse_unknown_birth_date_unless_estimated():
    fields = field_error(
        lambda: make_case(child={"date_of_birth": None, "date_of_birth_precision": "year"})
    )
    assert "date_of_birth_precision" in fields


@pytest.mark.parametrize(("lat", "lon"), COORDINATES_BAD)
def test_services_refuse_bad_origin_coordinates(lat, lon):
    fields = field_error(lambda: make_case(child={"origin_latitude": lat, "origin_longitude": lon}))
    assert set(fields) & {"origin_latitude", "origin_longitude"}, fields
    assert Child.objects.count() == 0


@pytest.mark.parametrize(("lat", "lon"), COORDINATES_BAD)
def test_services_refuse_bad_facility_coordinates(lat, lon):
    fields = field_error(
        lambda: services.facility_save(
            actor=None,
            data={
                "name": "Synthetic camp",
                "kind": "camp",
                "country": "RU",
                "latitude": lat,
                "longitude": lon,
            },
        )
    )
    assert set(fields) & {"latitude", "longitude"}, fields
    assert Facility.objects.count() == 0


@pytest.mark.parametrize(("lat", "lon"), COORDINATES_BAD)
def test_services_refuse_bad_whereabouts_coordinates(lat, lon):
    case = make_case()
    fields = field_error(lambda: make_whereabouts(case, latitude=lat, longitude=lon))
    assert set(fields) & {"latitude", "longitude"}, fields
    assert Whereabouts.objects.count() == 0


def test_services_refuse_whereabouts_in_the_future():
    case = make_case()
    assert "from_date" in field_error(lambda: make_whereabouts(case, from_date=tomorrow()))


def test_services_refuse_whereabouts_ending_before_they_start():
    case = make_case()
    fields = field_error(
        lambda: make_whereabouts(case, from_date=dt.date(2022, 7, 1), to_date=dt.date(2022, 6, 1))
    )
    assert list(fields) == ["to_date"]


def test_services_refuse_consent_without_a_date():
    case = make_case()
    fields = field_error(lambda: make_relative(case, consent_to_share=True))
    assert list(fields) == ["consent_recorded_on"]
    assert Relative.objects.count() == 0


def test_services_refuse_follow_up_completed_without_outcome(user):
    case = make_case()
    follow_up = services.follow_up_create(case=case, actor=user, due_on=dt.date(2024, 2, 1))
    fields = field_error(
        lambda: services.follow_up_complete(
            follow_up=follow_up, actor=user, outcome="", completed_on=dt.date(2024, 2, 1)
        )
    )
    assert list(fields) == ["outcome"]
    assert FollowUp.objects.get(pk=follow_up.pk).completed_on is None


def test_services_refuse_service_ending_before_it_starts():
    case = make_case()
    fields = field_error(
        lambda: services.service_create(
            case=case,
            actor=None,
            data={
                "kind": "medical",
                "started_on": dt.date(2024, 3, 1),
                "ended_on": dt.date(2024, 2, 1),
            },
        )
    )
    assert list(fields) == ["ended_on"]


# Foreign keys whose own index was dropped (migration 0014): each is served by exactly one
# index beginning with its column (a wider one, or the one index of that column kept), never
# by two that an import's writes would both keep up.
_COVERED_FOREIGN_KEYS = [
    ("cases_childnamekey", "child_id"),
    ("cases_externalreference", "child_id"),
    ("cases_externalreference", "organization_id"),
    ("cases_whereabouts", "child_id"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("table", "column"), _COVERED_FOREIGN_KEYS)
def test_a_foreign_key_is_indexed_once(table: str, column: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    leading = [
        name
        for name, info in constraints.items()
        if (info["index"] or info["unique"]) and info["columns"] and info["columns"][0] == column
    ]
    assert len(leading) == 1, leading

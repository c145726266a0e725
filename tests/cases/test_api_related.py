"""API wiring of a case's relatives, whereabouts and timeline, and of the reference data
(facilities, oblasts)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Relative, Whereabouts
from tests.api_errors import assert_error
from tests.factories.cases import (
    FacilityFactory,
    make_case,
    make_relative,
    make_whereabouts,
    move_case,
)

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"
FACILITIES = "/api/v1/facilities/"
OBLASTS = "/api/v1/oblasts/"


# ---------------------------------------------------------------------------------------------
# Relatives
# ---------------------------------------------------------------------------------------------
def test_case_relatives_list(api_client, db):
    case = make_case()
    mother = make_relative(case, is_searching=True)
    make_relative(make_case())  # another child's relative

    response = api_client.get(f"{CASES}{case.pk}/relatives/")

    assert response.status_code == 200
    (row,) = response.json()
    assert row["id"] == mother.pk
    assert row["relationship"] == "mother"
    assert row["relationship_label"] == "Mother"
    assert row["is_searching"] is True
    assert row["phone"] == "+380 00 000 0000"


def test_case_relatives_create(api_client, db):
    case = make_case()
    payload = {
        "relationship": "grandparent",
        "given_name": "Ганна",
        "family_name": "Вигаданенко",
        "phone": "+380 00 000 0001",
        "is_legal_guardian": True,
        "is_searching": True,
        "consent_to_share": True,
        "consent_recorded_on": "2024-02-01",
    }
    response = api_client.post(f"{CASES}{case.pk}/relatives/", payload, format="json")
    assert response.status_code == 201, response.json()
    relative = Relative.objects.get(pk=response.json()["id"])
    assert relative.child_id == case.child_id
    assert relative.is_legal_guardian is True
    assert response.json()["consent_recorded_on"] == "2024-02-01"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"relationship": "mother", "given_name": "Ганна"}, "family_name"),
        ({"relationship": "neighbour", "given_name": "А", "family_name": "Б"}, "relationship"),
        (
            {"relationship": "mother", "given_name": "А", "family_name": "Б", "email": "no"},
            "email",
        ),
        (
            {
                "relationship": "mother",
                "given_name": "А",
                "family_name": "Б",
                "consent_to_share": True,
            },
            "consent_recorded_on",
        ),
        (
            {"relationship": "mother", "given_name": "А", "family_name": "Б", "child": 1},
            "child",
        ),
    ],
)
def test_case_relatives_create_invalid_is_400(api_client, db, payload, field):
    case = make_case()
    body = assert_error(
        api_client.post(f"{CASES}{case.pk}/relatives/", payload, format="json"), 400
    )
    assert field in body["fields"]
    assert Relative.objects.count() == 0


def test_case_relative_partial_update(api_client, db):
    case = make_case()
    relative = make_relative(case)
    response = api_client.patch(
        f"{CASES}{case.pk}/relatives/{relative.pk}/",
        {"is_searching": True, "notes": "Synthetic note"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    relative.refresh_from_db()
    assert relative.is_searching is True
    assert relative.notes == "Synthetic note"


def test_case_relative_of_another_child_is_404(api_client, db):
    case = make_case()
    stranger = make_relative(make_case())
    response = api_client.patch(
        f"{CASES}{case.pk}/relatives/{stranger.pk}/", {"notes": "x"}, format="json"
    )
    assert_error(response, 404)
    stranger.refresh_from_db()
    assert stranger.notes == ""


# ---------------------------------------------------------------------------------------------
# Whereabouts
# ---------------------------------------------------------------------------------------------
def test_case_whereabouts_list_latest_first_with_distance(api_client, db):
    case = make_case(child={"origin_latitude": "47.097000", "origin_longitude": "37.543000"})
    older = make_whereabouts(case, country="RU", latitude="47.235", longitude="39.713")
    newer = make_whereabouts(
        case,
        facility=FacilityFactory.create(country="KP", latitude="39.18", longitude="127.43"),
        country="KP",
        from_date=dt.date(2023, 5, 1),
    )
    response = api_client.get(f"{CASES}{case.pk}/whereabouts/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["id"] for r in rows] == [newer.pk, older.pk]
    assert rows[0]["distance_from_home_km"] == pytest.approx(6935, abs=5)
    assert rows[1]["distance_from_home_km"] == pytest.approx(170, abs=15)
    assert rows[1]["latitude"] == pytest.approx(47.235)
    assert rows[0]["facility"]["kind"] == "camp"


def test_case_whereabouts_record_at_a_facility(api_client, db, user):
    case = make_case(child={"origin_latitude": "47.097000", "origin_longitude": "37.543000"})
    facility = FacilityFactory.create(country="KP", latitude="39.18", longitude="127.43")
    payload = {
        "facility": facility.pk,
        "from_date": "2023-07-01",
        "source_description": "Synthetic report",
    }
    response = api_client.post(f"{CASES}{case.pk}/whereabouts/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["country"] == "KP"
    assert body["recorded_by"]["id"] == user.pk
    assert body["distance_from_home_km"] == pytest.approx(6935, abs=5)
    case.child.refresh_from_db()
    assert case.child.current_whereabouts_id == body["id"]
    detail = api_client.get(f"{CASES}{case.pk}/").json()
    assert detail["child"]["current_whereabouts"]["id"] == body["id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"from_date": "2023-01-01", "source_description": "x"}, "country"),
        ({"country": "RU", "source_description": "x"}, "from_date"),
        ({"country": "RU", "from_date": "2999-01-01", "source_description": "x"}, "from_date"),
        (
            {
                "country": "RU",
                "from_date": "2023-02-01",
                "to_date": "2023-01-01",
                "source_description": "x",
            },
            "to_date",
        ),
        ({"country": "XX", "from_date": "2023-01-01", "source_description": "x"}, "country"),
        ({"facility": 987654, "from_date": "2023-01-01", "source_description": "x"}, "facility"),
        (
            {
                "country": "RU",
                "latitude": "91",
                "from_date": "2023-01-01",
                "source_description": "x",
            },
            "latitude",
        ),
    ],
)
def test_case_whereabouts_record_invalid_is_400(api_client, db, payload, field):
    case = make_case()
    body = assert_error(
        api_client.post(f"{CASES}{case.pk}/whereabouts/", payload, format="json"), 400
    )
    assert field in body["fields"], body
    assert Whereabouts.objects.count() == 0


def test_case_whereabouts_facility_in_another_country_is_400(api_client, db):
    case = make_case()
    facility = FacilityFactory.create(country="KP")
    payload = {
        "facility": facility.pk,
        "country": "RU",
        "from_date": "2023-01-01",
        "source_description": "x",
    }
    body = assert_error(
        api_client.post(f"{CASES}{case.pk}/whereabouts/", payload, format="json"), 400
    )
    assert "country" in body["fields"]


def test_case_whereabouts_partial_update(api_client, db):
    case = make_case()
    place = make_whereabouts(case, country="RU")
    response = api_client.patch(
        f"{CASES}{case.pk}/whereabouts/{place.pk}/",
        {"to_date": "2023-01-01", "settlement": "Synthetic town"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["to_date"] == "2023-01-01"
    place.refresh_from_db()
    assert place.settlement == "Synthetic town"


def test_case_whereabouts_of_another_child_is_404(api_client, db):
    case = make_case()
    stranger = make_whereabouts(make_case())
    response = api_client.patch(
        f"{CASES}{case.pk}/whereabouts/{stranger.pk}/", {"region": "x"}, format="json"
    )
    assert_error(response, 404)


# ---------------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------------
def test_case_timeline_lists_the_history_oldest_first(api_client, db, user):
    case = make_case(actor=user)
    make_whereabouts(case, country="RU", from_date=dt.date(2022, 7, 1))
    move_case(case, "verifying", actor=user)
    response = api_client.get(f"{CASES}{case.pk}/timeline/")
    assert response.status_code == 200
    entries = response.json()
    assert [e["kind"] for e in entries] == ["whereabouts", "status_change", "status_change"]
    assert entries[-1]["details"]["to_status"] == "verifying"
    assert entries[-1]["actor"] == user.username
    stamps = [e["at"] for e in entries]
    assert stamps == sorted(stamps)


def _grow_history(case: Any, rounds: int) -> None:
    facility = FacilityFactory.create()
    for index in range(rounds):
        make_whereabouts(case, facility=facility, from_date=dt.date(2022, 7, 1 + index))
        services.service_create(
            case=case, actor=None, data={"kind": "medical", "provider": "Synthetic"}
        )
        services.follow_up_create(case=case, actor=None, due_on=dt.date(2025, 1, 1 + index))
        move_case(case, "closed")
        move_case(case, "verifying")


def test_case_timeline_query_count_is_constant(api_client, db, django_assert_num_queries):
    short, long = make_case(), make_case()
    _grow_history(short, 1)
    _grow_history(long, 10)
    with CaptureQueriesContext(connection) as ctx:
        first = api_client.get(f"{CASES}{short.pk}/timeline/")
    with django_assert_num_queries(len(ctx.captured_queries)):
        second = api_client.get(f"{CASES}{long.pk}/timeline/")
    assert len(second.json()) > len(first.json()) + 40


# ---------------------------------------------------------------------------------------------
# Facilities and oblasts
# ---------------------------------------------------------------------------------------------
def test_facility_list_and_filters(api_client, db):
    camp = FacilityFactory.create(
        name="Табір Синтетичний", name_latin="Synthetic Camp", country="KP"
    )
    school = FacilityFactory.create(name="Кадетська школа", kind="cadet_school", country="RU")

    def ids(**params: Any) -> list[int]:
        response = api_client.get(FACILITIES, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert sorted(ids()) == sorted([camp.pk, school.pk])
    assert ids(country="KP") == [camp.pk]
    assert ids(country="ru") == [school.pk]
    assert ids(country="BY") == []
    assert ids(kind="cadet_school") == [school.pk]
    assert ids(kind="hospital") == []
    assert ids(search="Синтетичний") == [camp.pk]
    assert ids(search="synthetic camp") == [camp.pk]
    assert ids(search="Сондовон") == []
    assert ids(ordering="-name") == [camp.pk, school.pk]


@pytest.mark.parametrize(
    "params",
    [{"country": "XX"}, {"kind": "prison"}, {"page_size": "0"}, {"name": "x"}, {"ordering": "x"}],
)
def test_facility_list_invalid_query_is_400(api_client, db, params):
    body = assert_error(api_client.get(FACILITIES, params), 400, "invalid")
    assert list(body["fields"]) == list(params)


def test_facility_retrieve(api_client, db):
    facility = FacilityFactory.create(country="KP", latitude="39.180000", longitude="127.430000")
    response = api_client.get(f"{FACILITIES}{facility.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["country"] == "KP"
    assert body["country_name"] == "North Korea"
    assert body["kind_label"] == "Camp"
    assert body["latitude"] == pytest.approx(39.18)
    assert_error(api_client.get(f"{FACILITIES}987654/"), 404)


def test_oblast_list_and_retrieve(api_client, oblasts):
    response = api_client.get(OBLASTS)
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 27
    assert {
        "code": "UA-43",
        "name_uk": oblasts["UA-43"].name_uk,
        "name_en": oblasts["UA-43"].name_en,
    } in rows
    detail = api_client.get(f"{OBLASTS}UA-40/")
    assert detail.status_code == 200
    assert detail.json()["code"] == "UA-40"
    assert_error(api_client.get(f"{OBLASTS}UA-99/"), 404)
    assert_error(api_client.get(OBLASTS, {"page_size": "10"}), 400)

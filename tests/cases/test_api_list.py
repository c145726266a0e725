"""The case list: every filter, search across scripts, ordering, cursor pagination, strict
query parameters and constant query counts."""

from __future__ import annotations

import base64
import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import Case
from tests.api_errors import assert_error
from tests.factories.accounts import make_member
from tests.factories.cases import (
    FacilityFactory,
    make_case,
    make_relative,
    make_whereabouts,
    move_case,
)

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


def listed(client: Any, **params: Any) -> list[int]:
    response = client.get(CASES, params)
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


# ---------------------------------------------------------------------------------------------
# Filters: one case matches, the other does not
# ---------------------------------------------------------------------------------------------
def test_case_list_filter_status(api_client, db):
    reported = make_case()
    verifying = move_case(make_case(), "verifying")
    closed = move_case(make_case(), "closed")
    assert listed(api_client, status="verifying") == [verifying.pk]
    assert listed(api_client, status=["reported", "closed"]) == sorted([reported.pk, closed.pk])
    assert listed(api_client, status="located") == []


def test_case_list_filter_phase(api_client, db):
    repatriation = make_case()
    rehabilitation = move_case(
        make_case(), "verifying", "searching", "located", "return_in_progress", "returned"
    )
    assert listed(api_client, phase="rehabilitation") == [rehabilitation.pk]
    assert listed(api_client, phase="repatriation") == [repatriation.pk]
    assert listed(api_client, phase="integration") == []


def test_case_list_filter_priority(api_client, db):
    urgent = make_case(priority="urgent")
    high = make_case(priority="high")
    make_case(priority="low")
    assert listed(api_client, priority="urgent") == [urgent.pk]
    assert listed(api_client, priority=["urgent", "high"]) == sorted([urgent.pk, high.pk])
    assert listed(api_client, priority="normal") == []


def test_case_list_filter_origin_oblast(api_client, oblasts):
    donetsk = make_case(oblast=oblasts["UA-14"])
    make_case(oblast=oblasts["UA-65"])
    make_case()
    assert listed(api_client, origin_oblast="UA-14") == [donetsk.pk]
    assert listed(api_client, origin_oblast="UA-43") == []


def test_case_list_filter_current_country(api_client, db):
    in_russia = make_case()
    make_whereabouts(in_russia, country="BY", from_date=dt.date(2022, 6, 2))
    make_whereabouts(in_russia, country="RU", from_date=dt.date(2022, 8, 1))
    in_belarus = make_case()
    make_whereabouts(in_belarus, country="BY")
    make_case()  # no whereabouts known
    assert listed(api_client, current_country="RU") == [in_russia.pk]
    assert listed(api_client, current_country="by") == [in_belarus.pk]
    assert listed(api_client, current_country="KP") == []


def test_case_list_filter_assignee(api_client, db, user, home):
    mine = make_case(assignee=user)
    make_case(assignee=make_member("caseworker", home))
    make_case()
    assert listed(api_client, assignee=user.pk) == [mine.pk]
    assert listed(api_client, assignee=make_member("caseworker", home).pk) == []


def _stamp(case: Case, **stamps: dt.datetime) -> None:
    # auto_now fields: set directly, as a test fixture for time ranges.
    Case.objects.filter(pk=case.pk).update(**stamps)


def test_case_list_filter_created_range(api_client, db):
    old, new = make_case(), make_case()
    _stamp(old, created_at=dt.datetime(2023, 1, 10, 12, tzinfo=dt.UTC))
    _stamp(new, created_at=dt.datetime(2024, 6, 10, 12, tzinfo=dt.UTC))
    assert listed(api_client, created_after="2024-01-01T00:00:00Z") == [new.pk]
    assert listed(api_client, created_before="2024-01-01T00:00:00Z") == [old.pk]
    assert listed(api_client, created_after="2023-01-01", created_before="2023-02-01") == [old.pk]
    assert listed(api_client, created_after="2025-01-01T00:00:00+02:00") == []


@pytest.mark.parametrize("after", ["updated_after", "updated_since"])
def test_case_list_filter_updated_range(api_client, db, after):
    old, new = make_case(), make_case()
    _stamp(old, updated_at=dt.datetime(2023, 1, 10, 12, tzinfo=dt.UTC))
    _stamp(new, updated_at=dt.datetime(2024, 6, 10, 12, tzinfo=dt.UTC))
    assert listed(api_client, **{after: "2024-06-10T12:00:00Z"}) == [new.pk]
    assert listed(api_client, updated_before="2024-06-10T12:00:00Z") == [old.pk]
    assert listed(api_client, **{after: "2024-06-10T12:00:01Z"}) == []


def test_case_list_updated_since_sees_a_change(api_client, db):
    case = make_case()
    since = timezone.now()
    assert listed(api_client, updated_since=since.isoformat()) == []
    services.case_update(case=case, actor=None, data={"priority": "high"})
    assert listed(api_client, updated_since=since.isoformat()) == [case.pk]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("status", "escaped"),
        ("phase", "limbo"),
        ("priority", "extreme"),
        ("origin_oblast", "UA-99"),
        ("origin_oblast", "Donetsk"),
        ("current_country", "XX"),
        ("current_country", "Russia"),
        ("assignee", "abc"),
        ("assignee", "1.5"),
        ("assignee", "0"),
        ("assignee", "99999999999999999999999"),
        ("created_after", "yesterday"),
        ("created_before", "2024-13-01"),
        ("updated_after", "2024-01-01T25:00"),
        ("updated_before", "soon"),
        ("updated_since", "1700000000"),
        # Parse, but fall outside years 1..9999 once converted to UTC.
        ("created_after", "0001-01-01T00:00:00+14:00"),
        ("updated_since", "9999-12-31T23:59:59-12:00"),
        ("search", "a\x00b"),
    ],
)
def test_case_list_invalid_filter_value_is_400_naming_it(api_client, db, param, value):
    make_case()
    body = assert_error(api_client.get(CASES, {param: value}), 400, "invalid")
    assert list(body["fields"]) == [param]


def test_case_list_unknown_query_parameter_is_400(api_client, db):
    body = assert_error(api_client.get(CASES, {"status": "reported", "statuss": "x"}), 400)
    assert list(body["fields"]) == ["statuss"]
    body = assert_error(api_client.get(CASES, {"created_at__gte": "2024-01-01"}), 400)
    assert "created_at__gte" in body["fields"]


def test_case_detail_unknown_query_parameter_is_400(api_client, db):
    case = make_case()
    body = assert_error(api_client.get(f"{CASES}{case.pk}/", {"status": "reported"}), 400)
    assert list(body["fields"]) == ["status"]


# ---------------------------------------------------------------------------------------------
# Search across scripts and spellings
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def searchable(db: None) -> dict[str, Case]:
    return {
        "oleksandr": make_case(
            # Every name fixed: a random patronymic (Олександрівна, say) would match the searches.
            child={
                "given_name": "Олександр",
                "family_name": "Вигаданенко",
                "patronymic": "Іванович",
                "sex": "male",
            },
            aliases=[{"name": "Шурик Підмінений", "kind": "changed", "seen_in": "Synthetic"}],
        ),
        "mariia": make_case(
            child={
                "given_name": "Марія",
                "family_name": "Небувала",
                "patronymic": "Петрівна",
                "sex": "female",
            }
        ),
    }


@pytest.mark.parametrize(
    "query",
    [
        "Олександр",
        "олександр вигаданенко",
        "Oleksandr",
        "OLEKSANDR Vyhadanenko",
        "Aleksandr",
        "Александр",
        "Підмінений",
        "Pidminenyi",
    ],
)
def test_case_list_search_finds_any_spelling(api_client, searchable, query):
    assert listed(api_client, search=query) == [searchable["oleksandr"].pk]


def test_case_list_search_by_case_number(api_client, searchable):
    case = searchable["mariia"]
    assert listed(api_client, search=case.number) == [case.pk]
    assert listed(api_client, search=case.number.lower()) == [case.pk]


def test_case_list_search_without_match_is_empty(api_client, searchable):
    assert listed(api_client, search="Ніхто") == []
    assert listed(api_client, search="UA-1999-") == []


def test_case_list_search_combines_with_filters(api_client, searchable):
    move_case(searchable["oleksandr"], "verifying")
    assert listed(api_client, search="Aleksandr", status="verifying") == [
        searchable["oleksandr"].pk
    ]
    assert listed(api_client, search="Aleksandr", status="reported") == []


# ---------------------------------------------------------------------------------------------
# Ordering and pagination
# ---------------------------------------------------------------------------------------------
def test_case_list_orders_by_number(api_client, db):
    cases = [make_case() for _ in range(3)]
    numbers = sorted(c.number for c in cases)
    response = api_client.get(CASES, {"ordering": "number"})
    assert [r["number"] for r in response.json()["results"]] == numbers
    response = api_client.get(CASES, {"ordering": "-number"})
    assert [r["number"] for r in response.json()["results"]] == numbers[::-1]


def test_case_list_default_order_is_latest_change_first(api_client, db):
    first, second = make_case(), make_case()
    services.case_update(case=first, actor=None, data={"priority": "high"})
    assert [r["id"] for r in api_client.get(CASES).json()["results"]] == [first.pk, second.pk]


@pytest.mark.parametrize("ordering", ["child__given_name", "password", "status", "-nonsense"])
def test_case_list_invalid_ordering_is_400(api_client, db, ordering):
    body = assert_error(api_client.get(CASES, {"ordering": ordering}), 400, "invalid")
    assert list(body["fields"]) == ["ordering"]


def test_case_list_cursor_pages_through_every_case_once(api_client, db):
    ids = {make_case().pk for _ in range(5)}
    seen: list[int] = []
    response = api_client.get(CASES, {"page_size": 2, "ordering": "number"})
    pages = 0
    while True:
        assert response.status_code == 200
        body = response.json()
        seen.extend(row["id"] for row in body["results"])
        pages += 1
        if not body["next"]:
            break
        response = api_client.get(body["next"])
    assert pages == 3
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(ids)


@pytest.mark.parametrize("size", ["0", "201", "abc", "-1", "1.5", ""])
def test_case_list_page_size_out_of_range_is_400(api_client, db, size):
    body = assert_error(api_client.get(CASES, {"page_size": size}), 400, "invalid")
    assert list(body["fields"]) == ["page_size"]


@pytest.mark.parametrize("size", ["1", "200"])
def test_case_list_page_size_bounds_are_accepted(api_client, db, size):
    make_case()
    make_case()
    response = api_client.get(CASES, {"page_size": size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(int(size), 2)


@pytest.mark.parametrize("cursor", ["garbage", "not a cursor", "cD0xOTcw=="])
def test_case_list_malformed_cursor_is_400_naming_it(api_client, db, cursor):
    make_case()
    body = assert_error(api_client.get(CASES, {"cursor": cursor}), 400, "invalid")
    assert list(body["fields"]) == ["cursor"]


def _forged(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _forged("p=1970"),
        _forged("p=\x00"),
        _forged("r=x"),
        _forged("o=-1"),
    ],
)
def test_case_list_forged_cursor_is_400_naming_it(api_client, db, cursor):
    make_case()
    body = assert_error(api_client.get(CASES, {"cursor": cursor}), 400, "invalid")
    assert list(body["fields"]) == ["cursor"]


@pytest.mark.parametrize("position", ["0001-01-01 00:00:00%2B14:00", "9999-12-31 23:59:59-12:00"])
def test_case_list_cursor_at_the_edge_of_time_is_never_a_500(api_client, db, position):
    # PostgreSQL stores these (an empty or full page); SQLite's adapter cannot (a 400).
    make_case()
    response = api_client.get(CASES, {"cursor": _forged(f"p={position}")})
    if response.status_code == 200:
        assert len(response.json()["results"]) <= 1
    else:
        body = assert_error(response, 400, "invalid")
        assert list(body["fields"]) == ["cursor"]


# ---------------------------------------------------------------------------------------------
# Query counts
# ---------------------------------------------------------------------------------------------
def _make_rich_cases(n: int, oblasts: dict[str, Any], assignee: Any) -> None:
    facility = FacilityFactory.create()
    for index in range(n):
        case = make_case(
            oblast=oblasts["UA-14"] if index % 2 else oblasts["UA-65"],
            assignee=assignee if index % 3 else None,
            child={"origin_latitude": "47.1", "origin_longitude": "37.5"},
            aliases=[{"name": f"Синтетичний Псевдонім{'а' * (index % 5)}", "kind": "spelling"}],
        )
        make_whereabouts(case, facility=facility if index % 2 else None)
        make_relative(case)


def _list_queries(client: Any, **params: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(CASES, {"page_size": 200, **params})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_case_list_query_count_is_constant(api_client, oblasts, user, django_assert_num_queries):
    _make_rich_cases(10, oblasts, user)
    # One for the token's user, one for the user's roles and one for the live shares of the
    # user's organizations (which decide what is visible), one for the page of cases with
    # everything a row renders, and one insert: the audit event recording the read.
    with django_assert_num_queries(5):
        response = api_client.get(CASES, {"page_size": 200})
    assert len(response.json()["results"]) == 10
    filtered_10 = _list_queries(api_client, search="Синтетичний", origin_oblast="UA-14")

    _make_rich_cases(190, oblasts, user)
    with django_assert_num_queries(5):
        response = api_client.get(CASES, {"page_size": 200})
    assert len(response.json()["results"]) == 200
    assert _list_queries(api_client, search="Синтетичний", origin_oblast="UA-14") == filtered_10


def test_case_detail_query_count_does_not_grow_with_aliases(
    api_client, db, django_assert_num_queries
):
    few = make_case(aliases=[{"name": "Перший Варіант", "kind": "spelling"}])
    many = make_case(
        aliases=[{"name": f"Варіант{'а' * i}", "kind": "spelling"} for i in range(1, 8)]
    )
    make_whereabouts(many, facility=FacilityFactory.create())
    with CaptureQueriesContext(connection) as ctx:
        api_client.get(f"{CASES}{few.pk}/")
    with django_assert_num_queries(len(ctx.captured_queries)):
        response = api_client.get(f"{CASES}{many.pk}/")
    assert len(response.json()["child"]["aliases"]) == 7


def test_case_list_row_fast_path_equals_declared_fields(oblasts, user):
    """List rows are built from plain values for speed; they must equal what the declared
    fields of CaseListSerializer render for the same case."""
    from cases import selectors
    from cases.serializers import CaseListSerializer, case_rows

    bare = make_case(
        oblast=oblasts["UA-43"],
        child={"date_of_birth": None, "date_of_birth_precision": "estimated"},
    )
    placed = make_case(
        oblast=oblasts["UA-14"],
        child={"origin_latitude": "48.015900", "origin_longitude": "37.802800"},
        assignee=user,
    )
    facility = FacilityFactory(country="KP", latitude="39.180000", longitude="127.430000")
    make_whereabouts(placed, facility=facility, country="KP", from_date=dt.date(2023, 7, 1))
    pinned = make_case(
        oblast=oblasts["UA-63"],
        child={"origin_latitude": "49.993500", "origin_longitude": "36.230400"},
    )
    make_whereabouts(pinned, country="RU", latitude="55.755800", longitude="37.617300")
    unplaced = make_case()
    make_whereabouts(unplaced, country="BY")
    closed = move_case(make_case(oblast=oblasts["UA-65"]), "closed")
    ids = [bare.pk, placed.pk, pinned.pk, unplaced.pk, closed.pk]

    visible = selectors.case_list(actor=user).filter(pk__in=ids)
    rows = {row["id"]: row for row in selectors.case_list_rows(actor=user).filter(pk__in=ids)}
    assert set(rows) == set(ids)
    context = {"request": SimpleNamespace(user=user)}
    for case in visible:
        assert case_rows([rows[case.pk]], actor=user) == [
            dict(CaseListSerializer(case, context=context).data)
        ]
    # An open case has no closure reason: null, not "" (which is none of the reasons).
    assert case_rows([rows[bare.pk]], actor=user)[0]["closure_reason"] is None
    assert case_rows([rows[closed.pk]], actor=user)[0]["closure_reason"] == "integrated"

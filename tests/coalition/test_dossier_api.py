"""The country dossier over the API: its shape, codes in any case, a country no record names,
bad codes refused naming `country`, no personal data, and a constant number of queries. All data
is synthetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.workflow import Status
from coalition.models import EntryOutcome, Vote
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, make_whereabouts
from tests.factories.coalition_dossier import (
    make_area,
    make_child_list,
    make_coalition_member,
    make_meeting,
    make_pledge,
    make_state,
    make_statement,
    make_vote,
)

pytestmark = pytest.mark.django_db

LISTED_NAME = "Синтетична Дитина Зі Списку"


@pytest.fixture
def coordinator_client() -> APIClient:
    user = make_member("coordinator", OrganizationFactory.create())
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _url(code: str) -> str:
    return reverse("coalition-country-dossier", kwargs={"code": code})


def _records(size: int, start: int = 0) -> None:
    member = make_coalition_member("CA", role="co_chair") if start == 0 else None
    from coalition.models import Member

    member = member or Member.objects.get(party__code="CA")
    ukraine = make_state("UA")
    for n in range(start, start + size):
        area = make_area(f"synthetic-area-{n}", 100 + n)
        member.areas.create(area=area, leads=True)
        make_pledge(
            member, amount=Decimal(10), currency="EUR", area=area, due_on=dt.date(2024, 1, 1)
        )
        meeting = make_meeting(f"Synthetic meeting {n}", participants=[member.party, ukraine])
        make_statement(f"Synthetic statement {n}", signatories=[member.party])
        make_vote(member.party, Vote.IN_FAVOUR, symbol=f"A/RES/{n}/1")
        listed = make_child_list(
            f"Synthetic list {n}", meeting=meeting, handed_by=member.party, count_claimed=400
        )
        case = make_case()
        make_whereabouts(case, country="CA")
        listed.entries.create(
            position=1, name_as_written=LISTED_NAME, case=case, outcome=EntryOutcome.LISTED
        )


def test_dossier_answers_with_every_section(coordinator_client: APIClient):
    _records(2)
    response = coordinator_client.get(_url("ca"))
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "CA"
    assert body["name"] == "Canada"
    assert body["recorded"] is True
    assert body["membership"]["role"] == "co_chair"
    assert [a["leads"] for a in body["membership"]["areas"]] == [True, True]
    assert len(body["pledges"]) == 2
    assert all(p["overdue"] for p in body["pledges"])
    assert body["overdue_pledges"] == 2
    pledged = next(t for t in body["pledge_totals"] if t["status"] == "pledged")
    assert pledged["count"] == 2
    assert Decimal(pledged["amounts"]["EUR"]) == Decimal(20)
    assert len(body["meetings"]) == 2
    assert all(m["took_part"] for m in body["meetings"])
    assert len(body["statements"]) == 2
    assert {v["vote"] for v in body["votes"]} == {"in_favour"}
    assert body["vote_totals"]["in_favour"] == 2
    assert [(row["count_claimed"], row["entries_held"]) for row in body["child_lists"]] == [
        (400, 1),
        (400, 1),
    ]
    children = body["children"]
    assert children["scope"] == "registry"
    assert (children["ever_total"], children["now_total"]) == (2, 2)
    assert children["now"]["reported"] == 2
    assert set(children["ever"]) == set(Status.values)


def test_dossier_carries_no_personal_data(coordinator_client: APIClient):
    _records(1)
    response = coordinator_client.get(_url("CA"))
    text = response.content.decode()
    assert LISTED_NAME not in text
    assert "name_as_written" not in text
    assert "UA-" not in text  # no case number


def test_dossier_of_a_state_no_record_names(coordinator_client: APIClient):
    _records(1)
    response = coordinator_client.get(_url("nz"))
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "NZ"
    assert body["recorded"] is False
    assert body["membership"] is None
    for section in ("pledges", "meetings", "statements", "votes", "child_lists"):
        assert body[section] == []
    assert body["children"]["ever_total"] == body["children"]["now_total"] == 0
    assert set(body["children"]["now"].values()) == {0}


@pytest.mark.parametrize("code", ["XX", "CAN", "c", "1A", "council-of-europe", "%20%20"])
def test_unknown_code_is_refused_naming_country(coordinator_client: APIClient, code: str):
    response = coordinator_client.get(f"/api/v1/coalition/countries/{code}/")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"country"}


def test_unknown_query_parameter_is_refused(coordinator_client: APIClient):
    response = coordinator_client.get(_url("CA"), {"status": "pledged"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    response = coordinator_client.get(reverse("coalition-country-list"), {"page": "2"})
    assert response.status_code == 400


def test_dossier_queries_are_constant(
    coordinator_client: APIClient, django_assert_max_num_queries: Any
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _records(2)
    with CaptureQueriesContext(connection) as few:
        assert coordinator_client.get(_url("CA")).status_code == 200
    _records(10, start=2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = coordinator_client.get(_url("CA"))
    assert len(response.json()["pledges"]) == 12


def test_country_list(coordinator_client: APIClient, django_assert_max_num_queries: Any):
    make_coalition_member("CA", role="co_chair")
    make_coalition_member("GB", left_on=dt.date(2025, 1, 1))
    make_state("RU")
    url = reverse("coalition-country-list")
    coordinator_client.get(url)  # the caller's roles, read once
    with django_assert_max_num_queries(6):
        response = coordinator_client.get(url)
    assert response.status_code == 200
    assert response.json() == [
        {"code": "CA", "name": "Canada", "is_member": True, "role": "co_chair"},
        {"code": "GB", "name": "United Kingdom", "is_member": False, "role": "member"},
        {"code": "RU", "name": "Russia", "is_member": False, "role": None},
    ]

"""Cursor pagination takes only the cursors it issues: a cursor that does not decode, or decodes
to what the API would not have written (an odd offset, a forged position, a position of another
ordering), is a 400 naming ``cursor``, never the first page; the cursors it issues page both
ways."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest
from rest_framework.test import APIClient

from accounts.models import Organization, Role
from tests.factories.accounts import make_member
from tests.factories.cases import FacilityFactory, make_case
from tests.hostile_input import assert_refused, client_of, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(user: Any, home: Organization, oblasts: Any) -> dict[str, Any]:
    return make_world(user=user, home=home)


def cursor(token: str) -> str:
    """A cursor value as the API encodes one: base64 of a query string."""
    return base64.b64encode(token.encode("ascii")).decode("ascii")


FORGED_CURSORS = [
    "!!!",
    "AAAA",
    "%%%",
    "курсор",
    cursor("o=-1"),
    cursor("o=0"),
    cursor("o=01"),
    cursor("o=1001"),
    cursor("o=99999999999999999999"),
    cursor("o=x"),
    cursor("r=0"),
    cursor("r=2"),
    cursor("x=1"),
    cursor("p=1&p=2"),
    cursor("p=%00"),
    cursor("p=2024%00"),
    base64.b64encode(b"p=\xff").decode("ascii"),
    cursor("p=2024-01-01+00%3A00%3A00%2B00%3A00")[:-1],  # one character short
]
# Positions that are no time as the API writes one, for the lists ordered by a time.
FORGED_TIME_POSITIONS = [
    cursor("p=not+a+time"),
    cursor("p=2024-01-01"),
    cursor("p=2024-01-01+00%3A00%3A00"),  # no time zone
    cursor("p=2024-02-30+00%3A00%3A00%2B00%3A00"),
    cursor("p=0001-01-01+00%3A00%3A00%2B14%3A00"),  # before year 1 in UTC
]
CURSOR_LISTS = [
    # (list, ordered by a time)
    ("/api/v1/cases/", True),
    ("/api/v1/cases/?ordering=number", False),
    ("/api/v1/facilities/", False),
    ("/api/v1/facilities/?ordering=-updated_at", True),
    ("/api/v1/sources/", True),
    ("/api/v1/sources/{source}/custody/", True),
    ("/api/v1/evidence/", True),
    ("/api/v1/figures/", False),
    ("/api/v1/audit-events/", True),
]


def _auditor_client() -> APIClient:
    return client_of(make_member(Role.AUDITOR))


@pytest.mark.parametrize(
    ("url", "value"),
    [
        *((url, value) for url, _time in CURSOR_LISTS for value in FORGED_CURSORS),
        *((url, value) for url, time in CURSOR_LISTS if time for value in FORGED_TIME_POSITIONS),
        ("/api/v1/figures/", cursor("p=2024-13-01")),  # ordered by a date
    ],
)
def test_a_cursor_the_api_did_not_issue_is_400(api_client, world, url, value):
    client = _auditor_client() if "audit-events" in url else api_client
    target = url.format(**world)
    separator = "&" if "?" in target else "?"
    response = client.get(f"{target}{separator}cursor={quote(value, safe='')}")
    assert_refused(response, "cursor")


def test_a_cursor_issued_for_another_ordering_is_400(api_client, world):
    for _ in range(3):
        make_case()
    first = api_client.get("/api/v1/cases/", {"ordering": "number", "page_size": 1}).json()
    token = first["next"].split("cursor=")[1].split("&")[0]
    assert api_client.get(first["next"]).status_code == 200
    response = api_client.get(f"/api/v1/cases/?ordering=-updated_at&cursor={token}")
    assert_refused(response, "cursor")


@pytest.mark.parametrize(
    ("url", "ordering", "make"),
    [
        ("/api/v1/cases/", "number", make_case),
        ("/api/v1/cases/", "-number", make_case),
        ("/api/v1/cases/", "updated_at", make_case),
        ("/api/v1/cases/", "-created_at", make_case),
        ("/api/v1/facilities/", "name", FacilityFactory.create),
        ("/api/v1/facilities/", "-updated_at", FacilityFactory.create),
    ],
)
def test_the_cursors_the_api_issues_are_accepted_both_ways(api_client, world, url, ordering, make):
    for _ in range(4):
        make()
    seen: list[int] = []
    page = api_client.get(url, {"ordering": ordering, "page_size": 2}).json()
    seen.extend(row["id"] for row in page["results"])
    while page["next"]:
        response = api_client.get(page["next"])
        assert response.status_code == 200, response.content
        page = response.json()
        seen.extend(row["id"] for row in page["results"])
    assert len(seen) == len(set(seen)) >= 5
    # And back again from the last page.
    back: list[int] = []
    while page["previous"]:
        response = api_client.get(page["previous"])
        assert response.status_code == 200, response.content
        page = response.json()
        back.extend(row["id"] for row in page["results"])
    assert back
    assert set(back) <= set(seen)

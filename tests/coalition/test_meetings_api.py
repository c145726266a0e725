"""The API of meetings, joint statements, resolutions and votes: wiring, ETags and If-Match,
filters (unknown values refused), the votes and the pasted roll call, error bodies and query
counts. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization, Role, User
from audit.models import Action, AuditEvent
from coalition.models import Meeting, Party, PartyKind, ResolutionVote
from coalition.services import meetings as services
from tests.api_errors import assert_error
from tests.factories.accounts import make_member
from tests.factories.coalition_meetings import make_meeting, make_resolution, make_statement

pytestmark = pytest.mark.django_db

MEETINGS = reverse("coalition-meeting-list")
STATEMENTS = reverse("coalition-statement-list")
RESOLUTIONS = reverse("coalition-resolution-list")


def client_of(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def coordinator(home: Organization) -> User:
    return make_member(Role.COORDINATOR, home)


@pytest.fixture
def api(coordinator: User) -> APIClient:
    return client_of(coordinator)


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# ---------------------------------------------------------------------------------------------
# Meetings
# ---------------------------------------------------------------------------------------------
def test_meeting_create_read_and_change_with_if_match(api: APIClient) -> None:
    response = api.post(
        MEETINGS,
        {
            "kind": "call",
            "title": "Synthetic call",
            "held_on": "2023-04-01",
            "date_precision": "month",
            "date_label": "late April 2023",
            "participants": ["UA", "CN"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["ETag"] == f'"{body["id"]}-1"'
    assert response["Location"].endswith(reverse("coalition-meeting-detail", args=[body["id"]]))
    assert body["date_label"] == "late April 2023"
    assert body["country"] is None
    assert body["members_claimed_qualifier"] is None
    assert [p["code"] for p in body["participants"]] == ["CN", "UA"]
    assert body["participants"][0] == {"code": "CN", "kind": "state", "name": "China"}

    url = reverse("coalition-meeting-detail", args=[body["id"]])
    read = api.get(url)
    assert read.status_code == 200
    assert read["ETag"] == f'"{body["id"]}-1"'

    assert_error(api.patch(url, {"place": "Kyiv"}, format="json"), 428)
    assert_error(
        api.patch(url, {"place": "Kyiv"}, format="json", HTTP_IF_MATCH=f'"{body["id"]}-9"'),
        412,
        "stale_version",
    )
    changed = api.patch(
        url, {"place": "Kyiv", "host": "UA"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == f'"{body["id"]}-2"'
    assert changed.json()["host"]["code"] == "UA"
    assert changed.json()["version"] == 2


def test_meeting_create_refuses_bad_input_naming_fields(api: APIClient) -> None:
    body = assert_error(
        api.post(
            MEETINGS,
            {"kind": "call", "title": "S", "held_on": "2023-04-20", "date_precision": "month"},
            format="json",
        ),
        400,
    )
    assert "held_on" in body["fields"]
    body = assert_error(
        api.post(
            MEETINGS,
            {"kind": "call", "title": "S", "held_on": "2023-04-20", "secret": 1},
            format="json",
        ),
        400,
    )
    assert "secret" in body["fields"]
    body = assert_error(
        api.post(
            MEETINGS,
            {"kind": "call", "title": "S", "held_on": "2023-04-20", "participants": ["ZZ"]},
            format="json",
        ),
        400,
    )
    assert "participants" in body["fields"]
    assert not Meeting.objects.exists()


def test_meeting_filters(api: APIClient) -> None:
    Party.objects.create(kind=PartyKind.ORGANIZATION, code="synthetic-body", name="Synthetic")
    istanbul = make_meeting(
        kind="negotiation",
        held_on=dt.date(2025, 6, 2),
        country="TR",
        host="TR",
        participants=["UA", "RU"],
    )
    call = make_meeting(kind="call", held_on=dt.date(2023, 4, 1), participants=["UA", "CN"])
    plenary = make_meeting(held_on=dt.date(2024, 2, 2), participants=["synthetic-body"])
    assert set(ids(api.get(MEETINGS))) == {istanbul.pk, call.pk, plenary.pk}
    assert ids(api.get(MEETINGS, {"kind": "call"})) == [call.pk]
    assert ids(api.get(MEETINGS, {"participant": "ru"})) == [istanbul.pk]
    # The host took part.
    assert ids(api.get(MEETINGS, {"participant": "TR"})) == [istanbul.pk]
    assert ids(api.get(MEETINGS, {"participant": "synthetic-body"})) == [plenary.pk]
    assert ids(api.get(MEETINGS, {"participant": "DE"})) == []
    assert ids(api.get(MEETINGS, {"country": "tr"})) == [istanbul.pk]
    assert set(ids(api.get(MEETINGS, {"held_after": "2024-01-01"}))) == {istanbul.pk, plenary.pk}
    assert ids(api.get(MEETINGS, {"held_before": "2024-01-01"})) == [call.pk]
    later = timezone.now()
    services.meeting_update(meeting=call, actor=None, data={"place": "Kyiv"})
    assert ids(api.get(MEETINGS, {"updated_since": later.isoformat()})) == [call.pk]
    for params in (
        {"participant": "XX"},
        {"participant": "no-such-body"},
        {"country": "QQ"},
        {"kind": "party"},
        {"held_after": "soon"},
        {"participant": ""},
        {"host": "UA"},
    ):
        body = assert_error(api.get(MEETINGS, params), 400)
        assert set(params) <= set(body["fields"]), params


def test_meeting_list_reads_in_constant_queries(
    api: APIClient, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        make_meeting(title=f"Synthetic {n}", host="UA", participants=["UA", "CA", "DE"])
    api.get(MEETINGS)  # warm-up: the token and the roles
    with django_assert_max_num_queries(12) as few:
        assert len(ids(api.get(MEETINGS))) == 3
    for n in range(20):
        make_meeting(title=f"Synthetic more {n}", host="CA", participants=["UA", "GB"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(api.get(MEETINGS, {"page_size": 50}))) == 23


# ---------------------------------------------------------------------------------------------
# Joint statements
# ---------------------------------------------------------------------------------------------
def test_statement_shows_signatories_entered_beside_claimed(api: APIClient) -> None:
    response = api.post(
        STATEMENTS,
        {
            "title": "Synthetic statement",
            "issued_on": "2025-08-05",
            "demands": ["Return the children.", "Give information."],
            "signatories": ["CA", "UA"],
            "signatories_claimed": 40,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["signatories_entered"] == 2
    assert body["signatories_claimed"] == 40
    assert body["demands"] == ["Return the children.", "Give information."]
    listed = api.get(STATEMENTS).json()["results"][0]
    assert listed["signatories_entered"] == 2
    body = assert_error(
        api.post(
            STATEMENTS,
            {"title": "S", "issued_on": "2025-08-05", "demands": ["Return them.", ""]},
            format="json",
        ),
        400,
    )
    assert any(name.startswith("demands") for name in body["fields"])


def test_statement_filters(api: APIClient) -> None:
    early = make_statement(issued_on=dt.date(2024, 2, 2), signatories=["CA"])
    late = make_statement(issued_on=dt.date(2025, 8, 5), signatories=["CA", "UA"])
    assert ids(api.get(STATEMENTS, {"signatory": "UA"})) == [late.pk]
    assert set(ids(api.get(STATEMENTS, {"signatory": "ca"}))) == {early.pk, late.pk}
    assert ids(api.get(STATEMENTS, {"issued_after": "2025-01-01"})) == [late.pk]
    assert ids(api.get(STATEMENTS, {"issued_before": "2025-01-01"})) == [early.pk]
    assert_error(api.get(STATEMENTS, {"signatory": "XX"}), 400)
    assert_error(api.get(STATEMENTS, {"updated_since": "yesterday"}), 400)


def test_statement_patch_needs_if_match(api: APIClient) -> None:
    statement = make_statement()
    url = reverse("coalition-statement-detail", args=[statement.pk])
    assert_error(api.patch(url, {"text": "Synthetic"}, format="json"), 428)
    etag = api.get(url)["ETag"]
    response = api.patch(url, {"signatories": ["GB"]}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.filter(action=Action.UPDATE).latest("id")
    assert event.changes["signatories"] == [[], ["GB"]]


# ---------------------------------------------------------------------------------------------
# Resolutions and votes
# ---------------------------------------------------------------------------------------------
def test_resolution_votes_put_and_detail(api: APIClient) -> None:
    created = api.post(
        RESOLUTIONS,
        {
            "body": "general_assembly",
            "symbol": "A/RES/SYN/1",
            "title": "Synthetic resolution",
            "voted_on": "2025-12-01",
            "date_precision": "month",
            "in_favour": 2,
            "against": 1,
            "abstaining": 1,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["reported"] == {"in_favour": 2, "against": 1, "abstaining": 1, "absent": None}
    assert body["entered"] == {"in_favour": 0, "against": 0, "abstaining": 0, "absent": 0}
    assert body["votes"] == []
    url = reverse("coalition-resolution-votes", args=[body["id"]])

    assert_error(api.put(url, {"votes": {"RU": "against"}}, format="json"), 428)
    response = api.put(
        url,
        {"votes": {"RU": "against", "CA": "in_favour"}},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["entered"] == {"in_favour": 1, "against": 1, "abstaining": 0, "absent": 0}
    assert body["votes"] == [
        {"code": "CA", "name": "Canada", "vote": "in_favour"},
        {"code": "RU", "name": "Russia", "vote": "against"},
    ]
    refused = assert_error(
        api.put(
            url,
            {"votes": {"BY": "against"}},
            format="json",
            HTTP_IF_MATCH=response["ETag"],
        ),
        400,
    )
    assert refused["detail"] == "against: 2 states entered, 1 reported."
    assert ResolutionVote.objects.count() == 2
    assert_error(
        api.put(url, {"votes": {"BY": "maybe"}}, format="json", HTTP_IF_MATCH=response["ETag"]),
        400,
    )
    assert_error(
        api.put(url, {"votes": {"BY": "against"}}, format="json", HTTP_IF_MATCH=created["ETag"]),
        412,
    )


def test_roll_call_paste_names_unknown_names(api: APIClient) -> None:
    resolution = make_resolution(in_favour=91, against=12, abstaining=57)
    url = reverse("coalition-resolution-roll-call", args=[resolution.pk])
    etag = f'"{resolution.pk}-1"'
    body = assert_error(
        api.post(
            url,
            {"in_favour": "Canada, Atlantis", "against": "Росія; Mordor", "abstaining": "China"},
            format="json",
            HTTP_IF_MATCH=etag,
        ),
        400,
    )
    assert "Atlantis" in body["fields"]["in_favour"][0]
    assert "Mordor" in body["fields"]["against"][0]
    assert not ResolutionVote.objects.exists()
    body = assert_error(
        api.post(url, {"in_favour": "Canada", "against": "CA"}, format="json", HTTP_IF_MATCH=etag),
        400,
    )
    assert {"in_favour", "against"} <= set(body["fields"])
    response = api.post(
        url,
        {"in_favour": "Canada\nUkraine", "against": "Росія; Belarus", "abstaining": "Китай"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    assert response.json()["entered"] == {
        "in_favour": 2,
        "against": 2,
        "abstaining": 1,
        "absent": 0,
    }


def test_resolution_filters(api: APIClient) -> None:
    assembly = make_resolution(voted_on=dt.date(2025, 12, 1), against=12)
    council = make_resolution(body="human_rights_council", voted_on=dt.date(2024, 4, 4))
    services.votes_set(resolution=assembly, votes={"RU": "against"}, actor=None)
    assert ids(api.get(RESOLUTIONS, {"state": "ru"})) == [assembly.pk]
    assert ids(api.get(RESOLUTIONS, {"state": "CA"})) == []
    assert ids(api.get(RESOLUTIONS, {"body": "human_rights_council"})) == [council.pk]
    assert ids(api.get(RESOLUTIONS, {"voted_after": "2025-01-01"})) == [assembly.pk]
    assert ids(api.get(RESOLUTIONS, {"voted_before": "2025-01-01"})) == [council.pk]
    listed = api.get(RESOLUTIONS, {"state": "RU"}).json()["results"][0]
    assert listed["entered"]["against"] == 1
    assert "votes" not in listed
    Party.objects.create(kind=PartyKind.ORGANIZATION, code="synthetic-body", name="Synthetic")
    for params in ({"state": "XX"}, {"state": "synthetic-body"}, {"body": "senate"}):
        body = assert_error(api.get(RESOLUTIONS, params), 400)
        assert set(params) <= set(body["fields"])


def test_resolution_patch_refuses_complete_roll_call_with_numbers(api: APIClient) -> None:
    resolution = make_resolution(in_favour=91, against=12, abstaining=57, absent=0)
    services.votes_set(resolution=resolution, votes={"RU": "against"}, actor=None)
    url = reverse("coalition-resolution-detail", args=[resolution.pk])
    etag = api.get(url)["ETag"]
    body = assert_error(
        api.patch(url, {"roll_call_complete": True}, format="json", HTTP_IF_MATCH=etag), 400
    )
    assert body["fields"]["in_favour"] == ["0 states entered, 91 reported."]
    assert body["fields"]["against"] == ["1 states entered, 12 reported."]
    assert body["fields"]["abstaining"] == ["0 states entered, 57 reported."]
    assert "absent" not in body["fields"]


def _listed_record(url: str, n: int) -> None:
    if url == STATEMENTS:
        make_statement(title=f"Synthetic {n}", signatories=["CA", "UA", "DE"][: n % 3 + 1])
    else:
        resolution = make_resolution(title=f"Synthetic {n}", against=3)
        votes = {"RU": "against", "BY": "against", "CU": "abstaining"}
        services.votes_set(resolution=resolution, votes=votes, actor=None)


@pytest.mark.parametrize("url", [STATEMENTS, RESOLUTIONS])
def test_statement_and_resolution_lists_read_in_constant_queries(
    api: APIClient, django_assert_max_num_queries: Any, url: str
) -> None:
    for n in range(2):
        _listed_record(url, n)
    api.get(url)  # warm-up: the token and the roles
    with django_assert_max_num_queries(12) as few:
        assert len(ids(api.get(url))) == 2
    for n in range(2, 20):
        _listed_record(url, n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(api.get(url, {"page_size": 50}))) == 20


def test_entering_votes_counts_as_a_change_for_sync(api: APIClient) -> None:
    resolution = make_resolution(against=3)
    other = make_resolution(title="Synthetic other")
    since = timezone.now()
    services.votes_set(resolution=resolution, votes={"RU": "against"}, actor=None)
    assert ids(api.get(RESOLUTIONS, {"updated_since": since.isoformat()})) == [resolution.pk]
    assert other.pk in ids(api.get(RESOLUTIONS))

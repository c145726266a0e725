"""Identity matching through the API: ``POST /api/v1/children/match/`` for one description, and
opening a case for a new child, refused (409, with the candidates) while a likely candidate
has not been looked at. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization
from audit.models import Action, AuditEvent
from cases import services
from cases.exceptions import LikelyCandidatesFound
from cases.models import Case, Child, ChildNameKey
from tests.api_errors import assert_error
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db

MATCH = "/api/v1/children/match/"
CASES = "/api/v1/cases/"

OLEKSII = {
    "given_name": "Олексій",
    "family_name": "Коваленко",
    "patronymic": "Сергійович",
    "sex": "male",
    "date_of_birth": dt.date(2012, 5, 17),
    "date_of_birth_precision": "exact",
}
ELSEWHERE_FAMILY_NAME = "Деінденко"


def _client(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def elsewhere() -> Organization:
    return OrganizationFactory.create(name="Synthetic organization elsewhere")


@pytest.fixture
def own_case(home: Organization, oblasts: Any) -> Case:
    return make_case(organization=home, child={**OLEKSII, "origin_oblast": oblasts["UA-14"]})


@pytest.fixture
def held_case(elsewhere: Organization) -> Case:
    """The same child as ``own_case`` as another organization holds it (the duplicate that
    matters most)."""
    return make_case(organization=elsewhere, child=OLEKSII)


def _read_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__in=[Action.LIST, Action.SEARCH, Action.VIEW]))


# ---------------------------------------------------------------------------------------------
# POST /children/match/
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        {"full_name": "Коваленко Алексей Сергеевич", "date_of_birth": "2012-05-17"},
        {"full_name": "Oleksii Serhiiovych KOVALENKO", "date_of_birth": "2012"},
        {
            "given_name": "Alexey",
            "family_name": "Kovalenko",
            "date_of_birth": "2012-05",
            "sex": "M",
            "origin_oblast": "UA-14",
        },
    ],
)
def test_child_match_finds_own_child_with_its_case(
    api_client: APIClient, own_case: Case, body: dict[str, Any]
) -> None:
    response = api_client.post(MATCH, body, format="json")

    assert response.status_code == 200, response.content
    candidates = response.json()["candidates"]
    first = candidates[0]
    assert first["held"] is False
    assert first["band"] == "likely"
    assert first["case"] == {
        "id": own_case.pk,
        "number": own_case.number,
        "status": "reported",
        "access_scope": "full",
    }
    assert first["child"]["given_name"] == "Олексій"
    assert first["child"]["date_of_birth"] == "2012-05-17"
    assert first["organization"]["id"] == own_case.organization_id
    assert 0 < first["score"] <= 1
    assert first["reasons"]
    assert own_case.number in first["summary"]


def test_child_match_shows_another_organizations_child_only_as_held(
    api_client: APIClient, elsewhere: Organization
) -> None:
    make_case(organization=elsewhere, child={**OLEKSII, "family_name": ELSEWHERE_FAMILY_NAME})

    response = api_client.post(
        MATCH,
        {"full_name": f"{ELSEWHERE_FAMILY_NAME} Олексій Сергійович", "date_of_birth": "2012-05-17"},
        format="json",
    )

    assert response.status_code == 200
    [held] = response.json()["candidates"]
    assert held == {
        "held": True,
        "band": "likely",
        "score": None,
        "reasons": [],
        "summary": f"A likely match is held by {elsewhere.name}.",
        "organization": {"id": elsewhere.pk, "name": elsewhere.name},
        "case": None,
        "child": None,
        "external_references": [],
    }
    text = response.content.decode()
    assert ELSEWHERE_FAMILY_NAME not in text
    assert "2012" not in text


def test_child_match_reasons_are_in_the_readers_language(
    api_client: APIClient, own_case: Case
) -> None:
    body = {"full_name": "Kovalenko Oleksii", "date_of_birth": "2012-05-17"}

    english = api_client.post(MATCH, body, format="json").json()["candidates"][0]
    ukrainian = api_client.post(MATCH, body, format="json", HTTP_ACCEPT_LANGUAGE="uk").json()[
        "candidates"
    ][0]

    assert "date of birth equal" in english["reasons"]
    assert "дата народження збігається" in ukrainian["reasons"]
    assert "date of birth equal" not in ukrainian["reasons"]


def test_child_match_records_one_read_naming_the_cases_shown(
    api_client: APIClient, own_case: Case, held_case: Case
) -> None:
    before = {event.pk for event in _read_events()}

    response = api_client.post(
        MATCH, {"full_name": "Коваленко Олексій", "date_of_birth": "2012-05-17"}, format="json"
    )

    assert response.status_code == 200
    shown = response.json()["candidates"]
    assert {c["held"] for c in shown} == {True, False}
    [event] = [e for e in _read_events() if e.pk not in before]
    assert event.metadata["records"] == {"cases.case": [own_case.pk]}  # never the held one
    assert event.metadata["kind"] == "identity_match"
    assert event.metadata["held"] == 1
    recorded = str(event.metadata)
    assert "Коваленко" not in recorded
    assert "Олексій" not in recorded


def test_child_match_returns_at_most_five_candidates_best_first(
    api_client: APIClient, home: Organization
) -> None:
    for day in range(1, 9):
        make_case(organization=home, child={**OLEKSII, "date_of_birth": dt.date(2012, 5, day)})

    body = {"full_name": "Коваленко Олексій Сергійович", "date_of_birth": "2012-05-03"}
    candidates = api_client.post(MATCH, body, format="json").json()["candidates"]
    fewer = api_client.post(MATCH, {**body, "limit": 2}, format="json").json()["candidates"]

    assert len(candidates) == 5
    scores = [c["score"] for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert candidates[0]["child"]["date_of_birth"] == "2012-05-03"
    assert [c["case"]["id"] for c in fewer] == [c["case"]["id"] for c in candidates[:2]]


def test_child_match_finds_nothing_for_an_absent_child(
    api_client: APIClient, own_case: Case
) -> None:
    response = api_client.post(
        MATCH, {"full_name": "Шевчишин Ярослава", "date_of_birth": "2009"}, format="json"
    )

    assert response.status_code == 200
    assert response.json() == {"candidates": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "full_name"),
        ({"date_of_birth": "2012"}, "full_name"),
        ({"full_name": "Коваленко", "given_name": "Олексій"}, "given_name"),
        ({"full_name": "12345 !!"}, "full_name"),
        ({"given_name": "Олексій", "nickname": "Льоша"}, "nickname"),
        ({"full_name": "Коваленко Олексій", "date_of_birth": "17.05.2012"}, "date_of_birth"),
        ({"full_name": "Коваленко Олексій", "date_of_birth": "2012-13-17"}, "date_of_birth"),
        ({"full_name": "Коваленко Олексій", "date_of_birth": "2012-02-30"}, "date_of_birth"),
        ({"full_name": "Коваленко Олексій", "sex": "male"}, "sex"),
        ({"full_name": "Коваленко Олексій", "origin_oblast": "UA-XX"}, "origin_oblast"),
        ({"full_name": "Коваленко Олексій", "limit": 6}, "limit"),
        ({"full_name": "Коваленко Олексій", "limit": 0}, "limit"),
        ({"full_name": "К" * 301}, "full_name"),
        ({"given_name": ["Олексій"]}, "given_name"),
    ],
)
def test_child_match_refuses_bad_input_naming_the_field(
    api_client: APIClient, body: dict[str, Any], field: str
) -> None:
    response = api_client.post(MATCH, body, format="json")

    error = assert_error(response, 400, "invalid")
    assert field in error["fields"], error
    # A date of birth is never echoed back.
    assert "2012" not in response.content.decode()


def test_child_match_refuses_unknown_query_parameters(api_client: APIClient) -> None:
    response = api_client.post(MATCH + "?debug=1", {"full_name": "Коваленко"}, format="json")

    assert_error(response, 400)


def test_child_match_needs_credentials_and_a_role_that_matches(oblasts: Any) -> None:
    body = {"full_name": "Коваленко Олексій"}
    assert_error(APIClient().post(MATCH, body, format="json"), 401)
    nobody = UserFactory.create()
    assert_error(_client(nobody).post(MATCH, body, format="json"), 403, "permission_denied")
    for role in ("coordinator", "partner", "auditor", "caseworker"):
        member = make_member(role, OrganizationFactory.create())
        assert _client(member).post(MATCH, body, format="json").status_code == 200, role


def test_child_match_coordinator_sees_candidates_only_as_held(
    own_case: Case, home: Organization
) -> None:
    coordinator = make_member("coordinator", home)

    response = _client(coordinator).post(
        MATCH, {"full_name": "Коваленко Олексій Сергійович", "date_of_birth": "2012"}, format="json"
    )

    [candidate] = response.json()["candidates"]
    assert candidate["held"] is True
    assert candidate["organization"]["name"] == home.name


# ---------------------------------------------------------------------------------------------
# Opening a case for a child the registry may hold
# ---------------------------------------------------------------------------------------------
def _new_case_body(**child: Any) -> dict[str, Any]:
    fields = {**OLEKSII, "date_of_birth": "2012-05-17", **child}
    return {"child": fields, "priority": "high"}


def test_case_create_api_refuses_a_likely_candidate_and_writes_nothing(
    api_client: APIClient, own_case: Case
) -> None:
    children, keys, events = (
        Child.objects.count(),
        ChildNameKey.objects.count(),
        set(AuditEvent.objects.values_list("pk", flat=True)),
    )

    response = api_client.post(
        CASES, _new_case_body(given_name="Олексій", family_name="Коваленко"), format="json"
    )

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "likely_candidates"
    assert "candidates_checked" in body["fields"]
    [candidate] = body["candidates"]
    assert candidate["case"]["id"] == own_case.pk
    assert candidate["band"] == "likely"
    assert (Child.objects.count(), ChildNameKey.objects.count()) == (children, keys)
    assert Case.objects.count() == 1
    # The one event the refusal leaves is the read of the case it showed.
    new = AuditEvent.objects.exclude(pk__in=events)
    assert [(e.action, e.metadata["records"]) for e in new] == [
        (Action.LIST, {"cases.case": [own_case.pk]})
    ]


def test_case_create_api_retry_that_says_it_checked_opens_the_case(
    api_client: APIClient, own_case: Case
) -> None:
    body = _new_case_body()
    assert api_client.post(CASES, body, format="json").status_code == 409

    response = api_client.post(CASES, {**body, "candidates_checked": True}, format="json")

    assert response.status_code == 201, response.content
    assert Case.objects.count() == 2
    assert Child.objects.count() == 2


def test_case_create_api_opens_at_once_with_only_possible_candidates(
    api_client: APIClient, own_case: Case
) -> None:
    # A changed surname (adoption) with the rest alike: possible, for the duplicate review.
    response = api_client.post(CASES, _new_case_body(family_name="Іваненко"), format="json")

    assert response.status_code == 201, response.content


def test_case_create_api_shows_a_child_held_elsewhere_without_personal_data(
    api_client: APIClient, elsewhere: Organization
) -> None:
    make_case(organization=elsewhere, child={**OLEKSII, "family_name": ELSEWHERE_FAMILY_NAME})

    response = api_client.post(
        CASES, _new_case_body(family_name=ELSEWHERE_FAMILY_NAME), format="json"
    )

    assert response.status_code == 409
    [candidate] = response.json()["candidates"]
    assert candidate["held"] is True
    assert candidate["organization"]["name"] == elsewhere.name
    assert candidate["child"] is None
    assert candidate["case"] is None
    assert response.content.decode().count(ELSEWHERE_FAMILY_NAME) == 0


def test_case_create_api_refuses_candidates_checked_of_the_wrong_type(
    api_client: APIClient, oblasts: Any
) -> None:
    response = api_client.post(CASES, {**_new_case_body(), "candidates_checked": "maybe"}, "json")

    error = assert_error(response, 400, "invalid")
    assert "candidates_checked" in error["fields"]


# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------
def test_case_create_refuses_likely_candidates_unless_checked(user: Any, own_case: Case) -> None:
    data = {**OLEKSII}

    with pytest.raises(LikelyCandidatesFound) as refused:
        services.case_create(actor=user, child_data=data)

    [candidate] = refused.value.candidates
    assert (candidate.case_id, candidate.band) == (own_case.pk, "likely")
    assert refused.value.status_code == 409
    case = services.case_create(actor=user, child_data=data, candidates_checked=True)
    assert case.child_id != own_case.child_id


def test_case_create_matches_the_aliases_given_with_the_child(user: Any, own_case: Case) -> None:
    """A new record in other names, with an alias that is the registry child's name."""
    data = {**OLEKSII, "given_name": "Петро", "family_name": "Іваненко", "patronymic": ""}
    alias = {"name": "Коваленко Олексій Сергійович", "kind": "changed"}

    with pytest.raises(LikelyCandidatesFound):
        services.case_create(actor=user, child_data=data, aliases=[alias])
    assert services.case_create(actor=user, child_data=data)  # without the alias: no match


def test_case_create_for_a_known_child_does_not_match(user: Any, own_case: Case) -> None:
    from tests.factories.cases import move_case

    closed = move_case(own_case, "closed")
    again = services.case_create(actor=user, child=closed.child)
    assert again.child_id == own_case.child_id


def test_child_match_reads_in_constant_queries(
    api_client: APIClient, home: Organization, elsewhere: Organization, user: Any
) -> None:
    body = {"full_name": "Коваленко Олексій Сергійович", "date_of_birth": "2012-05-03"}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api_client.post(MATCH, body, format="json").status_code == 200
        return len(captured)

    make_case(organization=home, child=OLEKSII)
    make_case(organization=elsewhere, child=OLEKSII)
    api_client.post(MATCH, body, format="json")  # the compiled reads are compiled once
    few = queries()
    for day in range(1, 9):
        make_case(organization=home, child={**OLEKSII, "date_of_birth": dt.date(2012, 5, day)})
        make_case(organization=elsewhere, child={**OLEKSII, "date_of_birth": dt.date(2012, 4, day)})

    assert queries() == few

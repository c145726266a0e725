"""API wiring of cases: list, read, open, change, move through the workflow.

The rules themselves are tested on the services; these tests check that the API reaches them,
renders what they return and turns their errors into the documented answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cases import services
from cases.models import Case, CaseNumberSequence, Child, ChildAlias, StatusChange
from cases.workflow import Status, transitions_from
from tests.api_errors import assert_error
from tests.cases.etags import etag, if_match
from tests.factories.accounts import make_member
from tests.factories.cases import FacilityFactory, make_case, make_whereabouts, move_case

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


def case_url(case_id: Any, suffix: str = "") -> str:
    return f"{CASES}{case_id}/{suffix}"


def create_payload(**case_fields: Any) -> dict[str, Any]:
    """A synthetic child (made-up family name) and its case, as a partner would post them."""
    child = {
        "given_name": "Олександр",
        "family_name": "Вигаданенко",
        "patronymic": "Петрович",
        "date_of_birth": "2012-05-17",
        "date_of_birth_precision": "exact",
        "sex": "male",
        "origin_oblast": "UA-14",
        "origin_settlement": "Маріуполь",
        "origin_latitude": "47.097",
        "origin_longitude": "37.543",
        "parental_care": "institution",
        "aliases": [
            {"name": "Александр Выдуманенко", "kind": "russified", "seen_in": "Synthetic listing"}
        ],
    }
    child.update(case_fields.pop("child", {}))
    payload: dict[str, Any] = {
        "child": child,
        "priority": "high",
        "pathway": "from_institution",
        "deported_on": "2022-09-01",
        "deported_from": "Synthetic children's home",
        "russian_citizenship_imposed": True,
    }
    payload.update(case_fields)
    return payload


def counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Child.objects.count(),
        ChildAlias.objects.count(),
        StatusChange.objects.count(),
        sum(CaseNumberSequence.objects.values_list("last", flat=True)),
    )


# ---------------------------------------------------------------------------------------------
# List and read
# ---------------------------------------------------------------------------------------------
def test_case_list_renders_rows(api_client, oblasts, user):
    case = make_case(oblast=oblasts["UA-14"], assignee=user)
    make_whereabouts(case, country="RU", latitude="55.756", longitude="37.617")

    response = api_client.get(CASES)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    (row,) = body["results"]
    assert row["id"] == case.pk
    assert row["number"] == case.number
    assert row["status"] == "reported"
    assert row["status_label"] == "Reported"
    assert row["phase"] == "repatriation"
    assert row["assignee"] == {"id": user.pk, "username": user.username}
    assert row["child"]["origin_oblast"] == {
        "code": "UA-14",
        "name_uk": oblasts["UA-14"].name_uk,
        "name_en": "Donetsk Oblast",
    }
    assert row["child"]["given_name_latin"] == case.child.given_name_latin
    assert row["child"]["current_whereabouts"]["country"] == "RU"
    # No origin coordinates on a factory child: the distance is unknown, not zero.
    assert row["child"]["current_whereabouts"]["distance_from_home_km"] is None
    assert "aliases" not in row["child"]
    assert [t["target"] for t in row["allowed_transitions"]] == ["verifying", "closed"]


def test_case_retrieve_renders_the_full_record(api_client, oblasts, user):
    case = make_case(
        oblast=oblasts["UA-14"],
        child={"origin_latitude": "47.097000", "origin_longitude": "37.543000"},
        aliases=[{"name": "Синтетичне Імʼя", "kind": "changed", "seen_in": "Synthetic database"}],
        assignee=user,
    )
    facility = FacilityFactory.create(country="KP", latitude="39.180000", longitude="127.430000")
    make_whereabouts(case, facility=facility, country="KP")

    response = api_client.get(case_url(case.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == case.number
    assert body["version"] == 2  # the whereabouts recorded after opening changed what it shows
    assert body["closure_reason"] is None
    assert body["returned_on"] is None
    child = body["child"]
    assert child["aliases"] == [
        {
            "id": case.child.aliases.get().pk,
            "name": "Синтетичне Імʼя",
            "kind": "changed",
            "seen_in": "Synthetic database",
        }
    ]
    assert child["date_of_birth"] == "2012-05-17"
    assert child["date_of_birth_precision"] == "exact"
    assert child["origin_latitude"] == pytest.approx(47.097)
    place = child["current_whereabouts"]
    assert place["facility"] == {"id": facility.pk, "name": facility.name, "kind": "camp"}
    assert place["country"] == "KP"
    assert place["country_name"] == "North Korea"
    assert place["distance_from_home_km"] == pytest.approx(7000, rel=0.15)
    transitions = {t["target"]: t for t in body["allowed_transitions"]}
    assert transitions["closed"]["requires"] == ["closure_reason"]
    assert transitions["closed"]["label"]


def test_case_retrieve_unknown_id_is_404(api_client):
    assert_error(api_client.get(case_url(987654)), 404, "not_found")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_case_detail_refuses_put_and_delete(api_client, db, method):
    case = make_case()
    response = getattr(api_client, method)(case_url(case.pk), {}, format="json")
    assert_error(response, 405)
    assert Case.objects.filter(pk=case.pk).exists()


# ---------------------------------------------------------------------------------------------
# Create
# ---------------------------------------------------------------------------------------------
def test_case_create_opens_a_case_for_a_new_child(api_client, oblasts, user, home):
    assignee = make_member("caseworker", home)
    response = api_client.post(CASES, create_payload(assignee=assignee.pk), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert response["Location"].endswith(case_url(case.pk))
    assert response["ETag"] == f'"{case.pk}-1"'
    assert case.created_by == user
    assert case.organization == home
    assert case.assignee == assignee
    assert case.status == Status.REPORTED
    assert case.priority == "high"
    assert case.russian_citizenship_imposed is True
    assert case.child.origin_oblast_id == "UA-14"
    assert body["number"] == case.number
    assert body["child"]["given_name_latin"] == "Oleksandr"
    assert body["child"]["family_name_latin"] == "Vyhadanenko"
    assert body["child"]["origin_oblast"]["code"] == "UA-14"
    assert [a["name"] for a in body["child"]["aliases"]] == ["Александр Выдуманенко"]
    assert body["assignee"]["id"] == assignee.pk


def test_case_create_minimal_child(api_client, db):
    payload = {
        "child": {
            "given_name": "Марія",
            "family_name": "Вигаданенко",
            "date_of_birth": None,
            "date_of_birth_precision": "estimated",
        }
    }
    response = api_client.post(CASES, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["child"]["origin_oblast"] is None
    assert response.json()["priority"] == "normal"


@pytest.mark.parametrize(
    ("child", "case_fields", "field"),
    [
        ({"given_name": "Oleksandr"}, {}, "child.given_name"),
        ({"family_name": "Smith"}, {}, "child.family_name"),
        ({"date_of_birth": "2999-01-01"}, {}, "child.date_of_birth"),
        ({"date_of_birth": None}, {}, "child.date_of_birth_precision"),
        ({"origin_latitude": None}, {}, "child.origin_latitude"),
        ({"date_of_birth": "2015-01-01"}, {"deported_on": "2014-06-01"}, "deported_on"),
        ({}, {"deported_on": "2999-01-01"}, "deported_on"),
    ],
)
def test_case_create_rule_broken_is_400_and_writes_nothing(
    api_client, oblasts, child, case_fields, field
):
    before = counts()
    response = api_client.post(CASES, create_payload(child=child, **case_fields), format="json")
    body = assert_error(response, 400, "invalid")
    assert field in body["fields"]
    assert counts() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (create_payload(child={"given_name": ""}), "child.given_name"),
        (create_payload(child={"origin_oblast": "UA-99"}), "child.origin_oblast"),
        (create_payload(child={"sex": "other"}), "child.sex"),
        (create_payload(child={"date_of_birth": "17.05.2012"}), "child.date_of_birth"),
        (create_payload(child={"date_of_birth": "0001-01-01"}), "child.date_of_birth"),
        (
            create_payload(child={"aliases": [{"name": "X", "kind": "bogus"}]}),
            "child.aliases.0.kind",
        ),
        (create_payload(child={"nickname": "X"}), "child.nickname"),
        (create_payload(status="closed"), "status"),
        (create_payload(priority="extreme"), "priority"),
        (create_payload(assignee=987654), "assignee"),
        ({"priority": "high"}, "child"),
    ],
)
def test_case_create_invalid_input_is_400_naming_the_field(api_client, db, payload, field):
    before = counts()
    body = assert_error(api_client.post(CASES, payload, format="json"), 400, "invalid")
    assert field in body["fields"], body
    assert counts() == before


# ---------------------------------------------------------------------------------------------
# Partial update
# ---------------------------------------------------------------------------------------------
def test_case_partial_update_changes_case_and_child(api_client, oblasts, home):
    case = make_case(oblast=oblasts["UA-14"])
    assignee = make_member("caseworker", home)
    payload = {
        "priority": "urgent",
        "assignee": assignee.pk,
        "adopted_in_russia": True,
        "child": {"given_name": "Богдан", "origin_oblast": "UA-23"},
    }

    response = api_client.patch(case_url(case.pk), payload, format="json", **if_match(case))

    assert response.status_code == 200, response.json()
    assert response["ETag"] == f'"{case.pk}-2"'
    body = response.json()
    assert body["priority"] == "urgent"
    assert body["adopted_in_russia"] is True
    assert body["assignee"]["id"] == assignee.pk
    assert body["child"]["given_name"] == "Богдан"
    assert body["child"]["given_name_latin"] == "Bohdan"
    assert body["child"]["origin_oblast"]["code"] == "UA-23"
    assert body["version"] == 2
    case.refresh_from_db()
    assert case.priority == "urgent"
    assert case.child.family_name  # untouched fields stay


def test_case_partial_update_with_stale_version_is_412(api_client, db):
    case = make_case()
    read = if_match(case)
    services.case_update(case=case, actor=None, data={"priority": "high"})  # someone else
    response = api_client.patch(case_url(case.pk), {"priority": "low"}, format="json", **read)
    assert_error(response, 412, "stale_version")
    case.refresh_from_db()
    assert (case.priority, case.version) == ("high", 2)


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "closed"},
        {"returned_on": "2024-01-01"},
        {"closure_reason": "duplicate"},
        {"priority": "low", "status": "verifying"},
    ],
)
def test_case_partial_update_refuses_workflow_fields(api_client, db, payload):
    case = make_case()
    body = assert_error(
        api_client.patch(case_url(case.pk), payload, format="json", **if_match(case)), 400
    )
    assert set(body["fields"]) == set(payload) - {"priority"}
    assert "transition" in body["detail"].lower()
    case.refresh_from_db()
    assert (case.status, case.priority, case.version) == ("reported", "normal", 1)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"child": {"given_name": "Bohdan"}}, "child.given_name"),
        ({"child": {"date_of_birth": "2999-01-01"}}, "child.date_of_birth"),
        ({"child": {"date_of_birth": "2023-01-01"}}, "child.date_of_birth"),
        ({"child": {"aliases": []}}, "child.aliases"),
        ({"deported_on": "2999-01-01"}, "deported_on"),
        ({"number": "UA-2020-000001"}, "number"),
        ({"priority": None}, "priority"),
    ],
)
def test_case_partial_update_invalid_is_400_and_changes_nothing(api_client, db, payload, field):
    case = make_case()
    given_name = case.child.given_name
    body = assert_error(
        api_client.patch(case_url(case.pk), payload, format="json", **if_match(case)), 400
    )
    assert field in body["fields"], body
    case.refresh_from_db()
    case.child.refresh_from_db()
    assert case.version == 1
    assert case.child.given_name == given_name
    assert case.child.date_of_birth == dt.date(2012, 5, 17)


# ---------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------
def test_case_transition_allowed_is_200_with_the_moved_case(api_client, db, user):
    case = make_case()
    response = api_client.post(
        case_url(case.pk, "transition/"),
        {"to": "verifying", "reason": "Call"},
        format="json",
        **if_match(case),
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == f'"{case.pk}-2"'
    body = response.json()
    assert body["status"] == "verifying"
    assert body["version"] == 2
    assert [t["target"] for t in body["allowed_transitions"]] == [
        t.target for t in transitions_from("verifying")
    ]
    change = StatusChange.objects.filter(case=case).latest("case_version")
    assert (change.to_status, change.actor, change.reason) == ("verifying", user, "Call")


def test_case_transition_to_returned_with_its_date(api_client, db):
    case = move_case(make_case(), "verifying", "searching", "located", "return_in_progress")
    response = api_client.post(
        case_url(case.pk, "transition/"),
        {"to": "returned", "returned_on": "2024-03-01"},
        format="json",
        **if_match(case),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["returned_on"] == "2024-03-01"
    assert response.json()["phase"] == "rehabilitation"


def test_case_transition_close_and_reopen(api_client, db):
    case = make_case()
    closed = api_client.post(
        case_url(case.pk, "transition/"),
        {"to": "closed", "closure_reason": "duplicate"},
        format="json",
        **if_match(case),
    )
    assert closed.status_code == 200
    assert closed.json()["closure_reason"] == "duplicate"
    # The write's answer carries the new ETag: the next write sends it back.
    reopened = api_client.post(
        case_url(case.pk, "transition/"),
        {"to": "verifying", "reason": "Not a duplicate after all"},
        format="json",
        HTTP_IF_MATCH=closed["ETag"],
    )
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "verifying"
    assert reopened.json()["closure_reason"] is None


def test_case_transition_forbidden_is_409(api_client, db):
    case = make_case()
    response = api_client.post(
        case_url(case.pk, "transition/"), {"to": "returned"}, format="json", **if_match(case)
    )
    body = assert_error(response, 409, "transition_not_allowed")
    assert "to" in body["fields"]
    case.refresh_from_db()
    assert (case.status, case.version) == ("reported", 1)


@pytest.mark.parametrize(
    ("moves", "body", "field"),
    [
        (
            ("verifying", "searching", "located", "return_in_progress"),
            {"to": "returned"},
            "returned_on",
        ),
        (
            ("verifying", "searching", "located", "return_in_progress"),
            {"to": "returned", "returned_on": "2999-01-01"},
            "returned_on",
        ),
        ((), {"to": "closed"}, "closure_reason"),
        (("verifying", "searching", "located"), {"to": "searching"}, "reason"),
    ],
)
def test_case_transition_guard_missing_is_400_naming_it(api_client, db, moves, body, field):
    case = move_case(make_case(), *moves)
    version = case.version
    response = api_client.post(
        case_url(case.pk, "transition/"), body, format="json", **if_match(case)
    )
    errors = assert_error(response, 400, "invalid")
    assert field in errors["fields"]
    case.refresh_from_db()
    assert case.version == version


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "escaped"}, "to"),
        ({}, "to"),
        ({"to": "closed", "closure_reason": "bored"}, "closure_reason"),
        ({"to": "verifying", "extra": 1}, "extra"),
    ],
)
def test_case_transition_invalid_body_is_400(api_client, db, body, field):
    case = make_case()
    errors = assert_error(
        api_client.post(case_url(case.pk, "transition/"), body, format="json", **if_match(case)),
        400,
    )
    assert field in errors["fields"]


def test_case_transition_with_stale_version_is_412(api_client, db):
    case = make_case()
    read = etag(case)
    move_case(case, "verifying")  # someone else moved it since
    response = api_client.post(
        case_url(case.pk, "transition/"),
        {"to": "searching", "version": 1},
        format="json",
        HTTP_IF_MATCH=read,
    )
    assert_error(response, 412, "stale_version")
    case.refresh_from_db()
    assert (case.status, case.version) == ("verifying", 2)


def test_case_transition_unknown_case_is_404(api_client):
    response = api_client.post(
        case_url(987654, "transition/"),
        {"to": "verifying"},
        format="json",
        HTTP_IF_MATCH='"987654-1"',
    )
    assert_error(response, 404)

"""Optimistic concurrency on the case API: the ETag a read returns (``"<id>-<version>"``) and the
``If-Match`` every write to a case must carry (RFC 9110 strong comparison).

A missing precondition is a 428, a tag that no longer names the case's version a 412, and on
PostgreSQL many clients writing with the same tag at once get exactly one success.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases import services
from cases.models import Case, StatusChange
from cases.workflow import Status
from tests.api_errors import assert_error
from tests.cases.etags import etag
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"


def case_url(case_id: int, suffix: str = "") -> str:
    return f"{CASES}{case_id}/{suffix}"


# Each write to a case the API offers, with a body it accepts on a new case.
WRITES = {
    "patch": ("patch", "", {"priority": "high"}),
    "transition": ("post", "transition/", {"to": "verifying", "reason": "Synthetic call"}),
}


def write(
    client: APIClient, case: Case, kind: str, body: dict[str, Any] | None = None, **headers: Any
) -> Any:
    method, suffix, default = WRITES[kind]
    return getattr(client, method)(
        case_url(case.pk, suffix), default if body is None else body, format="json", **headers
    )


def stored(case: Case) -> tuple[str, str, int]:
    row = Case.objects.get(pk=case.pk)
    return (row.status, row.priority, row.version)


# ---------------------------------------------------------------------------------------------
# The ETag a read returns
# ---------------------------------------------------------------------------------------------
def test_case_detail_etag_is_the_id_and_version(api_client):
    case = make_case()

    response = api_client.get(case_url(case.pk))

    assert response.status_code == 200
    assert response["ETag"] == f'"{case.pk}-1"'
    assert response.json()["version"] == 1


def test_case_detail_etag_changes_after_a_write(api_client):
    case = make_case()
    first = api_client.get(case_url(case.pk))["ETag"]
    services.case_update(case=case, actor=None, data={"priority": "urgent"})

    second = api_client.get(case_url(case.pk))["ETag"]

    assert second == f'"{case.pk}-2"'
    assert second != first
    move_case(case, Status.VERIFYING)
    assert api_client.get(case_url(case.pk))["ETag"] == f'"{case.pk}-3"'


def test_case_create_answers_with_the_etag(api_client):
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
    assert response["ETag"] == f'"{response.json()["id"]}-1"'


@pytest.mark.parametrize("kind", WRITES)
def test_case_write_answers_with_the_new_etag(api_client, kind):
    case = make_case()
    read = api_client.get(case_url(case.pk))["ETag"]

    response = write(api_client, case, kind, HTTP_IF_MATCH=read)

    assert response.status_code == 200, response.json()
    assert response["ETag"] == f'"{case.pk}-2"'
    assert response["ETag"] == api_client.get(case_url(case.pk))["ETag"]
    assert response.json()["version"] == 2
    # The tag read before the write is spent: a second write with it is refused.
    again = write(
        api_client, case, kind, {"priority": "low"} if kind == "patch" else None, HTTP_IF_MATCH=read
    )
    assert_error(again, 412, "stale_version")
    assert stored(case)[2] == 2


def test_case_writes_chain_on_the_etag_each_answer_carries(api_client):
    case = make_case()
    tag = api_client.get(case_url(case.pk))["ETag"]
    for body in ({"priority": "high"}, {"priority": "low"}, {"circumstances": "Synthetic"}):
        response = write(api_client, case, "patch", body, HTTP_IF_MATCH=tag)
        assert response.status_code == 200, response.json()
        tag = response["ETag"]
    moved = write(api_client, case, "transition", HTTP_IF_MATCH=tag)
    assert moved.status_code == 200, moved.json()
    assert moved["ETag"] == f'"{case.pk}-5"'
    assert stored(case) == ("verifying", "low", 5)


# ---------------------------------------------------------------------------------------------
# Missing or unusable preconditions: 428
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", WRITES)
def test_case_write_without_if_match_is_428(api_client, kind):
    case = make_case()

    response = write(api_client, case, kind)

    body = assert_error(response, 428, "precondition_required")
    assert "If-Match" in body["detail"]
    assert "fields" not in body
    assert stored(case) == ("reported", "normal", 1)


@pytest.mark.parametrize("kind", WRITES)
@pytest.mark.parametrize("header", ["", "   "])
def test_case_write_with_an_empty_if_match_is_428(api_client, kind, header):
    case = make_case()
    assert_error(write(api_client, case, kind, HTTP_IF_MATCH=header), 428, "precondition_required")
    assert stored(case) == ("reported", "normal", 1)


@pytest.mark.parametrize("kind", WRITES)
def test_case_write_with_if_match_star_is_428(api_client, kind):
    """``*`` matches any version: it would let a write overwrite changes it never saw."""
    case = make_case()

    response = write(api_client, case, kind, HTTP_IF_MATCH="*")

    assert_error(response, 428, "precondition_required")
    assert stored(case) == ("reported", "normal", 1)


# ---------------------------------------------------------------------------------------------
# Tags that do not name the current version: 412
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", WRITES)
def test_case_write_with_a_stale_tag_is_412(api_client, kind):
    case = make_case()
    read = api_client.get(case_url(case.pk))["ETag"]
    services.case_update(case=case, actor=None, data={"priority": "urgent"})  # someone else

    response = write(api_client, case, kind, HTTP_IF_MATCH=read)

    body = assert_error(response, 412, "stale_version")
    assert "fields" not in body
    assert stored(case) == ("reported", "urgent", 2)


@pytest.mark.parametrize("kind", WRITES)
def test_case_write_with_a_weak_tag_is_412(api_client, kind):
    """RFC 9110: If-Match compares strongly, so a weak tag never matches, even the current."""
    case = make_case()

    response = write(api_client, case, kind, HTTP_IF_MATCH=f"W/{etag(case)}")

    assert_error(response, 412, "stale_version")
    assert stored(case) == ("reported", "normal", 1)


@pytest.mark.parametrize("kind", WRITES)
@pytest.mark.parametrize(
    "header",
    [
        "{id}-1",  # unquoted
        '"{id}-"',
        '"{id}-one"',
        '"{id}"',
        '"x-1"',
        '"{id}-1',
        "garbage",
    ],
)
def test_case_write_with_a_malformed_tag_is_412(api_client, kind, header):
    case = make_case()
    response = write(api_client, case, kind, HTTP_IF_MATCH=header.format(id=case.pk))
    assert_error(response, 412, "stale_version")
    assert stored(case) == ("reported", "normal", 1)


@pytest.mark.parametrize("kind", WRITES)
def test_case_write_with_another_cases_tag_is_412(api_client, kind):
    case, other = make_case(), make_case()
    assert case.version == other.version == 1

    response = write(api_client, case, kind, HTTP_IF_MATCH=etag(other))

    assert_error(response, 412, "stale_version")
    assert stored(case) == ("reported", "normal", 1)


@pytest.mark.parametrize("kind", WRITES)
def test_case_write_with_a_list_of_tags_including_the_current_is_200(api_client, kind):
    case = make_case()
    services.case_update(case=case, actor=None, data={"circumstances": "Synthetic"})  # version 2
    header = f'W/"{case.pk}-2", "{case.pk}-1", {etag(case)}, "{case.pk + 1000}-2"'

    response = write(api_client, case, kind, HTTP_IF_MATCH=header)

    assert response.status_code == 200, response.json()
    assert response["ETag"] == f'"{case.pk}-3"'
    assert stored(case)[2] == 3


@pytest.mark.parametrize("kind", WRITES)
def test_case_write_with_a_list_of_only_stale_tags_is_412(api_client, kind):
    case = make_case()
    services.case_update(case=case, actor=None, data={"circumstances": "Synthetic"})  # version 2

    response = write(
        api_client, case, kind, HTTP_IF_MATCH=f'"{case.pk}-1", W/"{case.pk}-2", "{case.pk}-3"'
    )

    assert_error(response, 412, "stale_version")
    assert stored(case)[2] == 2


# ---------------------------------------------------------------------------------------------
# A version in the body must agree with If-Match
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", WRITES)
@pytest.mark.parametrize("body_version", [2, 7])
def test_case_write_with_a_body_version_disagreeing_with_if_match_is_400(
    api_client, kind, body_version
):
    case = make_case()
    body = {**WRITES[kind][2], "version": body_version}

    response = write(api_client, case, kind, body, HTTP_IF_MATCH=etag(case))

    errors = assert_error(response, 400, "invalid")
    assert list(errors["fields"]) == ["version"]
    assert "If-Match" in errors["fields"]["version"][0]
    assert stored(case) == ("reported", "normal", 1)


@pytest.mark.parametrize("kind", WRITES)
def test_case_write_with_a_body_version_agreeing_with_if_match_is_200(api_client, kind):
    case = make_case()
    body = {**WRITES[kind][2], "version": 1}

    response = write(api_client, case, kind, body, HTTP_IF_MATCH=etag(case))

    assert response.status_code == 200, response.json()
    assert response["ETag"] == f'"{case.pk}-2"'


@pytest.mark.parametrize("kind", WRITES)
def test_case_write_with_a_body_version_but_no_if_match_is_428(api_client, kind):
    """The body's version alone is no precondition: the header is what the API requires."""
    case = make_case()
    body = {**WRITES[kind][2], "version": 1}

    assert_error(write(api_client, case, kind, body), 428, "precondition_required")
    assert stored(case) == ("reported", "normal", 1)


# ---------------------------------------------------------------------------------------------
# Races on PostgreSQL: many clients, one tag
# ---------------------------------------------------------------------------------------------
def _race(workers: int, send: Callable[[APIClient], Any], token: str) -> list[Any]:
    """Send a request from ``workers`` threads released at once, each with its own client and
    database connection; return each response (or the error a thread met)."""
    barrier = threading.Barrier(workers, timeout=30)
    results: list[Any] = [None] * workers

    def run(index: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait()
            results[index] = send(client)
        except Exception as exc:  # reported by the caller's assertion
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a request hung: a lock was never released"
    return results


def _answers(results: list[Any]) -> Counter[Any]:
    return Counter(
        (r.status_code, r.json().get("code") if r.status_code >= 400 else None)
        if hasattr(r, "status_code")
        else repr(r)
        for r in results
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_case_patch_race_with_one_etag_only_one_wins(user):
    case = make_case()
    token, _ = Token.objects.get_or_create(user=user)
    tag = etag(case)

    results = _race(
        20,
        lambda client: client.patch(
            case_url(case.pk), {"priority": "urgent"}, format="json", HTTP_IF_MATCH=tag
        ),
        token.key,
    )

    assert _answers(results) == {(200, None): 1, (412, "stale_version"): 19}, results
    (winner,) = [r for r in results if r.status_code == 200]
    assert winner["ETag"] == f'"{case.pk}-2"'
    assert stored(case) == ("reported", "urgent", 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_case_transition_race_with_one_etag_only_one_wins(user):
    case = make_case()
    token, _ = Token.objects.get_or_create(user=user)
    tag = etag(case)

    results = _race(
        8,
        lambda client: client.post(
            case_url(case.pk, "transition/"),
            {"to": "verifying"},
            format="json",
            HTTP_IF_MATCH=tag,
        ),
        token.key,
    )

    assert _answers(results) == {(200, None): 1, (412, "stale_version"): 7}, results
    assert stored(case) == ("verifying", "normal", 2)
    assert StatusChange.objects.filter(case=case, to_status=Status.VERIFYING).count() == 1

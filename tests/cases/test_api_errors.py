"""Authentication and hostile input across every endpoint: 401 for anonymous callers, and a 4xx
with the one error body (never a 500) for malformed JSON, wrong types and odd ids."""

from __future__ import annotations

from typing import Any

import pytest

from cases.models import Case, Child, Relative, Whereabouts
from tests.api_errors import assert_error
from tests.cases.etags import if_match
from tests.factories.cases import make_case, make_relative, make_whereabouts

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999999"
BIGINT_PLUS_ONE = str(2**63)


def endpoints(case_id: Any, relative_id: Any = 1, whereabouts_id: Any = 1) -> list[tuple[str, str]]:
    base = f"/api/v1/cases/{case_id}/"
    return [
        ("get", base),
        ("patch", base),
        ("post", f"{base}transition/"),
        ("get", f"{base}relatives/"),
        ("post", f"{base}relatives/"),
        ("patch", f"{base}relatives/{relative_id}/"),
        ("get", f"{base}whereabouts/"),
        ("post", f"{base}whereabouts/"),
        ("patch", f"{base}whereabouts/{whereabouts_id}/"),
        ("get", f"{base}timeline/"),
    ]


COLLECTIONS = [
    ("get", "/api/v1/"),
    ("get", "/api/v1/cases/"),
    ("post", "/api/v1/cases/"),
    ("get", "/api/v1/facilities/"),
    ("get", "/api/v1/facilities/1/"),
    ("get", "/api/v1/oblasts/"),
    ("get", "/api/v1/oblasts/UA-14/"),
]


# ---------------------------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------------------------
def test_every_endpoint_refuses_anonymous_callers(anon_client, db):
    case = make_case()
    relative, place = make_relative(case), make_whereabouts(case)
    before = (Case.objects.get().version, Relative.objects.count(), Whereabouts.objects.count())
    for method, url in [*COLLECTIONS, *endpoints(case.pk, relative.pk, place.pk)]:
        response = getattr(anon_client, method)(url, {}, format="json")
        body = assert_error(response, 401, "not_authenticated")
        # The first scheme the API accepts: partner systems authenticate with API keys.
        assert response["WWW-Authenticate"] == "Api-Key", url
        assert "fields" not in body
    assert (Case.objects.get().version, Relative.objects.count(), Whereabouts.objects.count()) == (
        before
    )


def test_an_invalid_token_is_401(anon_client, db):
    anon_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert_error(anon_client.get("/api/v1/cases/"), 401, "authentication_failed")


def test_an_inactive_user_is_401(api_client, user):
    user.is_active = False
    user.save()
    assert_error(api_client.get("/api/v1/cases/"), 401)


# ---------------------------------------------------------------------------------------------
# Odd ids in the URL
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", ["abc", "0", "-1", HUGE, BIGINT_PLUS_ONE, "1e3", "%20"])
def test_odd_case_ids_are_404(api_client, db, case_id):
    make_case()
    for method, url in endpoints(case_id):
        response = getattr(api_client, method)(url, {}, format="json")
        assert_error(response, 404)


@pytest.mark.parametrize("sub_id", ["abc", "0", HUGE, BIGINT_PLUS_ONE])
def test_odd_relative_and_whereabouts_ids_are_404(api_client, db, sub_id):
    case = make_case()
    base = f"/api/v1/cases/{case.pk}/"
    for url in (f"{base}relatives/{sub_id}/", f"{base}whereabouts/{sub_id}/"):
        assert_error(api_client.patch(url, {}, format="json"), 404)


@pytest.mark.parametrize("facility_id", ["abc", HUGE, BIGINT_PLUS_ONE, "-5"])
def test_odd_facility_ids_are_404(api_client, db, facility_id):
    assert_error(api_client.get(f"/api/v1/facilities/{facility_id}/"), 404)


@pytest.mark.parametrize("code", ["UA-99", "XX", "ua-14", "%D0%90"])
def test_odd_oblast_codes_are_404(api_client, oblasts, code):
    assert_error(api_client.get(f"/api/v1/oblasts/{code}/"), 404)


# ---------------------------------------------------------------------------------------------
# Malformed bodies
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["{not json", "[1, 2", '{"child": }', "\x00\xff"])
def test_malformed_json_is_400_everywhere(api_client, db, raw):
    case = make_case()
    relative, place = make_relative(case), make_whereabouts(case)
    targets = [
        ("post", "/api/v1/cases/"),
        *[(m, u) for m, u in endpoints(case.pk, relative.pk, place.pk) if m != "get"],
    ]
    for method, url in targets:
        response = getattr(api_client, method)(url, raw, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        assert_error(response, 400)


@pytest.mark.parametrize("body", [[], ["to"], "verifying", 42, None, True])
def test_non_object_json_bodies_are_400(api_client, db, body):
    case = make_case()
    relative, place = make_relative(case), make_whereabouts(case)
    targets = [
        ("post", "/api/v1/cases/"),
        *[(m, u) for m, u in endpoints(case.pk, relative.pk, place.pk) if m != "get"],
    ]
    for method, url in targets:
        # With the current ETag, so a refusal is about the body and not the precondition.
        response = getattr(api_client, method)(url, body, format="json", **if_match(case))
        if body is None and method == "patch":
            # An empty PATCH changes nothing and answers with the record.
            assert response.status_code == 200, url
            continue
        assert_error(response, 400)


def test_unsupported_media_type_is_415(api_client, db):
    response = api_client.post("/api/v1/cases/", "child=x", content_type="text/plain")
    assert_error(response, 415)


@pytest.mark.parametrize(
    ("child", "case_fields", "field"),
    [
        ({"given_name": 12345}, {}, "child.given_name"),
        ({"given_name": ["Олег"]}, {}, "child.given_name"),
        ({"given_name": {"uk": "Олег"}}, {}, "child.given_name"),
        ({"given_name": "О" * 500}, {}, "child.given_name"),
        ({"date_of_birth": 20120517}, {}, "child.date_of_birth"),
        ({"date_of_birth": "2012-02-30"}, {}, "child.date_of_birth"),
        ({"origin_oblast": 14}, {}, "child.origin_oblast"),
        ({"origin_oblast": ["UA-14"]}, {}, "child.origin_oblast"),
        ({"origin_latitude": "north"}, {}, "child.origin_latitude"),
        ({"origin_latitude": 1e308, "origin_longitude": 1}, {}, "child.origin_latitude"),
        ({"origin_latitude": 91, "origin_longitude": 10}, {}, "child.origin_latitude"),
        ({"aliases": "Саша"}, {}, "child.aliases"),
        ({"aliases": [{"name": "Саша"}]}, {}, "child.aliases.0.kind"),
        ({"aliases": [None]}, {}, "child.aliases.0"),
        ({}, {"child": None}, "child"),
        ({}, {"child": "Олег"}, "child"),
        ({}, {"assignee": "me"}, "assignee"),
        ({}, {"assignee": HUGE}, "assignee"),
        ({}, {"assignee": int(BIGINT_PLUS_ONE)}, "assignee"),
        ({}, {"assignee": -1}, "assignee"),
        ({}, {"assignee": 1.5}, "assignee"),
        ({}, {"russian_citizenship_imposed": "perhaps"}, "russian_citizenship_imposed"),
        ({}, {"deported_on": "yesterday"}, "deported_on"),
        ({}, {"priority": ["high"]}, "priority"),
    ],
)
def test_case_create_wrong_types_are_400(api_client, db, child, case_fields, field):
    payload: dict[str, Any] = {
        "child": {
            "given_name": "Олег",
            "family_name": "Вигаданенко",
            "date_of_birth": "2012-05-17",
            **child,
        },
        **case_fields,
    }
    body = assert_error(api_client.post("/api/v1/cases/", payload, format="json"), 400)
    assert field in body["fields"], body
    assert Child.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"to": 5},
        {"to": None},
        {"to": ["closed"]},
        {"to": "returned", "returned_on": "not-a-date"},
        {"to": "returned", "returned_on": 20240101},
        {"to": "closed", "closure_reason": 7},
        {"to": "verifying", "reason": {"why": "x"}},
        {"to": "verifying", "version": "one"},
        {"to": "verifying", "version": int(HUGE)},
        {"to": "verifying", "version": 0},
    ],
)
def test_case_transition_wrong_types_are_400(api_client, db, body):
    case = make_case()
    response = api_client.post(
        f"/api/v1/cases/{case.pk}/transition/", body, format="json", **if_match(case)
    )
    assert_error(response, 400)
    case.refresh_from_db()
    assert case.version == 1


@pytest.mark.parametrize(
    "body",
    [
        {"version": int(HUGE)},
        {"version": "x"},
        {"assignee": HUGE},
        {"child": []},
        {"child": {"origin_oblast": {"code": "UA-14"}}},
        {"under_russian_guardianship": [True]},
    ],
)
def test_case_partial_update_wrong_types_are_400(api_client, db, body):
    case = make_case()
    response = api_client.patch(f"/api/v1/cases/{case.pk}/", body, format="json", **if_match(case))
    assert_error(response, 400)
    case.refresh_from_db()
    assert case.version == 1


@pytest.mark.parametrize(
    "body",
    [
        {"facility": HUGE, "from_date": "2023-01-01", "source_description": "x"},
        {"facility": "camp", "from_date": "2023-01-01", "source_description": "x"},
        {"country": 7, "from_date": "2023-01-01", "source_description": "x"},
        {"country": "RU", "from_date": ["2023-01-01"], "source_description": "x"},
        {"country": "RU", "from_date": "2023-01-01", "source_description": None},
    ],
)
def test_case_whereabouts_wrong_types_are_400(api_client, db, body):
    case = make_case()
    response = api_client.post(f"/api/v1/cases/{case.pk}/whereabouts/", body, format="json")
    assert_error(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        {"relationship": 1, "given_name": "А", "family_name": "Б"},
        {
            "relationship": "mother",
            "given_name": "А",
            "family_name": "Б",
            "is_searching": "perhaps",
        },
        {"relationship": "mother", "given_name": "А", "family_name": "Б", "email": ["a@b.c"]},
        {"relationship": "mother", "given_name": None, "family_name": "Б"},
    ],
)
def test_case_relatives_wrong_types_are_400(api_client, db, body):
    case = make_case()
    response = api_client.post(f"/api/v1/cases/{case.pk}/relatives/", body, format="json")
    assert_error(response, 400)

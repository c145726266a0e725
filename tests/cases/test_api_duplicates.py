"""The duplicate review's API: ``/api/v1/duplicates/`` (list, detail, ``decide``). Wiring,
visibility, filters, query counts, audited reads and error bodies; the rules themselves are
tested on the services (``test_duplicates``). All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.snapshots import object_type_of
from cases import services
from cases.models import Case, Child, DuplicateDecision, DuplicatePair
from tests.factories.accounts import OrganizationFactory
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

DUPLICATES = "/api/v1/duplicates/"
BOY = {
    "given_name": "Олексій",
    "family_name": "Коваленко",
    "patronymic": "Сергійович",
    "sex": "male",
    "date_of_birth": dt.date(2012, 5, 17),
}


def _pairs(count: int, **case_fields: Any) -> list[DuplicatePair]:
    """``count`` pairs of look-alike children, proposed by the full scan."""
    for n in range(count):
        given = ["Олексій", "Богдан", "Тарас", "Андрій", "Микола", "Остап", "Ярослав"][n % 7]
        child = {**BOY, "given_name": given, "date_of_birth": dt.date(2010 + n % 5, 1 + n % 12, 3)}
        make_case(child=child, **case_fields)
        make_case(child=child, **case_fields)
    services.duplicate_pairs_scan_batch(batch_size=10_000)
    return list(DuplicatePair.objects.order_by("id"))


def test_duplicates_list_shows_both_children_side_by_side(api_client, user):
    pair = _pairs(1)[0]
    response = api_client.get(DUPLICATES)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == pair.pk
    assert row["decision"] == "open"
    assert row["band"] == "likely"
    assert row["reasons"]
    assert all(isinstance(r, str) for r in row["reasons"])
    assert row["first"]["id"] == pair.first_id
    assert row["second"]["family_name"] == "Коваленко"
    assert row["first"]["date_of_birth"] == "2010-01-03"
    assert row["first"]["cases"][0]["number"].startswith("UA-")
    assert row["first"]["has_open_case"] is True
    event = AuditEvent.objects.get(request_id=response["X-Request-ID"])
    assert event.metadata["records"][object_type_of(DuplicatePair)] == [pair.pk]
    assert len(event.metadata["records"][object_type_of(Case)]) == 2


def test_duplicates_list_hides_pairs_of_another_organization(api_client, user):
    _pairs(1, organization=OrganizationFactory.create())
    assert api_client.get(DUPLICATES).json()["results"] == []


def test_duplicates_list_filters(api_client, user):
    pairs = _pairs(2)
    services.duplicate_pair_decide(pair_id=pairs[0].pk, actor=user, decision="different")
    assert [
        r["id"] for r in api_client.get(DUPLICATES, {"decision": "open"}).json()["results"]
    ] == [pairs[1].pk]
    assert [
        r["id"] for r in api_client.get(DUPLICATES, {"decision": "different"}).json()["results"]
    ] == [pairs[0].pk]
    by_child = api_client.get(DUPLICATES, {"child": pairs[1].second_id}).json()["results"]
    assert [r["id"] for r in by_child] == [pairs[1].pk]
    assert api_client.get(DUPLICATES, {"band": "possible"}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"child": "abc"}, "child"),
        ({"colour": "blue"}, "colour"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_duplicates_list_refuses_bad_parameters_naming_them(api_client, params, field):
    response = api_client.get(DUPLICATES, params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def _queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(DUPLICATES, {"page_size": 200})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_duplicates_list_query_count_is_constant(api_client, user):
    _pairs(2)
    few = _queries(api_client)
    _pairs(10)
    assert DuplicatePair.objects.count() >= 10
    assert _queries(api_client) == few


def test_duplicate_detail_and_404_out_of_sight(api_client, user):
    pair = _pairs(1)[0]
    response = api_client.get(f"{DUPLICATES}{pair.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == pair.pk
    event = AuditEvent.objects.get(request_id=response["X-Request-ID"])
    assert event.action == "view"
    other = OrganizationFactory.create()
    make_case(child={**BOY, "given_name": "Сергій"}, organization=other)
    make_case(child={**BOY, "given_name": "Сергій"}, organization=other)
    services.duplicate_pairs_scan_batch()
    hidden = DuplicatePair.objects.exclude(pk=pair.pk).get()
    for url in (f"{DUPLICATES}{hidden.pk}/", f"{DUPLICATES}999999/"):
        response = api_client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "duplicate_pair_not_found"
        assert "Коваленко" not in response.content.decode()
    response = api_client.post(
        f"{DUPLICATES}{hidden.pk}/decide/", {"decision": "different"}, format="json"
    )
    assert response.status_code == 404


def test_duplicate_decide_different(api_client, user):
    pair = _pairs(1)[0]
    response = api_client.post(
        f"{DUPLICATES}{pair.pk}/decide/",
        {"decision": "different", "note": "Cousins"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"] == "different"
    assert body["decided_by"]["id"] == user.pk
    assert body["note"] == "Cousins"
    again = api_client.post(f"{DUPLICATES}{pair.pk}/decide/", {"decision": "same"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_pair_decided"


def test_duplicate_decide_same_refused_while_both_cases_are_open(api_client, user):
    pair = _pairs(1)[0]
    url = f"{DUPLICATES}{pair.pk}/decide/"
    response = api_client.post(url, {"decision": "same"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "both_cases_open"
    assert "close one as a duplicate" in response.json()["detail"]
    assert not Child.objects.filter(merged_into__isnull=False).exists()
    second_case = Case.objects.get(child_id=pair.second_id)
    move_case(second_case, "closed")
    response = api_client.post(
        url, {"decision": "same", "keep": pair.first_id, "note": "Same boy"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"] == "same"
    assert body["second"]["merged_into"] == pair.first_id
    assert body["second"]["cases"] == []
    assert len(body["first"]["cases"]) == 2
    assert Case.objects.get(pk=second_case.pk).child_id == pair.first_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "different", "keep": 1}, "keep"),
        ({"decision": "same", "keep": 987654}, "keep"),
        ({"decision": "same", "keep": "x"}, "keep"),
        ({"decision": "different", "colour": "blue"}, "colour"),
    ],
)
def test_duplicate_decide_refuses_bad_input_naming_the_field(api_client, user, body, field):
    pair = _pairs(1)[0]
    response = api_client.post(f"{DUPLICATES}{pair.pk}/decide/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    pair.refresh_from_db()
    assert pair.decision == DuplicateDecision.OPEN


def test_duplicates_refuse_anonymous(anon_client):
    assert anon_client.get(DUPLICATES).status_code == 401


def test_duplicates_side_counts_what_hangs_on_each_child(api_client, user):
    from cases.models import ExternalReference
    from tests.factories.cases import make_relative, make_whereabouts

    pair = _pairs(1)[0]
    first = Case.objects.get(child_id=pair.first_id)
    for _ in range(3):
        make_relative(first)
    make_whereabouts(first)
    make_whereabouts(first, from_date=dt.date(2023, 1, 1))
    ExternalReference.objects.create(
        organization=first.organization, child=first.child, reference="SYN-9"
    )
    row = api_client.get(f"{DUPLICATES}{pair.pk}/").json()
    assert (row["first"]["relatives"], row["first"]["whereabouts"]) == (3, 2)
    assert row["first"]["external_references"] == 1
    assert (row["second"]["relatives"], row["second"]["whereabouts"]) == (0, 0)

"""A NUL character at every way into the API: the path, the query string, a header, a cookie and
any field of a JSON or multipart body (and a lone surrogate in JSON, which no database encoding
holds). PostgreSQL refuses a NUL in any text, even in a comparison: each is a 400 with the one
error body naming where it was, never a 500, and nothing is written. Run on PostgreSQL too."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organization
from audit.filters import AuditEventFilterSet
from cases.filters import CaseFilterSet, FacilityFilterSet
from cases.models import Case
from coalition.filtersets.lists import ChildListFilterSet
from coalition.filtersets.meetings import MeetingFilterSet, ResolutionFilterSet, StatementFilterSet
from coalition.filtersets.members import (
    MemberFilterSet,
    PartyFilterSet,
    PledgeFilterSet,
    ProjectFilterSet,
)
from core.api import FilterSet
from sources.filters import EvidenceFilterSet, FigureFilterSet, SourceFilterSet
from sources.models import Source
from tests.api_errors import assert_error
from tests.cases.etags import if_match
from tests.factories.sources import text_bytes
from tests.hostile_input import CHILD, NUL, assert_refused, counts, make_world
from tests.sources.files import documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(user: Any, home: Organization, oblasts: Any) -> dict[str, Any]:
    return make_world(user=user, home=home)


FORM_CONTENT = "application/x-www-form-urlencoded"


# ---------------------------------------------------------------------------------------------
# The path
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "url", "field"),
    [
        ("get", "/api/v1/oblasts/{nul}/", "code"),
        ("get", "/api/v1/oblasts/UA-{nul}/", "code"),
        ("get", "/api/v1/cases/{nul}/", "id"),
        ("patch", "/api/v1/cases/{nul}/", "id"),
        ("post", "/api/v1/cases/{nul}/transition/", "id"),
        ("get", "/api/v1/cases/{nul}/relatives/", "id"),
        ("patch", "/api/v1/cases/{case}/relatives/{nul}/", "relative_id"),
        ("patch", "/api/v1/cases/{case}/whereabouts/{nul}/", "whereabouts_id"),
        ("post", "/api/v1/cases/{case}/shares/{nul}/revoke/", "path"),
        ("get", "/api/v1/facilities/{nul}/", "id"),
        ("get", "/api/v1/sources/{nul}/", "id"),
        ("get", "/api/v1/sources/{nul}/download/", "id"),
        ("get", "/api/v1/sources/{nul}/custody/", "id"),
        ("patch", "/api/v1/evidence/{nul}/", "id"),
        ("get", "/api/v1/figures/{nul}/", "id"),
        ("get", "/api/v1/audit-events/{nul}/", "id"),
        ("get", "/api/v1/no-such-endpoint{nul}/", "path"),
    ],
)
def test_a_nul_in_the_path_is_400_naming_the_parameter(api_client, world, method, url, field):
    before = counts()
    target = url.format(nul="%00", case=world["case"])
    response = getattr(api_client, method)(target, {}, format="json", **if_match(world["case"]))
    assert_refused(response, field)
    assert counts() == before


@pytest.mark.parametrize("char", ["%01", "%1F", "%7F", "%C2%85", "%E2%80%8B"])
@pytest.mark.parametrize("url", ["/api/v1/oblasts/UA-{c}/", "/api/v1/cases/{c}/"])
def test_other_control_characters_in_the_path_name_no_record(api_client, world, char, url):
    assert_error(api_client.get(url.format(c=char)), 404)


def test_the_admin_answers_a_nul_in_the_path_with_its_own_page(client, user):
    user.is_staff = True
    user.save()
    client.force_login(user)
    response = client.get("/admin/cases/oblast/%00/change/")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# ---------------------------------------------------------------------------------------------
# The query string
# ---------------------------------------------------------------------------------------------
LIST_FILTERS: dict[str, type[FilterSet]] = {
    "/api/v1/cases/": CaseFilterSet,
    "/api/v1/facilities/": FacilityFilterSet,
    "/api/v1/sources/": SourceFilterSet,
    "/api/v1/evidence/": EvidenceFilterSet,
    "/api/v1/figures/": FigureFilterSet,
    "/api/v1/audit-events/": AuditEventFilterSet,
    "/api/v1/coalition/parties/": PartyFilterSet,
    "/api/v1/coalition/members/": MemberFilterSet,
    "/api/v1/coalition/projects/": ProjectFilterSet,
    "/api/v1/coalition/pledges/": PledgeFilterSet,
    "/api/v1/coalition/meetings/": MeetingFilterSet,
    "/api/v1/coalition/statements/": StatementFilterSet,
    "/api/v1/coalition/resolutions/": ResolutionFilterSet,
    "/api/v1/coalition/lists/": ChildListFilterSet,
}


def _list_parameters() -> list[tuple[str, str]]:
    """Every filter of every list, and the parameters every list takes."""
    common = {"ordering", "cursor", "page_size", "format"}
    return [
        (url, name)
        for url, filterset in LIST_FILTERS.items()
        for name in sorted({*filterset.base_filters, *common})
    ]


@pytest.mark.parametrize(("url", "parameter"), _list_parameters())
def test_a_nul_in_a_query_parameter_is_400_naming_it(api_client, world, url, parameter):
    for value in (NUL, f"UA-14{NUL}", f"2024-01-01{NUL}"):
        response = api_client.get(url, {parameter: value})
        assert_refused(response, parameter)


def test_a_nul_in_a_query_parameter_name_is_400(api_client, world):
    assert_error(api_client.get(f"/api/v1/cases/?status{quote(NUL)}=reported"), 400, "invalid")


def test_a_nul_in_the_query_string_of_a_detail_or_an_action_is_400(api_client, world):
    case = world["case"]
    for url in (f"/api/v1/cases/{case}/", f"/api/v1/cases/{case}/timeline/"):
        assert_refused(api_client.get(url, {"format": NUL}), "format")


# ---------------------------------------------------------------------------------------------
# Headers and cookies
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("meta", "header"),
    [
        ("HTTP_IF_MATCH", "If-Match"),
        ("HTTP_IDEMPOTENCY_KEY", "Idempotency-Key"),
        ("HTTP_USER_AGENT", "User-Agent"),
        ("HTTP_X_REQUEST_ID", "X-Request-Id"),
        ("HTTP_X_FORWARDED_FOR", "X-Forwarded-For"),
        ("HTTP_ACCEPT_LANGUAGE", "Accept-Language"),
        ("HTTP_ACCEPT", "Accept"),
    ],
)
def test_a_nul_in_a_header_is_400_naming_it(api_client, world, meta, header):
    before = counts()
    case = world["case"]
    requests = [
        ("get", "/api/v1/cases/", None),
        ("patch", f"/api/v1/cases/{case}/", {"priority": "high"}),
        ("post", f"/api/v1/cases/{case}/relatives/", {"relationship": "mother"}),
    ]
    for method, url, body in requests:
        headers = {**if_match(case), meta: f"x{NUL}y"}
        response = getattr(api_client, method)(url, body, format="json", **headers)
        assert_refused(response, header)
    assert counts() == before


# A quoted cookie value is unquoted by Django: "\000" becomes a NUL, which the session middleware
# would look up in the database.
NUL_SESSION_COOKIE = 'sessionid="abcdefgh\\000"'


def test_a_nul_in_a_cookie_is_400(anon_client, world):
    response = anon_client.get("/api/v1/cases/", HTTP_COOKIE=NUL_SESSION_COOKIE)
    assert_refused(response, "Cookie")


def test_the_admin_answers_a_nul_in_a_cookie_or_form_with_its_own_page(client, world):
    response = client.get("/admin/login/", HTTP_COOKIE=NUL_SESSION_COOKIE)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    form = {"username": f"a{NUL}", "password": "x"}
    for response in [
        client.post("/admin/login/", urlencode(form), content_type=FORM_CONTENT),
        client.post("/admin/login/", form),  # multipart
    ]:
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")


# ---------------------------------------------------------------------------------------------
# JSON bodies
# ---------------------------------------------------------------------------------------------
BODIES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "post",
        "/api/v1/cases/",
        {"child": {**CHILD, "origin_oblast": f"UA-{NUL}"}},
        "child.origin_oblast",
    ),
    ("post", "/api/v1/cases/", {"child": {**CHILD, "given_name": f"О{NUL}"}}, "child.given_name"),
    ("post", "/api/v1/cases/", {"child": {**CHILD, "sex": NUL}}, "child.sex"),
    (
        "post",
        "/api/v1/cases/",
        {"child": {**CHILD, "aliases": [{"name": "Саша", "kind": f"russified{NUL}"}]}},
        "child.aliases.0.kind",
    ),
    ("post", "/api/v1/cases/", {"child": CHILD, "organization": f"1{NUL}"}, "organization"),
    ("post", "/api/v1/cases/", {"child": CHILD, "assignee": f"1{NUL}"}, "assignee"),
    ("post", "/api/v1/cases/", {"child": CHILD, "priority": NUL}, "priority"),
    ("post", "/api/v1/cases/", {"child": CHILD, "pathway": NUL}, "pathway"),
    ("post", "/api/v1/cases/", {"child": CHILD, f"x{NUL}": 1}, f"x{NUL}"),
    (
        "patch",
        "/api/v1/cases/{case}/",
        {"child": {"origin_oblast": f"UA-{NUL}"}},
        "child.origin_oblast",
    ),
    ("patch", "/api/v1/cases/{case}/", {"priority": f"high{NUL}"}, "priority"),
    ("patch", "/api/v1/cases/{case}/", {"status": NUL}, "status"),
    ("post", "/api/v1/cases/{case}/transition/", {"to": f"verifying{NUL}"}, "to"),
    (
        "post",
        "/api/v1/cases/{case}/transition/",
        {"to": "closed", "closure_reason": NUL},
        "closure_reason",
    ),
    ("post", "/api/v1/cases/{case}/relatives/", {"relationship": f"mother{NUL}"}, "relationship"),
    ("patch", "/api/v1/cases/{case}/relatives/{relative}/", {"email": f"a{NUL}@b.c"}, "email"),
    ("post", "/api/v1/cases/{case}/whereabouts/", {"country": f"RU{NUL}"}, "country"),
    ("post", "/api/v1/cases/{case}/whereabouts/", {"facility": f"1{NUL}"}, "facility"),
    ("patch", "/api/v1/cases/{case}/whereabouts/{whereabouts}/", {"country": NUL}, "country"),
    (
        "post",
        "/api/v1/cases/{case}/shares/",
        {"organization": f"1{NUL}", "scope": "full"},
        "organization",
    ),
    ("post", "/api/v1/cases/{case}/shares/", {"scope": f"full{NUL}"}, "scope"),
    ("post", "/api/v1/cases/{case}/shares/{share}/revoke/", {"reason": f"x{NUL}"}, "reason"),
    ("post", "/api/v1/cases/{case}/closure-requests/", {"closure_reason": NUL}, "closure_reason"),
    ("post", "/api/v1/sources/", {"kind": f"testimony{NUL}", "title": "x"}, "kind"),
    (
        "post",
        "/api/v1/sources/",
        {"kind": "testimony", "title": "x", "organization": f"1{NUL}"},
        "organization",
    ),
    ("post", "/api/v1/sources/", {"kind": "testimony", "title": "x", "language": NUL}, "language"),
    ("patch", "/api/v1/sources/{source}/", {"reliability": f"A{NUL}"}, "reliability"),
    ("post", "/api/v1/evidence/", {"source": f"1{NUL}", "case": 1, "fact": "identity"}, "source"),
    ("post", "/api/v1/evidence/", {"source": 1, "case": 1, "fact": f"identity{NUL}"}, "fact"),
    ("patch", "/api/v1/evidence/{evidence}/", {"fact": NUL}, "fact"),
    ("post", "/api/v1/figures/", {"metric": NUL, "claimant": "x"}, "metric"),
    ("post", "/api/v1/figures/", {"metric": "deported", "claimant": f"x{NUL}"}, "claimant"),
]


@pytest.mark.parametrize(("method", "url", "body", "field"), BODIES)
def test_a_nul_in_a_json_field_is_400_naming_it(api_client, world, method, url, body, field):
    before = counts()
    target = url.format(**world)
    response = getattr(api_client, method)(target, body, format="json", **if_match(world["case"]))
    assert_refused(response, field)
    assert counts() == before


@pytest.mark.parametrize(("method", "url", "body", "field"), BODIES[:4])
def test_a_nul_in_a_json_field_is_400_through_the_idempotency_key(
    api_client, world, method, url, body, field
):
    response = api_client.post(url.format(**world), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert_refused(response, field)
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"child": {"origin_oblast": "\\ud800"}}', "child.origin_oblast"),
        ('{"child": {"given_name": "\\udfff"}}', "child.given_name"),
        ('{"priority": "high\\ud83d"}', "priority"),
        # In a key, the answer names it escaped: the key itself cannot be encoded.
        ('{"child": {"given\\ud800": "x"}}', "child.given\\ud800"),
        ('{"\\udfff": 1}', "\\udfff"),
    ],
)
def test_a_lone_surrogate_in_a_json_field_is_400_naming_it(api_client, world, raw, field):
    response = api_client.post("/api/v1/cases/", raw, content_type="application/json")
    assert_refused(response, field)


def test_a_nul_in_a_multipart_field_is_400_naming_it(api_client, world):
    for field, value in [("kind", NUL), ("title", f"x{NUL}"), ("organization", f"1{NUL}")]:
        body = {"file": SimpleUploadedFile("notes.txt", text_bytes(field)), field: value}
        response = api_client.post("/api/v1/sources/", body, format="multipart")
        assert_refused(response, field)
    assert Source.objects.count() == 1


def test_a_nul_in_an_uploaded_documents_own_title_is_dropped(api_client, world):
    # The title a document gives itself (a PDF's metadata) is read into the source.
    content = documents.pdf_bytes([["Synthetic report"]], title="Synthetic\x00 report")
    body = {"file": SimpleUploadedFile("report.pdf", content)}
    response = api_client.post("/api/v1/sources/", body, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Synthetic report"

"""The case imports API: upload, read (matches as the reader may see them, an audited read),
commit, discard; strict input and clear refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization, User
from audit.models import Action, AuditEvent
from cases.models import Case, Child, DuplicatePair
from imports.models import CaseImport, ImportStatus
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import home_organization, make_case
from tests.imports.case_files import csv_bytes, row

pytestmark = pytest.mark.django_db

HELD_FAMILY_NAME = "Утримувана"


@pytest.fixture
def org(oblasts: Any) -> Organization:
    return home_organization()


def _client(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def caseworker(org: Organization) -> User:
    return make_member("caseworker", org)


@pytest.fixture
def client(caseworker: User) -> APIClient:
    return _client(caseworker)


def _post_file(client: APIClient, content: bytes, name: str = "cases.csv", **fields: Any) -> Any:
    return client.post(
        reverse("case-import-list"),
        {"file": SimpleUploadedFile(name, content), **fields},
        format="multipart",
    )


def test_case_import_api_upload_read_commit(client: APIClient, caseworker: User, org: Organization):
    response = _post_file(client, csv_bytes([row(), row(ref="REF-2", given_name="Іван", sex="M")]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "validated"
    assert body["counts"]["new"] == 2
    assert body["problems"] == []
    assert response["Location"].endswith(reverse("case-import-detail", args=[body["id"]]))
    assert Child.objects.count() == 0

    detail = client.get(reverse("case-import-detail", args=[body["id"]]))
    assert detail.status_code == 200
    assert detail.json()["matches"] == []

    listed = client.get(reverse("case-import-list"))
    assert [r["id"] for r in listed.json()["results"]] == [body["id"]]

    committed = client.post(reverse("case-import-commit", args=[body["id"]]))
    assert committed.status_code == 200, committed.content
    assert committed.json()["status"] == "committed"
    assert Case.objects.filter(organization=org, created_by=caseworker).count() == 2

    again = client.post(reverse("case-import-commit", args=[body["id"]]))
    assert again.status_code == 409
    assert again.json()["code"] == "case_import_not_ready"
    discard = client.post(reverse("case-import-discard", args=[body["id"]]))
    assert discard.status_code == 409


def test_case_import_api_reports_problems_by_row_and_column(client: APIClient):
    response = _post_file(client, csv_bytes([row(date_of_birth="2013-02-30")]))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "invalid"
    assert body["problems"] == [
        {
            "row": 2,
            "column": "date_of_birth",
            "message": "Not a date: write YYYY, YYYY-MM, YYYY-MM-DD or DD.MM.YYYY.",
        }
    ]
    refused = client.post(reverse("case-import-commit", args=[body["id"]]))
    assert refused.status_code == 409
    assert Child.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"%PDF-1.7\x00\x00", "unsupported_format"),
        (b"ref,given_name\r\nA,B\r\n", "missing_columns"),
    ],
)
def test_case_import_api_refuses_unreadable_files_and_keeps_nothing(
    client: APIClient, content: bytes, code: str
):
    response = _post_file(client, content)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "file" in response.json()["fields"]
    assert CaseImport.objects.count() == 0


@override_settings(IMPORT_MAX_FILE_BYTES=10_000)
def test_case_import_api_refuses_a_file_over_the_limit_before_reading_it(client: APIClient):
    response = _post_file(client, csv_bytes([row()]) + b"x" * 200_000)
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert CaseImport.objects.count() == 0


def test_case_import_api_strict_input(client: APIClient):
    no_file = client.post(reverse("case-import-list"), {"organization": 1}, format="multipart")
    assert no_file.status_code == 400
    assert "file" in no_file.json()["fields"]
    unknown = _post_file(client, csv_bytes([row()]), colour="blue")
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["fields"]
    two = client.post(
        reverse("case-import-list"),
        {"file": SimpleUploadedFile("a.csv", b"x"), "other": SimpleUploadedFile("b.csv", b"y")},
        format="multipart",
    )
    assert two.status_code == 400
    assert "other" in two.json()["fields"]
    assert client.get(reverse("case-import-list"), {"colour": "blue"}).status_code == 400
    created = _post_file(client, csv_bytes([row()])).json()
    body = client.post(
        reverse("case-import-commit", args=[created["id"]]), {"force": True}, format="json"
    )
    assert body.status_code == 400
    assert "force" in body.json()["fields"]
    assert CaseImport.objects.get().status == ImportStatus.VALIDATED


def test_case_import_api_is_seen_only_by_who_imports_for_the_organization(
    client: APIClient, org: Organization
):
    created = _post_file(client, csv_bytes([row()])).json()
    other = _client(make_member("caseworker", OrganizationFactory.create()))
    assert other.get(reverse("case-import-detail", args=[created["id"]])).status_code == 404
    assert other.post(reverse("case-import-commit", args=[created["id"]])).status_code == 404
    assert other.get(reverse("case-import-list")).json()["results"] == []
    coordinator = _client(make_member("coordinator", org))
    assert _post_file(coordinator, csv_bytes([row()])).status_code == 403
    assert coordinator.get(reverse("case-import-detail", args=[created["id"]])).status_code == 404
    assert APIClient().get(reverse("case-import-list")).status_code == 401


def test_case_import_api_shows_matches_as_the_reader_may_see_them(
    client: APIClient, org: Organization, caseworker: User
):
    own = make_case(
        organization=org,
        child={
            "given_name": "Олена",
            "family_name": "Тестова",
            "patronymic": "Петрівна",
            "date_of_birth": dt.date(2012, 5, 17),
        },
    )
    held = make_case(
        organization=OrganizationFactory.create(name="Holding organization"),
        child={
            "given_name": "Богдан",
            "family_name": HELD_FAMILY_NAME,
            "patronymic": "Олегович",
            "date_of_birth": dt.date(2011, 3, 9),
            "sex": "male",
        },
    )
    rows = [
        row(),
        row(
            ref="REF-2",
            given_name="Богдан",
            family_name=HELD_FAMILY_NAME,
            patronymic="Олегович",
            sex="M",
            date_of_birth="2011-03-09",
        ),
    ]
    created = _post_file(client, csv_bytes(rows)).json()
    assert created["counts"]["matching_existing"] == 2
    assert "matches" not in created  # a write answers without personal data
    response = client.get(reverse("case-import-detail", args=[created["id"]]))
    assert response.status_code == 200
    matches = {m["ref"]: m for m in response.json()["matches"]}
    (seen,) = matches["REF-1"]["candidates"]
    assert seen["held"] is False
    assert seen["case"]["number"] == own.number
    assert seen["child"]["family_name"] == "Тестова"
    assert seen["child"]["date_of_birth"] == "2012-05-17"
    assert seen["reasons"]
    (hidden,) = matches["REF-2"]["candidates"]
    assert hidden["held"] is True
    assert hidden["band"] == "likely"
    assert hidden["organization"]["name"] == "Holding organization"
    assert (hidden["case"], hidden["child"], hidden["score"]) == (None, None, None)
    assert hidden["reasons"] == []
    assert "2011-03-09" not in str(hidden)
    (event,) = AuditEvent.objects.filter(
        request_id=response["X-Request-ID"], action__in=[Action.VIEW, Action.LIST]
    )
    assert event.metadata["records"]["cases.case"] == [own.pk]
    assert held.pk not in event.metadata["records"]["cases.case"]

    client.post(reverse("case-import-commit", args=[created["id"]]))
    assert DuplicatePair.objects.count() == 2


@override_settings(IMPORT_SYNC_MAX_ROWS=1)
def test_case_import_api_large_import_goes_to_a_worker(
    client: APIClient, django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post_file(client, csv_bytes([row(), row(ref="REF-2", given_name="Іван")]))
    assert response.status_code == 202
    assert response.json()["status"] == "validating"
    assert response.json()["rows_total"] == 2
    for callback in callbacks:
        callback()
    pk = response.json()["id"]
    assert client.get(reverse("case-import-detail", args=[pk])).json()["status"] == "validated"
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(reverse("case-import-commit", args=[pk]))
    assert queued.status_code == 202
    assert queued.json()["status"] == "committing"
    assert client.get(reverse("case-import-detail", args=[pk])).json()["status"] == "committed"

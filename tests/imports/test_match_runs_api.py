"""The match runs API (``/api/v1/match-runs/``): wiring, permissions, errors, the audited reads
of results and the confirmation of a list entry. The rules are tested on the service
(``test_match_runs``). All names and dates are synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import READ_ACTIONS, AuditEvent
from audit.snapshots import object_type_of
from cases.models import Case
from imports.models import MatchRun, MatchRunStatus
from tests.factories.accounts import UserFactory
from tests.imports.match_world import GIRL, LIST_CSV, MatchWorld, csv_bytes, match_world

pytestmark = pytest.mark.django_db
__all__ = ["match_world"]


def client_for(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def upload(client: APIClient, content: bytes = LIST_CSV, name: str = "list.csv", **extra: Any):
    return client.post(
        reverse("match-run-list"),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv"), **extra},
        format="multipart",
    )


def read_events(response: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(request_id=response["X-Request-ID"], action__in=READ_ACTIONS)
    )


def test_post_upload_matches_a_small_list_and_answers_done(match_world: MatchWorld):
    client = client_for(match_world.caseworker_a)
    response = upload(client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done"
    assert body["kind"] == "file"
    assert (body["rows_total"], body["rows_done"], body["progress"]) == (4, 4, 1.0)
    assert response["Location"].endswith(reverse("match-run-detail", args=[body["id"]]))
    detail = client.get(reverse("match-run-detail", args=[body["id"]]))
    assert detail.status_code == 200
    assert detail.json()["id"] == body["id"]
    assert not read_events(detail)  # status and counts: no personal data


def test_get_results_shows_candidates_as_seen_and_records_the_read(match_world: MatchWorld):
    w = match_world
    client = client_for(w.caseworker_a)
    run_id = upload(client).json()["id"]
    response = client.get(reverse("match-run-results", args=[run_id]))
    assert response.status_code == 200, response.content
    rows = {row["row"]: row for row in response.json()["rows"]}
    boy = rows[2]["candidates"][0]
    assert not boy["held"]
    assert boy["rank"] == 1
    assert boy["band"] == "likely"
    assert boy["case"]["number"] == w.boy.number
    assert boy["child"]["date_of_birth"] == "2012-05-17"
    assert "given name equal after transliteration" in boy["reasons"]
    girl = rows[3]["candidates"][0]
    assert girl == {
        "rank": 1,
        "held": True,
        "band": "likely",
        "score": None,
        "reasons": [],
        "summary": f"A likely match is held by {w.d.name}.",
        "organization": {"id": w.d.pk, "name": w.d.name},
        "case": None,
        "child": None,
        "external_references": [],
    }
    assert GIRL["family_name"] not in response.content.decode()
    assert rows[5]["problems"][0]["code"] == "no_name"
    assert rows[5]["problems"][0]["message"]
    (event,) = read_events(response)
    assert event.metadata["records"] == {object_type_of(Case): [w.boy.pk]}


def test_get_csv_downloads_the_results_and_records_the_read(match_world: MatchWorld):
    w = match_world
    client = client_for(w.caseworker_a)
    run_id = upload(client).json()["id"]
    response = client.get(reverse("match-run-csv", args=[run_id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="match-run-{run_id}.csv"' in response["Content-Disposition"]
    text = response.content.decode()
    assert w.boy.number in text
    assert w.d.name in text
    assert GIRL["family_name"] not in text
    (event,) = read_events(response)
    assert event.metadata["format"] == "csv"


def test_a_run_is_seen_only_by_who_ran_it_and_superusers(match_world: MatchWorld):
    w = match_world
    run_id = upload(client_for(w.caseworker_a)).json()["id"]
    other = client_for(w.caseworker_d)
    for name in ("match-run-detail", "match-run-results", "match-run-csv"):
        assert other.get(reverse(name, args=[run_id])).status_code == 404
    assert other.get(reverse("match-run-list")).json()["results"] == []
    superuser = client_for(UserFactory.create(is_superuser=True))
    listed = superuser.get(reverse("match-run-list")).json()["results"]
    assert [row["id"] for row in listed] == [run_id]


def test_post_is_refused_to_a_user_without_a_role(match_world: MatchWorld):
    response = upload(client_for(UserFactory.create()))
    assert response.status_code == 403
    assert response.json()["code"] == "match_run_denied"
    assert not MatchRun.objects.exists()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        (b"%PDF-1.7\x00\x01", "unsupported_format"),
        (csv_bytes("ref", "R-1"), "missing_columns"),
        (csv_bytes("full_name", "Коваленко Олексій", "=1+1,too,many"), "cell_outside_columns"),
    ],
)
def test_post_upload_refuses_an_unreadable_file_naming_the_problem(
    match_world: MatchWorld, content: bytes, code: str
):
    response = upload(client_for(match_world.caseworker_a), content)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code
    assert "file" in body["fields"]
    assert "Коваленко" not in response.content.decode()
    assert not MatchRun.objects.exists()


@override_settings(IMPORT_MAX_FILE_BYTES=1000)
def test_post_upload_refuses_a_file_over_the_limit(match_world: MatchWorld):
    response = upload(client_for(match_world.caseworker_a), LIST_CSV + b"x" * 2000)
    assert response.status_code == 413, response.content
    assert response.json()["code"] == "file_too_large"
    assert not MatchRun.objects.exists()


def test_post_refuses_unknown_fields_and_a_missing_file(match_world: MatchWorld):
    client = client_for(match_world.caseworker_a)
    response = upload(client, note="x")
    assert response.status_code == 400
    assert "note" in response.json()["fields"]
    response = client.post(reverse("match-run-list"), {"note": "x"}, format="multipart")
    assert response.status_code == 400
    assert "note" in response.json()["fields"]
    response = client.post(reverse("match-run-list"), {"child_list": 1, "x": 1}, format="json")
    assert response.status_code == 400
    assert "x" in response.json()["fields"]
    response = client.post(reverse("match-run-list"), {}, format="json")
    assert response.status_code == 400
    assert "child_list" in response.json()["fields"]
    response = client.post(reverse("match-run-list"), {"child_list": 999999}, format="json")
    assert response.status_code == 400
    assert "child_list" in response.json()["fields"]
    response = client.get(reverse("match-run-list"), {"status": "done"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


@override_settings(MATCH_RUN_SYNC_ROWS=2)
def test_a_large_upload_answers_queued_and_its_results_wait(
    match_world: MatchWorld, django_capture_on_commit_callbacks: Any
):
    client = client_for(match_world.caseworker_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client)
    assert response.status_code == 201
    run_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    waiting = client.get(reverse("match-run-results", args=[run_id]))
    assert waiting.status_code == 409
    assert waiting.json()["code"] == "match_run_not_done"
    for callback in callbacks:
        callback()
    assert MatchRun.objects.get(pk=run_id).status == MatchRunStatus.DONE
    assert client.get(reverse("match-run-results", args=[run_id])).status_code == 200


def test_post_child_list_and_confirm_links_the_entry(match_world: MatchWorld):
    w = match_world
    client = client_for(w.coordinator_a)
    response = client.post(
        reverse("match-run-list"), {"child_list": w.child_list.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    assert response.json()["kind"] == "child_list"
    results = client.get(reverse("match-run-results", args=[run_id])).json()["rows"]
    first = next(row for row in results if row["entry"] == w.entries[0].pk)
    assert first["candidates"][0]["organization"]["name"] == w.a.name
    confirm = reverse("match-run-confirm", args=[run_id])
    response = client.post(confirm, {"row": first["row"], "rank": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"entry": w.entries[0].pk, "case": w.boy.pk}
    w.entries[0].refresh_from_db()
    assert w.entries[0].case_id == w.boy.pk
    response = client.post(confirm, {"row": first["row"], "rank": 9}, format="json")
    assert response.status_code == 400
    assert "rank" in response.json()["fields"]
    response = client.post(confirm, {"row": first["row"], "rank": 1, "x": 1}, format="json")
    assert response.status_code == 400
    assert "x" in response.json()["fields"]


def test_confirm_is_refused_to_a_caseworker(match_world: MatchWorld):
    w = match_world
    client = client_for(w.caseworker_a)
    run_id = client.post(
        reverse("match-run-list"), {"child_list": w.child_list.pk}, format="json"
    ).json()["id"]
    response = client.post(
        reverse("match-run-confirm", args=[run_id]), {"row": 1, "rank": 1}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "coalition_write_denied"

"""The sources, evidence and published-figures API: uploads (hash, size, type, duplicates, the
size limit and the type allow-list), downloads and their chain of custody, visibility through
the cases a source supports, evidence links, figures, filters and error bodies. All data is
synthetic."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from audit.models import AuditEvent
from cases import services as case_services
from cases.models import Case
from core.uploads import MULTIPART_ALLOWANCE, UploadSizeLimitHandler
from sources.exceptions import FileTooLarge
from sources.models import CustodyAction, CustodyEvent, Evidence, PublishedFigure, Source
from sources.views import download_filename, upload_limit
from tests.api_errors import assert_error
from tests.factories.accounts import OrganizationFactory, make_api_key, make_member
from tests.factories.cases import make_case
from tests.factories.sources import make_evidence, make_source, receive, text_bytes
from tests.sources.files.documents import pdf_bytes

pytestmark = pytest.mark.django_db

SOURCES = reverse("source-list")
EVIDENCE = reverse("evidence-list")
FIGURES = reverse("figure-list")


def client_of(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def detail(source: Source) -> str:
    return reverse("source-detail", args=[source.pk])


def download(source: Source) -> str:
    return reverse("source-download", args=[source.pk])


def upload(client: APIClient, content: bytes, name: str = "report.txt", **fields: Any) -> Any:
    body = {"file": SimpleUploadedFile(name, content), **fields}
    return client.post(SOURCES, body, format="multipart")


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def shared_case(owner_case: Case, organization: Any, scope: str) -> None:
    case_services.case_share_create(
        case=owner_case,
        actor=None,
        organization=organization,
        scope=scope,
        reason="Synthetic share",
        consent_reference="SYN-1",
    )


# -- receiving --------------------------------------------------------------------------------
def test_upload_creates_a_source_with_its_hash_size_type_and_a_received_event(api_client, user):
    content = pdf_bytes([["Synthetic inspection report"]], title="Synthetic inspection")

    response = upload(
        api_client,
        content,
        "inspection.pdf",
        kind="official_statement",
        publisher="Synthetic ministry",
        published_on="2024-02-01",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    source = Source.objects.get(pk=body["id"])
    assert response["Location"].endswith(detail(source))
    assert body["duplicate"] is False
    assert body["sha256"] == hashlib.sha256(content).hexdigest() == source.sha256
    assert body["size"] == len(content) == source.size
    assert body["media_type"] == "application/pdf"
    assert body["kind"] == "official_statement"
    assert body["publisher"] == "Synthetic ministry"
    assert body["original_filename"] == "inspection.pdf"
    assert body["download_url"].endswith(download(source))
    assert "extracted_text" not in body  # the content is read through the recorded download
    (event,) = CustodyEvent.objects.filter(source=source)
    assert (event.action, event.actor, event.sha256_seen) == ("received", user, source.sha256)
    assert body["custody"]["events"] == 1
    assert body["custody"]["last_action"] == "received"


def test_upload_without_kind_or_title_takes_them_from_the_document(api_client):
    response = upload(api_client, text_bytes("untitled"), "field-notes.txt")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "other"
    assert body["title"]
    assert body["media_type"] == "text/plain"


def test_identical_upload_returns_the_existing_source_without_a_second_copy(
    api_client, stored_files
):
    content = text_bytes("duplicate")
    first = upload(api_client, content, "a.txt", title="First copy").json()

    again = upload(api_client, content, "renamed.txt", title="Second copy")

    assert again.status_code == 200, again.content
    body = again.json()
    assert body["duplicate"] is True
    assert body["id"] == first["id"]
    assert body["title"] == "First copy"
    assert again["Location"].endswith(reverse("source-detail", args=[first["id"]]))
    assert Source.objects.count() == 1
    assert len(stored_files()) == 1
    actions = list(
        CustodyEvent.objects.filter(source_id=first["id"]).values_list("action", flat=True)
    )
    assert actions == ["received", "received"]


def test_identical_upload_of_a_source_out_of_sight_is_a_conflict_without_its_details(home):
    other = OrganizationFactory.create(name="Synthetic other holder")
    content = text_bytes("held elsewhere")
    held = receive(content, organization=other, kind="testimony", title="Held elsewhere")
    caseworker = make_member("caseworker", home)

    response = upload(client_of(caseworker), content, "copy.txt")

    body = assert_error(response, 409, "source_held_elsewhere")
    assert "Held elsewhere" not in response.content.decode()
    assert str(held.pk) not in body["detail"]
    assert Source.objects.count() == 1


def test_oversize_upload_is_a_413_naming_the_limit(api_client, settings, stored_files):
    settings.SOURCES_MAX_UPLOAD_BYTES = 1000

    response = upload(api_client, text_bytes("big", size=1001))

    body = assert_error(response, 413, "file_too_large")
    assert "1000" in body["detail"]
    assert body["fields"]["file"]
    assert Source.objects.count() == 0
    assert stored_files() == []


def test_oversize_body_is_refused_by_its_announced_length_before_it_is_read(api_client, settings):
    settings.SOURCES_MAX_UPLOAD_BYTES = 1000

    response = upload(api_client, text_bytes("huge", size=1000 + MULTIPART_ALLOWANCE + 1))

    assert_error(response, 413, "file_too_large")
    assert Source.objects.count() == 0


def test_oversize_upload_is_refused_before_the_session_csrf_check_reads_it(user, settings):
    # With a session, the CSRF check reads a form body before the view does: the size limit
    # holds there too (a 413, not a body parsed whole and then a 403).
    settings.SOURCES_MAX_UPLOAD_BYTES = 1000
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = "a" * 32  # so the check goes on to read the form's token

    response = upload(client, text_bytes("session", size=1000 + MULTIPART_ALLOWANCE + 1))

    assert_error(response, 413, "file_too_large")
    assert Source.objects.count() == 0


def test_upload_size_handler_refuses_an_announced_length_without_reading(settings):
    settings.SOURCES_MAX_UPLOAD_BYTES = 1000

    class Unreadable:
        def read(self, *args: Any) -> bytes:
            raise AssertionError("the body was read")

    handler = UploadSizeLimitHandler(
        None,  # type: ignore[arg-type]  # the handler never reads its request
        limit=upload_limit(),
        refuse=lambda: FileTooLarge(limit=upload_limit()),
    )
    with pytest.raises(FileTooLarge):
        handler.handle_raw_input(Unreadable(), {}, 1000 + MULTIPART_ALLOWANCE + 1, b"x")
    handler.handle_raw_input(Unreadable(), {}, 1000, b"x")  # within the limit: passes
    # A file that streams past the limit is refused at the chunk that crosses it.
    assert handler.receive_data_chunk(b"a" * 600, 0) == b"a" * 600
    with pytest.raises(FileTooLarge):
        handler.receive_data_chunk(b"a" * 600, 600)


def test_uploads_stream_to_a_temporary_file_even_when_small(api_client, monkeypatch):
    seen: dict[str, Any] = {}
    from sources import services

    real = services.source_receive

    def spy(**kwargs: Any) -> Any:
        seen["file"] = kwargs["fileobj"]
        return real(**kwargs)

    monkeypatch.setattr(services, "source_receive", spy)
    response = upload(api_client, text_bytes("small"))

    assert response.status_code == 201, response.content
    assert hasattr(seen["file"], "temporary_file_path")


def test_disallowed_type_is_a_415_naming_the_type_found(api_client, stored_files):
    response = upload(api_client, b"MZ\x90\x00" + bytes(range(256)) * 8, "report.pdf")

    body = assert_error(response, 415, "unsupported_media_type")
    assert "PDF" in body["detail"]  # the accepted types are named
    assert Source.objects.count() == 0
    assert stored_files() == []


def test_upload_without_a_file_or_with_bad_metadata_is_a_400_naming_the_field(api_client):
    response = api_client.post(SOURCES, {"title": "No file"}, format="multipart")
    body = assert_error(response, 400, "invalid")
    assert "file" in body["fields"]

    response = upload(api_client, text_bytes("bad date"), published_on="2024-13-45")
    body = assert_error(response, 400, "invalid")
    assert "published_on" in body["fields"]

    response = upload(api_client, text_bytes("unknown"), colour="blue")
    body = assert_error(response, 400, "invalid")
    assert "colour" in body["fields"]


@pytest.mark.parametrize("keyed", [False, True])
def test_upload_of_two_files_in_the_file_field_is_refused_not_halved(api_client, keyed):
    files = [
        SimpleUploadedFile(name, text_bytes(f"synthetic {name}"), content_type="text/plain")
        for name in ("first.txt", "second.txt")
    ]
    headers = {"HTTP_IDEMPOTENCY_KEY": "two-files-1"} if keyed else {}

    response = api_client.post(
        SOURCES, {"file": files, "kind": "testimony"}, format="multipart", **headers
    )

    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["file"]
    assert "one file" in body["fields"]["file"][0]
    assert not Source.objects.exists()


def test_source_known_by_url_is_recorded_from_json(api_client, home):
    response = api_client.post(
        SOURCES,
        {
            "kind": "news_article",
            "title": "Synthetic article",
            "url": "https://news.example.org/synthetic",
            "language": "en",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_file"] is False
    assert body["download_url"] is None
    assert body["sha256"] == ""
    assert body["organization"]["id"] == home.pk
    assert body["duplicate"] is False


def test_upload_with_an_idempotency_key_is_replayed_not_received_twice(api_client):
    content = text_bytes("idempotent")
    headers = {"HTTP_IDEMPOTENCY_KEY": "synthetic-upload-1"}
    body = {"file": SimpleUploadedFile("a.txt", content)}
    first = api_client.post(SOURCES, body, format="multipart", **headers)
    body = {"file": SimpleUploadedFile("a.txt", content)}
    again = api_client.post(SOURCES, body, format="multipart", **headers)

    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CustodyEvent.objects.filter(action=CustodyAction.RECEIVED).count() == 1

    other = {"file": SimpleUploadedFile("a.txt", text_bytes("other content"))}
    reused = api_client.post(SOURCES, other, format="multipart", **headers)
    assert_error(reused, 422, "idempotency_key_reused")


def test_partner_submits_a_source_for_its_own_organization():
    partner_org = OrganizationFactory.create(name="Synthetic partner NGO")
    _key, secret = make_api_key(organization=partner_org, role="partner")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")

    response = upload(client, text_bytes("partner"), kind="testimony", title="Partner testimony")

    assert response.status_code == 201, response.content
    assert response.json()["organization"]["id"] == partner_org.pk


def test_coordinator_may_not_receive_sources(home):
    coordinator = make_member("coordinator", home)

    response = upload(client_of(coordinator), text_bytes("coordinator"))

    assert_error(response, 403)
    assert Source.objects.count() == 0


# -- downloads --------------------------------------------------------------------------------
def test_download_streams_the_exact_bytes_and_records_custody_every_time(api_client, user):
    content = pdf_bytes([["Synthetic page one"], ["Synthetic page two"]])
    source = receive(
        content, filename="two pages.pdf", organization=user.memberships.get().organization
    )

    for _ in range(2):
        response = api_client.get(download(source))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "two pages.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "no-store"
        expected = base64.b64encode(hashlib.sha256(content).digest()).decode()
        assert response["Repr-Digest"] == f"sha-256=:{expected}:"
        assert response["Digest"] == f"SHA-256={expected}"

    downloads = CustodyEvent.objects.filter(source=source, action=CustodyAction.DOWNLOADED)
    assert downloads.count() == 2
    assert {(e.actor_id, e.sha256_seen) for e in downloads} == {(user.pk, source.sha256)}
    assert AuditEvent.objects.filter(action="download", object_id=str(source.pk)).count() == 2
    summary = api_client.get(detail(source)).json()["custody"]
    assert (summary["events"], summary["downloads"]) == (3, 2)


def test_download_answers_with_the_file_whatever_the_client_accepts(api_client, home):
    source = receive(text_bytes("accept"), organization=home)

    response = api_client.get(download(source), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == text_bytes("accept")


def test_download_of_a_source_without_a_file_is_a_404(api_client, home):
    source = make_source(organization=home)

    assert_error(api_client.get(download(source)), 404, "source_has_no_file")


def test_download_of_a_source_out_of_sight_is_a_404_and_records_nothing(api_client):
    other = OrganizationFactory.create(name="Synthetic distant organization")
    source = receive(text_bytes("out of sight"), organization=other, kind="testimony")

    assert_error(api_client.get(download(source)), 404)
    assert_error(api_client.get(detail(source)), 404)
    assert not CustodyEvent.objects.filter(source=source, action="downloaded").exists()


def test_download_filename_is_stripped_of_folders_and_quotes():
    source = Source(
        pk=7, original_filename='..\\..\\etc/"evil"\r\n.pdf', media_type="application/pdf"
    )
    assert download_filename(source) == "evil.pdf"
    assert download_filename(Source(pk=8, original_filename="", media_type="image/png")) == (
        "source-8.png"
    )


def test_custody_lists_the_chain_oldest_first(api_client, home, user):
    source = receive(text_bytes("chain"), organization=home)
    api_client.get(download(source))

    response = api_client.get(reverse("source-custody", args=[source.pk]), {"page_size": 1})

    assert response.status_code == 200
    first = response.json()
    assert [row["action"] for row in first["results"]] == ["received"]
    rest = api_client.get(first["next"]).json()
    assert [row["action"] for row in rest["results"]] == ["downloaded"]
    assert rest["results"][0]["actor"]["id"] == user.pk
    assert rest["results"][0]["sha256_seen"] == source.sha256
    bad = api_client.get(reverse("source-custody", args=[source.pk]), {"action": "received"})
    assert_error(bad, 400)


# -- visibility -------------------------------------------------------------------------------
@pytest.fixture
def partner_world(home: Any) -> dict[str, Any]:
    """A testimony supporting a case of the home organization, shared in full with one partner
    and limited with another; a news article supporting nothing; another organization's own."""
    full_org = OrganizationFactory.create(name="Synthetic full partner")
    limited_org = OrganizationFactory.create(name="Synthetic limited partner")
    case = make_case(organization=home)
    shared_case(case, full_org, "full")
    shared_case(case, limited_org, "limited")
    testimony = receive(text_bytes("testimony"), organization=home, kind="testimony")
    make_evidence(testimony, case)
    news = make_source(kind="news_article", title="Synthetic public article")
    stranger_org = OrganizationFactory.create(name="Synthetic stranger")
    foreign = receive(text_bytes("foreign"), organization=stranger_org, kind="testimony")
    return {
        "case": case,
        "testimony": testimony,
        "news": news,
        "foreign": foreign,
        "full": client_of(make_member("partner", full_org)),
        "limited": client_of(make_member("partner", limited_org)),
        "coordinator": client_of(make_member("coordinator", stranger_org)),
        "auditor": client_of(make_member("auditor", OrganizationFactory.create())),
    }


def test_sources_follow_the_cases_they_support(partner_world, api_client):
    w = partner_world
    testimony, news, foreign = w["testimony"].pk, w["news"].pk, w["foreign"].pk

    assert ids(api_client.get(SOURCES)) == {testimony, news}
    assert ids(w["full"].get(SOURCES)) == {testimony, news}
    assert ids(w["limited"].get(SOURCES)) == {news}  # a limited share shows no documents
    # A coordinator holds no reading role, even in the organization that received ``foreign``.
    assert ids(w["coordinator"].get(SOURCES)) == {news}
    assert ids(w["auditor"].get(SOURCES)) == {testimony, news, foreign}

    assert w["full"].get(download(w["testimony"])).status_code == 200
    assert_error(w["limited"].get(download(w["testimony"])), 404)
    assert_error(w["limited"].get(detail(w["testimony"])), 404)
    assert w["limited"].get(detail(w["news"])).status_code == 200


def test_sources_filter_by_case_only_for_a_case_in_sight(partner_world, api_client):
    w = partner_world
    case = w["case"].pk

    assert ids(api_client.get(SOURCES, {"case": case})) == {w["testimony"].pk}
    assert ids(w["full"].get(SOURCES, {"case": case})) == {w["testimony"].pk}
    # The limited partner sees the case but not its documents; a stranger not the case at all.
    assert ids(w["limited"].get(SOURCES, {"case": case})) == set()
    assert ids(w["coordinator"].get(SOURCES, {"case": case})) == set()


def test_anonymous_requests_are_refused(partner_world, anon_client):
    for url in (SOURCES, detail(partner_world["news"]), EVIDENCE, FIGURES):
        assert_error(anon_client.get(url), 401)


# -- filters ----------------------------------------------------------------------------------
def test_source_list_filters(api_client, home):
    old = make_source(
        organization=home,
        kind="news_article",
        title="Synthetic old article",
        publisher="Synthetic Daily",
        language="uk",
        published_on="2023-04-28",
    )
    new = make_source(
        organization=home,
        kind="un_document",
        title="Synthetic resolution",
        language="en",
        published_on="2025-12-01",
    )
    testimony = make_source(organization=home, kind="testimony", title="Synthetic account")

    assert ids(api_client.get(SOURCES, {"kind": ["news_article", "un_document"]})) == {
        old.pk,
        new.pk,
    }
    assert ids(api_client.get(SOURCES, {"language": "UK"})) == {old.pk}
    assert ids(api_client.get(SOURCES, {"published_after": "2024-01-01"})) == {new.pk}
    assert ids(api_client.get(SOURCES, {"published_before": "2024-01-01"})) == {old.pk}
    assert ids(api_client.get(SOURCES, {"search": "daily"})) == {old.pk}
    assert ids(api_client.get(SOURCES, {"search": "account"})) == {testimony.pk}
    assert ids(api_client.get(SOURCES, {"integrity": "unverified"})) == {
        old.pk,
        new.pk,
        testimony.pk,
    }
    assert ids(api_client.get(SOURCES, {"created_after": "2100-01-01T00:00:00Z"})) == set()


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (SOURCES, {"kind": "pamphlet"}, "kind"),
        (SOURCES, {"published_after": "yesterday"}, "published_after"),
        (SOURCES, {"created_before": "2024-02-30T00:00:00Z"}, "created_before"),
        (SOURCES, {"case": "1.5"}, "case"),
        (SOURCES, {"integrity": "fine"}, "integrity"),
        (SOURCES, {"ordering": "title"}, "ordering"),
        (SOURCES, {"colour": "blue"}, "colour"),
        (SOURCES, {"page_size": "0"}, "page_size"),
        (EVIDENCE, {"fact": "rumour"}, "fact"),
        (EVIDENCE, {"case": "abc"}, "case"),
        (EVIDENCE, {"search": "x"}, "search"),
        (FIGURES, {"metric": "counted"}, "metric"),
        (FIGURES, {"as_of_after": "spring 2023"}, "as_of_after"),
        (FIGURES, {"qualifier": "roughly"}, "qualifier"),
        (FIGURES, {"value": "1"}, "value"),
    ],
)
def test_invalid_filters_and_unknown_parameters_are_a_400_naming_them(
    api_client, url, params, field
):
    body = assert_error(api_client.get(url, params), 400, "invalid")
    assert field in body["fields"]


def test_detail_endpoints_refuse_query_parameters(api_client, home):
    source = make_source(organization=home)
    assert_error(api_client.get(detail(source), {"kind": "testimony"}), 400)
    assert_error(api_client.get(download(source), {"inline": "1"}), 400)


# -- changes and judgements -------------------------------------------------------------------
def test_patch_changes_metadata_and_records_who_judged_and_when(api_client, home, user):
    source = make_source(organization=home)

    response = api_client.patch(
        detail(source),
        {"publisher": "Synthetic publisher", "reliability": "B", "credibility": 2},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["publisher"] == "Synthetic publisher"
    assert (body["reliability"], body["credibility"]) == ("B", 2)
    assert body["reliability_judged_by"] == {"id": user.pk, "username": user.username}
    assert body["credibility_judged_by"]["id"] == user.pk
    assert body["reliability_judged_at"]
    assert body["credibility_judged_at"]


def test_patch_refuses_the_file_columns_and_bad_judgements(api_client, home):
    source = receive(text_bytes("fixed"), organization=home)

    body = assert_error(api_client.patch(detail(source), {"sha256": "0" * 64}, format="json"), 400)
    assert "sha256" in body["fields"]
    body = assert_error(api_client.patch(detail(source), {"reliability": "G"}, format="json"), 400)
    assert "reliability" in body["fields"]
    source.refresh_from_db()
    assert source.reliability == ""


def test_a_refused_judgement_leaves_the_metadata_unchanged(partner_world):
    w = partner_world
    response = w["full"].patch(
        detail(w["testimony"]), {"title": "Changed by a reader", "reliability": "A"}, format="json"
    )

    assert_error(response, 403)
    w["testimony"].refresh_from_db()
    assert w["testimony"].title != "Changed by a reader"


# -- evidence ---------------------------------------------------------------------------------
def test_caseworker_links_evidence_and_readers_may_not(partner_world, home):
    w = partner_world
    caseworker = client_of(make_member("caseworker", home))
    article = w["news"]
    body = {"source": article.pk, "case": w["case"].pk, "fact": "whereabouts", "page": "3"}

    created = caseworker.post(EVIDENCE, body, format="json")

    assert created.status_code == 201, created.content
    row = created.json()
    assert row["source"] == {"id": article.pk, "kind": "news_article", "title": article.title}
    assert row["case"]["id"] == w["case"].pk
    assert created["Location"].endswith(reverse("evidence-detail", args=[row["id"]]))
    assert_error(caseworker.post(EVIDENCE, body, format="json"), 409, "evidence_exists")
    # Who sees the case but does not write it: 403; who does not see it: the field is unknown.
    assert_error(w["full"].post(EVIDENCE, {**body, "page": "4"}, format="json"), 403)
    refused = assert_error(
        w["coordinator"].post(EVIDENCE, {**body, "page": "5"}, format="json"), 400
    )
    assert "case" in refused["fields"]


def test_evidence_list_and_detail_follow_the_full_view_of_the_case(partner_world, api_client):
    w = partner_world
    (link,) = Evidence.objects.filter(case=w["case"])
    url = reverse("evidence-detail", args=[link.pk])

    assert ids(api_client.get(EVIDENCE, {"case": w["case"].pk})) == {link.pk}
    assert ids(w["full"].get(EVIDENCE)) == {link.pk}
    assert ids(w["limited"].get(EVIDENCE)) == set()
    assert ids(api_client.get(EVIDENCE, {"fact": "identity"})) == set()
    assert ids(api_client.get(EVIDENCE, {"source": w["testimony"].pk})) == {link.pk}
    assert w["full"].get(url).status_code == 200
    assert_error(w["limited"].get(url), 404)


def test_evidence_is_changed_and_unlinked_only_by_who_writes_the_case(partner_world, api_client):
    w = partner_world
    (link,) = Evidence.objects.filter(case=w["case"])
    url = reverse("evidence-detail", args=[link.pk])

    assert_error(w["full"].patch(url, {"note": "reader"}, format="json"), 403)
    assert_error(w["full"].delete(url), 403)
    assert_error(w["limited"].delete(url), 404)
    changed = api_client.patch(url, {"note": "Synthetic note", "page": "12"}, format="json")
    assert changed.status_code == 200, changed.content
    assert (changed.json()["note"], changed.json()["page"]) == ("Synthetic note", "12")
    body = assert_error(api_client.patch(url, {"case": 1}, format="json"), 400)
    assert "case" in body["fields"]

    assert api_client.delete(url).status_code == 204
    assert not Evidence.objects.filter(pk=link.pk).exists()
    assert Source.objects.filter(pk=w["testimony"].pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_id=str(link.pk)).exists()


# -- published figures ------------------------------------------------------------------------
FIGURE = {
    "metric": "deported",
    "description": "Synthetic children counted",
    "value": 19400,
    "qualifier": "at_least",
    "as_of": "2023-03-01",
    "as_of_precision": "season",
    "as_of_label": "spring 2023",
    "claimant": "Synthetic government",
}


def test_figures_are_recorded_by_writers_and_read_by_everyone(api_client, partner_world):
    created = api_client.post(FIGURES, FIGURE, format="json")

    assert created.status_code == 201, created.content
    figure = created.json()
    assert (figure["value"], figure["qualifier"], figure["as_of_label"]) == (
        19400,
        "at_least",
        "spring 2023",
    )
    assert figure["has_value"] is True
    for reader in ("limited", "coordinator", "auditor"):
        assert ids(partner_world[reader].get(FIGURES)) == {figure["id"]}
    assert_error(partner_world["full"].post(FIGURES, FIGURE, format="json"), 403)
    assert_error(partner_world["auditor"].post(FIGURES, FIGURE, format="json"), 403)


def test_figure_without_a_number_keeps_the_claims_words(api_client):
    body = {
        **FIGURE,
        "value": None,
        "value_text": "hundreds of thousands",
        "qualifier": "stated",
        "as_of": "2023-12-08",
        "as_of_precision": "day",
        "as_of_label": "",
        "claimant": "Synthetic state as quoted",
    }

    response = api_client.post(FIGURES, body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["value"] is None
    assert response.json()["value_text"] == "hundreds of thousands"
    assert response.json()["has_value"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": None}, "value"),
        ({"value": -1}, "value"),
        ({"metric": "counted"}, "metric"),
        ({"qualifier": "roughly"}, "qualifier"),
        ({"as_of": "2999-01-01"}, "as_of"),
        ({"as_of": "2023-04-15"}, "as_of"),  # a season starts on the first of its month
        ({"claimant": ""}, "claimant"),
        ({"source": 999999}, "source"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_figure_validation_names_the_field(api_client, change, field):
    body = assert_error(api_client.post(FIGURES, {**FIGURE, **change}, format="json"), 400)
    assert field in body["fields"]
    assert not PublishedFigure.objects.exists()


def test_figures_filter_by_metric_claimant_dates_and_qualifier(api_client):
    def record(**change: Any) -> int:
        response = api_client.post(FIGURES, {**FIGURE, **change}, format="json")
        assert response.status_code == 201, response.content
        return int(response.json()["id"])

    spring = record()
    returned = record(
        metric="returned", value=360, qualifier="more_than", claimant="Synthetic officials"
    )
    talks = record(
        as_of="2025-06-02",
        as_of_precision="day",
        as_of_label="",
        qualifier="stated",
        value=20000,
        claimant="Synthetic delegation",
    )

    assert ids(api_client.get(FIGURES, {"metric": "returned"})) == {returned}
    assert ids(api_client.get(FIGURES, {"claimant": "DELEGATION"})) == {talks}
    assert ids(api_client.get(FIGURES, {"as_of_after": "2024-01-01"})) == {talks}
    assert ids(api_client.get(FIGURES, {"as_of_before": "2024-01-01"})) == {spring, returned}
    assert ids(api_client.get(FIGURES, {"qualifier": ["at_least", "more_than"]})) == {
        spring,
        returned,
    }
    rows = api_client.get(FIGURES, {"ordering": "-as_of"}).json()["results"]
    assert rows[0]["id"] == talks


def test_figure_is_corrected_by_patch(api_client):
    figure = api_client.post(FIGURES, FIGURE, format="json").json()
    url = reverse("figure-detail", args=[figure["id"]])

    response = api_client.patch(url, {"note": "Synthetic correction"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["note"] == "Synthetic correction"
    assert response.json()["value"] == 19400
    assert api_client.get(url).json()["note"] == "Synthetic correction"


# -- query counts -----------------------------------------------------------------------------
def test_source_list_reads_a_page_in_constant_queries(
    api_client, home, django_assert_max_num_queries
):
    for n in range(3):
        make_source(organization=home, title=f"Synthetic source {n}")
    api_client.get(SOURCES)  # warm the actor's caches (token, roles)
    with django_assert_max_num_queries(8) as few:
        api_client.get(SOURCES)
    for n in range(3, 12):
        make_source(organization=home, title=f"Synthetic source {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api_client.get(SOURCES)
    assert len(response.json()["results"]) == 12


def test_evidence_list_reads_a_page_in_constant_queries(
    api_client, home, django_assert_max_num_queries
):
    case = make_case(organization=home)
    for n in range(2):
        make_evidence(make_source(organization=home, title=f"Synthetic {n}"), case)
    api_client.get(EVIDENCE)
    with django_assert_max_num_queries(12) as few:
        api_client.get(EVIDENCE)
    for n in range(2, 8):
        make_evidence(make_source(organization=home, title=f"Synthetic {n}"), case)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api_client.get(EVIDENCE)
    assert len(response.json()["results"]) == 8


def test_upload_body_stream_is_never_read_into_memory_whole():
    """The upload handlers of the sources endpoint: the size limit first, then a temporary
    file (never Django's in-memory handler)."""
    from django.core.files.uploadhandler import TemporaryFileUploadHandler
    from django.test import RequestFactory

    from sources.views import use_streaming_upload_handlers

    request = RequestFactory().post("/api/v1/sources/")
    use_streaming_upload_handlers(request)
    kinds = [type(handler) for handler in request.upload_handlers]
    assert kinds == [UploadSizeLimitHandler, TemporaryFileUploadHandler]


def test_case_filter_tells_a_limited_share_nothing_of_the_cited_sources(api_client):
    """Which sources a case cites is part of its documents: a limited share shows none."""
    from cases import services as case_services
    from sources import services as source_services
    from tests.factories.accounts import OrganizationFactory, make_member
    from tests.factories.cases import make_case

    case = make_case()
    public = source_services.source_record(
        actor=None, data={"kind": "news_article", "title": "Synthetic article"}
    )
    source_services.evidence_link(source=public, case=case, actor=None, fact="whereabouts")
    partner_org = OrganizationFactory.create()
    case_services.case_share_create(
        case=case,
        actor=None,
        organization=partner_org,
        scope="limited",
        reason="Synthetic",
        consent_reference="C-9",
    )
    api_client.force_authenticate(make_member("partner", partner_org))

    response = api_client.get("/api/v1/sources/", {"case": case.pk})

    assert response.status_code == 200
    assert response.json()["results"] == []
    # The article itself stays visible: it is public.
    assert api_client.get(f"/api/v1/sources/{public.pk}/").status_code == 200


def test_source_retrieved_long_ago_is_answered_as_rfc_3339(api_client, user):
    """Kyiv kept local mean time (+02:02:04) until 1924: an offset with seconds is no RFC 3339
    date-time, so such a time is answered in UTC."""
    old = make_source(actor=user, retrieved_at=dt.datetime(1910, 5, 1, 12, 0, tzinfo=dt.UTC))
    recent = make_source(actor=user, retrieved_at=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC))
    assert api_client.get(f"/api/v1/sources/{old.pk}/").json()["retrieved_at"] == (
        "1910-05-01T12:00:00Z"
    )
    assert api_client.get(f"/api/v1/sources/{recent.pk}/").json()["retrieved_at"] == (
        "2024-05-01T15:00:00+03:00"
    )

"""Receiving files (hashing while streaming, duplicates, size and type refusals, text
extraction), recording, changing and judging sources, downloads with their custody events,
evidence links, and the append-only chain of custody. Every write leaves its audit event."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import Role
from accounts.services import membership_set
from audit.models import Action
from cases import services as case_services
from cases.exceptions import CaseNotFound
from core.errors import PermissionDenied, ValidationFailed
from sources import selectors, services
from sources.detection import DOCX, HTML, PDF, TEXT, detect_media_type
from sources.exceptions import (
    EvidenceExists,
    EvidenceNotFound,
    FileTooLarge,
    SourceFileMissing,
    SourceHasNoFile,
    SourceNotFound,
    UnsupportedMediaType,
)
from sources.extraction import ExtractionResult
from sources.models import (
    CustodyAction,
    CustodyChainImmutable,
    CustodyEvent,
    Evidence,
    Integrity,
    Source,
    TextExtraction,
)
from sources.services import storage
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case
from tests.factories.sources import (
    SYNTHETIC_TEXT,
    XLSX_TYPE,
    make_evidence,
    make_source,
    ooxml_bytes,
    receive,
    text_bytes,
    xlsx_bytes,
    zip_bytes,
)
from tests.sources.files.documents import corrupt_pdf_bytes, docx_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

CHUNK = services.CHUNK_BYTES
SOURCE_TYPE = "sources.source"
EVIDENCE_TYPE = "sources.evidence"


class ChunkOnlyFile:
    """A file object that refuses to be read whole: ``read()`` without a size fails the test."""

    def __init__(self, content: bytes) -> None:
        self._buffer = io.BytesIO(content)
        self.sizes: list[int] = []

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("the whole file was read at once")
        self.sizes.append(size)
        return self._buffer.read(size)


def _receive(content: bytes, *, filename: str = "synthetic.txt", **kwargs: Any):
    return services.source_receive(
        fileobj=io.BytesIO(content), filename=filename, actor=kwargs.pop("actor", None), **kwargs
    )


def _custody(source: Source) -> list[CustodyEvent]:
    return list(CustodyEvent.objects.filter(source=source).order_by("at", "id"))


# ---------------------------------------------------------------------------------------------
# Receiving: hashing while streaming
# ---------------------------------------------------------------------------------------------
def test_source_receive_hashes_while_streaming_in_chunks(user, home, trail, stored_path):
    content = text_bytes("three chunks", size=2 * CHUNK + 100)
    upload = ChunkOnlyFile(content)

    source, created = services.source_receive(
        fileobj=upload, filename="synthetic-report.txt", actor=user, organization=home
    )

    assert created
    expected = hashlib.sha256(content).hexdigest()
    assert source.sha256 == expected
    assert source.size == len(content)
    assert source.media_type == TEXT
    assert source.organization == home
    assert source.created_by == user
    # Read in pieces of at most one chunk, never whole: three with data, one at the end.
    assert upload.sizes == [CHUNK] * 4
    assert source.file.name == f"{expected[:2]}/{expected[2:4]}/{expected}"
    assert stored_path(source).read_bytes() == content
    (received,) = _custody(source)
    assert (received.action, received.sha256_seen, received.actor) == (
        CustodyAction.RECEIVED,
        expected,
        user,
    )
    (event,) = trail()
    assert (event.action, event.object_type, event.object_id) == (
        Action.CREATE,
        SOURCE_TYPE,
        str(source.pk),
    )
    assert event.changes["sha256"] == [None, expected]
    assert "extracted_text" not in event.changes


def test_source_receive_names_the_title_after_the_file_without_its_folder(user, home):
    source, _ = _receive(
        b"\n\n", filename="C:\\uploads\\Synthetic statement.txt", actor=user, organization=home
    )
    assert source.original_filename == "Synthetic statement.txt"
    assert source.title == "Synthetic statement"
    assert source.kind == "other"


def test_source_receive_takes_the_metadata_given(user, home):
    source, _ = _receive(
        text_bytes("metadata"),
        actor=user,
        organization=home,
        data={
            "kind": "news_article",
            "title": "Synthetic headline",
            "publisher": "Synthetic Daily",
            "language": "EN",
            "published_on": dt.date(2023, 3, 1),
            "url": "https://news.example.org/synthetic",
        },
    )
    assert (source.kind, source.title, source.publisher, source.language) == (
        "news_article",
        "Synthetic headline",
        "Synthetic Daily",
        "en",
    )
    assert source.published_on == dt.date(2023, 3, 1)


# ---------------------------------------------------------------------------------------------
# Receiving: duplicates
# ---------------------------------------------------------------------------------------------
def test_source_receive_returns_the_existing_source_for_identical_content(
    user, home, trail, stored_files
):
    content = text_bytes("duplicate")
    first, created = _receive(content, filename="first.txt", actor=user, organization=home)
    again, created_again = _receive(content, filename="second.txt", actor=user, organization=home)

    assert created
    assert not created_again
    assert again.pk == first.pk
    assert again.original_filename == "first.txt"
    assert Source.objects.filter(sha256=first.sha256).count() == 1
    assert len(stored_files()) == 1
    receipts = _custody(first)
    assert [e.action for e in receipts] == [CustodyAction.RECEIVED, CustodyAction.RECEIVED]
    assert receipts[1].sha256_seen == first.sha256
    assert "again" in receipts[1].note
    assert trail().filter(action=Action.CREATE).count() == 1


def test_source_receive_reuses_a_stored_file_left_by_a_rolled_back_receipt(
    user, home, stored_files
):
    content = text_bytes("rolled back")

    def receive_then_fail() -> None:
        with transaction.atomic():
            _receive(content, actor=user, organization=home)
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        receive_then_fail()
    assert not Source.objects.exists()

    source, created = _receive(content, actor=user, organization=home)

    assert created
    assert [p.name for p in stored_files()] == [source.sha256]


def test_source_receive_keeps_no_file_when_its_record_cannot_be_written(
    user, home, monkeypatch, stored_files
):
    def fail(**kwargs: Any) -> None:
        raise DatabaseError("the custody event could not be written")

    monkeypatch.setattr(storage, "custody_record", fail)
    with pytest.raises(DatabaseError):
        _receive(text_bytes("never recorded"), actor=user, organization=home)

    assert not Source.objects.exists()
    assert stored_files() == []


def test_source_receive_returns_the_winner_of_a_concurrent_receipt(
    user, home, monkeypatch, stored_files
):
    content = text_bytes("race")
    first, _ = _receive(content, actor=user, organization=home)
    real_lookup = selectors.source_by_sha256
    calls: list[str] = []

    def not_yet_committed(*, sha256: str) -> Source | None:
        # The first look happens before the other receipt commits; the unique hash decides.
        calls.append(sha256)
        return None if len(calls) == 1 else real_lookup(sha256=sha256)

    monkeypatch.setattr(selectors, "source_by_sha256", not_yet_committed)
    again, created = _receive(content, filename="late.txt", actor=user, organization=home)

    assert not created
    assert again.pk == first.pk
    assert len(calls) == 2
    assert len(stored_files()) == 1
    assert [e.action for e in _custody(first)] == [CustodyAction.RECEIVED] * 2


# ---------------------------------------------------------------------------------------------
# Receiving: size limit
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def small_limit(settings: Any, tmp_path: Any) -> int:
    settings.SOURCES_MAX_UPLOAD_BYTES = 1000
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return 1000


def test_source_receive_refuses_a_file_over_the_limit(user, home, small_limit, tmp_path, trail):
    with pytest.raises(FileTooLarge) as refused:
        _receive(text_bytes("too large", size=small_limit + 1), actor=user, organization=home)

    assert refused.value.status_code == 413
    assert refused.value.code == "file_too_large"
    assert "1000" in refused.value.detail
    assert refused.value.fields == {"file": [refused.value.detail]}
    assert not Source.objects.exists()
    assert not CustodyEvent.objects.exists()
    assert not trail().exists()
    assert list(tmp_path.iterdir()) == []  # the temporary copy is gone too


def test_source_receive_stops_reading_at_the_limit(user, home, small_limit, stored_files):
    upload = ChunkOnlyFile(text_bytes("huge", size=10 * CHUNK))
    with pytest.raises(FileTooLarge):
        services.source_receive(fileobj=upload, filename="x.txt", actor=user, organization=home)
    assert len(upload.sizes) == 1  # the first chunk already passed the limit
    assert stored_files() == []


def test_source_receive_refuses_a_declared_size_over_the_limit_before_reading(
    user, home, small_limit
):
    class Declared(ChunkOnlyFile):
        size = small_limit + 1

    upload = Declared(b"")
    with pytest.raises(FileTooLarge):
        services.source_receive(fileobj=upload, filename="x.txt", actor=user, organization=home)
    assert upload.sizes == []


def test_source_receive_accepts_a_file_exactly_at_the_limit(user, home, small_limit):
    source, created = _receive(
        text_bytes("at the limit", size=small_limit), actor=user, organization=home
    )
    assert created
    assert source.size == small_limit


# ---------------------------------------------------------------------------------------------
# Receiving: types read from the content
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "filename", "detected"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + bytes(200), "report.pdf", "application/x-executable"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "statement.docx", "application/x-msdownload"),
        (zip_bytes(), "table.xlsx", "application/zip"),
        (
            ooxml_bytes(
                "word/document.xml",
                "application/vnd.ms-word.document.macroEnabled.main+xml",
            ),
            "letter.docx",
            "application/vnd.ms-word.document.macroEnabled.12",
        ),
        (b"Synthetic\x00binary\x01data", "notes.txt", "application/octet-stream"),
        ("Synthetic text".encode("utf-16"), "notes.txt", "application/octet-stream"),
        (b"", "empty.txt", "application/x-empty"),
    ],
    ids=["elf", "exe", "zip", "macro-docx", "control-bytes", "utf-16", "empty"],
)
def test_source_receive_refuses_types_not_allowed(
    user, home, trail, stored_files, content, filename, detected
):
    with pytest.raises(UnsupportedMediaType) as refused:
        _receive(content, filename=filename, actor=user, organization=home)

    assert refused.value.status_code == 415
    assert refused.value.code == "unsupported_media_type"
    assert refused.value.detected == detected
    assert detected in refused.value.detail
    assert "PDF" in refused.value.detail
    assert "DOCX" in refused.value.detail
    assert not Source.objects.exists()
    assert stored_files() == []
    assert not trail().exists()


@pytest.mark.parametrize(
    ("content", "filename", "media_type"),
    [
        (pdf_bytes([["Synthetic page"]]), "scan.bin", PDF),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "photo", "image/png"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "photo.txt", "image/jpeg"),
        (b"ID3\x03\x00" + bytes(64), "recording", "audio/mpeg"),
        (b"\x00\x00\x00\x18ftypmp42" + bytes(64), "video", "video/mp4"),
        (docx_bytes(paragraphs=("Synthetic paragraph.",)), "letter.bin", DOCX),
        (xlsx_bytes(), "table.zip", XLSX_TYPE),
        (b"<!DOCTYPE html><html><body><p>Synthetic</p></body></html>", "page.txt", HTML),
        (b"  <div><p>Synthetic fragment</p></div>", "fragment", HTML),
        ("# Заголовок\n\nСинтетичний текст.".encode(), "notes.md", TEXT),
        (b"Synthetic text, named like a PDF.", "report.pdf", TEXT),
    ],
    ids=[
        "pdf",
        "png",
        "jpeg",
        "mp3",
        "mp4",
        "docx",
        "xlsx",
        "html",
        "html-fragment",
        "markdown",
        "text-named-pdf",
    ],
)
def test_source_receive_reads_the_type_from_the_content(user, home, content, filename, media_type):
    source, created = _receive(content, filename=filename, actor=user, organization=home)
    assert created
    assert source.media_type == media_type
    assert source.original_filename == filename


def test_detect_media_type_of_a_head_cut_inside_a_character():
    head = "Синтетичний текст".encode()[:-1]  # the last character cut in half
    assert detect_media_type(head) == TEXT
    with pytest.raises(UnicodeDecodeError):
        head.decode()


def test_detect_media_type_of_a_path_checks_the_whole_file(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(text_bytes("valid head", size=3 * CHUNK) + b"\xff\xfe binary tail")
    with pytest.raises(UnsupportedMediaType):
        detect_media_type(path)
    assert detect_media_type(path.read_bytes()[: 2 * CHUNK]) == TEXT


# ---------------------------------------------------------------------------------------------
# Receiving: text extraction
# ---------------------------------------------------------------------------------------------
def test_source_receive_keeps_a_corrupt_pdf_with_its_extraction_failed(user, home, stored_path):
    content = corrupt_pdf_bytes()
    source, created = _receive(content, filename="broken.pdf", actor=user, organization=home)

    assert created
    assert source.media_type == PDF
    assert source.text_extraction == TextExtraction.FAILED
    assert source.text_extraction_error
    assert len(source.text_extraction_error) <= 300
    assert source.extracted_text == ""
    assert stored_path(source).read_bytes() == content


def test_source_receive_survives_an_extraction_that_crashes(user, home, monkeypatch):
    def crash(path: Any, media_type: str) -> ExtractionResult:
        raise RecursionError("synthetic parser crash")

    monkeypatch.setattr(storage, "extract_text", crash)
    source, created = _receive(text_bytes("crash"), actor=user, organization=home)
    assert created
    assert source.text_extraction == TextExtraction.FAILED
    assert "RecursionError" in source.text_extraction_error


def test_source_receive_fills_what_the_sender_did_not_give_from_the_document(user, home):
    source, _ = _receive(text_bytes(), filename="upload.txt", actor=user, organization=home)
    assert source.text_extraction == TextExtraction.DONE
    assert "invented text" in source.extracted_text
    assert source.title == "Synthetic report on a residential facility."
    assert source.language == "en"


def test_source_receive_prefers_the_metadata_given_to_the_document(user, home):
    source, _ = _receive(
        text_bytes(),
        actor=user,
        organization=home,
        data={"title": "Given title", "language": "uk"},
    )
    assert (source.title, source.language) == ("Given title", "uk")


def test_source_receive_uses_an_extraction_the_caller_made(user, home):
    made = ExtractionResult(text="Synthetic words", status=TextExtraction.DONE, title="Made")
    source, _ = services.source_receive(
        fileobj=io.BytesIO(text_bytes("made")),
        filename="x.txt",
        actor=user,
        organization=home,
        extraction=made,
    )
    assert (source.extracted_text, source.title) == ("Synthetic words", "Made")


def test_source_receive_without_extraction_keeps_no_text(user, home):
    source, _ = _receive(text_bytes("no text"), actor=user, organization=home, extract=False)
    assert (source.text_extraction, source.extracted_text) == (TextExtraction.NONE, "")


# ---------------------------------------------------------------------------------------------
# Receiving: metadata and roles
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "rumour"}, "kind"),
        ({"url": "not a url"}, "url"),
        ({"published_on": timezone.localdate() + dt.timedelta(days=2)}, "published_on"),
        ({"retrieved_at": timezone.now() + dt.timedelta(days=2)}, "retrieved_at"),
        ({"language": "ukrainian"}, "language"),
        ({"sha256": "0" * 64}, "sha256"),
    ],
    ids=["kind", "url", "published-future", "retrieved-future", "language", "unknown-field"],
)
def test_source_receive_refuses_bad_metadata_before_reading(user, home, stored_files, data, field):
    upload = ChunkOnlyFile(text_bytes("bad metadata"))
    with pytest.raises(ValidationFailed) as refused:
        services.source_receive(
            fileobj=upload, filename="x.txt", actor=user, organization=home, data=data
        )
    assert field in refused.value.fields
    assert upload.sizes == []
    assert stored_files() == []


def test_source_receive_lets_partners_submit_for_their_organization(home):
    partner_org = OrganizationFactory.create()
    partner = make_member(Role.PARTNER, partner_org)
    source, _ = _receive(text_bytes("partner"), actor=partner)
    assert source.organization == partner_org


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.AUDITOR])
def test_source_receive_refuses_roles_that_do_not_write(role, stored_files):
    actor = make_member(role)
    with pytest.raises(PermissionDenied):
        _receive(text_bytes("refused"), actor=actor)
    assert stored_files() == []


def test_source_receive_refuses_another_organizations_name(user):
    with pytest.raises(PermissionDenied):
        _receive(text_bytes("elsewhere"), actor=user, organization=OrganizationFactory.create())


def test_source_receive_asks_which_organization_when_several(user):
    membership_set(user=user, organization=OrganizationFactory.create(), role=Role.CASEWORKER)
    with pytest.raises(ValidationFailed) as refused:
        _receive(text_bytes("which"), actor=user)
    assert "organization" in refused.value.fields


# ---------------------------------------------------------------------------------------------
# Sources without files, changes, judgements
# ---------------------------------------------------------------------------------------------
def test_source_record_writes_a_source_without_a_file(user, home, trail):
    source = services.source_record(
        actor=user,
        data={
            "kind": "official_statement",
            "title": "  Synthetic   statement ",
            "url": "https://gov.example.org/statement",
            "published_on": "2023-06-01",
            "extracted_text": "Synthetic words of the statement.",
        },
    )
    assert source.title == "Synthetic statement"
    assert source.published_on == dt.date(2023, 6, 1)
    assert source.organization == home
    assert (source.file.name, source.sha256, source.size) == ("", "", None)
    assert source.extracted_text == "Synthetic words of the statement."
    assert not CustodyEvent.objects.filter(source=source).exists()
    (event,) = trail()
    assert (event.action, event.object_id) == (Action.CREATE, str(source.pk))


def test_source_record_needs_a_title(user):
    with pytest.raises(ValidationFailed) as refused:
        services.source_record(actor=user, data={"kind": "testimony", "title": " "})
    assert "title" in refused.value.fields


def test_source_record_treats_empty_dates_as_none(user):
    source = services.source_record(
        actor=None, data={"title": "Seeded", "published_on": "", "retrieved_at": ""}
    )
    assert source.published_on is None
    assert source.organization is None


def test_source_update_changes_metadata_with_an_audit_event(user, trail):
    source = make_source(actor=user)
    updated = services.source_update(
        source=source, actor=user, data={"title": "Corrected title", "publisher": "Synthetic"}
    )
    assert (updated.title, updated.publisher) == ("Corrected title", "Synthetic")
    event = trail().get(action=Action.UPDATE)
    assert event.changes["title"] == ["Synthetic testimony", "Corrected title"]


def test_source_update_refuses_the_file_columns(user):
    source = make_source(actor=user)
    with pytest.raises(ValidationFailed) as refused:
        services.source_update(source=source, actor=user, data={"sha256": "0" * 64})
    assert "sha256" in refused.value.fields


def test_source_update_is_for_the_organizations_of_the_source(user):
    public = make_source(actor=user, kind="news_article")
    private = make_source(actor=user)
    outsider = make_member(Role.CASEWORKER)
    with pytest.raises(PermissionDenied):
        services.source_update(source=public, actor=outsider, data={"title": "Changed"})
    with pytest.raises(SourceNotFound):
        services.source_update(source=private, actor=outsider, data={"title": "Changed"})


def test_source_judge_records_who_judged_and_when(user, trail):
    source = make_source(actor=user)
    before = timezone.now()
    judged = services.source_judge(source=source, actor=user, reliability="B", credibility=2)

    assert (judged.reliability, judged.credibility) == ("B", 2)
    assert judged.reliability_judged_by == user
    assert judged.credibility_judged_by == user
    assert judged.reliability_judged_at is not None
    assert judged.reliability_judged_at >= before
    event = trail().get(action=Action.UPDATE)
    assert event.changes["reliability"] == ["", "B"]
    assert event.changes["credibility_judged_by_id"] == [None, user.pk]

    other = make_member(Role.CASEWORKER, source.organization)
    again = services.source_judge(source=judged, actor=other, credibility=3)
    assert (again.reliability, again.reliability_judged_by) == ("B", user)
    assert (again.credibility, again.credibility_judged_by) == (3, other)


@pytest.mark.parametrize(
    ("reliability", "credibility", "field"),
    [("G", None, "reliability"), (None, 7, "credibility"), (None, None, "non_field_errors")],
)
def test_source_judge_refuses_values_off_the_scale(user, reliability, credibility, field):
    source = make_source(actor=user)
    with pytest.raises(ValidationFailed) as refused:
        services.source_judge(
            source=source, actor=user, reliability=reliability, credibility=credibility
        )
    assert field in refused.value.fields


def test_source_judge_of_a_public_source_is_open_to_any_case_writer(user):
    public = make_source(actor=user, kind="un_document")
    outsider = make_member(Role.CASEWORKER)
    assert services.source_judge(source=public, actor=outsider, reliability="A").reliability == "A"
    partner = make_member(Role.PARTNER)
    with pytest.raises(PermissionDenied):
        services.source_judge(source=public, actor=partner, reliability="E")


def test_source_change_updates_and_judges_in_one_call(user, trail):
    source = make_source(actor=user)
    changed = services.source_change(
        source=source, actor=user, data={"title": "Both"}, reliability="C"
    )
    assert (changed.title, changed.reliability) == ("Both", "C")
    assert trail().filter(action=Action.UPDATE).count() == 2


def test_source_change_with_nothing_to_change_is_refused_to_who_may_not_change_it(user, trail):
    source = make_source(actor=user, kind="news_article")
    auditor = make_member(Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        services.source_change(source=source, actor=auditor, data={})
    assert services.source_change(source=source, actor=user, data={}) == source
    assert not trail().filter(action=Action.UPDATE).exists()


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------
def test_source_open_records_custody_for_every_download(user, home, trail):
    content = text_bytes("download")
    source = receive(content, actor=user, organization=home)

    for _ in range(2):
        handle, opened = services.source_open(source=source, actor=user)
        with handle:
            assert handle.read() == content
        assert opened == source

    downloads = [e for e in _custody(source) if e.action == CustodyAction.DOWNLOADED]
    assert len(downloads) == 2
    assert {(e.sha256_seen, e.actor_id) for e in downloads} == {(source.sha256, user.pk)}
    events = trail().filter(action=Action.DOWNLOAD)
    assert events.count() == 2
    assert events.first().metadata["sha256"] == source.sha256


def test_source_open_refuses_an_actor_who_does_not_see_the_source(user, home):
    source = receive(text_bytes("hidden"), actor=user, organization=home)
    with pytest.raises(SourceNotFound) as refused:
        services.source_open(source=source, actor=make_member(Role.CASEWORKER))
    assert refused.value.status_code == 404
    assert [e.action for e in _custody(source)] == [CustodyAction.RECEIVED]


def test_source_open_of_a_source_without_a_file(user):
    with pytest.raises(SourceHasNoFile):
        services.source_open(source=make_source(actor=user), actor=user)


def test_source_open_of_a_file_gone_from_storage(user, home, stored_path, trail):
    source = receive(text_bytes("gone"), actor=user, organization=home)
    stored_path(source).unlink()
    with pytest.raises(SourceFileMissing) as refused:
        services.source_open(source=source, actor=user)
    assert (refused.value.status_code, refused.value.code) == (410, "source_file_missing")
    assert [e.action for e in _custody(source)] == [CustodyAction.RECEIVED]
    assert not trail().filter(action=Action.DOWNLOAD).exists()


# ---------------------------------------------------------------------------------------------
# Evidence links
# ---------------------------------------------------------------------------------------------
def test_evidence_link_records_an_audit_event_and_leaves_custody_alone(user, home, trail):
    case = make_case(organization=home)
    source = receive(text_bytes("evidence"), actor=user, organization=home)
    evidence = services.evidence_link(
        source=source,
        case=case,
        actor=user,
        fact="whereabouts",
        page=" 3 ",
        excerpt="Synthetic excerpt",
    )
    assert (evidence.page, evidence.created_by) == ("3", user)
    event = trail().get(object_type=EVIDENCE_TYPE)
    assert (event.action, event.object_id) == (Action.CREATE, str(evidence.pk))
    assert event.organization_id == home.pk
    assert [e.action for e in _custody(source)] == [CustodyAction.RECEIVED]


def test_evidence_link_refuses_the_same_place_twice(user, home):
    case = make_case(organization=home)
    source = make_source(actor=user)
    make_evidence(source, case, actor=user, page="1")
    with pytest.raises(EvidenceExists) as refused:
        make_evidence(source, case, actor=user, page="1")
    assert refused.value.status_code == 409
    assert make_evidence(source, case, actor=user, page="2").page == "2"


def test_evidence_link_refuses_an_unknown_fact(user, home):
    with pytest.raises(ValidationFailed) as refused:
        make_evidence(make_source(actor=user), make_case(organization=home), fact="rumour")
    assert "fact" in refused.value.fields


def test_evidence_link_needs_case_write_on_a_case_in_sight(user, home):
    case = make_case(organization=home)
    other_org = OrganizationFactory.create()
    reader = make_member(Role.PARTNER, other_org)
    stranger = make_member(Role.CASEWORKER)
    public = make_source(actor=None, kind="news_article")
    case_services.case_share_create(
        case=case,
        actor=None,
        organization=other_org,
        scope="full",
        reason="Synthetic share",
        consent_reference="SYNTHETIC-CONSENT",
    )
    with pytest.raises(PermissionDenied):
        make_evidence(public, case, actor=reader)
    with pytest.raises(CaseNotFound):
        make_evidence(public, case, actor=stranger)
    hidden = make_source(actor=stranger)
    with pytest.raises(SourceNotFound):
        make_evidence(hidden, case, actor=user)
    assert not Evidence.objects.exists()


def test_evidence_update_and_unlink_are_audited(user, home, trail):
    case = make_case(organization=home)
    source = receive(text_bytes("unlink"), actor=user, organization=home)
    evidence = make_evidence(source, case, actor=user)

    updated = services.evidence_update(
        evidence=evidence, actor=user, data={"note": "Synthetic note", "fact": "identity"}
    )
    assert (updated.note, updated.fact) == ("Synthetic note", "identity")
    services.evidence_unlink(evidence=updated, actor=user)

    assert not Evidence.objects.exists()
    actions = list(
        trail().filter(object_type=EVIDENCE_TYPE).order_by("id").values_list("action", flat=True)
    )
    assert actions == [Action.CREATE, Action.UPDATE, Action.DELETE]
    deleted = trail().get(object_type=EVIDENCE_TYPE, action=Action.DELETE)
    assert deleted.changes["note"] == ["Synthetic note", None]
    assert Source.objects.filter(pk=source.pk).exists()
    assert [e.action for e in _custody(source)] == [CustodyAction.RECEIVED]


def test_evidence_update_refuses_the_source_and_case(user, home):
    evidence = make_evidence(make_source(actor=user), make_case(organization=home), actor=user)
    with pytest.raises(ValidationFailed):
        services.evidence_update(evidence=evidence, actor=user, data={"case": None})


def test_evidence_unlink_is_for_case_writers(user, home):
    case = make_case(organization=home)
    evidence = make_evidence(make_source(actor=user), case, actor=user)
    auditor = make_member(Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        services.evidence_unlink(evidence=evidence, actor=auditor)
    with pytest.raises(EvidenceNotFound):
        services.evidence_unlink(evidence=evidence, actor=make_member(Role.CASEWORKER))
    assert Evidence.objects.filter(pk=evidence.pk).exists()


# ---------------------------------------------------------------------------------------------
# The chain of custody is append-only
# ---------------------------------------------------------------------------------------------
def test_custody_events_refuse_changes_through_the_orm(user, home):
    source = receive(text_bytes("immutable"), actor=user, organization=home)
    event = CustodyEvent.objects.get(source=source)
    event.note = "changed"
    with pytest.raises(CustodyChainImmutable):
        event.save()
    with pytest.raises(CustodyChainImmutable):
        event.delete()
    with pytest.raises(CustodyChainImmutable):
        CustodyEvent.objects.filter(source=source).update(note="changed")
    with pytest.raises(CustodyChainImmutable):
        CustodyEvent.objects.filter(source=source).delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE sources_custodyevent SET note = 'changed'",
        "DELETE FROM sources_custodyevent",
        "TRUNCATE sources_custodyevent",
    ],
    ids=["update", "delete", "truncate"],
)
def test_custody_table_refuses_raw_changes(user, home, sql):
    source = receive(text_bytes("raw sql"), actor=user, organization=home)
    with transaction.atomic(), connection.cursor() as cursor:
        # The test settings let the test runner truncate; a real session cannot.
        cursor.execute("SET LOCAL registry.custody_truncate_allowed = 'off'")
        # Check the insert's deferred foreign keys now: TRUNCATE refuses pending ones.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(sql)
    (event,) = _custody(source)
    assert event.note == ""


@pytest.mark.postgres
def test_custody_table_refuses_an_update_that_matches_nothing():
    with (
        connection.cursor() as cursor,
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        cursor.execute("UPDATE sources_custodyevent SET note = '' WHERE id < 0")


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_empty_the_custody_table():
    # After this test the runner empties every table with TRUNCATE; the test settings allow it
    # (SOURCES_ALLOW_CUSTODY_TRUNCATE), so on PostgreSQL the teardown must not fail.
    source = receive(text_bytes("truncate"), organization=OrganizationFactory.create())
    assert CustodyEvent.objects.filter(source=source).count() == 1
    assert source.integrity == Integrity.UNVERIFIED


def test_services_never_log_file_names(user, home, caplog):
    caplog.set_level("DEBUG", logger="sources")
    receive(text_bytes("logs"), filename="Synthetic-Family-Name.txt", actor=user, organization=home)
    assert "Synthetic-Family-Name" not in caplog.text
    assert SYNTHETIC_TEXT.splitlines()[0] not in caplog.text


def test_superusers_receive_for_no_organization():
    admin = UserFactory.create(is_superuser=True)
    source = receive(text_bytes("superuser"), actor=admin)
    assert source.organization is None


def test_identical_content_held_out_of_sight_is_refused_and_its_chain_untouched(user, home):
    from sources.exceptions import SourceHeldElsewhere
    from tests.factories.accounts import OrganizationFactory, make_member

    content = text_bytes("held elsewhere")
    first, _created = _receive(content, actor=user, organization=home)
    stranger = make_member("caseworker", OrganizationFactory.create())

    with pytest.raises(SourceHeldElsewhere):
        _receive(content, actor=stranger)

    assert [e.action for e in _custody(first)] == [CustodyAction.RECEIVED]

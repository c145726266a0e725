"""Importing documents from files and folders: each through ``source_receive``, re-running
changes nothing, one file's failure stops no other, and the command reports every file."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Organization, Role
from audit.models import AuditEvent, Channel
from sources.importing import ImportOutcome, ImportReport, import_paths
from sources.models import CustodyAction, CustodyEvent, Source, SourceKind
from tests.factories.accounts import OrganizationFactory, UserFactory
from tests.sources.files import documents

pytestmark = pytest.mark.django_db

UK = (
    "Сьогодні в обласному центрі відбулася зустріч представників громадських організацій, "
    "які допомагають родинам повернути дітей додому. Учасники обговорили, як швидше "
    "обмінюватися інформацією."
)
EN = (
    "Representatives of civil society organisations met in the regional centre to discuss "
    "how families can be helped to bring their children home."
)


@pytest.fixture(autouse=True)
def storage(settings: Any, tmp_path: Path) -> Path:
    """A storage folder of the test's own, so the files it holds can be counted."""
    location = tmp_path / "storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "sources": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


def _stored(storage: Path) -> list[Path]:
    return sorted(p for p in storage.rglob("*") if p.is_file()) if storage.exists() else []


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """One document of every type the import reads."""
    docs = tmp_path / "docs"
    documents.write(docs, "a-note.txt", f"Meeting of organisations\nKyiv, 2 May 2023\n{EN}")
    documents.write(
        docs, "b-report.md", f"# Звіт організації\n\nОпубліковано 15 березня 2024\n{UK}"
    )
    documents.write(
        docs,
        "c-article.html",
        "<html><head><title>Зустріч | Новини</title>"
        '<meta property="article:published_time" content="2024-02-20T09:30:00+02:00">'
        f"</head><body><h1>Зустріч</h1><p>{UK}</p></body></html>",
    )
    documents.write(
        docs,
        "d-review.pdf",
        documents.pdf_bytes([["Annual review", "Published on 3 March 2023", EN]], title="Review"),
    )
    documents.write(
        docs,
        "e-list.docx",
        documents.docx_bytes(
            title="Список заходів",
            paragraphs=(UK,),
            table=(("Область", "Заходи"), ("Херсонська", "4")),
        ),
    )
    return docs


def _by_name(report: ImportReport) -> dict[str, Any]:
    return {item.path.name: item for item in report.files}


# --- import_paths ------------------------------------------------------------------------------


def test_import_paths_imports_every_type_with_its_metadata(folder: Path, storage: Path) -> None:
    report = import_paths([folder])

    assert [item.outcome for item in report.files] == [ImportOutcome.IMPORTED] * 5
    assert report.counts() == {"imported": 5, "already_present": 0, "skipped": 0, "failed": 0}
    assert not report.has_failures
    sources = {s.original_filename: s for s in Source.objects.all()}
    assert set(sources) == {item.path.name for item in report.files}
    expected = {
        "a-note.txt": ("Meeting of organisations", "en", date(2023, 5, 2), "text/plain"),
        "b-report.md": ("Звіт організації", "uk", date(2024, 3, 15), "text/plain"),
        "c-article.html": ("Зустріч | Новини", "uk", date(2024, 2, 20), "text/html"),
        "d-review.pdf": ("Review", "en", date(2023, 3, 3), "application/pdf"),
        "e-list.docx": ("Список заходів", "uk", None, documents.DOCX_TYPE),
    }
    for name, (title, language, published_on, media_type) in expected.items():
        source = sources[name]
        assert (source.title, source.language, source.published_on) == (
            title,
            language,
            published_on,
        ), name
        assert source.media_type == media_type
        assert source.kind == SourceKind.OTHER
        assert source.text_extraction == "done"
        assert source.extracted_text
        assert source.organization is None
        assert _by_name(report)[name].source_id == source.pk
    assert "Херсонська | 4" in sources["e-list.docx"].extracted_text
    assert len(_stored(storage)) == 5
    assert CustodyEvent.objects.filter(action=CustodyAction.RECEIVED).count() == 5


def test_import_paths_rerun_changes_nothing(folder: Path, storage: Path) -> None:
    first = import_paths([folder])
    rows = list(Source.objects.order_by("pk").values())
    custody = CustodyEvent.objects.count()
    audit = AuditEvent.objects.count()
    stored = _stored(storage)

    second = import_paths([folder])

    assert [item.outcome for item in second.files] == [ImportOutcome.ALREADY_PRESENT] * 5
    assert [item.source_id for item in second.files] == [item.source_id for item in first.files]
    assert list(Source.objects.order_by("pk").values()) == rows
    assert CustodyEvent.objects.count() == custody
    assert AuditEvent.objects.count() == audit
    assert _stored(storage) == stored


def test_import_paths_same_content_under_another_name_is_already_present(tmp_path: Path) -> None:
    first = documents.write(tmp_path, "one.txt", f"Statement\n{EN}")
    copy = documents.write(tmp_path, "sub/copy-of-one.txt", f"Statement\n{EN}")

    report = import_paths([first, copy])

    assert [item.outcome for item in report.files] == ["imported", "already_present"]
    assert report.files[1].source_id == report.files[0].source_id
    assert Source.objects.count() == 1


def test_import_paths_walks_folders_sorted_skipping_hidden_files(tmp_path: Path) -> None:
    root = tmp_path / "root"
    documents.write(root, "b.txt", "Second file\n")
    documents.write(root, "a.txt", "First file\n")
    documents.write(root, "z/deeper/c.md", "# Deeper file\n")
    documents.write(root, "y/d.htm", "<html><body><p>HTML file</p></body></html>")
    documents.write(root, ".hidden.txt", "Hidden file\n")
    documents.write(root, ".git/config.txt", "Hidden folder\n")
    documents.write(root, "y/photo.jpg", b"\xff\xd8\xff\xe0" + bytes(64))
    documents.write(root, "y/archive.zip", b"PK\x05\x06" + bytes(18))

    report = import_paths([root])

    assert [(item.path.relative_to(root).as_posix(), item.outcome) for item in report.files] == [
        ("a.txt", "imported"),
        ("b.txt", "imported"),
        ("y/archive.zip", "skipped"),
        ("y/d.htm", "imported"),
        ("y/photo.jpg", "skipped"),
        ("z/deeper/c.md", "imported"),
    ]
    assert {item.reason for item in report.files if item.outcome == "skipped"} == {
        "unsupported extension"
    }
    assert sorted(Source.objects.values_list("title", flat=True)) == [
        "Deeper file",
        "First file",
        "HTML file",
        "Second file",
    ]


def test_import_paths_file_named_twice_is_imported_once(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "docs/a.txt", "Statement\n")

    report = import_paths([tmp_path / "docs", path])

    assert [item.outcome for item in report.files] == ["imported"]


def test_import_paths_missing_path_fails(tmp_path: Path) -> None:
    report = import_paths([tmp_path / "nowhere.pdf"])

    assert [(item.outcome, item.reason) for item in report.files] == [("failed", "not found")]
    assert report.has_failures


def test_import_paths_empty_file_is_skipped(tmp_path: Path) -> None:
    report = import_paths([documents.write(tmp_path, "empty.txt", b"")])

    assert [(item.outcome, item.reason) for item in report.files] == [("skipped", "empty file")]


def test_import_paths_corrupt_pdf_kept_with_extraction_failed(
    tmp_path: Path, storage: Path
) -> None:
    path = documents.write(tmp_path, "broken.pdf", documents.corrupt_pdf_bytes())

    report = import_paths([path])

    (item,) = report.files
    assert item.outcome == "imported"
    assert item.warnings[0].startswith("text extraction failed: not a readable PDF")
    source = Source.objects.get(pk=item.source_id)
    assert source.text_extraction == "failed"
    assert source.text_extraction_error.startswith("not a readable PDF")
    assert source.media_type == "application/pdf"
    assert source.title == "broken"  # no text to take it from: the file's name
    assert len(_stored(storage)) == 1
    assert not report.has_failures


def test_import_paths_unreadable_date_is_empty_with_warning(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "a.txt", f"Statement\nPublished: 45 Smarch 20x4\n{EN}")

    (item,) = import_paths([path]).files

    assert item.outcome == "imported"
    assert Source.objects.get(pk=item.source_id).published_on is None
    assert len(item.warnings) == 1
    assert "could not be read" in item.warnings[0]


def test_import_paths_future_date_is_refused(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "a.txt", f"Statement\nPublished on 5 May 2999\n{EN}")

    (item,) = import_paths([path]).files

    assert Source.objects.get(pk=item.source_id).published_on is None
    assert "in the future" in item.warnings[0]


def test_import_paths_too_large_fails_and_others_go_on(
    tmp_path: Path, settings: Any, storage: Path
) -> None:
    settings.SOURCES_MAX_UPLOAD_BYTES = 100
    big = documents.write(tmp_path, "a-big.txt", "Large statement\n" + "words " * 50)
    small = documents.write(tmp_path, "b-small.txt", "Small statement\n")

    report = import_paths([big, small])

    assert [(item.outcome, item.reason) for item in report.files] == [
        ("failed", "file too large (the limit is 100\xa0bytes)"),
        ("imported", ""),
    ]
    assert list(Source.objects.values_list("title", flat=True)) == ["Small statement"]
    assert len(_stored(storage)) == 1


@pytest.mark.parametrize(
    ("name", "content", "detected"),
    [
        ("archive.docx", b"PK\x05\x06" + bytes(18), "application/zip"),
        ("binary.txt", b"Title\x00\x01\x02 binary", "application/octet-stream"),
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"),
    ],
)
def test_import_paths_type_read_from_content_not_name(
    tmp_path: Path, storage: Path, name: str, content: bytes, detected: str
) -> None:
    path = documents.write(tmp_path, name, content)

    (item,) = import_paths([path]).files

    # A PNG is an accepted type, just not one the import was asked to read as a PDF: it is
    # received as what it is.
    if detected == "image/png":
        assert item.outcome == "imported"
        source = Source.objects.get(pk=item.source_id)
        assert (source.media_type, source.text_extraction) == ("image/png", "none")
        return
    assert (item.outcome, item.reason) == ("failed", f"type not allowed: {detected}")
    assert not Source.objects.exists()
    assert _stored(storage) == []


def test_import_paths_kind_and_organization(tmp_path: Path) -> None:
    organization = OrganizationFactory.create()
    path = documents.write(tmp_path, "a.txt", "UN report\n")

    (item,) = import_paths([path], kind=SourceKind.UN_DOCUMENT, organization=organization).files

    source = Source.objects.get(pk=item.source_id)
    assert (source.kind, source.organization) == (SourceKind.UN_DOCUMENT, organization)


def test_import_paths_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Unknown source kind"):
        import_paths([tmp_path], kind="rumour")


def test_import_paths_actor_without_role_fails_each_file(tmp_path: Path) -> None:
    outsider = UserFactory.create()
    path = documents.write(tmp_path, "a.txt", "Statement\n")

    (item,) = import_paths([path], actor=outsider).files

    assert item.outcome == "failed"
    assert item.reason
    assert not Source.objects.exists()


def test_import_paths_actor_member_receives_for_their_organization(
    tmp_path: Path, user: Any, home: Organization
) -> None:
    path = documents.write(tmp_path, "a.txt", "Statement\n")

    (item,) = import_paths([path], actor=user).files

    source = Source.objects.get(pk=item.source_id)
    assert (source.created_by, source.organization) == (user, home)
    assert user.memberships.get().role == Role.SUPERVISOR


# --- the command -------------------------------------------------------------------------------


def _command(*args: str) -> tuple[str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_sources", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_import_sources_command_reports_every_file(folder: Path) -> None:
    documents.write(folder, "f-sheet.csv", "a,b\n")

    output, error = _command(str(folder))

    assert error is None  # a skipped file is no failure: exit status 0
    lines = output.splitlines()
    assert lines[0].split() == ["Outcome", "Source", "File", "Reason", "and", "warnings"]
    assert len(lines) == 1 + 6 + 1
    imported = [line for line in lines if line.startswith("imported")]
    assert len(imported) == 5
    assert any("d-review.pdf" in line for line in imported)
    (skipped,) = [line for line in lines if line.startswith("skipped")]
    assert "f-sheet.csv" in skipped
    assert skipped.endswith("unsupported extension")
    assert lines[-1] == "Total: 5 imported, 0 already present, 1 skipped, 0 failed (6 files)."
    events = AuditEvent.objects.filter(object_type="sources.source")
    assert events.exists()
    assert set(events.values_list("channel", flat=True)) == {Channel.COMMAND}


def test_import_sources_command_rerun_reports_already_present(folder: Path) -> None:
    _command(str(folder))
    count = Source.objects.count()

    output, error = _command(str(folder))

    assert error is None
    assert Source.objects.count() == count
    assert output.splitlines()[-1] == (
        "Total: 0 imported, 5 already present, 0 skipped, 0 failed (5 files)."
    )


def test_import_sources_command_exit_status_1_when_a_file_failed(tmp_path: Path) -> None:
    good = documents.write(tmp_path, "good.txt", "Statement\n")
    bad = documents.write(tmp_path, "bad.docx", b"PK\x05\x06" + bytes(18))

    output, error = _command(str(good), str(bad))

    assert error is not None
    assert error.returncode == 1
    assert "1 file(s) failed" in str(error)
    assert "type not allowed: application/zip" in output
    assert Source.objects.count() == 1


def test_import_sources_command_kind_and_organization_by_name(tmp_path: Path) -> None:
    organization = OrganizationFactory.create(name="Synthetic monitoring group")
    path = documents.write(tmp_path, "a.txt", "Statement\n")

    _output, error = _command(
        str(path), "--kind", "news_article", "--organization", "Synthetic monitoring group"
    )

    assert error is None
    source = Source.objects.get()
    assert (source.kind, source.organization) == ("news_article", organization)
    event = AuditEvent.objects.get(object_type="sources.source", action="create")
    assert event.organization_id == organization.pk


def test_import_sources_command_unknown_organization(tmp_path: Path) -> None:
    _output, error = _command(str(tmp_path), "--organization", "No such group")

    assert error is not None
    assert "No such group" in str(error)
    assert not Source.objects.exists()


def test_import_sources_command_quiet_prints_nothing(tmp_path: Path) -> None:
    path = documents.write(tmp_path, "a.txt", "Statement\n")

    output, error = _command(str(path), "--verbosity", "0")

    assert (output, error) == ("", None)
    assert Source.objects.count() == 1

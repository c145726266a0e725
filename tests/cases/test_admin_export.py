"""Export of the case list to CSV and XLSX: the list's filters and search, only what the user may
see, one audit event without personal data, formula-safe cells, streamed with flat memory."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tracemalloc
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from cases import exports, services
from cases.models import Case
from demo.synthetic import synthetic_cases_generate
from tests.cases.admin_pages import changelist_url
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://example.invalid","x")'


def export_url(file_format: str) -> str:
    return reverse("admin:cases_case_export", args=[file_format])


@pytest.fixture
def caseworker(home: Any) -> Any:
    return make_member("caseworker", home, first_name="+Синтетична", last_name="Працівниця")


@pytest.fixture
def listing(home: Any, caseworker: Any) -> dict[str, Case]:
    """Two cases of the home organization, one of a partner (whose name a spreadsheet would
    run as a formula) shared with it, and one of the partner not shared."""
    partner = OrganizationFactory.create(name=HOSTILE, short_name="SPN")
    mine = make_case(
        child={
            "family_name": "Шевчук",
            "given_name": "Олександр",
            "patronymic": "Петрович",
            "date_of_birth": dt.date(2012, 5, 17),
            "date_of_birth_precision": "month",
        },
        assignee=caseworker,
    )
    other = move_case(
        make_case(child={"family_name": "Коваль", "given_name": "Олена", "patronymic": ""}),
        "verifying",
    )
    shared = make_case(
        organization=partner,
        child={
            "family_name": "Синтетична",
            "given_name": "Марія",
            "patronymic": "",
            "date_of_birth": dt.date(2013, 3, 9),
            "date_of_birth_precision": "exact",
        },
    )
    services.case_share_create(
        case=shared,
        actor=make_member("supervisor", partner),
        organization=home,
        scope="limited",
        reason="Synthetic: the family lives in the home organization's area.",
        consent_reference="SYNTHETIC-CONSENT-2",
    )
    hidden = make_case(
        organization=partner,
        child={"family_name": "Мельник", "given_name": "Тарас", "patronymic": ""},
    )
    return {"mine": mine, "other": other, "shared": shared, "hidden": hidden}


def _body(response: Any) -> bytes:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content)


def _csv_rows(response: Any) -> list[list[str]]:
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs read it as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(_body(response))).worksheets[0]
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    return list(sheet.iter_rows(values_only=True))


def test_export_csv_writes_the_visible_cases_with_every_column(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    client.force_login(caseworker)
    response = client.get(export_url("csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    header, *rows = _csv_rows(response)
    assert header[:3] == ["Case number", "Status", "Phase"]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_number) == {listing[k].number for k in ("mine", "other", "shared")}
    mine = by_number[listing["mine"].number]
    assert mine["Status"] == "Reported"
    assert mine["Phase"] == "Repatriation"
    assert (mine["Family name"], mine["Given name"], mine["Patronymic"]) == (
        "Шевчук",
        "Олександр",
        "Петрович",
    )
    assert (mine["Family name (Latin)"], mine["Given name (Latin)"]) == ("Shevchuk", "Oleksandr")
    assert mine["Date of birth"] == "2012-05"  # no more precise than it is known
    assert mine["Precision of the date of birth"] == "Month and year known"
    assert mine["Deported on"] == "2022-06-01"
    assert by_number[listing["other"].number]["Status"] == "Verifying"
    # Seen through a limited share: the birth year only, as the case page shows it.
    shared = by_number[listing["shared"].number]
    assert shared["Date of birth"] == "2013"
    assert shared["Precision of the date of birth"] == ""


def test_export_never_holds_another_organizations_unshared_case(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    client.force_login(caseworker)
    for file_format in ("csv", "xlsx"):
        body = _body(client.get(export_url(file_format)))
        assert listing["hidden"].number.encode() not in body
    assert "Мельник" not in _body(client.get(export_url("csv"))).decode()


def test_export_follows_the_lists_filters_and_search(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    client.force_login(caseworker)

    def numbers(**params: str) -> set[str]:
        return {row[0] for row in _csv_rows(client.get(export_url("csv"), params))[1:]}

    assert numbers(status__exact="verifying") == {listing["other"].number}
    assert numbers(assigned="me") == {listing["mine"].number}
    assert numbers(held_by="shared") == {listing["shared"].number}
    assert numbers(q="Александр") == {listing["mine"].number}
    assert numbers(q="Мельник") == set()


def test_export_xlsx_keeps_texts_as_texts_and_dates_as_dates(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    client.force_login(caseworker)
    response = client.get(export_url("xlsx"), {"q": "Шевчук"})

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, row = _xlsx_rows(response)
    values = dict(zip(header, row, strict=True))
    assert values["Case number"] == listing["mine"].number
    # A spreadsheet's date is a moment without a zone: openpyxl reads it back as one.
    assert values["Deported on"].date() == dt.date(2022, 6, 1)
    assert isinstance(values["Created"], dt.datetime)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_is_formula_safe(
    client: Any, caseworker: Any, listing: dict[str, Case], file_format: str
) -> None:
    client.force_login(caseworker)
    response = client.get(export_url(file_format))

    rows = _csv_rows(response) if file_format == "csv" else _xlsx_rows(response)
    header = list(rows[0])
    organizations = {row[header.index("Organization")] for row in rows[1:]}
    assignees = {row[header.index("Assignee")] for row in rows[1:]}
    assert "'" + HOSTILE in organizations
    assert HOSTILE not in organizations
    assert "'+Синтетична Працівниця" in assignees


def test_export_is_audited_once_without_personal_data(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    client.force_login(caseworker)
    before = AuditEvent.objects.count()

    _body(client.get(export_url("xlsx"), {"q": "Шевчук Олександр", "held_by": "mine"}))

    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.object_type) for e in events] == [("export", "cases.case")]
    metadata = events[0].metadata
    assert metadata["format"] == "xlsx"
    assert metadata["count"] == 1
    assert metadata["query"] == {"held_by": ["mine"]}
    assert metadata["search"]["kind"] == "name"
    assert events[0].actor_id == caseworker.pk
    recorded = json.dumps(metadata, ensure_ascii=False)
    for personal in ("Шевчук", "Олександр", "Shevchuk", listing["mine"].number):
        assert personal not in recorded


def test_export_refuses_what_the_list_refuses(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    client.force_login(caseworker)
    before = AuditEvent.objects.filter(action="export").count()

    refused = client.get(export_url("csv"), {"held_by": "everyone"})
    assert refused.status_code == 302
    assert refused["Location"] == changelist_url() + "?e=1"
    assert client.get(export_url("pdf")).status_code == 404
    assert AuditEvent.objects.filter(action="export").count() == before


def test_export_is_not_for_those_who_read_no_cases(client: Any, listing: dict[str, Case]) -> None:
    client.force_login(make_member("coordinator"))

    assert client.get(export_url("csv")).status_code == 403


def test_case_list_offers_the_export_of_what_it_shows(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    client.force_login(caseworker)
    page = client.get(changelist_url(), {"assigned": "me", "q": "Шевчук"}).content.decode()

    assert f'href="{export_url("csv")}?assigned=me&amp;q=%D0%A8' in page
    assert f'href="{export_url("xlsx")}?assigned=me&amp;q=%D0%A8' in page


@pytest.mark.parametrize(
    ("precision", "known"),
    [("exact", "2012-05-17"), ("month", "2012-05"), ("year", "2012"), ("estimated", "2012")],
)
def test_birth_date_as_known(precision: str, known: str) -> None:
    assert exports.birth_date_as_known(dt.date(2012, 5, 17), precision) == known
    assert exports.birth_date_as_known(None, precision) == ""


def _export_peak(client: Any, file_format: str, **params: str) -> tuple[int, int]:
    """Rows exported and the peak of memory allocated while the export is made and read."""
    tracemalloc.start()
    try:
        response = client.get(export_url(file_format), params)
        size = 0
        for block in response.streaming_content:
            size += len(block)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    assert size > 0
    return AuditEvent.objects.filter(action="export").latest("pk").metadata["count"], peak


@pytest.mark.postgres
def test_large_export_keeps_memory_flat(admin_client: Any, home: Any) -> None:
    """5,000 cases: the export reads them a chunk at a time and writes them as they come, so
    its peak memory is a fraction of what the rows take when held all at once."""
    synthetic_cases_generate(
        count=5000, seed=11, progress=False, writers=1, organization_ids=[home.pk]
    )
    cases = Case.objects.all()

    tracemalloc.start()
    try:
        held = list(exports.case_export_rows(cases.order_by("pk")))
        _current, all_at_once = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(held) == 5000
    del held

    for file_format in ("csv", "xlsx"):
        # Warmed up first: a process's first export fills caches it keeps (templates, URL
        # resolvers, translations), which are not the export's memory.
        _export_peak(admin_client, file_format, q="UA-1999")
        count, peak = _export_peak(admin_client, file_format)
        assert count == 5000
        assert peak < all_at_once / 2, (file_format, peak, all_at_once)


@pytest.mark.postgres
def test_export_streams_through_a_cursor_inside_a_transaction(
    home: Any, listing: dict[str, Case]
) -> None:
    """On PostgreSQL the rows are read inside a transaction: Django's cursor outside one is
    declared ``WITH HOLD``, which makes the server compute the whole result before the first
    row (a million cases: most of a minute before the download starts)."""
    from django.db import connection

    cases = Case.objects.filter(organization=home).order_by("pk")
    rows = exports.case_export_rows(cases)
    depth = connection.savepoint_ids.copy(), connection.in_atomic_block
    first = next(rows)
    inside = connection.in_atomic_block, len(connection.savepoint_ids)
    rest = list(rows)

    assert first[0] == min(cases, key=lambda c: c.pk).number
    assert len(rest) == cases.count() - 1
    # One level deeper while the rows are read (a transaction, or a savepoint in a test's),
    # and back where it was once they are all out.
    assert inside[0]
    assert inside[1] == len(depth[0]) + (1 if depth[1] else 0)
    assert (connection.savepoint_ids, connection.in_atomic_block) == depth


def test_an_xlsx_past_a_sheets_rows_is_refused_before_anything_is_written(
    client: Any, caseworker: Any, listing: dict[str, Case], monkeypatch: Any
) -> None:
    from cases import admin_export

    client.force_login(caseworker)
    mine = {"held_by": "mine"}
    rows = len(_csv_rows(client.get(export_url("csv"), mine))) - 1
    before = AuditEvent.objects.filter(action="export").count()
    monkeypatch.setattr(admin_export, "XLSX_MAX_ROWS", rows)  # the header takes one row

    refused = client.get(export_url("xlsx"), mine)
    assert refused.status_code == 302
    assert refused["Location"] == changelist_url() + "?held_by=mine"
    messages = [str(m) for m in refused.wsgi_request._messages]
    assert any("export it as CSV" in message for message in messages)
    assert AuditEvent.objects.filter(action="export").count() == before  # nothing exported
    # One row more fits them; CSV has no such limit.
    assert len(_csv_rows(client.get(export_url("csv"), mine))) == rows + 1
    monkeypatch.setattr(admin_export, "XLSX_MAX_ROWS", rows + 1)
    assert len(_xlsx_rows(client.get(export_url("xlsx"), mine))) == rows + 1
    assert AuditEvent.objects.filter(action="export").count() == before + 2


@pytest.mark.parametrize("large", [False, True])
def test_an_xlsx_is_zip64_only_when_it_may_be_large(large: bool) -> None:
    import struct
    import zipfile

    from core.spreadsheets import xlsx_stream

    rows: list[list[Any]] = [[1], [2.5], [float("nan")]]
    content = b"".join(xlsx_stream(["n"], iter(rows), title="a/b:c" * 20, large=large))
    sheet = zipfile.ZipFile(io.BytesIO(content)).getinfo("xl/worksheets/sheet1.xml")
    # The member's own header: its extra fields begin with ZIP64's (id 1) when it is large.
    start = sheet.header_offset
    name_length, extra_length = struct.unpack("<HH", content[start + 26 : start + 30])
    extra = content[start + 30 + name_length : start + 30 + name_length + extra_length]
    assert (extra[:2] == b"\x01\x00") is large
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["abcabcabcabcabcabcabcabcabcabca"]
    assert [row[0] for row in book.worksheets[0].iter_rows(values_only=True)] == [
        "n",
        1,
        2.5,
        "nan",
    ]

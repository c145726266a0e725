"""Every CSV and XLSX the project writes is formula-safe (``core.spreadsheets``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from openpyxl import load_workbook

from core import spreadsheets
from core.spreadsheets import csv_stream, csv_text, formula_safe, xlsx_bytes, xlsx_stream

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_safe_prefixes_texts_a_spreadsheet_would_run(value: str) -> None:
    assert formula_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Коваленко", "O'Neil", 5, -5, 1.5, None, ""])
def test_formula_safe_leaves_other_values(value: object) -> None:
    assert formula_safe(value) == value


def test_csv_text_neutralises_header_and_cells_and_writes_none_as_empty() -> None:
    text = csv_text(["=name", "count"], [[HOSTILE[0], 3], [None, -1]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'=name", "count"], ["'" + HOSTILE[0], "3"], ["", "-1"]]
    assert text.endswith("\r\n")


def test_xlsx_bytes_keeps_numbers_and_neutralises_texts() -> None:
    content = xlsx_bytes(["name", "count"], [[value, 7] for value in HOSTILE], title="t")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "t"
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in cells] == ["'" + value for value in HOSTILE]
    assert all(row[1] == 7 for row in cells)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_no_module_of_the_project_writes_csv_or_xlsx_but_through_core_spreadsheets() -> None:
    """The rule holds for code written later too: a writer anywhere else fails here."""
    writers = ("csv.writer(", "csv.DictWriter(", "Workbook(")
    root = Path(settings.BASE_DIR)
    offenders = []
    for package in (
        "accounts",
        "audit",
        "cases",
        "coalition",
        "config",
        "core",
        "demo",
        "idempotency",
        "imports",
        "reports",
        "sources",
    ):
        for path in (root / package).rglob("*.py"):
            if path.relative_to(root).as_posix() == "core/spreadsheets.py":
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [f"{path.relative_to(root)}: {w}" for w in writers if w in text]
    assert not offenders, offenders


def test_csv_stream_writes_rows_in_chunks_formula_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheets, "CSV_ROWS_PER_CHUNK", 2)
    moment = dt.datetime(2026, 5, 17, 9, 30, 12, tzinfo=dt.UTC)
    rows: list[list[Any]] = [
        [HOSTILE[0], 1, dt.date(2012, 5, 17)],
        [None, -1, moment],
        ["Коваль", 2, None],
    ]

    chunks = list(csv_stream(["=name", "n", "when"], iter(rows)))

    assert len(chunks) == 2  # the header and two rows, then the last row
    text = "".join(chunks)
    assert text.startswith(spreadsheets.UTF8_BOM)
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["'=name", "n", "when"],
        ["'" + HOSTILE[0], "1", "2012-05-17"],
        ["", "-1", "2026-05-17 09:30+00:00"],
        ["Коваль", "2", ""],
    ]


def test_csv_stream_reads_rows_only_as_it_writes_them() -> None:
    read: list[int] = []

    def rows() -> Iterator[list[int]]:
        for index in range(3 * spreadsheets.CSV_ROWS_PER_CHUNK):
            read.append(index)
            yield [index]

    stream = csv_stream(["n"], rows(), bom=False)
    first = next(stream)

    assert len(read) == spreadsheets.CSV_ROWS_PER_CHUNK
    assert first.startswith("n\r\n0\r\n")


def test_xlsx_stream_matches_xlsx_bytes_and_drops_time_zones() -> None:
    moment = dt.datetime(2026, 5, 17, 9, 30, tzinfo=dt.UTC)
    rows = [[value, 7, moment] for value in HOSTILE]

    content = b"".join(xlsx_stream(["name", "count", "at"], iter(rows), title="t"))

    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in cells] == ["'" + value for value in HOSTILE]
    assert all(row[1] == 7 for row in cells)
    assert all(row[2] == dt.datetime(2026, 5, 17, 9, 30) for row in cells)  # noqa: DTZ001
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_stream_writes_every_kind_of_cell_as_a_spreadsheet_reads_it() -> None:
    """Texts (with characters XML cannot hold dropped, line breaks kept), numbers, booleans,
    dates and moments, empty cells, and more than 26 columns (AA, AB, ...)."""
    day = dt.date(2014, 2, 3)
    moment = dt.datetime(2026, 5, 17, 9, 30, 15)  # noqa: DTZ001
    header = [f"c{i}" for i in range(30)]
    row: list[object] = [
        "Шевчук & <Ко>",
        "a\x01b\x0bc",
        "line\nbreak\r\n",
        7,
        2.5,
        True,
        day,
        moment,
        None,
        "",
    ] + [f"x{i}" for i in range(20)]

    content = b"".join(xlsx_stream(header, iter([row]), title="Справи"))

    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert sheet.title == "Справи"
    values = next(iter(sheet.iter_rows(min_row=2, values_only=True)))
    assert values[:6] == ("Шевчук & <Ко>", "abc", "line\nbreak\r\n", 7, 2.5, True)
    assert values[6] == dt.datetime(2014, 2, 3)  # noqa: DTZ001 - a date cell reads as a moment
    assert values[7] == moment
    assert values[8] is None
    assert values[9] is None
    assert values[29] == "x19"
    assert sheet["AD2"].value == "x19"
    assert sheet["G2"].is_date
    assert sheet["H2"].is_date


def test_xlsx_stream_sends_the_workbook_while_the_rows_are_read() -> None:
    total = 5 * spreadsheets.XLSX_ROWS_PER_WRITE
    read = 0

    def rows() -> Iterator[list[Any]]:
        nonlocal read
        for number in range(total):
            read += 1
            yield [f"Тестова {number}", number]

    stream = xlsx_stream(["name", "number"], rows(), title="Справи")
    first = next(stream)
    assert first.startswith(b"PK")  # a package begins
    assert read < total  # before every row was read
    content = first + b"".join(stream)
    assert read == total
    import zipfile

    assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "Справи"
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == total
    assert values[-1] == (f"Тестова {total - 1}", total - 1)

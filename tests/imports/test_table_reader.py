"""Reading uploaded tables (``imports.tabular``): formats, encodings, headers in English and
Ukrainian, and every refusal naming where, never what a cell holds. All data is synthetic."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings

from core.spreadsheets import xlsx_bytes
from imports.models import FileFormat
from imports.tabular import Column, TableError, normalize_header, read_table

COLUMNS = [
    Column("ref", ("reference", "посилання"), required=True),
    Column("given_name", ("given name", "ім'я"), required=True),
    Column("date_of_birth", ("date of birth", "дата народження")),
]


def _error(content: bytes) -> TableError:
    with pytest.raises(TableError) as raised:
        read_table(content, COLUMNS)
    return raised.value


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Given Name", "given_name"),
        ("\ufeffREF", "ref"),
        ("  date-of  birth ", "date_of_birth"),
        ("Дата народження", "дата_народження"),
    ],
)
def test_normalize_header(header: str, expected: str) -> None:
    assert normalize_header(header) == expected


def test_reads_utf8_with_bom_semicolons_and_ukrainian_headers() -> None:
    content = "\ufeffПосилання;Ім'я;Дата народження\nA-1;Олексій;2012-03-04\n".encode()
    table = read_table(content, COLUMNS)
    assert table.file_format == FileFormat.CSV
    assert table.columns == ["ref", "given_name", "date_of_birth"]
    assert table.rows == [
        (2, {"ref": "A-1", "given_name": "Олексій", "date_of_birth": "2012-03-04"})
    ]


def test_reads_windows_1251() -> None:
    content = "ref,given_name\nA-1,Наталія\n".encode("cp1251")
    assert read_table(content, COLUMNS).rows == [(2, {"ref": "A-1", "given_name": "Наталія"})]


def test_reads_tabs_and_keeps_row_numbers_past_empty_rows() -> None:
    content = b"ref\tgiven_name\nA-1\tIvan\n\n\t\nA-2\tPetro\n"
    table = read_table(content, COLUMNS)
    assert [number for number, _ in table.rows] == [2, 5]


def test_quoted_cells_keep_their_separators_and_line_breaks() -> None:
    content = b'ref,given_name\n"A,1","Olena\nMaria"\n'
    assert read_table(content, COLUMNS).rows == [(2, {"ref": "A,1", "given_name": "Olena\nMaria"})]


def test_reads_xlsx_first_sheet_with_dates_and_numbers() -> None:
    import datetime as dt

    born = dt.datetime(2013, 5, 6)  # noqa: DTZ001 (a spreadsheet's date has no time zone)
    content = xlsx_bytes(
        ["Reference", "Given name", "Date of birth"],
        [[101, "Оля", born]],
        title="cases",
    )
    table = read_table(content, COLUMNS)
    assert table.file_format == FileFormat.XLSX
    assert table.rows == [(2, {"ref": "101", "given_name": "Оля", "date_of_birth": "2013-05-06"})]


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_file_is_refused(content: bytes) -> None:
    assert _error(content).code == "empty_file"


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n\x00\x00\x01binary",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xd0\xcf\x11\xe0\x00",
    ],
)
def test_binary_file_is_refused(content: bytes) -> None:
    assert _error(content).code == "unsupported_format"


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert _error(out.getvalue()).code == "unsupported_format"


def test_zip_bomb_is_refused_unread() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/big.xml", b"0" * (3 * 1024 * 1024))
    with override_settings(IMPORT_MAX_XLSX_UNPACKED_BYTES=1024 * 1024):
        assert _error(out.getvalue()).code == "file_too_large"


def test_missing_required_column_is_named() -> None:
    error = _error(b"ref,date_of_birth\nA-1,2012\n")
    assert (error.code, error.row, error.column) == ("missing_columns", 1, "given_name")
    assert "given_name" in error.message


def test_unknown_column_is_named_by_position_without_its_text() -> None:
    error = _error("Коваленко Олексій,ref,given_name\n".encode())
    assert (error.code, error.row, error.column) == ("unknown_column", 1, "#1")
    assert "Коваленко" not in error.message


def test_column_named_twice_is_refused() -> None:
    assert _error(b"ref,given_name,reference\n").code == "duplicate_column"


def test_value_outside_the_header_is_refused() -> None:
    error = _error(b"ref,given_name\nA-1,Ivan,extra\n")
    assert (error.code, error.row) == ("cell_outside_columns", 2)


def test_too_long_cell_names_row_and_column_not_content() -> None:
    secret = "Ш" * 3000
    error = _error(f"ref,given_name\nA-1,Ivan\nA-2,{secret}\n".encode())
    assert (error.code, error.row, error.column) == ("cell_too_long", 3, "given_name")
    assert secret[:10] not in error.message


def test_megabyte_cell_is_refused() -> None:
    cell = "x" * (1024 * 1024)
    error = _error(f"ref,given_name\nA-1,{cell}\n".encode())
    assert (error.code, error.row, error.column) == ("cell_too_long", 2, "given_name")


def test_file_over_the_size_limit_is_refused_before_reading() -> None:
    with override_settings(IMPORT_MAX_FILE_BYTES=1000):
        error = _error(b"ref,given_name\n" + b"A-1,Ivan\n" * 200)
    assert error.code == "file_too_large"


def test_too_many_rows_is_refused() -> None:
    with override_settings(IMPORT_MAX_ROWS=3):
        error = _error(b"ref,given_name\n" + b"A,B\n" * 4)
    assert (error.code, error.row) == ("too_many_rows", 5)


def test_too_many_columns_is_refused() -> None:
    with override_settings(IMPORT_MAX_COLUMNS=2):
        assert _error(b"ref,given_name,date_of_birth\n").code == "too_many_columns"


def test_unbalanced_quote_is_a_clear_error_not_a_crash() -> None:
    # An unclosed quote runs to the end of the file; the cell is then too long or read as is.
    content = b'ref,given_name\nA-1,"Ivan\n' + b"x" * 5000
    with pytest.raises(TableError):
        read_table(content, COLUMNS)

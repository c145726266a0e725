"""Reading a table someone uploaded: CSV (UTF-8 with or without a byte-order mark, or
Windows-1251, with ``,``, ``;`` or tab between cells) or XLSX (its first sheet).

The reader knows nothing of cases: the caller names its columns, each with the headers that
mean it (English and Ukrainian), and which are required. Every problem is a ``TableError``
naming the row (as the spreadsheet numbers it: the header is row 1) and the column, never a
cell's content (cells hold children's names).

Limits keep a hostile or mistaken upload from costing the server: the file's size, the
uncompressed size of an XLSX, the number of rows and columns, and the length of a cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from .models import FileFormat

# Defaults, each overridable in settings (``IMPORT_MAX_FILE_BYTES`` and so on).
MAX_FILE_BYTES: Final = 20 * 1024 * 1024
MAX_ROWS: Final = 100_000
MAX_COLUMNS: Final = 100
MAX_CELL_CHARS: Final = 2_000
# An XLSX is a zip: its parts may not unpack to more than this (a zip bomb is refused unread).
MAX_XLSX_UNPACKED_BYTES: Final = 200 * 1024 * 1024

_XLSX_MAGIC: Final = b"PK\x03\x04"
_DELIMITERS: Final = ",;\t"


def limit(name: str) -> int:
    """A reading limit: ``settings.IMPORT_<NAME>`` or its default here."""
    value = getattr(settings, f"IMPORT_{name}", None)
    return int(value) if value is not None else int(globals()[name])


class TableError(Exception):
    """A table that cannot be read as asked: a code, a message for people, and where."""

    def __init__(
        self, code: str, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.row = row
        self.column = column

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "row": self.row, "column": self.column}


@dataclass(frozen=True)
class Column:
    """A column the caller reads: its name, the headers that mean it, and whether a table
    without it is refused."""

    name: str
    headers: Sequence[str]
    required: bool = False


@dataclass
class Table:
    """A table as read: its format, the columns found (by name, in the file's order) and its
    rows, each ``(row number, {column name: text})`` with empty cells as ``""``."""

    file_format: FileFormat
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def normalize_header(value: str) -> str:
    """A header as compared: without a byte-order mark, case, surrounding spaces, and with
    runs of spaces, hyphens and underscores as one underscore."""
    text = value.replace("\ufeff", "").strip().lower()
    for separator in (" ", "-", "\u00a0"):
        text = text.replace(separator, "_")
    while "__" in text:
        text = text.replace("__", "_")
    return text.strip("_")


def detect_format(content: bytes) -> FileFormat:
    """CSV or XLSX, from the content (an XLSX is a zip holding a workbook); anything else,
    such as a PDF, an image or a legacy XLS, is refused."""
    if not content.strip():
        raise TableError("empty_file", _("The file is empty."))
    if content.startswith(_XLSX_MAGIC):
        return FileFormat.XLSX
    if b"\x00" in content[:8192]:
        raise TableError(
            "unsupported_format",
            _(
                "The file is neither CSV nor XLSX. Save it as CSV (UTF-8) or XLSX and upload it "
                "again."
            ),
        )
    return FileFormat.CSV


def decode_text(content: bytes) -> str:
    """The text of a CSV: UTF-8 (a byte-order mark is dropped) or, failing that,
    Windows-1251 (Cyrillic spreadsheets saved by older Excel)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = content.decode("cp1251")
    except UnicodeDecodeError:
        raise TableError(
            "unsupported_encoding",
            _("The file is neither UTF-8 nor Windows-1251 text. Save it as CSV (UTF-8)."),
        ) from None
    return text


def _sniff_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_records(content: bytes) -> Iterator[list[str]]:
    text = decode_text(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    # The file's own limit bounds a cell: a cell over ``MAX_CELL_CHARS`` is then refused by
    # ``read_table``, naming its row and column (the csv module's error names neither).
    csv.field_size_limit(max(limit("MAX_FILE_BYTES"), 131072))
    try:
        yield from reader
    except csv.Error as error:
        raise TableError(
            "malformed_csv",
            _("The CSV cannot be read at row %(row)s: %(reason)s")
            % {"row": reader.line_num, "reason": error},
            row=reader.line_num,
        ) from None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# What openpyxl raises on a workbook whose XML or cells are not what they claim: ``ParseError``
# is a ``SyntaxError``; a bad number, date or reference a ``ValueError``; a missing shared string
# an ``IndexError``; a missing part a ``KeyError``.
_UNREADABLE_SHEET: Final = (
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    OverflowError,
    SyntaxError,
    OSError,
    zipfile.BadZipFile,
)


def _xlsx_records(content: bytes) -> Iterator[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise TableError(
            "unsupported_format", _("The file looks like XLSX but cannot be opened.")
        ) from None
    if unpacked > limit("MAX_XLSX_UNPACKED_BYTES"):
        raise TableError("file_too_large", _("The workbook unpacks to more than the limit."))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, *_UNREADABLE_SHEET):
        raise TableError(
            "unsupported_format", _("The file looks like XLSX but cannot be opened.")
        ) from None
    read = 0
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise TableError("empty_file", _("The workbook has no sheet."))
        for values in sheet.iter_rows(values_only=True):
            read += 1
            yield [_cell_text(value) for value in values]
    except _UNREADABLE_SHEET:
        # openpyxl parses the sheet as the rows are read: a cell that is not what its type
        # says (letters in a number, a shared string that does not exist, a broken reference)
        # or malformed XML surfaces here, after the workbook opened.
        raise TableError(
            "unsupported_format",
            _("Row %(row)s of the workbook cannot be read: save it again as XLSX.")
            % {"row": read + 1},
            row=read + 1,
        ) from None
    finally:
        workbook.close()


def read_table(content: bytes, columns: Sequence[Column]) -> Table:
    """Read ``content`` into a ``Table`` of the named ``columns``.

    Refused (``TableError``), with nothing else read: a file over the size limit, one that is
    empty or neither CSV nor XLSX, a header row missing a required column, naming a column
    twice or naming one the caller does not read, too many rows or columns, a cell too long.
    Empty rows are skipped; rows keep the spreadsheet's numbers.
    """
    if len(content) > limit("MAX_FILE_BYTES"):
        raise TableError(
            "file_too_large",
            _("The file is %(size)s bytes; at most %(limit)s are accepted.")
            % {"size": len(content), "limit": limit("MAX_FILE_BYTES")},
        )
    file_format = detect_format(content)
    records = _xlsx_records(content) if file_format == FileFormat.XLSX else _csv_records(content)
    header_row = next((r for r in records if any(c.strip() for c in r)), None)
    if header_row is None:
        raise TableError("empty_file", _("The file has no header row."))
    names = _header_names(header_row, columns)
    table = Table(file_format=file_format, columns=[n for n in names if n])
    max_rows, max_cell = limit("MAX_ROWS"), limit("MAX_CELL_CHARS")
    header_number = 1
    for number, record in enumerate(records, start=header_number + 1):
        if not any(cell.strip() for cell in record):
            continue
        if len(table.rows) >= max_rows:
            raise TableError(
                "too_many_rows",
                _("The file has more than %(limit)s rows.") % {"limit": max_rows},
                row=number,
            )
        values: dict[str, str] = {}
        for index, cell in enumerate(record):
            name = names[index] if index < len(names) else None
            if name is None:
                if cell.strip():
                    raise TableError(
                        "cell_outside_columns",
                        _("Row %(row)s has a value in column %(index)s, which has no header.")
                        % {"row": number, "index": index + 1},
                        row=number,
                    )
                continue
            if len(cell) > max_cell:
                raise TableError(
                    "cell_too_long",
                    _(
                        "Row %(row)s, column %(column)s: the cell has %(length)s characters; at "
                        "most %(limit)s are accepted."
                    )
                    % {"row": number, "column": name, "length": len(cell), "limit": max_cell},
                    row=number,
                    column=name,
                )
            values[name] = cell.strip()
        table.rows.append((number, values))
    return table


def _header_names(header_row: list[str], columns: Sequence[Column]) -> list[str | None]:
    """The column name of each header cell (``None`` for an empty trailing one)."""
    if len(header_row) > limit("MAX_COLUMNS"):
        raise TableError(
            "too_many_columns",
            _("The header has %(count)s columns; at most %(limit)s are accepted.")
            % {"count": len(header_row), "limit": limit("MAX_COLUMNS")},
            row=1,
        )
    by_header: Mapping[str, str] = {
        normalize_header(header): column.name for column in columns for header in column.headers
    } | {normalize_header(column.name): column.name for column in columns}
    names: list[str | None] = []
    for index, header in enumerate(header_row):
        key = normalize_header(header)
        if not key:
            names.append(None)
            continue
        name = by_header.get(key)
        if name is None:
            # The header's text is not repeated: a file without a header row has a child's
            # name there.
            raise TableError(
                "unknown_column",
                _(
                    "The header of column %(index)s is not one this import reads; it reads: "
                    "%(columns)s."
                )
                % {"index": index + 1, "columns": ", ".join(c.name for c in columns)},
                row=1,
                column=f"#{index + 1}",
            )
        if name in names:
            raise TableError(
                "duplicate_column",
                _("Column %(column)s is named twice in the header.") % {"column": name},
                row=1,
                column=name,
            )
        names.append(name)
    missing = [c.name for c in columns if c.required and c.name not in names]
    if missing:
        raise TableError(
            "missing_columns",
            _("The header lacks the required columns: %(columns)s.")
            % {"columns": ", ".join(missing)},
            row=1,
            column=missing[0],
        )
    return names

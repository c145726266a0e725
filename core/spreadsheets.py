"""Writing tables for people to open in a spreadsheet: CSV and XLSX, formula-safe.

Every CSV and XLSX the project writes goes through here. A text cell that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: names
and notes are typed by people, and lists come from outside) is written with a leading
apostrophe, so it is shown as text. Numbers stay numbers.

Long tables are written as a stream (``csv_stream``, ``xlsx_stream``): rows are consumed as they
come, so a caller that reads them from the database in chunks keeps memory flat however many
there are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def formula_safe(value: Any) -> Any:
    """``value`` as a cell: a text a spreadsheet would read as a formula gets a leading
    apostrophe; numbers, ``None`` and other texts are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """A row's cells made formula-safe."""
    return [formula_safe(cell) for cell in row]


def csv_text(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV document (RFC 4180 line ends) of ``header`` and ``rows``; ``None`` is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in safe_row(row)])
    return out.getvalue()


def xlsx_bytes(header: Sequence[str], rows: Iterable[Iterable[Any]], *, title: str) -> bytes:
    """An XLSX workbook of one sheet named ``title``: texts always as texts, numbers as
    numbers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.append(safe_row(header))
    for row in rows:
        sheet.append(safe_row(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# A CSV stream is sent this many rows at a time: few enough writes, little memory.
CSV_ROWS_PER_CHUNK = 500
# An XLSX stream is read back from its file this many bytes at a time.
XLSX_BLOCK_SIZE = 64 * 1024
# Spreadsheet programs (Excel above all) read a CSV as UTF-8 only when it starts with a BOM;
# without it Cyrillic names come out garbled.
UTF8_BOM = "\ufeff"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_stream(
    header: Sequence[str], rows: Iterable[Iterable[Any]], *, bom: bool = True
) -> Iterator[str]:
    """A CSV document as it is written, a chunk of rows at a time (for a streamed response):
    formula-safe like ``csv_text``; dates in ISO form, times to the minute, ``None`` empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if bom:
        out.write(UTF8_BOM)
    writer.writerow(safe_row(header))
    pending = 0
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in safe_row(row)])
        pending += 1
        if pending == CSV_ROWS_PER_CHUNK:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            pending = 0
    yield out.getvalue()


def _xlsx_cell(value: Any) -> Any:
    # Excel has no time zones: a moment is written as the wall-clock time it was given in.
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def xlsx_stream(
    header: Sequence[str], rows: Iterable[Iterable[Any]], *, title: str
) -> Iterator[bytes]:
    """An XLSX workbook of one sheet, as ``xlsx_bytes`` writes it, for a streamed response: the
    rows go through openpyxl's write-only mode into a temporary file (never all in memory),
    which is then read out a block at a time and removed."""
    with tempfile.TemporaryFile() as out:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=title)
        sheet.append(safe_row(header))
        for row in rows:
            sheet.append([_xlsx_cell(cell) for cell in safe_row(row)])
        workbook.save(out)
        out.seek(0)
        while block := out.read(XLSX_BLOCK_SIZE):
            yield block

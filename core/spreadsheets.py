"""Writing tables for people to open in a spreadsheet: CSV and XLSX, formula-safe.

Every CSV and XLSX the project writes goes through here. A text cell that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: names
and notes are typed by people, and lists come from outside) is written with a leading
apostrophe, so it is shown as text. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
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

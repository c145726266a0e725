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
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from xml.sax.saxutils import escape

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


# The parts of a one-sheet workbook besides its sheet (SpreadsheetML, ECMA-376): dates and
# times are numbers shown through the two number formats of ``_STYLES`` (styles 1 and 2), as
# openpyxl writes them, so spreadsheets (and openpyxl) read them back as dates.
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"
# Day 0 of a spreadsheet's dates (the 1900 date system as Excel counts it, past February 1900).
_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - a spreadsheet's dates have no zone
# Characters XML 1.0 cannot carry at all (a spreadsheet program refuses the file): dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Rows of the sheet's XML written to the file at a time.
XLSX_ROWS_PER_WRITE = 100


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


# Any character a text cell cannot hold as it is: most names need no escaping at all.
_SPECIAL = re.compile('[&<>"\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')


def _xlsx_text(value: str) -> str:
    if _SPECIAL.search(value) is None:
        return value
    return escape(_NOT_XML.sub("", value), {'"': "&quot;", "\r": "&#13;"})


def _xlsx_cells(row: Iterable[Any], number: int, letters: list[str]) -> str:
    """One row of the sheet's XML: texts inline, numbers and booleans as such, dates and
    moments as day numbers with a date format (a moment's zone dropped: Excel has none)."""
    cells = []
    for column, value in enumerate(row):
        if value is None:
            continue
        if column >= len(letters):
            letters.extend(_column_letters(column + 1)[len(letters) :])
        ref = f"{letters[column]}{number}"
        if isinstance(value, str):
            if value:
                cells.append(
                    f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">'
                    f"{_xlsx_text(value)}</t></is></c>"
                )
        elif isinstance(value, bool):
            cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int):  # an enumeration's member too: its number
            cells.append(f'<c r="{ref}" t="n"><v>{int(value)}</v></c>')
        elif isinstance(value, float) and math.isfinite(value):
            cells.append(f'<c r="{ref}" t="n"><v>{float(value)!r}</v></c>')
        elif isinstance(value, dt.datetime):
            day = (value.replace(tzinfo=None) - _EPOCH) / dt.timedelta(days=1)
            cells.append(f'<c r="{ref}" s="2"><v>{day!r}</v></c>')
        elif isinstance(value, dt.date):
            day = (value - _EPOCH.date()).days
            cells.append(f'<c r="{ref}" s="1"><v>{day}</v></c>')
        else:
            cells.append(
                f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">'
                f"{_xlsx_text(str(value))}</t></is></c>"
            )
    return f'<row r="{number}">{"".join(cells)}</row>'


class _Sent(io.RawIOBase):
    """A file that only collects what is written to it until it is taken: zipfile, finding it
    cannot seek, writes a package to it as a stream (each member's sizes after its data), so a
    workbook can leave while it is being written."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        taken = b"".join(self._parts)
        self._parts.clear()
        return taken


# The rows one sheet holds, its header included (a spreadsheet program refuses more).
XLSX_MAX_ROWS = 1_048_576
# What a sheet's name may not hold, and its length.
_NOT_IN_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")
_SHEET_TITLE_LENGTH = 31


def _sheet_title(title: str) -> str:
    """``title`` as a sheet may be named: without ``[]:*?/\\``, at most 31 characters."""
    return _NOT_IN_SHEET_TITLE.sub("", title).strip()[:_SHEET_TITLE_LENGTH] or "Sheet1"


def xlsx_stream(
    header: Sequence[str], rows: Iterable[Iterable[Any]], *, title: str, large: bool = False
) -> Iterator[bytes]:
    """An XLSX workbook of one sheet named ``title``, formula-safe, for a streamed response:
    texts as texts, numbers as numbers, dates and moments as dates (a moment as the wall-clock
    time it was given in). Written straight as the sheet's XML (some thirty times faster than
    openpyxl's cell objects: a million rows in about a minute) into a compressed package that
    is sent as it is written, a few hundred rows at a time: the first bytes leave at once and
    nothing grows with the rows. ``large``: the sheet may pass 2 GB unpacked (hundreds of
    thousands of rows), so it is written with ZIP64 sizes, which a small file does without
    (some spreadsheet programs read those less well)."""
    letters = _column_letters(len(header))
    out = _Sent()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", _WORKBOOK.format(title=_xlsx_text(_sheet_title(title))))
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=large) as sheet:
            pending = [_SHEET_START, _xlsx_cells(safe_row(header), 1, letters)]
            for number, row in enumerate(rows, start=2):
                pending.append(_xlsx_cells(safe_row(row), number, letters))
                if len(pending) >= XLSX_ROWS_PER_WRITE:
                    sheet.write("".join(pending).encode())
                    pending.clear()
                    if sent := out.take():
                        yield sent
            pending.append(_SHEET_END)
            sheet.write("".join(pending).encode())
    yield out.take()

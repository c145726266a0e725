"""A status report's figures as a file: CSV or XLSX, in one tidy long layout (``section``,
``key``, ``subkey``, ``value``: one figure a row), written from the figures as a reader sees
them (``reports.suppression.figures_as_seen``), never from what is stored.

Cells are formula-safe: a text that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return; a claimant's name is typed by a person) is
written with a leading apostrophe, so it is shown as text. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook

from .models import StatusReport
from .periods import Period

COLUMNS = ("section", "key", "subkey", "value")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Row = tuple[str, str, str, Any]


def formula_safe(value: Any) -> Any:
    """``value`` as a cell: a text a spreadsheet would read as a formula gets a leading
    apostrophe; numbers, ``None`` and other texts are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def figure_rows(figures: dict[str, Any]) -> Iterator[Row]:
    """The figures, one row each, in the layout's order. Unknown sections are written too
    (as ``section``/``key``/``value``), so a later schema loses nothing."""
    for key, value in figures.items():
        if isinstance(value, dict):
            for inner, leaf in value.items():
                if isinstance(leaf, dict):
                    for sub, cell in leaf.items():
                        yield (key, str(inner), str(sub), cell)
                else:
                    yield (key, str(inner), "", leaf)
        elif isinstance(value, list):
            for index, item in enumerate(value, start=1):
                if isinstance(item, dict):
                    for sub, cell in item.items():
                        yield (key, str(index), str(sub), cell)
                else:
                    yield (key, str(index), "", item)
        elif value is not None:  # no coalition section in an organization's report
            yield ("report", key, "", value)


def _cells(row: Row) -> list[Any]:
    return [formula_safe(cell) for cell in row]


def report_csv(figures: dict[str, Any]) -> str:
    """The CSV text of ``figures`` (as seen by its reader): a header, then one row a figure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in figure_rows(figures):
        writer.writerow(["" if cell is None else cell for cell in _cells(row)])
    return out.getvalue()


def report_xlsx(figures: dict[str, Any]) -> bytes:
    """The XLSX workbook of ``figures``: one sheet in the CSV's layout, numbers as numbers."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = "figures"
    sheet.append(list(COLUMNS))
    for row in figure_rows(figures):
        cells = _cells(row)
        sheet.append(cells)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a text is never read as a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def report_filename(report: StatusReport, extension: str) -> str:
    """``status-report-<scope>[-<organization id>]-<period>.<ext>``: no names in it."""
    period = Period(report.period, report.period_start, report.period_end)
    key = (
        f"{report.period_start.isoformat()}_{report.period_end.isoformat()}"
        if report.period == "custom"
        else period.key
    )
    scope = report.scope
    if report.organization_id is not None:
        scope = f"{scope}-{report.organization_id}"
    return f"status-report-{scope}-{key}.{extension}"

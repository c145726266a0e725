"""A status report's figures as a file: CSV or XLSX, in one tidy long layout (``section``,
``key``, ``subkey``, ``value``: one figure a row), written from the figures as a reader sees
them (``reports.suppression.figures_as_seen``), never from what is stored.

Cells are formula-safe (``core.spreadsheets``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_text, formula_safe, xlsx_bytes

from .models import StatusReport
from .periods import Period

COLUMNS = ("section", "key", "subkey", "value")
__all__ = [
    "CSV_MEDIA_TYPE",
    "XLSX_MEDIA_TYPE",
    "formula_safe",
    "report_csv",
    "report_xlsx",
]
Row = tuple[str, str, str, Any]


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


def report_csv(figures: dict[str, Any]) -> str:
    """The CSV text of ``figures`` (as seen by its reader): a header, then one row a figure."""
    return csv_text(COLUMNS, figure_rows(figures))


def report_xlsx(figures: dict[str, Any]) -> bytes:
    """The XLSX workbook of ``figures``: one sheet in the CSV's layout, numbers as numbers."""
    return xlsx_bytes(COLUMNS, figure_rows(figures), title="figures")


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

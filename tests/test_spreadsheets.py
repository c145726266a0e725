"""Every CSV and XLSX the project writes is formula-safe (``core.spreadsheets``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import load_workbook

from core.spreadsheets import csv_text, formula_safe, xlsx_bytes

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

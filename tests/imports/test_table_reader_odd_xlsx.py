"""Review: an XLSX whose sheet holds odd cells (a number cell holding letters, a boolean that is
neither, a date that is not one, a shared string that does not exist, a broken cell reference,
malformed XML) is a refusal naming the file, never a 500. openpyxl raises these while the rows
are read, after the workbook opened. All data is synthetic."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.spreadsheets import xlsx_bytes
from imports.models import CaseImport, MatchRun
from imports.tabular import Column, TableError, read_table
from tests.factories.accounts import make_member
from tests.factories.cases import home_organization

COLUMNS = [
    Column("ref", ("reference",), required=True),
    Column("given_name", ("given name",), required=True),
    Column("family_name", ("family name",), required=True),
    Column("date_of_birth", ("date of birth",)),
]


def _cell(replacement: str) -> Callable[[str], str]:
    return lambda sheet: re.sub(r'<c r="D2"[^>]*><v>2012</v></c>', replacement, sheet)


ODD_SHEETS: dict[str, Callable[[str], str]] = {
    "number_cell_of_letters": _cell('<c r="D2" t="n"><v>abc</v></c>'),
    "boolean_neither": _cell('<c r="D2" t="b"><v>maybe</v></c>'),
    "date_cell_not_a_date": _cell('<c r="D2" t="d"><v>notadate</v></c>'),
    "missing_shared_string": _cell('<c r="D2" t="s"><v>999</v></c>'),
    "broken_cell_reference": _cell('<c r="!!" t="n"><v>2012</v></c>'),
    "column_past_xfd": _cell('<c r="ZZZZZZ2" t="n"><v>2012</v></c>'),
    "row_number_not_a_number": lambda sheet: sheet.replace('<row r="2"', '<row r="x"'),
    "malformed_xml": lambda sheet: sheet.replace("</sheetData>", "</sheetDat>"),
}


def odd_xlsx(change: Callable[[str], str]) -> bytes:
    base = xlsx_bytes(
        ["ref", "given_name", "family_name", "date_of_birth"],
        [["R-1", "Ann", "Bell", 2012]],
        title="s",
    )
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = change(data.decode()).encode()
            target.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(ODD_SHEETS))
def test_review_odd_xlsx_cell_is_a_table_error(name: str) -> None:
    with pytest.raises(TableError) as raised:
        read_table(odd_xlsx(ODD_SHEETS[name]), COLUMNS)
    assert raised.value.code == "unsupported_format"
    assert "Ann" not in raised.value.message


def _client(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["number_cell_of_letters", "malformed_xml"])
def test_review_odd_xlsx_upload_is_a_400_not_a_500(oblasts: Any, name: str) -> None:
    client = _client(make_member("caseworker", home_organization()))
    content = odd_xlsx(ODD_SHEETS[name])
    for url in (reverse("case-import-list"), reverse("match-run-list")):
        response = client.post(
            url, {"file": SimpleUploadedFile("list.xlsx", content)}, format="multipart"
        )
        assert response.status_code == 400, (url, response.status_code)
        assert response.json()["code"] == "unsupported_format"
    assert not CaseImport.objects.exists()
    assert not MatchRun.objects.exists()

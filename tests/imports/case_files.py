"""Files of cases as an organization would upload them (all data synthetic)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook

HEADER = (
    "ref",
    "given_name",
    "family_name",
    "patronymic",
    "sex",
    "date_of_birth",
    "origin_oblast",
    "deported_on",
    "deported_from",
    "whereabouts_country",
    "whereabouts_settlement",
    "whereabouts_since",
    "relative_relationship",
    "relative_given_name",
    "relative_family_name",
    "relative_phone",
)


def row(**fields: Any) -> dict[str, str]:
    """A row of a synthetic child, with ``fields`` changed."""
    base = {
        "ref": "REF-1",
        "given_name": "Олена",
        "family_name": "Тестова",
        "patronymic": "Петрівна",
        "sex": "F",
        "date_of_birth": "2012-05-17",
        "origin_oblast": "UA-14",
        "deported_on": "2022-06-01",
        "deported_from": "Маріуполь",
        "whereabouts_country": "RU",
        "whereabouts_settlement": "Ростов-на-Дону",
        "whereabouts_since": "2022-07-01",
        "relative_relationship": "mother",
        "relative_given_name": "Марія",
        "relative_family_name": "Тестова",
        "relative_phone": "+380 00 000 0001",
    }
    base.update({k: str(v) for k, v in fields.items()})
    return base


def csv_bytes(
    rows: Sequence[Mapping[str, str]],
    *,
    header: Sequence[str] = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(h, "") for h in header])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Mapping[str, str]], *, header: Sequence[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for r in rows:
        sheet.append([r.get(h, "") for h in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

"""A list of cases as a file: CSV or XLSX, one row a case, streamed.

The rows are whatever queryset the caller hands over (the admin's list, filtered and searched,
itself read through ``selectors.case_visible_to``): never more than the reader may see. They are
read as plain values, a chunk at a time (``iterator(chunk_size=...)``), and written as they come
(``core.spreadsheets.csv_stream``/``xlsx_stream``, formula-safe), so memory stays flat however
long the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django_countries import countries

from core.spreadsheets import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_stream, xlsx_stream

from .models import Case, DatePrecision, ShareScope
from .selectors import ACCESS
from .workflow import Phase, Status, phase_of

# Rows read from the database at a time (a server-side cursor on PostgreSQL): memory holds one
# chunk, whatever the length of the list.
EXPORT_CHUNK_SIZE = 500
FORMATS: dict[str, tuple[str, str]] = {
    "csv": (CSV_MEDIA_TYPE, "csv"),
    "xlsx": (XLSX_MEDIA_TYPE, "xlsx"),
}

_VALUES = (
    "number",
    "status",
    "child__family_name",
    "child__given_name",
    "child__patronymic",
    "child__family_name_latin",
    "child__given_name_latin",
    "child__patronymic_latin",
    "child__date_of_birth",
    "child__date_of_birth_precision",
    "child__origin_oblast__name_uk",
    "child__origin_oblast__name_en",
    "child__current_whereabouts__country",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "organization__name",
    "deported_on",
    "returned_on",
    "closed_at",
    "status_changed_at",
    "created_at",
    "updated_at",
)


def export_header() -> list[str]:
    """The columns, in the reader's language."""
    return [
        gettext("Case number"),
        gettext("Status"),
        gettext("Phase"),
        gettext("Family name"),
        gettext("Given name"),
        gettext("Patronymic"),
        gettext("Family name (Latin)"),
        gettext("Given name (Latin)"),
        gettext("Patronymic (Latin)"),
        gettext("Date of birth"),
        gettext("Precision of the date of birth"),
        gettext("Oblast of origin"),
        gettext("Current country"),
        gettext("Assignee"),
        gettext("Organization"),
        gettext("Deported on"),
        gettext("Returned on"),
        gettext("Closed"),
        gettext("Status changed"),
        gettext("Created"),
        gettext("Updated"),
    ]


def birth_date_as_known(day: dt.date | None, precision: str) -> str:
    """A date of birth no more precise than it is known: ``2012``, ``2012-05`` or
    ``2012-05-17``; an estimate is its year."""
    if day is None:
        return ""
    if precision == DatePrecision.EXACT:
        return day.isoformat()
    if precision == DatePrecision.MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}"


def _label(choices: Any, value: str | None) -> str:
    return str(choices(value).label) if value in choices.values else (value or "")


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment) if moment is not None else None


def _row(values: dict[str, Any]) -> list[Any]:
    oblast = " / ".join(
        name
        for name in (
            values["child__origin_oblast__name_uk"],
            values["child__origin_oblast__name_en"],
        )
        if name
    )
    country = values["child__current_whereabouts__country"]
    assignee = " ".join(
        p for p in (values["assignee__first_name"], values["assignee__last_name"]) if p
    )
    return [
        values["number"],
        _label(Status, values["status"]),
        _label(Phase, phase_of(values["status"])),
        values["child__family_name"],
        values["child__given_name"],
        values["child__patronymic"],
        values["child__family_name_latin"],
        values["child__given_name_latin"],
        values["child__patronymic_latin"],
        *_birth(values),
        oblast,
        str(countries.name(country)) if country else "",
        assignee or values["assignee__username"] or "",
        values["organization__name"],
        values["deported_on"],
        values["returned_on"],
        _local(values["closed_at"]),
        _local(values["status_changed_at"]),
        _local(values["created_at"]),
        _local(values["updated_at"]),
    ]


def _birth(values: dict[str, Any]) -> tuple[str, str]:
    """The date of birth and its precision as the reader may see them: a case seen through a
    limited share shows the birth year only, as the case page does."""
    day, precision = values["child__date_of_birth"], values["child__date_of_birth_precision"]
    if values.get(ACCESS, ShareScope.FULL) != ShareScope.FULL:
        return (f"{day.year:04d}" if day is not None else "", "")
    return birth_date_as_known(day, precision), _label(DatePrecision, precision)


def case_export_rows(cases: QuerySet[Case]) -> Iterator[list[Any]]:
    """The rows of ``cases``, in its order, read ``EXPORT_CHUNK_SIZE`` at a time, each as
    the reader may see it (``access_scope``, which ``case_visible_to`` annotates)."""
    names = [*_VALUES, ACCESS] if ACCESS in cases.query.annotations else list(_VALUES)
    for values in cases.values(*names).iterator(chunk_size=EXPORT_CHUNK_SIZE):
        yield _row(values)


def case_export_stream(cases: QuerySet[Case], *, file_format: str) -> Iterator[Any]:
    """The file of ``cases`` in ``file_format`` (a key of ``FORMATS``), as it is written."""
    if file_format == "csv":
        return csv_stream(export_header(), case_export_rows(cases))
    return xlsx_stream(export_header(), case_export_rows(cases), title=gettext("Cases"))

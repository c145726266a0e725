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

from django.db import connections, transaction
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


class _Labels:
    """What one export writes for its coded values, in the reader's language: each status,
    phase, precision and country looked up once per export, not once per row (translating a
    label and naming a country cost more than writing the row)."""

    def __init__(self) -> None:
        self.status = {value: str(label) for value, label in Status.choices}
        self.phase = {
            value: str(Phase(phase).label)
            for value in Status.values
            if (phase := phase_of(value)) in Phase.values
        }
        self.precision = {value: str(label) for value, label in DatePrecision.choices}
        self.countries: dict[str, str] = {}
        self.zone = timezone.get_current_timezone()

    def country(self, code: str | None) -> str:
        if not code:
            return ""
        name = self.countries.get(code)
        if name is None:
            name = self.countries[code] = str(countries.name(code))
        return name

    def local(self, moment: dt.datetime | None) -> dt.datetime | None:
        return moment.astimezone(self.zone) if moment is not None else None


# Where each column of ``_VALUES`` (and the access scope after them) is in a row read.
_AT = {name: index for index, name in enumerate(_VALUES)}
_SCOPE_AT = len(_VALUES)


def _row(values: tuple[Any, ...], labels: _Labels) -> list[Any]:
    oblast = " / ".join(
        name
        for name in (
            values[_AT["child__origin_oblast__name_uk"]],
            values[_AT["child__origin_oblast__name_en"]],
        )
        if name
    )
    assignee = " ".join(
        p for p in (values[_AT["assignee__first_name"]], values[_AT["assignee__last_name"]]) if p
    )
    status = values[_AT["status"]]
    return [
        values[_AT["number"]],
        labels.status.get(status, status or ""),
        labels.phase.get(status, ""),
        values[_AT["child__family_name"]],
        values[_AT["child__given_name"]],
        values[_AT["child__patronymic"]],
        values[_AT["child__family_name_latin"]],
        values[_AT["child__given_name_latin"]],
        values[_AT["child__patronymic_latin"]],
        *_birth(values, labels),
        oblast,
        labels.country(values[_AT["child__current_whereabouts__country"]]),
        assignee or values[_AT["assignee__username"]] or "",
        values[_AT["organization__name"]],
        values[_AT["deported_on"]],
        values[_AT["returned_on"]],
        labels.local(values[_AT["closed_at"]]),
        labels.local(values[_AT["status_changed_at"]]),
        labels.local(values[_AT["created_at"]]),
        labels.local(values[_AT["updated_at"]]),
    ]


def _birth(values: tuple[Any, ...], labels: _Labels) -> tuple[str, str]:
    """The date of birth and its precision as the reader may see them: a case seen through a
    limited share shows the birth year only, as the case page does."""
    day = values[_AT["child__date_of_birth"]]
    precision = values[_AT["child__date_of_birth_precision"]]
    scope = values[_SCOPE_AT] if len(values) > _SCOPE_AT else ShareScope.FULL
    if scope != ShareScope.FULL:
        return (f"{day.year:04d}" if day is not None else "", "")
    return birth_date_as_known(day, precision), labels.precision.get(precision, precision or "")


def case_export_rows(cases: QuerySet[Case]) -> Iterator[list[Any]]:
    """The rows of ``cases``, in its order, read ``EXPORT_CHUNK_SIZE`` at a time, each as
    the reader may see it (``access_scope``, which ``case_visible_to`` annotates).

    On PostgreSQL the rows come through a server-side cursor inside a transaction of their own
    (a snapshot, and a cursor that streams): outside one, Django declares the cursor ``WITH
    HOLD``, which makes the server compute and store the whole result before the first row
    leaves (a million cases: most of a minute before the download starts). Elsewhere (SQLite,
    whose transactions take the write lock here) they are read in chunks without one."""
    names = [*_VALUES, ACCESS] if ACCESS in cases.query.annotations else list(_VALUES)
    rows = cases.values_list(*names).iterator(chunk_size=EXPORT_CHUNK_SIZE)
    labels = _Labels()
    database = connections[cases.db]
    if database.vendor != "postgresql" or database.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        for values in rows:
            yield _row(values, labels)
        return
    with transaction.atomic(using=cases.db):
        for values in rows:
            yield _row(values, labels)


# Rows past which an XLSX is written for a sheet of more than 2 GB unpacked (ZIP64).
XLSX_LARGE_ROWS = 200_000


def case_export_stream(
    cases: QuerySet[Case], *, file_format: str, count: int | None = None
) -> Iterator[Any]:
    """The file of ``cases`` in ``file_format`` (a key of ``FORMATS``), as it is written;
    ``count``, the number of cases when known, sizes an XLSX package (unknown: large)."""
    if file_format == "csv":
        return csv_stream(export_header(), case_export_rows(cases))
    return xlsx_stream(
        export_header(),
        case_export_rows(cases),
        title=gettext("Cases"),
        large=count is None or count > XLSX_LARGE_ROWS,
    )

"""The columns of a case import and how a row becomes a case record.

Each column has its name (the English header) and the other headers that mean it, Ukrainian
among them; ``ref``, ``given_name``, ``family_name`` and ``date_of_birth`` must be present.
A row is read into the fields the case services take (``cases.services.NewCaseRecord``), and
every cell that cannot be read is a problem naming the row and the column, never the cell's
content (cells hold children's names).

The date of birth carries its precision in its form: ``YYYY`` (the year known), ``YYYY-MM``
(the month), ``YYYY-MM-DD`` or ``DD.MM.YYYY`` (the day); an empty cell is an unknown date
(estimated). Choices (sex, how the child was taken, a relative's relationship...) are read by
their code or their label in English or Ukrainian; yes/no cells as ``yes``/``no``, ``так``/``ні``,
``1``/``0``, ``true``/``false``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext as _
from django_countries import countries

from cases.matching import Description
from cases.models import (
    AliasKind,
    DatePrecision,
    Oblast,
    ParentalCare,
    Pathway,
    Priority,
    Relationship,
    Sex,
)
from cases.selectors import country_codes
from cases.selectors_matching import recorded_date_of_birth
from cases.services import NewCaseRecord

from .tabular import Column

_APOSTROPHES: Final = ("'", "ʼ", "’")


def _headers(*values: str) -> tuple[str, ...]:
    """Headers, each Ukrainian one with an apostrophe also in its other two forms."""
    result: list[str] = []
    for value in values:
        variants = [value.replace("'", a) for a in _APOSTROPHES] if "'" in value else [value]
        result.extend(v for v in variants if v not in result)
    return tuple(result)


# The columns, in the order a template lists them.
COLUMNS: Final[tuple[Column, ...]] = (
    Column("ref", _headers("reference", "external_reference", "посилання", "ідентифікатор"), True),
    Column("given_name", _headers("first_name", "ім'я"), True),
    Column("family_name", _headers("surname", "last_name", "прізвище"), True),
    Column("patronymic", _headers("middle_name", "по батькові")),
    Column("sex", _headers("gender", "стать")),
    Column("date_of_birth", _headers("birth_date", "dob", "дата народження"), True),
    Column("origin_oblast", _headers("oblast", "область", "область походження")),
    Column("origin_settlement", _headers("settlement", "населений пункт", "місце проживання")),
    Column("parental_care", _headers("піклування до депортації", "піклування")),
    Column("distinguishing_notes", _headers("notes", "особливі прикмети", "примітки")),
    Column("alias", _headers("other_name", "інше ім'я", "інше написання")),
    Column("deported_on", _headers("date_taken", "дата вивезення", "дата депортації")),
    Column("deported_from", _headers("place_taken", "місце вивезення", "звідки вивезено")),
    Column("pathway", _headers("how_taken", "як вивезено", "спосіб вивезення")),
    Column("circumstances", _headers("обставини")),
    Column("russian_citizenship_imposed", _headers("громадянство рф нав'язано")),
    Column("under_russian_guardianship", _headers("під опікою в рф")),
    Column("adopted_in_russia", _headers("усиновлено в рф")),
    Column("listed_in_adoption_database", _headers("у базі для усиновлення")),
    Column("priority", _headers("пріоритет")),
    Column("whereabouts_country", _headers("current_country", "країна перебування")),
    Column("whereabouts_region", _headers("current_region", "регіон перебування")),
    Column("whereabouts_settlement", _headers("current_settlement", "місце перебування")),
    Column("whereabouts_since", _headers("whereabouts_from", "перебуває з")),
    Column("whereabouts_source", _headers("джерело відомостей про перебування")),
    Column("relative_relationship", _headers("relative", "родич", "ким доводиться")),
    Column("relative_given_name", _headers("ім'я родича")),
    Column("relative_family_name", _headers("прізвище родича")),
    Column("relative_patronymic", _headers("по батькові родича")),
    Column("relative_phone", _headers("телефон родича")),
    Column("relative_email", _headers("email родича", "електронна пошта родича")),
    Column("relative_is_searching", _headers("родич шукає дитину")),
)
COLUMN_NAMES: Final = tuple(c.name for c in COLUMNS)

_CHILD_TEXT: Final = ("given_name", "family_name", "patronymic", "origin_settlement")
_CHILD_LONG_TEXT: Final = ("distinguishing_notes",)
_CASE_TEXT: Final = ("deported_from", "circumstances")
_CASE_FLAGS: Final = (
    "russian_citizenship_imposed",
    "under_russian_guardianship",
    "adopted_in_russia",
    "listed_in_adoption_database",
)
_RELATIVE_TEXT: Final = ("given_name", "family_name", "patronymic", "phone", "email")
# A problem the services name by field, shown under the column it came from.
FIELD_COLUMNS: Final[Mapping[str, str]] = {
    "reference": "ref",
    "alias.name": "alias",
    "alias.kind": "alias",
    "whereabouts.country": "whereabouts_country",
    "whereabouts.region": "whereabouts_region",
    "whereabouts.settlement": "whereabouts_settlement",
    "whereabouts.from_date": "whereabouts_since",
    "whereabouts.to_date": "whereabouts_since",
    "whereabouts.source_description": "whereabouts_source",
    "date_of_birth_precision": "date_of_birth",
    "relative.relationship": "relative_relationship",
    "relative.is_searching": "relative_is_searching",
    **{f"relative.{name}": f"relative_{name}" for name in _RELATIVE_TEXT},
}
ALIAS_SEEN_IN: Final = "case import"

_ISO_DATE: Final = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DOTTED_DATE: Final = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_TRUE: Final = frozenset({"yes", "y", "true", "1", "так", "т", "+", "x"})
_FALSE: Final = frozenset({"no", "n", "false", "0", "ні", "н", "-", ""})
_SEX_WORDS: Final[Mapping[str, str]] = {
    "m": Sex.MALE,
    "f": Sex.FEMALE,
    "ч": Sex.MALE,
    "ж": Sex.FEMALE,
    "хлопчик": Sex.MALE,
    "дівчинка": Sex.FEMALE,
    "boy": Sex.MALE,
    "girl": Sex.FEMALE,
}


@dataclass
class RowProblem:
    """What is wrong with one cell: the row (as the spreadsheet numbers it), the column, and
    a message that never repeats the cell."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportRow:
    """One row read: its number, the organization's reference, the record to write, what the
    matcher reads of it, and its problems."""

    number: int
    reference: str
    record: NewCaseRecord
    description: Description | None
    problems: list[RowProblem] = field(default_factory=list)


class _Choices:
    """A choice read by its code or its label in English or Ukrainian."""

    def __init__(self, choices: type[TextChoices], extra: Mapping[str, str] | None = None):
        self.by_text: dict[str, str] = {}
        for value, label in choices.choices:
            self.by_text[value.casefold()] = value
            for language in ("en", "uk"):
                with translation.override(language):
                    self.by_text[str(label).casefold()] = value
        self.by_text.update(extra or {})

    def read(self, text: str) -> str | None:
        return self.by_text.get(text.strip().casefold())


@dataclass
class RowReader:
    """Reads rows into case records; built once per import (the oblasts and the choices'
    labels are looked up once)."""

    oblasts: Mapping[str, Oblast]  # its code, its Ukrainian or English name (casefolded)
    sex: _Choices = field(default_factory=lambda: _Choices(Sex, _SEX_WORDS))
    pathway: _Choices = field(default_factory=lambda: _Choices(Pathway))
    priority: _Choices = field(default_factory=lambda: _Choices(Priority))
    parental_care: _Choices = field(default_factory=lambda: _Choices(ParentalCare))
    relationship: _Choices = field(default_factory=lambda: _Choices(Relationship))
    # The whereabouts' source when the row names none (translated once, not once a row).
    default_source: str = field(
        default_factory=lambda: _("Imported with the organization's records.")
    )

    @classmethod
    def for_oblasts(cls, oblasts: Iterable[Oblast]) -> RowReader:
        by_text: dict[str, Oblast] = {}
        for oblast in oblasts:
            for text in (oblast.code, oblast.name_uk, oblast.name_en):
                by_text[text.casefold()] = oblast
        return cls(oblasts=by_text)

    def read(self, number: int, cells: Mapping[str, str]) -> ImportRow:
        problems: list[RowProblem] = []

        def problem(column: str, message: str) -> None:
            problems.append(RowProblem(number, column, message))

        reference = cells.get("ref", "")
        if not reference:
            problem("ref", _("The organization's reference is required."))
        child: dict[str, Any] = {}
        for name in (*_CHILD_TEXT, *_CHILD_LONG_TEXT):
            if name in cells:
                child[name] = cells[name]
        dob, precision, dob_read = _date_of_birth(cells.get("date_of_birth", ""))
        if not dob_read:
            problem(
                "date_of_birth",
                _("Not a date: write YYYY, YYYY-MM, YYYY-MM-DD or DD.MM.YYYY."),
            )
        child["date_of_birth"], child["date_of_birth_precision"] = dob, precision
        sex = cells.get("sex", "")
        if sex:
            value = self.sex.read(sex)
            if value is None:
                problem("sex", _("Write M or F (or leave it empty when unknown)."))
            else:
                child["sex"] = value
        oblast = cells.get("origin_oblast", "")
        if oblast:
            found = self.oblasts.get(oblast.casefold())
            if found is None:
                problem(
                    "origin_oblast",
                    _("Not an oblast: write its ISO 3166-2 code (UA-14) or its name."),
                )
            else:
                child["origin_oblast"] = found
        self._choice(cells, "parental_care", self.parental_care, child, problem)

        case: dict[str, Any] = {name: cells[name] for name in _CASE_TEXT if name in cells}
        self._date(cells, "deported_on", case, problem)
        self._choice(cells, "pathway", self.pathway, case, problem)
        self._choice(cells, "priority", self.priority, case, problem)
        for name in _CASE_FLAGS:
            self._flag(cells, name, case, name, problem)

        aliases = []
        if cells.get("alias"):
            aliases.append(
                {"name": cells["alias"], "kind": AliasKind.SPELLING, "seen_in": ALIAS_SEEN_IN}
            )
        whereabouts = self._whereabouts(cells, problem)
        relatives = self._relative(cells, problem)
        record = NewCaseRecord(
            child=child,
            case=case,
            aliases=aliases,
            whereabouts=whereabouts,
            relatives=relatives,
            reference=reference,
        )
        description = None
        if child.get("given_name") or child.get("family_name"):
            description = Description(
                given_name=child.get("given_name") or None,
                family_name=child.get("family_name") or None,
                patronymic=child.get("patronymic") or None,
                date_of_birth=recorded_date_of_birth(dob, precision),
                sex="M" if child.get("sex") == Sex.MALE else "F" if child.get("sex") else None,
                origin_oblast=child["origin_oblast"].code if child.get("origin_oblast") else None,
            )
        return ImportRow(number, reference, record, description, problems)

    def _choice(
        self,
        cells: Mapping[str, str],
        name: str,
        choices: _Choices,
        target: dict[str, Any],
        problem: Any,
        *,
        key: str | None = None,
    ) -> None:
        text = cells.get(name, "")
        if not text:
            return
        value = choices.read(text)
        if value is None:
            problem(
                name,
                _("Not one of the accepted values: %(values)s.")
                % {"values": ", ".join(sorted(set(choices.by_text.values())))},
            )
            return
        target[key or name] = value

    def _flag(
        self, cells: Mapping[str, str], name: str, target: dict[str, Any], key: str, problem: Any
    ) -> None:
        text = cells.get(name, "").strip().casefold()
        if name not in cells:
            return
        if text in _TRUE:
            target[key] = True
        elif text in _FALSE:
            target[key] = False
        else:
            problem(name, _("Write yes or no (так or ні)."))

    def _date(
        self, cells: Mapping[str, str], name: str, target: dict[str, Any], problem: Any
    ) -> dt.date | None:
        text = cells.get(name, "")
        if not text:
            return None
        value = _exact_date(text)
        if value is None:
            problem(name, _("Not a date: write YYYY-MM-DD or DD.MM.YYYY."))
            return None
        target[name] = value
        return value

    def _whereabouts(self, cells: Mapping[str, str], problem: Any) -> list[dict[str, Any]]:
        names = ("whereabouts_country", "whereabouts_region", "whereabouts_settlement")
        if not any(cells.get(n) for n in (*names, "whereabouts_since", "whereabouts_source")):
            return []
        stay: dict[str, Any] = {
            "region": cells.get("whereabouts_region", ""),
            "settlement": cells.get("whereabouts_settlement", ""),
            "source_description": cells.get("whereabouts_source", "") or self.default_source,
        }
        country = _country(cells.get("whereabouts_country", ""))
        if country is None:
            problem(
                "whereabouts_country",
                _("Write the country's ISO 3166-1 code (RU, BY) or its English name."),
            )
        else:
            stay["country"] = country
        since = self._date(cells, "whereabouts_since", {}, problem)
        if not cells.get("whereabouts_since"):
            problem("whereabouts_since", _("Say since when the child is there."))
        stay["from_date"] = since
        return [stay]

    def _relative(self, cells: Mapping[str, str], problem: Any) -> list[dict[str, Any]]:
        present = [
            n
            for n in (
                "relative_relationship",
                "relative_given_name",
                "relative_family_name",
                "relative_patronymic",
                "relative_phone",
                "relative_email",
            )
            if cells.get(n)
        ]
        if not present:
            return []
        relative: dict[str, Any] = {
            name: cells.get(f"relative_{name}", "") for name in _RELATIVE_TEXT
        }
        if not cells.get("relative_relationship"):
            problem("relative_relationship", _("Say who the relative is to the child."))
        else:
            self._choice(
                cells,
                "relative_relationship",
                self.relationship,
                relative,
                problem,
                key="relationship",
            )
        for name in ("relative_given_name", "relative_family_name"):
            if not cells.get(name):
                problem(name, _("Required when a relative is given."))
        self._flag(cells, "relative_is_searching", relative, "is_searching", problem)
        return [relative]


def _exact_date(text: str) -> dt.date | None:
    text = text.strip()
    found = _ISO_DATE.match(text)
    parts: tuple[str | None, ...]
    if found and found.group(3):
        parts = found.groups()
    elif dotted := _DOTTED_DATE.match(text):
        day, month, year = dotted.groups()
        parts = (year, month, day)
    else:
        return None
    try:
        return dt.date(int(parts[0] or 0), int(parts[1] or 0), int(parts[2] or 0))
    except ValueError:
        return None


def _date_of_birth(text: str) -> tuple[dt.date | None, str, bool]:
    """The date, its precision, and whether the cell was read (an empty one is: unknown)."""
    text = text.strip()
    if not text:
        return None, DatePrecision.ESTIMATED, True
    exact = _exact_date(text)
    if exact is not None:
        return exact, DatePrecision.EXACT, True
    found = _ISO_DATE.match(text)
    if found is None or found.group(3):
        return None, DatePrecision.ESTIMATED, False
    year, month = int(found.group(1)), found.group(2)
    try:
        if month is None:
            return dt.date(year, 1, 1), DatePrecision.YEAR, True
        return dt.date(year, int(month), 1), DatePrecision.MONTH, True
    except ValueError:
        return None, DatePrecision.ESTIMATED, False


def _country(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if len(text) == 2 and text.upper() in country_codes():
        return text.upper()
    code = countries.by_name(text)
    return code or None

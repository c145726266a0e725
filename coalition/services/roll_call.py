"""Reading a pasted roll call: country names as a UN record or a news report writes them, in
English or Ukrainian, turned into ISO 3166-1 codes.

Names come from the country library the registry uses (``django_countries``): its names and
official names in English and Ukrainian, the older names it keeps ("Turkey", "Swaziland"), and
the codes themselves. The few short forms reporting uses that the library does not name
("USA", "UK", "DPRK", "Ivory Coast") are listed below. Matching ignores case, accents,
punctuation of apostrophes and a leading "the".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from django.utils import translation
from django_countries import countries
from django_countries.data import COUNTRIES as OFFICIAL_NAMES

# Short forms reporting uses that are not among the library's names or codes (the old names
# "Turkey", "Czech Republic" and "Swaziland" are also among its old names, which not every
# version of the library keeps).
SHORT_FORMS: dict[str, str] = {
    "USA": "US",
    "U.S.": "US",
    "U.S.A.": "US",
    "United States": "US",
    "UK": "GB",
    "U.K.": "GB",
    "Great Britain": "GB",
    "DPRK": "KP",
    "Ivory Coast": "CI",
    "Turkey": "TR",
    "Czech Republic": "CZ",
    "Swaziland": "SZ",
    "США": "US",
    "Сполучене Королівство": "GB",
    "КНДР": "KP",
    "Чеська Республіка": "CZ",
    "Російська Федерація": "RU",
}

LANGUAGES = ("en", "uk")
# Separators between names: commas, semicolons and line breaks.
_SEPARATORS = re.compile(r"[;\n\r]+")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'", "´": "'"})
_SPACES = re.compile(r"\s+")


def normalized(name: str) -> str:
    """A name as compared: no accents, no case, one kind of apostrophe, single spaces, no
    trailing full stop, no leading "the"."""
    text = unicodedata.normalize("NFKD", name.translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _SPACES.sub(" ", text.casefold()).strip(" .")
    return text.removeprefix("the ")


_PARENTHESIZED = re.compile(r"^(?P<head>[^(]+?)\s*\((?P<tail>[^)]+)\)$")


def _inverted(name: str) -> str | None:
    """An official name written the other way round, as roll calls write it: 'Korea, Republic
    of' or 'Moldova (the Republic of)' as 'Republic of Korea', 'Republic of Moldova'."""
    head, sep, tail = name.partition(", ")
    if sep and tail:
        return f"{tail} {head}"
    match = _PARENTHESIZED.match(name)
    if match:
        return f"{match['tail']} {match['head']}"
    return None


@cache
def _short_forms() -> dict[str, str]:
    return {normalized(alias): code for alias, code in SHORT_FORMS.items()}


@cache
def _index(language: str) -> dict[str, str]:
    """Normalized name -> code, for the names of one language (built once per language)."""
    found: dict[str, str] = {}

    def add(name: object, code: str) -> None:
        text = str(name)
        for form in (text, _inverted(text)):
            if form:
                found.setdefault(normalized(form), code)

    with translation.override(language):
        for country in countries:
            add(country.name, country.code)
        for code, official in OFFICIAL_NAMES.items():
            add(official, code)
    for code, olds in getattr(countries, "OLD_NAMES", {}).items():
        for old in olds:
            add(old, code)
    return found


def country_code_for(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code a pasted name names, or ``None``."""
    text = name.strip()
    if not text:
        return None
    upper = text.upper()
    if len(upper) == 2 and upper in countries:
        return upper
    keys = [normalized(form) for form in (text, _inverted(text)) if form]
    for key in keys:
        code = _short_forms().get(key)
        if code is not None:
            return code
        for language in LANGUAGES:
            code = _index(language).get(key)
            if code is not None:
                return code
    return None


def split_names(text: str) -> list[str]:
    """The names in a pasted list, in order: separated by commas, semicolons or line breaks.
    A comma inside a name ("Korea, Republic of") is kept when the two parts together name a
    country and the second alone does not."""
    names: list[str] = []
    for line in _SEPARATORS.split(text or ""):
        parts = [part.strip() for part in line.split(",")]
        index = 0
        while index < len(parts):
            part = parts[index]
            if index + 1 < len(parts):
                joined = f"{part}, {parts[index + 1]}"
                if country_code_for(joined) and not country_code_for(parts[index + 1]):
                    names.append(joined)
                    index += 2
                    continue
            if part:
                names.append(part)
            index += 1
    return names


def codes_for_names(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """The codes the names name (each once, in order) and the names not recognised (as
    written, each once)."""
    codes: list[str] = []
    unknown: list[str] = []
    for name in names:
        code = country_code_for(name)
        if code is None:
            if name not in unknown:
                unknown.append(name)
        elif code not in codes:
            codes.append(code)
    return codes, unknown

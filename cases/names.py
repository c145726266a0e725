"""Names across scripts: the official Latin form and the search keys of a child's names.

The Latin form of a Ukrainian name is derived with the KMU 2010 table (Cabinet of Ministers
resolution No. 55 of 2010, the passport standard), never typed by hand. Search keys also hold the
Russified and older spellings a child's name may have been recorded under abroad
(Олександр → Александр → Aleksandr), so a caseworker finds the child by any of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from names_translator import Transliterator
from translitua import UkrainianKMU, translit

# Apostrophes come in many code points; Ukrainian names use one (ʼ) and the Latin form drops it.
_APOSTROPHES = "'’‘`ʼʹ′"
_APOSTROPHE_RE = re.compile(f"[{_APOSTROPHES}]")
_SPACES_RE = re.compile(r"\s+")
_CYRILLIC_NAME_RE = re.compile(r"^[А-ЩЬЮЯЄІЇҐа-щьюяєіїґ'’ʼ\- ]+$")
_WORD_RE = re.compile(r"[\w'’ʼ-]+", re.UNICODE)

_transliterator = Transliterator()


def clean_name(value: str) -> str:
    """Trim, collapse spaces and use the Ukrainian apostrophe (ʼ) consistently."""
    value = unicodedata.normalize("NFC", value or "")
    value = _APOSTROPHE_RE.sub("ʼ", value)
    return _SPACES_RE.sub(" ", value).strip()


def is_ukrainian_cyrillic(value: str) -> bool:
    """Ukrainian letters, apostrophes, hyphens and spaces, with at least one letter."""
    # ʼ (U+02BC) counts as a letter to Python, so look for one that is not punctuation.
    letters = _APOSTROPHE_RE.sub("", value).replace("-", "").strip()
    return bool(_CYRILLIC_NAME_RE.match(value)) and bool(letters)


@lru_cache(maxsize=65536)
def latin_kmu(value: str) -> str:
    """The official Latin form (KMU 2010) of a Cyrillic name; empty stays empty. Cached: names
    repeat heavily (an import derives three a row)."""
    value = clean_name(value)
    if not value:
        return ""
    return str(translit(_APOSTROPHE_RE.sub("", value), UkrainianKMU))


def fold(value: str) -> str:
    """Lower-case, strip diacritics and apostrophes: the form search keys and queries compare in.

    Ukrainian letters keep their identity (й is not и, ї is not і) because diacritic stripping
    applies to Latin text only.
    """
    value = _APOSTROPHE_RE.sub("", clean_name(value)).lower()
    decomposed = unicodedata.normalize("NFD", value)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and "a" <= kept[-1] <= "z":
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


@lru_cache(maxsize=65536)
def spellings_of(name: str) -> frozenset[str]:
    """Every folded spelling of one name word: Ukrainian, Russified, and their Latin forms.

    Cached: names repeat heavily, and this is the expensive part of writing a child.
    """
    name = clean_name(name)
    if not name:
        return frozenset()
    variants: set[str] = {name, latin_kmu(name) if is_ukrainian_cyrillic(name) else name}
    if is_ukrainian_cyrillic(name):
        variants |= _transliterator.transliterate(name, "", "", use_heuristic_replacements=False)
    return frozenset(fold(v) for v in variants if v.strip())


def search_text(names: Iterable[str]) -> str:
    """The denormalized search column: every spelling of every word, space-separated."""
    words: set[str] = set()
    for name in names:
        for word in _WORD_RE.findall(clean_name(name)):
            words |= spellings_of(word)
    return " ".join(sorted(words))


def script_keys(query: str) -> list[str]:
    """The words of ``query`` in one script: a Ukrainian Cyrillic word as its official Latin
    form (KMU 2010), folded, any other word folded. "Читанчук" and "Chytanchuk" give the same
    key; a Russified spelling ("Evgeniy" for "Євген") stays its own. What the audit trail keeps
    digests of when a case search names a child (``cases.selectors.case_search_recorded``)."""
    words = _WORD_RE.findall(clean_name(query))
    keys = (fold(latin_kmu(w)) if is_ukrainian_cyrillic(w) else fold(w) for w in words)
    return [key for key in keys if key]


def query_terms(query: str) -> list[str]:
    """Split a search query into folded words; each must match for a row to match."""
    return [fold(word) for word in _WORD_RE.findall(clean_name(query)) if fold(word)]

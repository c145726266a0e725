"""Names across scripts: the official Latin form and the search keys of a child's names.

The Latin form of a Ukrainian name is derived with the KMU 2010 table (Cabinet of Ministers
resolution No. 55 of 2010, the passport standard), never typed by hand. Search keys also hold the
Russified and older spellings a child's name may have been recorded under abroad
(Олександр → Александр → Aleksandr), so a caseworker finds the child by any of them.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from names_translator import Transliterator
from names_translator.dicts import default_dicts
from translitua import UkrainianKMU, translit

# Apostrophes come in many code points; Ukrainian names use one (ʼ) and the Latin form drops it.
_APOSTROPHES = "'’‘`ʼʹ′"
_APOSTROPHE_RE = re.compile(f"[{_APOSTROPHES}]")
_SPACES_RE = re.compile(r"\s+")
_CYRILLIC_NAME_RE = re.compile(r"^[А-ЩЬЮЯЄІЇҐа-щьюяєіїґ'’ʼ\- ]+$")
_WORD_RE = re.compile(r"[\w'’ʼ-]+", re.UNICODE)

_transliterator = Transliterator()


# Names longer than this are cleaned each time, not kept in ``clean_name``'s cache.
_CACHED_NAME_LENGTH = 200


def clean_name(value: str) -> str:
    """Trim, collapse spaces and use the Ukrainian apostrophe (ʼ) consistently."""
    if not value:
        return ""
    if len(value) > _CACHED_NAME_LENGTH:
        return _clean_name(value)
    return _clean_name_cached(value)


@lru_cache(maxsize=65536)
def _clean_name_cached(value: str) -> str:
    # Cached: an import cleans every name several times (rules, keys, search text, matching).
    return _clean_name(value)


def _clean_name(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
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


@lru_cache(maxsize=65536)
def fold(value: str) -> str:
    """Lower-case, strip diacritics and apostrophes: the form search keys and queries compare in.

    Ukrainian letters keep their identity (й is not и, ї is not і) because diacritic stripping
    applies to Latin text only. Cached: matching folds the same few thousand name words again
    and again.
    """
    value = _APOSTROPHE_RE.sub("", clean_name(value)).lower()
    decomposed = unicodedata.normalize("NFD", value)
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and "a" <= kept[-1] <= "z":
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


# Letters that a Russian spelling, an older one or a hurried typist swaps for a Ukrainian one
# (Ґалина/Галина, Євген/Евген, Віктор/Виктор, Їжак/Іжак, Крилов/Крылов): search compares them as
# one. Identity matching keeps them apart (``fold``) and merges spellings its own way.
_SEARCH_MERGES = str.maketrans(
    {"ґ": "г", "є": "е", "ї": "і", "и": "і", "ё": "е", "э": "е", "ы": "і"}
)


def search_form(value: str) -> str:
    """``fold`` with the letters search forgives merged: the form of the search keys and of the
    words a search is made of."""
    return fold(value).translate(_SEARCH_MERGES)


# names_translator's pools of names with Russified forms (given names and patronymics).
RUSSIFIED_POOLS = ("first", "patronymic")


_russified_lock = threading.Lock()
_russified: dict[str, dict[str, tuple[str, ...]]] | None = None


def _ukrainian_of_russified() -> dict[str, dict[str, tuple[str, ...]]]:
    """The Ukrainian forms of each Russified name, by pool: names_translator's dictionaries
    turned round, built once a process. The import checks its rules on one thread while
    another draws candidates, and both need it at once: the lock keeps it from being built
    twice."""
    global _russified
    if _russified is None:
        with _russified_lock:
            if _russified is None:
                result: dict[str, dict[str, tuple[str, ...]]] = {}
                for pool in RUSSIFIED_POOLS:
                    reverse: dict[str, set[str]] = {}
                    for ukrainian, translations in default_dicts().as_dict(pool).items():
                        for russian in translations:
                            reverse.setdefault(russian.lower(), set()).add(ukrainian)
                    result[pool] = {
                        russian: tuple(sorted(forms)) for russian, forms in reverse.items()
                    }
                _russified = result
    return _russified


def ukrainian_of_russified(word: str, pool: str) -> tuple[str, ...]:
    """The Ukrainian forms of a Russified given name or patronymic (``pool``: ``first`` or
    ``patronymic``): the way back from Алексей to Олексій; empty for any other word."""
    return _ukrainian_of_russified()[pool].get(fold(word), ())


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


_POOL_ROLES = {"first": ("", "{}", ""), "patronymic": ("", "", "{}")}


def _pool(pool: str) -> dict[str, list[str]]:
    _ukrainian_of_russified()  # the pools loaded once, under its lock
    return default_dicts().as_dict(pool)


@lru_cache(maxsize=65536)
def search_spellings(word: str) -> frozenset[str]:
    """Every spelling of one name word that search finds it by, in ``search_form``: its own
    (``spellings_of``) and, for a given name or patronymic, its Russified forms and theirs
    (Олексій: Алексей, Aleksei) and, for a Russified one (an alias from a Russian listing),
    those of its Ukrainian forms, so "Олексій" finds a child recorded as "Алексей" as surely
    as the other way round."""
    spellings = set(spellings_of(word))
    folded = fold(word)
    for pool in RUSSIFIED_POOLS:
        originals = set(ukrainian_of_russified(word, pool))
        if folded in _pool(pool):
            originals.add(folded)
        for original in originals:
            spellings |= spellings_of(original)
            role = [part.format(original) for part in _POOL_ROLES[pool]]
            spellings |= {
                fold(spelling)
                for spelling in _transliterator.transliterate(
                    *role, use_heuristic_replacements=False
                )
            }
    return frozenset(search_form(spelling) for spelling in spellings)


def search_text(names: Iterable[str]) -> str:
    """The denormalized search column: every spelling of every word, space-separated."""
    words: set[str] = set()
    for name in names:
        for word in _WORD_RE.findall(clean_name(name)):
            words |= search_spellings(word)
    return " ".join(sorted(w for w in words if w))


def script_keys(query: str) -> list[str]:
    """The words of ``query`` in one script: a Ukrainian Cyrillic word as its official Latin
    form (KMU 2010), folded, any other word folded. "Читанчук" and "Chytanchuk" give the same
    key; a Russified spelling ("Evgeniy" for "Євген") stays its own. What the audit trail keeps
    digests of when a case search names a child (``cases.selectors.case_search_recorded``)."""
    words = _WORD_RE.findall(clean_name(query))
    keys = (fold(latin_kmu(w)) if is_ukrainian_cyrillic(w) else fold(w) for w in words)
    return [key for key in keys if key]


def words(value: str) -> list[str]:
    """The words of a name or a query, cleaned (``clean_name``), as written."""
    return _WORD_RE.findall(clean_name(value))


def query_words(query: str) -> list[str]:
    """The words of a query, folded (``fold``): Ukrainian letters still apart."""
    return [folded for folded in (fold(w) for w in words(query)) if folded]


def query_terms(query: str) -> list[str]:
    """Split a search query into words in ``search_form``; each must match for a row to
    match."""
    return [term for term in (search_form(w) for w in query_words(query)) if term]

"""Identity matching: is the child described here one the registry already holds?

The pure core, without the database: a ``Description`` of a child as it arrives (one full name in
any order and script, or its parts; a date of birth with its precision; sex; oblast of origin),
the script-independent keys a candidate index is queried with (``name_keys``), and the scorer
that compares two descriptions and says why (``score``).

Every name word is brought to one *common form*: Cyrillic (Ukrainian or Russian) is written in a
rough Latin, then the spellings that romanizations disagree on are merged (kh/h/g, ch/ts/c,
shch/sh/s, zh/z, y/j/e/i, doubled letters). Its consonant skeleton is the index key. Russified
forms (Олексій → Алексей, Сергійович → Сергеевич) come from names_translator's dictionaries, in
both directions, so a Russian adoption listing meets the Ukrainian record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import permutations
from typing import Final, Literal

from django.utils.translation import gettext_noop
from names_translator import Transliterator
from names_translator.dicts import default_dicts
from rapidfuzz import fuzz

from cases.names import (
    clean_name,
    fold,
    is_ukrainian_cyrillic,
    spellings_of,
    ukrainian_of_russified,
)

# ---------------------------------------------------------------------------------------------
# Thresholds
# ---------------------------------------------------------------------------------------------
LIKELY_THRESHOLD: Final = 0.85
POSSIBLE_THRESHOLD: Final = 0.65
# Common forms at least this similar (rapidfuzz ratio, 0..1) are the same name mistyped.
SIMILAR_NAME_THRESHOLD: Final = 0.85
# The same threshold on the rescaled agreement (0 at ratio 0.5, 1 at equal) the scorer sums.
SIMILAR_NAME_THRESHOLD_SCALED: Final = (SIMILAR_NAME_THRESHOLD - 0.5) / 0.5
# A band needs two name parts (of given name, family name, patronymic) agreeing at least this
# well on the rescaled agreement: common forms with a ratio of 0.8, one slip in a name of five
# letters or more (Злпта, Злата); two names of one pattern (Титаренко, Терещенко: 0.78) stay
# under it.
NAME_AGREES_SCALED: Final = 0.6
# A date of birth must agree at least this well (a day/month swap) for a "likely" band.
LIKELY_DATE_AGREEMENT: Final = 0.8
# The score is divided by at least this much weight, so a name alone never scores high.
MINIMUM_EVIDENCE_WEIGHT: Final = 0.6
SEX_CONFLICT_FACTOR: Final = 0.8

WEIGHTS: Final = {
    "given": 0.30,
    "family": 0.20,
    "patronymic": 0.15,
    "date_of_birth": 0.25,
    "sex": 0.05,
    "oblast": 0.05,
}

Band = Literal["likely", "possible"]
Sex = Literal["M", "F"]
Precision = Literal["year", "month", "day"]

# ---------------------------------------------------------------------------------------------
# Reasons: a fixed vocabulary in plain English, marked for translation (``gettext_noop``) and
# translated by the layer that shows them, in the reader's language; stored and compared as is.
# ---------------------------------------------------------------------------------------------
GIVEN_NAME_EQUAL: Final = gettext_noop("given name equal")
GIVEN_NAME_EQUAL_TRANSLITERATED: Final = gettext_noop("given name equal after transliteration")
GIVEN_NAME_SIMILAR: Final = gettext_noop("given name similar")
GIVEN_NAME_DIFFERS: Final = gettext_noop("given name differs")
GIVEN_NAME_MISSING: Final = gettext_noop("given name missing")
FAMILY_NAME_EQUAL: Final = gettext_noop("family name equal")
FAMILY_NAME_EQUAL_TRANSLITERATED: Final = gettext_noop("family name equal after transliteration")
FAMILY_NAME_SIMILAR: Final = gettext_noop("family name similar")
FAMILY_NAME_DIFFERS: Final = gettext_noop("family name differs")
FAMILY_NAME_MISSING: Final = gettext_noop("family name missing")
PATRONYMIC_EQUAL: Final = gettext_noop("patronymic equal")
PATRONYMIC_EQUAL_TRANSLITERATED: Final = gettext_noop("patronymic equal after transliteration")
PATRONYMIC_SIMILAR: Final = gettext_noop("patronymic similar")
PATRONYMIC_DIFFERS: Final = gettext_noop("patronymic differs")
PATRONYMIC_MISSING: Final = gettext_noop("patronymic missing")
DATE_OF_BIRTH_EQUAL: Final = gettext_noop("date of birth equal")
DATE_OF_BIRTH_YEAR_ONLY: Final = gettext_noop("date of birth year only")
DATE_OF_BIRTH_MONTH_ONLY: Final = gettext_noop("date of birth month only")
DATE_OF_BIRTH_SWAPPED: Final = gettext_noop("date of birth day and month swapped")
DATE_OF_BIRTH_DAY_DIFFERS: Final = gettext_noop("date of birth day differs")
DATE_OF_BIRTH_MONTH_DIFFERS: Final = gettext_noop("date of birth month differs")
DATE_OF_BIRTH_ONE_YEAR_APART: Final = gettext_noop("date of birth one year apart")
DATE_OF_BIRTH_DIFFERS: Final = gettext_noop("date of birth differs")
DATE_OF_BIRTH_MISSING: Final = gettext_noop("date of birth missing")
SEX_EQUAL: Final = gettext_noop("sex equal")
SEX_DIFFERS: Final = gettext_noop("sex differs")
OBLAST_EQUAL: Final = gettext_noop("oblast of origin equal")
OBLAST_DIFFERS: Final = gettext_noop("oblast of origin differs")

_NAME_REASONS: Final = {
    "given": (
        GIVEN_NAME_EQUAL,
        GIVEN_NAME_EQUAL_TRANSLITERATED,
        GIVEN_NAME_SIMILAR,
        GIVEN_NAME_DIFFERS,
        GIVEN_NAME_MISSING,
    ),
    "family": (
        FAMILY_NAME_EQUAL,
        FAMILY_NAME_EQUAL_TRANSLITERATED,
        FAMILY_NAME_SIMILAR,
        FAMILY_NAME_DIFFERS,
        FAMILY_NAME_MISSING,
    ),
    "patronymic": (
        PATRONYMIC_EQUAL,
        PATRONYMIC_EQUAL_TRANSLITERATED,
        PATRONYMIC_SIMILAR,
        PATRONYMIC_DIFFERS,
        PATRONYMIC_MISSING,
    ),
}


# ---------------------------------------------------------------------------------------------
# Descriptions
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DateOfBirth:
    """A date of birth as precise as it is known: the year, perhaps the month, perhaps the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"


@dataclass(frozen=True)
class Description:
    """A child as described by a query, a list row or a registry record.

    ``full_name`` keeps the name as one string when it arrived so: its parts were guessed
    (``split_full_name``), and the scorer and the keys also try the other readings of its words.
    """

    given_name: str | None = None
    family_name: str | None = None
    patronymic: str | None = None
    date_of_birth: DateOfBirth | None = None
    sex: Sex | None = None
    origin_oblast: str | None = None
    full_name: str | None = None


@dataclass(frozen=True)
class Match:
    """How well a candidate fits a query: a score in 0..1, its band, and why, in words."""

    score: float
    band: Band | None
    reasons: tuple[str, ...]


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_OBLAST_RE = re.compile(r"^UA-\d{2}$")


def parse_date_of_birth(value: str | dt.date) -> DateOfBirth:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (or a date) as a ``DateOfBirth``."""
    if isinstance(value, dt.date):
        return DateOfBirth(value.year, value.month, value.day)
    found = _DATE_RE.match(value.strip())
    if found is None:
        raise ValueError(f"date_of_birth: expected YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    year, month, day = (int(part) if part else None for part in found.groups())
    assert year is not None  # the pattern requires it
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError as error:
        raise ValueError(f"date_of_birth: {value!r} is not a date ({error})") from None
    return DateOfBirth(year, month, day)


def description_from(
    *,
    full_name: str | None = None,
    given_name: str | None = None,
    family_name: str | None = None,
    patronymic: str | None = None,
    date_of_birth: str | dt.date | None = None,
    sex: str | None = None,
    origin_oblast: str | None = None,
) -> Description:
    """A ``Description`` from input as it arrives; a full name is split into its parts.

    Parts given explicitly win over those found in ``full_name``. Raises ``ValueError`` naming the
    field for a date, sex or oblast it cannot read.
    """
    guessed: str | None = None
    if full_name and clean_name(full_name):
        parsed_given, parsed_family, parsed_patronymic = split_full_name(full_name)
        # Parts given explicitly are not guessed: the other readings are only tried when the
        # whole name came as one string.
        if not (given_name or family_name or patronymic):
            guessed = clean_name(full_name)
        given_name = given_name or parsed_given
        family_name = family_name or parsed_family
        patronymic = patronymic or parsed_patronymic
    sex_value: Sex | None = None
    if sex is not None and sex.strip():
        normalized = sex.strip().upper()
        if normalized == "M":
            sex_value = "M"
        elif normalized == "F":
            sex_value = "F"
        else:
            raise ValueError(f"sex: expected M or F, got {sex!r}")
    oblast: str | None = None
    if origin_oblast is not None and origin_oblast.strip():
        oblast = origin_oblast.strip().upper()
        if not _OBLAST_RE.match(oblast):
            raise ValueError(
                f"origin_oblast: expected an ISO 3166-2 code like UA-14, got {origin_oblast!r}"
            )
    dob = None
    if isinstance(date_of_birth, dt.date) or (date_of_birth and date_of_birth.strip()):
        dob = parse_date_of_birth(date_of_birth)
    return Description(
        given_name=_name_or_none(given_name),
        family_name=_name_or_none(family_name),
        patronymic=_name_or_none(patronymic),
        date_of_birth=dob,
        sex=sex_value,
        origin_oblast=oblast,
        full_name=guessed,
    )


def _name_or_none(value: str | None) -> str | None:
    return clean_name(value) or None if value else None


# ---------------------------------------------------------------------------------------------
# Splitting a full name
# ---------------------------------------------------------------------------------------------
_PATRONYMIC_ENDINGS: Final = (
    # Cyrillic, Ukrainian and Russian
    "ович",
    "евич",
    "євич",
    "ьич",
    "ич",
    "івна",
    "ївна",
    "овна",
    "евна",
    "ична",
    "інічна",
    # Latin: KMU 2010, Russian romanizations, ISO 9 with its diacritics folded
    "ovych",
    "evych",
    "ovich",
    "evich",
    "ovic",
    "evic",
    "ovitch",
    "ovytch",
    "ivna",
    "ovna",
    "evna",
    "ichna",
    "ychna",
)
_NAME_WORD_RE = re.compile(r"[^\W\d_][\w'’ʼ-]*", re.UNICODE)
# A combining mark on a Latin letter (ALA-LC's tie in "I͡ulii͡a", ISO 9's breve in "ĭ"): dropped
# before a name is cut into words, or the tie would cut the word in two.
_LATIN_MARK_RE = re.compile(r"(?<=[A-Za-z])[\u0300-\u036f]+")


def name_words(value: str | None) -> list[str]:
    """The words of a name, Latin diacritics and ties dropped, Cyrillic letters kept."""
    decomposed = unicodedata.normalize("NFD", clean_name(value or ""))
    plain = unicodedata.normalize("NFC", _LATIN_MARK_RE.sub("", decomposed))
    return _NAME_WORD_RE.findall(plain)


def is_patronymic(word: str) -> bool:
    """Whether a word ends like a Ukrainian or Russian patronymic, in either script."""
    folded = fold(word)
    return len(folded) > 4 and folded.endswith(_PATRONYMIC_ENDINGS)


def is_known_given_name(word: str) -> bool:
    """Whether a word is a given name names_translator knows, in Cyrillic or any Latin form."""
    return common_form(word) in _known_given_forms()


@lru_cache(maxsize=1)
def _known_given_forms() -> frozenset[str]:
    forms: set[str] = set()
    for key, translations in default_dicts().as_dict("first").items():
        forms.add(common_form(key))
        forms.update(common_form(t) for t in translations)
    return frozenset(forms)


def split_full_name(full_name: str) -> tuple[str | None, str | None, str | None]:
    """``(given, family, patronymic)`` from a full name in any order and script.

    The patronymic is the word with a patronymic ending; a word in capitals among words that are
    not is the family name (passport style); then a known given name is the given name. What is
    still undecided follows the order the script's documents use: Cyrillic "family given
    patronymic", Latin "given family".
    """
    words = name_words(full_name)
    if not words:
        return None, None, None
    patronymic: str | None = None
    candidates = [w for w in words if is_patronymic(w)]
    if candidates and len(words) > 1:
        patronymic = candidates[-1]
        words = [w for w in words if w is not patronymic]
    given: str | None = None
    family: str | None = None
    capitals = [w for w in words if w.isupper() and len(w) > 1]
    if len(words) > 1 and len(capitals) == 1 and len(capitals) < len(words):
        family = capitals[0]
        words = [w for w in words if w is not family]
    known = [w for w in words if is_known_given_name(w)]
    if len(known) == 1 and (family is not None or len(words) > 1):
        given = known[0]
        words = [w for w in words if w is not given]
    elif len(words) == 1 and family is None and patronymic is None and known:
        return words[0], None, None
    if words:
        cyrillic = any(is_ukrainian_cyrillic(w) or _has_cyrillic(w) for w in words)
        if given is None and family is None:
            if cyrillic:
                family, rest = words[0], words[1:]
            else:
                family, rest = words[-1], words[:-1]
            given = " ".join(rest) or None
        elif given is None:
            given = " ".join(words)
        elif family is None:
            family = " ".join(words)
        else:
            family = " ".join([family, *words])
    return given, family, patronymic


def _has_cyrillic(value: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in value)


# ---------------------------------------------------------------------------------------------
# Common forms and keys
# ---------------------------------------------------------------------------------------------
_CYRILLIC_ROUGH: Final = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ё": "e",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
}  # fmt: skip
# Longest first: the spellings romanizations disagree on, merged into one letter each.
_LATIN_MERGES: Final = (
    ("shtsch", "s"),
    ("shch", "s"),
    ("tsch", "c"),
    ("sch", "s"),
    ("tch", "c"),
    ("ch", "c"),
    ("sh", "s"),
    ("zh", "z"),
    ("kh", "h"),
    ("ts", "c"),
    ("tz", "c"),
    ("cz", "c"),
    ("ph", "f"),
    ("ck", "k"),
    ("x", "ks"),
    ("h", "g"),
    ("w", "v"),
    ("q", "k"),
    ("y", "i"),
    ("j", "i"),
    ("e", "i"),
)
_MERGE_RE = re.compile("|".join(re.escape(old) for old, _ in _LATIN_MERGES))
_MERGE_TO: Final = dict(_LATIN_MERGES)
_DOUBLED_RE = re.compile(r"(.)\1+")
_VOWELS_RE = re.compile(r"[aeiouy]")


@lru_cache(maxsize=65536)
def common_form(word: str) -> str:
    """One word in the form every script and romanization of it comes to (``oliksii`` and
    ``aliksii`` stay apart; ``Natalia``, ``Natalya`` and ``Наталія`` do not)."""
    folded = fold(word)
    latin = "".join(_CYRILLIC_ROUGH.get(char, char) for char in folded)
    latin = re.sub(r"[^a-z]", "", latin)
    merged = _MERGE_RE.sub(lambda found: _MERGE_TO[found.group(0)], latin)
    return _DOUBLED_RE.sub(r"\1", merged)


def skeleton(form: str) -> str:
    """The consonants of a common form, the index key; a name of vowels only keys as itself."""
    consonants = _DOUBLED_RE.sub(r"\1", _VOWELS_RE.sub("", form))
    return consonants or form


_transliterator = Transliterator()
_Kind = Literal["given", "family", "patronymic"]
_POOLS: Final = {"given": "first", "patronymic": "patronymic"}
_PREFIXES: Final = {"given": "g:", "family": "f:", "patronymic": "p:"}


@lru_cache(maxsize=65536)
def word_spellings(word: str, kind: _Kind) -> frozenset[str]:
    """Every folded spelling of one name word in its role: Ukrainian, Russified, Latin forms."""
    spellings = set(spellings_of(word))
    pool = _POOLS.get(kind)
    if pool is None or not _has_cyrillic(word):
        return frozenset(spellings)
    originals = {clean_name(word)}
    originals.update(ukrainian_of_russified(word, pool))
    for original in originals:
        spellings |= spellings_of(original)
        arguments = ("", original, "") if kind == "given" else ("", "", original)
        spellings |= {
            fold(s)
            for s in _transliterator.transliterate(*arguments, use_heuristic_replacements=False)
        }
    return frozenset(s for s in spellings if s)


@lru_cache(maxsize=65536)
def _forms(word: str, kind: _Kind) -> frozenset[str]:
    return frozenset(f for f in (common_form(s) for s in word_spellings(word, kind)) if f)


@lru_cache(maxsize=65536)
def _words(value: str | None) -> tuple[str, ...]:
    """``name_words``, cached: the scorer and the keys read the same names again and again."""
    return tuple(name_words(value))


def _parts(description: Description) -> Iterable[tuple[_Kind, str | None]]:
    yield "given", description.given_name
    yield "family", description.family_name
    yield "patronymic", description.patronymic


_KINDS: Final[tuple[_Kind, ...]] = ("given", "family", "patronymic")


@lru_cache(maxsize=65536)
def name_readings(full_name: str) -> tuple[tuple[str | None, str | None, str | None], ...]:
    """The readings of a full name as ``(given, family, patronymic)``: ``split_full_name``'s
    first, then every other way its words can take the three roles, one word a role.

    A name of one to three words has at most six readings; a longer one (a double family name)
    only the split's. Which word is the family name cannot always be told from the words alone
    (Прокопович is a family name and looks like a patronymic; Лесик is a family name and a
    given name), so the scorer tries each reading and keeps the best.
    """
    readings = [split_full_name(full_name)]
    words = name_words(full_name)
    if len(words) <= 3:
        for roles in permutations(_KINDS, len(words)):
            parts = dict(zip(roles, words, strict=True))
            reading = (parts.get("given"), parts.get("family"), parts.get("patronymic"))
            if reading not in readings:
                readings.append(reading)
    return tuple(readings)


def name_keys(description: Description) -> frozenset[str]:
    """The index keys of a description's names: ``g:``, ``f:`` or ``p:`` and a consonant
    skeleton, one per spelling of each word. Two spellings of one name share at least one key.
    The words of a full name are keyed in every role (see ``name_readings``)."""
    keys: set[str] = set()
    for kind, value in _parts(description):
        for word in _words(value):
            keys |= _word_keys(word, kind)
    if description.full_name:
        for word in _words(description.full_name):
            for kind in _KINDS:
                keys |= _word_keys(word, kind)
    return frozenset(keys)


@lru_cache(maxsize=65536)
def _word_keys(word: str, kind: _Kind) -> frozenset[str]:
    return frozenset(_PREFIXES[kind] + skeleton(form) for form in _forms(word, kind))


# The longest key the index stores (``ChildNameKey.key``); a longer skeleton is cut, here and
# in every query, so both sides agree.
KEY_MAX_LENGTH: Final = 40


def record_name_keys(
    *, given_name: str, family_name: str, patronymic: str, alias_names: Iterable[str] = ()
) -> frozenset[str]:
    """The index keys of a registry record: its names, and each alias read as a full name (an
    alias is one string, a Russified or Latin form of the whole name, in any order), then the
    pair keys of all of them (``pair_keys``)."""
    keys = set(
        name_keys(
            Description(
                given_name=given_name or None,
                family_name=family_name or None,
                patronymic=patronymic or None,
            )
        )
    )
    for alias in alias_names:
        # An alias is keyed as split, not in every reading: the query's side tries those.
        keys |= name_keys(replace(description_from(full_name=alias), full_name=None))
    words = frozenset(key[:KEY_MAX_LENGTH] for key in keys)
    return words | pair_keys(words)


def query_name_keys(description: Description) -> frozenset[str]:
    """The word keys a query looks up, cut to the stored length."""
    return frozenset(key[:KEY_MAX_LENGTH] for key in name_keys(description))


# The roles a candidate must share keys of, two at a time, and the prefix of their pair keys.
_PAIRS: Final = (("g:", "f:", "gf:"), ("g:", "p:", "gp:"), ("f:", "p:", "fp:"))


@lru_cache(maxsize=262144)
def _pair_key(prefix: str, first: str, second: str) -> str:
    # A digest keeps a pair of long skeletons within the stored length.
    digest = hashlib.blake2b(f"{first}|{second}".encode(), digest_size=8).hexdigest()
    return prefix + digest


def pair_keys(keys: Iterable[str]) -> frozenset[str]:
    """The pair keys of a set of word keys: one for each key of one role with each key of
    another (given name with family name, given name with patronymic, family name with
    patronymic), prefixed ``gf:``, ``gp:`` or ``fp:``.

    A record and a description share a pair key exactly when they share word keys of two
    roles, the rule that makes a candidate; a pair key is shared by far fewer children than a
    word key of a common name, so the index finds candidates without counting every child who
    shares one common word.
    """
    by_role: dict[str, list[str]] = {"g:": [], "f:": [], "p:": []}
    for key in keys:
        role = by_role.get(key[:2])
        if role is not None:
            role.append(key)
    return frozenset(
        _pair_key(prefix, first, second)
        for one, other, prefix in _PAIRS
        for first in by_role[one]
        for second in by_role[other]
    )


def query_pair_keys(description: Description) -> frozenset[str]:
    """The pair keys a query looks up (``pair_keys`` of ``query_name_keys``)."""
    return pair_keys(query_name_keys(description))


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------
_EQUAL, _TRANSLITERATED, _SIMILAR, _DIFFERS, _MISSING = range(5)


@lru_cache(maxsize=262144)
def _word_similarity(query: str, candidate: str, kind: _Kind) -> tuple[float, int]:
    """One query word against one candidate word: how alike (0 to 1) and the outcome. Cached:
    an import scores the same pairs of common name words many times."""
    if fold(query) == fold(candidate):
        return 1.0, _EQUAL
    query_forms, candidate_forms = _forms(query, kind), _forms(candidate, kind)
    if query_forms & candidate_forms:
        return 1.0, _TRANSLITERATED
    ratio = max(
        (fuzz.ratio(q, c) / 100 for q in query_forms for c in candidate_forms),
        default=0.0,
    )
    return ratio, _SIMILAR if ratio >= SIMILAR_NAME_THRESHOLD else _DIFFERS


@lru_cache(maxsize=262144)
def _name_agreement(
    query: str | None, candidate: str | None, kind: _Kind
) -> tuple[float | None, str]:
    """Token-level: each query word against its best candidate word, averaged; the weakest
    word's outcome is the reason."""
    reasons = _NAME_REASONS[kind]
    query_words, candidate_words = _words(query), _words(candidate)
    if not query_words or not candidate_words:
        return None, reasons[_MISSING]
    values: list[float] = []
    worst = _EQUAL
    for word in query_words:
        value, outcome = max(_word_similarity(word, other, kind) for other in candidate_words)
        values.append(value)
        worst = max(worst, outcome)
    ratio = sum(values) / len(values)
    # Rescaled so a name that merely shares letters contributes little.
    return max(0.0, (ratio - 0.5) / 0.5), reasons[worst]


def _date_agreement(
    query: DateOfBirth | None, candidate: DateOfBirth | None
) -> tuple[float | None, str]:
    if query is None or candidate is None:
        return None, DATE_OF_BIRTH_MISSING
    if abs(query.year - candidate.year) == 1:
        return 0.4, DATE_OF_BIRTH_ONE_YEAR_APART
    if query.year != candidate.year:
        return 0.0, DATE_OF_BIRTH_DIFFERS
    if query.month is None or candidate.month is None:
        return 0.9, DATE_OF_BIRTH_YEAR_ONLY
    if query.day is not None and candidate.day is not None:
        if (query.month, query.day) == (candidate.month, candidate.day):
            return 1.0, DATE_OF_BIRTH_EQUAL
        if (query.month, query.day) == (candidate.day, candidate.month):
            return 0.8, DATE_OF_BIRTH_SWAPPED
    if query.month != candidate.month:
        return 0.3, DATE_OF_BIRTH_MONTH_DIFFERS
    if query.day is None or candidate.day is None:
        return 0.95, DATE_OF_BIRTH_MONTH_ONLY
    return 0.5, DATE_OF_BIRTH_DAY_DIFFERS


def score(query: Description, candidate: Description) -> Match:
    """How well ``candidate`` fits ``query``, with the band and the reasons.

    A query whose name came as one string is scored in each of its readings
    (``name_readings``); the best counts. See ``_score`` for one reading.
    """
    if not query.full_name:
        return _score(query, candidate)
    best: Match | None = None
    for given, family, patronymic in name_readings(query.full_name):
        reading = replace(query, given_name=given, family_name=family, patronymic=patronymic)
        match = _score(reading, candidate)
        if best is None or match.score > best.score:
            best = match
    assert best is not None  # a full name has at least one reading
    return best


def _score(query: Description, candidate: Description) -> Match:
    """How well ``candidate`` fits ``query`` as its parts are read.

    A weighted mean of the parts both sides know (names, date of birth, sex, oblast). A band
    needs two name parts that agree (``NAME_AGREES_SCALED``). "Likely"
    needs the given name at least similar, the date of birth agreeing, no sex conflict, the
    same family name and, when both sides give one, the same patronymic: a changed surname
    (adoption) is for a person to confirm, so it stays "possible" however well the rest agrees;
    a different patronymic is a different father, most likely a namesake.
    """
    given, given_reason = _name_agreement(query.given_name, candidate.given_name, "given")
    family, family_reason = _name_agreement(query.family_name, candidate.family_name, "family")
    patronymic, patronymic_reason = _name_agreement(
        query.patronymic, candidate.patronymic, "patronymic"
    )
    dob_value, dob_reason = _date_agreement(query.date_of_birth, candidate.date_of_birth)
    reasons = [given_reason, family_reason, patronymic_reason, dob_reason]
    # The parts both sides know, in a fixed order (the sums below add in it).
    known: list[tuple[float, float]] = [
        (WEIGHTS[name], value)
        for name, value in (
            ("given", given),
            ("family", family),
            ("patronymic", patronymic),
            ("date_of_birth", dob_value),
        )
        if value is not None
    ]
    sex_conflict = False
    if query.sex and candidate.sex:
        sex_conflict = query.sex != candidate.sex
        known.append((WEIGHTS["sex"], 0.0 if sex_conflict else 1.0))
        reasons.append(SEX_DIFFERS if sex_conflict else SEX_EQUAL)
    if query.origin_oblast and candidate.origin_oblast:
        same = query.origin_oblast == candidate.origin_oblast
        known.append((WEIGHTS["oblast"], 1.0 if same else 0.0))
        reasons.append(OBLAST_EQUAL if same else OBLAST_DIFFERS)

    weight = sum(w for w, _value in known)
    total = sum(w * v for w, v in known)
    value = total / max(weight, MINIMUM_EVIDENCE_WEIGHT)
    if sex_conflict:
        value *= SEX_CONFLICT_FACTOR
    value = round(min(1.0, max(0.0, value)), 4)

    similar = SIMILAR_NAME_THRESHOLD_SCALED
    may_be_likely = (
        (given or 0.0) >= similar
        and (family is None or family >= similar)
        and (patronymic is None or patronymic >= similar)
        and (dob_value or 0.0) >= LIKELY_DATE_AGREEMENT
        and not sex_conflict
    )
    agreeing = (
        ((given or 0.0) >= NAME_AGREES_SCALED)
        + ((family or 0.0) >= NAME_AGREES_SCALED)
        + ((patronymic or 0.0) >= NAME_AGREES_SCALED)
    )
    band: Band | None = None
    if agreeing < 2:
        pass  # one name and a date are too many children's: no band, however high the score
    elif value >= LIKELY_THRESHOLD and may_be_likely:
        band = "likely"
    elif value >= POSSIBLE_THRESHOLD:
        band = "possible"
    shown = tuple(r for r in reasons if r not in _MISSING_REASONS or _side_has(query, r))
    return Match(score=value, band=band, reasons=shown)


_MISSING_REASONS: Final = frozenset(
    {GIVEN_NAME_MISSING, FAMILY_NAME_MISSING, PATRONYMIC_MISSING, DATE_OF_BIRTH_MISSING}
)


def _side_has(query: Description, reason: str) -> bool:
    """A part missing from the candidate is worth saying; one the query never gave is not."""
    provided = {
        GIVEN_NAME_MISSING: query.given_name,
        FAMILY_NAME_MISSING: query.family_name,
        PATRONYMIC_MISSING: query.patronymic,
        DATE_OF_BIRTH_MISSING: query.date_of_birth,
    }
    return bool(provided[reason])

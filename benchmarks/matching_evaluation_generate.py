"""Generate the identity-matching evaluation set: synthetic registry children and the queries a
caseworker, a coordinator or a partner's list would bring for them, in every form a child's name
reaches the registry.

    .venv/bin/python benchmarks/matching_evaluation_generate.py            # rewrite the set
    .venv/bin/python benchmarks/matching_evaluation_generate.py --check    # is it up to date?

Writes ``benchmarks/data/matching_evaluation/registry.csv`` (the registry: Ukrainian Cyrillic
names as caseworkers record them, some with a Russified alias; brothers and sisters, twins among
them, sharing a family name, a patronymic and an oblast) and ``queries.csv`` (each query with its
form and the registry id it should find, empty for a child who is not in the registry). The
same seed gives the same files, byte for byte; the set is kept in the repository so a change of
the matcher is measured against the same questions.

Names come from Faker's Ukrainian lists, weighted so the popular given names, patronymics and
family names are as common as they are among Ukrainian children (namesakes are the hard part of
matching); Russified forms from ``names_translator``'s dictionaries; Latin forms from
``translitua`` (KMU 2010, from Ukrainian) and ``iuliia`` (ISO 9, GOST 7.79, BGN/PCGN, the Russian
passport system and ALA-LC, from the Russified form, as Russian documents write a child). One
query in ten, whatever its form, has a typing slip in one name word. The generator imports
neither Django nor the matcher, so it cannot be tuned to it. All data is synthetic.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import iuliia
from faker.providers.person.uk_UA import Provider as UkrainianNames
from names_translator.dicts import default_dicts
from translitua import UkrainianKMU, translit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data" / "matching_evaluation"
SEED = 20260213
REGISTRY_SIZE = 12_000
QUERIES_PER_FORM = 300
ABSENT_QUERIES = 600

# Every form the issue names; "absent" queries are drawn in any of the name forms.
FORMS: tuple[str, ...] = (
    "cyrillic",
    "russified",
    "kmu2010",
    "iso9",
    "gost779",
    "bgn_pcgn",
    "ru_passport",
    "ala_lc",
    "surname_changed",
    "patronymic_missing",
    "date_approximate",
    "date_swapped",
    "date_year_only",
    "full_name_any_order",
)
NAME_FORMS: tuple[str, ...] = FORMS[:8]
RUSSIAN_SCHEMAS = {
    # ISO 9:1995 is GOST 7.79-2000 system A (diacritics); GOST 7.79 here is its system B.
    "iso9": iuliia.GOST_779,
    "gost779": iuliia.GOST_779_ALT,
    "bgn_pcgn": iuliia.BGN_PCGN,
    # Russian international passports since 2013 follow ICAO Doc 9303.
    "ru_passport": iuliia.ICAO_DOC_9303,
    "ala_lc": iuliia.ALA_LC,
}

# ---------------------------------------------------------------------------------------------
# Name pools, weighted
# ---------------------------------------------------------------------------------------------
# The most common given names of Ukrainian children born 2005-2022, heaviest first; Faker's other
# names follow with a small weight.
POPULAR_MALE = (  # noqa: SIM905 - a list of names reads better as text
    "Олександр Максим Артем Дмитро Андрій Іван Назар Богдан Владислав Данило Денис Михайло "
    "Кирило Микола Сергій Олексій Ярослав Матвій Тимофій Марк Роман Віталій Євген Юрій Ілля "
    "Вадим Віктор Павло Тарас Олег Захар Давид Єгор Степан Василь Ростислав Святослав Остап"
).split()
POPULAR_FEMALE = (  # noqa: SIM905 - a list of names reads better as text
    "Анастасія Софія Марія Анна Дарина Вікторія Катерина Аліна Юлія Олена Діана Поліна "
    "Ангеліна Єлизавета Валерія Ірина Христина Вероніка Наталія Яна Злата Мілана Соломія "
    "Олександра Тетяна Ольга Уляна Ксенія Євгенія Оксана Віра Надія Кіра Василина Мирослава"
).split()
# Fathers' names with the patronymics of a son and of a daughter.
FATHERS = (
    ("Олександр", "Олександрович", "Олександрівна", 10),
    ("Сергій", "Сергійович", "Сергіївна", 9),
    ("Андрій", "Андрійович", "Андріївна", 8),
    ("Володимир", "Володимирович", "Володимирівна", 8),
    ("Віктор", "Вікторович", "Вікторівна", 6),
    ("Юрій", "Юрійович", "Юріївна", 6),
    ("Олег", "Олегович", "Олегівна", 6),
    ("Ігор", "Ігорович", "Ігорівна", 6),
    ("Василь", "Васильович", "Василівна", 5),
    ("Микола", "Миколайович", "Миколаївна", 5),
    ("Іван", "Іванович", "Іванівна", 5),
    ("Дмитро", "Дмитрович", "Дмитрівна", 5),
    ("Петро", "Петрович", "Петрівна", 4),
    ("Михайло", "Михайлович", "Михайлівна", 4),
    ("Роман", "Романович", "Романівна", 4),
    ("Руслан", "Русланович", "Русланівна", 4),
    ("Віталій", "Віталійович", "Віталіївна", 4),
    ("Вадим", "Вадимович", "Вадимівна", 3),
    ("Богдан", "Богданович", "Богданівна", 3),
    ("Анатолій", "Анатолійович", "Анатоліївна", 3),
    ("Валерій", "Валерійович", "Валеріївна", 3),
    ("Євген", "Євгенович", "Євгенівна", 3),
    ("Олексій", "Олексійович", "Олексіївна", 3),
    ("Павло", "Павлович", "Павлівна", 3),
    ("Ярослав", "Ярославович", "Ярославівна", 2),
    ("Тарас", "Тарасович", "Тарасівна", 2),
    ("Максим", "Максимович", "Максимівна", 2),
    ("Степан", "Степанович", "Степанівна", 2),
    ("Григорій", "Григорович", "Григорівна", 2),
    ("Леонід", "Леонідович", "Леонідівна", 2),
    ("Геннадій", "Геннадійович", "Геннадіївна", 2),
    ("Костянтин", "Костянтинович", "Костянтинівна", 2),
    ("Артем", "Артемович", "Артемівна", 2),
    ("Денис", "Денисович", "Денисівна", 2),
    ("Антон", "Антонович", "Антонівна", 2),
    ("Станіслав", "Станіславович", "Станіславівна", 2),
    ("Федір", "Федорович", "Федорівна", 1),
    ("Семен", "Семенович", "Семенівна", 1),
    ("Людвиг", "Людвигович", "Людвигівна", 1),
)
POPULAR_FAMILY = (  # noqa: SIM905 - a list of names reads better as text
    "Мельник Шевченко Бойко Коваленко Бондаренко Ткаченко Ковальчук Кравченко Олійник Шевчук "
    "Коваль Поліщук Бондар Ткачук Савченко Марченко Руденко Мороз Лисенко Петренко Клименко "
    "Павленко Кравчук Кузьменко Пономаренко Савчук Василенко Левченко Харченко Карпенко"
).split()
# Family names a child is given on adoption in Russia.
RUSSIAN_FAMILY = (  # noqa: SIM905 - a list of names reads better as text
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Федоров Морозов "
    "Волков Алексеев Лебедев Семенов Егоров Павлов Козлов Степанов Николаев Орлов Андреев "
    "Макаров Никитин Захаров Зайцев Соловьев Борисов Яковлев Григорьев"
).split()


@dataclass(frozen=True)
class Pools:
    male: tuple[list[str], list[float]]
    female: tuple[list[str], list[float]]
    fathers: tuple[list[tuple[str, str]], list[float]]
    family: tuple[list[str], list[float]]
    oblasts: tuple[list[str], list[float]]


def _weighted(popular: Sequence[str], rest: Sequence[str], rest_weight: float) -> tuple:
    names = list(dict.fromkeys([*popular, *rest]))
    weights = [
        (len(popular) - popular.index(n)) / len(popular) * 10 + 2 if n in popular else rest_weight
        for n in names
    ]
    return names, weights


def pools() -> Pools:
    settlements = json.loads((ROOT / "seeds" / "settlements.json").read_text(encoding="utf-8"))
    return Pools(
        male=_weighted(POPULAR_MALE, UkrainianNames.first_names_male, 0.3),
        female=_weighted(POPULAR_FEMALE, UkrainianNames.first_names_female, 0.3),
        fathers=([(m, f) for _, m, f, _w in FATHERS], [float(w) for *_, w in FATHERS]),
        family=(
            list(dict.fromkeys([*POPULAR_FAMILY, *UkrainianNames.last_names_common])),
            [
                5.0 if n in POPULAR_FAMILY else 1.0
                for n in dict.fromkeys([*POPULAR_FAMILY, *UkrainianNames.last_names_common])
            ],
        ),
        oblasts=(
            [row["oblast"] for row in settlements],
            [float(row["weight"]) for row in settlements],
        ),
    )


# ---------------------------------------------------------------------------------------------
# Children
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Child:
    id: str
    given_name: str
    family_name: str
    patronymic: str
    date_of_birth: str  # YYYY, YYYY-MM or YYYY-MM-DD
    sex: str  # M or F
    origin_oblast: str
    aliases: tuple[str, ...] = ()
    birth: dt.date = dt.date(2000, 1, 1)  # the true date, whatever the record's precision


def _pick(rng: random.Random, pool: tuple[list[Any], list[float]]) -> Any:
    return rng.choices(pool[0], weights=pool[1])[0]


def _birth(rng: random.Random) -> dt.date:
    start = dt.date(2005, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(start, dt.date(2022, 2, 23).toordinal()))


def _recorded_date(rng: random.Random, birth: dt.date) -> str:
    roll = rng.random()
    if roll < 0.06:
        return f"{birth.year:04d}"
    if roll < 0.10:
        return f"{birth.year:04d}-{birth.month:02d}"
    return birth.isoformat()


def _child(
    rng: random.Random,
    p: Pools,
    index: int,
    *,
    family: str,
    father: tuple[str, str],
    oblast: str,
    birth: dt.date,
    taken: set[str],
) -> Child:
    sex = rng.choice("MF")
    while True:
        given = _pick(rng, p.male if sex == "M" else p.female)
        if given not in taken:  # brothers and sisters have different given names
            break
    taken.add(given)
    return Child(
        id=f"R{index:05d}",
        given_name=given,
        family_name=family,
        patronymic=father[0] if sex == "M" else father[1],
        date_of_birth=_recorded_date(rng, birth),
        sex=sex,
        origin_oblast=oblast,
        birth=birth,
    )


def registry(rng: random.Random, p: Pools, size: int) -> list[Child]:
    """``size`` children in families: most alone, some with brothers and sisters (twins too)."""
    children: list[Child] = []
    while len(children) < size:
        family, father = _pick(rng, p.family), _pick(rng, p.fathers)
        oblast = _pick(rng, p.oblasts)
        count = rng.choices([1, 2, 3, 4], weights=[70, 20, 7, 3])[0]
        first = _birth(rng)
        taken: set[str] = set()
        for n in range(count):
            # The first child's date, or a twin's; else a brother's or sister's own.
            birth = first if n == 0 or rng.random() < 0.15 else _birth(rng)
            child = _child(
                rng, p, len(children) + 1, family=family, father=father, oblast=oblast,
                birth=birth, taken=taken,
            )  # fmt: skip
            if rng.random() < 0.15:
                child = replace(child, aliases=(russified_full_name(child),))
            children.append(child)
    return children[:size]


# ---------------------------------------------------------------------------------------------
# Forms of a name
# ---------------------------------------------------------------------------------------------
_DICTS = default_dicts()
_RUSSIAN_LETTERS = str.maketrans({"і": "и", "І": "И", "ї": "и", "Ї": "И", "є": "е", "Є": "Е",
                                  "ґ": "г", "Ґ": "Г", "ʼ": "ь", "'": "ь"})  # fmt: skip


def russified(word: str, category: str) -> str:
    """The Russian rendering of a Ukrainian name word (Олексій → Алексей, Олійник → Олейник),
    from names_translator's dictionaries, else the letter changes a Russian clerk would make."""
    for candidate in _DICTS.lookup(word, category):
        if candidate != word:
            return str(candidate)
    return word.translate(_RUSSIAN_LETTERS)


def russified_full_name(child: Child) -> str:
    return " ".join(
        [
            russified(child.family_name, "last"),
            russified(child.given_name, "first"),
            russified(child.patronymic, "patronymic"),
        ]
    )


def _latin(word: str, schema: iuliia.Schema) -> str:
    text = schema.translate(word.lower())
    return text[:1].upper() + text[1:]


def render(child: Child, form: str) -> tuple[str, str, str]:
    """(given, family, patronymic) of ``child`` in a name form."""
    parts = (child.given_name, child.family_name, child.patronymic)
    if form == "cyrillic":
        return parts
    if form == "kmu2010":
        return tuple(str(translit(w, UkrainianKMU)) for w in parts)  # type: ignore[return-value]
    russian = (
        russified(child.given_name, "first"),
        russified(child.family_name, "last"),
        russified(child.patronymic, "patronymic"),
    )
    if form == "russified":
        return russian
    schema = RUSSIAN_SCHEMAS[form]
    return tuple(_latin(w, schema) for w in russian)  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------
QUERY_FIELDS = (
    "id", "form", "expected", "full_name", "given_name", "family_name", "patronymic",
    "date_of_birth", "sex", "origin_oblast",
)  # fmt: skip


def _full_name(
    rng: random.Random, given: str, family: str, patronymic: str, *, latin: bool, whole: bool
) -> str:
    """A full name in an order documents of its script use; the patronymic left out now and
    then unless ``whole``."""
    orders: list[tuple[str, ...]]
    if latin:
        orders = [
            (given, patronymic, family),
            (family.upper(), given, patronymic),
            (family, given, patronymic),
        ]
    else:
        orders = [(family, given, patronymic), (given, patronymic, family)]
    if not whole:
        orders.append((family, given) if rng.random() < 0.5 else (given, family))
    return " ".join(w for w in rng.choice(orders) if w)


def _swapped(birth: dt.date) -> str | None:
    if birth.day > 12 or birth.day == birth.month:
        return None
    return f"{birth.year:04d}-{birth.day:02d}-{birth.month:02d}"


def _approximate(rng: random.Random, birth: dt.date) -> str:
    if rng.random() < 0.3:  # the year misremembered, the day and month right
        year = birth.year + rng.choice([-1, 1])
        day = min(birth.day, 28)
        return f"{year:04d}-{birth.month:02d}-{day:02d}"
    shifted = birth + dt.timedelta(days=rng.choice([-1, 1]) * rng.randint(1, 20))
    return shifted.isoformat()


TYPO_SHARE = 0.1
_CYRILLIC_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_LATIN_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def typo(rng: random.Random, word: str) -> str:
    """``word`` with one slip of the keyboard past its first letter: a letter replaced, dropped,
    doubled, or two swapped. A word of three letters or fewer is left alone."""
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    cyrillic = any("\u0400" <= char <= "\u04ff" for char in word)
    kind = rng.choice(("replace", "drop", "double", "swap"))
    if kind == "replace":
        letter = rng.choice(_CYRILLIC_ALPHABET if cyrillic else _LATIN_ALPHABET)
        return word[:at] + letter + word[at + 1 :]
    if kind == "drop":
        return word[:at] + word[at + 1 :]
    if kind == "double":
        return word[: at + 1] + word[at:]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def query(
    rng: random.Random, p: Pools, child: Child, form: str, number: int, expected: str
) -> dict[str, str] | None:
    """One query for ``child`` in ``form``; None when the form does not apply (a swap of a
    date whose day is above 12)."""
    name_form = form if form in NAME_FORMS else rng.choice(("cyrillic", "kmu2010", "russified"))
    if form == "full_name_any_order":
        name_form = rng.choice(NAME_FORMS)
    given, family, patronymic = render(child, name_form)
    date_of_birth = child.birth.isoformat()
    if form == "surname_changed":
        family = _pick(rng, (RUSSIAN_FAMILY, [1.0] * len(RUSSIAN_FAMILY)))
        if child.sex == "F":
            family += "а"
        if name_form == "kmu2010":
            family = _latin(family, iuliia.ICAO_DOC_9303)
    elif form == "patronymic_missing":
        patronymic = ""
    elif form == "date_approximate":
        date_of_birth = _approximate(rng, child.birth)
    elif form == "date_swapped":
        swapped = _swapped(child.birth)
        if swapped is None:
            return None
        date_of_birth = swapped
    elif form == "date_year_only":
        date_of_birth = f"{child.birth.year:04d}"
    if rng.random() < TYPO_SHARE:  # a list typed by hand
        parts = [given, family, patronymic]
        typed = rng.choice([i for i, part in enumerate(parts) if part])
        parts[typed] = typo(rng, parts[typed])
        given, family, patronymic = parts
    row = dict.fromkeys(QUERY_FIELDS, "")
    row.update(id=f"Q{number:05d}", form=form, expected=expected, date_of_birth=date_of_birth)
    latin = name_form not in ("cyrillic", "russified")
    if form == "full_name_any_order":
        words = [w for w in (given, family, patronymic) if w]
        rng.shuffle(words)
        row["full_name"] = " ".join(words)
    elif rng.random() < 0.5:
        row["full_name"] = _full_name(
            rng, given, family, patronymic, latin=latin, whole=form == "surname_changed"
        )
    else:
        row.update(given_name=given, family_name=family, patronymic=patronymic)
    if rng.random() < 0.7:
        row["sex"] = child.sex
    if rng.random() < 0.4:
        row["origin_oblast"] = child.origin_oblast
    return row


def absent_child(rng: random.Random, p: Pools, children: list[Child], number: int) -> Child:
    """A child who is not in the registry: a stranger drawn from the same name pools, or a
    brother or sister of a registry child (same family name, patronymic and oblast)."""
    if rng.random() < 0.35:
        sibling = rng.choice(children)
        father = next(f for f in p.fathers[0] if sibling.patronymic in f)
        family, oblast = sibling.family_name, sibling.origin_oblast
        taken = {c.given_name for c in children if c.family_name == family
                 and c.patronymic in father}  # fmt: skip
    else:
        family, father, oblast = _pick(rng, p.family), _pick(rng, p.fathers), _pick(rng, p.oblasts)
        taken = set()
    return _child(
        rng, p, number, family=family, father=father, oblast=oblast, birth=_birth(rng), taken=taken
    )


def queries(rng: random.Random, p: Pools, children: list[Child]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for form in FORMS:
        made = 0
        while made < QUERIES_PER_FORM:
            child = rng.choice(children)
            row = query(rng, p, child, form, len(rows) + 1, child.id)
            if row is not None:
                rows.append(row)
                made += 1
    known = {(c.given_name, c.family_name, c.patronymic, c.birth) for c in children}
    made = 0
    while made < ABSENT_QUERIES:
        stranger = absent_child(rng, p, children, 90_000 + made)
        if (stranger.given_name, stranger.family_name, stranger.patronymic,
                stranger.birth) in known:  # fmt: skip
            continue
        form = rng.choice(FORMS)
        row = query(rng, p, stranger, form, len(rows) + 1, "")
        if row is not None:
            row["form"] = f"absent/{form}"
            rows.append(row)
            made += 1
    return rows


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------
REGISTRY_FIELDS = (
    "id", "given_name", "family_name", "patronymic", "date_of_birth", "sex", "origin_oblast",
    "aliases",
)  # fmt: skip


def _csv(fields: Sequence[str], rows: Sequence[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def generate(seed: int = SEED) -> dict[str, str]:
    """The set's files, by name, as text."""
    rng = random.Random(seed)
    p = pools()
    children = registry(rng, p, REGISTRY_SIZE)
    registry_rows = [
        {
            "id": c.id,
            "given_name": c.given_name,
            "family_name": c.family_name,
            "patronymic": c.patronymic,
            "date_of_birth": c.date_of_birth,
            "sex": c.sex,
            "origin_oblast": c.origin_oblast,
            "aliases": "|".join(c.aliases),
        }
        for c in children
    ]
    return {
        "registry.csv": _csv(REGISTRY_FIELDS, registry_rows),
        "queries.csv": _csv(QUERY_FIELDS, queries(rng, p, children)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    args = parser.parse_args()
    files = generate()
    if args.check:
        stale = [n for n, t in files.items() if (DATA / n).read_text(encoding="utf-8") != t]
        print("stale: " + ", ".join(stale) if stale else "up to date")
        return 1 if stale else 0
    DATA.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (DATA / name).write_text(text, encoding="utf-8")
        print(f"wrote {DATA.relative_to(ROOT) / name}: {text.count(chr(10)) - 1} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

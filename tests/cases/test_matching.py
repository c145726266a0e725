"""Identity matching (``cases.matching``): reading descriptions, the script-independent keys of
names, and the scorer's bands and reasons. All names and dates are synthetic."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import matching
from cases.matching import DateOfBirth, Description, description_from, name_keys, score

# ---------------------------------------------------------------------------------------------
# Dates of birth
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "precision"),
    [
        ("2012", DateOfBirth(2012), "year"),
        ("2012-03", DateOfBirth(2012, 3), "month"),
        ("2012-03-05", DateOfBirth(2012, 3, 5), "day"),
        (" 2012-03-05 ", DateOfBirth(2012, 3, 5), "day"),
        (dt.date(2012, 3, 5), DateOfBirth(2012, 3, 5), "day"),
    ],
)
def test_description_from_reads_date_of_birth_with_precision(
    value: str | dt.date, expected: DateOfBirth, precision: str
) -> None:
    description = description_from(date_of_birth=value)
    assert description.date_of_birth == expected
    assert description.date_of_birth.precision == precision


@pytest.mark.parametrize(
    "value", ["12", "2012-3-5", "05.03.2012", "2012-13", "2012-02-30", "2012/03", "abcd"]
)
def test_description_from_rejects_other_dates_naming_the_field(value: str) -> None:
    with pytest.raises(ValueError, match="date_of_birth"):
        description_from(date_of_birth=value)


def test_description_from_reads_sex_and_oblast() -> None:
    description = description_from(sex="f", origin_oblast="ua-14")
    assert (description.sex, description.origin_oblast) == ("F", "UA-14")
    with pytest.raises(ValueError, match="sex"):
        description_from(sex="X")
    with pytest.raises(ValueError, match="origin_oblast"):
        description_from(origin_oblast="Donetsk")


# ---------------------------------------------------------------------------------------------
# Full names in any order and script
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full_name", "given", "family", "patronymic"),
    [
        ("Коваленко Олексій Сергійович", "Олексій", "Коваленко", "Сергійович"),
        ("Олексій Сергійович Коваленко", "Олексій", "Коваленко", "Сергійович"),
        ("Олексій Коваленко", "Олексій", "Коваленко", None),
        ("Коваленко Олексій", "Олексій", "Коваленко", None),
        ("Коваленко Алексей Сергеевич", "Алексей", "Коваленко", "Сергеевич"),
        ("Шевченко Наталья Петровна", "Наталья", "Шевченко", "Петровна"),
        ("KOVALENKO Aleksei Sergeevich", "Aleksei", "KOVALENKO", "Sergeevich"),
        ("Oleksii Serhiiovych Kovalenko", "Oleksii", "Kovalenko", "Serhiiovych"),
        ("Kovalenko Oleksii", "Oleksii", "Kovalenko", None),
        ("Natalya Shevchenko", "Natalya", "Shevchenko", None),
        ("Shevchenko Nataliia Petrivna", "Nataliia", "Shevchenko", "Petrivna"),
        ("HNATIUK Yuliia", "Yuliia", "HNATIUK", None),
    ],
)
def test_description_from_splits_full_name_in_any_order_and_script(
    full_name: str, given: str, family: str, patronymic: str | None
) -> None:
    description = description_from(full_name=full_name)
    assert (description.given_name, description.family_name, description.patronymic) == (
        given,
        family,
        patronymic,
    )


def test_description_from_explicit_parts_win_over_full_name() -> None:
    description = description_from(full_name="Коваленко Олексій", family_name="Петренко")
    assert (description.given_name, description.family_name) == ("Олексій", "Петренко")


# ---------------------------------------------------------------------------------------------
# Keys meet across scripts and romanizations
# ---------------------------------------------------------------------------------------------

SPELLINGS = [
    # (role, Ukrainian, other spellings: Russified, KMU 2010, ISO 9, BGN/PCGN, passport-style)
    (
        "given",
        "Олексій",
        ["Алексей", "Oleksii", "Aleksei", "Alexey", "Aleksej", "Aleksey", "OLEKSII"],
    ),
    ("given", "Наталія", ["Наталья", "Natalia", "Natalya", "Nataliia", "Natalʹâ", "Natal'ya"]),
    ("given", "Юлія", ["Юлия", "Yuliia", "Yulia", "Julija", "Yuliya"]),
    ("given", "Євген", ["Евгений", "Yevhen", "Evgenii", "Evgeniy", "Yevgeniy", "Evgenij"]),
    ("given", "Андрій", ["Андрей", "Andrii", "Andrey", "Andrej", "Andrei"]),
    ("given", "Ганна", ["Анна", "Hanna", "Anna"]),
    ("given", "Михайло", ["Михаил", "Mykhailo", "Mikhail", "Mihail", "Mykhaylo"]),
    (
        "patronymic",
        "Сергійович",
        ["Сергеевич", "Serhiiovych", "Sergeevich", "Sergeyevich", "Sergeevič"],
    ),
    ("patronymic", "Олександрівна", ["Александровна", "Oleksandrivna", "Aleksandrovna"]),
    ("family", "Коваленко", ["KOVALENKO", "Kovalenko", "Kowalenko"]),
    ("family", "Щербак", ["Shcherbak", "Ŝerbak", "Scherbak", "SHCHERBAK"]),
    ("family", "Гнатюк", ["Hnatiuk", "Gnatyuk", "Gnatûk", "Gnatiuk"]),
    ("family", "Цибуля", ["Tsybulia", "Cibulja", "Tsibulya", "Tsybulya"]),
    ("family", "Жук", ["Zhuk", "Žuk"]),
    ("family", "Хоменко", ["Khomenko", "Homenko"]),
]


def _description(role: str, name: str) -> Description:
    if role == "given":
        return Description(given_name=name)
    if role == "family":
        return Description(family_name=name)
    return Description(patronymic=name)


@pytest.mark.parametrize(
    ("role", "ukrainian", "other"),
    [(role, ukrainian, other) for role, ukrainian, others in SPELLINGS for other in others],
)
def test_name_keys_meet_across_scripts_and_romanizations(
    role: str, ukrainian: str, other: str
) -> None:
    registry_keys = name_keys(_description(role, ukrainian))
    query_keys = name_keys(_description(role, other))
    assert registry_keys & query_keys, (ukrainian, other, sorted(registry_keys), sorted(query_keys))


def test_name_keys_carry_the_role_as_prefix() -> None:
    keys = name_keys(description_from(full_name="Коваленко Олексій Сергійович"))
    assert {key[:2] for key in keys} == {"g:", "f:", "p:"}
    assert "g:lks" in keys
    assert "f:kvlnk" in keys
    assert "p:srgvc" in keys


def test_name_keys_keep_different_names_apart() -> None:
    assert not name_keys(Description(given_name="Олексій")) & name_keys(
        Description(given_name="Іван")
    )
    assert not name_keys(Description(family_name="Коваленко")) & name_keys(
        Description(family_name="Шевченко")
    )


# ---------------------------------------------------------------------------------------------
# Scores, bands and reasons
# ---------------------------------------------------------------------------------------------

REGISTRY_CHILD = description_from(
    full_name="Коваленко Олексій Сергійович",
    date_of_birth="2012-03-05",
    sex="M",
    origin_oblast="UA-14",
)


@pytest.mark.parametrize(
    "query",
    [
        {"full_name": "KOVALENKO Aleksei Sergeevich", "date_of_birth": "2012-03-05", "sex": "M"},
        {"full_name": "Коваленко Алексей Сергеевич", "date_of_birth": "2012-03-05"},
        {
            "full_name": "Oleksii Serhiiovych Kovalenko",
            "date_of_birth": "2012-03-05",
            "origin_oblast": "UA-14",
        },
        {"given_name": "Alexey", "family_name": "Kovalenko", "date_of_birth": "2012-03-05"},
    ],
)
def test_score_same_child_in_another_script_is_likely(query: dict[str, str]) -> None:
    match = score(description_from(**query), REGISTRY_CHILD)
    assert match.band == "likely", match
    assert match.score >= matching.LIKELY_THRESHOLD
    assert (
        matching.GIVEN_NAME_EQUAL_TRANSLITERATED in match.reasons
        or matching.GIVEN_NAME_EQUAL in match.reasons
    )


def test_score_reasons_name_transliteration() -> None:
    match = score(
        description_from(full_name="KOVALENKO Aleksei Sergeevich", date_of_birth="2012-03-05"),
        REGISTRY_CHILD,
    )
    assert match.reasons[:4] == (
        matching.GIVEN_NAME_EQUAL_TRANSLITERATED,
        matching.FAMILY_NAME_EQUAL_TRANSLITERATED,
        matching.PATRONYMIC_EQUAL_TRANSLITERATED,
        matching.DATE_OF_BIRTH_EQUAL,
    )


@pytest.mark.parametrize("family_name", ["Петренко", "Petrov", "Иванов"])
def test_score_adopted_child_with_new_surname_is_at_least_possible(family_name: str) -> None:
    query = description_from(
        given_name="Алексей",
        patronymic="Сергеевич",
        family_name=family_name,
        date_of_birth="2012-03-05",
    )
    match = score(query, REGISTRY_CHILD)
    assert match.band == "possible", match
    assert matching.FAMILY_NAME_DIFFERS in match.reasons


def test_score_different_child_with_common_surname_is_not_likely() -> None:
    other = description_from(
        full_name="Коваленко Іван Петрович", date_of_birth="2009-07-01", sex="M"
    )
    match = score(other, REGISTRY_CHILD)
    assert match.band is None, match
    assert matching.DATE_OF_BIRTH_DIFFERS in match.reasons


def test_score_same_name_but_date_years_apart_is_not_likely() -> None:
    other = description_from(full_name="Коваленко Олексій Сергійович", date_of_birth="2008-03-05")
    assert score(other, REGISTRY_CHILD).band != "likely"


def test_score_twin_with_different_given_name_is_not_likely() -> None:
    twin = description_from(
        full_name="Коваленко Андрій Сергійович", date_of_birth="2012-03-05", sex="M"
    )
    assert score(twin, REGISTRY_CHILD).band != "likely"


def test_score_year_only_date_agrees_with_any_date_that_year() -> None:
    query = description_from(full_name="Kovalenko Oleksii", date_of_birth="2012")
    match = score(query, REGISTRY_CHILD)
    assert match.band == "likely", match
    assert matching.DATE_OF_BIRTH_YEAR_ONLY in match.reasons


def test_score_swapped_day_and_month_is_near() -> None:
    exact = score(
        description_from(full_name="Kovalenko Oleksii", date_of_birth="2012-03-05"), REGISTRY_CHILD
    )
    swapped = score(
        description_from(full_name="Kovalenko Oleksii", date_of_birth="2012-05-03"), REGISTRY_CHILD
    )
    far = score(
        description_from(full_name="Kovalenko Oleksii", date_of_birth="2012-11-20"), REGISTRY_CHILD
    )
    assert matching.DATE_OF_BIRTH_SWAPPED in swapped.reasons
    assert exact.score > swapped.score > far.score
    assert swapped.band == "likely"


def test_score_one_year_apart_is_partial() -> None:
    match = score(
        description_from(full_name="Kovalenko Oleksii", date_of_birth="2013-03-05"), REGISTRY_CHILD
    )
    assert matching.DATE_OF_BIRTH_ONE_YEAR_APART in match.reasons
    assert match.band != "likely"


def test_score_sex_conflict_lowers() -> None:
    same = score(
        description_from(full_name="Kovalenko Oleksii", date_of_birth="2012-03-05", sex="M"),
        REGISTRY_CHILD,
    )
    conflict = score(
        description_from(full_name="Kovalenko Oleksii", date_of_birth="2012-03-05", sex="F"),
        REGISTRY_CHILD,
    )
    assert conflict.score < same.score
    assert conflict.band != "likely"
    assert matching.SEX_DIFFERS in conflict.reasons


def test_score_oblast_conflict_lowers() -> None:
    same = score(
        description_from(
            full_name="Kovalenko Oleksii", date_of_birth="2012-03-05", origin_oblast="UA-14"
        ),
        REGISTRY_CHILD,
    )
    other = score(
        description_from(
            full_name="Kovalenko Oleksii", date_of_birth="2012-03-05", origin_oblast="UA-65"
        ),
        REGISTRY_CHILD,
    )
    assert other.score < same.score
    assert matching.OBLAST_DIFFERS in other.reasons


def test_score_name_alone_is_not_likely() -> None:
    assert score(Description(given_name="Олексій"), REGISTRY_CHILD).band is None
    assert score(description_from(full_name="Oleksii Kovalenko"), REGISTRY_CHILD).band != "likely"


def test_score_reasons_come_from_the_fixed_vocabulary() -> None:
    vocabulary = {
        value for name, value in vars(matching).items() if name.isupper() and isinstance(value, str)
    }
    queries = [
        {
            "full_name": "Kovalenko Oleksii Serhiiovych",
            "date_of_birth": "2012-05-03",
            "sex": "F",
            "origin_oblast": "UA-65",
        },
        {"full_name": "Kovalenko Olexiy", "date_of_birth": "2012-03"},
        {"full_name": "Petrenko Ivan", "date_of_birth": "2012-03-09"},
    ]
    for query in queries:
        assert set(score(description_from(**query), REGISTRY_CHILD).reasons) <= vocabulary

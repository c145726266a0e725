"""Names across scripts (``cases.names``) and the reads built on them (``cases.selectors``):
the KMU 2010 Latin forms, folding, search keys with Russified spellings, search and timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cases import names, selectors, services
from cases.models import Case
from cases.workflow import Status
from tests.factories.cases import make_case, make_whereabouts, move_case

# ---------------------------------------------------------------------------------------------
# KMU 2010 (Cabinet of Ministers resolution No. 55): the resolution's own examples
# ---------------------------------------------------------------------------------------------
KMU_EXAMPLES = [
    ("Алушта", "Alushta"),
    ("Борщагівка", "Borshchahivka"),
    ("Вінниця", "Vinnytsia"),
    ("Гадяч", "Hadiach"),
    ("Згорани", "Zghorany"),
    ("Ґалаґан", "Galagan"),
    ("Ґорґани", "Gorgany"),
    ("Дон", "Don"),
    ("Рівне", "Rivne"),
    ("Єнакієве", "Yenakiieve"),
    ("Гаєвич", "Haievych"),
    ("Коропʼє", "Koropie"),
    ("Житомир", "Zhytomyr"),
    ("Закарпаття", "Zakarpattia"),
    ("Медвин", "Medvyn"),
    ("Іршава", "Irshava"),
    ("Їжакевич", "Yizhakevych"),
    ("Кадіївка", "Kadiivka"),
    ("Йосипівка", "Yosypivka"),
    ("Стрий", "Stryi"),
    ("Олексій", "Oleksii"),
    ("Київ", "Kyiv"),
    ("Лебедин", "Lebedyn"),
    ("Миколаїв", "Mykolaiv"),
    ("Ніжин", "Nizhyn"),
    ("Одеса", "Odesa"),
    ("Полтава", "Poltava"),
    ("Ромни", "Romny"),
    ("Суми", "Sumy"),
    ("Тетерів", "Teteriv"),
    ("Ужгород", "Uzhhorod"),
    ("Фастів", "Fastiv"),
    ("Харків", "Kharkiv"),
    ("Біла Церква", "Bila Tserkva"),
    ("Чернівці", "Chernivtsi"),
    ("Шостка", "Shostka"),
    ("Гоща", "Hoshcha"),
    ("Щербухи", "Shcherbukhy"),
    ("Юрій", "Yurii"),
    ("Корюківка", "Koriukivka"),
    ("Яготин", "Yahotyn"),
    ("Костянтин", "Kostiantyn"),
    ("Знамʼянка", "Znamianka"),
    ("Феодосія", "Feodosiia"),
    ("Розгон", "Rozghon"),
    ("Згурський", "Zghurskyi"),
    ("Львів", "Lviv"),  # the soft sign is dropped
]


@pytest.mark.parametrize(("cyrillic", "latin"), KMU_EXAMPLES)
def test_latin_kmu_follows_the_resolutions_examples(cyrillic, latin):
    assert names.latin_kmu(cyrillic) == latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Жанна", "Zhanna"),  # ж → zh
        ("Хома", "Khoma"),  # х → kh
        ("Цвях", "Tsviakh"),  # ц → ts, я inside → ia
        ("Чорний", "Chornyi"),  # ч → ch, й at the end → i
        ("Шевченко", "Shevchenko"),  # ш → sh
        ("Ющенко", "Yushchenko"),  # ю at the start → yu, щ → shch
        ("Гаврилюк", "Havryliuk"),  # ю inside → iu
        ("Яна", "Yana"),  # я at the start → ya
        ("Марія", "Mariia"),  # я inside → ia
        ("Євгенія", "Yevheniia"),  # є at the start → ye
        ("Олексієнко", "Oleksiienko"),  # є inside → ie
        ("Їжак", "Yizhak"),  # ї at the start → yi
        ("Руїна", "Ruina"),  # ї inside → i
        ("Йосип", "Yosyp"),  # й at the start → y
        ("Андрій", "Andrii"),  # й inside → i
        ("Згурський", "Zghurskyi"),  # зг → zgh
        ("Зґура", "Zgura"),  # зґ stays zg: only зг is special
        ("Гнат", "Hnat"),  # г → h
        ("Ґудзь", "Gudz"),  # ґ → g, ь dropped
        ("Марʼяна", "Mariana"),  # the apostrophe is dropped
        ("Мар'яна", "Mariana"),  # whichever apostrophe was typed
        ("Пʼятниця", "Piatnytsia"),
        ("Анна-Марія", "Anna-Mariia"),
        ("ЯРОСЛАВ", "YAROSLAV"),
    ],
)
def test_latin_kmu_letters(cyrillic, latin):
    assert names.latin_kmu(cyrillic) == latin


def test_latin_kmu_empty_stays_empty():
    assert names.latin_kmu("") == ""
    assert names.latin_kmu("   ") == ""


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Марʼяна  ", "Марʼяна"),
        ("Мар'яна", "Марʼяна"),
        ("Мар’яна", "Марʼяна"),
        ("Мар`яна", "Марʼяна"),
        ("Анна   Марія", "Анна Марія"),
        ("Йосип", "Йосип"),  # decomposed й (и + breve) is composed again
    ],
)
def test_clean_name(raw, clean):
    assert names.clean_name(raw) == clean


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("Згурський", True),
        ("Анна-Марія", True),
        ("Марʼяна", True),
        ("Ґанна Їжак", True),
        ("Zghurskyi", False),
        ("Эдуард", False),
        ("Алёна", False),
        ("Подъячев", False),
        ("Ыгорь", False),
        ("Юрій1", False),
        ("", False),
        ("-", False),  # punctuation alone is not a name
        ("ʼ", False),
        (" - ", False),
    ],
)
def test_is_ukrainian_cyrillic(value, ok):
    assert names.is_ukrainian_cyrillic(value) is ok


# ---------------------------------------------------------------------------------------------
# Folding and query terms
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "folded"),
    [
        ("Ševčenko", "sevcenko"),
        ("ŠEVČENKO", "sevcenko"),
        ("Zoë Müller", "zoe muller"),
        ("Łukasz", "łukasz"),  # ł is a letter of its own, not l with a mark
        ("Шевченко", "шевченко"),
        ("Йосип", "йосип"),  # й keeps its breve
        ("Їжак", "їжак"),  # ї keeps its dots
        ("Марʼяна", "маряна"),
        ("Mar'iana", "mariana"),
        ("  Олег   ", "олег"),
    ],
)
def test_fold(value, folded):
    assert names.fold(value) == folded


def test_fold_keeps_ukrainian_letters_distinct():
    assert names.fold("Йосип") != names.fold("Иосип")
    assert names.fold("Їжак") != names.fold("Іжак")


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("Ševčenko  Олекс'андр ", ["sevcenko", "олександр"]),
        ("Shevchenko, Oleksandr", ["shevchenko", "oleksandr"]),
        ("Анна-Марія", ["анна-марія"]),
        ("  ", []),
        ("?!,.", []),
    ],
)
def test_query_terms(query, terms):
    assert names.query_terms(query) == terms


def test_search_text_holds_every_spelling_including_russified():
    keys = set(names.search_text(["Олександр", "Шевченко", "Наталія"]).split())
    assert {"олександр", "oleksandr", "александр", "aleksandr"} <= keys
    assert {"шевченко", "shevchenko", "sevcenko"} <= keys
    assert {"наталія", "nataliia", "наталья", "natalya"} <= keys


@pytest.mark.parametrize(
    ("ukrainian", "russified"),
    [
        ("Олександр", "александр"),
        ("Андрій", "андрей"),
        ("Дмитро", "дмитрий"),
        ("Микола", "николай"),
        ("Олена", "елена"),
        ("Тетяна", "татьяна"),
        ("Михайло", "михаил"),
        ("Іван", "иван"),
        ("Ірина", "ирина"),
    ],
)
def test_spellings_of_include_the_russified_form(ukrainian, russified):
    spellings = names.spellings_of(ukrainian)
    assert russified in spellings
    assert names.fold(names.latin_kmu(ukrainian)) in spellings


def test_search_text_splits_words_and_is_sorted_and_unique():
    text = names.search_text(["Анна Марія", "Анна"])
    words = text.split()
    assert words == sorted(set(words))
    assert "анна" in words
    assert "марія" in words


def test_spellings_of_latin_alias_is_folded_as_is():
    assert names.spellings_of("Ševčenko") == frozenset({"sevcenko"})


# ---------------------------------------------------------------------------------------------
# case_search
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def people(db: None) -> dict[str, Case]:
    shevchenko = make_case(
        child={
            "given_name": "Олександр",
            "family_name": "Шевченко",
            "patronymic": "Петрович",
            "sex": "male",
        }
    )
    kovalchuk = make_case(
        child={"given_name": "Марʼяна", "family_name": "Ковальчук", "patronymic": "Іванівна"}
    )
    bondarenko = make_case(
        child={"given_name": "Дмитро", "family_name": "Бондаренко", "sex": "male"},
        aliases=[{"name": "Дмитрий Бондаренков", "kind": "changed", "seen_in": "synthetic"}],
    )
    return {"shevchenko": shevchenko, "kovalchuk": kovalchuk, "bondarenko": bondarenko}


def found(query: str) -> set[str]:
    cases = selectors.case_search(Case.objects.all(), query)
    return {case.child.family_name_latin for case in cases.select_related("child")}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Шевченко", {"Shevchenko"}),  # Cyrillic
        ("шевченко", {"Shevchenko"}),
        ("Shevchenko", {"Shevchenko"}),  # KMU Latin
        ("SHEVCHENKO", {"Shevchenko"}),
        ("Ševčenko", {"Shevchenko"}),  # scholarly Latin with diacritics
        ("Олександр", {"Shevchenko"}),
        ("Oleksandr", {"Shevchenko"}),
        ("Александр", {"Shevchenko"}),  # Russified
        ("Aleksandr", {"Shevchenko"}),  # Russified, in Latin
        ("Шевченко Олександр", {"Shevchenko"}),  # several words: all must match
        ("Aleksandr Shevchenko", {"Shevchenko"}),
        ("Шевченко Марʼяна", set()),
        ("Марʼяна", {"Kovalchuk"}),
        ("Мар'яна", {"Kovalchuk"}),  # any apostrophe
        ("Марьяна", {"Kovalchuk"}),  # Russified spelling of the name
        ("Mariana Kovalchuk", {"Kovalchuk"}),
        ("Kowaltschuk", {"Kovalchuk"}),  # German spelling
        ("Бондаренков", {"Bondarenko"}),  # the alias, as recorded
        ("Bondarenkov", {"Bondarenko"}),  # the alias, in Latin
        ("Дмитрий", {"Bondarenko"}),
        ("Dmytro", {"Bondarenko"}),
        ("Шевч", {"Shevchenko"}),  # prefix while typing
        ("Петрович", {"Shevchenko"}),  # patronymic
        ("Smith", set()),
        ("?!", set()),
    ],
)
def test_case_search_by_any_spelling(people, query, expected):
    assert found(query) == expected


def test_case_search_empty_query_returns_everything(people):
    assert found("") == {"Shevchenko", "Kovalchuk", "Bondarenko"}
    assert found("   ") == {"Shevchenko", "Kovalchuk", "Bondarenko"}


def test_case_search_by_case_number_prefix(people):
    number = people["kovalchuk"].number  # e.g. UA-2026-000002
    assert found(number) == {"Kovalchuk"}
    assert found(number.lower()) == {"Kovalchuk"}
    assert found(number[:8]) == {"Shevchenko", "Kovalchuk", "Bondarenko"}  # "UA-2026-"
    assert found(number[:7]) == {"Shevchenko", "Kovalchuk", "Bondarenko"}  # "UA-2026"
    assert found(number[:-1]) == {"Shevchenko", "Kovalchuk", "Bondarenko"}
    assert found("UA-1999-") == set()


def test_case_search_follows_alias_changes(people):
    case = people["kovalchuk"]
    assert found("Зубкова") == set()
    alias = services.child_alias_add(
        child=case.child, actor=None, name="Зубкова Мария", kind="changed"
    )
    assert found("Зубкова") == {"Kovalchuk"}
    assert found("Zubkova Mariia") == {"Kovalchuk"}
    services.child_alias_remove(alias=alias, actor=None)
    assert found("Зубкова") == set()


def test_children_search(people):
    assert {c.family_name_latin for c in selectors.children_search(query="Aleksandr")} == {
        "Shevchenko"
    }
    assert list(selectors.children_search(query="  ")) == []


# ---------------------------------------------------------------------------------------------
# case_timeline
# ---------------------------------------------------------------------------------------------
def _rich_history(case: Case, user: Any, size: int) -> None:
    for i in range(size):
        make_whereabouts(case, actor=user, from_date=dt.date(2022, 7, 1) + dt.timedelta(days=i))
        services.service_create(
            case=case,
            actor=user,
            data={"kind": "medical", "status": "active", "started_on": dt.date(2024, 2, 1 + i)},
        )
        services.follow_up_create(case=case, actor=user, due_on=dt.date(2024, 8, 1 + i))


@pytest.mark.django_db
def test_case_timeline_is_ordered_oldest_first(user, django_capture_on_commit_callbacks):
    case = make_case(actor=user)
    make_whereabouts(case, actor=user, from_date=dt.date(2022, 7, 1))
    with django_capture_on_commit_callbacks(execute=True):
        move_case(
            case, "verifying", "searching", "located", "return_in_progress", "returned", actor=user
        )
    services.service_create(
        case=case,
        actor=user,
        data={"kind": "psychological", "status": "active", "started_on": dt.date(2024, 1, 20)},
    )
    timeline = selectors.case_timeline(case=case)
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    kinds = [e.kind for e in timeline]
    assert kinds.count("status_change") == 6
    assert kinds.count("follow_up") == 3
    assert kinds.count("whereabouts") == 1
    assert kinds.count("service") == 1
    assert kinds[0] == "whereabouts"  # 2022, before any status change made today
    changes = [e for e in timeline if e.kind == "status_change"]
    assert [e.details["to_status"] for e in changes] == [
        "reported",
        "verifying",
        "searching",
        "located",
        "return_in_progress",
        "returned",
    ]
    # The whereabouts recorded between opening and the first move took version 2.
    assert [e.details["case_version"] for e in changes] == [1, 3, 4, 5, 6, 7]
    assert all(e.actor == user.get_username() for e in changes)
    follow_ups = [e for e in timeline if e.kind == "follow_up"]
    assert [e.details["days_after_return"] for e in follow_ups] == [30, 90, 180]


@pytest.mark.django_db
def test_case_timeline_query_count_is_constant(user, django_assert_num_queries):
    small = make_case(actor=user)
    _rich_history(small, user, 1)
    big = make_case(actor=user)
    move_case(big, Status.VERIFYING, Status.SEARCHING, Status.LOCATED, actor=user)
    _rich_history(big, user, 12)
    with django_assert_num_queries(4):
        small_timeline = selectors.case_timeline(case=small)
    with django_assert_num_queries(4):
        big_timeline = selectors.case_timeline(case=big)
    assert len(small_timeline) == 1 + 3
    assert len(big_timeline) == 4 + 3 * 12


@pytest.mark.django_db
def test_case_timeline_only_holds_its_own_case(user):
    first = make_case(actor=user)
    second = make_case(actor=user)
    make_whereabouts(second, actor=user)
    timeline = selectors.case_timeline(case=first)
    assert [e.kind for e in timeline] == ["status_change"]


def test_the_russified_names_are_turned_round_once_when_two_threads_ask_at_once(
    monkeypatch: pytest.MonkeyPatch,
):
    """The import checks its rules on one thread while another draws candidates, and both
    need the Russified names: the dictionaries are read once, and both get the same forms."""
    import threading
    import time

    from names_translator.dicts import default_dicts

    dicts = default_dicts()
    original = type(dicts).as_dict
    reads: list[str] = []

    def slow(self: Any, pool: str) -> dict[str, list[str]]:
        reads.append(pool)
        time.sleep(0.05)  # long enough for the other thread to ask meanwhile
        return original(self, pool)

    monkeypatch.setattr(type(dicts), "as_dict", slow)
    monkeypatch.setattr(names, "_russified", None)
    found: list[tuple[str, ...]] = []
    threads = [
        threading.Thread(
            target=lambda: found.append(names.ukrainian_of_russified("Алексей", "first"))
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert sorted(reads) == sorted(names.RUSSIFIED_POOLS)
    assert found[0] == found[1]
    assert "олексій" in found[0]

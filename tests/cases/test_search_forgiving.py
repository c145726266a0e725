"""Search that forgives: Г and Ґ, Е and Є, И and І, Ї and І, every apostrophe, Russified forms
and bare case numbers meet, each pair both ways, in the admin's list and in the API alike."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps

from cases import names, selectors, services
from cases.models import Case, Child
from tests.cases.admin_pages import changelist_url
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases/"

Search = Callable[[str], set[str]]


@pytest.fixture(params=["admin", "api"])
def search(request: Any, admin_client: Any, api_client: Any) -> Search:
    """The case numbers one door lists for a query: the admin's list or the API's."""

    def admin(query: str) -> set[str]:
        response = admin_client.get(changelist_url(), {"q": query})
        assert response.status_code == 200
        return {case.number for case in response.context["cl"].result_list}

    def api(query: str) -> set[str]:
        response = api_client.get(CASES, {"search": query})
        assert response.status_code == 200, response.content
        return {row["number"] for row in response.json()["results"]}

    return admin if request.param == "admin" else api


def _child(family: str, given: str, patronymic: str = "") -> Case:
    return make_case(child={"family_name": family, "given_name": given, "patronymic": patronymic})


# (name as recorded, name as typed): each pair of letters both ways.
LETTER_PAIRS = [
    ("Ґалаган", "Галаган"),
    ("Гнатюк", "Ґнатюк"),
    ("Єременко", "Еременко"),
    ("Пенцак", "Пєнцак"),
    ("Кирильченко", "Кірільченко"),
    ("Зінчук", "Зинчук"),
    ("Їжаченко", "Іжаченко"),
    ("Ілюшко", "Їлюшко"),
]


@pytest.mark.parametrize(("recorded", "typed"), LETTER_PAIRS)
def test_search_forgives_letters_both_ways(search: Search, recorded: str, typed: str) -> None:
    wanted = _child(recorded, "Тарас")
    _child("Сидоренко", "Тарас")

    assert search(typed) == {wanted.number}
    assert search(f"{typed} Тарас") == {wanted.number}


@pytest.mark.parametrize("recorded", ["Марʼяна", "Мар'яна", "Мар’яна"])
@pytest.mark.parametrize("typed", ["Марʼяна", "Мар'яна", "Мар’яна", "Мар`яна", "Марьяна"])
def test_search_forgives_apostrophes(search: Search, recorded: str, typed: str) -> None:
    wanted = _child("Кулик", recorded)
    _child("Кулик", "Марина")

    assert search(typed) == {wanted.number}


@pytest.mark.parametrize(
    ("recorded", "typed"),
    [
        ("Олексій", "Алексей"),  # the Ukrainian record, a Russified search
        ("Олексій", "Aleksei"),
        ("Віктор", "Виктор"),
        ("Євген", "Евгений"),
    ],
)
def test_search_finds_ukrainian_names_by_russified_forms(
    search: Search, recorded: str, typed: str
) -> None:
    wanted = _child("Мороз", recorded)
    _child("Мороз", "Богдан")

    assert search(typed) == {wanted.number}


def test_search_finds_russified_aliases_by_ukrainian_forms(search: Search) -> None:
    """A child known only from a Russian listing ("Алексей Сергеевич") is found by the
    Ukrainian forms of the name ("Олексій Сергійович") too."""
    wanted = _child("Гуменюк", "Сашко")
    services.child_alias_add(
        child=wanted.child, actor=None, name="Алексей Сергеевич", kind="russified"
    )
    _child("Гуменюк", "Петро")

    assert search("Олексій") == {wanted.number}
    assert search("Гуменюк Сергійович") == {wanted.number}


@pytest.mark.parametrize(
    "typed",
    [
        "{number}",
        "{lower}",
        "{year}-{position}",
        "{year} {position}",
        "ua {year} {position}",
        "{year}{position}",
        "{position}",
        "{short}",
        "{year}-{short}",
    ],
)
def test_search_finds_a_case_number_typed_bare(search: Search, typed: str) -> None:
    first = _child("Лисенко", "Остап")
    _child("Лисенко", "Назар")
    _prefix, year, position = first.number.split("-")
    query = typed.format(
        number=first.number,
        lower=first.number.lower(),
        year=year,
        position=position,
        short=str(int(position)),
    )

    assert search(query) == {first.number}


def test_search_by_a_year_lists_that_years_cases(search: Search) -> None:
    cases = [_child("Лисенко", "Остап"), _child("Лисенко", "Назар")]
    year = cases[0].number.split("-")[1]

    assert search(year) == {case.number for case in cases}
    assert search("1999") == set()


def test_a_bare_case_number_is_kept_as_a_number_in_the_audit_trail() -> None:
    assert selectors.case_search_recorded("2026 000123") == {
        "kind": "case_number",
        "prefix": "2026 000123",
    }
    recorded = selectors.case_search_recorded("Галаган")
    assert recorded is not None
    assert recorded["kind"] == "name"


def test_search_form_merges_the_forgiven_letters_only() -> None:
    assert names.search_form("Ґ Є Ї И І") == names.search_form("г е і і і")
    assert names.search_form("Йосип") != names.search_form("Иосип")  # й keeps its breve
    assert names.search_form("Крылов") == names.search_form("Крилов")
    # Identity matching still tells the letters apart.
    assert names.fold("Ґалаган") != names.fold("Галаган")


def test_search_keys_recompute_migration_rewrites_old_keys() -> None:
    case = _child("Ґалаган", "Їжак")
    services.child_alias_add(child=case.child, actor=None, name="Алексей", kind="russified")
    expected = Child.objects.get(pk=case.child_id).search_text
    Child.objects.filter(pk=case.child_id).update(search_text="ґалаган їжак")
    migration = importlib.import_module("cases.migrations.0013_child_search_text_forgiving")

    migration.search_text_recompute(apps, None, batch_size=1)

    assert Child.objects.get(pk=case.child_id).search_text == expected
    assert {"галаган", "олексій"} <= set(expected.split())

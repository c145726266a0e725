"""A name search finds children through the words of their search keys
(``selectors.children_search``): on PostgreSQL through every word a child's keys have had
(``cases_child_search_word``, kept by a trigger, migration ``cases.0018``) and the index on the
keys' words; elsewhere by ``LIKE``. Either way the same children as ``LIKE '%term%'`` on the
keys, whichever way a child was written."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import names, selectors, services
from cases.models import Case, Child
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db

# Made-up names, so no synthetic child of another test can share a word with them.
FAMILIES = ("Вигаданчук", "Небувайленко", "Придуманенко", "Зоряновська")
GIVEN = ("Олекса", "Ярина", "Остап", "Мирослава")


@pytest.fixture
def registry(home: Any) -> list[Case]:
    return [
        make_case(child={"family_name": family, "given_name": given, "patronymic": ""})
        for family in FAMILIES
        for given in GIVEN
    ]


def _found(query: str) -> set[int]:
    return set(selectors.children_search(query=query).values_list("pk", flat=True))


def _like(query: str) -> set[int]:
    """The children whose keys contain every term of ``query``, read by ``LIKE``."""
    rows = Child.objects.all()
    for term in names.query_terms(query):
        rows = rows.filter(search_text__contains=term)
    return set(rows.values_list("pk", flat=True))


@pytest.mark.parametrize(
    "query",
    [
        "Вигаданчук",  # a whole word, as written
        "vyhadanchuk",  # its Latin form
        "енко",  # the end of two family names
        "lenk",  # inside a word, in Latin
        "придуман",  # the beginning of a word
        "ярина вигаданчук",  # two words, both needed
        "ос",  # two letters: shorter than a trigram
        "о",
        "небувайленко мирослава",
        "невідоменко",  # nobody
        "50%",  # LIKE's own characters are literal
        "a_b",
    ],
)
def test_search_finds_what_like_finds(registry: list[Case], query: str) -> None:
    assert _found(query) == _like(query)


def test_search_finds_a_fragment_inside_a_word(registry: list[Case]) -> None:
    found = _found("гаданч") & _found("danchu")
    assert found == {c.child_id for c in registry if c.child.family_name == "Вигаданчук"}


def test_search_follows_a_rename_to_a_word_never_seen(registry: list[Case]) -> None:
    child = registry[0].child
    services.child_update(child=child, actor=None, data={"family_name": "Щойновигаданий"})
    assert _found("щойновигадан") == {child.pk}
    assert _found("Щойновигаданий") == _like("Щойновигаданий") == {child.pk}
    # The old word may stay among the words known, but it no longer finds the child.
    assert child.pk not in _found("Вигаданчук")


def test_search_finds_children_written_in_bulk(home: Any) -> None:
    """A bulk insert (as imports and the synthetic loader write) and a queryset update, which
    bypass the model's save, are searchable at once."""
    keys = names.search_text(["Гуртовенко", "Северин"])
    [child] = Child.objects.bulk_create(
        [
            Child(
                given_name="Северин",
                family_name="Гуртовенко",
                date_of_birth_precision="estimated",
                search_text=keys,
            )
        ]
    )
    assert _found("гуртовен") == {child.pk}
    Child.objects.filter(pk=child.pk).update(
        family_name="Оновленко", search_text=names.search_text(["Оновленко", "Северин"])
    )
    assert _found("оновлен") == {child.pk}
    assert _found("гуртовен") == set()


@pytest.mark.postgres
def test_words_known_are_added_by_every_write(home: Any) -> None:
    keys = names.search_text(["Словотворенко"])
    Child.objects.bulk_create(
        [
            Child(
                given_name="Б",
                family_name="Словотворенко",
                date_of_birth_precision="estimated",
                search_text=keys,
            )
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT word FROM cases_child_search_word WHERE word = ANY(%s)",
            [keys.split()],
        )
        known = {word for (word,) in cursor.fetchall()}
    assert known == set(keys.split())


@pytest.mark.postgres
def test_search_reads_the_index_of_words(registry: list[Case]) -> None:
    """The children are found through the index on their keys' words, not by reading every
    child (the plan, with sequential scans priced out as on a registry of a million)."""
    query = selectors.children_search(query="Вигаданчук").values("pk")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "child_search_words_idx" in plan
    assert "Seq Scan on cases_child" not in plan


def test_page_ids_leave_the_joined_columns_out(registry: list[Case], api_client: Any) -> None:
    """A searched page's ids are read from the cases alone: the joins the row's columns need
    (child, organization, ...) are LEFT joins there, which PostgreSQL leaves out when nothing
    reads them, where an INNER join to the child cost a probe for every matching case."""
    with CaptureQueriesContext(connection) as ctx:
        response = api_client.get("/api/v1/cases/", {"search": "Вигаданчук", "page_size": 2})
    assert response.status_code == 200
    [page_sql] = [q["sql"] for q in ctx.captured_queries if " IN (SELECT " in q["sql"]]
    ids_sql = page_sql[page_sql.index(" IN (SELECT ") :]
    assert "INNER JOIN" not in ids_sql
    # The same cases as the whole search, newest first.
    assert [row["id"] for row in response.json()["results"]] == list(
        Case.objects.filter(child__family_name="Вигаданчук")
        .order_by("-updated_at", "-id")
        .values_list("pk", flat=True)[:2]
    )

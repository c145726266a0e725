"""A name search finds children, and cases, through the words of the children's search keys
(``selectors.children_search``, ``selectors.case_search``): on PostgreSQL through every word a
child's keys have had (``cases_child_search_word``), the index on the keys' words and the
words each case carries (``cases_case.search_words``), all kept by triggers (migration
``cases.0018``); elsewhere by ``LIKE``. Either way the same rows as ``LIKE '%term%'`` on the
keys, whichever way a child or a case was written."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
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
    with transaction.atomic(), connection.cursor() as cursor:
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


def _cases_found(query: str) -> set[int]:
    return set(selectors.case_search(Case.objects.all(), query).values_list("pk", flat=True))


def _cases_like(query: str) -> set[int]:
    return set(Case.objects.filter(child_id__in=_like(query)).values_list("pk", flat=True))


@pytest.mark.parametrize(
    "query",
    ["Вигаданчук", "vyhadanchuk", "енко", "lenk", "ярина вигаданчук", "ос", "невідоменко", "50%"],
)
def test_case_search_finds_what_like_finds(registry: list[Case], query: str) -> None:
    assert _cases_found(query) == _cases_like(query)


@pytest.mark.parametrize("limit", [selectors.SEARCH_ID_LIST_LIMIT, 3])
def test_case_search_past_the_limit_finds_the_same(
    registry: list[Case], monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    monkeypatch.setattr(selectors, "SEARCH_ID_LIST_LIMIT", limit)
    assert _cases_found("енко") == _cases_like("енко")
    assert _cases_found("ярина енко") == _cases_like("ярина енко")


def test_case_search_follows_the_child_renamed_and_merged(registry: list[Case]) -> None:
    case = registry[0]
    services.child_update(child=case.child, actor=None, data={"family_name": "Переназванчук"})
    assert _cases_found("переназванч") == {case.pk}
    assert case.pk not in _cases_found("Вигаданчук")
    # A case moved to another child takes that child's words.
    other = Child.objects.create(
        given_name="Ніна",
        family_name="Окремченко",
        date_of_birth_precision="estimated",
        search_text=names.search_text(["Ніна", "Окремченко"]),
    )
    Case.objects.filter(pk=case.pk).update(child=other)
    assert _cases_found("окремченко") == {case.pk}
    assert case.pk not in _cases_found("переназванч")


@pytest.mark.postgres
def test_a_case_written_before_its_child_takes_its_words(home: Any) -> None:
    """In one transaction a case may be written before its child (the foreign key is checked
    at commit): the child's words reach the case when the child is written."""
    template = make_case(child={"family_name": "Зразковенко"})
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('cases_child', 'id'))")
            (child_id,) = cursor.fetchone()
        case = Case.objects.get(pk=template.pk)
        case.pk = None
        case.number = "UA-2020-999999"
        case.status = "closed"
        case.closure_reason = "duplicate"
        case.child_id = child_id
        case.save(force_insert=True)
        child = Child.objects.get(pk=template.child_id)
        child.pk = child_id
        child.family_name = "Пізнозаписанчук"
        child.search_text = names.search_text([child.given_name, "Пізнозаписанчук"])
        child.save(force_insert=True)
    assert _cases_found("пізнозаписан") == {case.pk}


@pytest.mark.postgres
def test_case_words_written_in_bulk(home: Any, oblasts: Any) -> None:
    """Cases and children written by ``COPY`` (as the synthetic loader and imports write them)
    carry their words."""
    from demo.synthetic import synthetic_cases_generate

    synthetic_cases_generate(
        count=30, seed=5, progress=False, writers=1, organization_ids=[home.pk]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM cases_case c JOIN cases_child ch ON ch.id = c.child_id "
            "WHERE c.search_words IS DISTINCT FROM string_to_array(ch.search_text, ' ')"
        )
        (astray,) = cursor.fetchone()
    assert astray == 0
    assert Case.objects.count() >= 30


@pytest.mark.postgres
def test_case_words_are_quoted_constants(registry: list[Case]) -> None:
    """Words go into the statement as quoted constants: quotes and percent signs are words."""
    rows = Case.objects.filter(selectors.CaseWordsOverlap(["o'x", "50%", "a%%s"]))
    assert list(rows) == []
    assert Case.objects.filter(selectors.CaseWordsOverlap(["vyhadanchuk"])).count() == 4


@pytest.mark.postgres
def test_searched_page_reads_the_cases_words_index(registry: list[Case]) -> None:
    """A page of a name search reads the cases through the index on their words (the plan,
    with sequential scans priced out as on a registry of a million)."""
    page = selectors.case_search(Case.objects.order_by("-updated_at", "-id"), "Вигаданчук")
    sql, params = page[:50].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "case_search_words_idx" in plan

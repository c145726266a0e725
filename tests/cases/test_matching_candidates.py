"""Identity matching against the registry: the index of name keys (``ChildNameKey``) kept in
step with names and aliases, and ``child_candidates`` drawing from it. All data is synthetic."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.matching import KEY_MAX_LENGTH, description_from, pair_keys, record_name_keys
from cases.models import Child, ChildNameKey
from cases.selectors_matching import child_candidates, child_candidates_many
from demo.synthetic import synthetic_cases_generate
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db

OLEKSII = {
    "given_name": "Олексій",
    "family_name": "Коваленко",
    "patronymic": "Сергійович",
    "sex": "male",
}


def _keys(child: Child) -> set[str]:
    return set(ChildNameKey.objects.filter(child=child).values_list("key", flat=True))


def _expected(child: Child, *aliases: str) -> set[str]:
    return set(
        record_name_keys(
            given_name=child.given_name,
            family_name=child.family_name,
            patronymic=child.patronymic,
            alias_names=aliases,
        )
    )


# ---------------------------------------------------------------------------------------------
# The index kept in step
# ---------------------------------------------------------------------------------------------
def test_child_refresh_name_keys_writes_keys_on_create() -> None:
    child = make_case(child=OLEKSII).child
    keys = _keys(child)
    assert keys == _expected(child)
    assert {key.partition(":")[0] for key in keys} == {"g", "f", "p", "gf", "gp", "fp"}
    assert "f:kvlnk" in keys


def test_child_refresh_name_keys_writes_alias_keys_given_on_create() -> None:
    child = make_case(
        child=OLEKSII, aliases=[{"name": "Коваленко Алексей Сергеевич", "kind": "russified"}]
    ).child
    assert _keys(child) == _expected(child, "Коваленко Алексей Сергеевич")


def test_child_refresh_name_keys_rewrites_keys_on_name_update(user: Any) -> None:
    child = make_case(actor=user, child=OLEKSII).child
    services.child_update(child=child, actor=user, data={"family_name": "Шевченко"})
    keys = _keys(child)
    assert keys == _expected(child)
    assert not any(key.startswith("f:kvlnk") for key in keys)


def test_child_refresh_name_keys_follows_alias_add_and_remove(user: Any) -> None:
    child = make_case(actor=user, child=OLEKSII).child
    before = _keys(child)
    alias = services.child_alias_add(
        child=child, actor=user, name="Іваненко Олексій", kind="changed"
    )
    assert _keys(child) == _expected(child, "Іваненко Олексій")
    assert _keys(child) > before
    services.child_alias_remove(alias=alias, actor=user)
    assert _keys(child) == before


def test_synthetic_cases_generate_writes_name_keys() -> None:
    synthetic_cases_generate(count=15, seed=3, progress=False, batch_size=10)
    children = Child.objects.prefetch_related("aliases")
    assert children.count() == 15
    for child in children:
        aliases = [alias.name for alias in child.aliases.all()]
        assert _keys(child) == _expected(child, *aliases)


def test_name_keys_backfill_indexes_existing_children(user: Any) -> None:
    first = make_case(actor=user, child=OLEKSII).child
    second = make_case(actor=user).child
    services.child_alias_add(child=second, actor=user, name="Petrenko Maria", kind="spelling")
    expected = {first.pk: _keys(first), second.pk: _keys(second)}
    ChildNameKey.objects.all().delete()
    migration = importlib.import_module("cases.migrations.0009_childnamekey")

    migration.name_keys_backfill(apps, None, batch_size=1)

    assert {first.pk: _keys(first), second.pk: _keys(second)} == expected
    # Run again, it adds nothing.
    count = ChildNameKey.objects.count()
    migration.name_keys_backfill(apps, None, batch_size=1)
    assert ChildNameKey.objects.count() == count


def test_pair_keys_backfill_adds_the_pairs_of_children_keyed_before(user: Any) -> None:
    first = make_case(actor=user, child=OLEKSII).child
    second = make_case(actor=user).child
    services.child_alias_add(child=second, actor=user, name="Petrenko Maria", kind="spelling")
    expected = {first.pk: _keys(first), second.pk: _keys(second)}
    pairs = ChildNameKey.objects.filter(key__regex=r"^(gf|gp|fp):")
    assert pairs.exists()
    pairs.delete()
    migration = importlib.import_module("cases.migrations.0011_name_pair_keys")

    migration.pair_keys_backfill(apps, None, batch_size=1)

    assert {first.pk: _keys(first), second.pk: _keys(second)} == expected
    count = ChildNameKey.objects.count()
    migration.pair_keys_backfill(apps, None, batch_size=1)
    assert ChildNameKey.objects.count() == count
    migration.pair_keys_remove(apps, None)
    assert not ChildNameKey.objects.filter(key__regex=r"^(gf|gp|fp):").exists()
    assert ChildNameKey.objects.filter(child=first).exists()


_WORD_KEYS = [
    {"g:a", "f:b", "p:c"},
    {"g:a", "f:x", "p:y"},
    {"g:a", "g:a2", "f:b"},
    {"g:z", "f:b", "p:c"},
    {"f:b", "p:q"},
    {"g:a"},
    {"g:b", "f:a"},
    set(),
]


@pytest.mark.parametrize("record", _WORD_KEYS)
@pytest.mark.parametrize("query", _WORD_KEYS)
def test_pair_keys_meet_exactly_when_word_keys_of_two_roles_meet(
    record: set[str], query: set[str]
) -> None:
    shared_roles = {key[:2] for key in record & query}

    meet = bool(pair_keys(record) & pair_keys(query))

    assert meet == (len(shared_roles) >= 2)


def test_pair_keys_stay_within_the_stored_length() -> None:
    long = "g:" + "x" * (KEY_MAX_LENGTH - 2)
    keys = pair_keys({long, "f:" + "y" * (KEY_MAX_LENGTH - 2), "p:z"})
    assert len(keys) == 3
    assert all(len(key) <= KEY_MAX_LENGTH for key in keys)


def test_a_common_given_name_alone_brings_no_candidate() -> None:
    """Namesakes sharing only the given name (and so its word keys) are not candidates: the
    index is asked for pairs."""
    for family in ("Мельник", "Шевчук", "Бондар"):
        make_case(
            child={"given_name": "Олексій", "family_name": family, "sex": "male"},
            candidates_checked=True,
        )
    found = child_candidates(
        description=description_from(given_name="Олексій", family_name="Коваленко")
    )
    assert found == []


# ---------------------------------------------------------------------------------------------
# Candidates
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "full_name",
    [
        "Коваленко Олексій Сергійович",
        "Коваленко Алексей Сергеевич",
        "Oleksii Serhiiovych Kovalenko",
        "Alexey Sergeevich Kovalenko",
        "KOVALENKO Aleksei",
    ],
)
def test_child_candidates_finds_child_across_scripts(full_name: str) -> None:
    child = make_case(child=OLEKSII).child
    make_case(child={"given_name": "Марія", "family_name": "Коваленко", "sex": "female"})

    found = child_candidates(
        description=description_from(full_name=full_name, date_of_birth="2012-05-17", sex="M")
    )

    assert [c.child_id for c in found][:1] == [child.pk]
    assert found[0].band == "likely"
    assert found[0].reasons


def test_child_candidates_finds_adopted_child_by_patronymic() -> None:
    child = make_case(child=OLEKSII).child

    found = child_candidates(
        description=description_from(
            full_name="Иванов Алексей Сергеевич", date_of_birth="2012-05-17", sex="M"
        )
    )

    assert [(c.child_id, c.band) for c in found] == [(child.pk, "possible")]
    assert "family name differs" in found[0].reasons


def test_child_candidates_finds_child_under_an_alias(user: Any) -> None:
    child = make_case(actor=user, child=OLEKSII).child
    services.child_alias_add(child=child, actor=user, name="Іваненко Олексій", kind="changed")

    found = child_candidates(
        description=description_from(full_name="Ivanenko Oleksii", date_of_birth="2012-05-17")
    )

    assert [(c.child_id, c.band) for c in found] == [(child.pk, "likely")]


def test_child_candidates_without_given_name_uses_family_and_patronymic() -> None:
    child = make_case(child=OLEKSII).child

    found = child_candidates(
        description=description_from(
            family_name="Kovalenko", patronymic="Serhiiovych", date_of_birth="2012"
        )
    )

    assert [c.child_id for c in found] == [child.pk]


def test_child_candidates_gives_absent_child_no_likely_candidate() -> None:
    synthetic_cases_generate(count=40, seed=11, progress=False, batch_size=20)

    found = child_candidates(
        description=description_from(
            full_name="Шевчишин Ярослава Богданівна",
            date_of_birth="2010-02-03",
            sex="F",
            origin_oblast="UA-46",
        )
    )

    assert all(c.band != "likely" for c in found)


def test_child_candidates_finds_nothing_without_keys() -> None:
    make_case(child=OLEKSII)
    assert child_candidates(description=description_from(date_of_birth="2012-05-17")) == []


def test_child_candidates_returns_at_most_limit_best_first() -> None:
    for day in range(1, 9):
        make_case(child={**OLEKSII, "date_of_birth": dt.date(2012, 5, day)})

    found = child_candidates(
        description=description_from(
            full_name="Коваленко Олексій Сергійович", date_of_birth="2012-05-03"
        ),
        limit=3,
    )

    assert len(found) == 3
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    assert Child.objects.get(pk=found[0].child_id).date_of_birth.day == 3


@pytest.mark.parametrize("count", [10, 100])
def test_child_candidates_reads_in_constant_queries(
    count: int, django_assert_num_queries: Any
) -> None:
    for index in range(count):
        aliases = [{"name": f"Kovalenko Oleksii {index}", "kind": "spelling"}] if index % 3 else []
        make_case(child={**OLEKSII, "date_of_birth": dt.date(2012, 5, 17)}, aliases=aliases)
    description = description_from(full_name="Kovalenko Oleksii", date_of_birth="2012-05-17")

    # The candidates' ids from the key index, the children, their aliases (and, on
    # PostgreSQL, JIT compilation turned off around the first and back after).
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 3):
        found = child_candidates(description=description)

    assert len(found) == 5


def test_a_merged_child_whose_keys_survive_is_never_a_candidate() -> None:
    """Keys written for a child before it was merged (an older backfill kept them) neither
    take a place in the pool nor fail the lookup when every child drawn is merged."""
    kept = make_case(child=OLEKSII).child
    merged = make_case(child=OLEKSII).child
    Child.objects.filter(pk=merged.pk).update(merged_into=kept)
    ChildNameKey.objects.bulk_create(
        ChildNameKey(child=merged, key=key) for key in _expected(merged) - _keys(merged)
    )
    description = description_from(
        full_name="Коваленко Олексій Сергійович", date_of_birth="2012-05-17", sex="M"
    )

    assert [c.child_id for c in child_candidates(description=description)] == [kept.pk]
    Child.objects.filter(pk=kept.pk).update(merged_into=merged)  # both pointers now
    assert child_candidates(description=description) == []


_READ_WHOLE = ("enable_seqscan", "enable_hashjoin", "enable_mergejoin")


def _plan_of(sql: str, params: tuple[Any, ...] = ()) -> str:
    """PostgreSQL's plan of ``sql`` with the ways of reading a table whole discouraged (a
    test's tables are small enough to read whole, where the registry's are not)."""
    with connection.cursor() as cursor:
        for setting in _READ_WHOLE:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}", params or None)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for setting in _READ_WHOLE:
            cursor.execute(f"RESET {setting}")
    return plan


def test_name_keys_are_found_by_the_key_index_and_by_the_childs() -> None:
    """The keys' indexes are those the lookups need: the key (a hash index on PostgreSQL,
    matching asks for keys by equality only) for the candidate query, and the unique (child,
    key) for a child's keys rewritten or deleted."""
    child = make_case(child={**OLEKSII, "date_of_birth": dt.date(2012, 5, 17)}).child
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "cases_childnamekey")
    indexes = {
        tuple(info["columns"]): (name, info)
        for name, info in constraints.items()
        if info["index"] or info["unique"]
    }
    # The primary key aside (SQLite's introspection names no index for it).
    assert set(indexes) - {("id",)} == {("key",), ("child_id", "key")}
    assert indexes[("key",)][0] == "childnamekey_key_idx"
    assert indexes[("child_id", "key")][1]["unique"]
    if connection.vendor != "postgresql":
        return
    assert indexes[("key",)][1]["type"] == "hash"
    description = description_from(full_name="Kovalenko Oleksii", date_of_birth="2012-05-17")
    with CaptureQueriesContext(connection) as captured:
        assert [c.child_id for c in child_candidates(description=description)] == [child.pk]
    (candidate_query,) = [q["sql"] for q in captured.captured_queries if "ROW_NUMBER" in q["sql"]]
    assert "childnamekey_key_idx" in _plan_of(candidate_query)
    by_child = "DELETE FROM cases_childnamekey WHERE child_id = %s"
    assert "childnamekey_unique_per_child" in _plan_of(by_child, (child.pk,))


@pytest.mark.postgres
def test_each_wanted_key_is_probed_in_the_key_index() -> None:
    """On PostgreSQL each key a batch wants is looked up in the key index on its own, never
    the table of keys read whole and hashed for the batch (which the planner's estimate of
    children a key favours, and whose cost grows with the registry)."""
    for index in range(3):
        make_case(child={**OLEKSII, "date_of_birth": dt.date(2012, 5, 17 + index)})
    descriptions = [
        description_from(full_name="Kovalenko Oleksii", date_of_birth="2012-05-17"),
        description_from(full_name="Коваленко Олексій Петрович"),
    ]
    with CaptureQueriesContext(connection) as captured:
        child_candidates_many(descriptions=descriptions, second_look=False)
    (candidate_query,) = [q["sql"] for q in captured.captured_queries if "ROW_NUMBER" in q["sql"]]
    with connection.cursor() as cursor:
        # Reading a table whole priced out, as on a registry of a million; joins left free.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {candidate_query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "childnamekey_key_idx" in plan
    assert "childnamekey_unique_per_child" not in plan

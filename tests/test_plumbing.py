"""Shared plumbing in ``config``: the FilterSet base and the array membership lookup."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_lazy

from audit.models import AuditEvent
from cases.filters import CaseFilterSet
from cases.models import Case
from core.compiled import CompiledValues
from core.db import InArray
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db


def test_filterset_builds_its_form_class_once():
    first = CaseFilterSet(data={"phase": "repatriation"}, queryset=Case.objects.all())
    second = CaseFilterSet(data={"phase": "closed"}, queryset=Case.objects.all())
    assert first.get_form_class() is second.get_form_class()
    # ...while each form instance holds its own fields and data.
    assert first.form.fields["phase"] is not second.form.fields["phase"]
    assert first.form.is_valid()
    assert second.form.is_valid()
    assert first.form.cleaned_data["phase"] == "repatriation"
    assert second.form.cleaned_data["phase"] == "closed"


def test_filterset_copies_are_bound_to_their_own_filterset():
    first = CaseFilterSet(data={"phase": "closed"}, queryset=Case.objects.all())
    second = CaseFilterSet(data={}, queryset=Case.objects.all())
    assert first.filters["phase"] is not second.filters["phase"]
    assert first.filters["phase"].parent is first
    assert second.filters["phase"].parent is second
    # A method filter calls the method of the FilterSet it belongs to.
    assert first.filters["phase"].filter.f is first.filters["phase"]
    assert not hasattr(CaseFilterSet.base_filters["phase"], "parent")


def test_filterset_filters_with_method_and_plain_filters():
    open_case = make_case()
    closed = move_case(make_case(), "closed")
    filterset = CaseFilterSet(
        data={"phase": "closed"}, queryset=Case.objects.filter(pk__in=[open_case.pk, closed.pk])
    )
    assert filterset.is_valid(), filterset.errors
    assert [case.pk for case in filterset.qs] == [closed.pk]


def test_filterset_invalid_value_is_an_error_of_its_own_form():
    bad = CaseFilterSet(data={"phase": "nowhere"}, queryset=Case.objects.all())
    good = CaseFilterSet(data={"phase": "closed"}, queryset=Case.objects.all())
    assert not bad.is_valid()
    assert "phase" in bad.errors
    assert good.is_valid()


def test_in_array_matches_like_in():
    cases = [make_case() for _ in range(3)]
    wanted = [cases[0].child_id, cases[2].child_id]
    found = Case.objects.filter(InArray(F("child_id"), wanted)).order_by("pk")
    assert list(found) == [cases[0], cases[2]]
    assert not Case.objects.filter(InArray(F("child_id"), [])).exists()


@pytest.mark.postgres
def test_in_array_sends_one_parameter_on_postgres():
    ids = list(range(1, 301))
    with CaptureQueriesContext(connection) as ctx:
        list(Case.objects.filter(InArray(F("child_id"), ids)))
    sql = ctx.captured_queries[-1]["sql"]
    assert "= ANY(" in sql
    assert " IN (" not in sql


# -- the timestamp loader on PostgreSQL -----------------------------------------------------------
TIMESTAMPS = [
    "2024-05-01 12:00:00+00",
    "2020-03-29 01:30:00.5+03",  # the hour Kyiv moved its clocks
    "1999-12-31 23:59:59.999999-05",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]


@pytest.mark.postgres
def test_postgres_connections_read_timestamps_with_the_compiled_loader():
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
    from psycopg.pq import Format

    from core.db import CompiledUtcTimestampLoader

    connection.ensure_connection()
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(1184, Format.TEXT)
        # Django's cursor keeps it (it agrees on the time zone) rather than its own subclass.
        assert loader is CompiledUtcTimestampLoader
        cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(TIMESTAMPS)), TIMESTAMPS)
        ours = cursor.fetchone()

    class Stock(BaseTzLoader):  # what Django registers by itself
        timezone = dt.UTC

    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", Stock)
        cursor.execute("SELECT " + ", ".join(["%s::timestamptz"] * len(TIMESTAMPS)), TIMESTAMPS)
        stock = cursor.fetchone()
    assert ours == stock
    assert all(value.tzinfo is dt.UTC for value in ours)
    assert [value.isoformat() for value in ours] == [value.isoformat() for value in stock]


@pytest.mark.postgres
def test_model_timestamps_round_trip_through_the_compiled_loader():
    case = make_case()
    stored = Case.objects.values_list("created_at", flat=True).get(pk=case.pk)
    assert stored == case.created_at
    assert stored.tzinfo is dt.UTC


# -- the JSON renderer ----------------------------------------------------------------------------
RENDERER_PAYLOADS = [
    {"code": "invalid", "detail": "Ім'я: обов'язкове поле.", "fields": {"child.given_name": ["x"]}},
    [{"id": 1, "at": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC), "on": dt.date(2024, 5, 1)}],
    {"time": dt.time(8, 30), "amount": Decimal("48.015900"), "label": gettext_lazy("Closed")},
    {"nested": {"tuple": (1, 2), "set": {3}, "none": None, "bool": True, "float": 0.1}},
    {1: "integer key", "separators": "line\u2028paragraph\u2029end"},
    {"big": 2**70},
]


@pytest.mark.parametrize("payload", RENDERER_PAYLOADS)
def test_json_renderer_writes_what_drf_writes(payload):
    from rest_framework.renderers import JSONRenderer as DrfJSONRenderer

    from core.renderers import JSONRenderer

    assert JSONRenderer().render(payload) == DrfJSONRenderer().render(payload)


def test_json_renderer_indents_as_drf_does_when_asked():
    from rest_framework.renderers import JSONRenderer as DrfJSONRenderer

    from core.renderers import JSONRenderer

    payload = {"a": [1, 2]}
    media = "application/json; indent=2"
    assert JSONRenderer().render(payload, media) == DrfJSONRenderer().render(payload, media)


def test_api_answers_render_with_the_project_renderer(api_client):
    make_case()
    response = api_client.get("/api/v1/cases/")
    assert response.status_code == 200
    assert type(response.accepted_renderer).__module__ == "core.renderers"


# -- queries compiled once ------------------------------------------------------------------------
def _cases_of_children() -> CompiledValues:
    return CompiledValues(
        lambda child_ids, since: (
            Case.objects.filter(InArray(F("child_id"), child_ids), created_at__gte=since)
            .order_by("id")
            .values_list("id", "number", "created_at")
        )
    )


def test_compiled_values_return_what_the_queryset_returns():
    cases = [make_case() for _ in range(4)]
    query = _cases_of_children()
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    for wanted in ([cases[0]], [cases[1], cases[3]], cases):
        rows = query(child_ids=[c.child_id for c in wanted], since=long_ago)
        assert rows == [(c.pk, c.number, c.created_at) for c in wanted]
    assert query(child_ids=[cases[0].child_id], since=timezone.now()) == []


@pytest.mark.postgres
def test_compiled_values_compile_once_and_send_the_same_text():
    cases = [make_case() for _ in range(3)]
    query = _cases_of_children()
    assert query.sql() is None
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    with CaptureQueriesContext(connection) as ctx:
        query(child_ids=[cases[0].child_id], since=long_ago)
        first = query.sql()
        query(child_ids=[c.child_id for c in cases], since=long_ago)
    assert query.sql() == first
    assert first is not None
    assert "= ANY(%s" in first
    assert ctx.captured_queries[0]["sql"].split(" WHERE ")[0] == first.split(" WHERE ")[0]
    # The values travel as parameters, one each: the text holds placeholders only.
    assert first.count("%s") == 2


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("build", "arguments", "message"),
    [
        # A pattern built from the value: not a parameter as given.
        (
            lambda name: Case.objects.filter(child__family_name__icontains=name).values_list("id"),
            {"name": "Бойко"},
            "do not reach the SQL unchanged",
        ),
        # A list expanded into IN (...): the text would grow with it.
        (
            lambda ids: Case.objects.filter(child_id__in=ids).values_list("id"),
            {"ids": [1, 2]},
            "do not reach the SQL unchanged",
        ),
        (
            lambda flag: Case.objects.filter(is_synthetic=flag).values_list("id"),
            {"flag": True},
            "boolean",
        ),
        (
            lambda when: Case.objects.filter(deported_on=when).values_list("id"),
            {"when": dt.date(2022, 3, 1)},
            "cannot take an argument of type date",
        ),
        # A column whose range excludes the placeholder: the ORM drops the condition itself.
        (
            lambda version: Case.objects.filter(version=version).values_list("id"),
            {"version": 3},
            "text depends on its values",
        ),
        # Columns the ORM converts in Python (JSON) would come back raw.
        (
            lambda pk: AuditEvent.objects.filter(pk=pk).values_list("changes"),
            {"pk": 1},
            "need converting",
        ),
    ],
)
def test_compiled_values_refuse_what_they_cannot_compile_once(build, arguments, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        CompiledValues(build)(**arguments)


def test_compiled_values_take_an_empty_list_first():
    case = make_case()
    query = _cases_of_children()
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert query(child_ids=[], since=long_ago) == []
    assert query(child_ids=[case.child_id], since=long_ago) == [
        (case.pk, case.number, case.created_at)
    ]


def test_compiled_values_run_the_queryset_on_sqlite(django_assert_num_queries):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite path")
    case = make_case()
    query = _cases_of_children()
    long_ago = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    with django_assert_num_queries(1):
        assert query(child_ids=[case.child_id], since=long_ago) == [
            (case.pk, case.number, case.created_at)
        ]
    assert query.sql() is None

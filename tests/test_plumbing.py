"""Shared plumbing in ``config``: the FilterSet base and the array membership lookup."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy

from cases.filters import CaseFilterSet
from cases.models import Case
from config.db import InArray
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

    from config.db import CompiledUtcTimestampLoader

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

    from config.renderers import JSONRenderer

    assert JSONRenderer().render(payload) == DrfJSONRenderer().render(payload)


def test_json_renderer_indents_as_drf_does_when_asked():
    from rest_framework.renderers import JSONRenderer as DrfJSONRenderer

    from config.renderers import JSONRenderer

    payload = {"a": [1, 2]}
    media = "application/json; indent=2"
    assert JSONRenderer().render(payload, media) == DrfJSONRenderer().render(payload, media)


def test_api_answers_render_with_the_project_renderer(api_client):
    make_case()
    response = api_client.get("/api/v1/cases/")
    assert response.status_code == 200
    assert type(response.accepted_renderer).__module__ == "config.renderers"

"""Shared plumbing in ``core``: the FilterSet base, the array membership lookup, the renderer and
the compiled reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.services import membership_set
from audit.models import AuditEvent
from cases import services as case_services
from cases.filters import CaseFilterSet
from cases.models import Case, CaseShare
from core.compiled import CompiledValues
from core.db import InArray, row_locked, take_stored
from core.errors import NotFound
from tests.factories.accounts import (
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    make_api_key,
    make_member,
)
from tests.factories.cases import make_case, move_case
from tests.project_modules import project_modules

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


# A valid value by the schema's format, for the parameters a list requires besides the one tried.
_VALID_BY_FORMAT = {"date-time": "2020-01-01T00:00:00Z", "date": "2020-01-01"}


def _list_query_parameters() -> list[tuple[str, str, dict[str, str]]]:
    """Every query parameter of every list: its path, its name, and valid values of the other
    parameters the list requires."""
    from django.test import Client

    document = Client().get("/api/schema/", {"format": "json"}).json()
    found = []
    for path, item in document["paths"].items():
        if "{" in path or "get" not in item:
            continue
        parameters = [p for p in item["get"].get("parameters", []) if p["in"] == "query"]
        required = {
            p["name"]: _VALID_BY_FORMAT[p["schema"]["format"]]
            for p in parameters
            if p.get("required")
        }
        for parameter in parameters:
            others = {k: v for k, v in required.items() if k != parameter["name"]}
            found.append((path, parameter["name"], others))
    return found


@pytest.mark.parametrize("value", ["", " "])
def test_every_list_parameter_refuses_an_empty_value(value):
    """``?updated_since=`` or ``?country=`` read as absent would answer every record while the
    client believes it filtered: every query parameter of every list refuses an empty value
    with a 400 naming it."""
    superuser = UserFactory.create(is_superuser=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=superuser)}")
    parameters = _list_query_parameters()
    assert {("/api/v1/cases/", "updated_since"), ("/api/v1/facilities/", "country")} <= {
        (path, name) for path, name, _ in parameters
    }
    for path, name, required in parameters:
        response = client.get(path, {**required, name: value})
        assert response.status_code == 400, (path, name, response.content)
        assert list(response.json()["fields"]) == [name], (path, name)


def test_row_locked_reads_the_row_as_stored_now_and_a_copy_takes_it():
    from accounts.models import Organization

    organization = OrganizationFactory.create(name="Синтетична організація")
    read_before = Organization.objects.get(pk=organization.pk)
    Organization.objects.filter(pk=organization.pk).update(name="Перейменована організація")

    with transaction.atomic():
        stored = row_locked(Organization, read_before.pk)
        assert stored.name == "Перейменована організація"
        stored.kind = "state"
        take_stored(read_before, stored)

    assert (read_before.name, read_before.kind) == ("Перейменована організація", "state")


def test_row_locked_of_a_row_deleted_meanwhile_is_not_found():
    from accounts.models import Organization

    with transaction.atomic(), pytest.raises(NotFound) as refused:
        row_locked(Organization, 10**9)
    assert str(refused.value.detail) == "This organization no longer exists."


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
_LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _cases_of_children() -> CompiledValues:
    return CompiledValues(
        lambda child_ids, since: (
            Case.objects.filter(InArray(F("child_id"), child_ids), created_at__gte=since)
            .order_by("id")
            .values_list("id", "number", "created_at")
        ),
        child_ids=list[int],
        since=dt.datetime,
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
    ("build", "types", "arguments", "message"),
    [
        # A pattern built from the value: not a parameter as given.
        (
            lambda name: Case.objects.filter(child__family_name__icontains=name).values_list("id"),
            {"name": str},
            {"name": "Бойко"},
            "do not reach the SQL unchanged",
        ),
        # A list expanded into IN (...): the text would grow with it.
        (
            lambda ids: Case.objects.filter(child_id__in=ids).values_list("id"),
            {"ids": list[int]},
            {"ids": [1, 2]},
            "do not reach the SQL unchanged",
        ),
        # A column whose range excludes the placeholder: the ORM drops the condition itself.
        (
            lambda version: Case.objects.filter(version=version).values_list("id"),
            {"version": int},
            {"version": 3},
            "text depends on its values",
        ),
        # Columns the ORM converts in Python (JSON) would come back raw.
        (
            lambda pk: AuditEvent.objects.filter(pk=pk).values_list("changes"),
            {"pk": int},
            {"pk": 1},
            "need converting",
        ),
    ],
)
def test_compiled_values_refuse_what_they_cannot_compile_once(build, types, arguments, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        CompiledValues(build, **types)(**arguments)


@pytest.mark.parametrize(
    ("types", "message"),
    [
        ({"flag": bool}, "cannot take an argument of type bool"),
        ({"flag": dt.date}, "cannot take an argument of type date"),
        ({"flag": list[str]}, r"cannot take an argument of type list\[str\]"),
        ({"flag": int | None}, "cannot take an argument of type"),
        ({}, "Declare the type of each argument"),
        ({"flag": int, "other": int}, "Declare the type of each argument"),
    ],
)
def test_compiled_values_refuse_arguments_they_cannot_compile_on_every_database(types, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        CompiledValues(lambda flag: Case.objects.filter(pk=flag).values_list("id"), **types)


def _shares_of_cases() -> CompiledValues:
    return CompiledValues(
        lambda case_id, organization_ids, scope, at: (
            CaseShare.objects.active(at)
            .filter(InArray(F("organization_id"), organization_ids), case_id=case_id, scope=scope)
            .values_list("id")
        ),
        case_id=int,
        organization_ids=list[int],
        scope=str,
        at=dt.datetime,
    )


_A_CALL: dict[str, Any] = {
    "case_id": 1,
    "organization_ids": [1, 2],
    "scope": "full",
    "at": _LONG_AGO,
}
_LEFT_OUT = object()


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        # A missing or extra argument.
        ({"scope": _LEFT_OUT, "at": _LEFT_OUT}, TypeError, r"missing: \['at', 'scope'\]"),
        ({"case": 1}, TypeError, r"not taken: \['case'\]"),
        # None: the compiled ``= %s`` would match nothing, the ORM writes ``IS NULL``.
        ({"case_id": None}, TypeError, "case_id as an integer, not NoneType"),
        ({"scope": None}, TypeError, "scope as text, not NoneType"),
        ({"at": None}, TypeError, "at as a time with its time zone, not NoneType"),
        ({"organization_ids": None}, TypeError, "organization_ids as a list of integers, not"),
        # A value of another type than declared.
        ({"case_id": "1"}, TypeError, "case_id as an integer, not str"),
        ({"case_id": True}, TypeError, "case_id as an integer, not bool"),
        ({"case_id": 1.0}, TypeError, "case_id as an integer, not float"),
        ({"case_id": Decimal(1)}, TypeError, "case_id as an integer, not Decimal"),
        ({"scope": 1}, TypeError, "scope as text, not int"),
        ({"scope": gettext_lazy("full")}, TypeError, "scope as text, not __proxy__"),
        ({"at": dt.date(2024, 1, 1)}, TypeError, "at as a time with its time zone, not date"),
        ({"at": "2024-01-01T00:00:00Z"}, TypeError, "not str"),
        ({"organization_ids": (1, 2)}, TypeError, "organization_ids as a list of integers, not"),
        ({"organization_ids": {1, 2}}, TypeError, "organization_ids as a list of integers, not"),
        ({"organization_ids": [1, None]}, TypeError, r"it holds None \(NoneType\)"),
        ({"organization_ids": [1, "2"]}, TypeError, r"it holds '2' \(str\)"),
        ({"organization_ids": [False]}, TypeError, r"it holds False \(bool\)"),
        # A naive time: the ORM reads it in the current time zone, the compiled SQL in UTC.
        ({"at": dt.datetime(2024, 1, 1)}, ValueError, "not a naive time"),  # noqa: DTZ001
    ],
)
def test_compiled_values_refuse_calls_they_would_answer_wrongly(
    changes, error, message, django_assert_num_queries
):
    arguments = {
        name: value for name, value in {**_A_CALL, **changes}.items() if value is not _LEFT_OUT
    }
    query = _shares_of_cases()
    # Refused before either path runs, on every database: first call and later calls alike.
    for _ in range(2):
        with django_assert_num_queries(0), pytest.raises(error, match=message):
            query(**arguments)
        with pytest.raises(error, match=message):
            query.queryset(**arguments)
        query(**_A_CALL)


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


def _compiled_reads() -> dict[str, CompiledValues]:
    """Every compiled read the project defines at module level, by ``module.name``."""
    found: dict[str, CompiledValues] = {}
    for module in project_modules():
        for name, value in vars(module).items():
            if isinstance(value, CompiledValues) and value.module == module.__name__:
                found.setdefault(f"{module.__name__}.{name}", value)
    return found


_BOUNDARY_IDS = [0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]


@pytest.fixture
def compiled_read_calls(home):
    """For each compiled read of the project: the argument sets to call it with, over data
    that some of them hit (members of active and inactive organizations, an ended membership,
    a token, an API key, live, expiring, limited and revoked shares)."""
    active, other = OrganizationFactory.create(), OrganizationFactory.create()
    inactive = OrganizationFactory.create(is_active=False)
    member = make_member("caseworker", active)
    membership_set(user=member, organization=other, role="supervisor")
    MembershipFactory.create(user=member, organization=inactive)
    ended = MembershipFactory.create(organization=active, is_active=False).user
    token = Token.objects.create(user=member)
    key, _secret = make_api_key(active)
    now = timezone.now()
    shared = [make_case() for _ in range(4)]

    def share(case, organization, scope, **fields):
        return case_services.case_share_create(
            case=case,
            actor=None,
            organization=organization,
            scope=scope,
            reason="Synthetic referral",
            consent_reference="Synthetic consent 1",
            **fields,
        )

    share(shared[0], active, "full")
    share(shared[1], active, "limited", expires_at=now + dt.timedelta(days=10))
    share(shared[2], other, "limited")
    share(shared[1], other, "full", expires_at=now + dt.timedelta(days=1))
    revoked = share(shared[3], active, "full")
    case_services.case_share_revoke(share=revoked, actor=None, reason="Synthetic revocation")

    ids = [active.pk, other.pk, inactive.pk, home.pk]
    return {
        "accounts.selectors._ROLES": [
            {"user_id": user_id}
            for user_id in [member.pk, ended.pk, token.user_id, max(ids) + 1000, *_BOUNDARY_IDS]
        ],
        "accounts.selectors._TOKEN": [
            {"key": k}
            for k in [token.key, token.key.upper(), token.key[:-1], "", "x" * 41, "Євген"]
        ],
        "accounts.selectors._API_KEY": [
            {"prefix": p} for p in [key.prefix, key.prefix.upper(), key.prefix[:-1], "", "Є"]
        ],
        "cases.selectors._LIVE_SHARE_ROWS": [
            {"organization_ids": organization_ids, "at": at}
            for organization_ids in [
                [active.pk],
                [other.pk],
                [active.pk, other.pk],
                [other.pk, active.pk, active.pk],
                [inactive.pk, home.pk],
                [],
                [0, -1, 2**31 - 1, 2**31, 2**63 - 1],
            ]
            for at in [
                now,
                now - dt.timedelta(days=365),
                now + dt.timedelta(days=2),
                now + dt.timedelta(days=20),
                dt.datetime(1, 1, 1, tzinfo=dt.UTC),
                dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
            ]
        ],
    }


@pytest.mark.postgres
def test_compiled_reads_answer_as_the_orm_does(compiled_read_calls):
    reads = _compiled_reads()
    # A new compiled read is compared here without anyone remembering to add it.
    assert set(reads) == set(compiled_read_calls)
    for name, calls in compiled_read_calls.items():
        read = reads[name]
        answered = 0
        for arguments in calls:
            compiled = read(**arguments)
            assert read.sql() is not None, name
            through_orm = list(read.queryset(**arguments))
            assert sorted(compiled, key=repr) == sorted(through_orm, key=repr), (name, arguments)
            answered += bool(compiled)
        # Some calls hit rows, so the comparison is not of empty answers only.
        assert answered, name

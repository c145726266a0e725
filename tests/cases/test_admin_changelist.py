"""The caseworkers' case list: columns, each filter, search across spellings, query count.

Seen by the system's administrator (``admin_client``), who sees every case; which cases each
role lists is in ``test_admin_access.py``."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from tests.cases.admin_pages import change_url, changelist_url
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import FacilityFactory, make_case, make_whereabouts, move_case


@pytest.fixture
def worker(home):
    """A caseworker of the home organization, who owns the cases below: only its caseworkers
    and supervisors can be assigned its cases."""
    return make_member("caseworker", home, first_name="Синтетична", last_name="Працівниця")


@pytest.fixture
def cases(oblasts, worker, django_capture_on_commit_callbacks):
    """Four synthetic cases that differ in every filtered column. Names are fixed (patronymics
    too: search matches word prefixes, so a random "Олександрівна" would match "Олександр")."""
    located = make_case(
        oblast=oblasts["UA-14"],
        child={
            "family_name": "Шевчук",
            "given_name": "Олександр",
            "patronymic": "Петрович",
            "sex": "male",
        },
        priority="high",
        assignee=worker,
    )
    located = move_case(located, "verifying", "searching", "located")
    make_whereabouts(located, country="RU", from_date=dt.date(2022, 8, 1))

    returned = make_case(
        oblast=oblasts["UA-43"],
        child={"family_name": "Коваль", "given_name": "Олена", "patronymic": "", "sex": "female"},
    )
    make_whereabouts(returned, country="KP", from_date=dt.date(2023, 7, 1))
    with django_capture_on_commit_callbacks(execute=True):
        returned = move_case(
            returned, "verifying", "searching", "located", "return_in_progress", "returned"
        )

    reported = make_case(
        oblast=oblasts["UA-65"],
        child={"family_name": "Бондар", "given_name": "Марія", "patronymic": "", "sex": "female"},
        aliases=[{"name": "Мария Бондаренко", "kind": "changed", "seen_in": "Synthetic list"}],
        priority="urgent",
    )

    closed = make_case(
        oblast=oblasts["UA-09"],
        child={"family_name": "Ткачук", "given_name": "Ігор", "patronymic": "", "sex": "male"},
    )
    closed = move_case(closed, "closed")

    partner = OrganizationFactory.create(name="Synthetic partner NGO", short_name="SPN")
    elsewhere = make_case(
        oblast=oblasts["UA-09"],
        organization=partner,
        child={"family_name": "Мельник", "given_name": "Тарас", "patronymic": "", "sex": "male"},
        priority="low",
    )
    return {
        "located": located,
        "returned": returned,
        "reported": reported,
        "closed": closed,
        "elsewhere": elsewhere,
    }


def _listed(admin_client, **params):
    response = admin_client.get(changelist_url(), params)
    assert response.status_code == 200
    return {case.number for case in response.context["cl"].result_list}


def _filter(response, parameter_name):
    specs = response.context["cl"].filter_specs
    return next(f for f in specs if getattr(f, "parameter_name", None) == parameter_name)


def _filter_by_field(response, field_path):
    specs = response.context["cl"].filter_specs
    return next(f for f in specs if getattr(f, "field_path", None) == field_path)


def _numbers(cases, *keys):
    return {cases[key].number for key in keys}


def test_case_changelist_shows_the_columns(admin_client, cases, home):
    response = admin_client.get(changelist_url())

    content = response.content.decode()
    located = cases["located"]
    assert located.number in content
    assert "Шевчук Олександр Петрович" in content
    assert "Shevchuk Oleksandr Petrovych" in content
    assert "Донецька область / Donetsk Oblast" in content
    assert "Russia" in content
    assert "Синтетична Працівниця" in content
    # The owning organization's column.
    assert re.search(rf'class="field-organization[^"]*">{home}<', content)
    assert re.search(r'class="field-organization[^"]*">SPN<', content)
    assert "Repatriation" in content
    assert "Rehabilitation" in content
    assert change_url(located) in content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "located"}, ("located",)),
        ({"status__exact": "closed"}, ("closed",)),
        ({"phase": "repatriation"}, ("located", "reported", "elsewhere")),
        ({"phase": "rehabilitation"}, ("returned",)),
        ({"phase": "closed"}, ("closed",)),
        ({"priority__exact": "urgent"}, ("reported",)),
        ({"priority__exact": "normal"}, ("returned", "closed")),
        ({"priority__exact": "low"}, ("elsewhere",)),
        ({"child__origin_oblast__code__exact": "UA-43"}, ("returned",)),
        ({"child__origin_oblast__code__exact": "UA-09"}, ("closed", "elsewhere")),
        ({"current_country": "KP"}, ("returned",)),
        ({"current_country": "RU"}, ("located",)),
        ({"status__exact": "located", "priority__exact": "high"}, ("located",)),
        ({"phase": "repatriation", "priority__exact": "normal"}, ()),
    ],
)
def test_case_changelist_filters(admin_client, cases, params, expected):
    assert _listed(admin_client, **params) == _numbers(cases, *expected)


def test_case_changelist_filters_by_assignee(admin_client, cases, worker):
    assert _listed(admin_client, assignee__id__exact=worker.pk) == _numbers(cases, "located")


def test_case_changelist_filters_by_owning_organization(admin_client, cases, home):
    partner = cases["elsewhere"].organization

    assert _listed(admin_client, organization__id__exact=partner.pk) == _numbers(cases, "elsewhere")
    assert _listed(admin_client, organization__id__exact=home.pk) == _numbers(
        cases, "located", "returned", "reported", "closed"
    )
    response = admin_client.get(changelist_url())
    choices = _filter_by_field(response, "organization").lookup_choices
    assert {pk for pk, _ in choices} == {home.pk, partner.pk}


def test_case_changelist_organization_filter_offers_only_owners_of_visible_cases(
    client, cases, home
):
    """A member of the home organization is not told which other organizations hold cases:
    with one owner in sight there is nothing to filter by."""
    supervisor = make_member("supervisor", home)
    client.force_login(supervisor)

    response = client.get(changelist_url())

    assert {c.number for c in response.context["cl"].result_list} == _numbers(
        cases, "located", "returned", "reported", "closed"
    )
    specs = response.context["cl"].filter_specs
    assert not [f for f in specs if getattr(f, "field_path", None) == "organization"]
    assert "SPN" not in response.content.decode()


def test_case_changelist_country_filter_lists_only_countries_present(admin_client, cases):
    response = admin_client.get(changelist_url())

    country_filter = _filter(response, "current_country")
    assert [code for code, _ in country_filter.lookup_choices] == ["KP", "RU"]


def test_case_changelist_phase_filter_offers_every_phase(admin_client, cases):
    response = admin_client.get(changelist_url())

    phase_filter = _filter(response, "phase")
    assert [code for code, _ in phase_filter.lookup_choices] == [
        "repatriation",
        "rehabilitation",
        "integration",
        "closed",
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Олександр", ("located",)),  # Ukrainian Cyrillic
        ("Oleksandr", ("located",)),  # official Latin (KMU 2010)
        ("Александр", ("located",)),  # Russified
        ("Aleksandr", ("located",)),  # Russified, in Latin letters
        ("shevchuk oleksandr", ("located",)),  # several words, any case
        ("Бондаренко", ("reported",)),  # an alias
        ("Мария", ("reported",)),  # Russified given name
        ("Olena", ("returned",)),
        ("Елена", ("returned",)),
        ("Нікого", ()),
    ],
)
def test_case_changelist_search_by_any_spelling(admin_client, cases, query, expected):
    assert _listed(admin_client, q=query) == _numbers(cases, *expected)


def test_case_changelist_search_by_case_number(admin_client, cases):
    number = cases["returned"].number

    assert _listed(admin_client, q=number) == {number}
    assert _listed(admin_client, q=number.lower()) == {number}


def test_case_changelist_search_combines_with_filters(admin_client, cases):
    assert _listed(admin_client, q="Олена", phase="repatriation") == set()
    partner = cases["elsewhere"].organization
    assert _listed(admin_client, q="Тарас", organization__id__exact=partner.pk) == _numbers(
        cases, "elsewhere"
    )
    assert _listed(admin_client, q="Олена", phase="rehabilitation") == _numbers(cases, "returned")


def test_case_changelist_add_page_is_reachable(admin_client, cases):
    response = admin_client.get(changelist_url())

    assert "/admin/cases/case/add/" in response.content.decode()


def _full_cases(count, oblasts, worker, facility):
    for index in range(count):
        case = make_case(
            oblast=oblasts["UA-14" if index % 2 else "UA-65"],
            assignee=worker if index % 3 else None,
            priority="high" if index % 2 else "normal",
        )
        make_whereabouts(case, facility=facility, country="RU")
        if index % 4 == 0:
            services.child_alias_add(
                child=case.child, actor=None, name="Синтетичний Псевдонім", kind="changed"
            )


def _count_queries(admin_client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(changelist_url(), params)
    assert response.status_code == 200
    return len(response.context["cl"].result_list), len(queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "Синтетичний"}, {"phase": "repatriation", "current_country": "RU"}],
)
def test_case_changelist_query_count_does_not_grow_with_rows(admin_client, oblasts, worker, params):
    facility = FacilityFactory.create(country="RU")
    _full_cases(5, oblasts, worker, facility)
    rows_few, queries_few = _count_queries(admin_client, **params)

    _full_cases(25, oblasts, worker, facility)
    rows_many, queries_many = _count_queries(admin_client, **params)

    assert rows_many > rows_few
    assert queries_many == queries_few


def test_changelist_refuses_a_phase_it_does_not_know(admin_client):
    response = admin_client.get(changelist_url(), {"phase": "bogus"})

    # The admin's answer to a filter value it cannot apply: back to the list, flagged.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")

"""The case list as a caseworker reads it: one line a case, the status as a labelled colour, the
"assigned to me" and "my organization" filters, and what a name search matched by."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case
from tests.cases.admin_pages import changelist_url
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def caseworker(home: Any) -> Any:
    return make_member("caseworker", home)


@pytest.fixture
def listing(home: Any, caseworker: Any) -> dict[str, Case]:
    """Cases of the home organization (one assigned to the caseworker, one to nobody), one of
    a partner shared with the home organization, and one of the partner not shared."""
    partner = OrganizationFactory.create(name="Synthetic partner NGO", short_name="SPN")
    mine = make_case(
        child={"family_name": "Шевчук", "given_name": "Олександр", "patronymic": ""},
        assignee=caseworker,
    )
    free = make_case(child={"family_name": "Коваль", "given_name": "Олена", "patronymic": ""})
    shared = make_case(
        organization=partner,
        child={"family_name": "Бондар", "given_name": "Марія", "patronymic": ""},
    )
    services.case_share_create(
        case=shared,
        actor=make_member("supervisor", partner),
        organization=home,
        scope="full",
        reason="Synthetic: the child's family lives in the home organization's area.",
        consent_reference="SYNTHETIC-CONSENT-1",
    )
    hidden = make_case(
        organization=partner,
        child={"family_name": "Мельник", "given_name": "Тарас", "patronymic": ""},
    )
    return {"mine": mine, "free": free, "shared": shared, "hidden": hidden}


def _listed(client: Any, **params: Any) -> set[str]:
    response = client.get(changelist_url(), params)
    assert response.status_code == 200
    return {case.number for case in response.context["cl"].result_list}


def _numbers(listing: dict[str, Case], *keys: str) -> set[str]:
    return {listing[key].number for key in keys}


def test_case_list_row_is_one_line_with_the_latin_name_small_beneath(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    client.force_login(caseworker)
    page = client.get(changelist_url()).content.decode()

    assert "/static/cases/admin/case_list.css" in page
    assert re.search(
        r'<span class="case-child">Шевчук Олександр</span>'
        r'<small class="case-child-latin quiet">Shevchuk Oleksandr</small>',
        page,
    )
    assert "<br>" not in page.split('id="result_list"')[1].split("</table>")[0]


def test_case_list_shows_the_status_as_a_labelled_colour(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    move_case(listing["free"], "verifying")
    client.force_login(caseworker)
    page = client.get(changelist_url()).content.decode()

    assert '<span class="case-status case-status-reported">Reported</span>' in page
    assert '<span class="case-status case-status-verifying">Verifying</span>' in page


def test_case_list_filters_are_always_offered(client: Any, caseworker: Any, db: None) -> None:
    """Even on an empty list: the filters' choices do not depend on the data."""
    client.force_login(caseworker)
    response = client.get(changelist_url())

    specs = response.context["cl"].filter_specs
    params = {getattr(f, "parameter_name", None) for f in specs if f.has_output()}
    assert {"assigned", "held_by"} <= params
    page = response.content.decode()
    assert "Assigned to me" in page
    assert "My organization" in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ("mine", "free", "shared")),
        ({"assigned": "me"}, ("mine",)),
        ({"assigned": "nobody"}, ("free", "shared")),
        ({"held_by": "mine"}, ("mine", "free")),
        ({"held_by": "shared"}, ("shared",)),
        ({"held_by": "mine", "assigned": "nobody"}, ("free",)),
    ],
)
def test_case_list_assigned_to_me_and_my_organization_filters(
    client: Any,
    caseworker: Any,
    listing: dict[str, Case],
    params: dict[str, str],
    expected: tuple[str, ...],
) -> None:
    client.force_login(caseworker)

    assert _listed(client, **params) == _numbers(listing, *expected)


@pytest.mark.parametrize("params", [{"assigned": "everyone"}, {"held_by": "theirs"}])
def test_case_list_refuses_a_filter_value_it_does_not_offer(
    client: Any, caseworker: Any, listing: dict[str, Case], params: dict[str, str]
) -> None:
    client.force_login(caseworker)
    response = client.get(changelist_url(), params)

    # Django's admin answers a filter it cannot apply by sending the user back to the list.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("Бондаренко", "alias “Мария Бондаренко” (Changed name)"),
        ("Александр", "spelling “александр”"),
        ("Aleksandr", "spelling “aleksandr”"),
    ],
)
def test_case_list_says_which_alias_or_spelling_a_search_matched(
    admin_client: Any, listing: dict[str, Case], query: str, note: str
) -> None:
    services.child_alias_add(
        child=listing["shared"].child, actor=None, name="Мария Бондаренко", kind="changed"
    )
    response = admin_client.get(changelist_url(), {"q": query})

    page = response.content.decode()
    assert f'<small class="case-search-match">Found by {note}</small>' in page
    assert page.count('class="case-search-match"') == 1


@pytest.mark.parametrize("query", ["Шевчук", "Shevchuk", "Шевчук Олександр"])
def test_case_list_says_nothing_more_when_the_name_itself_matched(
    admin_client: Any, listing: dict[str, Case], query: str
) -> None:
    page = admin_client.get(changelist_url(), {"q": query}).content.decode()

    assert listing["mine"].number in page
    assert "case-search-match" not in page


def test_case_list_finds_a_bare_case_number(
    client: Any, caseworker: Any, listing: dict[str, Case]
) -> None:
    client.force_login(caseworker)
    number = listing["free"].number
    _prefix, year, position = number.split("-")

    assert _listed(client, q=f"{year} {position}") == {number}
    assert _listed(client, q=str(int(position))) == {number}


def _queries(client: Any, **params: Any) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(changelist_url(), params)
    assert response.status_code == 200
    return len(response.context["cl"].result_list), len(queries)


@pytest.mark.parametrize(
    "params", [{"q": "Александр"}, {"assigned": "me", "held_by": "mine"}, {"q": "2026"}]
)
def test_case_list_query_count_does_not_grow_with_rows(
    client: Any, caseworker: Any, db: None, params: dict[str, str]
) -> None:
    def add(count: int) -> None:
        for _ in range(count):
            case = make_case(
                child={"given_name": "Олександр", "family_name": "Гнатюк", "patronymic": ""},
                assignee=caseworker,
            )
            services.child_alias_add(
                child=case.child, actor=None, name="Александр Гнатюк", kind="russified"
            )

    client.force_login(caseworker)
    add(3)
    few_rows, few = _queries(client, **params)
    add(12)
    many_rows, many = _queries(client, **params)

    assert many_rows > few_rows
    assert many == few

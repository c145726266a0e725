"""A caseworker's day in the admin, in a browser: find a child by any spelling, open the case,
add a relative and a whereabouts record, move the case on, meet a refused move, read the
history. Every page visited is checked with axe-core and at a phone's width."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cases.models import Case, Relative, Whereabouts
from tests.browser.pages import CASES, add_inline_row, case_url, check_page
from tests.factories.cases import make_case

pytestmark = pytest.mark.browser


@pytest.fixture
def shevchuk(home_org: Any) -> Case:
    """A boy whose name a Russian document would write Александр: the case to find."""
    return make_case(
        organization=home_org,
        child={
            "given_name": "Олександр",
            "family_name": "Шевчук",
            "patronymic": "Петрович",
            "sex": "male",
        },
    )


@pytest.fixture
def kovalenko(home_org: Any) -> Case:
    """Another child of the organization, who must not come up in the searches."""
    return make_case(
        organization=home_org,
        child={"given_name": "Олена", "family_name": "Коваленко", "sex": "female"},
    )


def search(page: Page, typed: str) -> None:
    page.goto(CASES)
    page.locator("#searchbar").fill(typed)
    page.locator("#searchbar").press("Enter")


# One test for the list, its search in three spellings and their pages: each browser test
# costs a live server's database flush, and these read the same two cases.
def test_case_list_finds_a_child_by_any_spelling(
    caseworker_page: Page, shevchuk: Case, kovalenko: Case
) -> None:
    page = caseworker_page
    page.goto(CASES)
    expect(page.locator("#result_list")).to_contain_text(kovalenko.number)
    check_page(page, "case-list")

    for typed in ("Shevchuk Oleksandr", "Шевчук Олександр", "Шевчук Александр"):
        search(page, typed)

        results = page.locator("#result_list")
        expect(results, f"searched for {typed}").to_contain_text(shevchuk.number)
        expect(results, f"searched for {typed}").not_to_contain_text(kovalenko.number)
    check_page(page, "case-list-search")


def test_case_add_page(caseworker_page: Page) -> None:
    page = caseworker_page

    page.goto(f"{CASES}add/")

    expect(page.locator("h1")).to_contain_text("Add case")
    check_page(page, "case-add")


def test_case_opened_from_the_list(caseworker_page: Page, shevchuk: Case) -> None:
    page = caseworker_page
    search(page, "Shevchuk")

    page.get_by_role("link", name=shevchuk.number).click()

    expect(page).to_have_url(re.compile(re.escape(case_url(shevchuk))))
    expect(page.locator("#content")).to_contain_text("Shevchuk")
    check_page(page, "case")


def test_case_relative_and_whereabouts_added(caseworker_page: Page, shevchuk: Case) -> None:
    page = caseworker_page
    page.goto(case_url(shevchuk))

    add_inline_row(
        page,
        "relatives",
        "Add another relative",
        relationship="mother",
        family_name="Шевчук",
        given_name="Марія",
        phone="+380 00 000 0001",
    )
    add_inline_row(
        page,
        "whereabouts",
        "Add another whereabouts",
        from_date="2023-03-01",
        country="RU",
        settlement="Synthetic settlement",
        source_description="Synthetic volunteer report",
    )
    check_page(page, "case-adding-records")
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator("#relatives-0 [name$='-given_name']")).to_have_value("Марія")
    expect(page.locator("#whereabouts-0 [name$='-settlement']")).to_have_value(
        "Synthetic settlement"
    )
    assert Relative.objects.filter(child=shevchuk.child, given_name="Марія").exists()
    assert Whereabouts.objects.filter(child=shevchuk.child, country="RU").exists()


def test_case_moved_on_and_its_history_read(caseworker_page: Page, shevchuk: Case) -> None:
    page = caseworker_page
    page.goto(case_url(shevchuk))

    page.get_by_role("link", name="Start verification").click()

    expect(page.locator("#content")).to_contain_text("moves from “Reported” to “Verifying”")
    check_page(page, "case-transition")
    page.locator("[name='reason']").fill("Synthetic: the report came from the mother")
    page.get_by_role("button", name="Start verification").click()

    expect(page).to_have_url(case_url(shevchuk))
    expect(page.locator(".messagelist")).to_contain_text(
        f"Case {shevchuk.number} moved to “Verifying”."
    )
    expect(page.get_by_role("link", name="Identity verified: start the search")).to_be_visible()
    shevchuk.refresh_from_db()
    assert shevchuk.status == "verifying"

    # The timeline on the case page, and the history on its own page: the move, who, why.
    timeline = page.locator("#case-timeline")
    expect(timeline).to_contain_text("Reported → Verifying")
    expect(timeline).to_contain_text("Synthetic: the report came from the mother")
    page.get_by_role("link", name="Read the history of the case, change by change").click()
    move = page.locator(".case-history-move").first
    expect(move).to_contain_text("Reported")
    expect(move).to_contain_text("Verifying")
    expect(move).to_contain_text("Synthetic: the report came from the mother")
    check_page(page, "case-history")


def test_case_forbidden_move_is_refused_with_a_clear_message(
    caseworker_page: Page, shevchuk: Case
) -> None:
    page = caseworker_page

    # Straight from "reported" to "returned": not a move the workflow has (a stale bookmark).
    page.goto(f"{CASES}{shevchuk.pk}/transition/returned/")

    expect(page).to_have_url(case_url(shevchuk))
    message = page.locator(".messagelist .error")
    expect(message).to_contain_text(
        "The workflow does not allow moving a case from “Reported” to “Returned”. "
        "Allowed: Verifying, Closed."
    )
    check_page(page, "case-move-refused")
    # Closing takes a supervisor: a caseworker is told so, and what to do instead.
    page.goto(f"{CASES}{shevchuk.pk}/transition/closed/")
    expect(page.locator(".messagelist .error")).to_contain_text(
        "Closing or reopening a case takes a supervisor of its organization. "
        "Request the closure instead"
    )
    shevchuk.refresh_from_db()
    assert shevchuk.status == "reported"

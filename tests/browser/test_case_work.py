"""The case work the admin's newer pages do, in a browser: a document attached to a case and
listed with its reliability, a closure requested by a caseworker and approved from the
supervisor's home page, the interface switched to Ukrainian and kept, and the filtered case
list exported. Every page visited is checked with axe-core and at a phone's width."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from sources.models import Evidence
from tests.browser.conftest import PageAs
from tests.browser.pages import CASES, case_url, check_page
from tests.factories.cases import make_case, move_case
from tests.factories.sources import text_bytes

pytestmark = pytest.mark.browser


def open_section(page: Page, section_id: str) -> None:
    """The case page folds its sections: open one as a person would, by its summary."""
    section = page.locator(f"#{section_id}")
    if section.evaluate("element => element.tagName") == "DETAILS" and not section.evaluate(
        "element => element.open"
    ):
        section.locator("summary").first.click()


def test_document_attached_to_a_case_and_listed_with_its_reliability(
    caseworker_page: Page, home_org: Any
) -> None:
    page = caseworker_page
    case = make_case(organization=home_org)
    page.goto(case_url(case))
    open_section(page, "case-section-documents")
    documents = page.locator("#case-documents")
    expect(documents).to_contain_text("No document supports this case yet.")

    documents.get_by_role("link", name="Attach a document").click()

    expect(page.locator("#case_attach_form")).to_be_visible()
    check_page(page, "case-attach-document")
    page.locator("#id_file").set_input_files(
        {
            "name": "synthetic-statement.txt",
            "mimeType": "text/plain",
            "buffer": text_bytes("attached in a browser"),
        }
    )
    page.locator("#id_fact").select_option("deportation")
    page.locator("#id_kind").select_option("testimony")
    page.locator("#id_title").fill("Synthetic statement of the mother")
    page.locator("#id_page").fill("2")
    page.get_by_role("button", name="Attach").click()

    expect(page).to_have_url(re.compile(re.escape(case_url(case)) + "#case-section-documents$"))
    expect(page.locator(".messagelist")).to_contain_text("received")
    row = page.locator("#case-documents .case-document")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Synthetic statement of the mother")
    expect(row).to_contain_text("Testimony")
    expect(row).to_contain_text("not judged yet")
    check_page(page, "case-with-document")
    evidence = Evidence.objects.select_related("source").get(case=case)
    assert (evidence.fact, evidence.page) == ("deportation", "2")
    assert evidence.source.size == len(text_bytes("attached in a browser"))


def test_closure_requested_by_a_caseworker_and_approved_from_the_home_page(
    page_as: PageAs, home_org: Any
) -> None:
    case = make_case(organization=home_org)
    page = page_as("caseworker")
    page.goto(case_url(case))

    page.get_by_role("link", name="Request closure").click()

    page.locator("#id_closure_reason").select_option("integrated")
    page.locator("#id_reason").fill("Synthetic: the child is back with the mother.")
    check_page(page, "case-request-closure-filled")
    page.get_by_role("button", name="Request closure").click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"Closure of case {case.number} requested; a supervisor decides."
    )

    page = page_as("supervisor")
    page.goto("/admin/")
    queue = page.locator("#closure-queue")
    expect(queue).to_contain_text(case.number)
    check_page(page, "home-supervisor-queue")
    queue.get_by_role("link", name=f"Approve closure of {case.number}").click()

    expect(page.locator("#content")).to_contain_text(
        "Synthetic: the child is back with the mother."
    )
    check_page(page, "closure-decide")
    page.get_by_role("button", name="Approve and close the case").click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator(".messagelist")).to_contain_text(
        f"Closure approved: case {case.number} is closed."
    )
    expect(page.locator("#closure-queue")).to_contain_text("Nothing is waiting.")
    case.refresh_from_db()
    assert case.status == "closed"


def test_language_switched_to_ukrainian_and_kept(page_as: PageAs, home_org: Any) -> None:
    page = page_as("caseworker")
    make_case(organization=home_org)
    page.goto(CASES)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="Українська").click()

    expect(page).to_have_url(re.compile(re.escape(CASES) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("button", name="Українська")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("h1")).to_contain_text("справ")
    content = page.locator("#content")
    expect(content).to_contain_text("Призначені мені")
    expect(content.get_by_role("link", name="Експорт у CSV")).to_be_visible()
    check_page(page, "case-list-uk")

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "uk")

    # Kept on the account: signed in anew, without the language cookie, still in Ukrainian.
    page_as.log_in(page_as.user)
    page.goto(CASES)
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.locator("#content")).to_contain_text("Призначені мені")


def test_filtered_case_list_exported_to_csv_and_xlsx(caseworker_page: Page, home_org: Any) -> None:
    page = caseworker_page
    reported = make_case(organization=home_org)
    verifying = move_case(make_case(organization=home_org), "verifying")
    page.goto(CASES)
    page.locator("#changelist-filter").get_by_role("link", name="Verifying").first.click()
    expect(page.locator("#result_list")).to_contain_text(verifying.number)
    expect(page.locator("#result_list")).not_to_contain_text(reported.number)
    check_page(page, "case-list-filtered")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert re.fullmatch(r"cases-.*\.csv", download.suggested_filename)
    text = download.path().read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["Case number", "Status", "Phase"]
    assert [(row[0], row[1]) for row in rows] == [(verifying.number, "Verifying")]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export XLSX").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).worksheets[0]
    numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert numbers == [verifying.number]

"""The other pages each role works in, checked as every page is: axe-core, a phone's width and
a screenshot (``check_page``). One test: each browser test costs a flush of the live server's
database."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.pages import check_page
from tests.factories.cases import make_case

pytestmark = pytest.mark.browser


def test_pages_of_each_role(page_as: Any, home_org: Any) -> None:
    case = make_case(organization=home_org)
    pages = {
        "supervisor": [
            (f"/admin/cases/case/{case.pk}/request-closure/", "case-request-closure"),
            (f"/admin/cases/case/{case.pk}/share/", "case-share"),
            ("/admin/cases/duplicatepair/", "duplicate-pairs"),
            ("/admin/password_change/", "password-change"),
        ],
        "coordinator": [
            ("/admin/coalition/member/", "coalition-members"),
            ("/admin/coalition/meeting/add/", "coalition-meeting-add"),
            ("/admin/coalition/pledge/add/", "coalition-pledge-add"),
        ],
        "auditor": [
            ("/admin/audit/auditevent/", "audit-events"),
            (f"/admin/cases/case/{case.pk}/change/", "case-read-only"),
        ],
    }
    for role, visits in pages.items():
        page = page_as(role)
        for url, name in visits:
            response = page.goto(url)

            assert response is not None
            assert response.status == 200, f"{role} opening {url}: {response.status}"
            expect(page.locator("#content")).to_be_visible()
            check_page(page, name)

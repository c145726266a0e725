"""Logging in to the admin in a browser, as each role, two-factor login included: the code is
typed as a person types what the authenticator app shows."""

from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.browser.pages import check_page, totp_code
from tests.factories.accounts import make_member

pytestmark = pytest.mark.browser

PASSWORD = "synthetic-password-123"


@pytest.fixture
def two_factor_required(settings: Any) -> None:
    """Production's rule (supervisors and superusers must use a second factor); the live
    server runs in this process and reads the same settings."""
    settings.REQUIRE_2FA = True


def enrolled_device(user: Any) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return device


def fill_login(page: Page, username: str, code: str = "") -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    if code:
        page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Log in").click()


def expect_logged_in(page: Page, username: str) -> None:
    expect(page).to_have_url("/admin/")
    expect(page.locator("#user-tools")).to_contain_text(username)


# Each role's everyday list, which it may open once logged in.
ROLE_PAGES = {
    "caseworker": ("/admin/cases/case/", "Select case to change"),
    "supervisor": ("/admin/cases/case/", "Select case to change"),
    "coordinator": ("/admin/coalition/member/", "Select member"),
    "auditor": ("/admin/audit/auditevent/", "Select audit event"),
}


def expect_role_page(page: Page, role: str) -> None:
    url, heading = ROLE_PAGES[role]
    page.goto(url)
    expect(page.locator("h1")).to_contain_text(heading)


@pytest.mark.parametrize("role", ["caseworker", "coordinator", "auditor"])
def test_login_of_each_role_with_a_code_from_the_app(
    page: Page, home_org: Any, two_factor_required: None, role: str
) -> None:
    user = make_member(role, home_org, username=f"{role}-with-phone")
    device = enrolled_device(user)

    fill_login(page, user.username, code=totp_code(device.bin_key))

    expect_logged_in(page, user.username)
    expect_role_page(page, role)


def test_login_of_a_supervisor_starts_with_enrolling_an_authenticator_app(
    page: Page, home_org: Any, two_factor_required: None
) -> None:
    user = make_member("supervisor", home_org, username="supervisor-new")

    fill_login(page, user.username)

    expect(page).to_have_url("/admin/two-factor/enrol/")
    expect(page.locator("#content")).to_contain_text("needs a second factor")
    check_page(page, "two-factor-enrol")
    key = page.locator("#content-main code").inner_text()
    page.get_by_label("Code from your app").fill("000000" if totp_code(key) != "000000" else "1")
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page.locator(".errorlist")).to_contain_text("That code is not valid")
    check_page(page, "two-factor-enrol-wrong-code")

    # A refused code makes the device wait a second before it checks another (django-otp's
    # throttling), as a person retyping would.
    page.wait_for_timeout(1500)
    page.get_by_label("Code from your app").fill(totp_code(key))
    page.get_by_role("button", name="Confirm and log in").click()

    expect_logged_in(page, user.username)
    expect_role_page(page, "supervisor")
    assert TOTPDevice.objects.get(user=user).confirmed


def test_login_page_refuses_a_wrong_code_and_says_so(
    page: Page, home_org: Any, two_factor_required: None
) -> None:
    user = make_member("supervisor", home_org, username="supervisor-with-phone")
    device = enrolled_device(user)
    wrong = "000000" if totp_code(device.bin_key) != "000000" else "111111"

    page.goto("/admin/login/")
    check_page(page, "login")
    fill_login(page, user.username, code=wrong)

    expect(page).to_have_url("/admin/login/")
    expect(page.locator(".errornote")).to_contain_text("That code is not valid")
    check_page(page, "login-wrong-code")
    # Without a code at all, the page asks for one.
    fill_login(page, user.username)
    expect(page.locator(".errornote")).to_contain_text("Enter the code your authenticator app")


def test_home_page_of_each_role(page_as: Any) -> None:
    for role in ("caseworker", "supervisor", "coordinator", "auditor"):
        page = page_as(role)

        page.goto("/admin/")

        expect(page.locator("#user-tools")).to_contain_text(page_as.user.username)
        check_page(page, f"home-{role}")

"""The browser, a page per test and pages logged in by role (see the package's docstring)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from accounts.models import Organization
from tests.browser.pages import HEIGHT, WIDE
from tests.factories.accounts import make_member

CHROMIUM_DEFAULT = "/usr/bin/chromium"
ROLES = ("caseworker", "supervisor", "coordinator", "auditor")
# Long enough for a slow CI machine to render a big page, short enough to fail a hung one soon.
TIMEOUT_MS = 15_000


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH", CHROMIUM_DEFAULT)
    if Path(configured).is_file():
        return configured
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the session (Playwright's own browser builds cannot be
    downloaded here, so Playwright drives the system's)."""
    executable = chromium_path()
    if executable is None:
        reason = (
            "Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH); "
            "the browser tests need it"
        )
        if os.environ.get("BROWSER_TESTS_REQUIRED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs an event loop under the test's code, which Django takes
    # for an async context and would refuse the ORM in; the test's code is synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def base_url(live_server: Any) -> str:
    return str(live_server.url)


@pytest.fixture
def browser_context(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": WIDE, "height": HEIGHT},
        locale="en-GB",
        timezone_id="Europe/Kyiv",
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: Any) -> Any:
    return browser_context.new_page()


@pytest.fixture
def home_org(transactional_db: None, oblasts: Any) -> Organization:
    """The home organization, in a database the live server shares (``transactional_db``)."""
    from tests.factories.cases import home_organization

    return home_organization()


class PageAs:
    """``page_as(role)``: the test's page, logged in as a new member with ``role``."""

    def __init__(self, page: Any, base_url: str, organization: Organization) -> None:
        self.page = page
        self.base_url = base_url
        self.organization = organization
        self.user: Any = None

    def __call__(self, role: str, **user_fields: Any) -> Any:
        assert role in ROLES, f"unknown role {role!r}: one of {ROLES}"
        user_fields.setdefault("username", f"{role}-{get_user_model().objects.count() + 1}")
        self.user = make_member(role, self.organization, **user_fields)
        return self.log_in(self.user)

    def log_in(self, user: Any) -> Any:
        """A new session of ``user`` in the page, every cookie of the last one cleared."""
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.page.context.clear_cookies()
        self.page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": self.base_url}]
        )
        return self.page


@pytest.fixture
def page_as(page: Any, base_url: str, home_org: Organization) -> PageAs:
    return PageAs(page, base_url, home_org)


def _role_page(role: str) -> Callable[..., Any]:
    def fixture(page_as: PageAs) -> Any:
        return page_as(role)

    fixture.__doc__ = f"A page logged in as a {role} of the home organization."
    return pytest.fixture(fixture, name=f"{role}_page")


caseworker_page = _role_page("caseworker")
supervisor_page = _role_page("supervisor")
coordinator_page = _role_page("coordinator")
auditor_page = _role_page("auditor")

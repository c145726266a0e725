"""Browser tests: the admin as a person uses it, in Chromium driven by Playwright.

They run against a live test server (pytest-django's ``live_server``) on the suite's database,
SQLite or PostgreSQL as ``DATABASE_URL`` says, and are marked ``browser``: ``make test`` leaves
them out, ``make test-browser`` runs them (``.ci/run`` does, on PostgreSQL). The browser is
Debian's Chromium (``CHROMIUM_PATH``, default ``/usr/bin/chromium``); without it the tests are
skipped with that reason, unless ``BROWSER_TESTS_REQUIRED=1`` (set by ``make test-browser`` in
CI), where a missing browser fails them.

Fixtures (``tests/browser/conftest.py``):

- ``browser``: one headless Chromium for the whole session.
- ``page``: a new browser context and page per test, 1400 px wide, nothing logged in.
- ``page_as``: ``page_as("caseworker")`` makes a member of the home organization with that role
  (``caseworker``, ``supervisor``, ``coordinator``, ``auditor``) and returns a page logged in as
  them (the session cookie is set directly: the login form itself is tested in
  ``test_login.py``). ``page_as.user`` is the last user it made; ``page_as.log_in(user)``
  starts a new session of a user already made (every cookie of the last one cleared).
- ``caseworker_page``, ``supervisor_page``, ``coordinator_page``, ``auditor_page``: the same,
  one role each.
- ``base_url``: the live server's address.

Helpers (``tests/browser/pages.py``):

- ``axe_check(page)``: runs axe-core in the page and fails on any serious or critical
  violation, listing each with the elements it found.
- ``screenshot(page, name)``: the whole page to ``var/screenshots/<name>-<width>.png`` (the
  folder is ignored by git; ``BROWSER_SCREENSHOTS`` moves it).
- ``assert_no_sideways_scroll(page)``: the page itself is no wider than the window (a wide
  table may scroll inside its own container).
- ``check_page(page, name)``: all three, at 1400 px and then at 390 px wide (a phone), and
  back to 1400. Call it on every page a new feature adds.
- ``add_inline_row(page, prefix, "Add another relative", given_name="...")``: an inline's new
  row, filled in.
- ``CASES``, ``case_url(case)``: the case list's address and a case's page.
- ``totp_code(key)``: the code an authenticator app shows now for a key.

A new feature's test::

    pytestmark = pytest.mark.browser

    def test_home_page_of_a_supervisor(supervisor_page, base_url):
        supervisor_page.goto(f"{base_url}/admin/")
        check_page(supervisor_page, "home-supervisor")
"""

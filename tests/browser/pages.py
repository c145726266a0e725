"""What every browser test checks on a page it visits: accessibility (axe-core), a page that fits
a phone's width, and a screenshot for people to look at (see the package's docstring)."""

from __future__ import annotations

import os
import re
from base64 import b32decode
from pathlib import Path
from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from django.conf import settings
from django_otp.oath import totp
from playwright.sync_api import Locator, Page

# A desktop and a phone (an iPhone 12 to 15 is 390 CSS pixels wide).
WIDE = 1400
PHONE = 390
HEIGHT = 900

# The case list, and a case's page in the admin.
CASES = "/admin/cases/case/"


def case_url(case: Any) -> str:
    return f"{CASES}{case.pk}/change/"


# The impacts that fail a page; "minor" and "moderate" are reported by axe but left alone.
FAILING_IMPACTS = frozenset({"serious", "critical"})


def screenshots_dir() -> Path:
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or settings.BASE_DIR / "var/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Page, name: str) -> Path:
    """The whole page as ``<name>-<width>.png`` in the screenshots folder."""
    width = page.viewport_size["width"] if page.viewport_size else WIDE
    path = screenshots_dir() / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    result: dict[str, Any] = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def axe_check(page: Page) -> None:
    """Fail on any serious or critical accessibility violation, naming each and where it is."""
    failing = [v for v in axe_violations(page) if v.get("impact") in FAILING_IMPACTS]
    if not failing:
        return
    lines = [f"axe-core found {len(failing)} serious or critical violation(s) on {page.url}:"]
    for violation in failing:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node.get('failureSummary', '')}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    raise AssertionError("\n".join(lines))


def assert_no_sideways_scroll(page: Page) -> None:
    """The page itself is no wider than the window: nothing to scroll sideways but what sits in
    its own scrolling container."""
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    scroll_width, inner_width = widths
    if scroll_width <= inner_width:
        return
    wide = page.evaluate(
        """(limit) => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getBoundingClientRect().right > limit + 1)
            .filter(e => !e.parentElement
                || e.parentElement.getBoundingClientRect().right <= limit + 1)
            .slice(0, 8)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                + (e.className && typeof e.className === 'string'
                    ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                + ' right=' + Math.round(e.getBoundingClientRect().right))""",
        inner_width,
    )
    raise AssertionError(
        f"{page.url} is {scroll_width} px wide in a {inner_width} px window; "
        f"what sticks out: {wide}"
    )


def check_page(page: Page, name: str) -> None:
    """axe-core, the width and a screenshot, at 1400 px and at 390 px wide, then back to 1400."""
    for width in (WIDE, PHONE):
        page.set_viewport_size({"width": width, "height": HEIGHT})
        # Two frames: the page's own resize handlers have run and it is laid out anew.
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => setTimeout(r)))")
        if width == PHONE:
            assert_no_sideways_scroll(page)
        axe_check(page)
        screenshot(page, name)
    page.set_viewport_size({"width": WIDE, "height": HEIGHT})


def add_inline_row(page: Page, prefix: str, add_text: str, **values: str) -> Locator:
    """Click an inline's "Add another ..." (``add_text``, any case), its folded section opened
    first, and fill the new row: a select by its option's value, any other input by typing.
    Returns the row."""
    button = page.get_by_role(
        "button", name=re.compile(re.escape(add_text), re.IGNORECASE), include_hidden=True
    )
    # The case page folds its sections: open the one holding the inline first.
    button.evaluate(
        "button => { const section = button.closest('details'); if (section) section.open = true; }"
    )
    button.click()
    row = page.locator(f".dynamic-{prefix}").last
    for name, value in values.items():
        field = row.locator(f"[name$='-{name}']")
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    return row


def totp_code(key: str | bytes) -> str:
    """The code an authenticator app shows now for ``key`` (base32 text as the enrolment page
    shows it, spaces allowed, or the device's raw bytes)."""
    if isinstance(key, str):
        compact = key.replace(" ", "").upper()
        key = b32decode(compact + "=" * (-len(compact) % 8))
    return f"{totp(key, step=30, t0=0, digits=6):06d}"

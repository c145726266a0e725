"""The summary and digest messages: the recipient's language, plain text and HTML with inlined
styles and a chart of table cells (no script, no SVG, no outside image), the CSV attached, the
unsubscribe headers, small cells hidden from readers outside the organization, and no child's
personal data anywhere. All data is synthetic."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from reports.emails import chart_bars
from reports.models import OutboundEmail
from reports.services.outbox import digests_queue, outbox_send, summaries_queue
from reports.services.subscriptions import subscription_set
from reports.unsubscribe import unsubscribe_token_read
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, make_relative, make_whereabouts
from tests.reports.email_world import MONDAY, local, make_reminder, make_report

pytestmark = pytest.mark.django_db

MORNING = local(MONDAY, 8)
# Distinctive synthetic personal data whose appearance in an e-mail is a leak.
CHILD_GIVEN = "Євдокія"
CHILD_FAMILY = "Неповторенко"
CHILD_BIRTH = dt.date(2013, 2, 27)
RELATIVE_NAME = "Родичівна"
RELATIVE_ADDRESS = "Синтетична вулиця 77"
PRIVATE = [
    CHILD_GIVEN,
    CHILD_FAMILY,
    RELATIVE_NAME,
    RELATIVE_ADDRESS,
    CHILD_BIRTH.isoformat(),
    "27.02.2013",
    "27 February 2013",
]


@pytest.fixture
def org() -> Any:
    return OrganizationFactory.create(name="Synthetic e-mail organization")


@pytest.fixture
def child_case(org: Any, oblasts: Any) -> Any:
    case = make_case(
        organization=org,
        child={
            "given_name": CHILD_GIVEN,
            "family_name": CHILD_FAMILY,
            "date_of_birth": CHILD_BIRTH,
        },
    )
    make_relative(case, given_name=RELATIVE_NAME, address=RELATIVE_ADDRESS)
    make_whereabouts(case, region="Synthetic region of stay")
    return case


def _parts(message: Any) -> tuple[str, str, list[tuple[str, str, str]]]:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return message.body, html, list(message.attachments)


def _send_summary(user: Any, topic: str, language: str, org: Any = None) -> Any:
    subscription_set(
        actor=user,
        topic=topic,
        frequency="weekly",
        language=language,
        organization=org if topic == "organization" else None,
    )
    summaries_queue(today=MONDAY)
    assert outbox_send(now=MORNING).sent == 1
    (message,) = mail.outbox
    return message


def _assert_mail_safe(message: Any) -> None:
    text, html, attachments = _parts(message)
    assert "<script" not in html.lower()
    assert "<svg" not in html.lower()
    assert not re.search(r"""src\s*=\s*["']?https?:""", html, re.IGNORECASE)
    assert "<style" not in html.lower()  # inlined
    assert 'style="' in html
    everything = " ".join(
        [message.subject, text, html, *(str(content) for _n, content, _m in attachments)]
    )
    for value in PRIVATE:
        assert value not in everything, value


def _csv_rows(content: str) -> dict[str, str]:
    """The attached CSV (the report's own layout) as ``{"by_status.searching": "20"}``."""
    rows = {}
    for row in csv.DictReader(io.StringIO(content)):
        section = "" if row["section"] == "report" else row["section"]
        path = ".".join(part for part in (section, row["key"], row["subkey"]) if part)
        rows[path] = row["value"]
    return rows


def test_summary_message_english_both_parts_chart_csv_headers(org, child_case):
    supervisor = make_member("supervisor", org)
    make_report(org)
    message = _send_summary(supervisor, "organization", "en", org)
    text, html, attachments = _parts(message)

    assert message.subject == (
        "Weekly summary: Synthetic e-mail organization, 30 November – 6 December 2026"
    )
    assert message.to == [supervisor.email]
    assert "Searching: 20" in text
    assert "Children returned: 6" in text
    # The chart: table cells with widths and colours; the largest count fills its row.
    assert re.search(r'<td[^>]*width="100%"[^>]*bgcolor="#2f855a"', html)
    assert "background-color: #2f855a" in html
    # Exact figures for a member of the organization.
    assert "<5" not in text
    assert "&lt;5" not in html
    (name, content, mimetype) = attachments[0]
    assert (name, mimetype) == (f"summary-organization-{org.pk}-2026-W49.csv", "text/csv")
    rows = _csv_rows(content)
    assert rows["by_status.searching"] == "20"
    assert rows["total"] == "57"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    link = message.extra_headers["List-Unsubscribe"]
    assert link.startswith("<http://testserver/email/unsubscribe/") or link.startswith("<http")
    token = link.strip("<>").rstrip("/").rsplit("/", 1)[1]
    asked = unsubscribe_token_read(token)
    assert asked is not None
    assert (asked.user_id, asked.topic, asked.frequency) == (
        supervisor.pk,
        "organization",
        "weekly",
    )
    assert link.strip("<>") in text
    assert link.strip("<>") in html
    _assert_mail_safe(message)


def test_summary_message_in_ukrainian(org, child_case):
    supervisor = make_member("supervisor", org)
    make_report(org)
    message = _send_summary(supervisor, "organization", "uk", org)
    text, html, _attachments = _parts(message)
    # Django's own Ukrainian month names (in the genitive after a day): the message was built
    # in the recipient's language.
    assert "30 листопада – 6 грудня 2026" in message.subject
    assert "December" not in message.subject + text
    assert 'lang="uk"' in html
    assert message.extra_headers["Content-Language"] == "uk"
    _assert_mail_safe(message)


def test_summary_message_hides_small_cells_from_a_coordinator(org, child_case):
    coordinator = make_member("coordinator", org)
    make_report()
    message = _send_summary(coordinator, "registry", "en")
    text, html, attachments = _parts(message)
    assert message.subject.startswith("Weekly summary: the registry, ")
    assert "Reported: <5" in text
    assert "&lt;5" in html
    rows = _csv_rows(attachments[0][1])
    assert rows["by_status.reported"] == "<5"
    assert rows["suppressed"] == "True"
    assert attachments[0][0] == "summary-registry-2026-W49.csv"
    _assert_mail_safe(message)


def test_coalition_summary_shows_the_coalition_section(org):
    coordinator = make_member("coordinator", org)
    make_report()
    message = _send_summary(coordinator, "coalition", "en")
    text, _html, attachments = _parts(message)
    assert message.subject.startswith("Weekly summary: the coalition, ")
    # Children on lists are counted across organizations: a small cell is hidden.
    assert "Returned: <5" in text
    assert "Listed: 40" in text
    assert "Pledges overdue: 3" in text
    assert "Meetings: 4" in text
    assert "Searching" not in text
    rows = _csv_rows(attachments[0][1])
    assert rows["coalition.list_entries.listed"] == "40"
    assert "by_status.searching" not in rows


def test_summary_links_to_its_report_in_the_admin(org, settings):
    supervisor = make_member("supervisor", org)
    report = make_report(org)
    message = _send_summary(supervisor, "organization", "en", org)
    url = settings.SITE_URL + reverse("admin:reports_statusreport_change", args=[report.pk])
    text, html, _attachments = _parts(message)
    assert url in text
    assert url in html


def test_digest_message_lists_open_reminders_by_case_number(org, child_case, settings):
    caseworker = make_member("caseworker", org)
    make_reminder(caseworker, case=child_case)
    make_reminder(caseworker, case=child_case, rule="closure_waiting", due_on=None)
    make_reminder(caseworker, case=child_case, state="resolved", rule="share_expiring")
    digests_queue(now=MORNING)
    assert outbox_send(now=MORNING).sent == 1
    (message,) = mail.outbox
    text, html, attachments = _parts(message)
    assert message.subject == "Your reminders for 7 December 2026: 2 open"
    assert f"Follow-up for {child_case.number} due on 9 Dec 2026" in text
    assert child_case.number in html
    # Each reminder links to the admin page of its case.
    case_page = settings.SITE_URL + reverse("admin:cases_case_change", args=[child_case.pk])
    assert case_page in text
    assert f'href="{case_page}"' in html
    assert "Follow-up due or overdue: 1" in text
    assert "Closure request waiting for a decision: 1" in text
    assert "Share expiring" not in text
    assert attachments == []
    asked = unsubscribe_token_read(
        message.extra_headers["List-Unsubscribe"].strip("<>").rstrip("/").rsplit("/", 1)[1]
    )
    assert asked is not None
    assert (asked.topic, asked.frequency) == ("digest", "daily")
    _assert_mail_safe(message)


def test_digest_message_in_ukrainian(org, child_case):
    caseworker = make_member("caseworker", org)
    subscription_set(actor=caseworker, topic="digest", frequency="daily", language="uk")
    make_reminder(caseworker, case=child_case)
    digests_queue(now=MORNING)
    outbox_send(now=MORNING)
    (message,) = mail.outbox
    assert "7 грудня 2026" in message.subject
    assert "9 Гру 2026" in message.body
    assert OutboundEmail.objects.get().language == "uk"
    _assert_mail_safe(message)


def test_chart_bars_hide_the_size_of_a_hidden_count():
    bars = chart_bars({"a": 10, "b": "<5", "c": 0}, {"a": "A", "b": "B", "c": "C"})
    assert [(b.label, b.shown, b.percent) for b in bars] == [
        ("A", "10", 100),
        ("B", "<5", 2),
        ("C", "0", 0),
    ]

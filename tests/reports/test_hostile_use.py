"""The reports app used as a hostile or careless user would: malformed ids and bodies, unknown
parameters, other users' and organizations' records, small cells recovered by arithmetic,
e-mails to people who lost their rights, names with line breaks, forged unsubscribe links.
All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import membership_end
from cases.workflow import Phase, statuses_in_phase
from reports.models import OutboundEmail, OutboxStatus, Subscription
from reports.services.outbox import digests_queue, outbox_send, summaries_queue
from reports.services.subscriptions import subscription_set
from reports.suppression import figures_as_seen, suppress
from reports.unsubscribe import unsubscribe_token
from tests.factories.accounts import OrganizationFactory, UserFactory, make_api_key, make_member
from tests.factories.cases import make_case
from tests.factories.reports import make_reminder
from tests.reports.email_world import MONDAY, figures, local, make_report

pytestmark = pytest.mark.django_db

MORNING = local(MONDAY, 8)
HUGE = str(2**64)


def _client(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _recoverable_by_phase(seen: dict[str, Any]) -> list[str]:
    """The hidden statuses an outsider finds again from a phase's count and its other
    statuses' counts."""
    found = []
    for phase in Phase.values:
        if not isinstance(seen["by_phase"].get(phase), int):
            continue
        members = statuses_in_phase(phase)
        hidden = [s for s in members if not isinstance(seen["by_status"][s], int)]
        if len(hidden) == 1:
            found.append(hidden[0])
    return found


# ---------------------------------------------------------------------------------------------
# Small cells
# ---------------------------------------------------------------------------------------------
def test_suppress_hides_phases_that_would_give_a_hidden_status_away():
    seen = suppress(figures())
    # Repatriation is 36 = reported (3, hidden) + verifying 6 + searching 20 + located 7 +
    # return in progress 0: showing 36 gives the hidden 3 back by subtraction.
    assert _recoverable_by_phase(seen) == []
    for phase in Phase.values:
        if isinstance(seen["by_phase"][phase], int):
            members = statuses_in_phase(phase)
            assert all(isinstance(seen["by_status"][s], int) for s in members)


def test_suppress_hides_a_phase_equal_to_a_status_hidden_by_subtraction():
    data = figures(
        total=40,
        by_status={
            "reported": 2,
            "verifying": 0,
            "searching": 20,
            "located": 0,
            "return_in_progress": 0,
            "returned": 0,
            "rehabilitation": 0,
            "integration": 9,
            "closed": 9,
        },
        by_phase={"repatriation": 22, "rehabilitation": 0, "integration": 9, "closed": 9},
    )
    seen = suppress(data)
    # "reported" is small; one of the nines is hidden beside it in by_status: its phase (equal
    # to it) must not show it again, or 40 - 20 - 9 - 9 gives "reported" back.
    assert seen["by_status"]["reported"] == "<5"
    hidden = [k for k in ("integration", "closed") if seen["by_status"][k] == "<5"]
    assert len(hidden) == 1
    assert seen["by_phase"][hidden[0]] == "<5"
    assert seen["by_phase"]["repatriation"] == "<5"
    assert _recoverable_by_phase(seen) == []


def test_figures_as_seen_of_a_superuser_outside_the_organization_are_suppressed():
    org = OrganizationFactory.create()
    report = make_report(org)
    seen = figures_as_seen(report, UserFactory.create(is_superuser=True))
    assert seen["suppressed"] is True
    assert seen["by_status"]["reported"] == "<5"
    assert _recoverable_by_phase(seen) == []
    # What is stored stays exact.
    report.refresh_from_db()
    assert report.figures["by_status"]["reported"] == 3


def test_report_downloads_and_page_agree_with_the_api_on_hidden_cells(client):
    org = OrganizationFactory.create()
    report = make_report(org)
    auditor = make_member(Role.AUDITOR, OrganizationFactory.create())
    api = _client(auditor)
    detail = api.get(f"/api/v1/reports/{report.pk}/").json()
    assert detail["suppressed"] is True
    assert detail["figures"]["by_phase"]["repatriation"] != 36
    csv_body = api.get(f"/api/v1/reports/{report.pk}/csv/").content.decode()
    assert "by_phase,repatriation,,36" not in csv_body
    client.force_login(auditor)
    page = client.get(reverse("admin:reports_statusreport_change", args=[report.pk]))
    assert page.status_code == 200
    assert ">36<" not in page.content.decode()


# ---------------------------------------------------------------------------------------------
# The outbox
# ---------------------------------------------------------------------------------------------
def test_outbox_send_skips_a_summary_whose_recipient_lost_the_right_since_queueing():
    org = OrganizationFactory.create()
    supervisor = make_member(Role.SUPERVISOR, org)
    subscription_set(actor=supervisor, topic="organization", frequency="weekly", organization=org)
    make_report(org)
    assert summaries_queue(today=MONDAY) == 1
    membership_end(membership=supervisor.memberships.get(), actor=None)
    mail.outbox.clear()

    outbox_send(now=MORNING)

    assert mail.outbox == []
    assert OutboundEmail.objects.get().status == OutboxStatus.SKIPPED


def test_outbox_send_skips_a_digest_whose_recipient_lost_the_role_since_queueing():
    org = OrganizationFactory.create()
    caseworker = make_member(Role.CASEWORKER, org)
    make_reminder(caseworker)
    assert digests_queue(now=MORNING) == 1
    membership_end(membership=caseworker.memberships.get(), actor=None)
    mail.outbox.clear()

    outbox_send(now=MORNING)

    assert mail.outbox == []
    assert OutboundEmail.objects.get().status == OutboxStatus.SKIPPED


def test_outbox_send_keeps_line_breaks_of_an_organization_name_out_of_the_headers():
    org = OrganizationFactory.create(name="Synthetic org\r\nBcc: intruder@example.org")
    supervisor = make_member(Role.SUPERVISOR, org)
    subscription_set(actor=supervisor, topic="organization", frequency="weekly", organization=org)
    make_report(org)
    summaries_queue(today=MONDAY)
    mail.outbox.clear()

    outbox_send(now=MORNING)  # no exception: the record does not block the outbox

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert "\n" not in sent.subject and "\r" not in sent.subject
    assert sent.message()["Bcc"] is None and sent.bcc == []
    assert OutboundEmail.objects.get().status == OutboxStatus.SENT


def test_outbox_send_fails_a_broken_address_without_blocking_the_others():
    org = OrganizationFactory.create()
    broken = make_member(Role.CASEWORKER, org, email="a@example.org\nBcc: intruder@example.org")
    fine = make_member(Role.CASEWORKER, org)
    make_reminder(broken)
    make_reminder(fine)
    assert digests_queue(now=MORNING) == 2
    mail.outbox.clear()

    result = outbox_send(now=MORNING)  # no exception

    assert [m.to for m in mail.outbox] == [[fine.email]]
    assert result.sent == 1 and result.failed == 1
    failed = OutboundEmail.objects.get(user=broken)
    assert failed.status == OutboxStatus.FAILED
    assert "intruder" not in failed.last_error


def test_outbox_send_skips_a_summary_unsubscribed_since_queueing(client):
    org = OrganizationFactory.create()
    supervisor = make_member(Role.SUPERVISOR, org)
    subscription_set(actor=supervisor, topic="organization", frequency="weekly", organization=org)
    make_report(org)
    summaries_queue(today=MONDAY)
    token = unsubscribe_token(user_id=supervisor.pk, topic="organization", frequency="weekly")
    assert client.post(f"/email/unsubscribe/{token}/").status_code == 200
    mail.outbox.clear()

    outbox_send(now=MORNING)

    assert mail.outbox == []
    assert OutboundEmail.objects.get().status == OutboxStatus.SKIPPED

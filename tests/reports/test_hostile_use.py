"""The reports app used as a hostile or careless user would: malformed ids and bodies, unknown
parameters, other users' and organizations' records, small cells recovered by arithmetic,
e-mails to people who lost their rights, names with line breaks, forged unsubscribe links.
All data is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail, signing
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.services import membership_end, membership_set
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
    assert "\n" not in sent.subject
    assert "\r" not in sent.subject
    assert sent.message()["Bcc"] is None
    assert sent.bcc == []
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
    assert result.sent == 1
    assert result.failed == 1
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


# ---------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------
BAD_IDS = [HUGE, "-1", "0", "abc", "1.5", "%00", "9" * 400]


def _not_found(bad: str) -> tuple[int, ...]:
    # A NUL anywhere in a path is refused before routing (400), like everywhere in the API.
    return (400,) if "%00" in bad else (404,)


def test_api_malformed_ids_are_404_never_500():
    org = OrganizationFactory.create()
    user = make_member(Role.SUPERVISOR, org)
    api = _client(user)
    for bad in BAD_IDS:
        for url in (
            f"/api/v1/reminders/{bad}/",
            f"/api/v1/reports/{bad}/",
            f"/api/v1/reports/{bad}/csv/",
            f"/api/v1/reports/{bad}/xlsx/",
            f"/api/v1/subscriptions/{bad}/",
        ):
            assert api.get(url).status_code in _not_found(bad), url
        for url in (
            f"/api/v1/reminders/{bad}/acknowledge/",
            f"/api/v1/reminders/{bad}/snooze/",
        ):
            response = api.post(url, {"until": "2026-12-20"}, format="json")
            assert response.status_code in _not_found(bad), url
        assert api.delete(f"/api/v1/subscriptions/{bad}/").status_code in _not_found(bad)


def test_api_unknown_and_malformed_query_parameters_are_400_naming_them():
    org = OrganizationFactory.create()
    api = _client(make_member(Role.SUPERVISOR, org))
    cases = {
        "/api/v1/reminders/?bogus=1": "bogus",
        "/api/v1/reminders/?state=gone": "state",
        "/api/v1/reminders/?rule=%00": "rule",
        "/api/v1/reminders/?due_before=not-a-date": "due_before",
        "/api/v1/reports/?bogus=1": "bogus",
        "/api/v1/reports/?scope=world": "scope",
        f"/api/v1/reports/?organization={HUGE}": "organization",
        "/api/v1/reports/?organization=abc": "organization",
        "/api/v1/reports/?period=year": "period",
        "/api/v1/reports/?period_start_after=2026-13-01": "period_start_after",
        "/api/v1/subscriptions/?bogus=1": "bogus",
    }
    for url, field in cases.items():
        response = api.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert field in response.content.decode(), url


def test_api_snooze_rejects_bad_dates_naming_until():
    user = make_member(Role.CASEWORKER)
    reminder = make_reminder(user)
    api = _client(user)
    url = f"/api/v1/reminders/{reminder.pk}/snooze/"
    for body in (
        {"until": "2020-01-01"},
        {"until": "9999-12-31"},
        {"until": "tomorrow"},
        {"until": 20261220},
        {"until": None},
        {"until": ["2026-12-20"]},
        {"until": "2026-12-20\x00"},
        {},
        {"until": "2026-12-20", "extra": 1},
    ):
        response = api.post(url, body, format="json")
        assert response.status_code == 400, (body, response.status_code)
        assert "until" in response.content.decode() or "extra" in response.content.decode()


def test_api_other_users_reminders_and_subscriptions_are_404():
    org = OrganizationFactory.create()
    me, other = make_member(Role.SUPERVISOR, org), make_member(Role.SUPERVISOR, org)
    theirs = make_reminder(other)
    subscription, _created = subscription_set(
        actor=other, topic="organization", frequency="weekly", organization=org
    )
    api = _client(me)
    assert api.get(f"/api/v1/reminders/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/reminders/{theirs.pk}/acknowledge/").status_code == 404
    assert api.get(f"/api/v1/subscriptions/{subscription.pk}/").status_code == 404
    assert api.delete(f"/api/v1/subscriptions/{subscription.pk}/").status_code == 404
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None


def test_api_anonymous_is_401_and_partner_keys_read_no_reports():
    anon = APIClient()
    for url in ("/api/v1/reminders/", "/api/v1/reports/", "/api/v1/subscriptions/"):
        assert anon.get(url).status_code == 401, url
    org = OrganizationFactory.create()
    report = make_report(org)
    registry = make_report()
    _key, secret = make_api_key(org)
    partner = APIClient()
    partner.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert partner.get("/api/v1/reports/").json()["results"] == []
    for target in (report, registry):
        assert partner.get(f"/api/v1/reports/{target.pk}/").status_code == 404
        assert partner.get(f"/api/v1/reports/{target.pk}/csv/").status_code == 404


def test_api_report_issue_rejects_bad_bodies_naming_the_field():
    org = OrganizationFactory.create()
    make_case(organization=org)
    api = _client(make_member(Role.SUPERVISOR, org))
    base = {"scope": "organization", "organization": org.pk, "period": "week"}
    cases = [
        ({**base, "period_start": "2026-11-24"}, "period_start"),  # a Tuesday
        ({**base, "period_start": "2099-11-30"}, "period_start"),
        ({**base, "period_start": "not a date"}, "period_start"),
        ({**base, "period_start": "2026-11-23", "bogus": 1}, "bogus"),
        ({**base, "organization": HUGE, "period_start": "2026-11-23"}, "organization"),
        ({**base, "organization": "x\x00", "period_start": "2026-11-23"}, "organization"),
        ({**base, "organization": True, "period_start": "2026-11-23"}, "organization"),
        (
            {**base, "period": "custom", "period_start": "2024-01-01", "period_end": "2025-06-01"},
            "period_end",
        ),
        ({**base, "period": "custom", "period_start": "2026-01-01"}, "period_end"),
        ({**base, "scope": "registry", "period_start": "2026-11-23"}, "organization"),
    ]
    for body, field in cases:
        response = api.post("/api/v1/reports/", body, format="json")
        assert response.status_code == 400, (body, response.status_code, response.content)
        assert field in response.json().get("fields", {}), (body, response.json())


def test_api_report_issue_for_another_or_inactive_organization_is_refused():
    org, other = OrganizationFactory.create(), OrganizationFactory.create()
    make_case(organization=other)
    supervisor = make_member(Role.SUPERVISOR, org)
    api = _client(supervisor)
    body = {
        "scope": "organization",
        "organization": other.pk,
        "period": "week",
        "period_start": "2026-11-23",
    }
    assert api.post("/api/v1/reports/", body, format="json").status_code == 403
    org.is_active = False
    org.save()
    body["organization"] = org.pk
    assert api.post("/api/v1/reports/", body, format="json").status_code in (400, 403)


def test_api_report_issue_twice_is_409():
    org = OrganizationFactory.create()
    make_case(organization=org)
    api = _client(make_member(Role.SUPERVISOR, org))
    body = {
        "scope": "organization",
        "organization": org.pk,
        "period": "week",
        "period_start": "2026-11-23",
    }
    assert api.post("/api/v1/reports/", body, format="json").status_code == 201
    second = api.post("/api/v1/reports/", body, format="json")
    assert second.status_code == 409
    assert second.json()["code"] == "report_exists"


def test_api_subscriptions_reject_bad_bodies_naming_the_field():
    org = OrganizationFactory.create()
    api = _client(make_member(Role.SUPERVISOR, org))
    own = {"topic": "organization", "frequency": "weekly", "organization": org.pk}
    cases = [
        ({"topic": "registry", "frequency": "weekly"}, "topic"),
        ({"topic": "organization", "frequency": "daily", "organization": org.pk}, "frequency"),
        ({"topic": "organization", "frequency": "weekly", "organization": HUGE}, "organization"),
        ({"topic": "organization", "frequency": "weekly", "organization": "1\x00"}, "organization"),
        ({"topic": "organization", "frequency": "weekly"}, "organization"),
        ({"topic": "organization", "frequency": "weekly", "organization": org.pk, "x": 1}, "x"),
        ({**own, "language": "xx"}, "language"),
        ({"topic": "digest\x00", "frequency": "daily"}, "topic"),
    ]
    for body, field in cases:
        response = api.post("/api/v1/subscriptions/", body, format="json")
        assert response.status_code in (400, 403), (body, response.status_code, response.content)
        assert field in response.json().get("fields", {}), (body, response.json())


# ---------------------------------------------------------------------------------------------
# The admin
# ---------------------------------------------------------------------------------------------
REMINDERS = reverse("admin:reports_reminder_changelist")
OUTBOX = reverse("admin:reports_outboundemail_changelist")
SUBSCRIPTIONS = reverse("admin:reports_subscription_changelist")


def test_admin_reminders_show_and_act_on_ones_own_only(client):
    org = OrganizationFactory.create()
    me, other = make_member(Role.CASEWORKER, org), make_member(Role.CASEWORKER, org)
    mine, theirs = make_reminder(me), make_reminder(other)
    client.force_login(me)
    for query in ("", "?whose=all", "?whose=x%00", "?bogus=1", "?user__id__exact=1", "?o=99"):
        response = client.get(REMINDERS + query)
        assert response.status_code in (200, 302, 400), query
        if response.status_code == 200:
            assert f"/{theirs.pk}/" not in response.content.decode(), query
    assert client.get(reverse("admin:reports_reminder_change", args=[theirs.pk])).status_code == 302
    client.post(REMINDERS, {"action": "acknowledge", "_selected_action": [mine.pk, theirs.pk]})
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.state == "open"
    assert mine.state == "acknowledged"


def test_admin_outbox_is_for_superusers_only_and_never_shows_the_body(client):
    org = OrganizationFactory.create()
    supervisor = make_member(Role.SUPERVISOR, org)
    subscription_set(actor=supervisor, topic="organization", frequency="weekly", organization=org)
    make_report(org)
    summaries_queue(today=MONDAY)
    record = OutboundEmail.objects.get()
    client.force_login(supervisor)
    assert client.get(OUTBOX).status_code == 403
    change = reverse("admin:reports_outboundemail_change", args=[record.pk])
    assert client.get(change).status_code in (302, 403)
    client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
    page = client.get(change)
    assert page.status_code == 200
    assert "Weekly summary" not in page.content.decode()
    assert client.get(OUTBOX + "?bogus=1").status_code in (200, 302, 400)


def test_admin_subscriptions_list_ones_own_only(client):
    org = OrganizationFactory.create()
    me, other = make_member(Role.SUPERVISOR, org), make_member(Role.SUPERVISOR, org)
    theirs, _created = subscription_set(
        actor=other, topic="organization", frequency="weekly", organization=org
    )
    client.force_login(me)
    listing = client.get(SUBSCRIPTIONS)
    assert listing.status_code == 200
    assert other.username not in listing.content.decode()
    change = reverse("admin:reports_subscription_change", args=[theirs.pk])
    assert client.get(change).status_code == 302
    client.post(SUBSCRIPTIONS, {"action": "unsubscribe", "_selected_action": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.unsubscribed_at is None


# ---------------------------------------------------------------------------------------------
# The unsubscribe page
# ---------------------------------------------------------------------------------------------
def _unsubscribe_url(token: str) -> str:
    return reverse("email-unsubscribe", kwargs={"token": token})


def test_unsubscribe_rejects_tampered_long_and_foreign_tokens_changing_nothing(client):
    org = OrganizationFactory.create()
    user = make_member(Role.SUPERVISOR, org, first_name="Synthetic", last_name="Recipient")
    subscription, _created = subscription_set(
        actor=user, topic="organization", frequency="weekly", organization=org
    )
    token = unsubscribe_token(user_id=user.pk, topic="organization", frequency="weekly")
    other_salt = signing.dumps({"u": user.pk, "t": "organization", "f": "weekly"})
    for bad in (token[:-2] + "xx", token + "a", "a" * 5000, other_salt, "x"):
        response = client.post(_unsubscribe_url(bad))
        assert response.status_code == 400, bad[:20]
    # GET, HEAD change nothing; other methods are refused.
    assert client.get(_unsubscribe_url(token)).status_code == 200
    assert client.head(_unsubscribe_url(token)).status_code in (200, 405)
    assert client.put(_unsubscribe_url(token)).status_code == 405
    assert client.delete(_unsubscribe_url(token)).status_code == 405
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None
    page = client.get(_unsubscribe_url(token)).content.decode()
    for personal in (user.username, user.email, "Synthetic", "Recipient", org.name):
        assert personal not in page


def test_unsubscribe_one_click_stops_only_the_tokens_topic(client):
    org = OrganizationFactory.create()
    user = make_member(Role.COORDINATOR, org)
    weekly, _created = subscription_set(actor=user, topic="registry", frequency="weekly")
    monthly, _created = subscription_set(actor=user, topic="registry", frequency="monthly")
    coalition, _created = subscription_set(actor=user, topic="coalition", frequency="weekly")
    token = unsubscribe_token(user_id=user.pk, topic="registry", frequency="weekly")
    csrf_checked = Client(enforce_csrf_checks=True)
    response = csrf_checked.post(_unsubscribe_url(token), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    for row in (weekly, monthly, coalition):
        row.refresh_from_db()
    assert weekly.unsubscribed_at is not None
    assert monthly.unsubscribed_at is None
    assert coalition.unsubscribed_at is None
    # A topic never subscribed to: nothing to stop, nothing written, no error.
    never = unsubscribe_token(user_id=user.pk, topic="organization", frequency="monthly")
    assert client.post(_unsubscribe_url(never)).status_code == 200
    assert not Subscription.objects.filter(user=user, topic="organization").exists()


# ---------------------------------------------------------------------------------------------
# Reminders and the digest after people or items change
# ---------------------------------------------------------------------------------------------
def test_digest_leaves_out_cases_of_an_organization_the_user_left_since_the_refresh():
    left, stays = OrganizationFactory.create(), OrganizationFactory.create()
    caseworker = make_member(Role.CASEWORKER, left)
    membership_set(user=caseworker, organization=stays, role=Role.CASEWORKER)
    old_case, current_case = make_case(organization=left), make_case(organization=stays)
    make_reminder(
        caseworker,
        case=old_case,
        organization=left,
        details={"case_number": old_case.number, "due_on": "2026-12-09"},
    )
    make_reminder(
        caseworker,
        case=current_case,
        organization=stays,
        details={"case_number": current_case.number, "due_on": "2026-12-09"},
    )
    assert digests_queue(now=MORNING) == 1
    membership_end(membership=caseworker.memberships.get(organization=left), actor=None)
    mail.outbox.clear()

    outbox_send(now=MORNING)

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert isinstance(sent, EmailMultiAlternatives)
    bodies = [sent.body, *(str(content) for content, _type in sent.alternatives)]
    assert all(current_case.number in body for body in bodies)
    assert not any(old_case.number in body for body in bodies)
    assert "1 open" in sent.subject

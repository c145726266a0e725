"""The outbox: summaries and digests queued once per recipient, topic and period; sending one
record at a time, marked sent, retried with backoff, then failed; the administrators' retry and
page; two workers never send the same record twice (PostgreSQL). All data is synthetic."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.services import membership_end
from cases.models import Case, FollowUp
from core.errors import PermissionDenied
from reports.models import OutboundEmail, ReportPeriod, Subscription
from reports.periods import last_complete
from reports.services.outbox import (
    digests_queue,
    outbox_retry,
    outbox_send,
    retry_wait,
    summaries_queue,
)
from reports.services.subscriptions import subscription_set, subscription_unsubscribe
from tests.cases.test_concurrency import race
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case
from tests.reports.email_world import MONDAY, local, make_reminder, make_report

REFUSING = "tests.reports.email_world.RefusingBackend"
MORNING = local(MONDAY, 8)


@pytest.fixture
def org(db: None) -> Any:
    return OrganizationFactory.create(name="Synthetic outbox organization")


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------
def test_summaries_queue_once_per_period(org):
    supervisor = make_member("supervisor", org)
    coordinator = make_member("coordinator", org)
    subscription_set(actor=supervisor, topic="organization", frequency="weekly", organization=org)
    subscription_set(actor=coordinator, topic="registry", frequency="weekly", language="uk")
    subscription_set(actor=coordinator, topic="coalition", frequency="weekly")
    org_report, registry_report = make_report(org), make_report()

    assert summaries_queue(today=MONDAY) == 3
    assert summaries_queue(today=MONDAY) == 0  # the second tick writes nothing
    rows = {(r.user_id, r.topic): r for r in OutboundEmail.objects.all()}
    assert len(rows) == 3
    assert rows[(supervisor.pk, "organization")].report == org_report
    assert rows[(coordinator.pk, "registry")].report == registry_report
    assert rows[(coordinator.pk, "registry")].language == "uk"
    assert rows[(coordinator.pk, "coalition")].report == registry_report
    assert {r.period for r in rows.values()} == {"2026-W49"}


def test_summaries_queue_waits_for_the_report(org):
    coordinator = make_member("coordinator", org)
    subscription_set(actor=coordinator, topic="registry", frequency="monthly")
    make_report()  # the week's, not the month's
    assert summaries_queue(today=MONDAY) == 0
    make_report(period=last_complete(ReportPeriod.MONTH, MONDAY))
    assert summaries_queue(today=MONDAY) == 1
    assert OutboundEmail.objects.get().period == "2026-11"


def test_summaries_queue_skips_who_cannot_receive(org):
    gone = make_member("coordinator", org)
    no_address = make_member("coordinator", org, email="")
    lost_right = make_member("supervisor", org)
    stopped = make_member("coordinator", org)
    for user in (gone, no_address, stopped):
        subscription_set(actor=user, topic="registry", frequency="weekly")
    subscription_set(actor=lost_right, topic="organization", frequency="weekly", organization=org)
    subscription_unsubscribe(user=stopped, topic="registry", frequency="weekly")
    gone.is_active = False
    gone.save()
    membership_end(membership=lost_right.memberships.get(), actor=None)
    make_report(org), make_report()
    assert summaries_queue(today=MONDAY) == 0


# ---------------------------------------------------------------------------------------------
# Digests
# ---------------------------------------------------------------------------------------------
def test_digests_queue_only_with_open_reminders_once_a_day(org):
    busy = make_member("caseworker", org)
    idle = make_member("supervisor", org)
    make_reminder(busy)
    make_reminder(idle, state="resolved")
    make_reminder(idle, state="snoozed")

    assert digests_queue(now=local(MONDAY, 6)) == 0  # before REPORTS_DIGEST_HOUR
    assert digests_queue(now=MORNING) == 1
    assert digests_queue(now=local(MONDAY, 9)) == 0  # once a day
    (row,) = OutboundEmail.objects.all()
    assert (row.user_id, row.topic, row.period, row.language) == (
        busy.pk,
        "digest",
        "2026-12-07",
        "en",
    )
    assert digests_queue(now=local(MONDAY + dt.timedelta(days=1), 7)) == 1


def test_digests_queue_respects_unsubscribing_roles_and_language(org):
    stopped = make_member("caseworker", org)
    ukrainian = make_member("caseworker", org)
    coordinator = make_member("coordinator", org)
    for user in (stopped, ukrainian, coordinator):
        make_reminder(user)
    subscription_unsubscribe(user=stopped, topic="digest", frequency="daily")
    subscription_set(actor=ukrainian, topic="digest", frequency="daily", language="uk")

    assert digests_queue(now=MORNING) == 1
    row = OutboundEmail.objects.get()
    assert row.user_id == ukrainian.pk
    assert row.language == "uk"
    assert row.subscription is not None


def test_digest_without_a_subscription_is_in_the_users_interface_language(org):
    chose_ukrainian = make_member("caseworker", org, language="uk")
    chose_nothing = make_member("caseworker", org)
    subscribed_english = make_member("caseworker", org, language="uk")
    for user in (chose_ukrainian, chose_nothing, subscribed_english):
        make_reminder(user)
    subscription_set(actor=subscribed_english, topic="digest", frequency="daily", language="en")

    assert digests_queue(now=MORNING) == 3

    assert dict(OutboundEmail.objects.values_list("user_id", "language")) == {
        chose_ukrainian.pk: "uk",
        chose_nothing.pk: "en",  # LANGUAGE_CODE of the test settings
        subscribed_english.pk: "en",
    }


@pytest.mark.parametrize("users", [3, 30])
def test_digests_queue_in_constant_queries(org, users, django_assert_num_queries):
    for _ in range(users):
        make_reminder(make_member("caseworker", org))
    # The recipients, the outbox's records of the day, the insert, its audit events; and the
    # savepoint's two statements.
    with django_assert_num_queries(6):
        assert digests_queue(now=MORNING) == users


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------
def _queued_digest(org: Any) -> OutboundEmail:
    user = make_member("caseworker", org)
    make_reminder(user)
    digests_queue(now=MORNING)
    return OutboundEmail.objects.get(user=user)


def test_outbox_send_sends_each_record_once_and_marks_it(org, caplog):
    caplog.set_level(logging.INFO)
    records = [_queued_digest(org) for _ in range(3)]
    result = outbox_send(now=MORNING)
    assert result.counts() == {"sent": 3, "retried": 0, "failed": 0, "skipped": 0}
    assert len(mail.outbox) == 3
    for record in records:
        record.refresh_from_db()
        assert record.status == "sent"
        assert record.attempts == 1
        assert record.sent_at == MORNING
        assert record.message_id.startswith("<")
        assert record.message_id.endswith(">")
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {r.message_id for r in records}
    assert outbox_send(now=MORNING).handled == 0
    for record in records:
        assert record.user.email not in caplog.text
    assert all(m.subject not in caplog.text for m in mail.outbox)


def test_outbox_send_respects_limit_and_due_time(org):
    for _ in range(3):
        _queued_digest(org)
    assert outbox_send(now=MORNING - dt.timedelta(hours=1)).handled == 0
    assert outbox_send(limit=2, now=MORNING).sent == 2
    assert outbox_send(now=MORNING).sent == 1


def test_outbox_send_retries_with_backoff_then_fails(org, settings, caplog):
    settings.EMAIL_BACKEND = REFUSING
    settings.EMAIL_MAX_ATTEMPTS = 4
    record = _queued_digest(org)
    moment = MORNING
    waits = []
    for attempt in range(1, 4):
        assert outbox_send(now=moment).retried == 1
        record.refresh_from_db()
        assert record.status == "pending"
        assert record.attempts == attempt
        assert record.last_error == "SMTPServerDisconnected"
        waits.append(record.next_attempt_at - moment)
        assert outbox_send(now=record.next_attempt_at - dt.timedelta(seconds=1)).handled == 0
        moment = record.next_attempt_at
    assert waits == [dt.timedelta(minutes=1), dt.timedelta(minutes=2), dt.timedelta(minutes=4)]
    assert outbox_send(now=moment).failed == 1
    record.refresh_from_db()
    assert record.status == "failed"
    assert record.attempts == 4
    assert f"email_failed outbox_id={record.pk}" in caplog.text
    assert record.user.email not in caplog.text


def test_retry_wait_grows_to_an_hour():
    assert [retry_wait(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [
        60,
        120,
        240,
        1920,
        3600,
        3600,
    ]


def test_outbox_send_skips_a_digest_whose_reminders_are_gone(org):
    record = _queued_digest(org)
    record.user.reminders.update(state="resolved")
    assert outbox_send(now=MORNING).skipped == 1
    record.refresh_from_db()
    assert record.status == "skipped"
    assert mail.outbox == []


def test_outbox_send_reads_the_address_when_sending(org):
    record = _queued_digest(org)
    record.user.email = "changed-address@example.org"
    record.user.save()
    other = _queued_digest(org)
    other.user.email = ""
    other.user.save()
    result = outbox_send(now=MORNING)
    assert (result.sent, result.failed) == (1, 1)
    assert mail.outbox[0].to == ["changed-address@example.org"]
    other.refresh_from_db()
    assert other.status == "failed"
    assert other.last_error == "no_address"


def test_outbox_retry_puts_failed_back_for_administrators(org, settings):
    settings.EMAIL_BACKEND = REFUSING
    settings.EMAIL_MAX_ATTEMPTS = 1
    record = _queued_digest(org)
    assert outbox_send(now=MORNING).failed == 1
    with pytest.raises(PermissionDenied):
        outbox_retry(actor=record.user, ids=[record.pk])
    admin = UserFactory.create(is_superuser=True)
    assert outbox_retry(actor=admin, ids=[record.pk]) == 1
    record.refresh_from_db()
    assert record.status == "pending"
    assert record.attempts == 0


def test_outbox_admin_for_administrators_only_without_bodies(client, org):
    record = _queued_digest(org)
    outbox_send(now=MORNING)
    client.force_login(record.user)
    assert client.get(reverse("admin:reports_outboundemail_changelist")).status_code == 403
    client.force_login(UserFactory.create(is_superuser=True))
    page = client.get(reverse("admin:reports_outboundemail_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert record.user.username in text
    assert record.user.email not in text
    assert mail.outbox[0].subject not in text
    detail = client.get(reverse("admin:reports_outboundemail_change", args=[record.pk]))
    assert detail.status_code == 200
    assert mail.outbox[0].subject not in detail.content.decode()


def test_outbox_admin_retry_action(client, org, settings):
    settings.EMAIL_BACKEND = REFUSING
    settings.EMAIL_MAX_ATTEMPTS = 1
    record = _queued_digest(org)
    outbox_send(now=MORNING)
    client.force_login(UserFactory.create(is_superuser=True))
    client.post(
        reverse("admin:reports_outboundemail_changelist"),
        {"action": "retry", "_selected_action": [record.pk]},
    )
    record.refresh_from_db()
    assert record.status == "pending"


def test_send_emails_command_refreshes_queues_and_sends(org, capsys, settings):
    settings.REPORTS_DIGEST_HOUR = 0
    user = make_member("caseworker", org)
    case = make_case(organization=org)
    Case.objects.filter(pk=case.pk).update(assignee=user)
    FollowUp.objects.create(case=case, due_on=timezone.localdate() + dt.timedelta(days=3))
    call_command("send_emails", "--queue-only")
    assert OutboundEmail.objects.filter(status="pending").count() == 1
    call_command("send_emails", "--send-only")
    assert len(mail.outbox) == 1
    assert case.number in mail.outbox[0].body
    out = capsys.readouterr().out
    assert "Reminders: 1 new" in out
    assert "1 digests" in out
    assert "Sent: 1" in out


def test_tasks_queue_then_send(org, settings):
    from reports import tasks

    settings.REPORTS_DIGEST_HOUR = 0
    make_reminder(make_member("caseworker", org))
    assert tasks.digests_queue.delay().get() == {"queued": 1}
    assert len(mail.outbox) == 1  # eager: the send ran at once
    assert tasks.outbox_send.delay().get()["sent"] == 0
    assert tasks.summaries_queue.delay().get() == {"queued": 0}
    assert Subscription.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# Two workers at once (PostgreSQL: row locks with SKIP LOCKED)
# ---------------------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_outbox_send_runs_never_send_one_record_twice():
    org = OrganizationFactory.create(name="Synthetic race organization")
    for _ in range(12):
        user = make_member("caseworker", org)
        make_reminder(user)
    digests_queue(now=MORNING)
    results = race(lambda _i: outbox_send(now=MORNING), workers=4)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.sent for r in results) == 12
    assert len(mail.outbox) == 12
    assert len({tuple(m.to) for m in mail.outbox}) == 12
    assert OutboundEmail.objects.filter(status="sent", attempts=1).count() == 12

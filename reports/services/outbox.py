"""The outbox of e-mails: queue the summaries and the daily digests, send what is due, put
failed ones back.

Queueing writes one ``OutboundEmail`` per (recipient, topic, period) before anything is sent:
the unique key makes a tick that fires twice, or two ticks at once, write each record once.
Sending takes one due record at a time, locked (``SKIP LOCKED``: two workers take different
records), builds its message from the report or the reminders as they are now, hands it to the
mail backend and marks it sent in the same transaction. The only message that can go twice is
the one in flight when a worker dies between the SMTP server's acceptance and the commit.

A transport failure is tried again later, waiting 1, 2, 4... minutes (an hour at most), until
``EMAIL_MAX_ATTEMPTS`` attempts have failed: then the record is marked failed and an error is
logged for the administrators, who may put it back (``outbox_retry``).

Logs carry ids and counts only: never an address or a subject.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import Membership, User
from accounts.selectors import actor_roles, actor_roles_forget
from audit import services as audit
from core.errors import PermissionDenied

from ..emails import outbound_message
from ..models import (
    Frequency,
    OutboundEmail,
    OutboxStatus,
    Reminder,
    ReminderState,
    ReportScope,
    StatusReport,
    Subscription,
    Topic,
)
from ..periods import Period, last_complete, period_of_frequency
from ..selectors.subscriptions import DIGEST_ROLES, may_receive, recipients_roles

logger = logging.getLogger(__name__)

SUMMARY_TOPICS = (Topic.ORGANIZATION, Topic.REGISTRY, Topic.COALITION)
SUMMARY_FREQUENCIES = (Frequency.WEEKLY, Frequency.MONTHLY)
# The longest wait between two attempts, in seconds.
LONGEST_RETRY_WAIT = 3600
# How often a queueing tick reads the outbox again after a concurrent tick wrote some of its
# records first.
QUEUE_TRIES = 3


class OutboxDenied(PermissionDenied):
    code = "outbox_denied"
    default_detail = gettext_lazy("Only administrators manage the outbox.")


@dataclass
class SendResult:
    sent: int = 0
    retried: int = 0  # failed this time, to be tried again
    failed: int = 0  # failed for good
    skipped: int = 0  # nothing to send any more

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped

    def counts(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "failed": self.failed,
            "skipped": self.skipped,
        }


# ---------------------------------------------------------------------------------------------
# Queueing
# ---------------------------------------------------------------------------------------------
def _queue(
    candidates: list[OutboundEmail], *, topics: Iterable[str], periods: Iterable[str]
) -> int:
    """Write the candidates whose (user, topic, period) has no record yet; returns how many.

    The records already there are read first and the rest written in one insert (each with its
    audit event). Should a concurrent tick write some of the same keys in between, the unique
    key refuses the insert, and the outbox is read again.
    """
    if not candidates:
        return 0
    topics, periods = list(topics), list(periods)
    for _try in range(QUEUE_TRIES):
        try:
            with transaction.atomic():
                existing = set(
                    OutboundEmail.objects.filter(topic__in=topics, period__in=periods).values_list(
                        "user_id", "topic", "period"
                    )
                )
                new = [c for c in candidates if (c.user_id, c.topic, c.period) not in existing]
                if new:
                    OutboundEmail.objects.bulk_create(new)
                return len(new)
        except IntegrityError:
            for candidate in candidates:
                candidate.pk = None
    raise RuntimeError("the outbox kept changing while e-mails were queued")


def _due_reports(periods: Iterable[Period], organization_ids: set[int]) -> dict[Any, StatusReport]:
    """The scheduled reports of ``periods``: the registry's, and those of the organizations,
    by (period kind, first day, organization id or None)."""
    periods = list(periods)
    scope = Q(scope=ReportScope.REGISTRY)
    if organization_ids:
        scope |= Q(scope=ReportScope.ORGANIZATION, organization_id__in=sorted(organization_ids))
    found = StatusReport.objects.filter(
        scope,
        period__in={p.kind for p in periods},
        period_start__in={p.start for p in periods},
    ).only("id", "period", "period_start", "organization_id")
    return {(r.period, r.period_start, r.organization_id): r for r in found}


def summaries_queue(*, today: dt.date | None = None) -> int:
    """Queue the weekly and monthly summaries of the last complete week and month for every
    active subscription whose report has been issued; returns how many were queued.

    A report not issued yet queues nothing: a later tick finds it. Users who are inactive,
    have no e-mail address or lost the right to the topic since subscribing are left out.
    """
    today = today or timezone.localdate()
    periods = {f: last_complete(period_of_frequency(f), today) for f in SUMMARY_FREQUENCIES}
    subscriptions = list(
        Subscription.objects.filter(
            unsubscribed_at__isnull=True,
            topic__in=SUMMARY_TOPICS,
            frequency__in=SUMMARY_FREQUENCIES,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
    )
    if not subscriptions:
        return 0
    reports = _due_reports(
        periods.values(),
        {s.organization_id for s in subscriptions if s.organization_id is not None},
    )
    roles = recipients_roles({s.user_id: s.user for s in subscriptions}.values())
    now = timezone.now()
    candidates = []
    for subscription in subscriptions:
        period = periods[subscription.frequency]
        organization_id = (
            subscription.organization_id if subscription.topic == Topic.ORGANIZATION else None
        )
        report = reports.get((period.kind, period.start, organization_id))
        if report is None:
            continue
        if not may_receive(roles[subscription.user_id], subscription.topic, organization_id):
            continue
        candidates.append(
            OutboundEmail(
                user_id=subscription.user_id,
                topic=subscription.topic,
                period=period.key,
                subscription=subscription,
                report=report,
                language=subscription.language,
                next_attempt_at=now,
            )
        )
    queued = _queue(candidates, topics=SUMMARY_TOPICS, periods=[p.key for p in periods.values()])
    logger.info("summaries_queued count=%s", queued)
    return queued


def digests_queue(*, today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Queue today's digest for every active caseworker and supervisor with at least one open
    reminder, once the local hour has reached ``REPORTS_DIGEST_HOUR``; returns how many were
    queued. Those who stopped the digest are left out; each gets it in the language of their
    digest subscription, if they have one, else in the interface language they chose, else in
    ``LANGUAGE_CODE``.

    A fixed number of queries, however many users.
    """
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < settings.REPORTS_DIGEST_HOUR:
        return 0
    day = (today or local.date()).isoformat()
    digest = Subscription.objects.filter(user=OuterRef("pk"), topic=Topic.DIGEST)
    recipients = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Exists(Reminder.objects.filter(user=OuterRef("pk"), state=ReminderState.OPEN)),
            Exists(
                Membership.objects.filter(
                    user=OuterRef("pk"),
                    is_active=True,
                    organization__is_active=True,
                    role__in=DIGEST_ROLES,
                )
            ),
        )
        .exclude(Exists(digest.filter(unsubscribed_at__isnull=False)))
        .annotate(
            digest_id=Subquery(digest.values("pk")[:1]),
            digest_language=Subquery(digest.values("language")[:1]),
        )
        .order_by("pk")
        .values_list("pk", "digest_id", "digest_language", "language")
    )
    candidates = [
        OutboundEmail(
            user_id=user_id,
            topic=Topic.DIGEST,
            period=day,
            subscription_id=subscription_id,
            language=digest_language or interface_language or settings.LANGUAGE_CODE,
            next_attempt_at=now,
        )
        for user_id, subscription_id, digest_language, interface_language in recipients
    ]
    queued = _queue(candidates, topics=[Topic.DIGEST], periods=[day])
    logger.info("digests_queued count=%s", queued)
    return queued


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------
def retry_wait(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1 minute, doubling, an hour
    at most."""
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), LONGEST_RETRY_WAIT))


def _close(connection: BaseEmailBackend) -> None:
    # The connection is dropped either way; the next message opens a new one.
    with contextlib.suppress(OSError, smtplib.SMTPException):
        connection.close()


def _fail(record: OutboundEmail, reason: str) -> str:
    record.status = OutboxStatus.FAILED
    record.last_error = reason[:100]
    logger.error(
        "email_failed outbox_id=%s attempts=%s error=%s", record.pk, record.attempts, reason
    )
    return "failed"


def _skip(record: OutboundEmail, reason: str) -> str:
    record.status = OutboxStatus.SKIPPED
    logger.info("email_skipped outbox_id=%s reason=%s", record.pk, reason)
    return "skipped"


def _still_wanted(record: OutboundEmail) -> str | None:
    """Why the record is not to be sent any more, read when sending (the recipient may have
    lost the right, or stopped the e-mail, since it was queued); ``None`` if it is."""
    if not record.user.is_active:
        return "inactive"
    subscription = record.subscription
    if subscription is not None and subscription.unsubscribed_at is not None:
        return "unsubscribed"
    organization_id = (
        record.report.organization_id
        if record.topic == Topic.ORGANIZATION and record.report is not None
        else None
    )
    actor_roles_forget(record.user)
    if not may_receive(actor_roles(record.user), record.topic, organization_id):
        return "no_right"
    return None


def _address_valid(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _deliver(record: OutboundEmail, connection: BaseEmailBackend, moment: dt.datetime) -> str:
    """Send one record's message and set its new state; returns the outcome's name. A record
    whose message cannot be written (an address that is not one, a summary without its
    report) fails for good at once: tried again it would fail again, and block the outbox."""
    reason = _still_wanted(record)
    if reason is not None:
        return _skip(record, reason)
    if not record.user.email:
        return _fail(record, "no_address")
    if not _address_valid(record.user.email):
        return _fail(record, "invalid_address")
    try:
        message = outbound_message(record)
        if message is None:
            return _skip(record, "nothing_to_send")
        message.message()  # headers checked (no line breaks) before the server is reached
    except ValueError as exc:  # BadHeaderError included
        return _fail(record, type(exc).__name__)
    try:
        connection.open()
        connection.send_messages([message])
    except (OSError, smtplib.SMTPException) as exc:
        _close(connection)
        record.attempts += 1
        record.last_error = type(exc).__name__[:100]
        if record.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            return _fail(record, record.last_error)
        record.next_attempt_at = moment + retry_wait(record.attempts)
        logger.warning(
            "email_retry outbox_id=%s attempts=%s error=%s",
            record.pk,
            record.attempts,
            record.last_error,
        )
        return "retried"
    record.attempts += 1
    record.status = OutboxStatus.SENT
    record.sent_at = moment
    record.message_id = str(message.extra_headers.get("Message-ID", ""))[:255]
    logger.info("email_sent outbox_id=%s", record.pk)
    return "sent"


def _send_next(connection: BaseEmailBackend, moment: dt.datetime) -> str | None:
    """Take the next due record, locked, and send it, in one transaction; ``None`` when no
    record is due (or every due one is being sent by another worker)."""
    with transaction.atomic():
        record = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user", "report", "report__organization", "subscription")
            .filter(status=OutboxStatus.PENDING, next_attempt_at__lte=moment)
            .order_by("next_attempt_at", "id")
            .first()
        )
        if record is None:
            return None
        before = audit.snapshot(record)
        outcome = _deliver(record, connection, moment)
        record.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
                "sent_at",
                "message_id",
            ]
        )
        audit.record_update(record, before, actor=None)
    return outcome


def outbox_send(*, limit: int | None = None, now: dt.datetime | None = None) -> SendResult:
    """Send the due records of the outbox, one at a time, until none is due (or ``limit``
    have been handled); returns the counts. One connection to the mail server for the run,
    opened again after a failure."""
    result = SendResult()
    connection = get_connection()
    try:
        while limit is None or result.handled < limit:
            outcome = _send_next(connection, now or timezone.now())
            if outcome is None:
                break
            setattr(result, outcome, getattr(result, outcome) + 1)
    finally:
        _close(connection)
    logger.info(
        "outbox_sent %s", " ".join(f"{name}={count}" for name, count in result.counts().items())
    )
    return result


@transaction.atomic
def outbox_retry(*, actor: User, ids: Iterable[int]) -> int:
    """Put failed records back in the queue, due now, with their attempts counted from zero
    (their last error stays, for the record); returns how many. Administrators only."""
    if not (actor.is_active and actor.is_superuser):
        raise OutboxDenied()
    now = timezone.now()
    records = (
        OutboundEmail.objects.select_for_update()
        .filter(pk__in=list(ids), status=OutboxStatus.FAILED)
        .order_by("pk")
    )
    count = 0
    for record in records:
        before = audit.snapshot(record)
        record.status = OutboxStatus.PENDING
        record.attempts = 0
        record.next_attempt_at = now
        record.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit.record_update(record, before, actor=actor)
        count += 1
    logger.info("outbox_retried count=%s", count)
    return count

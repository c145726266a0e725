"""A Celery worker killed while it sends a batch of e-mails, on PostgreSQL and Redis, with a
real SMTP server: every recipient gets the message, and the only possible second copy is the
one message in flight at the kill (accepted by the server before its record was marked sent).

The SMTP server takes half a second to answer each message, so the kill lands while a message
is in flight, as it would when a machine is lost mid-send.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.utils import timezone

from accounts.models import Role
from reports.models import OutboundEmail, OutboxStatus, ReportPeriod, ReportScope, Topic
from reports.periods import last_complete
from reports.services.reports import report_issue
from tests.celery_workers import VISIBILITY_TIMEOUT, kill, wait_for
from tests.factories.accounts import make_member

RECIPIENTS = 12
SEND_TASK = "reports.outbox_send"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not settings.REDIS_URL, reason="needs Redis (set REDIS_URL) for a real Celery worker"
    ),
]


def test_outbox_worker_killed_mid_batch_sends_each_message_once(
    transactional_db: Any, start_worker: Any, smtp_server: Any, tmp_path: Path
) -> None:
    smtp_server.handler.delay = 0.5
    period = last_complete(ReportPeriod.WEEK)
    report = report_issue(actor=None, scope=ReportScope.REGISTRY, period=period)
    coordinators = [
        make_member(Role.COORDINATOR, email=f"coordinator{n}@registry.example")
        for n in range(RECIPIENTS)
    ]
    OutboundEmail.objects.bulk_create(
        OutboundEmail(
            user=user,
            topic=Topic.REGISTRY,
            period=period.key,
            report=report,
            language="en",
            next_attempt_at=timezone.now(),
        )
        for user in coordinators
    )
    run = uuid.uuid4().hex
    queue = f"registry-test-{run}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    sender = Celery("registry-test-sender", broker=settings.REDIS_URL, backend=settings.REDIS_URL)
    email = {"EMAIL_URL": smtp_server.url}

    def sent() -> int:
        return OutboundEmail.objects.filter(status=OutboxStatus.SENT).count()

    try:
        sender.send_task(SEND_TASK, queue=queue)
        first = start_worker(queue, f"first-{run}", **email)
        wait_for(lambda: smtp_server.handler.count() >= 4, "four messages to arrive", tmp_path)
        kill(first)
        assert sent() < RECIPIENTS

        # The next worker takes the killed one's task back once the visibility timeout has
        # passed, and the next tick (sent here as beat would) finds what is still pending.
        start_worker(queue, f"second-{run}", **email)
        sender.send_task(SEND_TASK, queue=queue)
        wait_for(
            lambda: sent() == RECIPIENTS,
            "every record to be marked sent",
            tmp_path,
            wait=VISIBILITY_TIMEOUT + 45.0,
        )

        counts = smtp_server.handler.per_recipient()
        assert set(counts) == {user.email for user in coordinators}
        extra = sum(counts.values()) - RECIPIENTS
        assert extra in (0, 1), counts  # at most the one message in flight at the kill
        assert all(1 <= count <= 2 for count in counts.values())
        assert not OutboundEmail.objects.exclude(status=OutboxStatus.SENT).exists()
    finally:
        bindings = list(client.scan_iter(f"_kombu.binding*.{queue}"))
        client.delete(queue, *bindings)

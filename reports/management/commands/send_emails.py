"""``python manage.py send_emails [--queue-only | --send-only]``: bring the reminders in step
with their items, queue the due summaries and digests, then send the outbox; what the Celery
ticks do, for a deployment without them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from audit.context import audit_context
from audit.models import Channel
from reports.services import outbox, reminders


class Command(BaseCommand):
    help = _(
        "Refresh the reminders, queue the summary e-mails whose reports are issued and today's "
        "reminder digests (from REPORTS_DIGEST_HOUR on), then send the e-mails that are due."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--queue-only", action="store_true", help=_("Only queue."))
        only.add_argument("--send-only", action="store_true", help=_("Only send."))

    def handle(self, *args: Any, **options: Any) -> None:
        with audit_context(channel=Channel.COMMAND):
            if not options["send_only"]:
                refreshed = reminders.reminders_refresh()
                self.stdout.write(
                    _("Reminders: %(created)s new, %(reopened)s back, %(resolved)s resolved.")
                    % refreshed.as_dict()
                )
                summaries = outbox.summaries_queue()
                digests = outbox.digests_queue()
                self.stdout.write(
                    _("Queued: %(summaries)s summaries, %(digests)s digests.")
                    % {"summaries": summaries, "digests": digests}
                )
            if not options["queue_only"]:
                counts = outbox.outbox_send().counts()
                self.stdout.write(
                    _(
                        "Sent: %(sent)s; to try again: %(retried)s; failed: %(failed)s; "
                        "nothing to send: %(skipped)s."
                    )
                    % counts
                )

"""``python manage.py find_duplicates [--batch-size N]``: match every child against the
registry and propose the possible duplicates for review.

The same scan the nightly task runs (``cases.duplicate_pairs_scan``), in batches of children by
id, each batch in its own transaction: stopped half-way, it keeps what it wrote, and run again
it proposes nothing twice (a pair found before is updated, a decided one left alone). It prints
counts and ids, never a name.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.context import audit_context
from audit.models import Channel
from cases import services
from cases.models import Child


class Command(BaseCommand):
    help = _(
        "Match every child in the registry against the others and propose the possible "
        "duplicates for a caseworker to decide (the same child, or different)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=services.SCAN_BATCH_SIZE,
            help=_("Children matched per transaction."),
        )
        parser.add_argument(
            "--after-id",
            type=int,
            default=0,
            help=_("Start after this child id (to resume a scan that stopped)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size, after_id = options["batch_size"], options["after_id"]
        if batch_size < 1:
            raise CommandError(_("--batch-size must be 1 or more."))
        if after_id < 0:
            raise CommandError(_("--after-id must be 0 or more."))
        total = Child.objects.filter(pk__gt=after_id, merged_into__isnull=True).count()
        scanned = pairs = 0
        with audit_context(channel=Channel.COMMAND):
            while True:
                batch = services.duplicate_pairs_scan_batch(
                    after_id=after_id, batch_size=batch_size
                )
                if batch.last_id is None:
                    break
                scanned += batch.children
                pairs += batch.pairs
                after_id = batch.last_id
                self.stdout.write(
                    _("%(done)d/%(total)d children, %(pairs)d open pairs, last id %(last)d")
                    % {"done": scanned, "total": total, "pairs": pairs, "last": after_id}
                )
        self.stdout.write(
            _("Scanned %(children)d children; %(pairs)d open pairs proposed or updated.")
            % {"children": scanned, "pairs": pairs}
        )

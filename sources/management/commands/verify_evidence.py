"""``python manage.py verify_evidence [--source ID ...]``: re-hash stored source files and
report what no longer matches. Exits with status 1 when a file is altered or missing."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.context import audit_context
from audit.models import Channel
from sources import selectors, services


class Command(BaseCommand):
    help = _(
        "Re-hash every stored source file (or those given) and compare with the hash it was "
        "received with. An altered or missing file is flagged, recorded in its chain of custody "
        "and the audit trail, and the administrators are told; the command then exits with "
        "status 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            dest="source_ids",
            type=int,
            nargs="+",
            action="extend",
            metavar="ID",
            help=_("Check only these sources (ids)."),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("Do not show a progress bar.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source_ids: list[int] | None = options["source_ids"]
        if source_ids:
            known = set(
                selectors.sources_with_files(source_ids=source_ids).values_list("pk", flat=True)
            )
            unknown = sorted(set(source_ids) - known)
            if unknown:
                raise CommandError(
                    _("No source with a file has the id(s): %(ids)s.")
                    % {"ids": ", ".join(map(str, unknown))}
                )
        # The bar goes to the error stream as it is, unwrapped (it redraws its line in place).
        bar_stream = getattr(self.stderr, "_out", sys.stderr)
        with audit_context(channel=Channel.COMMAND):
            report = services.sources_verify(
                source_ids=source_ids,
                progress=not options["no_progress"],
                progress_file=bar_stream,
            )
        for label, ids in ((_("altered"), report.altered), (_("missing"), report.missing)):
            for source_id in ids:
                self.stdout.write(
                    self.style.ERROR(
                        _("source #%(id)s: %(state)s") % {"id": source_id, "state": label}
                    )
                )
        summary = _(
            "Checked %(checked)s file(s): %(ok)s unaltered, %(altered)s altered, "
            "%(missing)s missing."
        ) % {
            "checked": report.checked,
            "ok": len(report.ok),
            "altered": len(report.altered),
            "missing": len(report.missing),
        }
        if report.failed:
            raise CommandError(summary, returncode=1)
        self.stdout.write(self.style.SUCCESS(summary))

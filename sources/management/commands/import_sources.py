"""``python manage.py import_sources PATH... [--kind KIND] [--organization ID|NAME]``: import
documents (.txt, .md, .html, .htm, .pdf, .docx) from files and folders.

Each file becomes a source with its text, title, language and publication date read from the
document; content already received is reported as already present and left as it is, so the
command can be re-run over the same folders. Ends with a per-file report (imported, already
present, skipped, failed, with the reason and warnings) and totals.

Exit status: 0 when no file failed (skipped files, such as other extensions, do not count), 1
when any file failed (too large, a type not allowed, unreadable, refused), so a script can tell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.selectors import organization_lookup
from audit.context import audit_context
from audit.models import Channel
from sources.importing import FileImport, ImportOutcome, ImportReport, import_paths
from sources.models import SourceKind


class Command(BaseCommand):
    help = _(
        "Import documents (.txt, .md, .html, .htm, .pdf, .docx) from files and folders "
        "(recursively): text, title, language and publication date are read from each. Content "
        "already received is left as it is, so re-running changes nothing. Ends with a "
        "per-file report; the exit status is 1 when any file failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument(
            "--kind",
            choices=SourceKind.values,
            default=SourceKind.OTHER,
            help=_("The kind of every new source (default: other)."),
        )
        parser.add_argument(
            "--organization",
            metavar="ID|NAME",
            help=_(
                "The organization receiving the sources (its id or exact name); without it, "
                "the sources belong to no organization (public reporting)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = None
        if options["organization"]:
            organization = organization_lookup(ref=options["organization"])
            if organization is None:
                raise CommandError(
                    _("No organization has the id or name %(ref)r.")
                    % {"ref": options["organization"]}
                )
        verbose = options["verbosity"] > 0
        with audit_context(channel=Channel.COMMAND, organization=organization):
            report = import_paths(
                options["paths"],
                organization=organization,
                kind=options["kind"],
                progress=verbose,
            )
        if verbose:
            self.stdout.write(self._table(report))
        if report.has_failures:
            failed = report.counts()[ImportOutcome.FAILED]
            raise CommandError(
                _("%(count)s file(s) failed to import; see the report above.") % {"count": failed},
                returncode=1,
            )

    def _table(self, report: ImportReport) -> str:
        headers = (_("Outcome"), _("Source"), _("File"), _("Reason and warnings"))
        rows = [_row(item) for item in report.files]
        widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
            + "  "
            + row[3]
            for row in [headers, *rows]
        ]
        counts = report.counts()
        totals = ", ".join(f"{counts[outcome]} {label}" for outcome, label in ImportOutcome.choices)
        lines.append(
            _("Total: %(totals)s (%(count)s files).")
            % {"totals": totals, "count": len(report.files)}
        )
        return "\n".join(line.rstrip() for line in lines)


def _row(item: FileImport) -> tuple[str, str, str, str]:
    notes = "; ".join([item.reason, *item.warnings] if item.reason else item.warnings)
    return (
        str(ImportOutcome(item.outcome).label),
        f"#{item.source_id}" if item.source_id is not None else "",
        str(item.path),
        notes,
    )

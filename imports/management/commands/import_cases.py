"""``python manage.py import_cases FILE --organization ORG [--dry-run]``: import an
organization's spreadsheet of cases (CSV or XLSX) through the same services as the API.

Every row is checked (its problems: row, column, reason) and matched against the children
already in the registry, and the report printed. With ``--dry-run`` that is all; otherwise the
rows are written in the same pass and transaction (``case_import_run``), with a progress bar,
and the counts printed. A row with a problem leaves nothing written (the import is kept as
discarded, without its file). Matches are printed by child id and case number, never by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _
from tqdm import tqdm

from accounts.models import Organization
from accounts.selectors import organization_list
from audit.context import audit_context
from audit.models import Channel
from core.errors import DomainError

from ...models import CaseImport, ImportStatus
from ...services import imports as import_services


def _organization(value: str) -> Organization:
    """An organization by its id, short name or name."""
    query = Q(short_name__iexact=value) | Q(name__iexact=value)
    if value.isdigit():
        query |= Q(pk=int(value))
    found = list(organization_list().filter(query)[:2])
    if len(found) != 1:
        raise CommandError(
            _("No single organization has the id, short name or name %(value)r.") % {"value": value}
        )
    return found[0]


class Command(BaseCommand):
    help = _(
        "Import an organization's cases from a CSV or XLSX file: check every row, then write "
        "them all (or, with --dry-run, only report)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("The CSV or XLSX file."))
        parser.add_argument(
            "--organization",
            required=True,
            help=_("The organization the cases belong to: its id, short name or name."),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Check the file and report; write nothing."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(file)s: %(reason)s") % {"file": path, "reason": error.strerror}
            ) from None
        organization = _organization(options["organization"])
        quiet = options["verbosity"] == 0
        dry_run = options["dry_run"]
        with audit_context(channel=Channel.COMMAND):
            try:
                if dry_run:
                    with self._bar(_("Checking"), quiet) as bar:
                        case_import = import_services.case_import_upload(
                            actor=None,
                            file_name=path.name,
                            content=content,
                            organization=organization,
                            in_background=False,
                            progress=self._progress(bar),
                        )
                else:  # checked and written in one pass
                    with self._bar(_("Importing"), quiet) as bar:
                        case_import = import_services.case_import_run(
                            actor=None,
                            file_name=path.name,
                            content=content,
                            organization=organization,
                            progress=self._progress(bar),
                        )
            except DomainError as error:
                raise CommandError(f"{error.code}: {error.detail}") from None
            self._print_report(case_import)
            if case_import.status in (ImportStatus.VALIDATED, ImportStatus.INVALID):
                # Nothing was written: the import is kept without its file.
                import_services.case_import_discard(case_import_id=case_import.pk, actor=None)
            if case_import.status == ImportStatus.INVALID:
                raise CommandError(_("The file has problems: nothing was written."))
            if dry_run:
                self.stdout.write(_("Dry run: nothing was written."))
                return
        counts = case_import.report["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Import #%(id)s written: %(new)s new cases, %(updated)s updated, "
                    "%(unchanged)s unchanged, %(matching)s flagged as possible duplicates."
                )
                % {
                    "id": case_import.pk,
                    "new": counts["new"],
                    "updated": counts["updated"],
                    "unchanged": counts["unchanged"],
                    "matching": counts["matching_existing"],
                }
            )
        )

    def _bar(self, label: str, quiet: bool) -> tqdm[Any]:
        return tqdm(total=0, desc=label, unit=_("rows"), disable=quiet, file=self.stderr)

    @staticmethod
    def _progress(bar: tqdm[Any]) -> import_services.Progress:
        def tell(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()

        return tell

    def _print_report(self, case_import: CaseImport) -> None:
        report = case_import.report
        counts = report.get("counts", {})
        self.stdout.write(
            _(
                "%(rows)s rows: %(new)s new, %(updated)s to update, %(unchanged)s unchanged; "
                "%(with_problems)s with problems; %(matching)s like children already in the "
                "registry."
            )
            % {
                "rows": counts.get("rows", 0),
                "new": counts.get("new", 0),
                "updated": counts.get("updated", 0),
                "unchanged": counts.get("unchanged", 0),
                "with_problems": counts.get("with_problems", 0),
                "matching": counts.get("matching_existing", 0),
            }
        )
        for problem in report.get("problems", []):
            self.stdout.write(
                _("row %(row)s, column %(column)s: %(message)s")
                % {
                    "row": problem["row"],
                    "column": problem["column"],
                    "message": problem["message"],
                }
            )
        for match in report.get("matches", []):
            found = ", ".join(
                f"child #{c['child_id']} ({c['band']}, {c['score']:.2f})"
                for c in match["candidates"]
            )
            self.stdout.write(
                _("row %(row)s (ref %(ref)s) is like: %(found)s")
                % {"row": match["row"], "ref": match["ref"], "found": found}
            )

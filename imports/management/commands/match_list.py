"""``python manage.py match_list FILE --output RESULTS.csv --user USERNAME``: match a list of
children (CSV or XLSX) against the registry and write each row's candidates to a CSV.

The run is recorded like one started through the API (``imports.services.match_runs``), and
its results are shown as ``USERNAME`` may see them: a child whose case that user sees, in full
or through a share; one held by another organization as that organization's name only. The
read is recorded in the audit trail under that user's name. The command matches at once,
whatever the list's length, with a progress bar.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from accounts.models import User
from audit.context import audit_context
from audit.models import Channel
from core.errors import DomainError
from imports.exports import results_csv
from imports.selectors.match_runs import cases_shown, match_run_results
from imports.services import match_runs
from imports.tabular import limit


class Command(BaseCommand):
    help = _(
        "Match a list of children (CSV or XLSX: full_name or given_name/family_name/patronymic, "
        "date_of_birth, sex, origin_oblast, optional ref and id) against the registry and "
        "write up to 5 candidates a row to a CSV, as the named user may see them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("The list: a CSV or XLSX file."))
        parser.add_argument(
            "--output",
            required=True,
            metavar="RESULTS.csv",
            help=_("Where to write the results (CSV); '-' for the standard output."),
        )
        parser.add_argument(
            "--user",
            required=True,
            metavar="USERNAME",
            help=_(
                "Whose sight the results are shown with, and under whose name the run and the "
                "read are recorded."
            ),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("Do not show a progress bar.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if path.stat().st_size > limit("MAX_FILE_BYTES"):
            raise CommandError(
                _("The file is over the limit of %(limit)s bytes.")
                % {"limit": limit("MAX_FILE_BYTES")}
            )
        user = User.objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(_("No active user with this username."))
        # The bar goes to the error stream as it is, unwrapped (it redraws its line in place).
        bar_stream = getattr(self.stderr, "_out", sys.stderr)
        bar = tqdm(
            total=0,
            disable=options["no_progress"],
            file=bar_stream,
            unit=_("row"),
            desc=_("Matching"),
        )
        try:
            with audit_context(channel=Channel.COMMAND, actor=user):
                run = match_runs.match_run_file(
                    actor=user,
                    file_name=path.name,
                    content=path.read_bytes(),
                    on_rows=lambda total: bar.reset(total=total),
                    on_batch=bar.update,
                )
                rows = match_run_results(actor=user, run=run)
                match_runs.match_run_read_record(
                    actor=user, run=run, case_ids=cases_shown(rows), download="csv"
                )
        except DomainError as error:
            raise CommandError(error.detail) from None
        finally:
            bar.close()
        text = results_csv(rows)
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            Path(options["output"]).write_text(text, encoding="utf-8")
        bands: Counter[str] = Counter()
        for row in rows:
            if row.candidates:
                bands[row.candidates[0][1].band] += 1
        summary = _(
            "Run %(run)s: %(rows)s row(s); best candidate likely for %(likely)s, possible for "
            "%(possible)s; %(problems)s row(s) with problems."
        ) % {
            "run": run.pk,
            "rows": len(rows),
            "likely": bands["likely"],
            "possible": bands["possible"],
            "problems": sum(1 for row in rows if row.problems),
        }
        (self.stderr if options["output"] == "-" else self.stdout).write(summary)

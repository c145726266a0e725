"""``manage.py issue_reports``: issue the due status reports now (what the hourly task does),
for a registry run without a task queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.context import audit_context
from audit.models import Channel
from reports.models import ReportPeriod
from reports.services.reports import reports_issue_due


class Command(BaseCommand):
    help = _("Issue the status reports of the last complete week and month not issued yet.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--period",
            choices=[ReportPeriod.WEEK.value, ReportPeriod.MONTH.value],
            help=_("Only this kind of period (default: both)."),
        )
        parser.add_argument(
            "--date",
            help=_(
                "Issue as if today were this date (YYYY-MM-DD): the periods complete before it."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(_("--date: give a date as YYYY-MM-DD.")) from exc
        kinds = (options["period"],) if options["period"] else ()
        with audit_context(channel=Channel.COMMAND):
            issued = reports_issue_due(today=today, kinds=kinds)
        self.stdout.write(
            ngettext("Issued %(count)s report.", "Issued %(count)s reports.", issued)
            % {"count": issued}
        )

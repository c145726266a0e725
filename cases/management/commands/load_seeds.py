"""``python manage.py load_seeds [--demo N] [--synthetic N]``: reference data, demo and benchmark
cases. Reference data and demo cases load idempotently; ``--synthetic`` adds N cases each run."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.context import audit_context
from audit.models import Channel
from cases import seeding
from cases.synthetic import DEFAULT_BATCH_SIZE, synthetic_cases_generate
from sources.seeding import public_reporting_load


class Command(BaseCommand):
    help = _(
        "Load the oblasts and the facility registry (idempotent). With --demo N, make sure N "
        "synthetic demo cases exist; with --synthetic N, add N synthetic cases in bulk for "
        "benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo",
            type=int,
            default=0,
            metavar="N",
            help=_("Make sure demo cases 1 to N exist (written through the services)."),
        )
        parser.add_argument(
            "--synthetic",
            type=int,
            default=0,
            metavar="N",
            help=_("Add N synthetic cases with the fast bulk generator."),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help=_("Random seed of the bulk generator (default: continue from the data there)."),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=_("Cases written per transaction by the bulk generator."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with audit_context(channel=Channel.COMMAND):
            self._load(**options)

    def _load(self, **options: Any) -> None:
        demo: int = options["demo"]
        synthetic: int = options["synthetic"]
        batch_size: int = options["batch_size"]
        if demo < 0 or synthetic < 0:
            raise CommandError(_("--demo and --synthetic take a number of cases, 0 or more."))
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        verbose = options["verbosity"] > 0

        oblasts = seeding.oblasts_sync()
        facilities = seeding.facilities_load()
        if verbose:
            self.stdout.write(_("Oblasts: %(counts)s.") % {"counts": oblasts})
            self.stdout.write(_("Facilities: %(counts)s.") % {"counts": facilities})
        reporting = public_reporting_load()  # public reporting: sources and their figures
        if verbose:
            self.stdout.write(_("Sources: %(counts)s.") % {"counts": reporting.sources})
            self.stdout.write(_("Published figures: %(counts)s.") % {"counts": reporting.figures})

        if demo:
            counts = seeding.demo_cases_load(count=demo)
            if verbose:
                self.stdout.write(_("Demo cases: %(counts)s.") % {"counts": counts})

        if synthetic:
            started = time.perf_counter()
            written = synthetic_cases_generate(
                count=synthetic, seed=options["seed"], batch_size=batch_size, progress=verbose
            )
            if verbose:
                self.stdout.write(
                    _("Synthetic cases: %(count)s added in %(seconds).1f s.")
                    % {"count": written, "seconds": time.perf_counter() - started}
                )

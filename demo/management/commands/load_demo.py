"""``python manage.py load_demo [--cases N] [--synthetic N]``: demo and benchmark cases.

``--cases N`` makes sure demo cases 1 to N exist, written through the services (idempotent);
``--synthetic N`` adds N synthetic cases with the bulk generator on every run. Both need the
reference data first (``load_seeds``).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from audit.context import audit_context
from audit.models import Channel
from cases.models import Oblast
from demo.coalition_lists import demo_child_list_load
from demo.quiet import task_logs_quiet
from demo.seeding import demo_cases_load
from demo.synthetic import DEFAULT_BATCH_SIZE, synthetic_cases_generate


class Command(BaseCommand):
    help = _(
        "With --cases N, make sure N synthetic demo cases exist; with --synthetic N, add N "
        "synthetic cases in bulk for benchmarks. Load the reference data first (load_seeds)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
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
        demo: int = options["cases"]
        synthetic: int = options["synthetic"]
        batch_size: int = options["batch_size"]
        if demo < 0 or synthetic < 0:
            raise CommandError(_("--cases and --synthetic take a number of cases, 0 or more."))
        if not demo and not synthetic:
            raise CommandError(_("Say what to load: --cases N, --synthetic N or both."))
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        if not Oblast.objects.exists():
            raise CommandError(_("Load the reference data first: python manage.py load_seeds"))
        verbose = options["verbosity"] > 0

        with audit_context(channel=Channel.COMMAND), task_logs_quiet():
            if demo:
                counts = demo_cases_load(count=demo)
                if verbose:
                    self.stdout.write(_("Demo cases: %(counts)s.") % {"counts": counts})
                lists = demo_child_list_load()
                if verbose:
                    self.stdout.write(
                        _("Demo list of named children: %(counts)s.") % {"counts": lists}
                    )
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

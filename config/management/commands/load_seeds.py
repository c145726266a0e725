"""``python manage.py load_seeds``: the reference data of every app, idempotently.

Each app loads its own seeds through its services (``cases.seeding``, ``sources.seeding``); this
command only runs them in order, on the command's audit channel. A second run changes nothing.
Demo and benchmark cases are the ``demo`` app's (``load_demo``), which production does not
install.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from audit.context import audit_context
from audit.models import Channel
from cases import seeding as case_seeds
from coalition.seeding import meetings as coalition_meeting_seeds
from coalition.seeding.lists import lists_load
from coalition.seeding.members import members_load as coalition_members_load
from sources import seeding as source_seeds


class Command(BaseCommand):
    help = _(
        "Load the reference data of every app (idempotent): the oblasts, the facility registry, "
        "the sources and figures of public reporting, and the coalition's areas, commitments, "
        "members, meetings, statements, votes and lists of named children (counts, no names)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 0
        with audit_context(channel=Channel.COMMAND):
            oblasts = case_seeds.oblasts_sync()
            facilities = case_seeds.facilities_load()
            reporting = source_seeds.public_reporting_load()
            coalition_members = coalition_members_load()
            meetings = coalition_meeting_seeds.meetings_load()
            child_lists = lists_load()
        if verbose:
            self.stdout.write(_("Oblasts: %(counts)s.") % {"counts": oblasts})
            self.stdout.write(_("Facilities: %(counts)s.") % {"counts": facilities})
            self.stdout.write(_("Sources: %(counts)s.") % {"counts": reporting.sources})
            self.stdout.write(_("Published figures: %(counts)s.") % {"counts": reporting.figures})
            self.stdout.write(
                _("Coalition areas, commitments and members: %(counts)s.")
                % {"counts": coalition_members}
            )
            self.stdout.write(
                _("Coalition meetings, statements and votes: %(counts)s.") % {"counts": meetings}
            )
            self.stdout.write(_("Lists of named children: %(counts)s.") % {"counts": child_lists})

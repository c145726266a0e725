"""``python manage.py audit_searches "<name>"``: who searched for a child, and what came back.

The audit trail keeps a case search's words only as keyed digests (``audit.services.
search_recorded``); this command digests every spelling of every word of the name it is given
and lists the searches that held them all. It prints ids, times and accounts, never the name.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from cases import selectors


class Command(BaseCommand):
    help = _(
        "List the recorded case searches (API and admin) that named a child, in any spelling: "
        "when, by whom, through which door, and the case ids that came back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "name",
            help=_(
                "The child's name, or part of it, as the registry holds it (Ukrainian Cyrillic: "
                "its official Latin and Russified spellings are derived from it)."
            ),
        )
        parser.add_argument(
            "--limit", type=int, default=100, help=_("At most this many, newest first.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["name"].strip():
            raise CommandError(_("Give a name to look for."))
        events = list(selectors.case_searches_for(name=options["name"])[: options["limit"]])
        for event in events:
            returned = event.metadata.get("records", {}).get("cases.case", [])
            self.stdout.write(
                f"{event.at:%Y-%m-%d %H:%M:%S%z} event {event.pk} "
                f"{event.actor_label or '-'} {event.api_key_prefix or '-'} {event.channel} "
                f"request {event.request_id or '-'} cases {returned}"
            )
        self.stdout.write(_("%(count)d searches found.") % {"count": len(events)})

"""``python manage.py api_key_revoke <prefix>``: revoke an API key for good."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts import selectors, services


class Command(BaseCommand):
    help = _("Revoke an API key, given its prefix (the part of the key before the dot).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help=_("The key's prefix, as the admin lists it."))

    def handle(self, *args: Any, **options: Any) -> None:
        # A whole key pasted by mistake is cut to its prefix, so the secret is never echoed.
        prefix = options["prefix"].strip().partition(".")[0]
        api_key = selectors.api_key_by_prefix(prefix=prefix)
        if api_key is None:
            raise CommandError(_("No API key with the prefix %(prefix)r.") % {"prefix": prefix})
        if api_key.revoked:
            self.stdout.write(_("API key %(key)s was already revoked.") % {"key": api_key})
            return
        services.api_key_revoke(api_key=api_key, actor=None)
        self.stdout.write(
            _("Revoked API key %(key)s of %(organization)s.")
            % {"key": api_key, "organization": api_key.organization.name}
        )

"""``python manage.py api_key_create --organization <id or exact name> --name <name>
[--role partner] [--expires-in-days N]``: make an API key for a partner system.

The key is printed once, alone on standard output (so ``KEY=$(... api_key_create ...)``
captures it); what was made is described on standard error. Only its hash is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import selectors, services
from accounts.models import Role
from core.errors import DomainError


def domain_error_message(exc: DomainError) -> str:
    """A refusal as one line, naming the option's field when the service named one."""
    parts = [f"{field}: {'; '.join(msgs)}" for field, msgs in exc.fields.items()]
    return ", ".join(parts) or exc.detail


class Command(BaseCommand):
    help = _("Make an API key for a partner system and print it (once).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organization", required=True, help=_("The organization's id or exact name.")
        )
        parser.add_argument(
            "--name", required=True, help=_("Which system uses the key (50 characters at most).")
        )
        parser.add_argument(
            "--role", default=Role.PARTNER.value, choices=Role.values, help=_("Default: partner.")
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            default=None,
            help=_("Days until the key stops working (default: it does not expire)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = selectors.organization_lookup(ref=options["organization"])
        if organization is None:
            raise CommandError(
                _("No organization with the id or name %(ref)r.") % {"ref": options["organization"]}
            )
        days = options["expires_in_days"]
        if days is not None and days < 1:
            raise CommandError(_("--expires-in-days must be 1 or more."))
        expires_at = timezone.now() + dt.timedelta(days=days) if days is not None else None
        try:
            api_key, secret = services.api_key_create(
                organization=organization,
                name=options["name"],
                role=options["role"],
                expires_at=expires_at,
            )
        except DomainError as exc:
            raise CommandError(domain_error_message(exc)) from exc
        expiry = (
            timezone.localtime(api_key.expiry_date).isoformat(timespec="minutes")
            if api_key.expiry_date
            else _("never")
        )
        self.stderr.write(
            _(
                "Made API key %(name)r (prefix %(prefix)s) for %(organization)s, role "
                "%(role)s, expires %(expiry)s. The key follows; it is shown only now."
            )
            % {
                "name": api_key.name,
                "prefix": api_key.prefix,
                "organization": organization.name,
                "role": api_key.role,
                "expiry": expiry,
            }
        )
        self.stdout.write(secret)

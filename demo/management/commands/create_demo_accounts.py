"""``python manage.py create_demo_accounts``: people in every role of the two demo organizations,
and one partner API key, so a new user can see scoping at work.

Makes (once) a user per role (caseworker, supervisor, coordinator, partner, auditor) in each demo
organization of ``seeds/demo_organizations.json``, with random passwords, and an API key for the
partner foundation. Logins and the key's secret are kept in ``var/demo-admin.json`` (mode 0600,
beside the demo admin's, per database) and printed on every run, each checked against the
database first: a kept key that no longer authenticates there is replaced by a new one.
Development only: refuses to run without DEBUG. All accounts are synthetic.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.models import Token

from accounts.models import Organization, Role, User
from accounts.services import api_key_authenticate, api_key_create, membership_set
from audit.context import audit_context
from audit.models import Channel
from cases.models import Case
from cases.services import case_update, closure_request_create
from cases.workflow import ClosureReason, Status
from demo.seeding import demo_organizations_load
from reports.models import Frequency, Topic
from reports.services.subscriptions import subscription_set

from .create_demo_admin import (
    _read_credentials,
    _write_credentials,
    credentials_path,
    shown_path,
)

KEY_ENTRY = "partner-api-key"
KEY_NAME = "Demo partner system (synthetic)"
# Usernames by demo organization key: short, so they are easy to type at the login page.
PREFIXES = {"authority": "service", "partner": "foundation"}


def _person(
    organization: Organization, username: str, role: Role, stored: dict[str, Any]
) -> tuple[User, str]:
    user = User.objects.filter(username=username).first()
    password = stored.get("password", "")
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User(username=username, email=f"{username}@example.org", is_staff=True)
        user.first_name = str(role.label)
        user.last_name = _("(synthetic demo)")
        user.set_password(password)
        user.save()
    elif not password or not user.check_password(password):
        raise CommandError(
            _(
                "A user named %(username)s already exists and its login is not the one kept "
                "in the demo credentials file; remove the user or the file to start afresh."
            )
            % {"username": username}
        )
    membership_set(user=user, organization=organization, role=role)
    return user, password


def _subscribe(user: User, organization: Organization, role: Role) -> None:
    """The summary e-mails a person in ``role`` would choose: a supervisor, the organization's
    week; a coordinator, the registry's week (in Ukrainian) and the coalition's month.
    Caseworkers and supervisors get the daily digest of their reminders without subscribing."""
    if role == Role.SUPERVISOR:
        subscription_set(
            actor=user,
            topic=Topic.ORGANIZATION,
            frequency=Frequency.WEEKLY,
            language="en",
            organization=organization,
        )
    elif role == Role.COORDINATOR:
        subscription_set(
            actor=user, topic=Topic.REGISTRY, frequency=Frequency.WEEKLY, language="uk"
        )
        subscription_set(
            actor=user, topic=Topic.COALITION, frequency=Frequency.MONTHLY, language="en"
        )


# Who to log in as for what: the last lines ``make run`` prints before serving.
WHO_FOR_WHAT: tuple[tuple[str, Any], ...] = (
    ("service-caseworker", gettext_lazy("a caseworker's day: my cases, follow-ups, reminders")),
    ("service-supervisor", gettext_lazy("a supervisor's: the caseload and the closure queue")),
    (
        "service-coordinator",
        gettext_lazy("a coordinator's: the registry's counts and the coalition"),
    ),
    ("service-auditor", gettext_lazy("an auditor's: every case, read only, and the audit trail")),
)


def _who_for_what(base: str, credentials: dict[str, Any], secret: str) -> list[str]:
    rows = [
        (str(what), username, credentials[username]["password"]) for username, what in WHO_FOR_WHAT
    ]
    header = (str(_("to see")), str(_("username")), str(_("password")))
    width = max(len(what) for what, _username, _password in [header, *rows])
    return [
        _("Who to log in as at %(url)s:") % {"url": base + reverse("admin:index")},
        "  {:<{width}}  {:<20} {}".format(*header, width=width),
        *(f"  {what:<{width}}  {username:<20} {password}" for what, username, password in rows),
        _("  a partner system, with its API key: %(command)s")
        % {"command": f'curl -H "Authorization: Api-Key {secret}" {base}/api/v1/cases/'},
    ]


# How many of an organization's open demo cases its demo caseworker is given.
CASES_GIVEN = 6


def _give_work(organization: Organization, caseworker: User) -> None:
    """Something on the demo people's home pages (once): a few of the organization's open,
    unassigned cases assigned to its caseworker, who asks for the closure of one of them."""
    if Case.objects.filter(assignee=caseworker).exists():
        return
    cases = list(
        Case.objects.filter(organization=organization, assignee__isnull=True)
        .exclude(status=Status.CLOSED)
        .order_by("id")[:CASES_GIVEN]
    )
    for case in cases:
        case_update(case=case, actor=None, data={"assignee": caseworker})
    if cases:
        closure_request_create(
            case_id=cases[0].pk,
            actor=caseworker,
            closure_reason=ClosureReason.DUPLICATE,
            reason="Synthetic demo: found to be a duplicate of another case.",
        )


def _key_works(secret: str, organization: Organization) -> bool:
    """Whether ``secret`` is a usable key of ``organization`` in this database: a key kept for
    another database, or revoked or expired since, is not printed but replaced."""
    if not secret:
        return False
    api_key = api_key_authenticate(key=secret)
    return api_key is not None and api_key.organization_id == organization.pk


class Command(BaseCommand):
    help = _(
        "Create (once) demo users in every role of the two demo organizations and a partner "
        "API key, and print their logins. Development only: refuses to run unless DEBUG is on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}",
            help=_("Where the service is served, for the printed examples."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                _(
                    "create_demo_accounts prints passwords and an API key and keeps them in a "
                    "file, so it only runs with DEBUG on (DJANGO_DEBUG=1), never in production."
                )
            )
        path = credentials_path()
        credentials = _read_credentials(path)
        with audit_context(channel=Channel.COMMAND):
            organizations = demo_organizations_load()
        base = options["base_url"].rstrip("/")
        lines = [_("Demo accounts (synthetic; kept in %(path)s):") % {"path": shown_path(path)}]
        with audit_context(channel=Channel.COMMAND), transaction.atomic():
            for key, organization in organizations.items():
                lines.append(f"  {organization.name}")
                for role in Role:
                    username = f"{PREFIXES[key]}-{role.value}"
                    user, password = _person(
                        organization, username, role, credentials.get(username, {})
                    )
                    credentials[username] = {"password": password}
                    _subscribe(user, organization, role)
                    if role == Role.CASEWORKER:
                        _give_work(organization, user)
                    token, _created = Token.objects.get_or_create(user=user)
                    lines.append(
                        f"    {role.label!s:<22} {username:<24} "
                        + _("password: %(password)s  token: %(token)s")
                        % {"password": password, "token": token.key}
                    )
            stored_key = credentials.get(KEY_ENTRY, {})
            if not _key_works(stored_key.get("secret", ""), organizations["partner"]):
                _api_key, secret = api_key_create(
                    organization=organizations["partner"], name=KEY_NAME
                )
                credentials[KEY_ENTRY] = {"secret": secret}
            _write_credentials(path, credentials)
        secret = credentials[KEY_ENTRY]["secret"]
        lines += [
            _("  Partner API key of %(name)s: %(secret)s")
            % {"name": organizations["partner"].name, "secret": secret},
            _("  try: %(command)s")
            % {"command": f'curl -H "Authorization: Api-Key {secret}" {base}/api/v1/cases/'},
            _(
                "  Supervisors and coordinators are subscribed to summary e-mails; to see them "
                "on the console: %(command)s"
            )
            % {"command": "python manage.py issue_reports && python manage.py send_emails"},
            "",
            *_who_for_what(base, credentials, secret),
        ]
        self.stdout.write("\n".join(lines))

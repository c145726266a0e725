"""``python manage.py create_demo_admin [--username admin]``: a superuser for trying the service.

Creates the user once with a random password, keeps the login in ``var/demo-admin.json`` (mode
0600; ``var/`` is not versioned), makes sure it has an API token, and prints the login, the token
and where to use them on every run. A development tool only: it refuses to run without DEBUG.

The file keeps the logins of each database apart (``DATABASE_URL`` may point elsewhere between
runs): a database's users never get the password kept for another's.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

CREDENTIALS_FILE = "demo-admin.json"


def credentials_path() -> Path:
    return Path(settings.VAR_DIR) / CREDENTIALS_FILE


def shown_path(path: Path) -> Path:
    """``path`` as printed: from the checkout when it is inside it (``var/demo-admin.json``)."""
    base = Path(settings.BASE_DIR)
    return path.relative_to(base) if path.is_relative_to(base) else path


# The file's layout: {"databases": {<database>: {<entry>: {...}}}}. Entries found beside
# "databases" were written before logins were kept per database; they are kept as they are, and
# read only as the first guesses for a database that has no logins kept yet (every one is
# checked against the database before it is used or printed).
DATABASES_KEY = "databases"


def database_label() -> str:
    """The database the default connection points at, as the file names it."""
    settings_dict = connection.settings_dict
    name = str(settings_dict["NAME"])
    if connection.vendor == "sqlite":
        if name != ":memory:" and not name.startswith("file:"):
            # Inside the checkout by its place there, so a moved checkout keeps its logins.
            path = Path(name).resolve()
            base = Path(settings.BASE_DIR).resolve()
            name = str(path.relative_to(base) if path.is_relative_to(base) else path)
        return f"sqlite:{name}"
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or ""
    return f"{connection.vendor}://{host}:{port}/{name}"


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(
            _("%(path)s cannot be read (%(error)s); remove it to start afresh.")
            % {"path": path, "error": exc}
        ) from exc
    return stored if isinstance(stored, dict) else {}


def _read_credentials(path: Path) -> dict[str, dict[str, str]]:
    """The logins kept for the database the default connection points at."""
    stored = _read_file(path)
    databases = stored.get(DATABASES_KEY)
    databases = databases if isinstance(databases, dict) else {}
    kept = databases.get(database_label())
    if isinstance(kept, dict):
        return kept
    return {
        entry: value
        for entry, value in stored.items()
        if entry != DATABASES_KEY and isinstance(value, dict)
    }


def _write_credentials(path: Path, credentials: dict[str, dict[str, str]]) -> None:
    """Keep ``credentials`` as this database's logins, beside the other databases' ones, in a
    file readable by its owner only, replacing any earlier one in one step."""
    stored = _read_file(path)
    databases = stored.get(DATABASES_KEY)
    stored[DATABASES_KEY] = {
        **(databases if isinstance(databases, dict) else {}),
        database_label(): credentials,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(stored, handle, indent=2)
        handle.write("\n")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class Command(BaseCommand):
    help = _(
        "Create (once) a demo superuser with a random password and an API token, and print the "
        "login. Development only: refuses to run unless DEBUG is on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin", help=_("Username of the demo admin."))
        parser.add_argument(
            "--base-url",
            default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}",
            help=_("Where the service is served, for the printed links."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                _(
                    "create_demo_admin makes a superuser whose password is printed and kept in "
                    "a file, so it only runs with DEBUG on (DJANGO_DEBUG=1), never in "
                    "production. Use createsuperuser there."
                )
            )
        username: str = options["username"].strip()
        if not username:
            raise CommandError(_("--username cannot be empty."))
        path = credentials_path()
        credentials = _read_credentials(path)
        user_model = get_user_model()

        with transaction.atomic():
            user = user_model.objects.filter(username=username).first()
            stored = credentials.get(username, {})
            password = stored.get("password", "")
            if user is None:
                password = secrets.token_urlsafe(18)
                user = user_model.objects.create_superuser(
                    username=username, email=f"{username}@example.org", password=password
                )
                credentials[username] = {"password": password}
                _write_credentials(path, credentials)
            elif not password or not user.check_password(password):
                raise CommandError(
                    _(
                        "A user named %(username)s already exists and its login is not the one "
                        "kept in %(path)s. Choose another --username, or set its password with "
                        "'manage.py changepassword %(username)s'."
                    )
                    % {"username": username, "path": path}
                )
            token, _created = Token.objects.get_or_create(user=user)

        base = options["base_url"].rstrip("/")
        lines = [
            _("Demo admin (kept in %(path)s):") % {"path": shown_path(path)},
            _("  username: %(username)s") % {"username": username},
            _("  password: %(password)s") % {"password": password},
            _("  API token: %(token)s") % {"token": token.key},
            _("  admin: %(url)s") % {"url": base + reverse("admin:index")},
            _("  API: %(url)s") % {"url": f"{base}/api/v1/cases/"},
            _("  API docs: %(url)s") % {"url": base + reverse("swagger-ui")},
            _("  try: %(command)s")
            % {"command": f'curl -H "Authorization: Token {token.key}" {base}/api/v1/cases/'},
        ]
        self.stdout.write("\n".join(lines))

"""The demo commands on two databases in turn, as when ``DATABASE_URL`` changes between two
``make run``: each database's printed logins and key work on that database, and going back to
the first prints its own logins again, unchanged.

The commands run in processes of their own on two SQLite files, with one credentials folder, as
``make run`` does on a checkout.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from tests.sqlite_instance import ROOT, database_copy, manage

# Both commands in one process (the order ``make run`` runs them in), printing what they print.
RUN_DEMO_COMMANDS = """
from django.core.management import call_command
call_command("create_demo_admin")
call_command("create_demo_accounts")
"""

# Whether each login and the key work on the database: a password check with the request the
# admin's login gives it, the token that goes with it, the key through the API's authentication.
CHECK_LOGINS = """
import json, os
from django.contrib.auth import authenticate
from django.http import HttpRequest
from rest_framework.authtoken.models import Token
from accounts.services import api_key_authenticate
printed = json.loads(os.environ["PRINTED_LOGINS"])
works = {}
for username, (password, token) in printed["users"].items():
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    user = authenticate(request=request, username=username, password=password)
    works[username] = user is not None and Token.objects.filter(user=user, key=token).exists()
key = api_key_authenticate(key=printed["key"])
works["partner key"] = key is not None and key.organization.name
print(json.dumps(works))
"""


def _settings_module(folder: Path) -> dict[str, str]:
    """Development settings with the credentials file in ``folder`` (not the checkout's var/)
    and fast password hashing."""
    (folder / "demo_credentials_settings.py").write_text(
        "from pathlib import Path\n"
        "from config.settings.local import *  # noqa: F403\n"
        f"VAR_DIR = Path({str(folder)!r})\n"
        # Fast hashing: what is checked is which database holds which login.
        'PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]\n'
        # The commands' output is read in English (a deployment's default is Ukrainian).
        'LANGUAGE_CODE = "en"\n',
        "utf-8",
    )
    return {
        "DJANGO_SETTINGS_MODULE": "demo_credentials_settings",
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
    }


def _printed(output: str) -> dict[str, Any]:
    """The logins, tokens and key the commands printed."""
    users = {
        match["username"]: (match["password"], match["token"])
        for match in re.finditer(
            r"(?P<username>\S+)\s+password: (?P<password>\S+)\s+token: (?P<token>\S+)", output
        )
    }
    admin = re.search(
        r"username: (?P<username>\S+)\n\s+password: (?P<password>\S+)\n"
        r"\s+API token: (?P<token>\S+)",
        output,
    )
    assert admin is not None, output
    users[admin["username"]] = (admin["password"], admin["token"])
    key = re.search(r"Partner API key of [^:]+: (\S+)", output)
    assert key is not None, output
    return {"users": users, "key": key.group(1)}


def test_demo_logins_are_kept_per_database_and_work_on_each(
    sqlite_template: Path, tmp_path: Path
) -> None:
    credentials = tmp_path / "var"
    credentials.mkdir()
    env = _settings_module(credentials)
    first = database_copy(sqlite_template, tmp_path / "first")
    second = database_copy(sqlite_template, tmp_path / "second")

    def run(database: Path) -> dict[str, Any]:
        return _printed(manage(database, "shell", "-c", RUN_DEMO_COMMANDS, env=env).stdout)

    def works(database: Path, printed: dict[str, Any]) -> dict[str, Any]:
        answer = manage(
            database,
            "shell",
            "-c",
            CHECK_LOGINS,
            env={**env, "PRINTED_LOGINS": json.dumps(printed)},
        )
        checked: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
        return checked

    on_first = run(first)
    on_second = run(second)
    on_first_again = run(first)

    # A user in every role of both demo organizations, and the demo admin.
    assert len(on_first["users"]) == 11
    assert on_first_again == on_first
    # The second database has logins and a key of its own.
    assert set(on_second["users"]) == set(on_first["users"])
    for username, (password, token) in on_second["users"].items():
        assert password != on_first["users"][username][0], username
        assert token != on_first["users"][username][1], username
    assert on_second["key"] != on_first["key"]

    for database, printed in [(first, on_first_again), (second, on_second)]:
        checked = works(database, printed)
        assert checked.pop("partner key"), database.name
        assert checked == dict.fromkeys(printed["users"], True), database.name
    # And the first database's key is not the second's.
    assert works(second, {"users": {}, "key": on_first["key"]}) == {"partner key": False}

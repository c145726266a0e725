"""SQLite, the default of ``make run``, under the writes of a small office arriving at once.

A real ``runserver`` (threaded, as ``make run`` serves) on a SQLite file takes case creations,
changes of one case with the same ``If-Match`` and moves of another with the same ``If-Match``,
all released together from threads. Every answer is a success or the conflict the API promises
(409, 412), never a 500 "database is locked", and the optimistic lock holds: exactly one change
of each contended case wins.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import get_commands, load_command_class
from django.core.management.commands.runserver import Command as RunserverCommand

from tests.sqlite_instance import call, database_copy, manage, served

CREATES = 10
PATCHES = 8
TRANSITIONS = 8

# A supervisor of one organization, with an API token; prints the token.
SETUP = """
from rest_framework.authtoken.models import Token
from accounts.models import User
from accounts.services import membership_set, organization_create
organization = organization_create(name="Office under load", kind="ngo")
user = User.objects.create_user(username="supervisor", password=None)
membership_set(user=user, organization=organization, role="supervisor")
print(Token.objects.create(user=user).key)
"""


def _summary(body: Any) -> Any:
    """An error page's title (the exception, with DEBUG on), or the JSON body."""
    if isinstance(body, str):
        title = re.search(r"<title>(.*?)</title>", body, re.DOTALL)
        return " ".join((title.group(1) if title else body[:200]).split())
    return body


def _child(index: int) -> dict[str, Any]:
    return {
        "given_name": "Олена",
        "family_name": "Приклад" + "абвгдежзиклмнопрстуф"[index],
        "sex": "female",
        "date_of_birth_precision": "year",
        "date_of_birth": f"{2010 + index % 5}-01-01",
    }


def _new_case(index: int) -> dict[str, Any]:
    # Look-alike children on purpose (the writes contend): each post says its candidates were
    # looked at, or identity matching would refuse the second of a pair.
    return {"child": _child(index), "candidates_checked": True}


def test_sqlite_concurrent_writes_answer_success_or_conflict_never_locked(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = database_copy(sqlite_template, tmp_path)
    token = manage(database, "shell", "-c", SETUP).stdout.strip().splitlines()[-1]
    auth = {"Authorization": f"Token {token}"}

    with served(database) as base:
        api = f"{base}/api/v1"
        contended = []
        for index in range(2):
            status, headers, body = call(
                "POST", f"{api}/cases/", body=_new_case(index), headers=auth
            )
            assert status == 201, body
            contended.append((body["id"], headers["ETag"]))
        (patched, patched_etag), (moved, moved_etag) = contended

        requests: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
        for index in range(CREATES):
            requests.append(("POST", f"{api}/cases/", _new_case(index), auth))
        for index in range(PATCHES):
            requests.append(
                (
                    "PATCH",
                    f"{api}/cases/{patched}/",
                    {"child": {"origin_settlement": f"Село {index}"}},
                    {**auth, "If-Match": patched_etag},
                )
            )
        for _index in range(TRANSITIONS):
            requests.append(
                (
                    "POST",
                    f"{api}/cases/{moved}/transition/",
                    {"to": "verifying"},
                    {**auth, "If-Match": moved_etag},
                )
            )
        start = threading.Barrier(len(requests))

        def send(request: tuple[str, str, dict[str, Any], dict[str, str]]) -> Any:
            method, url, body, headers = request
            start.wait(timeout=60)
            return call(method, url, body=body, headers=headers)

        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            answers = list(pool.map(send, requests))

        statuses = [status for status, _headers, _body in answers]
        unexpected = [
            (request[0], request[1], status, _summary(body))
            for request, (status, _headers, body) in zip(requests, answers, strict=True)
            if status not in (200, 201, 409, 412)
        ]
        assert not unexpected, unexpected
        creates = statuses[:CREATES]
        patches = answers[CREATES : CREATES + PATCHES]
        transitions = statuses[CREATES + PATCHES :]
        assert creates == [201] * CREATES
        assert sorted(status for status, _h, _b in patches) == [200] + [412] * (PATCHES - 1)
        assert sorted(transitions) == [200] + [412] * (TRANSITIONS - 1)

        # What was written is what the winners were told.
        winner = next(body for status, _h, body in patches if status == 200)
        status, headers, body = call("GET", f"{api}/cases/{patched}/", headers=auth)
        assert body["child"]["origin_settlement"] == winner["child"]["origin_settlement"]
        assert body["version"] == int(patched_etag.strip('"').split("-")[1]) + 1
        status, headers, body = call("GET", f"{api}/cases/{moved}/", headers=auth)
        assert body["status"] == "verifying"
        status, headers, body = call(
            "GET", f"{api}/cases/", headers=auth | {"Accept": "application/json"}
        )
        assert status == 200
        assert len(body["results"]) == 2 + CREATES


def test_runserver_keeps_the_connections_of_a_small_office_waiting() -> None:
    """``make run`` serves with ``runserver``: a burst of connections is queued, not reset."""
    app = get_commands()["runserver"]
    command = load_command_class(app, "runserver")
    assert isinstance(command, RunserverCommand)

    assert app == "config"
    assert command.server_cls.request_queue_size >= 64
    # Static files are still served by the development server.
    handler = command.get_handler(use_static_handler=True, insecure_serving=True)
    assert isinstance(handler, StaticFilesHandler)

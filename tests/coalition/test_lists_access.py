"""Who may use each endpoint of the lists of named children: every method of every endpoint for
every role (the access matrix leaves the coalition's endpoints to these tests). Reading is
every coalition reader's; writing is the list's coordinators' and superusers'. A read that shows
names leaves exactly one read event of its request; any other answer, none. All data is
synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.models import READ_ACTIONS, AuditEvent
from tests.coalition import lists_world as world_module
from tests.coalition.lists_world import (
    NAMES,
    SIGHT,
    ListsWorld,
)
from tests.factories.coalition_lists import make_statement
from tests.test_access_matrix import COALITION, ENDPOINTS

pytestmark = pytest.mark.django_db
lists_world = world_module.lists_world  # the shared fixture

ALL_ROLES = ["anonymous", "nobody", *SIGHT]
READERS = set(SIGHT)
# Who writes the world's list (kept by A); coordinator_d records lists for D only.
LIST_WRITERS = {"coordinator_a", "superuser"}
CREATORS = {"coordinator_a", "coordinator_d", "superuser"}
LISTS_ENDPOINTS = {
    "coalition-list-list",
    "coalition-list-detail",
    "coalition-list-entries",
    "coalition-list-entry-detail",
}


def test_every_lists_endpoint_is_in_the_matrix_as_coalition():
    for name in LISTS_ENDPOINTS:
        assert ENDPOINTS[name].target == COALITION
    assert ENDPOINTS["coalition-list-entries"].personal
    assert not ENDPOINTS["coalition-list-detail"].personal


def _request(world: ListsWorld, role: str, name: str, method: str) -> tuple[str, dict[str, Any]]:
    child_list = world.child_list
    entry = world.entries["unlinked"]
    headers: dict[str, Any] = {}
    if name == "coalition-list-list":
        url = reverse(name)
        body: dict[str, Any] = {
            "title": "Synthetic access list",
            "statement": make_statement().pk,
            "handed_on": "2025-08-05",
        }
        if role == "superuser":
            body["organization"] = world.orgs["A"].pk
    elif name == "coalition-list-detail":
        url = reverse(name, kwargs={"pk": child_list.pk})
        body = {"note": f"Synthetic note by {role}"}
        child_list.refresh_from_db()
        headers["HTTP_IF_MATCH"] = f'"{child_list.pk}-{child_list.version}"'
    elif name == "coalition-list-entries":
        url = reverse(name, kwargs={"pk": child_list.pk})
        body = {"name_as_written": "Синтетична Доступна"}
    else:
        url = reverse(name, kwargs={"pk": entry.pk})
        body = {"details": f"Synthetic detail by {role}"}
        entry.refresh_from_db()
        headers["HTTP_IF_MATCH"] = f'"{entry.pk}-{entry.version}"'
    return url, {"data": body, "format": "json", **headers} if method != "get" else {}


def _expected(role: str, name: str, method: str) -> int:
    if role == "anonymous":
        return 401
    if role not in READERS:
        return 403
    if method == "get":
        return 200
    if name == "coalition-list-list":
        return 201 if role in CREATORS else 403
    if role not in LIST_WRITERS:
        return 403
    return 201 if method == "post" else 200


def _names_shown(role: str) -> bool:
    return role in SIGHT and any(sight != "none" for sight in SIGHT[role].values())


@pytest.mark.parametrize("role", ALL_ROLES)
def test_lists_endpoints_by_role(lists_world: ListsWorld, role: str):
    world = lists_world
    client = world.clients[role]
    problems: list[str] = []
    for name in sorted(LISTS_ENDPOINTS):
        for method in sorted(ENDPOINTS[name].methods):
            url, kwargs = _request(world, role, name, method)
            response = getattr(client, method)(url, **kwargs)
            what = f"{role} {method.upper()} {name}"
            expected = _expected(role, name, method)
            if response.status_code != expected:
                body = response.content[:200]
                problems.append(f"{what}: {response.status_code}, expected {expected}: {body!r}")
            events = AuditEvent.objects.filter(
                request_id=response["X-Request-ID"], action__in=READ_ACTIONS
            ).count()
            reads_names = (
                name == "coalition-list-entries"
                and method == "get"
                and response.status_code == 200
                and _names_shown(role)
            )
            if events != int(reads_names):
                problems.append(f"{what}: {events} read events, expected {int(reads_names)}")
            if method == "get":
                text = response.content.decode()
                for key, written in NAMES.items():
                    if written in text and SIGHT.get(role, {}).get(key, "none") == "none":
                        problems.append(f"{what}: leaks the name of entry {key}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["caseworker_d", "partner_key_b", "coordinator_a"])
def test_a_missing_list_or_entry_is_not_found(lists_world: ListsWorld, role: str):
    client = lists_world.clients[role]
    missing = lists_world.child_list.pk + 1000
    assert client.get(reverse("coalition-list-detail", kwargs={"pk": missing})).status_code == 404
    assert client.get(reverse("coalition-list-entries", kwargs={"pk": missing})).status_code == 404
    response = client.patch(
        reverse("coalition-list-entry-detail", kwargs={"pk": missing}),
        {"details": "x"},
        format="json",
        HTTP_IF_MATCH='"1-1"',
    )
    assert response.status_code == 404


def test_a_non_numeric_id_is_not_found(lists_world: ListsWorld):
    client = lists_world.clients["auditor"]
    assert client.get("/api/v1/coalition/lists/abc/").status_code == 404
    assert client.get("/api/v1/coalition/lists/abc/entries/").status_code == 404
    assert client.patch("/api/v1/coalition/list-entries/abc/", {}).status_code == 404

"""Lists of named children in the admin: names masked by the same selector as the API, one read
event per page that shows names and none for a page that shows none, coordinators of the
keeping organization edit and others read. All data is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import READ_ACTIONS, AuditEvent
from coalition.models import ChildList, ChildListEntry
from coalition.selectors import lists as selectors
from tests.coalition import lists_world as world_module
from tests.coalition.lists_world import (
    BIRTHS,
    NAMES,
    SIGHT,
    ListsWorld,
)
from tests.factories.cases import move_case

pytestmark = pytest.mark.django_db
lists_world = world_module.lists_world  # the shared fixture

ADMIN_ROLES = ["caseworker_a", "coordinator_a", "partner_b", "caseworker_d", "auditor", "superuser"]


def _client(world: ListsWorld, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def _reads() -> int:
    return AuditEvent.objects.filter(action__in=READ_ACTIONS).count()


def _check_page(role: str, text: str, keys: list[str]) -> None:
    for key in keys:
        sight = SIGHT[role][key]
        assert (NAMES[key] in text) == (sight != "none"), (role, key)
        assert (BIRTHS[key] in text) == (sight == "full"), (role, key)


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_the_list_page_shows_entries_as_the_reader_may_see_them(lists_world: ListsWorld, role: str):
    world = lists_world
    client = _client(world, role)
    before = _reads()
    response = client.get(reverse("admin:coalition_childlist_change", args=[world.child_list.pk]))
    assert response.status_code == 200
    _check_page(role, response.content.decode(), list(NAMES))
    shows_names = any(sight != "none" for sight in SIGHT[role].values())
    assert _reads() - before == int(shows_names)
    assert "400" in response.content.decode()


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_the_entries_list_masks_names_and_records_one_read(lists_world: ListsWorld, role: str):
    world = lists_world
    client = _client(world, role)
    before = _reads()
    response = client.get(reverse("admin:coalition_childlistentry_changelist"))
    assert response.status_code == 200
    text = response.content.decode()
    for key in NAMES:
        assert (NAMES[key] in text) == (SIGHT[role][key] != "none"), (role, key)
    shows_names = any(sight != "none" for sight in SIGHT[role].values())
    assert _reads() - before == int(shows_names)


@pytest.mark.parametrize("role", ADMIN_ROLES)
@pytest.mark.parametrize("key", list(NAMES))
def test_an_entry_page_masks_what_the_reader_may_not_see(
    lists_world: ListsWorld, role: str, key: str
):
    world = lists_world
    client = _client(world, role)
    before = _reads()
    response = client.get(
        reverse("admin:coalition_childlistentry_change", args=[world.entries[key].pk])
    )
    assert response.status_code == 200
    _check_page(role, response.content.decode(), [key])
    if key in world.cases and SIGHT[role][key] == "none":
        assert world.cases[key].number not in response.content.decode()
    assert _reads() - before == int(SIGHT[role][key] != "none")


def test_the_outcome_filter_reads_the_cases_return(lists_world: ListsWorld):
    world = lists_world
    move_case(
        world.cases["own"], "verifying", "searching", "located", "return_in_progress", "returned"
    )
    client = _client(world, "auditor")
    response = client.get(
        reverse("admin:coalition_childlistentry_changelist"), {"outcome": "returned"}
    )
    text = response.content.decode()
    assert NAMES["own"] in text
    assert NAMES["unlinked"] not in text


def test_the_lists_page_counts_returns_as_the_summary_does(lists_world: ListsWorld):
    world = lists_world
    move_case(
        world.cases["own"], "verifying", "searching", "located", "return_in_progress", "returned"
    )
    move_case(world.cases["own"], "closed", "verifying")  # reopened: no longer home
    client = _client(world, "auditor")
    response = client.get(reverse("admin:coalition_childlist_changelist"))
    row = next(r for r in response.context["cl"].result_list if r.pk == world.child_list.pk)
    summary = selectors.child_list_summary(child_list=world.child_list)
    assert summary.returned == 0
    assert row.returned_count == summary.returned


def _post_entry_change(client: Client, entry: Any, **changes: Any) -> Any:
    """The entry's admin form sent with its texts and number as they are, and ``changes``."""
    return client.post(
        reverse("admin:coalition_childlistentry_change", args=[entry.pk]),
        {
            "name_as_written": entry.name_as_written,
            "date_of_birth_as_written": entry.date_of_birth_as_written,
            "details": entry.details,
            "position": entry.position,
            **changes,
        },
    )


def test_a_coordinator_of_the_list_changes_an_entrys_outcome(lists_world: ListsWorld):
    world = lists_world
    entry = world.entries["unlinked"]
    response = _post_entry_change(
        _client(world, "coordinator_a"),
        entry,
        linked_case="",
        outcome="acknowledged",
        outcome_on="2025-06-20",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry.refresh_from_db()
    assert entry.outcome == "acknowledged"
    assert entry.version == 2


def test_a_coordinator_cannot_link_an_entry_to_a_case_out_of_reach(lists_world: ListsWorld):
    world = lists_world
    entry = world.entries["unlinked"]
    response = _post_entry_change(
        _client(world, "coordinator_a"),
        entry,
        linked_case=world.cases["other"].pk,
        outcome="listed",
        outcome_on="",
    )
    assert response.status_code == 200
    assert "No such case" in response.content.decode()
    entry.refresh_from_db()
    assert entry.case_id is None


@pytest.mark.parametrize("role", ["caseworker_a", "auditor", "coordinator_d"])
def test_readers_cannot_change_a_list(lists_world: ListsWorld, role: str):
    world = lists_world
    client = _client(world, role)
    url = reverse("admin:coalition_childlist_change", args=[world.child_list.pk])
    response = client.post(url, {"title": "Synthetic change"})
    assert response.status_code == 403
    world.child_list.refresh_from_db()
    assert world.child_list.title != "Synthetic change"
    # A coordinator of another organization records lists for theirs, not this one.
    expected = 200 if role == "coordinator_d" else 403
    assert client.get(reverse("admin:coalition_childlist_add")).status_code == expected


def test_a_coordinator_changes_the_list_through_the_services(lists_world: ListsWorld):
    world = lists_world
    child_list = ChildList.objects.get(pk=world.child_list.pk)  # as its entries left it
    client = _client(world, "coordinator_a")
    response = client.post(
        reverse("admin:coalition_childlist_change", args=[child_list.pk]),
        {
            "title": "Synthetic list renamed",
            "organization": child_list.organization_id,
            "meeting": child_list.meeting_id,
            "statement": "",
            "handed_by": child_list.handed_by_id,
            "handed_to": [p.pk for p in child_list.handed_to.all()],
            "handed_on": "2025-06-02",
            "date_precision": "day",
            "count_claimed": "400",
            "count_qualifier": "nearly",
            "script": "Cyrl",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    changed = ChildList.objects.get(pk=child_list.pk)
    assert changed.title == "Synthetic list renamed"
    assert changed.script == "Cyrl"
    assert changed.version == child_list.version + 1


def test_the_lists_page_shows_counts_without_names(lists_world: ListsWorld):
    client = _client(lists_world, "caseworker_d")
    before = _reads()
    response = client.get(reverse("admin:coalition_childlist_changelist"))
    assert response.status_code == 200
    assert not any(name in response.content.decode() for name in NAMES.values())
    assert _reads() == before
    assert ChildListEntry.objects.count() == 5

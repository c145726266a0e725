"""The coalition under hostile use: leaks through admin filters, unlinking, error messages and
version changes; 500s from out-of-range ids; a change that skipped its audit or its ETag; an
entry that kept showing a return its case had undone. All data is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.coalition import lists_world as world_module
from tests.coalition.lists_world import BIRTHS, NAMES, ListsWorld

pytestmark = pytest.mark.django_db
lists_world = world_module.lists_world  # the shared fixture


def _admin(world: ListsWorld, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def _results(response: Any) -> int:
    return response.context["cl"].result_count


# ---------------------------------------------------------------------------------------------
# Leaks
# ---------------------------------------------------------------------------------------------
def test_admin_entry_changelist_does_not_filter_by_hidden_names(lists_world: ListsWorld):
    """Django's admin lets any local-field lookup through the query string: a reader who sees
    the name of the 'other' entry as hidden learns it letter by letter from the row count."""
    world = lists_world
    client = _admin(world, "coordinator_d")  # sees no name on A's list
    url = reverse("admin:coalition_childlistentry_changelist")
    hit = client.get(url, {"name_as_written__startswith": NAMES["other"][:4]})
    miss = client.get(url, {"name_as_written__startswith": "Zzzz"})
    # The filter must be refused (or ignored), never answer by name.
    assert hit.status_code != 200 or _results(hit) == _results(miss)


def test_admin_entry_changelist_does_not_filter_by_hidden_birth(lists_world: ListsWorld):
    world = lists_world
    client = _admin(world, "partner_b")  # no birth of 'own' or 'other'
    url = reverse("admin:coalition_childlistentry_changelist")
    hit = client.get(url, {"date_of_birth_as_written": BIRTHS["other"]})
    assert hit.status_code != 200 or _results(hit) == 0


def test_admin_entry_changelist_does_not_reveal_which_entry_holds_a_case(lists_world: ListsWorld):
    """``?case=<id>`` tells a reader who may not see the case which entry is linked to it."""
    world = lists_world
    client = _admin(world, "caseworker_a")  # does not see D's case
    url = reverse("admin:coalition_childlistentry_changelist")
    hit = client.get(url, {"case": world.cases["other"].pk})
    assert hit.status_code != 200 or _results(hit) == 0


def test_coordinator_cannot_read_a_hidden_name_by_unlinking_the_entry(lists_world: ListsWorld):
    """coordinator_a sees 'other' (linked to D's case) as none; unlinking it makes it an
    unlinked entry of A's list, shown in full to every reader of organization A."""
    world = lists_world
    entry = world.entries["other"]
    client = world.client("coordinator_a")
    response = client.patch(
        f"/api/v1/coalition/list-entries/{entry.pk}/",
        {"case": None},
        format="json",
        HTTP_IF_MATCH=f'"{entry.pk}-{entry.version}"',
    )
    body = response.content.decode()
    assert NAMES["other"] not in body
    listing = world.client("caseworker_a").get(
        f"/api/v1/coalition/lists/{world.child_list.pk}/entries/"
    )
    assert NAMES["other"] not in listing.content.decode()


def test_linking_error_does_not_tell_a_coordinator_the_case_number(lists_world: ListsWorld):
    """Coordinators read no case; the refusal of 'returned' names the case's number."""
    world = lists_world
    case = world.cases["own"]
    client = world.client("coordinator_a")
    response = client.post(
        f"/api/v1/coalition/lists/{world.child_list.pk}/entries/",
        {
            "name_as_written": "Synthetic",
            "case": case.pk,
            "outcome": "returned",
            "outcome_on": "2025-06-03",
        },
        format="json",
    )
    # the case is already on the list: use an entry update instead when refused for that
    if case.number not in response.content.decode():
        entry = world.entries["own"]
        response = client.patch(
            f"/api/v1/coalition/list-entries/{entry.pk}/",
            {"outcome": "returned", "outcome_on": "2025-06-03"},
            format="json",
            HTTP_IF_MATCH=f'"{entry.pk}-{entry.version}"',
        )
    assert response.status_code == 400
    assert case.number not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Versions and ETags
# ---------------------------------------------------------------------------------------------
def test_a_lists_etag_moves_when_its_summary_changes(lists_world: ListsWorld):
    """The list's detail shows entries_held, by_outcome and returned; adding an entry changes
    them, yet the ETag ("<id>-<version>") stays the same: a cache revalidating with it keeps
    the stale counts."""
    world = lists_world
    client = world.client("coordinator_a")
    url = f"/api/v1/coalition/lists/{world.child_list.pk}/"
    before = client.get(url)
    added = client.post(f"{url}entries/", {"name_as_written": "Синтетичний Новий"}, format="json")
    assert added.status_code == 201, added.content
    after = client.get(url)
    assert after.json()["entries_held"] == before.json()["entries_held"] + 1
    assert after["ETag"] != before["ETag"]


# ---------------------------------------------------------------------------------------------
# 500s from bad input
# ---------------------------------------------------------------------------------------------
def test_admin_roll_call_page_with_a_non_numeric_id_is_not_a_500(admin_client_coordinator: Any):
    """``roll_call_view`` filters ``pk=unquote(object_id)`` itself (not ``get_object``): a
    non-numeric id raises ValueError."""
    client = admin_client_coordinator
    response = client.get("/admin/coalition/resolution/abc/roll-call/")
    assert response.status_code in (302, 400, 404)


@pytest.fixture
def admin_client_coordinator(home: Any) -> Client:
    from accounts.models import Role
    from tests.factories.accounts import make_member

    client = Client(raise_request_exception=False)
    client.force_login(make_member(Role.COORDINATOR, home))
    return client


# ---------------------------------------------------------------------------------------------
# A project's new area moves its pledges without their version or the actor
# ---------------------------------------------------------------------------------------------
def test_pledges_moved_by_their_projects_area_change_version_and_actor(home: Any):
    from accounts.models import Role
    from audit.models import AuditEvent
    from coalition.models import Pledge
    from coalition.services import members as member_services
    from tests.factories.accounts import make_member
    from tests.factories.coalition_members import (
        make_areas,
        make_coalition_member,
        make_pledge,
        make_project,
    )

    make_areas()
    make_coalition_member("CA")
    project = make_project("return-mechanisms")
    pledge = make_pledge("CA", project=project.pk, area=None)
    version = Pledge.objects.get(pk=pledge.pk).version
    coordinator = make_member(Role.COORDINATOR, home)
    member_services.project_update(
        project=project, actor=coordinator, data={"area": "support-rehabilitation"}
    )
    moved = Pledge.objects.get(pk=pledge.pk)
    assert moved.area.code == "support-rehabilitation"
    event = (
        AuditEvent.objects.filter(object_type="coalition.pledge", object_id=str(pledge.pk))
        .order_by("-id")
        .first()
    )
    problems = []
    if event is None or event.actor_id != coordinator.pk:
        problems.append("the pledge's audit event does not name the actor")
    if moved.version <= version:
        problems.append("the pledge's version (ETag) did not move with its area")
    assert not problems, problems


# ---------------------------------------------------------------------------------------------
# Reads of names not audited
# ---------------------------------------------------------------------------------------------
def test_a_refused_list_change_page_that_shows_names_records_the_read(lists_world: ListsWorld):
    """The list's admin page records the read of its names on GET only; a POST the form
    refuses renders the same page, names included, and records nothing."""
    from audit.models import READ_ACTIONS, AuditEvent

    world = lists_world
    client = _admin(world, "coordinator_a")
    before = AuditEvent.objects.filter(action__in=READ_ACTIONS).count()
    response = client.post(
        reverse("admin:coalition_childlist_change", args=[world.child_list.pk]), {"title": ""}
    )
    assert response.status_code == 200
    assert NAMES["unlinked"] in response.content.decode()
    assert AuditEvent.objects.filter(action__in=READ_ACTIONS).count() == before + 1


# ---------------------------------------------------------------------------------------------
# Effective outcome
# ---------------------------------------------------------------------------------------------
def test_an_entry_does_not_show_returned_once_its_case_is_reopened(lists_world: ListsWorld):
    """A case returned, closed and reopened (back to verifying) keeps ``returned_on``; the
    entry keeps showing 'returned' (and counting among the list's returns) while the
    registry's workflow says the case is being verified again."""
    from tests.factories.cases import move_case

    world = lists_world
    move_case(
        world.cases["own"],
        "verifying",
        "searching",
        "located",
        "return_in_progress",
        "returned",
        "closed",
        "verifying",
        actor=None,
    )
    client = world.client("caseworker_a")
    rows = client.get(f"/api/v1/coalition/lists/{world.child_list.pk}/entries/").json()["results"]
    own = next(row for row in rows if row["id"] == world.entries["own"].pk)
    assert own["outcome"] != "returned"


def test_a_hidden_entrys_version_does_not_follow_every_move_of_its_case(lists_world: ListsWorld):
    """An entry whose case the reader does not see shows its version and updated_at; both move
    on every workflow move of the case (not only on its return), so a reader who may not see
    the case watches its activity."""
    from tests.factories.cases import move_case

    world = lists_world
    client = world.client("coordinator_d")  # sees no case of A
    url = f"/api/v1/coalition/lists/{world.child_list.pk}/entries/"

    def shown() -> tuple[Any, Any]:
        rows = client.get(url).json()["results"]
        row = next(r for r in rows if r["id"] == world.entries["own"].pk)
        assert row["sight"] == "none"
        return row["version"], row["updated_at"]

    before = shown()
    move_case(world.cases["own"], "verifying", "searching", actor=None)
    assert shown() == before


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/api/v1/coalition/meetings/", {"kind": "call", "title": "x", "held_on": "2025-06-02"}),
        ("/api/v1/coalition/lists/", {"title": "x", "meeting": 1, "handed_on": "2025-06-02"}),
    ],
)
def test_a_source_id_beyond_the_databases_range_is_a_400(
    lists_world: ListsWorld, url: str, data: dict[str, Any]
):
    """``SourceIdListField`` bounds its ids below only; ``visible_sources`` filters
    ``pk__in=[10**20]``: OverflowError on SQLite (NumericValueOutOfRange on PostgreSQL)."""
    client = lists_world.client("coordinator_a")
    client.raise_request_exception = False
    response = client.post(url, {**data, "sources": [10**20]}, format="json")
    assert response.status_code == 400, response.content[:300]

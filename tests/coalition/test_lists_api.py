"""Lists of named children through the API: the coordinator's whole flow, entries as each
reader may see them, the audited reads of names, filters, entity tags and error bodies.
All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from audit.models import READ_ACTIONS, AuditEvent
from coalition.models import ChildList, ChildListEntry, MeetingKind
from tests.coalition import lists_world as world_module
from tests.coalition.lists_world import (
    BIRTHS,
    DETAILS,
    NAMES,
    ROLES,
    SIGHT,
    ListsWorld,
)
from tests.factories.cases import make_case
from tests.factories.coalition_lists import make_entry, make_list, make_meeting

pytestmark = pytest.mark.django_db
lists_world = world_module.lists_world  # the shared fixture

ISTANBUL = dt.date(2025, 6, 2)


def _entries_url(child_list: ChildList) -> str:
    return reverse("coalition-list-entries", kwargs={"pk": child_list.pk})


def _read_events(response: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(request_id=response["X-Request-ID"], action__in=READ_ACTIONS)
    )


def _etag(client: Any, url: str) -> str:
    return client.get(url)["ETag"]


# ---------------------------------------------------------------------------------------------
# The coordinator's flow, through the API alone
# ---------------------------------------------------------------------------------------------
def test_a_coordinator_records_a_round_its_list_and_outcomes_and_reads_the_returns(
    lists_world: ListsWorld,
):
    world = lists_world
    coordinator = world.client("coordinator_a")
    caseworker = world.client("caseworker_a")
    # The meetings' API is another part's: the round is recorded directly.
    meeting = make_meeting(title="Synthetic Istanbul round", held_on=ISTANBUL)
    first, second = make_case(organization=world.orgs["A"]), make_case(organization=world.orgs["A"])

    created = coordinator.post(
        reverse("coalition-list-list"),
        {
            "title": "Synthetic list handed over in Istanbul",
            "meeting": meeting.pk,
            "handed_by": "UA",
            "handed_to": ["RU"],
            "handed_on": ISTANBUL.isoformat(),
            "count_claimed": 400,
            "count_qualifier": "nearly",
            "script": "Cyrl",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="lists-flow-1",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["count_claimed"] == 400
    assert body["count_qualifier"] == "nearly"
    assert body["entries_held"] == 0
    assert body["handed_to"] == [{"code": "RU", "kind": "state", "name": "Russia"}]
    list_url = created["Location"]
    child_list = ChildList.objects.get(pk=body["id"])

    added = coordinator.post(
        _entries_url(child_list),
        {
            "entries": [
                {"name_as_written": "Синтетична Перша", "case": first.pk},
                {"name_as_written": "Синтетичний Другий", "case": second.pk},
                {"name_as_written": "Синтетична Третя", "date_of_birth_as_written": "2013"},
            ]
        },
        format="json",
    )
    assert added.status_code == 201, added.content
    rows = added.json()["entries"]
    assert [row["position"] for row in rows] == [1, 2, 3]
    # The coordinator reads no case: the linked names are not theirs to see; the unlinked is.
    assert [row["sight"] for row in rows] == ["none", "none", "full"]

    # The other side acknowledges the first child, and agrees to return the second.
    for row, outcome in ((rows[0], "acknowledged"), (rows[1], "return_agreed")):
        url = reverse("coalition-list-entry-detail", kwargs={"pk": row["id"]})
        changed = coordinator.patch(
            url,
            {"outcome": outcome, "outcome_on": "2025-06-20"},
            format="json",
            HTTP_IF_MATCH=f'"{row["id"]}-{row["version"]}"',
        )
        assert changed.status_code == 200, changed.content
        assert changed.json()["outcome"] == outcome

    # The second child comes home: the caseworkers move the case in the registry.
    case_url = reverse("case-detail", kwargs={"pk": second.pk})
    for to in ("verifying", "searching", "located", "return_in_progress", "returned"):
        moved = caseworker.post(
            reverse("case-transition", kwargs={"pk": second.pk}),
            {"to": to, "returned_on": "2025-07-10" if to == "returned" else None},
            format="json",
            HTTP_IF_MATCH=_etag(caseworker, case_url),
        )
        assert moved.status_code == 200, moved.content

    detail = coordinator.get(list_url)
    assert detail.status_code == 200
    summary = detail.json()
    assert summary["entries_held"] == 3
    assert summary["returned"] == 1
    assert summary["by_outcome"]["returned"] == 1
    assert summary["by_outcome"]["acknowledged"] == 1
    assert summary["by_outcome"]["listed"] == 1
    assert summary["by_outcome"]["return_agreed"] == 0
    returned = coordinator.get(_entries_url(child_list), {"outcome": "returned"}).json()
    assert [(row["position"], row["outcome_on"]) for row in returned["results"]] == [
        (2, "2025-07-10")
    ]


# ---------------------------------------------------------------------------------------------
# Entries as each reader sees them, and the read events
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_entries_show_each_reader_what_they_may_see(lists_world: ListsWorld, role: str):
    world = lists_world
    response = world.client(role).get(_entries_url(world.child_list))
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    text = response.content.decode()
    shown = []
    for key, entry in world.entries.items():
        row = rows[entry.pk]
        sight = SIGHT[role][key]
        assert row["sight"] == sight, (role, key)
        assert (NAMES[key] in text) == (sight != "none"), (role, key)
        assert (BIRTHS[key] in text) == (sight == "full"), (role, key)
        assert (DETAILS[key] in text) == (sight == "full"), (role, key)
        if sight == "none":
            assert row["name_as_written"] is None
            assert row["case"] is None
        else:
            shown.append(entry.pk)
        if sight != "none" and key in world.cases:
            assert row["case"] == {"id": world.cases[key].pk, "number": world.cases[key].number}
        assert row["outcome"] == "listed"
    events = _read_events(response)
    if shown:
        assert len(events) == 1
        assert sorted(events[0].metadata["records"]["coalition.childlistentry"]) == sorted(shown)
    else:
        assert events == []


@pytest.mark.parametrize("role", ["coordinator_a", "auditor", "partner_b"])
def test_a_list_and_its_summary_are_read_without_a_read_event(lists_world: ListsWorld, role: str):
    client = lists_world.client(role)
    for url in (
        reverse("coalition-list-list"),
        reverse("coalition-list-detail", kwargs={"pk": lists_world.child_list.pk}),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert _read_events(response) == []
        assert not any(name in response.content.decode() for name in NAMES.values())


def test_writes_answer_with_the_entry_as_seen_and_record_no_read(lists_world: ListsWorld):
    world = lists_world
    entry = world.entries["other"]
    response = world.client("coordinator_a").patch(
        reverse("coalition-list-entry-detail", kwargs={"pk": entry.pk}),
        {"details": "Synthetic change"},
        format="json",
        HTTP_IF_MATCH=f'"{entry.pk}-{entry.version}"',
    )
    assert response.status_code == 200
    assert response.json()["name_as_written"] is None
    assert NAMES["other"] not in response.content.decode()
    assert response["ETag"] == f'"{entry.pk}-{entry.version + 1}"'
    assert _read_events(response) == []


# ---------------------------------------------------------------------------------------------
# Filters, entity tags, errors, query counts
# ---------------------------------------------------------------------------------------------
def test_entry_filters(lists_world: ListsWorld):
    world = lists_world
    client = world.client("auditor")
    url = _entries_url(world.child_list)
    unlinked = client.get(url, {"linked": "false"}).json()["results"]
    assert [row["id"] for row in unlinked] == [world.entries["unlinked"].pk]
    assert len(client.get(url, {"linked": "true"}).json()["results"]) == 4
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat()
    assert client.get(url, {"updated_since": later}).json()["results"] == []
    assert client.get(url, {"outcome": "refused"}).json()["results"] == []
    refused = client.get(url, {"unknown": "1"})
    assert refused.status_code == 400
    assert "unknown" in refused.json()["fields"]
    assert client.get(url, {"outcome": "lost"}).status_code == 400
    for value in ("maybe", "1", ""):
        wrong = client.get(url, {"linked": value})
        assert wrong.status_code == 400, value
        assert "linked" in wrong.json()["fields"]


def test_list_filters(lists_world: ListsWorld):
    world = lists_world
    client = world.client("caseworker_d")
    url = reverse("coalition-list-list")
    ids = lambda params: [row["id"] for row in client.get(url, params).json()["results"]]  # noqa: E731
    assert ids({"handed_by": "ua"}) == [world.child_list.pk]
    assert ids({"handed_to": "RU"}) == [world.child_list.pk]
    assert ids({"handed_by": "RU"}) == []
    assert ids({"meeting": world.child_list.meeting_id}) == [world.child_list.pk]
    assert ids({"handed_after": "2025-06-03"}) == []
    assert ids({"handed_before": "2025-06-03"}) == [world.child_list.pk]
    assert client.get(url, {"handed": "x"}).status_code == 400
    for name, value in [("handed_by", "QQ"), ("handed_to", "not-recorded")]:
        wrong = client.get(url, {name: value})
        assert wrong.status_code == 400, (name, value)
        assert name in wrong.json()["fields"]


def test_a_change_needs_the_current_entity_tag(lists_world: ListsWorld):
    world = lists_world
    client = world.client("coordinator_a")
    url = reverse("coalition-list-detail", kwargs={"pk": world.child_list.pk})
    assert client.patch(url, {"note": "Synthetic"}, format="json").status_code == 428
    stale = client.patch(url, {"note": "Synthetic"}, format="json", HTTP_IF_MATCH='"1-999"')
    assert stale.status_code == 412
    etag = client.get(url)["ETag"]
    changed = client.patch(url, {"note": "Synthetic"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    entry = world.entries["unlinked"]
    entry_url = reverse("coalition-list-entry-detail", kwargs={"pk": entry.pk})
    assert client.patch(entry_url, {"details": "x"}, format="json").status_code == 428


def test_bulk_errors_name_the_row_and_field(lists_world: ListsWorld):
    world = lists_world
    before = ChildListEntry.objects.count()
    response = world.client("coordinator_a").post(
        _entries_url(world.child_list),
        {
            "entries": [
                {"name_as_written": "Синтетична"},
                {"name_as_written": "Синтетичний", "case": world.cases["other"].pk},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"entries.1.case": ["No such case."]}
    assert ChildListEntry.objects.count() == before
    unknown = world.client("coordinator_a").post(
        _entries_url(world.child_list), {"name_as_written": "Синтетична", "age": 3}, format="json"
    )
    assert unknown.status_code == 400
    assert "age" in unknown.json()["fields"]


def test_returned_without_the_case_names_the_outcome(lists_world: ListsWorld):
    world = lists_world
    entry = world.entries["own"]
    response = world.client("coordinator_a").patch(
        reverse("coalition-list-entry-detail", kwargs={"pk": entry.pk}),
        {"outcome": "returned", "outcome_on": "2025-07-01"},
        format="json",
        HTTP_IF_MATCH=f'"{entry.pk}-{entry.version}"',
    )
    assert response.status_code == 400
    message = response.json()["fields"]["outcome"][0]
    assert "not returned" in message
    assert world.cases["own"].number not in message  # a coordinator reads no case


@pytest.mark.parametrize("extra", [10, 50])
def test_entries_are_read_in_a_constant_number_of_queries(
    lists_world: ListsWorld, extra: int, django_assert_max_num_queries: Any
):
    world = lists_world
    for index in range(extra):
        case = make_case(organization=world.orgs["A"]) if index % 2 else None
        make_entry(world.child_list, case=case.pk if case else None)
    client = world.client("caseworker_a")
    url = _entries_url(world.child_list)
    client.get(url)  # warm the compiled reads
    with django_assert_max_num_queries(12):
        response = client.get(url, {"page_size": 100})
    assert len(response.json()["results"]) == 5 + extra


def test_a_meeting_kind_is_a_negotiation_round():
    assert MeetingKind.NEGOTIATION == "negotiation"


def test_lists_and_entries_page_with_cursors(lists_world: ListsWorld):
    world = lists_world
    for day in (3, 4):
        make_list(world.orgs["A"], handed_on=dt.date(2025, 6, day), title=f"Synthetic {day}")
    client = world.client("auditor")
    seen: list[int] = []
    url: str | None = reverse("coalition-list-list") + "?page_size=1"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.content
        seen.extend(row["id"] for row in page.json()["results"])
        url = page.json()["next"]
    assert len(seen) == len(set(seen)) == 3
    positions: list[int] = []
    url = _entries_url(world.child_list) + "?page_size=2"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.content
        positions.extend(row["position"] for row in page.json()["results"])
        url = page.json()["next"]
    assert positions == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("extra", [3, 20])
def test_lists_are_listed_in_a_constant_number_of_queries(
    lists_world: ListsWorld, extra: int, django_assert_max_num_queries: Any
):
    world = lists_world
    for index in range(extra):
        make_list(world.orgs["A"], title=f"Synthetic list {index}", handed_to=["RU", "TR"])
    client = world.client("caseworker_a")
    url = reverse("coalition-list-list")
    client.get(url)
    with django_assert_max_num_queries(8):
        response = client.get(url, {"page_size": 100})
    assert len(response.json()["results"]) == 1 + extra

"""Lists of named children in the services and selectors: who sees which names, who links
which case, the agreement of an entry with its case's workflow, and bulk entries all or none.
All data is synthetic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from audit.models import Action, AuditEvent
from cases.models import Case
from coalition.models import ChildListEntry, EntryOutcome
from coalition.selectors import lists as selectors
from coalition.services import lists as services
from coalition.services.common import CoalitionWriteDenied, StaleRecord
from core.errors import ValidationFailed
from tests.coalition import lists_world as world_module
from tests.coalition.lists_world import (
    ENTRY_KEYS,
    ROLES,
    SIGHT,
    ListsWorld,
    add_membership,
    as_actor,
)
from tests.factories.cases import make_case, move_case
from tests.factories.coalition_lists import ROUND_DAY, make_entry, make_list, make_statement

pytestmark = pytest.mark.django_db
lists_world = world_module.lists_world  # the shared fixture

RETURNED_ON = dt.date(2024, 1, 15)  # what tests.factories.cases.move_case records
TO_RETURNED = ("verifying", "searching", "located", "return_in_progress", "returned")


def _sights(world: ListsWorld, actor: Any) -> dict[str, str]:
    entries = list(selectors.list_entries(child_list=world.child_list))
    seen = selectors.entries_as_seen(actor=actor, child_list=world.child_list, entries=entries)
    by_id = {item.entry.pk: item.sight.value for item in seen}
    return {key: by_id[entry.pk] for key, entry in world.entries.items()}


# ---------------------------------------------------------------------------------------------
# Who sees which names
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_entries_as_seen_follow_the_cases_visibility(lists_world: ListsWorld, role: str):
    assert _sights(lists_world, as_actor(lists_world, role)) == SIGHT[role]


def test_entries_as_seen_one_query_for_the_cases_of_a_page(
    lists_world: ListsWorld, django_assert_max_num_queries: Any
):
    actor = lists_world.users["caseworker_a"]
    entries = list(selectors.list_entries(child_list=lists_world.child_list))
    selectors.sees_unlinked_entries(actor, lists_world.child_list)  # roles read and cached
    with django_assert_max_num_queries(2):  # live shares, then the cases' scopes
        selectors.entries_as_seen(actor=actor, child_list=lists_world.child_list, entries=entries)


def test_a_coordinator_of_the_list_who_also_works_cases_elsewhere_sees_those(
    lists_world: ListsWorld,
):
    coordinator = add_membership(
        lists_world.users["coordinator_a"], lists_world.orgs["D"], "caseworker"
    )
    sights = _sights(lists_world, coordinator)
    assert sights["other"] == "full"
    assert sights["unlinked"] == "full"
    assert sights["own"] == "none"


def test_names_read_names_only_what_was_shown(lists_world: ListsWorld):
    world = lists_world
    entries = list(selectors.list_entries(child_list=world.child_list))
    seen = selectors.entries_as_seen(
        actor=world.users["partner_b"], child_list=world.child_list, entries=entries
    )
    records = selectors.names_read(seen)
    assert sorted(records[ChildListEntry]) == sorted(
        [world.entries["limited"].pk, world.entries["full"].pk]
    )
    assert sorted(records[Case]) == sorted([world.cases["limited"].pk, world.cases["full"].pk])
    hidden = selectors.entries_as_seen(
        actor=world.users["coordinator_d"], child_list=world.child_list, entries=entries
    )
    assert selectors.names_read(hidden) == {}


def test_reading_names_records_one_event_and_none_without_names(lists_world: ListsWorld):
    world = lists_world
    entries = list(selectors.list_entries(child_list=world.child_list))
    before = AuditEvent.objects.filter(action=Action.VIEW).count()
    seen = selectors.entries_as_seen(
        actor=world.users["coordinator_d"], child_list=world.child_list, entries=entries
    )
    assert (
        services.entries_read_record(
            actor=world.users["coordinator_d"], child_list=world.child_list, seen=seen
        )
        is None
    )
    seen = selectors.entries_as_seen(
        actor=world.users["auditor"], child_list=world.child_list, entries=entries
    )
    event = services.entries_read_record(
        actor=world.users["auditor"], child_list=world.child_list, seen=seen
    )
    assert event is not None
    assert AuditEvent.objects.filter(action=Action.VIEW).count() == before + 1
    assert event.object_type == "coalition.childlist"
    assert sorted(event.metadata["records"]["coalition.childlistentry"]) == sorted(
        e.pk for e in world.entries.values()
    )
    assert sorted(event.metadata["records"]["cases.case"]) == sorted(
        c.pk for c in world.cases.values()
    )
    assert not any(name in str(event.metadata) for name in ["Власенко", "Безсправний"])


# ---------------------------------------------------------------------------------------------
# Who writes, and which cases they link
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "role", ["caseworker_a", "supervisor_a", "partner_b", "auditor", "coordinator_d"]
)
def test_only_the_lists_coordinators_write_its_entries(lists_world: ListsWorld, role: str):
    with pytest.raises(CoalitionWriteDenied):
        make_entry(lists_world.child_list, actor=lists_world.users[role])
    with pytest.raises(CoalitionWriteDenied):
        services.entry_update(
            actor=lists_world.users[role],
            entry=lists_world.entries["unlinked"],
            data={"details": "Synthetic change"},
        )


def test_a_coordinator_links_a_case_of_the_lists_organization(lists_world: ListsWorld):
    world = lists_world
    case = make_case(organization=world.orgs["A"])
    entry = make_entry(world.child_list, actor=world.users["coordinator_a"], case=case.pk)
    assert entry.case_id == case.pk


@pytest.mark.parametrize("which", ["another_organizations", "missing"])
def test_linking_a_case_out_of_reach_is_no_such_case_either_way(
    lists_world: ListsWorld, which: str
):
    world = lists_world
    case_id = (
        make_case(organization=world.orgs["D"]).pk
        if which == "another_organizations"
        else max(Case.objects.values_list("pk", flat=True)) + 1000
    )
    with pytest.raises(ValidationFailed) as refused:
        make_entry(world.child_list, actor=world.users["coordinator_a"], case=case_id)
    assert refused.value.fields == {"case": ["No such case."]}
    with pytest.raises(ValidationFailed) as refused_update:
        services.entry_update(
            actor=world.users["coordinator_a"],
            entry=world.entries["unlinked"],
            data={"case": case_id},
        )
    assert refused_update.value.fields == {"case": ["No such case."]}


def test_a_coordinator_who_sees_a_case_elsewhere_may_link_it(lists_world: ListsWorld):
    world = lists_world
    coordinator = add_membership(world.users["coordinator_a"], world.orgs["D"], "caseworker")
    case = make_case(organization=world.orgs["D"])
    assert make_entry(world.child_list, actor=coordinator, case=case.pk).case_id == case.pk


def test_a_case_is_on_a_list_once(lists_world: ListsWorld):
    world = lists_world
    with pytest.raises(ValidationFailed) as refused:
        make_entry(world.child_list, case=world.cases["own"].pk)
    assert "case" in refused.value.fields
    with pytest.raises(ValidationFailed):
        services.entry_update(
            actor=None, entry=world.entries["unlinked"], data={"case": world.cases["own"].pk}
        )


def test_a_superuser_links_any_case_and_unlinks(lists_world: ListsWorld):
    world = lists_world
    superuser = world.users["superuser"]
    entry = services.entry_update(
        actor=superuser, entry=world.entries["other"], data={"case": None}
    )
    assert entry.case_id is None
    entry = services.entry_update(
        actor=superuser, entry=entry, data={"case": world.cases["other"].pk}
    )
    assert entry.case_id == world.cases["other"].pk
    assert entry.version == 3


# ---------------------------------------------------------------------------------------------
# The entry and its case agree
# ---------------------------------------------------------------------------------------------
def test_an_entry_shows_its_case_returned_whatever_was_recorded(lists_world: ListsWorld):
    world = lists_world
    entry = world.entries["own"]
    services.entry_update(
        actor=None,
        entry=entry,
        data={"outcome": EntryOutcome.RETURN_AGREED, "outcome_on": dt.date(2025, 7, 1)},
    )
    move_case(world.cases["own"], *TO_RETURNED)
    read = selectors.list_entries(child_list=world.child_list).get(pk=entry.pk)
    assert selectors.effective_outcome(read) == ("returned", RETURNED_ON)
    assert read.outcome == EntryOutcome.RETURN_AGREED  # as recorded, untouched
    summary = selectors.child_list_summary(child_list=world.child_list)
    assert summary.returned == 1
    assert summary.by_outcome["return_agreed"] == 0
    assert summary.by_outcome["listed"] == 4
    assert summary.entries_held == 5


def test_a_move_of_the_case_moves_its_entry_and_list_for_sync(lists_world: ListsWorld):
    world = lists_world
    entry = ChildListEntry.objects.get(pk=world.entries["own"].pk)
    unrelated = ChildListEntry.objects.get(pk=world.entries["unlinked"].pk)
    list_before = type(world.child_list).objects.get(pk=world.child_list.pk).updated_at
    events = AuditEvent.objects.filter(object_type="coalition.childlistentry").count()
    move_case(world.cases["own"], *TO_RETURNED)
    moved = ChildListEntry.objects.get(pk=entry.pk)
    # The entry shows the return: its ETag and its place in an updated_since sync move.
    # Only the move home changes what the entry shows: one step, not every move of the case.
    assert moved.version == entry.version + 1
    assert moved.updated_at > entry.updated_at
    assert type(world.child_list).objects.get(pk=world.child_list.pk).updated_at > list_before
    # An entry of another case is not touched, and the case's move is the audited change.
    untouched = ChildListEntry.objects.get(pk=unrelated.pk)
    assert (untouched.version, untouched.updated_at) == (unrelated.version, unrelated.updated_at)
    assert AuditEvent.objects.filter(object_type="coalition.childlistentry").count() == events


def test_adding_an_entry_moves_its_list_for_sync(lists_world: ListsWorld):
    world = lists_world
    before = type(world.child_list).objects.get(pk=world.child_list.pk).updated_at
    services.entry_add(
        actor=None, child_list=world.child_list, data={"name_as_written": "Синтетична Дана"}
    )
    assert type(world.child_list).objects.get(pk=world.child_list.pk).updated_at > before


def test_returned_is_refused_on_an_entry_whose_case_is_not_returned(lists_world: ListsWorld):
    world = lists_world
    for who, named in (("coordinator_a", False), ("superuser", True)):
        with pytest.raises(ValidationFailed) as refused:
            services.entry_update(
                actor=world.users[who],
                entry=world.entries["own"],
                data={"outcome": EntryOutcome.RETURNED, "outcome_on": dt.date(2025, 7, 1)},
            )
        assert list(refused.value.fields) == ["outcome"]
        # The case number only to whom the case is visible: a coordinator reads no case.
        assert (world.cases["own"].number in refused.value.fields["outcome"][0]) is named
        assert "move the case" in refused.value.fields["outcome"][0]


def test_returned_is_accepted_once_the_case_is_returned(lists_world: ListsWorld):
    world = lists_world
    move_case(world.cases["own"], *TO_RETURNED)
    entry = services.entry_update(
        actor=world.users["coordinator_a"],
        entry=world.entries["own"],
        data={"outcome": EntryOutcome.RETURNED, "outcome_on": dt.date(2025, 7, 1)},
    )
    assert entry.outcome == EntryOutcome.RETURNED


def test_linking_a_returned_entry_to_a_case_not_returned_is_refused(lists_world: ListsWorld):
    world = lists_world
    entry = make_entry(
        world.child_list, outcome=EntryOutcome.RETURNED, outcome_on=dt.date(2025, 7, 1)
    )
    case = make_case(organization=world.orgs["A"])
    with pytest.raises(ValidationFailed) as refused:
        services.entry_update(
            actor=world.users["coordinator_a"], entry=entry, data={"case": case.pk}
        )
    assert list(refused.value.fields) == ["case"]
    # A coordinator may link the organization's cases but reads none: the number is not said.
    assert case.number not in refused.value.fields["case"][0]
    assert "not returned" in refused.value.fields["case"][0]
    with pytest.raises(ValidationFailed) as refused_new:
        make_entry(
            world.child_list,
            case=case.pk,
            outcome=EntryOutcome.RETURNED,
            outcome_on=dt.date(2025, 7, 1),
        )
    assert "outcome" in refused_new.value.fields


@pytest.mark.parametrize(
    ("outcome_on", "message"),
    [
        (lambda: None, "required"),
        # Tomorrow in the registry's time zone (Kyiv), as the service reads today: UTC's
        # tomorrow is Kyiv's today for two hours each evening.
        (lambda: timezone.localdate() + dt.timedelta(days=1), "future"),
        (lambda: ROUND_DAY - dt.timedelta(days=1), "before the list"),
    ],
    ids=["missing", "future", "before-the-list"],
)
def test_an_outcome_has_a_date_between_the_list_and_today(
    lists_world: ListsWorld, outcome_on: Callable[[], dt.date | None], message: str
):
    with pytest.raises(ValidationFailed) as refused:
        services.entry_update(
            actor=None,
            entry=lists_world.entries["unlinked"],
            data={"outcome": EntryOutcome.ACKNOWLEDGED, "outcome_on": outcome_on()},
        )
    assert message in refused.value.fields["outcome_on"][0]


def test_a_stale_version_is_refused(lists_world: ListsWorld):
    with pytest.raises(StaleRecord):
        services.entry_update(
            actor=None,
            entry=lists_world.entries["unlinked"],
            data={"details": "Synthetic"},
            expected_version=99,
        )


# ---------------------------------------------------------------------------------------------
# Bulk entries: all or none
# ---------------------------------------------------------------------------------------------
def test_bulk_entries_take_the_next_numbers(lists_world: ListsWorld):
    added = services.entries_add(
        actor=lists_world.users["coordinator_a"],
        child_list=lists_world.child_list,
        rows=[{"name_as_written": "Синтетичний Один"}, {"name_as_written": "Синтетична Два"}],
    )
    assert [entry.position for entry in added] == [6, 7]


def test_one_bad_row_refuses_every_row_naming_it(lists_world: ListsWorld):
    world = lists_world
    before = ChildListEntry.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.entries_add(
            actor=world.users["coordinator_a"],
            child_list=world.child_list,
            rows=[
                {"name_as_written": "Синтетичний Один", "position": 10},
                {"name_as_written": ""},
                {"name_as_written": "Синтетична Три", "position": 10},
                {"name_as_written": "Синтетична Чотири", "case": world.cases["other"].pk},
            ],
        )
    assert ChildListEntry.objects.count() == before
    fields = refused.value.fields
    assert "entries.1.name_as_written" in fields
    assert "entries.2.position" in fields
    assert fields["entries.3.case"] == ["No such case."]
    assert "entries.0.name_as_written" not in fields


def test_a_position_already_taken_is_refused(lists_world: ListsWorld):
    with pytest.raises(ValidationFailed) as refused:
        make_entry(lists_world.child_list, position=1)
    assert "position" in refused.value.fields


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------
def test_a_list_needs_a_meeting_or_a_statement(lists_world: ListsWorld):
    with pytest.raises(ValidationFailed) as refused:
        services.child_list_create(
            actor=lists_world.users["coordinator_a"],
            data={"title": "Synthetic", "handed_on": ROUND_DAY, "meeting": None},
        )
    assert "meeting" in refused.value.fields


def test_a_coordinator_keeps_a_new_list_for_their_organization(lists_world: ListsWorld):
    statement = make_statement()
    child_list = services.child_list_create(
        actor=lists_world.users["coordinator_a"],
        data={"title": "Synthetic", "handed_on": ROUND_DAY, "statement": statement.pk},
    )
    assert child_list.organization == lists_world.orgs["A"]
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="coalition.childlist", object_id=str(child_list.pk)
    ).exists()


def test_a_superuser_or_a_coordinator_of_several_says_which_organization(
    lists_world: ListsWorld,
):
    statement = make_statement()
    data = {"title": "Synthetic", "handed_on": ROUND_DAY, "statement": statement.pk}
    with pytest.raises(ValidationFailed) as refused:
        services.child_list_create(actor=lists_world.users["superuser"], data=data)
    assert "organization" in refused.value.fields
    both = add_membership(lists_world.users["coordinator_a"], lists_world.orgs["D"], "coordinator")
    with pytest.raises(ValidationFailed):
        services.child_list_create(actor=both, data=data)
    made = services.child_list_create(
        actor=both, data={**data, "organization": lists_world.orgs["D"].pk}
    )
    assert made.organization == lists_world.orgs["D"]


def test_a_coordinator_cannot_keep_a_list_for_another_organization(lists_world: ListsWorld):
    statement = make_statement()
    with pytest.raises(ValidationFailed) as refused:
        services.child_list_create(
            actor=lists_world.users["coordinator_a"],
            data={
                "title": "Synthetic",
                "handed_on": ROUND_DAY,
                "statement": statement.pk,
                "organization": lists_world.orgs["D"].pk,
            },
        )
    assert "organization" in refused.value.fields


def test_a_list_date_after_its_outcomes_is_refused(lists_world: ListsWorld):
    world = lists_world
    services.entry_update(
        actor=None,
        entry=world.entries["unlinked"],
        data={"outcome": EntryOutcome.NO_ANSWER, "outcome_on": dt.date(2025, 7, 1)},
    )
    with pytest.raises(ValidationFailed) as refused:
        services.child_list_update(
            actor=world.users["coordinator_a"],
            child_list=world.child_list,
            data={"handed_on": dt.date(2025, 8, 1)},
        )
    assert "handed_on" in refused.value.fields


def test_another_coordinator_cannot_change_the_list(lists_world: ListsWorld):
    with pytest.raises(CoalitionWriteDenied):
        services.child_list_update(
            actor=lists_world.users["coordinator_d"],
            child_list=lists_world.child_list,
            data={"note": "Synthetic"},
        )


def test_list_fields_are_checked(lists_world: ListsWorld):
    with pytest.raises(ValidationFailed) as refused:
        services.child_list_update(
            actor=None,
            child_list=lists_world.child_list,
            data={
                "script": "cyrillic",
                "handed_by": "XX",
                "handed_to": ["ZZ"],
                "count_qualifier": "roughly",
                "date_precision": "month",
            },
        )
    assert set(refused.value.fields) >= {
        "script",
        "handed_by",
        "handed_to",
        "count_qualifier",
        "handed_on",
    }


def test_an_unchanged_list_is_not_rewritten(lists_world: ListsWorld):
    world = lists_world
    # Read again: adding the world's entries moved the list's version (its summary changed).
    version = type(world.child_list).objects.get(pk=world.child_list.pk).version
    same = services.child_list_update(
        actor=None, child_list=world.child_list, data={"title": world.child_list.title}
    )
    assert same.version == version
    changed = services.child_list_update(
        actor=None, child_list=world.child_list, data={"handed_to": ["RU", "TR"]}
    )
    assert changed.version == version + 1
    event = AuditEvent.objects.filter(
        action=Action.UPDATE, object_type="coalition.childlist", object_id=str(changed.pk)
    ).get()
    assert event.changes["handed_to"] == [["RU"], ["RU", "TR"]]


def test_make_list_defaults_are_synthetic(lists_world: ListsWorld):
    child_list = make_list(lists_world.orgs["A"])
    assert child_list.is_synthetic
    assert ENTRY_KEYS

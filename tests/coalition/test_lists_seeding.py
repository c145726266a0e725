"""The seeded lists of named children: as public reporting gives them, with their count as claimed
and no entries, and a second load changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from coalition.models import ChildList, ChildListEntry, Meeting, MeetingKind, Statement
from coalition.seeding.common import SeedFileError
from coalition.seeding.lists import lists_load
from coalition.seeding.meetings import meetings_load
from coalition.seeding.members import members_load
from sources.seeding import public_reporting_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(db: None) -> None:
    public_reporting_load()
    members_load()
    meetings_load()
    lists_load()


def test_the_istanbul_list_is_nearly_400_handed_by_ukraine_to_russia(loaded: None):
    istanbul = ChildList.objects.get(handed_on=dt.date(2025, 6, 2))
    assert istanbul.count_claimed == 400
    assert istanbul.count_qualifier == "nearly"
    assert istanbul.handed_by is not None
    assert istanbul.handed_by.code == "UA"
    assert [party.code for party in istanbul.handed_to.all()] == ["RU"]
    assert istanbul.meeting is not None
    assert istanbul.meeting.kind == MeetingKind.NEGOTIATION
    assert istanbul.meeting.held_on == dt.date(2025, 6, 2)
    assert [s.publisher for s in istanbul.sources.all()] == [
        "Ukrainian delegation at talks in Istanbul"
    ]
    assert not istanbul.is_synthetic


def test_the_statement_list_is_339(loaded: None):
    named = ChildList.objects.get(handed_on=dt.date(2025, 8, 5))
    assert named.count_claimed == 339
    assert named.statement is not None
    assert named.statement.issued_on == dt.date(2025, 8, 5)
    assert named.sources.get().published_on == dt.date(2025, 8, 5)


def test_no_names_are_invented(loaded: None):
    assert ChildList.objects.count() == 2
    assert not ChildListEntry.objects.exists()


def test_a_second_load_changes_nothing(loaded: None):
    meetings, statements = Meeting.objects.count(), Statement.objects.count()
    versions = sorted(ChildList.objects.values_list("id", "version"))
    counts = lists_load()
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 2)
    assert sorted(ChildList.objects.values_list("id", "version")) == versions
    assert (Meeting.objects.count(), Statement.objects.count()) == (meetings, statements)


def test_the_lists_are_handed_over_at_the_seeded_meeting_and_statement(loaded: None):
    assert Meeting.objects.filter(held_on=dt.date(2025, 6, 2)).count() == 1
    assert Statement.objects.filter(issued_on=dt.date(2025, 8, 5)).count() == 1


def test_lists_need_their_meeting_and_statement_loaded_first(db: None):
    public_reporting_load()
    with pytest.raises(SeedFileError, match="load the meetings first"):
        lists_load()
    assert not ChildList.objects.exists()


def test_a_list_changed_in_the_registry_is_corrected_on_the_next_load(loaded: None):
    istanbul = ChildList.objects.get(handed_on=dt.date(2025, 6, 2))
    ChildList.objects.filter(pk=istanbul.pk).update(count_claimed=399)
    istanbul.handed_to.clear()
    counts = lists_load()
    assert (counts.updated, counts.unchanged) == (1, 1)
    istanbul.refresh_from_db()
    assert istanbul.count_claimed == 400
    assert [party.code for party in istanbul.handed_to.all()] == ["RU"]


def test_load_seeds_loads_the_lists(db: None):
    call_command("load_seeds", verbosity=0)
    call_command("load_seeds", verbosity=0)
    assert ChildList.objects.count() == 2

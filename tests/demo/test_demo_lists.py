"""The demo's synthetic list of named children (``load_demo --cases N``): synthetic and saying
so, its entries pointing at synthetic demo cases, made once."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from cases.seeding import facilities_load
from coalition.models import ChildList, ChildListEntry
from coalition.selectors.lists import child_list_summary
from demo.coalition_lists import DEMO_LIST_TITLE, demo_child_list_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks: Any) -> ChildList:
    facilities_load()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", cases=14, stdout=StringIO())
    return ChildList.objects.get(title=DEMO_LIST_TITLE)


def test_the_demo_list_is_synthetic_and_says_so(demo: ChildList) -> None:
    assert demo.is_synthetic
    assert "Synthetic" in demo.title
    assert demo.meeting is not None
    assert "Synthetic" in demo.meeting.title


def test_its_entries_point_at_synthetic_demo_cases(demo: ChildList) -> None:
    entries = list(ChildListEntry.objects.filter(child_list=demo).select_related("case__child"))
    linked = [entry for entry in entries if entry.case_id is not None]
    assert len(linked) == 12
    assert all(entry.case.child.is_synthetic for entry in linked)
    assert all(
        entry.name_as_written.startswith(entry.case.child.family_name_latin.upper())
        for entry in linked
    )
    assert len(entries) - len(linked) == 3
    summary = child_list_summary(child_list=demo)
    assert summary.entries_held == 15
    assert summary.returned == sum(1 for e in linked if e.case.returned_on is not None)


def test_a_second_load_changes_nothing(demo: ChildList) -> None:
    counts = demo_child_list_load()
    assert (counts.created, counts.unchanged) == (0, 1)
    assert ChildList.objects.filter(title=DEMO_LIST_TITLE).count() == 1

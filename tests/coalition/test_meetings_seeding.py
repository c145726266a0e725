"""The seeded meetings, joint statement and UN vote: as public reporting gives them, each citing
its sources, loaded through the services, and a second load changes nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from coalition.models import Meeting, Party, Resolution, Statement
from coalition.seeding.meetings import meetings_load
from coalition.seeding.members import members_load
from coalition.services import meetings as services
from sources.seeding import public_reporting_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded() -> None:
    public_reporting_load()
    members_load()
    meetings_load()


def codes(parties: object) -> set[str]:
    return set(parties.values_list("code", flat=True))  # type: ignore[attr-defined]


def test_meetings_load_twice_changes_nothing() -> None:
    public_reporting_load()
    members_load()
    first = meetings_load()
    assert (first.created, first.updated, first.unchanged) == (7, 0, 0)
    events = AuditEvent.objects.count()
    second = meetings_load()
    assert (second.created, second.updated, second.unchanged) == (0, 0, 7)
    assert AuditEvent.objects.count() == events


def test_meetings_are_as_reported(loaded: None) -> None:
    malta = Meeting.objects.get(place="Malta")
    assert malta.kind == "founding"
    assert malta.country == "MT"
    assert (malta.held_on, malta.date_precision) == (dt.date(2023, 1, 1), "year")
    assert "before the inaugural meeting" in malta.date_label
    assert not malta.participants.exists()

    inaugural = Meeting.objects.get(held_on=dt.date(2023, 12, 8))
    assert inaugural.place == "Kyiv"

    launch = Meeting.objects.get(held_on=dt.date(2024, 2, 2))
    assert launch.host is not None
    assert launch.host.code == "UA"
    assert codes(launch.participants) == {"UA", "CA", "BE", "GB", "DK", "CR", "NL", "DE"}
    assert (launch.members_claimed, launch.members_claimed_qualifier) == (28, "stated")

    istanbul = Meeting.objects.get(held_on=dt.date(2025, 6, 2))
    assert istanbul.kind == "negotiation"
    assert istanbul.host is not None
    assert istanbul.host.code == "TR"
    assert codes(istanbul.participants) == {"UA", "RU", "TR"}
    assert "nearly 400 named children" in istanbul.outcomes
    assert "about 10" in istanbul.outcomes

    call = Meeting.objects.get(kind="call")
    assert (call.held_on, call.date_precision, call.date_label) == (
        dt.date(2023, 4, 1),
        "month",
        "late April 2023",
    )
    assert codes(call.participants) == {"UA", "CN"}
    for meeting in Meeting.objects.all():
        assert meeting.sources.exists(), meeting
        assert meeting.created_by is None


def test_statement_is_as_reported_without_invented_signatories(loaded: None) -> None:
    statement = Statement.objects.get()
    assert statement.issued_on == dt.date(2025, 8, 5)
    assert statement.signatories_claimed == 40
    assert codes(statement.signatories) == {"council-of-europe", "european-union"}
    assert len(statement.demands) == 4
    assert "339 children" in statement.demands[0]
    assert Party.objects.get(code="european-union").name == "European Union"
    assert statement.sources.get().published_on == dt.date(2025, 8, 5)


def test_un_vote_is_as_reported(loaded: None) -> None:
    resolution = Resolution.objects.get()
    assert resolution.body == "general_assembly"
    assert (
        resolution.in_favour,
        resolution.against,
        resolution.abstaining,
        resolution.absent,
    ) == (91, 12, 57, None)
    assert not resolution.roll_call_complete
    votes = services.votes_of(resolution)
    assert {code for code, vote in votes.items() if vote == "against"} == {
        "RU",
        "BY",
        "IR",
        "NI",
        "CU",
        "ER",
        "ML",
    }
    assert {code for code, vote in votes.items() if vote == "abstaining"} == {
        "CN",
        "IN",
        "BR",
        "AM",
        "KZ",
        "KG",
        "UZ",
        "EG",
        "QA",
        "PK",
    }
    assert "in_favour" not in votes.values()
    assert "91 in favour" in resolution.sources.get().title


def test_a_changed_record_is_corrected_once(loaded: None) -> None:
    call = Meeting.objects.get(kind="call")
    services.meeting_update(meeting=call, actor=None, data={"participants": ["UA"]})
    resolution = Resolution.objects.get()
    services.votes_set(resolution=resolution, votes={"RU": None}, actor=None)
    counts = meetings_load()
    assert (counts.created, counts.updated, counts.unchanged) == (0, 2, 5)
    assert codes(Meeting.objects.get(kind="call").participants) == {"UA", "CN"}
    assert services.votes_of(resolution)["RU"] == "against"


def test_load_seeds_command_loads_the_meetings() -> None:
    out = StringIO()
    call_command("load_seeds", stdout=out)
    assert "Coalition meetings, statements and votes: 7 created" in out.getvalue()
    out = StringIO()
    call_command("load_seeds", stdout=out)
    assert "Coalition meetings, statements and votes: 0 created, 0 updated, 7 unchanged" in (
        out.getvalue()
    )

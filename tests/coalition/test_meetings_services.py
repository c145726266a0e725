"""The rules of meetings, joint statements, resolutions and votes, in the services: dates with
precision, parties members or not, the claimed counts, the roll call against the reported
totals, the pasted roll call, versions and the audit. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Organization, Role
from audit.models import Action, AuditEvent
from coalition.models import Meeting, Party, PartyKind, Resolution, ResolutionVote, Statement
from coalition.services import meetings as services
from coalition.services import roll_call
from coalition.services.common import CoalitionWriteDenied, StaleRecord
from core.errors import ValidationFailed
from tests.factories.accounts import make_member
from tests.factories.coalition_meetings import make_meeting, make_resolution, make_statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(home: Organization) -> Any:
    return make_member(Role.COORDINATOR, home)


def events(record: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=record._meta.label_lower, object_id=str(record.pk)
        ).order_by("id")
    )


def organization(code: str = "synthetic-union", name: str = "Synthetic Union") -> Party:
    return Party.objects.create(kind=PartyKind.ORGANIZATION, code=code, name=name)


def refused(call: Any, *fields: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        call()
    for field in fields:
        assert field in caught.value.fields, caught.value.fields
    return caught.value


# ---------------------------------------------------------------------------------------------
# Meetings
# ---------------------------------------------------------------------------------------------
def test_meeting_takes_participants_members_or_not_and_audits_them(coordinator: Any) -> None:
    union = organization()
    meeting = services.meeting_record(
        actor=coordinator,
        data={
            "kind": "negotiation",
            "title": "Synthetic round",
            "held_on": dt.date(2025, 6, 2),
            "country": "tr",
            "host": "TR",
            "participants": ["UA", "ru", "synthetic-union", "UA"],
            "outcomes": "  A list was handed over.  ",
        },
    )
    assert meeting.country == "TR"
    assert meeting.host is not None
    assert meeting.host.code == "TR"
    assert sorted(meeting.participants.values_list("code", flat=True)) == [
        "RU",
        "UA",
        "synthetic-union",
    ]
    assert meeting.outcomes == "A list was handed over."
    assert meeting.created_by == coordinator
    assert union.meetings.get() == meeting
    (created,) = events(meeting)
    assert created.action == Action.CREATE
    assert created.changes["participants"] == [None, ["RU", "UA", "synthetic-union"]]


def test_meeting_refuses_unknown_parties_naming_each_field(coordinator: Any) -> None:
    error = refused(
        lambda: services.meeting_record(
            actor=coordinator,
            data={
                "kind": "call",
                "title": "Synthetic call",
                "held_on": dt.date(2024, 1, 5),
                "host": "XX",
                "participants": ["UA", "no-such-body"],
                "country": "QQ",
            },
        ),
        "host",
        "participants",
        "country",
    )
    assert "XX" in error.fields["host"][0]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("held_on", "precision", "label", "ok"),
    [
        (dt.date(2023, 4, 20), "month", "late April 2023", False),  # not the 1st
        (dt.date(2023, 4, 1), "month", "late April 2023", True),
        (dt.date(2023, 3, 1), "season", "spring 2023", True),
        (dt.date(2023, 4, 1), "season", "spring 2023", False),  # a season starts in March
        (dt.date(2023, 1, 1), "year", "", True),
        (dt.date(2023, 2, 1), "year", "", False),
        (dt.date(2023, 4, 20), "day", "", True),
    ],
)
def test_meeting_date_is_the_first_day_of_its_period(
    coordinator: Any, held_on: dt.date, precision: str, label: str, ok: bool
) -> None:
    data = {
        "kind": "call",
        "title": "Synthetic call",
        "held_on": held_on,
        "date_precision": precision,
        "date_label": label,
    }
    if ok:
        meeting = services.meeting_record(actor=coordinator, data=data)
        assert meeting.date_label == (label or {"year": "2023", "day": ""}[precision])
    else:
        refused(lambda: services.meeting_record(actor=coordinator, data=data), "held_on")


def test_meeting_vague_date_needs_its_words_unless_a_month_or_year(coordinator: Any) -> None:
    data = {"kind": "call", "title": "Synthetic call", "held_on": dt.date(2023, 3, 1)}
    refused(
        lambda: services.meeting_record(
            actor=coordinator, data={**data, "date_precision": "season"}
        ),
        "date_label",
    )
    month = services.meeting_record(actor=coordinator, data={**data, "date_precision": "month"})
    assert month.date_label == "2023-03"


def test_meeting_refuses_a_future_date_and_a_qualifier_without_a_count(coordinator: Any) -> None:
    refused(
        lambda: services.meeting_record(
            actor=coordinator,
            data={
                "kind": "plenary",
                "title": "Synthetic",
                "held_on": timezone.localdate() + dt.timedelta(days=3),
                "members_claimed_qualifier": "at_least",
                "members_claimed": None,
            },
        ),
        "held_on",
        "members_claimed_qualifier",
    )


def test_meeting_write_takes_a_coordinator(home: Organization) -> None:
    caseworker = make_member(Role.CASEWORKER, home)
    with pytest.raises(CoalitionWriteDenied):
        services.meeting_record(
            actor=caseworker,
            data={"kind": "call", "title": "Synthetic", "held_on": dt.date(2024, 1, 1)},
        )
    meeting = make_meeting()
    with pytest.raises(CoalitionWriteDenied):
        services.meeting_update(meeting=meeting, actor=caseworker, data={"title": "Other"})


def test_meeting_update_audits_relation_changes_and_counts_the_version(coordinator: Any) -> None:
    meeting = make_meeting(participants=["UA", "CA"])
    services.meeting_update(
        meeting=meeting,
        actor=coordinator,
        data={"participants": ["UA", "CN"], "title": "Synthetic call, renamed"},
        expected_version=1,
    )
    meeting.refresh_from_db()
    assert meeting.version == 2
    update = events(meeting)[-1]
    assert update.action == Action.UPDATE
    assert update.changes["participants"] == [["CA", "UA"], ["CN", "UA"]]
    assert update.changes["title"] == ["Synthetic plenary session", "Synthetic call, renamed"]


def test_meeting_update_without_change_writes_nothing(coordinator: Any) -> None:
    meeting = make_meeting(participants=["UA"])
    count = len(events(meeting))
    services.meeting_update(
        meeting=meeting, actor=coordinator, data={"participants": ["UA"], "title": meeting.title}
    )
    meeting.refresh_from_db()
    assert meeting.version == 1
    assert len(events(meeting)) == count


def test_meeting_update_refuses_a_stale_version(coordinator: Any) -> None:
    meeting = make_meeting()
    services.meeting_update(meeting=meeting, actor=coordinator, data={"place": "Kyiv"})
    with pytest.raises(StaleRecord):
        services.meeting_update(
            meeting=meeting, actor=coordinator, data={"place": "Lviv"}, expected_version=1
        )
    meeting.refresh_from_db()
    assert meeting.place == "Kyiv"


def test_meeting_refuses_unknown_fields(coordinator: Any) -> None:
    refused(
        lambda: services.meeting_record(
            actor=coordinator,
            data={"kind": "call", "title": "S", "held_on": dt.date(2024, 1, 1), "version": 5},
        ),
        "version",
    )


# ---------------------------------------------------------------------------------------------
# Joint statements
# ---------------------------------------------------------------------------------------------
def test_statement_keeps_demands_and_signatories_beside_the_count(coordinator: Any) -> None:
    meeting = make_meeting()
    statement = services.statement_record(
        actor=coordinator,
        data={
            "title": "Synthetic statement",
            "issued_on": dt.date(2025, 8, 5),
            "demands": ["  Return the children.  ", "Give information."],
            "signatories": ["CA", "UA"],
            "signatories_claimed": 40,
            "meeting": meeting.pk,
        },
    )
    assert statement.demands == ["Return the children.", "Give information."]
    assert statement.signatories.count() == 2
    assert statement.signatories_claimed == 40
    assert statement.meeting == meeting
    assert events(statement)[0].changes["signatories"] == [None, ["CA", "UA"]]


@pytest.mark.parametrize("demands", [["Return them.", "  "], ["Return them.", 5], "Return them."])
def test_statement_refuses_empty_demands(coordinator: Any, demands: Any) -> None:
    refused(
        lambda: services.statement_record(
            actor=coordinator,
            data={"title": "S", "issued_on": dt.date(2025, 8, 5), "demands": demands},
        ),
        "demands",
    )
    assert not Statement.objects.exists()


def test_statement_refuses_more_signatories_than_reported(coordinator: Any) -> None:
    error = refused(
        lambda: services.statement_record(
            actor=coordinator,
            data={
                "title": "S",
                "issued_on": dt.date(2025, 8, 5),
                "signatories": ["CA", "UA", "DE"],
                "signatories_claimed": 2,
            },
        ),
        "signatories",
    )
    assert "3 signatories entered, 2 reported" in error.fields["signatories"][0]
    statement = make_statement(signatories=["CA", "UA"], signatories_claimed=2)
    refused(
        lambda: services.statement_update(
            statement=statement, actor=coordinator, data={"signatories_claimed": 1}
        ),
        "signatories",
    )


def test_statement_refuses_an_unknown_meeting(coordinator: Any) -> None:
    refused(
        lambda: services.statement_record(
            actor=coordinator,
            data={"title": "S", "issued_on": dt.date(2025, 8, 5), "meeting": 999999},
        ),
        "meeting",
    )


def test_statement_update_audits_signatories(coordinator: Any) -> None:
    statement = make_statement(signatories=["CA"])
    services.statement_update(
        statement=statement, actor=coordinator, data={"signatories": ["CA", "GB"]}
    )
    assert events(statement)[-1].changes["signatories"] == [["CA"], ["CA", "GB"]]


# ---------------------------------------------------------------------------------------------
# Resolutions and votes
# ---------------------------------------------------------------------------------------------
def test_resolution_symbol_is_unique_per_body(coordinator: Any) -> None:
    make_resolution(symbol="A/RES/SYN/1")
    refused(lambda: make_resolution(symbol="A/RES/SYN/1"), "symbol")
    other = make_resolution(symbol="A/RES/SYN/1", body="human_rights_council")
    assert other.pk


def test_resolution_counts_are_whole_and_not_negative(coordinator: Any) -> None:
    refused(lambda: make_resolution(in_favour=-1, against="12"), "in_favour", "against")


def test_votes_never_exceed_the_reported_total(coordinator: Any) -> None:
    resolution = make_resolution(in_favour=1, against=2)
    error = refused(
        lambda: services.votes_set(
            resolution=resolution, votes={"CA": "in_favour", "DE": "in_favour"}, actor=coordinator
        ),
        "in_favour",
    )
    assert "in_favour: 2 states entered, 1 reported" in str(error.detail)
    assert not ResolutionVote.objects.exists()
    # Not reported: no bound.
    services.votes_set(
        resolution=resolution, votes={"AT": "abstaining", "BE": "abstaining"}, actor=coordinator
    )
    assert ResolutionVote.objects.count() == 2


def test_votes_replace_a_states_vote_and_none_removes_it(coordinator: Any) -> None:
    resolution = make_resolution(in_favour=1, against=1)
    services.votes_set(resolution=resolution, votes={"RU": "in_favour"}, actor=coordinator)
    services.votes_set(resolution=resolution, votes={"RU": "against"}, actor=coordinator)
    assert services.votes_of(resolution) == {"RU": "against"}
    services.votes_set(
        resolution=resolution, votes={"RU": None, "CA": "in_favour"}, actor=coordinator
    )
    assert services.votes_of(resolution) == {"CA": "in_favour"}
    resolution.refresh_from_db()
    assert resolution.version == 4
    changes = [e.changes["votes"] for e in events(resolution) if e.action == Action.UPDATE]
    assert changes == [
        [{"RU": None}, {"RU": "in_favour"}],
        [{"RU": "in_favour"}, {"RU": "against"}],
        [{"CA": None, "RU": "against"}, {"CA": "in_favour", "RU": None}],
    ]


def test_votes_are_cast_by_states_only(coordinator: Any) -> None:
    organization()
    resolution = make_resolution()
    refused(
        lambda: services.votes_set(
            resolution=resolution,
            votes={"synthetic-union": "in_favour", "CA": "maybe", "XX": "against"},
            actor=coordinator,
        ),
        "votes.synthetic-union",
        "votes.CA",
        "votes.XX",
    )
    assert not ResolutionVote.objects.exists()


def test_a_complete_roll_call_equals_every_total(coordinator: Any) -> None:
    resolution = make_resolution(in_favour=2, against=1, abstaining=0, absent=0)
    services.votes_set(
        resolution=resolution, votes={"CA": "in_favour", "RU": "against"}, actor=coordinator
    )
    error = refused(
        lambda: services.resolution_update(
            resolution=resolution, actor=coordinator, data={"roll_call_complete": True}
        ),
        "in_favour",
    )
    assert "in_favour: 1 states entered, 2 reported" in str(error.detail)
    services.votes_set(resolution=resolution, votes={"DE": "in_favour"}, actor=coordinator)
    services.resolution_update(
        resolution=resolution, actor=coordinator, data={"roll_call_complete": True}
    )
    resolution.refresh_from_db()
    assert resolution.roll_call_complete
    # Complete: moving a vote would break the totals.
    refused(
        lambda: services.votes_set(
            resolution=resolution, votes={"DE": "abstaining"}, actor=coordinator
        ),
        "in_favour",
        "abstaining",
    )


def test_a_complete_roll_call_needs_all_four_totals(coordinator: Any) -> None:
    refused(
        lambda: make_resolution(in_favour=0, against=0, abstaining=0, roll_call_complete=True),
        "absent",
    )
    resolution = make_resolution(in_favour=0, against=0, abstaining=0, absent=0)
    services.resolution_update(
        resolution=resolution, actor=coordinator, data={"roll_call_complete": True}
    )


def test_lowering_a_total_below_its_entered_votes_is_refused(coordinator: Any) -> None:
    resolution = make_resolution(against=2)
    services.votes_set(
        resolution=resolution, votes={"RU": "against", "BY": "against"}, actor=coordinator
    )
    error = refused(
        lambda: services.resolution_update(
            resolution=resolution, actor=coordinator, data={"against": 1}
        ),
        "against",
    )
    assert "2 states entered, 1 reported" in error.fields["against"][0]


def test_votes_refuse_a_stale_version(coordinator: Any) -> None:
    resolution = make_resolution()
    with pytest.raises(StaleRecord):
        services.votes_set(
            resolution=resolution, votes={"CA": "in_favour"}, actor=coordinator, expected_version=7
        )


# ---------------------------------------------------------------------------------------------
# The pasted roll call
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("Росія", "RU"),
        ("Iran", "IR"),
        ("Iran (Islamic Republic of)", "IR"),
        ("Syria", "SY"),
        ("Syrian Arab Republic", "SY"),
        ("Venezuela", "VE"),
        ("Bolivia", "BO"),
        ("Moldova", "MD"),
        ("Republic of Moldova", "MD"),
        ("Tanzania", "TZ"),
        ("Laos", "LA"),
        ("Vietnam", "VN"),
        ("Viet Nam", "VN"),
        ("North Korea", "KP"),
        ("DPRK", "KP"),
        ("South Korea", "KR"),
        ("Türkiye", "TR"),
        ("Turkiye", "TR"),
        ("Turkey", "TR"),
        ("Czechia", "CZ"),
        ("Czech Republic", "CZ"),
        ("United States", "US"),
        ("USA", "US"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("Côte d'Ivoire", "CI"),
        ("cote d’ivoire", "CI"),
        ("Ivory Coast", "CI"),
        ("Eswatini", "SZ"),
        ("Swaziland", "SZ"),
        ("Micronesia", "FM"),
        ("de", "DE"),
        ("  CHINA ", "CN"),
        ("Китай", "CN"),
        ("Білорусь", "BY"),
        ("В’єтнам", "VN"),
        ("Сполучені Штати Америки", "US"),
        ("the Netherlands", "NL"),
    ],
)
def test_country_names_in_english_ukrainian_and_short_forms(name: str, code: str) -> None:
    assert roll_call.country_code_for(name) == code


def test_split_names_by_commas_semicolons_and_lines() -> None:
    text = "Russia, Belarus; Iran\nNicaragua\r\n\nCuba,, Korea, Republic of"
    assert roll_call.split_names(text) == [
        "Russia",
        "Belarus",
        "Iran",
        "Nicaragua",
        "Cuba",
        "Korea, Republic of",
    ]


def test_pasted_roll_call_enters_the_votes(coordinator: Any) -> None:
    resolution = make_resolution(in_favour=3, against=2, abstaining=2)
    services.votes_from_text(
        resolution=resolution,
        actor=coordinator,
        in_favour="Canada, Німеччина; UA",
        against="Russia\nBelarus",
        abstaining="China; India",
    )
    assert services.votes_of(resolution) == {
        "CA": "in_favour",
        "DE": "in_favour",
        "UA": "in_favour",
        "RU": "against",
        "BY": "against",
        "CN": "abstaining",
        "IN": "abstaining",
    }


def test_pasted_roll_call_names_every_unknown_name_and_writes_nothing(coordinator: Any) -> None:
    resolution = make_resolution()
    error = refused(
        lambda: services.votes_from_text(
            resolution=resolution,
            actor=coordinator,
            in_favour="Canada, Atlantis, Narnia",
            against="Russia, Oceania",
            abstaining="China",
        ),
        "in_favour",
        "against",
    )
    assert "Atlantis" in error.fields["in_favour"][0]
    assert "Narnia" in error.fields["in_favour"][0]
    assert "Oceania" in error.fields["against"][0]
    assert "abstaining" not in error.fields
    assert not ResolutionVote.objects.exists()


def test_pasted_roll_call_refuses_a_state_under_two_votes(coordinator: Any) -> None:
    resolution = make_resolution()
    error = refused(
        lambda: services.votes_from_text(
            resolution=resolution, actor=coordinator, in_favour="Canada", abstaining="CA, India"
        ),
        "in_favour",
        "abstaining",
    )
    assert "Canada" in error.fields["abstaining"][0]
    assert not ResolutionVote.objects.exists()


def test_pasted_roll_call_keeps_the_totals_rule(coordinator: Any) -> None:
    resolution = make_resolution(against=1)
    error = refused(
        lambda: services.votes_from_text(
            resolution=resolution, actor=coordinator, against="Russia, Belarus"
        ),
        "against",
    )
    assert "2 states entered, 1 reported" in error.fields["against"][0]


def test_pasted_roll_call_takes_a_coordinator(home: Organization) -> None:
    resolution = make_resolution()
    with pytest.raises(CoalitionWriteDenied):
        services.votes_from_text(
            resolution=resolution, actor=make_member(Role.AUDITOR, home), in_favour="Canada"
        )
    assert Resolution.objects.get().version == 1

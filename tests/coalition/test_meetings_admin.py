"""Meetings, joint statements and resolutions in the admin: coordinators write through the
services, other readers view; a resolution's page draws its vote (totals as reported beside
the states entered) and links to the roll-call page, where pasted names are saved or, when
unknown, shown by name. All data is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Role, User
from audit.models import Action, AuditEvent
from coalition.models import Meeting, Party, PartyKind, ResolutionVote, Statement
from coalition.selectors.meetings import VoteTally
from coalition.services import meetings as services
from coalition.vote_chart import vote_chart
from tests.factories.accounts import UserFactory, make_member
from tests.factories.coalition_meetings import make_meeting, make_resolution, make_statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> User:
    return UserFactory.create(username="synthetic-admin", is_superuser=True)


@pytest.fixture
def coordinator(home: Any) -> User:
    return make_member(Role.COORDINATOR, home)


@pytest.fixture
def caseworker(home: Any) -> User:
    return make_member(Role.CASEWORKER, home)


def signed_in(client: Any, user: User) -> Any:
    client.force_login(user)
    return client


MEETING_ADD = reverse("admin:coalition_meeting_add")


def test_coordinator_records_a_meeting_with_non_member_participants(
    client: Any, coordinator: User
) -> None:
    Party.objects.create(kind=PartyKind.ORGANIZATION, code="synthetic-body", name="Synthetic")
    response = signed_in(client, coordinator).post(
        MEETING_ADD,
        {
            "kind": "negotiation",
            "title": "Synthetic round",
            "held_on": "2025-06-02",
            "date_precision": "day",
            "country": "TR",
            "host_code": "TR",
            "participant_codes": ["UA", "RU", "synthetic-body"],
            "outcomes": "Synthetic outcome.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get()
    assert meeting.created_by == coordinator
    assert meeting.host is not None
    assert meeting.host.code == "TR"
    assert party_set(meeting.participants) == {"UA", "RU", "synthetic-body"}
    event = AuditEvent.objects.get(
        action=Action.CREATE, object_type="coalition.meeting", object_id=str(meeting.pk)
    )
    assert event.changes["participants"][1] == ["RU", "UA", "synthetic-body"]


def party_set(parties: Any) -> set[str]:
    return set(parties.values_list("code", flat=True))


def test_admin_shows_the_services_refusal_on_its_field(client: Any, coordinator: User) -> None:
    response = signed_in(client, coordinator).post(
        MEETING_ADD,
        {
            "kind": "call",
            "title": "Synthetic call",
            "held_on": "2023-04-20",
            "date_precision": "month",
        },
    )
    assert response.status_code == 200
    assert "first day of the period" in response.content.decode()
    assert not Meeting.objects.exists()


def test_statement_demands_one_per_line(client: Any, coordinator: User) -> None:
    response = signed_in(client, coordinator).post(
        reverse("admin:coalition_statement_add"),
        {
            "title": "Synthetic statement",
            "issued_on": "2025-08-05",
            "demand_lines": "Return the children.\n\n  Give information.  \n",
            "signatory_codes": ["CA", "UA"],
            "signatories_claimed": "40",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    statement = Statement.objects.get()
    assert statement.demands == ["Return the children.", "Give information."]
    page = client.get(reverse("admin:coalition_statement_change", args=[statement.pk]))
    assert "Return the children.\nGive information." in page.content.decode()


def test_readers_view_but_do_not_write(client: Any, caseworker: User) -> None:
    meeting = make_meeting()
    resolution = make_resolution()
    statement = make_statement()
    signed_in(client, caseworker)
    for name, record in (
        ("meeting", meeting),
        ("statement", statement),
        ("resolution", resolution),
    ):
        assert client.get(reverse(f"admin:coalition_{name}_changelist")).status_code == 200
        page = client.get(reverse(f"admin:coalition_{name}_change", args=[record.pk]))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert client.get(reverse(f"admin:coalition_{name}_add")).status_code == 403
    roll_call = reverse("admin:coalition_resolution_roll_call", args=[resolution.pk])
    assert roll_call not in page.content.decode()
    assert client.get(roll_call).status_code == 403
    assert client.post(roll_call, {"against": "Russia"}).status_code == 403
    assert not ResolutionVote.objects.exists()


def test_users_without_a_coalition_role_do_not_see_it(client: Any) -> None:
    outsider = UserFactory.create()
    signed_in(client, outsider)
    assert client.get(reverse("admin:coalition_meeting_changelist")).status_code == 403


def test_resolution_page_draws_the_vote(client: Any, superuser: User) -> None:
    resolution = make_resolution(symbol="A/RES/SYN/9", in_favour=91, against=12, abstaining=57)
    services.votes_set(
        resolution=resolution,
        votes={"RU": "against", "BY": "against", "CN": "abstaining"},
        actor=None,
    )
    page = signed_in(client, superuser).get(
        reverse("admin:coalition_resolution_change", args=[resolution.pk])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert "<script" not in html.split('class="vote-chart"')[1].split("</div>")[0]
    for text in ("91 reported", "12 reported", "57 reported", "not reported", "2 entered"):
        assert text in html, text
    assert "Belarus, Russia" in html
    assert "China" in html
    assert "/static/coalition/admin/vote_chart.css" in html
    assert reverse("admin:coalition_resolution_roll_call", args=[resolution.pk]) in html


def test_roll_call_page_names_unknown_names_and_saves_known_ones(
    client: Any, coordinator: User
) -> None:
    resolution = make_resolution(in_favour=91, against=12, abstaining=57)
    url = reverse("admin:coalition_resolution_roll_call", args=[resolution.pk])
    signed_in(client, coordinator)
    assert client.get(url).status_code == 200
    refused = client.post(url, {"against": "Russia, Atlantis", "abstaining": "Китай, Narnia"})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Atlantis" in html
    assert "Narnia" in html
    assert not ResolutionVote.objects.exists()
    saved = client.post(url, {"against": "Russia; Belarus", "abstaining": "Китай"})
    assert saved.status_code == 302
    assert services.votes_of(resolution) == {"RU": "against", "BY": "against", "CN": "abstaining"}


def test_votes_inline_goes_through_the_rules(client: Any, coordinator: User) -> None:
    resolution = make_resolution(title="Synthetic", against=1)
    url = reverse("admin:coalition_resolution_change", args=[resolution.pk])
    form = {
        "body": "general_assembly",
        "symbol": "",
        "title": "Synthetic",
        "voted_on": "2024-03-01",
        "date_precision": "day",
        "against": "1",
        "votes-TOTAL_FORMS": "2",
        "votes-INITIAL_FORMS": "0",
        "votes-MIN_NUM_FORMS": "0",
        "votes-MAX_NUM_FORMS": "1000",
        "votes-0-state": "RU",
        "votes-0-vote": "against",
        "votes-1-state": "BY",
        "votes-1-vote": "against",
    }
    refused = signed_in(client, coordinator).post(url, form)
    assert refused.status_code == 200
    assert "2 states entered, 1 reported" in refused.content.decode()
    assert not ResolutionVote.objects.exists()
    saved = client.post(url, {**form, "votes-TOTAL_FORMS": "1"})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert services.votes_of(resolution) == {"RU": "against"}


def test_vote_chart_geometry() -> None:
    tallies = [
        VoteTally("in_favour", "In favour", 91, [("CA", "Canada")]),
        VoteTally("against", "Against", 12, [("RU", "Russia"), ("BY", "Belarus")]),
        VoteTally("abstaining", "Abstaining", 57, []),
        VoteTally("absent", "Absent", None, []),
    ]
    chart = vote_chart(
        tallies, reported_word="reported", entered_word="entered", unreported="not reported"
    )
    favour, against, abstaining, absent = chart.rows
    assert favour.reported_text == "91 reported"
    assert favour.reported_width > abstaining.reported_width > against.reported_width > 0
    assert against.entered_width == pytest.approx(favour.entered_width * 2)
    assert absent.reported_text == "not reported"
    assert absent.reported_width == 0
    assert [group.vote for group in chart.groups] == ["in_favour", "against"]
    assert chart.groups[1].names == ["Russia", "Belarus"]

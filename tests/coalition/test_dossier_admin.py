"""The country dossier in the admin: a page per state with a country picker, every section and
a chart of membership, votes and the children's counts drawn on the server; readers of the
coalition see it, other staff are refused (403). All data is synthetic."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from coalition.charts import VOTE_COLOURS, membership_timeline, vote_tiles
from coalition.models import Vote
from coalition.selectors.dossier import Membership, VoteRow
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case, make_whereabouts, move_case
from tests.factories.coalition_dossier import (
    make_coalition_member,
    make_meeting,
    make_pledge,
    make_state,
    make_vote,
)

pytestmark = pytest.mark.django_db

PICKER = reverse("admin:coalition_dossier_changelist")


def page(code: str) -> str:
    return reverse("admin:coalition_dossier_country", kwargs={"code": code})


@pytest.fixture
def records() -> None:
    canada = make_coalition_member("CA", role="co_chair", joined_on=dt.date(2024, 2, 1))
    make_pledge(canada, amount=Decimal("750.00"), currency="CAD", description="Synthetic grant")
    make_meeting("Synthetic plenary in Ottawa", host=canada.party, participants=[make_state("UA")])
    make_vote(canada.party, Vote.IN_FAVOUR, symbol="A/RES/00/1")
    make_vote(canada.party, Vote.ABSTAINING, symbol="A/RES/00/2")
    for _ in range(3):
        make_whereabouts(make_case(), country="CA")
    move_case(make_case(), "verifying")
    verifying = move_case(make_case(), "verifying")
    make_whereabouts(verifying, country="CA")


@pytest.mark.parametrize("role", ["caseworker", "supervisor", "partner", "coordinator", "auditor"])
def test_readers_see_the_dossier_page(client: Any, records: None, role: str):
    client.force_login(make_member(role, OrganizationFactory.create()))
    response = client.get(page("CA"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Canada" in text
    assert "Канада" in text
    assert "Synthetic grant" in text
    assert "Synthetic plenary in Ottawa" in text
    assert "A/RES/00/2" in text
    assert "<script" not in text.split('id="content-main"')[1]
    # Choices read as their labels, not their stored codes.
    tables = text.split('id="content-main"')[1]
    for label in ("Pledged", "Plenary session", "Abstaining", "In favour"):
        assert f"<td>{label}" in tables, label
    for code in ("<td>pledged", "<td>plenary<", "<td>abstaining<", "<td>in_favour<"):
        assert code not in tables, code


def test_other_staff_are_refused(client: Any, records: None):
    client.force_login(UserFactory.create())  # staff, no role anywhere
    assert client.get(page("CA")).status_code == 403
    assert client.get(PICKER).status_code == 403


def test_anonymous_is_sent_to_the_login(client: Any):
    response = client.get(page("CA"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_chart_shows_the_numbers(client: Any, records: None):
    client.force_login(UserFactory.create(is_superuser=True))
    text = client.get(page("CA")).content.decode()
    # The children's counts, now and ever, each bar with its number.
    assert "4 cases whose child is now in the country" in text
    assert "<title>Reported: 3</title>" in text
    assert "<title>Verifying: 1</title>" in text
    # One tile per vote, in its vote's colour, and the vote totals as bars.
    assert text.count(f'fill="{VOTE_COLOURS[Vote.IN_FAVOUR]}"><title>A/RES/00/1') == 1
    assert f'fill="{VOTE_COLOURS[Vote.ABSTAINING]}"><title>A/RES/00/2' in text
    assert "<title>In favour: 1</title>" in text
    assert "<title>Against: 0</title>" in text
    # The membership span on the time line.
    assert 'class="dossier-member-span"' in text
    assert "/static/coalition/admin/dossier.css" in text


def test_chart_counts_follow_the_readers_scope(client: Any, records: None):
    """A caseworker of another organization counts none of the home organization's cases."""
    client.force_login(make_member("caseworker", OrganizationFactory.create()))
    text = client.get(page("CA")).content.decode()
    assert "0 cases whose child is now in the country" in text
    assert "counts cover the cases you may see." in text


def test_picker_lists_the_states_and_goes_to_the_picked_country(client: Any, records: None):
    client.force_login(make_member("coordinator", OrganizationFactory.create()))
    response = client.get(PICKER)
    assert response.status_code == 200
    text = response.content.decode()
    assert page("CA") in text
    assert page("UA") in text
    picked = client.get(PICKER, {"country": "NZ"})
    assert picked.status_code == 302
    assert picked["Location"] == page("NZ")


def test_a_lower_case_code_goes_to_the_upper_case_page(client: Any):
    client.force_login(make_member("coordinator", OrganizationFactory.create()))
    response = client.get(page("nz"))
    assert response.status_code == 302
    assert response["Location"] == page("NZ")


def test_a_state_no_record_names_shows_empty_sections(client: Any):
    client.force_login(make_member("coordinator", OrganizationFactory.create()))
    text = client.get(page("NZ")).content.decode()
    assert "New Zealand" in text
    assert "No coalition record names this state." in text
    assert "No pledge recorded." in text
    assert "0 recorded UN votes" in text


def test_an_unknown_code_is_refused(client: Any):
    client.force_login(make_member("coordinator", OrganizationFactory.create()))
    response = client.get(page("XX"))
    assert response.status_code == 400
    assert "Unknown country code" in response.content.decode()


# -- the chart's geometry ---------------------------------------------------------------------
def _vote(n: int, vote: str) -> VoteRow:
    return VoteRow(
        resolution_id=n,
        body="general_assembly",
        symbol=f"A/RES/{n}",
        title="Synthetic",
        voted_on=dt.date(2020 + n, 1, 1),
        vote=vote,
    )


def test_vote_tiles_oldest_first_wrapping_onto_rows():
    votes = [_vote(n, Vote.AGAINST if n % 2 else Vote.IN_FAVOUR) for n in range(20, 0, -1)]
    tiles = vote_tiles(votes, labels={"against": "Against", "in_favour": "In favour"})
    assert len(tiles.tiles) == 20
    assert tiles.tiles[0].title.startswith("A/RES/1, 2021-01-01: Against")
    assert tiles.tiles[0].colour == VOTE_COLOURS[Vote.AGAINST]
    rows = {tile.y for tile in tiles.tiles}
    assert len(rows) == 2
    assert tiles.height == 2 * tiles.tile + 4
    assert all(0 <= tile.x <= tiles.width - tiles.tile for tile in tiles.tiles)


def test_membership_timeline_shades_the_membership():
    membership = Membership(
        role="member",
        joined_on=dt.date(2024, 1, 1),
        joined_precision="day",
        left_on=None,
        is_current=True,
        areas=[],
    )
    line = membership_timeline(
        membership, dates=[dt.date(2023, 1, 1)], today=dt.date(2025, 1, 1), title="t"
    )
    assert [tick.label for tick in line.ticks] == ["2023", "2024", "2025"]
    assert line.member_x is not None
    assert line.member_x == pytest.approx(line.ticks[1].at)
    assert line.member_x + line.member_width == pytest.approx(line.line_right)
    nobody = membership_timeline(None, dates=[], today=dt.date(2025, 1, 1), title="t")
    assert nobody.member_x is None

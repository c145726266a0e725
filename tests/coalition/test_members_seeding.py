"""The members part's seeds: loaded through the services, as public reporting gives them, each
with its source; a second load changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from audit.models import AuditEvent
from coalition.models import Commitment, Member, MemberRole, Party, PartyKind, ProjectArea
from coalition.seeding.members import members_load
from coalition.services import members as services
from sources.seeding import reference_sources_load

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded() -> Any:
    reference_sources_load()
    return members_load()


def test_members_load_records_the_reference_data(loaded: Any) -> None:
    assert list(ProjectArea.objects.values_list("position", "code")) == [
        (1, "identifying-whereabouts"),
        (2, "return-mechanisms"),
        (3, "diplomatic-negotiations"),
        (4, "support-rehabilitation"),
        (5, "justice"),
        (6, "information-campaigns"),
    ]
    assert all(area.name_uk for area in ProjectArea.objects.all())
    assert Commitment.objects.count() == 4
    assert Commitment.objects.get(position=1).text.startswith("Exert all possible efforts")
    assert all(c.text_uk for c in Commitment.objects.all())
    # Each with its source: the declaration for the commitments, the plenary for the areas.
    for record in [*ProjectArea.objects.all(), *Commitment.objects.all()]:
        assert record.sources.exists(), record
    assert Commitment.objects.get(position=1).sources.get().title.startswith("Declaration")
    for party in Party.objects.filter(kind="organization"):
        assert party.sources.exists(), party.code


def test_members_load_records_the_named_members_only(loaded: Any) -> None:
    members = {m.party.code: m for m in Member.objects.select_related("party")}
    assert set(members) == {
        "UA",
        "CA",
        "BE",
        "GB",
        "DK",
        "CR",
        "NL",
        "DE",
        "US",
        "council-of-europe",
        "european-union",
    }
    # The 28 at launch is a claimed figure on the launch meeting, not invented rows.
    assert len(members) < 28
    assert {c for c, m in members.items() if m.role == MemberRole.CO_CHAIR} == {"UA", "CA"}
    assert members["UA"].joined_on == dt.date(2023, 12, 8)
    for code in ("BE", "GB", "DK", "CR", "NL", "DE"):
        assert members[code].joined_on == dt.date(2024, 2, 2), code
    for code in ("US", "CA", "council-of-europe", "european-union"):
        assert members[code].joined_on is None, code
    assert members["council-of-europe"].party.kind == PartyKind.ORGANIZATION
    assert Party.objects.get(code="european-union").name == "European Union"
    for member in members.values():
        assert member.sources.exists(), member.party.code
    launch = members["BE"].sources.get()
    assert launch.published_on == dt.date(2024, 2, 2)


def test_members_load_second_run_changes_nothing(loaded: Any) -> None:
    assert loaded.created == 6 + 4 + 2 + 11
    events = AuditEvent.objects.count()
    again = members_load()
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == loaded.created
    assert AuditEvent.objects.count() == events


def test_members_load_restores_a_record_edited_in_the_registry(loaded: Any) -> None:
    member = Member.objects.get(party__code="DE")
    services.member_update(member=member, actor=None, data={"role": "co_chair"})
    again = members_load()
    assert again.updated == 1
    member.refresh_from_db()
    assert member.role == MemberRole.MEMBER

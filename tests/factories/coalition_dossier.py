"""Coalition records for the dossier's tests, made directly through the ORM: the dossier only
reads them, and the services that write them are tested with their own parts. All synthetic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Organization
from coalition.models import (
    ChildList,
    Meeting,
    MeetingKind,
    Member,
    MemberArea,
    Party,
    PartyKind,
    Pledge,
    PledgeKind,
    PledgeStatus,
    ProjectArea,
    Resolution,
    ResolutionVote,
    Statement,
    UnBody,
)
from tests.factories.accounts import OrganizationFactory


def make_state(code: str) -> Party:
    party, _created = Party.objects.get_or_create(
        code=code, defaults={"kind": PartyKind.STATE, "country": code}
    )
    return party


def make_organization_party(code: str, name: str) -> Party:
    party, _created = Party.objects.get_or_create(
        code=code, defaults={"kind": PartyKind.ORGANIZATION, "name": name}
    )
    return party


def make_area(code: str = "synthetic-area", position: int = 99) -> ProjectArea:
    area, _created = ProjectArea.objects.get_or_create(
        code=code, defaults={"position": position, "name": f"Synthetic area {position}"}
    )
    return area


def make_coalition_member(
    code: str,
    *,
    role: str = "member",
    joined_on: dt.date | None = dt.date(2024, 2, 1),
    left_on: dt.date | None = None,
    areas: Sequence[tuple[ProjectArea, bool]] = (),
) -> Member:
    member = Member.objects.create(
        party=make_state(code), role=role, joined_on=joined_on, left_on=left_on
    )
    for area, leads in areas:
        MemberArea.objects.create(member=member, area=area, leads=leads)
    return member


def make_pledge(
    member: Member,
    *,
    status: str = PledgeStatus.PLEDGED,
    amount: Decimal | None = None,
    currency: str = "",
    due_on: dt.date | None = None,
    area: ProjectArea | None = None,
    **fields: Any,
) -> Pledge:
    return Pledge.objects.create(
        member=member,
        area=area or make_area(),
        kind=PledgeKind.MONEY if amount is not None else PledgeKind.EXPERTISE,
        description=fields.pop("description", "Synthetic pledge"),
        amount=amount,
        currency=currency,
        status=status,
        status_changed_at=timezone.now(),
        due_on=due_on,
        **fields,
    )


def make_meeting(
    title: str = "Synthetic meeting",
    *,
    held_on: dt.date = dt.date(2024, 2, 2),
    host: Party | None = None,
    participants: Sequence[Party] = (),
    kind: str = MeetingKind.PLENARY,
) -> Meeting:
    meeting = Meeting.objects.create(kind=kind, title=title, held_on=held_on, host=host)
    meeting.participants.set(participants)
    return meeting


def make_statement(
    title: str = "Synthetic statement",
    *,
    issued_on: dt.date = dt.date(2025, 8, 5),
    signatories: Sequence[Party] = (),
) -> Statement:
    statement = Statement.objects.create(title=title, issued_on=issued_on)
    statement.signatories.set(signatories)
    return statement


def make_child_list(
    title: str = "Synthetic list",
    *,
    meeting: Meeting,
    handed_by: Party | None = None,
    handed_to: Sequence[Party] = (),
    count_claimed: int | None = None,
    organization: Organization | None = None,
) -> ChildList:
    child_list = ChildList.objects.create(
        title=title,
        organization=organization or OrganizationFactory.create(),
        meeting=meeting,
        handed_by=handed_by,
        handed_on=meeting.held_on,
        count_claimed=count_claimed,
        is_synthetic=True,
    )
    child_list.handed_to.set(handed_to)
    return child_list


def make_vote(
    party: Party,
    vote: str,
    *,
    symbol: str = "A/RES/00/1",
    voted_on: dt.date = dt.date(2025, 12, 3),
) -> ResolutionVote:
    resolution, _created = Resolution.objects.get_or_create(
        body=UnBody.GENERAL_ASSEMBLY,
        symbol=symbol,
        defaults={"title": f"Synthetic resolution {symbol}", "voted_on": voted_on},
    )
    return ResolutionVote.objects.create(resolution=resolution, party=party, vote=vote)

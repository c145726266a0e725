"""A small registry for the status reports' tests: cases of two organizations moved through
the workflow, with returns on chosen dates, closings for several reasons, a reopening,
services, follow-ups, whereabouts and published figures. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from accounts.models import Organization
from cases import services
from cases.models import Case, FollowUp, Oblast, Service, StatusChange
from reports.periods import Period
from tests.factories.accounts import OrganizationFactory
from tests.factories.cases import home_organization, make_case, make_whereabouts

TODAY_OFFSET_DAYS = 10


def move(case: Case, *targets: str, returned_on: dt.date | None = None, reason: str = "") -> Case:
    """Walk a case through ``targets`` as the system, with what each guard needs."""
    for target in targets:
        case = services.case_transition(
            case_id=case.pk,
            to=target,
            actor=None,
            reason="synthetic test move",
            returned_on=(returned_on or dt.date(2024, 1, 15)) if target == "returned" else None,
            closure_reason=reason if target == "closed" else "",
        )
    return case


TO_RETURNED = ("verifying", "searching", "located", "return_in_progress", "returned")


def created_on(case: Case, day: dt.date) -> None:
    """Date the case's creation back to ``day`` (local noon)."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    Case.objects.filter(pk=case.pk).update(created_at=moment)


def recent_period(days: int = TODAY_OFFSET_DAYS) -> Period:
    """Chosen dates ending today: every move the tests make falls in it."""
    today = timezone.localdate()
    return Period("custom", today - dt.timedelta(days=days), today)


def push_before(period: Period, change: StatusChange, *, days: int = 5) -> None:
    """Move one status change to before the period (the earliest of its case's changes only,
    so the case's history stays in order)."""
    StatusChange.objects.filter(pk=change.pk).update(
        changed_at=period.starts_at - dt.timedelta(days=days)
    )


@dataclass
class World:
    home: Organization
    other: Organization
    cases: dict[str, Case] = field(default_factory=dict)
    returns: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # (created, returned)


def build_world(oblasts: dict[str, Oblast]) -> World:
    home = home_organization()
    other = OrganizationFactory.create(name="Synthetic other organization")
    world = World(home=home, other=other)
    kyiv, kharkiv = oblasts["UA-32"], oblasts["UA-63"]

    world.cases["reported"] = make_case(oblast=kyiv)
    world.cases["searching"] = move(make_case(oblast=kharkiv), "verifying", "searching")
    world.cases["located"] = move(make_case(oblast=kharkiv), "verifying", "searching", "located")
    world.cases["other"] = make_case(organization=other, oblast=kyiv)
    world.cases["other_verifying"] = move(make_case(organization=other), "verifying")
    make_whereabouts(world.cases["located"], country="RU")
    make_whereabouts(world.cases["searching"], country="BY")
    make_whereabouts(world.cases["other"], country="RU")

    # Returns, each on its own day after the case's (back-dated) creation.
    for index, (created, returned) in enumerate(
        [
            (dt.date(2023, 1, 10), dt.date(2023, 3, 1)),
            (dt.date(2023, 2, 1), dt.date(2023, 9, 15)),
            (dt.date(2023, 5, 20), dt.date(2024, 2, 29)),
            (dt.date(2023, 6, 1), dt.date(2023, 6, 30)),
            (dt.date(2022, 12, 31), dt.date(2024, 6, 1)),
            (dt.date(2023, 8, 8), dt.date(2023, 12, 24)),
        ]
    ):
        case = make_case(oblast=kyiv if index % 2 else None)
        created_on(case, created)
        world.cases[f"returned{index}"] = move(case, *TO_RETURNED, returned_on=returned)
        world.returns.append((created, returned))

    world.cases["closed_dup"] = move(make_case(), "closed", reason="duplicate")
    world.cases["closed_dup2"] = move(make_case(), "verifying", "closed", reason="duplicate")
    deceased = move(make_case(), "closed", reason="deceased")
    world.cases["reopened"] = move(deceased, "verifying")
    world.cases["closed_other"] = move(
        make_case(organization=other), "closed", reason="not_deportation"
    )

    first_returned = world.cases["returned0"]
    Service.objects.create(case=first_returned, kind="medical", status="active")
    Service.objects.create(case=first_returned, kind="medical", status="completed")
    Service.objects.create(case=world.cases["returned1"], kind="legal", status="planned")
    Service.objects.create(case=world.cases["other"], kind="legal", status="planned")
    return world


def follow_ups_due(world: World, period: Period) -> dict[str, Any]:
    """Follow-ups due in and around the period, one of each class, and the expected counts
    (the home organization's and the registry's)."""
    case, other_case = world.cases["returned0"], world.cases["other"]
    start, today = period.start, timezone.localdate()
    rows = [
        # due in the period
        (case, start, start),  # on time
        (case, start + dt.timedelta(days=1), start + dt.timedelta(days=3)),  # late
        (case, start + dt.timedelta(days=2), None),  # missed
        (case, today, None),  # open at as_of (now): due today
        (other_case, start, start),  # on time, the other organization's
        # not in the period
        (case, start - dt.timedelta(days=1), None),
        (case, today + dt.timedelta(days=1), None),
    ]
    for owner, due_on, completed_on in rows:
        FollowUp.objects.create(
            case=owner,
            due_on=due_on,
            completed_on=completed_on,
            outcome="well" if completed_on else "",
        )
    return {
        "home": {"on_time": 1, "late": 1, "missed": 1, "open": 1},
        "registry": {"on_time": 2, "late": 1, "missed": 1, "open": 1},
    }

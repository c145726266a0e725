"""Coalition members, projects and pledges for tests, made through the services (synthetic
records; the areas are the seeded reference data's codes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from coalition.models import Member, Pledge, Project, ProjectArea
from coalition.services import members as services

AREAS = [
    ("identifying-whereabouts", "Identifying children's whereabouts"),
    ("return-mechanisms", "Mechanisms of return"),
    ("diplomatic-negotiations", "Diplomatic negotiations"),
    ("support-rehabilitation", "Support and rehabilitation after return"),
    ("justice", "Bringing perpetrators to justice"),
    ("information-campaigns", "Joint information campaigns"),
]


def make_areas() -> dict[str, ProjectArea]:
    found: dict[str, ProjectArea] = {}
    for position, (code, name) in enumerate(AREAS, start=1):
        area, _outcome = services.project_area_sync(
            actor=None, code=code, position=position, name=name, name_uk=""
        )
        found[code] = area
    return found


def make_coalition_member(party: str = "CA", **data: Any) -> Member:
    return services.member_record(actor=None, data={"party": party, **data})


def make_project(area: str = "return-mechanisms", **data: Any) -> Project:
    data.setdefault("title", "Synthetic project")
    return services.project_record(actor=None, data={"area": area, **data})


def make_pledge(member: str = "CA", **data: Any) -> Pledge:
    data.setdefault("kind", "money")
    data.setdefault("description", "Synthetic pledge")
    if data["kind"] == "money":
        data.setdefault("amount", Decimal("1000.00"))
        data.setdefault("currency", "EUR")
    if "project" not in data:
        data.setdefault("area", "return-mechanisms")
    return services.pledge_record(actor=None, data={"member": member, **data})


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)

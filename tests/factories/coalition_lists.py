"""Factories for the lists of named children: meetings and statements made directly (the
meetings part has its own services), lists and entries through ``coalition.services.lists``.
All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.models import Organization
from coalition.models import ChildList, ChildListEntry, Meeting, MeetingKind, Statement
from coalition.services import lists as services

ROUND_DAY = dt.date(2025, 6, 2)


def make_meeting(**fields: Any) -> Meeting:
    fields.setdefault("kind", MeetingKind.NEGOTIATION)
    fields.setdefault("title", "Synthetic negotiation round")
    fields.setdefault("held_on", ROUND_DAY)
    return Meeting.objects.create(**fields)


def make_statement(**fields: Any) -> Statement:
    fields.setdefault("title", "Synthetic joint statement")
    fields.setdefault("issued_on", dt.date(2025, 8, 5))
    return Statement.objects.create(**fields)


def make_list(organization: Organization, *, actor: Any = None, **data: Any) -> ChildList:
    data.setdefault("title", "Synthetic list of named children")
    data.setdefault("organization", organization.pk)
    if "meeting" not in data and "statement" not in data:
        data["meeting"] = make_meeting().pk
    data.setdefault("handed_on", ROUND_DAY)
    data.setdefault("handed_by", "UA")
    data.setdefault("handed_to", ["RU"])
    return services.child_list_create(actor=actor, data=data, is_synthetic=True)


def make_entry(child_list: ChildList, *, actor: Any = None, **data: Any) -> ChildListEntry:
    data.setdefault("name_as_written", "Синтетична Дитина")
    return services.entry_add(actor=actor, child_list=child_list, data=data)

"""Factories for meetings, joint statements and resolutions, recorded through the services as
the system (``actor=None``). All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from coalition.models import Meeting, Resolution, Statement
from coalition.services import meetings as services


def make_meeting(**data: Any) -> Meeting:
    data.setdefault("kind", "plenary")
    data.setdefault("title", "Synthetic plenary session")
    data.setdefault("held_on", dt.date(2024, 5, 14))
    return services.meeting_record(actor=None, data=data)


def make_statement(**data: Any) -> Statement:
    data.setdefault("title", "Synthetic joint statement")
    data.setdefault("issued_on", dt.date(2024, 6, 1))
    return services.statement_record(actor=None, data=data)


def make_resolution(**data: Any) -> Resolution:
    data.setdefault("body", "general_assembly")
    data.setdefault("title", "Synthetic resolution on the return of children")
    data.setdefault("voted_on", dt.date(2024, 3, 1))
    return services.resolution_record(actor=None, data=data)

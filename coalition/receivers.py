"""What the coalition does when the registry moves: connected in ``CoalitionConfig.ready()``."""

from __future__ import annotations

from typing import Any

from cases.workflow import is_home

from .services.lists import entries_follow_their_case


def case_moved(
    sender: Any,
    *,
    case: Any,
    from_status: str,
    from_closure_reason: str,
    to_status: str,
    **kwargs: Any,
) -> None:
    """An entry of a list shows whether its linked case has its child home: when a move
    changes that, the entry changes (``entries_follow_their_case``); other moves are none of
    the entry's business (and must not show on an entry whose reader cannot see the case)."""
    if is_home(from_status, from_closure_reason) != is_home(to_status, case.closure_reason):
        entries_follow_their_case(case_id=case.pk)

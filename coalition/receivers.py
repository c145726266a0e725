"""What the coalition does when the registry moves: connected in ``CoalitionConfig.ready()``."""

from __future__ import annotations

from typing import Any

from .services.lists import entries_follow_their_case


def case_moved(sender: Any, *, case: Any, **kwargs: Any) -> None:
    """An entry of a list shows its linked case's return: see ``entries_follow_their_case``."""
    entries_follow_their_case(case_id=case.pk)

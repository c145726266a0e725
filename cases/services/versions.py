"""A case's version and ``updated_at`` follow every change to what the case shows.

The case's ETag (``"<id>-<version>"``) and a partner's ``?updated_since=`` sync read these two
columns. A case shows more than its own row: its child (names, aliases, the current
whereabouts), the child's relatives and whereabouts, its support services, follow-ups and shares.
A write to any of those bumps the case in the same transaction, so an incremental sync sees it
and a client's cached copy stops matching. Such writes do not ask for ``If-Match`` on the case:
they change their own record, not the case's fields, and a case edit that raced one is refused
as stale by the version it bumped.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from ..models import Case
from .checks import _lock_child_first

_REASON = "stamps of the case; the change to what it shows is recorded as its own event"


def case_touch(*, case_id: int) -> int:
    """Bump one case's version and ``updated_at``; returns the rows bumped (0 or 1)."""
    return Case.objects.filter(pk=case_id).unaudited_update(
        _REASON, version=F("version") + 1, updated_at=timezone.now()
    )


def child_cases_touch(*, child_id: int) -> int:
    """Bump every case of a child (a child's records show in each of its cases, closed ones
    included, whichever organization owns them), the child locked first
    (``_lock_child_first``)."""
    _lock_child_first(child_id)
    return Case.objects.filter(child_id=child_id).unaudited_update(
        _REASON, version=F("version") + 1, updated_at=timezone.now()
    )

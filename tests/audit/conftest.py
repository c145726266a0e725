"""The events a test wrote. The trail cannot be emptied (that is the point of it), and the
session's setup already wrote some (loading the reference data), so tests look only at events
written after they started."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import Max, QuerySet

from audit.models import AuditEvent


@pytest.fixture
def trail(db: None) -> Callable[[], QuerySet[AuditEvent]]:
    """``trail()``: the events written since the test started (a fresh queryset each call)."""
    baseline = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    return lambda: AuditEvent.objects.filter(pk__gt=baseline)

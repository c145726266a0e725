"""The history of a case: the audit events of the case, its child and the records that belong to
them (aliases, relatives, whereabouts, services, follow-ups, and for its own organization its
shares and closure requests), newest first.

A constant number of queries whatever the case holds: one for the ids of each kind of record,
one for the records deleted since (their deletion events, found by the child they belonged to
through a partial index on deletion events: migration ``0017``), then the events themselves.
Each reads the index of the records it names, never the trail at large.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import QuerySet

from audit import selectors as audit_selectors
from audit.models import AuditEvent
from audit.snapshots import object_type_of
from core.errors import PermissionDenied

from .models import (
    Case,
    CaseShare,
    Child,
    ChildAlias,
    ClosureRequest,
    FollowUp,
    Relative,
    Service,
    Whereabouts,
)
from .selectors import Viewer, case_can_see_internals

# The child's own records, and the case's.
CHILD_RECORDS: tuple[type[models.Model], ...] = (ChildAlias, Relative, Whereabouts)
CASE_RECORDS: tuple[type[models.Model], ...] = (Service, FollowUp)
# The owning organization's own business: never shown to one the case is shared with.
INTERNAL_RECORDS: tuple[type[models.Model], ...] = (CaseShare, ClosureRequest)


def case_history_records(
    *, case: Case, internals: bool, extra: Mapping[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """``{object_type: [ids]}`` of every record whose events make the case's history, those
    deleted since included; ``extra`` adds records other apps link to the case."""
    records: dict[str, list[str]] = {
        object_type_of(Case): [str(case.pk)],
        object_type_of(Child): [str(case.child_id)],
    }

    def add(object_type: str, ids: Any) -> None:
        records.setdefault(object_type, []).extend(str(i) for i in ids)

    for model in CHILD_RECORDS:
        add(
            object_type_of(model),
            model._default_manager.filter(child_id=case.child_id).values_list("pk", flat=True),
        )
    by_case = CASE_RECORDS + (INTERNAL_RECORDS if internals else ())
    for model in by_case:
        add(
            object_type_of(model),
            model._default_manager.filter(case_id=case.pk).values_list("pk", flat=True),
        )
    deleted = audit_selectors.deleted_record_ids(
        [object_type_of(m) for m in CHILD_RECORDS], field="child_id", value=case.child_id
    )
    for object_type, ids in deleted.items():
        add(object_type, ids)
    for object_type, ids in (extra or {}).items():
        add(object_type, ids)
    return records


def case_history(
    *, actor: Viewer, case: Case, extra: Mapping[str, list[str]] | None = None
) -> QuerySet[AuditEvent]:
    """The changes to the case and its records, newest first (reads and refusals left out),
    for ``actor``: its owning organization (and whoever reads every case) only, since the
    record of changes holds what a share withholds (``PermissionDenied`` for anyone else)."""
    if not case_can_see_internals(actor, case):
        raise PermissionDenied()
    records = case_history_records(case=case, internals=True, extra=extra)
    return audit_selectors.records_history(records)

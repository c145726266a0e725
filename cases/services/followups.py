"""Follow-ups: the dated checks after a child's return, scheduled and completed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import Capability
from audit import services as audit
from core.checks import raise_field_errors
from core.db import take_stored
from core.errors import Conflict, NotFound

from .. import workflow
from ..models import Case, FollowUp
from .checks import Actor, _full_clean, _lock_case, _not_in_future, _require
from .versions import case_touch

# The task that schedules a returned case's follow-ups, by the name ``cases.tasks`` registers
# it under: the workflow enqueues it by name, since the task module calls these services.
FOLLOW_UPS_TASK = "cases.case_follow_ups_schedule"


@transaction.atomic
def case_follow_ups_schedule(*, case_id: int) -> list[FollowUp]:
    """Create (or re-date) the 30/90/180-day follow-ups of a returned case. Idempotent."""
    case = _lock_case(case_id)
    if case.returned_on is None:
        return []
    written = []
    changed = False
    for days in workflow.FOLLOW_UP_DAYS:
        due_on = case.returned_on + dt.timedelta(days=days)
        follow_up, created = FollowUp.objects.get_or_create(
            case=case, days_after_return=days, defaults={"due_on": due_on}
        )
        if created:
            audit.record_create(follow_up, actor=None)
            changed = True
        elif follow_up.completed_on is None and follow_up.due_on != due_on:
            before = audit.snapshot(follow_up)
            follow_up.due_on = due_on
            follow_up.save(update_fields=["due_on"])
            audit.record_update(follow_up, before, actor=None)
            changed = True
        written.append(follow_up)
    if changed:
        case_touch(case_id=case.pk)
    return written


@transaction.atomic
def follow_up_complete(
    *, follow_up: FollowUp, actor: Actor, outcome: str, completed_on: dt.date, notes: str = ""
) -> FollowUp:
    _require(actor, Capability.CASE_WRITE, follow_up.case)
    errors: dict[str, list[str]] = {}
    if completed_on is None:
        errors["completed_on"] = [_("The date of the check is required.")]
    _not_in_future(errors, "completed_on", completed_on)
    if not outcome:
        errors["outcome"] = [_("Record the outcome of the check.")]
    raise_field_errors(errors)
    # The case (its child first) before its follow-up, as scheduling them takes them.
    _lock_case(follow_up.case_id)
    locked = FollowUp.objects.select_for_update().filter(pk=follow_up.pk).first()
    if locked is None:
        raise NotFound(_("No such follow-up."))
    if locked.completed_on is not None:
        # A check happened once; its record is evidence and is not rewritten.
        raise Conflict(
            _("This follow-up was already completed."),
            fields={"completed_on": [_("Already completed.")]},
        )
    before = audit.snapshot(locked)
    locked.outcome = outcome
    locked.completed_on = completed_on
    locked.notes = notes or locked.notes
    locked.completed_by = actor
    _full_clean(locked, exclude=["case", "completed_by"])
    locked.save()
    audit.record_update(locked, before, actor=actor)
    case_touch(case_id=locked.case_id)
    take_stored(follow_up, locked)
    return follow_up


@transaction.atomic
def follow_up_create(*, case: Case, actor: Actor, due_on: dt.date, notes: str = "") -> FollowUp:
    _require(actor, Capability.CASE_WRITE, case)
    follow_up = FollowUp(case=case, due_on=due_on, notes=notes)
    _full_clean(follow_up, exclude=["case"])
    follow_up.save()
    audit.record_create(follow_up, actor=actor)
    case_touch(case_id=case.pk)
    return follow_up

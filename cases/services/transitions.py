"""The one service that moves a case through the workflow (``cases.workflow``)."""

from __future__ import annotations

import datetime as dt
from functools import partial

from celery import current_app
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action as AuditAction
from core.checks import raise_field_errors
from core.errors import PermissionDenied, ValidationFailed

from .. import selectors, workflow
from ..exceptions import ClosureNeedsApproval, OpenCaseExists, StaleVersion, TransitionNotAllowed
from ..models import Case, ClosureRequest, ClosureRequestStatus
from ..signals import case_moved
from ..workflow import Status
from .cases import _status_change_write
from .checks import Actor, _lock_case, _not_in_future, _require
from .followups import FOLLOW_UPS_TASK


@transaction.atomic
def case_transition(
    *,
    case_id: int,
    to: str,
    actor: Actor,
    reason: str = "",
    returned_on: dt.date | None = None,
    closure_reason: str = "",
    expected_version: int | None = None,
    closure_request: ClosureRequest | None = None,
) -> Case:
    """Move a case through the workflow: lock, re-check against the table, write, record.

    Each move takes the capability the table names: closing and reopening a role that closes
    (a supervisor's); a caseworker requests the closure instead (``closure_request_create``),
    and its approval closes the case through here with ``closure_request``. On entering
    ``returned`` the 30/90/180-day follow-ups are scheduled once the move commits.
    """
    case = _lock_case(case_id)
    _require(actor, workflow.MOVE_CAPABILITIES, case)
    if expected_version is not None and case.version != expected_version:
        raise StaleVersion()
    if to not in Status.values:
        raise ValidationFailed.on("to", _("Not a status of the workflow."))
    transition = workflow.find_transition(case.status, to)
    if transition is None:
        allowed = ", ".join(t.target for t in workflow.transitions_from(case.status))
        raise TransitionNotAllowed(
            _("Cannot move a case from %(source)s to %(target)s; allowed: %(allowed)s.")
            % {"source": case.status, "target": to, "allowed": allowed},
            fields={"to": [_("Not allowed from the case's current status.")]},
        )
    if actor is not None and not selectors.case_can(actor, transition.capability, case):
        if transition.capability == Capability.CASE_CLOSE:
            raise ClosureNeedsApproval()
        raise PermissionDenied()

    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if workflow.REASON in transition.requires and not reason:
        errors[workflow.REASON] = [_("Say why the case moves back.")]
    if workflow.RETURNED_ON in transition.requires:
        if returned_on is None:
            errors[workflow.RETURNED_ON] = [_("The date the child returned is required.")]
        else:
            _not_in_future(errors, workflow.RETURNED_ON, returned_on)
            if case.deported_on and returned_on < case.deported_on:
                errors.setdefault(workflow.RETURNED_ON, []).append(
                    _("Cannot be before the date the child was taken.")
                )
    if workflow.CLOSURE_REASON in transition.requires:
        if not closure_reason:
            errors[workflow.CLOSURE_REASON] = [_("A closure reason is required to close a case.")]
        elif closure_reason not in workflow.ClosureReason.values:
            errors[workflow.CLOSURE_REASON] = [_("Not a known closure reason.")]
    raise_field_errors(errors)

    now = timezone.now()
    before = audit.snapshot(case)
    previous_closure_reason = case.closure_reason
    if to == Status.CLOSED:
        case.closure_reason = closure_reason
        case.closed_at = now
    elif case.status == Status.CLOSED:
        # Reopening: the child may have a newer open case; one open case per child.
        if Case.objects.filter(child_id=case.child_id).open().exclude(pk=case.pk).exists():
            raise OpenCaseExists(_("The child has another open case; reopen is refused."))
        case.closure_reason = ""
        case.closed_at = None
    if to == Status.RETURNED:
        case.returned_on = returned_on

    previous = case.status
    case.status = to
    case.status_changed_at = now
    case.version += 1
    case.save()
    audit.record_update(
        case,
        before,
        actor=actor,
        action=AuditAction.TRANSITION,
        metadata={"from_status": previous, "to_status": to, "reason": reason},
    )
    _status_change_write(
        case=case,
        from_status=previous,
        to_status=to,
        changed_at=now,
        actor=actor,
        reason=reason,
        closure_reason=case.closure_reason,
    )
    if to == Status.CLOSED:
        # A closure decided otherwise leaves no request waiting on a closed case.
        pending = ClosureRequest.objects.select_for_update().filter(
            case=case, status=ClosureRequestStatus.PENDING
        )
        if closure_request is not None:
            pending = pending.exclude(pk=closure_request.pk)
        for waiting in pending:
            waiting_before = audit.snapshot(waiting)
            waiting.status = ClosureRequestStatus.SUPERSEDED
            waiting.decided_by = actor
            waiting.decided_at = now
            waiting.save(update_fields=["status", "decided_by", "decided_at"])
            audit.record_update(waiting, waiting_before, actor=actor)
    case_moved.send(
        Case,
        case=case,
        from_status=previous,
        from_closure_reason=previous_closure_reason,
        to_status=to,
        actor=actor,
    )
    if to == Status.RETURNED:
        schedule = current_app.tasks[FOLLOW_UPS_TASK]
        transaction.on_commit(partial(schedule.delay, case.pk))
    return case

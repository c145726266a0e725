"""Closure requests: a caseworker asks, a supervisor decides."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action as AuditAction
from core.checks import raise_field_errors
from core.errors import Conflict, NotFound, ValidationFailed

from .. import workflow
from ..exceptions import TransitionNotAllowed
from ..models import ClosureRequest, ClosureRequestStatus
from ..workflow import Status
from .checks import Actor, _lock_case, _require
from .transitions import case_transition


def _closure_fields(errors: dict[str, list[str]], closure_reason: str, reason: str) -> None:
    if not closure_reason:
        errors["closure_reason"] = [_("A closure reason is required to close a case.")]
    elif closure_reason not in workflow.ClosureReason.values:
        errors["closure_reason"] = [_("Not a known closure reason.")]
    if not reason:
        errors["reason"] = [_("Explain why the case should close.")]


@transaction.atomic
def closure_request_create(
    *, case_id: int, actor: Actor, closure_reason: str, reason: str
) -> ClosureRequest:
    """Ask a supervisor of the owning organization to close an open case."""
    case = _lock_case(case_id)
    _require(actor, Capability.CASE_REQUEST_CLOSURE, case)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    _closure_fields(errors, closure_reason, reason)
    raise_field_errors(errors)
    if case.status == Status.CLOSED:
        raise TransitionNotAllowed(
            _("The case is already closed."), fields={"case": [_("Already closed.")]}
        )
    if ClosureRequest.objects.filter(case=case, status=ClosureRequestStatus.PENDING).exists():
        raise Conflict(
            _("A closure request for this case is already waiting for a decision."),
            code="closure_request_pending",
        )
    closure = ClosureRequest.objects.create(
        case=case, closure_reason=closure_reason, reason=reason, requested_by=actor
    )
    audit.record(
        AuditAction.REQUEST,
        actor=actor,
        instance=closure,
        changes=audit.creation_changes(closure),
    )
    return closure


@transaction.atomic
def closure_request_decide(
    *, request_id: int, actor: Actor, approve: bool, note: str = ""
) -> ClosureRequest:
    """Approve (the case closes, with the request's reason) or reject a closure request."""
    missing = NotFound(_("No such closure request."), code="closure_request_not_found")
    case_id = ClosureRequest.objects.filter(pk=request_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise missing
    # The case (its child first) before the request, the order the transition takes them in.
    _lock_case(case_id)
    request = (
        ClosureRequest.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise missing
    _require(actor, Capability.CASE_CLOSE, request.case)
    if request.status != ClosureRequestStatus.PENDING:
        raise Conflict(
            _("The closure request was already decided."), code="closure_request_decided"
        )
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationFailed.on("note", _("Say why the closure is rejected."))
    before = audit.snapshot(request)
    if approve:
        case_transition(
            case_id=request.case_id,
            to=Status.CLOSED,
            actor=actor,
            reason=request.reason,
            closure_reason=request.closure_reason,
            closure_request=request,
        )
    request.status = ClosureRequestStatus.APPROVED if approve else ClosureRequestStatus.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record_update(
        request,
        before,
        actor=actor,
        action=AuditAction.APPROVE if approve else AuditAction.REJECT,
    )
    return request

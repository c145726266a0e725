"""Errors of the case registry, all ``DomainError`` subclasses mapped by ``core.errors``."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotFound, PermissionDenied, PreconditionFailed


class CaseNotFound(NotFound):
    code = "case_not_found"
    default_detail = _("No such case.")


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    default_detail = _("The workflow does not allow this move from the case's status.")


class OpenCaseExists(Conflict):
    code = "open_case_exists"
    default_detail = _("The child already has an open case.")


class StaleVersion(PreconditionFailed):
    code = "stale_version"
    default_detail = _("The case was changed by someone else since you opened it.")


class ClosureNeedsApproval(PermissionDenied):
    code = "closure_needs_approval"
    default_detail = _(
        "Closing or reopening a case takes a supervisor: request the closure "
        "(POST /cases/{id}/closure-requests/) for a supervisor to approve."
    )

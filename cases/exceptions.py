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


class DuplicatePairNotFound(NotFound):
    code = "duplicate_pair_not_found"
    default_detail = _("No such possible duplicate, or not one you may decide.")


class DuplicatePairDecided(Conflict):
    code = "duplicate_pair_decided"
    default_detail = _("This possible duplicate was already decided.")


class BothCasesOpen(Conflict):
    code = "both_cases_open"
    default_detail = _(
        "Both children have an open case: close one as a duplicate first (closure reason "
        "'duplicate'), then merge."
    )


class ChildAlreadyMerged(Conflict):
    code = "child_already_merged"
    default_detail = _("One of the two records was already merged into another.")


class MergeDatesConflict(Conflict):
    code = "merge_dates_conflict"
    default_detail = _(
        "A case of the record to merge says the child was taken before the kept record's date "
        "of birth: correct the date of birth or the date taken first."
    )

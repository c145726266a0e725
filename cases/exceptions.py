"""Errors of the case registry, all ``DomainError`` subclasses mapped by ``core.errors``."""

from collections.abc import Sequence
from typing import Any

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


class LikelyCandidatesFound(Conflict):
    """Opening a case for a new child who may already be in the registry: the likely
    candidates must be looked at first, and the opening retried saying so.

    ``candidates`` are the candidates as the actor may see them
    (``cases.selectors_matching.SeenCandidate``, likely and possible); the layer that answers
    renders them (the API puts them in the body, the admin lists them above the form).
    """

    code = "likely_candidates"
    default_detail = _(
        "The registry may already hold this child: a likely candidate was found. Check the "
        "candidates, then open the case again confirming that you checked them."
    )

    def __init__(self, *, candidates: Sequence[Any], field: str = "candidates_checked") -> None:
        self.candidates = tuple(candidates)
        detail = str(self.default_detail)
        super().__init__(detail, fields={field: [detail]})


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

"""The case workflow as data: one table of allowed moves, their guards, and the capability
each move takes.

The service (``cases.services.case_transition``), the admin (which buttons to show) and the API
(which transitions to offer, and the 409 for the rest) all read this table; nothing else decides
what move is allowed, or who may make it (``cases.selectors.case_allowed_moves``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    VERIFYING = "verifying", _("Verifying")
    SEARCHING = "searching", _("Searching")
    LOCATED = "located", _("Located")
    RETURN_IN_PROGRESS = "return_in_progress", _("Return in progress")
    RETURNED = "returned", _("Returned")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    INTEGRATION = "integration", _("Integration")
    CLOSED = "closed", _("Closed")


class Phase(models.TextChoices):
    REPATRIATION = "repatriation", _("Repatriation")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    INTEGRATION = "integration", _("Integration")
    CLOSED = "closed", _("Closed")


class ClosureReason(models.TextChoices):
    INTEGRATED = "integrated", _("Integrated at home")
    ADULTHOOD_ABROAD = "adulthood_abroad", _("Reached adulthood abroad and chose to stay")
    DECEASED = "deceased", _("Deceased")
    DUPLICATE = "duplicate", _("Duplicate of another case")
    NOT_DEPORTATION = "not_deportation", _("Found not to be a deportation")
    TRANSFERRED = "transferred", _("Transferred to another organization")


PHASE_OF_STATUS: dict[str, str] = {
    Status.REPORTED: Phase.REPATRIATION,
    Status.VERIFYING: Phase.REPATRIATION,
    Status.SEARCHING: Phase.REPATRIATION,
    Status.LOCATED: Phase.REPATRIATION,
    Status.RETURN_IN_PROGRESS: Phase.REPATRIATION,
    Status.RETURNED: Phase.REHABILITATION,
    Status.REHABILITATION: Phase.REHABILITATION,
    Status.INTEGRATION: Phase.INTEGRATION,
    Status.CLOSED: Phase.CLOSED,
}


def phase_of(status: str) -> str:
    return PHASE_OF_STATUS[status]


def statuses_in_phase(phase: str) -> list[str]:
    return [status for status, p in PHASE_OF_STATUS.items() if p == phase]


# A child is home while its case is returned, in rehabilitation or in integration, or closed as
# integrated. A case reopened after a return (back to verifying) keeps its ``returned_on`` as
# history, but the child no longer counts as home.
HOME_STATUSES: tuple[str, ...] = (Status.RETURNED, Status.REHABILITATION, Status.INTEGRATION)
HOME_CLOSURE_REASONS: tuple[str, ...] = (ClosureReason.INTEGRATED,)


def is_home(status: str, closure_reason: str = "") -> bool:
    """Whether a case in ``status`` (closed for ``closure_reason``) has its child home."""
    return status in HOME_STATUSES or (
        status == Status.CLOSED and closure_reason in HOME_CLOSURE_REASONS
    )


# Guard field names a transition may require besides the target itself.
RETURNED_ON = "returned_on"
CLOSURE_REASON = "closure_reason"
REASON = "reason"

# Days after the return date at which follow-up checks are scheduled on entering ``returned``.
FOLLOW_UP_DAYS: tuple[int, ...] = (30, 90, 180)


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str | Promise
    requires: tuple[str, ...] = ()
    # What the actor must hold in the case's organization to make the move.
    capability: Capability = Capability.CASE_TRANSITION

    @property
    def is_backward(self) -> bool:
        return self.target != Status.CLOSED and _ORDER.index(self.target) < _ORDER.index(
            self.source
        )


_ORDER: list[str] = [s.value for s in Status]
_FORWARD: list[tuple[str, str, str | Promise, tuple[str, ...]]] = [
    (Status.REPORTED, Status.VERIFYING, _("Start verification"), ()),
    (Status.VERIFYING, Status.SEARCHING, _("Identity verified: start the search"), ()),
    (Status.SEARCHING, Status.LOCATED, _("Child located"), ()),
    (Status.LOCATED, Status.RETURN_IN_PROGRESS, _("Start the return"), ()),
    (Status.RETURN_IN_PROGRESS, Status.RETURNED, _("Child returned"), (RETURNED_ON,)),
    (Status.RETURNED, Status.REHABILITATION, _("Start rehabilitation"), ()),
    (Status.REHABILITATION, Status.INTEGRATION, _("Start integration"), ()),
    (Status.INTEGRATION, Status.CLOSED, _("Close: integrated"), (CLOSURE_REASON,)),
]
_BACKWARD: list[tuple[str, str, str | Promise, tuple[str, ...]]] = [
    (Status.LOCATED, Status.SEARCHING, _("Trail went cold: back to searching"), (REASON,)),
    (Status.RETURN_IN_PROGRESS, Status.LOCATED, _("Return stalled: back to located"), (REASON,)),
    (Status.CLOSED, Status.VERIFYING, _("Reopen"), (REASON,)),
]


def _capability(source: str, target: str) -> Capability:
    # Closing and reopening take a role that closes (a supervisor's); a caseworker asks for a
    # closure instead (``closure_request_create``), and its approval closes the case.
    if Status.CLOSED in (source, target):
        return Capability.CASE_CLOSE
    return Capability.CASE_TRANSITION


TRANSITIONS: tuple[Transition, ...] = (
    *(Transition(s, t, label, req, _capability(s, t)) for s, t, label, req in _FORWARD),
    *(Transition(s, t, label, req, _capability(s, t)) for s, t, label, req in _BACKWARD),
    # Close from any other open state, always with a closure reason.
    *(
        Transition(s, Status.CLOSED, _("Close"), (CLOSURE_REASON,), Capability.CASE_CLOSE)
        for s in _ORDER
        if s not in (Status.CLOSED, Status.INTEGRATION)
    ),
)

# Every capability some move takes: an actor holding none of them may make no move at all.
MOVE_CAPABILITIES: frozenset[Capability] = frozenset(t.capability for t in TRANSITIONS)

# The way forward, first report to integration: the order demo and synthetic data walk cases.
FORWARD_PATH: tuple[str, ...] = tuple(s for s in _ORDER if s != Status.CLOSED)

_BY_PAIR: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TRANSITIONS}


def find_transition(source: str, target: str) -> Transition | None:
    return _BY_PAIR.get((source, target))


def transitions_from(source: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == source]


def moves_allowed(source: str, *, capabilities: Collection[Capability]) -> list[Transition]:
    """The moves from ``source`` whose capability is among ``capabilities``."""
    return [t for t in transitions_from(source) if t.capability in capabilities]


def is_open(status: str) -> bool:
    return status != Status.CLOSED

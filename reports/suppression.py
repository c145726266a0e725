"""Small-cell suppression: counts across organizations below ``REPORTS_SMALL_CELL`` (5) are
shown as "<5" to readers outside the organization, so that a small cell cannot identify a child.

What is stored is exact (``StatusReport.figures``); what a reader is shown goes through
``figures_as_seen``. Members of a report's own organization see its exact figures; everyone
else (a registry report is across organizations for every reader) sees them suppressed.

Primary suppression hides every count from 1 to N-1 (a zero identifies no one). Secondary
suppression: in a group whose cells add up to a total the reader sees (cases by status, by
phase...), a single hidden cell could be found again by subtraction, so the next smallest
shown cell of the group is hidden too. A phase's count is the sum of its statuses' counts:
it is hidden whenever one of them is, or it would give that one back.
"""

from __future__ import annotations

import copy
from collections.abc import MutableMapping
from typing import Any

from django.conf import settings

from accounts.roles import Capability, capabilities_of
from accounts.selectors import actor_roles
from cases.workflow import PHASE_OF_STATUS

from .models import ReportScope, StatusReport

# Groups of counts that add up to a figure shown beside them: a lone hidden cell in one of
# them would be found again by subtraction.
PARTITIONS: tuple[tuple[str, ...], ...] = (
    ("by_status",),
    ("by_phase",),
    ("by_origin_oblast",),
    ("by_country",),
    ("flows", "closed"),
    ("follow_ups",),
)
# Single counts and groups that add up to nothing shown.
SINGLE_COUNTS: tuple[tuple[str, ...], ...] = (
    ("total",),
    ("flows", "new"),
    ("flows", "located"),
    ("flows", "returned"),
    ("flows", "reopened"),
)
# Groups of groups: each inner group is a partition (services: by kind, then by status).
NESTED_PARTITIONS: tuple[tuple[str, ...], ...] = (("services",),)
# Counts of children on the coalition's lists, by outcome.
COALITION_PARTITIONS: tuple[tuple[str, ...], ...] = (("coalition", "list_entries"),)


def hidden_label() -> str:
    return f"<{settings.REPORTS_SMALL_CELL}"


def reads_exact(actor: Any, report: StatusReport) -> bool:
    """Whether ``actor`` sees the report's exact figures: a member of the report's own
    organization with a role that reads counts. ``None`` (the system writing a file for an
    administrator) reads exact figures too."""
    if actor is None:
        return True
    if report.scope != ReportScope.ORGANIZATION or report.organization_id is None:
        return False
    # A membership, not ``can()``: a superuser may do everything, yet reads another
    # organization's report as an outsider does.
    role = actor_roles(actor).roles.get(report.organization_id)
    return role is not None and Capability.READ_AGGREGATES in capabilities_of(role)


def _is_small(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < _threshold()


def _threshold() -> int:
    return int(settings.REPORTS_SMALL_CELL)


def _at(figures: MutableMapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = figures
    for key in path:
        if not isinstance(node, MutableMapping) or key not in node:
            return None
        node = node[key]
    return node


def suppress_partition(cells: MutableMapping[str, Any]) -> None:
    """Hide the small cells of one group in place, and one more if only one was hidden."""
    label = hidden_label()
    small = [key for key, value in cells.items() if _is_small(value)]
    for key in small:
        cells[key] = label
    if len(small) == 1:
        shown = sorted(
            (value, key)
            for key, value in cells.items()
            if isinstance(value, int) and not isinstance(value, bool) and value > 0
        )
        if shown:
            cells[shown[0][1]] = label


def _hide_phases_of_hidden_statuses(seen: dict[str, Any]) -> None:
    """Hide each phase one of whose statuses is hidden: shown, a phase's count less its shown
    statuses' counts is the hidden one (and a one-status phase is that status's count)."""
    by_status, by_phase = seen.get("by_status"), seen.get("by_phase")
    if not isinstance(by_status, MutableMapping) or not isinstance(by_phase, MutableMapping):
        return
    label = hidden_label()
    for status, value in by_status.items():
        phase = PHASE_OF_STATUS.get(status)
        if value == label and phase in by_phase:
            by_phase[phase] = label


def suppress(figures: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``figures`` with its small cells hidden."""
    seen = copy.deepcopy(figures)
    label = hidden_label()
    for path in SINGLE_COUNTS:
        *parents, last = path
        parent = _at(seen, tuple(parents)) if parents else seen
        if isinstance(parent, MutableMapping) and _is_small(parent.get(last)):
            parent[last] = label
    for path in PARTITIONS + COALITION_PARTITIONS:
        cells = _at(seen, path)
        if isinstance(cells, MutableMapping):
            suppress_partition(cells)
    for path in NESTED_PARTITIONS:
        groups = _at(seen, path)
        if isinstance(groups, MutableMapping):
            for cells in groups.values():
                if isinstance(cells, MutableMapping):
                    suppress_partition(cells)
    _hide_phases_of_hidden_statuses(seen)
    returns = _at(seen, ("time_to_return_days",))
    if isinstance(returns, MutableMapping) and _is_small(returns.get("returns")):
        # A median of fewer than five returns says too much about each of them.
        returns.update({"returns": label, "median": None, "p90": None})
    seen["suppressed"] = True
    return seen


def figures_as_seen(report: StatusReport, actor: Any) -> dict[str, Any]:
    """The report's figures as ``actor`` may see them: exact for its own organization's
    members, small cells hidden for everyone else. Adds ``"suppressed": true|false``."""
    if reads_exact(actor, report):
        return {**report.figures, "suppressed": False}
    return suppress(report.figures)

"""Who reads which status report: the one visibility rule the API, the exports and the admin
all read through.

- An organization's report: the members of that organization whose role reads counts (they
  see it exact), and coordinators, auditors and superusers (who see it suppressed unless they
  are members too).
- The registry's report: every role that reads counts (caseworkers, supervisors,
  coordinators, auditors) and superusers, always suppressed.
- Partners read none. A report out of reach is "not found", as if it did not exist.

What each reader is shown of the figures is ``reports.suppression.figures_as_seen``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Role
from accounts.roles import Capability
from accounts.selectors import actor_roles
from core.errors import NotFound

from ..models import ReportScope, StatusReport


def report_visible_to(*, actor: Any) -> QuerySet[StatusReport]:
    """The reports ``actor`` may read, with what a list renders (organization, issuer)."""
    reports = StatusReport.objects.select_related("organization", "issued_by")
    roles = actor_roles(actor)
    if roles.is_superuser or roles.has_role(Role.COORDINATOR, Role.AUDITOR):
        return reports.all()
    own = roles.organizations(Capability.READ_AGGREGATES)
    if not own:
        return reports.none()
    return reports.filter(
        Q(scope=ReportScope.REGISTRY) | Q(scope=ReportScope.ORGANIZATION, organization_id__in=own)
    )


def report_get(*, actor: Any, report_id: Any) -> StatusReport:
    """One report ``actor`` may read; any other (or none) is ``NotFound``."""
    try:
        return report_visible_to(actor=actor).get(pk=int(report_id))
    except (StatusReport.DoesNotExist, TypeError, ValueError, OverflowError) as exc:
        raise NotFound() from exc

"""Errors of the audit trail: both mean a piece of code tried to write around it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.append_only import AppendOnlyViolation
from core.errors import Conflict


class AuditTrailImmutable(AppendOnlyViolation):
    """An audit event was to be changed or deleted. Events are written once and kept."""

    code = "audit_trail_immutable"
    default_detail = _("Audit events are never changed or deleted.")


class UnauditedWrite(Conflict):
    """A bulk write would change audited rows without recording who changed what."""

    code = "unaudited_write"
    default_detail = _("This write would bypass the audit trail.")

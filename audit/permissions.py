"""Who may call the audit API: auditors and superusers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .selectors import can_read_audit


class CanReadAudit(BasePermission):
    message = _("Only auditors read the audit trail.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return can_read_audit(request.user)

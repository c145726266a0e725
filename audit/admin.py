"""The audit trail in the admin: read only for everyone, superusers included, and a history
table other apps' admin pages embed (``render_object_history``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from .admin_reads import AuditedReadsAdmin
from .models import AuditEvent
from .selectors import can_read_audit, history_for, history_rows
from .services import record_denied

HISTORY_LIMIT = 200
FIELDS = (
    "at",
    "actor",
    "actor_label",
    "api_key_prefix",
    "organization",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "channel",
    "request_id",
    "client_address",
    "metadata",
)


def render_object_history(instance: models.Model, *, limit: int = HISTORY_LIMIT) -> str:
    """The field-by-field history of ``instance`` as an HTML table (who, when, through which
    door, which field, before → after), newest first, for a read-only field of a change page::

        @admin.display(description=_("History"))
        def history(self, obj):
            return render_object_history(obj)

    It shows the values the trail holds (personal data included): show it only to those who
    may read the record's history.
    """
    events = list(history_for(instance)[:limit]) if instance.pk is not None else []
    # A template's output is already marked safe (its values escaped): the admin shows it as is.
    return render_to_string(
        "audit/object_history.html",
        {"rows": history_rows(events), "truncated": len(events) >= limit, "limit": limit},
    )


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    list_display = [
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "channel",
        "client_address",
        "request_id",
    ]
    list_filter = ["action", "channel", "object_type"]
    search_fields = ["=object_id", "=request_id", "actor__username", "actor_label"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    show_full_result_count = False  # counting the whole trail on every page costs a scan
    fields = FIELDS
    readonly_fields = FIELDS

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        self._refuse_unless_auditor(request)
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        self._refuse_unless_auditor(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def _refuse_unless_auditor(self, request: HttpRequest) -> None:
        """Refuse (and record the refusal) before Django's own permission check would."""
        if not can_read_audit(request.user):
            record_denied(request, "read_audit")
            raise PermissionDenied

    # Django's permissions are not consulted: the trail is read by auditors and superusers,
    # and written by no one through the admin.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_read_audit(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_read_audit(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

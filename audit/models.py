"""The audit trail: one append-only table of events, who did what to which record, when and
through which door.

Events are written only by ``audit.services``. Nothing changes or deletes them: the model and its
queryset refuse in Python (``core.append_only``), and on PostgreSQL a trigger refuses ``UPDATE``,
``DELETE`` and ``TRUNCATE`` of the table (migration ``0002``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.append_only import AppendOnlyManager, AppendOnlyModel

from .exceptions import AuditTrailImmutable


class Action(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    TRANSITION = "transition", _("Moved in the workflow")
    VIEW = "view", _("Viewed the full record")
    LIST = "list", _("Listed records")
    SEARCH = "search", _("Searched")
    EXPORT = "export", _("Exported")
    DOWNLOAD = "download", _("Downloaded")
    SHARE = "share", _("Shared")
    REVOKE = "revoke", _("Revoked")
    ASSIGN = "assign", _("Assigned")
    REQUEST = "request", _("Requested")
    APPROVE = "approve", _("Approved")
    REJECT = "reject", _("Rejected")
    LOGIN = "login", _("Signed in")
    LOGOUT = "logout", _("Signed out")
    LOGIN_FAILED = "login_failed", _("Failed to sign in")
    DENIED = "denied", _("Refused: not allowed")


# Actions that change a record; the field-by-field history of a record is made of these.
CHANGE_ACTIONS: frozenset[str] = frozenset(
    {
        Action.CREATE,
        Action.UPDATE,
        Action.DELETE,
        Action.TRANSITION,
        Action.SHARE,
        Action.REVOKE,
        Action.ASSIGN,
        Action.REQUEST,
        Action.APPROVE,
        Action.REJECT,
    }
)


# Actions that record a read of personal data: one event per request (``record_read``).
READ_ACTIONS: frozenset[str] = frozenset({Action.VIEW, Action.LIST, Action.SEARCH})


class Channel(models.TextChoices):
    ADMIN = "admin", _("Admin")
    API = "api", _("API")
    TASK = "task", _("Background task")
    COMMAND = "command", _("Management command")
    SYSTEM = "system", _("System")


class AuditEvent(AppendOnlyModel):
    """Something an actor did: a write, a read of a full record, a download, a sign-in, a
    refusal. Kept for good, never changed."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        # Covered by the (actor, at) index: a second index on the column only slowed writes.
        db_index=False,
        editable=False,
    )
    # The actor's username when the event was written: the trail still reads after a rename.
    actor_label = models.CharField(_("actor's username"), max_length=150, blank=True)
    api_key_prefix = models.CharField(
        _("API key prefix"),
        max_length=16,
        blank=True,
        help_text=_("The prefix of the API key a partner system acted with (never the key)."),
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("acting for organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(
        _("object type"), max_length=100, blank=True, help_text=_("app_label.model")
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # A case number or "relative #12": never a child's name.
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(
        _("changes"),
        default=dict,
        blank=True,
        help_text=_("{field: [before, after]}; null before on create, null after on delete."),
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.SYSTEM
    )
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    client_address = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    metadata = models.JSONField(_("details"), default=dict, blank=True)

    append_only_error = AuditTrailImmutable
    objects = AppendOnlyManager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object_at_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=Action.values), name="audit_action_known"
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="audit_channel_known"
            ),
        ]

    def __str__(self) -> str:
        what = self.object_repr or self.object_type or "-"
        action = self.get_action_display()
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {action} {what}"

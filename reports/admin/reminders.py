""" "My work": each user's own reminders in the admin.

The list shows the requesting user's reminders only (a superuser sees their own too, and may
choose to see everyone's); nothing is added, edited or deleted here: a reminder is acknowledged
or snoozed through the list's actions, which call ``reports.services.reminders``, and the
refresh does the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import request_actor
from core.errors import DomainError

from ..models import Reminder
from ..selectors.reminders import reminder_admin_url, reminder_text, reminders_for
from ..services import reminders as services

SNOOZE_DAYS = 7


def _signed_in(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active)


class WhoseFilter(admin.SimpleListFilter):
    """Mine (the default) or, for a superuser, everyone's."""

    title = _("whose")
    parameter_name = "whose"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        if not request.user.is_superuser:
            return []
        return [("all", _("Everyone's"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "all" and request.user.is_superuser:
            return queryset
        return queryset.filter(user_id=request.user.pk)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["reminder", "due_on", "state", "rule", "about"]
    list_filter = [WhoseFilter, "state", "rule"]
    list_select_related = ["user"]
    ordering = ["due_on", "id"]
    actions = ["acknowledge", "snooze"]
    readonly_fields = (
        "reminder",
        "about",
        "user",
        "rule",
        "item_key",
        "due_on",
        "state",
        "snoozed_until",
        "acknowledged_at",
        "resolved_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reminder]:
        reminders = super().get_queryset(request)
        if request.user.is_superuser:
            return reminders  # narrowed to their own by ``WhoseFilter`` unless asked
        # The same reminders the API shows (``reminders_for``): one's own, none of an
        # organization one has left.
        return reminders.filter(
            pk__in=reminders_for(actor=request_actor(request), states=None).values("pk")
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _signed_in(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _signed_in(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("reminder"))
    def reminder(self, reminder: Reminder) -> str:
        return reminder_text(reminder)

    @admin.display(description=_("about"))
    def about(self, reminder: Reminder) -> str:
        url = reminder_admin_url(reminder)
        if url is None:
            return "-"
        label = (reminder.details or {}).get("case_number") or gettext("Open")
        return format_html('<a href="{}">{}</a>', url, label)

    def _act(self, request: HttpRequest, queryset: QuerySet[Reminder], act: Any) -> int:
        actor = request_actor(request)
        done = 0
        # Each reminder through the service: only its own user may act on it (a superuser
        # looking at everyone's is refused on others' reminders, as the API refuses them).
        for reminder in queryset:
            try:
                act(actor=actor, reminder_id=reminder.pk)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"#{reminder.pk}: {exc.detail}", messages.ERROR)
        return done

    @admin.action(description=_("Acknowledge"), permissions=["view"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        done = self._act(request, queryset, services.reminder_acknowledge)
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)s reminder acknowledged.", "%(count)s reminders acknowledged.", done
                )
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Snooze for 7 days"), permissions=["view"])
    def snooze(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        until = timezone.localdate() + dt.timedelta(days=SNOOZE_DAYS)

        def snooze_one(*, actor: Any, reminder_id: int) -> Reminder:
            return services.reminder_snooze(actor=actor, reminder_id=reminder_id, until=until)

        done = self._act(request, queryset, snooze_one)
        if done:
            self.message_user(
                request,
                ngettext("%(count)s reminder snoozed.", "%(count)s reminders snoozed.", done)
                % {"count": done},
                messages.SUCCESS,
            )

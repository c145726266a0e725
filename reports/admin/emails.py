"""E-mail subscriptions and the outbox in the admin.

Subscriptions: every signed-in user manages their own (superusers see everyone's); saves go
through ``reports.services.subscriptions``. The outbox: administrators (superusers) see what
was sent to whom and when, never the body (it is not stored), and may put failed e-mails back
in the queue.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import request_actor
from accounts.models import Organization
from core.admin import ServiceBackedAdmin
from core.errors import DomainError
from core.forms import ServiceBackedModelForm

from ..models import OutboundEmail, Subscription
from ..services import outbox as outbox_services
from ..services import subscriptions as services


def _active(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_authenticated)


def _administers(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


# ---------------------------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------------------------
class SubscriptionForm(ServiceBackedModelForm):
    class Meta:
        model = Subscription
        fields = ["topic", "frequency", "organization", "language"]


@admin.register(Subscription)
class SubscriptionAdmin(ServiceBackedAdmin):
    form = SubscriptionForm
    list_display = ["topic", "frequency", "organization", "language", "is_active", "updated_at"]
    list_filter = ["topic", "frequency"]
    list_select_related = ["organization", "user"]
    actions = ["unsubscribe"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _active(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _active(request) and (
            obj is None or _administers(request) or obj.user_id == request.user.pk
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _active(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _active(request) and (obj is None or obj.user_id == request.user.pk)

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = list(super().get_list_display(request))
        return ["user_name", *shown] if _administers(request) else shown

    @admin.display(description=_("user"), ordering="user__username")
    def user_name(self, obj: Subscription) -> str:
        return obj.user.username

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, obj: Subscription) -> bool:
        return obj.is_active

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        rows = super().get_queryset(request)
        return rows if _administers(request) else rows.filter(user_id=request.user.pk)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A subscription is its topic and frequency: another one is a new subscription.
        if obj is not None:
            return ["topic", "frequency", "organization", "unsubscribed_at"]
        return []

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "organization":
            kwargs["queryset"] = Organization.objects.filter(is_active=True).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_through_services(
        self, request: HttpRequest, obj: Subscription, form: Any, change: bool
    ) -> Subscription:
        actor = request_actor(request)
        if change:
            return services.subscription_language_set(
                actor=actor, subscription_id=obj.pk, language=form.cleaned_data["language"]
            )
        data = form.cleaned_data
        subscription, _created = services.subscription_set(
            actor=actor,
            topic=data["topic"],
            frequency=data["frequency"],
            language=data["language"],
            organization=data.get("organization"),
        )
        return subscription

    @admin.action(description=_("Unsubscribe from the selected e-mails"))
    def unsubscribe(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        actor = request_actor(request)
        stopped = 0
        for subscription in queryset:
            try:
                services.subscription_cancel(actor=actor, subscription_id=subscription.pk)
                stopped += 1
            except DomainError as exc:
                self.message_user(request, f"#{subscription.pk}: {exc.detail}", messages.ERROR)
        if stopped:
            self.message_user(
                request,
                ngettext("%(count)s e-mail stopped.", "%(count)s e-mails stopped.", stopped)
                % {"count": stopped},
                messages.SUCCESS,
            )


# ---------------------------------------------------------------------------------------------
# The outbox
# ---------------------------------------------------------------------------------------------
@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """What was sent to whom and when, for administrators; read only. The body is not stored,
    the recipient is shown by username (not by address)."""

    list_display = [
        "recipient",
        "topic",
        "period",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "topic"]
    list_select_related = ["user"]
    search_fields = ["user__username", "period"]
    fields = (
        "recipient",
        "topic",
        "period",
        "language",
        "report",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "message_id",
    )
    readonly_fields = fields
    actions = ["retry"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _administers(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _administers(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return _administers(request)

    @admin.display(description=_("recipient"), ordering="user__username")
    def recipient(self, obj: OutboundEmail) -> str:
        return obj.user.username

    @admin.action(description=_("Send the selected failed e-mails again"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        count = outbox_services.outbox_retry(
            actor=request_actor(request), ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            gettext("%(count)s e-mail(s) queued again.") % {"count": count},
            messages.SUCCESS,
        )

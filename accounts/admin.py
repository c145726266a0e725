"""The administrators' pages for actors: organizations, their members, users and API keys.

Every write about organizations, memberships and keys goes through ``accounts.services``, the
functions the management commands use too. The forms ask the services' validators first, so a
refusal shows on its field (``accounts.forms``). Should a service still refuse when saving (a
concurrent change got there first), the page's transaction is rolled back as a whole, inlines
included, and the page opens again with the reason in a message.

A key's secret is shown once, on the page that answers the form that made it: it is never
stored, not even for the next request in a message cookie or the session.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import APIKey

from core.admin import ServiceBackedAdmin, ServiceBackedInline

from . import selectors, services
from .authentication import request_actor as _actor
from .forms import APIKeyAddForm, APIKeyChangeForm, MembershipForm, OrganizationAdminForm
from .models import Membership, Organization, OrganizationAPIKey, User
from .roles import Capability
from .selectors import actor_roles

# Where ``save_model`` leaves a new key's secret for ``response_add`` (same request only).
_SECRET_ATTR = "_accounts_api_key_secret"  # noqa: S105 - an attribute name


def _administers(request: HttpRequest) -> bool:
    """Accounts, organizations, roles and API keys are the system administrators' (superusers')
    to manage: whoever may grant a membership may grant any role, so no one else does, whatever
    Django model permissions they were given."""
    user = request.user
    return bool(user.is_active and user.is_superuser)


def _reads_accounts(request: HttpRequest) -> bool:
    """Administrators, and auditors, who read who held which role when."""
    return _administers(request) or actor_roles(request.user).can(Capability.READ_AUDIT)


class AdministeredOnly:
    """Permissions of the accounts admin pages and inlines: administrators manage, auditors
    read, everyone else is kept out (Django's model permissions are not consulted)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reads_accounts(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads_accounts(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _administers(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _administers(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _administers(request)


class AccountsAdmin(AdministeredOnly, ServiceBackedAdmin):
    """An accounts page: administrators manage, auditors read, saves go through services."""


# ---------------------------------------------------------------------------------------------
# Memberships, on their own and as rows of an organization's or a user's page
# ---------------------------------------------------------------------------------------------
def _membership_save(
    form: ModelForm, *, shown: Membership, pk: int | None, actor: User
) -> Membership:
    """Make the stored membership match what the page says, through the services. ``shown`` is
    the membership the form was built on: the user or organization a page fixes is taken from
    it."""
    data = form.cleaned_data
    role = data["role"]
    is_active = data.get("is_active", True)
    current = Membership.objects.filter(pk=pk).first() if pk is not None else None
    if current is None or current.role != role or (is_active and not current.is_active):
        current = services.membership_set(
            user=data.get("user") or shown.user,
            organization=data.get("organization") or shown.organization,
            role=role,
            actor=actor,
        )
    if not is_active and current.is_active:
        current = services.membership_end(membership=current, actor=actor)
    return current


class MembershipInline(AdministeredOnly, ServiceBackedInline, admin.TabularInline):
    """Memberships as rows of an organization's or a user's page, saved through the services
    (the page's admin gives the actor as the inline's context)."""

    model = Membership
    form = MembershipForm
    extra = 0
    can_delete = False  # a membership is ended, not deleted
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        # Each row's form reads its user (a service account's row is fixed) and organization.
        return super().get_queryset(request).select_related("user", "organization")

    def create(self, form: Any, ctx: User) -> Membership:
        return _membership_save(form, shown=form.instance, pk=None, actor=ctx)

    def update(self, instance: Membership, form: Any, ctx: User) -> Membership:
        return _membership_save(form, shown=form.instance, pk=instance.pk, actor=ctx)


class OrganizationMembershipInline(MembershipInline):
    fields = ("user", "role", "is_active", "created_at", "updated_at")
    verbose_name_plural = _("members")


class UserMembershipInline(MembershipInline):
    fields = ("organization", "role", "is_active", "created_at", "updated_at")

    def _editable(self, obj: Any) -> bool:
        return not (isinstance(obj, User) and obj.is_service_account)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)


@admin.register(Membership)
class MembershipAdmin(AccountsAdmin):
    form = MembershipForm
    list_display = ("user", "organization", "role", "is_active", "created_at", "updated_at")
    list_filter = ("role", "is_active", "organization")
    list_select_related = ("user", "organization")
    search_fields = (
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        "organization__name",
        "organization__short_name",
    )
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return selectors.membership_list()

    def has_change_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        # A service account's membership follows its API key.
        if obj is not None and obj.user.is_service_account:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return False

    def save_through_services(
        self, request: HttpRequest, obj: Membership, form: ModelForm, change: bool
    ) -> Membership:
        return _membership_save(form, shown=obj, pk=obj.pk, actor=_actor(request))


# ---------------------------------------------------------------------------------------------
# Organizations
# ---------------------------------------------------------------------------------------------
class OrganizationAPIKeyInline(AdministeredOnly, admin.TabularInline):
    """An organization's keys at a glance; keys are made and revoked on their own pages."""

    model = OrganizationAPIKey
    fields = ("name", "prefix", "role", "created", "expiry_date", "last_used_at", "revoked")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = _("API keys")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(AccountsAdmin):
    form = OrganizationAdminForm
    list_display = (
        "name",
        "short_name",
        "kind",
        "country",
        "is_active",
        "member_count",
        "created_at",
    )
    list_filter = ("kind", "is_active", "country")
    search_fields = ("name", "short_name")
    readonly_fields = ("created_at", "updated_at")
    fields = ("name", "short_name", "kind", "country", "is_active", "created_at", "updated_at")
    inlines = (OrganizationMembershipInline, OrganizationAPIKeyInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return selectors.organization_list().annotate(
            active_members=Count(
                "memberships",
                filter=Q(memberships__is_active=True, memberships__user__is_active=True),
            )
        )

    @admin.display(description=_("active members"), ordering="active_members")
    def member_count(self, obj: Any) -> int:
        return int(getattr(obj, "active_members", 0))

    def has_delete_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return False  # deactivate it instead: cases and history refer to it

    def save_through_services(
        self, request: HttpRequest, obj: Organization, form: ModelForm, change: bool
    ) -> Organization:
        data = {
            name: form.cleaned_data[name]
            for name in ("name", "short_name", "kind", "country", "is_active")
        }
        actor = _actor(request)
        if change:
            return services.organization_update(organization=obj, actor=actor, **data)
        return services.organization_create(actor=actor, **data)

    def inline_save_context(self, request: HttpRequest, saved: Organization) -> User:
        return _actor(request)


# ---------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------
@admin.register(User)
class RegistryUserAdmin(AccountsAdmin, UserAdmin):
    """Django's user admin, with memberships. A service account is looked at, never edited:
    it cannot be given a password, staff status or roles here (its API key decides)."""

    inlines = (UserMembershipInline,)
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_service_account",
        "is_active",
    )
    list_filter = ("is_service_account", "is_staff", "is_superuser", "is_active", "groups")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return super().get_fieldsets(request, obj)
        if obj.is_service_account:
            return (
                (None, {"fields": ("username", "api_key_link")}),
                (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
                (_("Permissions"), {"fields": ("is_active", "is_service_account")}),
                (_("Important dates"), {"fields": ("last_login", "date_joined")}),
            )
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = tuple(options.get("fields", ()))
            if "is_superuser" in fields:
                fields = (*fields, "is_service_account")
            fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), "is_service_account", "api_key_link")

    @admin.display(description=_("API key"))
    def api_key_link(self, obj: User) -> str:
        api_key = OrganizationAPIKey.objects.filter(service_account=obj).first()
        return str(api_key) if api_key is not None else "-"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Read-only for service accounts; this also closes the password page to them.
        if isinstance(obj, User) and obj.is_service_account:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if isinstance(obj, User) and obj.is_service_account:
            return False  # revoke the key instead
        return super().has_delete_permission(request, obj)

    def save_through_services(
        self, request: HttpRequest, obj: User, form: ModelForm, change: bool
    ) -> User:
        # A person's name, e-mail, password and flags are Django's own user fields, saved by
        # Django's user pages (and audited by the user model's manager).
        UserAdmin.save_model(self, request, obj, form, change)
        return obj

    def inline_save_context(self, request: HttpRequest, saved: User) -> User:
        return _actor(request)


# ---------------------------------------------------------------------------------------------
# API keys
# ---------------------------------------------------------------------------------------------
# The library's own key model authenticates nothing here; its page would only mislead.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(OrganizationAPIKey)
class OrganizationAPIKeyAdmin(AccountsAdmin):
    list_display = (
        "name",
        "prefix",
        "organization",
        "role",
        "created",
        "expiry_date",
        "last_used_at",
        "revoked",
    )
    list_filter = ("revoked", "role", "organization", "created")
    list_select_related = ("organization",)
    search_fields = ("name", "prefix", "organization__name", "organization__short_name")
    actions = ("revoke_selected",)
    add_fieldsets = ((None, {"fields": ("organization", "name", "role", "expiry_date")}),)
    change_fieldsets = (
        (None, {"fields": ("name", "expiry_date")}),
        (
            _("The key"),
            {"fields": ("prefix", "organization", "role", "service_account", "last_used_at")},
        ),
        (
            _("History"),
            {"fields": ("created", "created_by", "revoked", "revoked_at", "revoked_by")},
        ),
    )
    fixed_after_creation = (
        "prefix",
        "organization",
        "role",
        "service_account",
        "last_used_at",
        "created",
        "created_by",
        "revoked",
        "revoked_at",
        "revoked_by",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrganizationAPIKey]:
        return selectors.api_key_list()

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.fixed_after_creation

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = APIKeyAddForm if obj is None else APIKeyChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(
        self, request: HttpRequest, obj: OrganizationAPIKey | None = None
    ) -> bool:
        if obj is not None and obj.revoked:
            return False  # a revoked key is a record now
        return super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: OrganizationAPIKey | None = None
    ) -> bool:
        return False  # revoke instead: the key's history must stay

    def save_through_services(
        self, request: HttpRequest, obj: OrganizationAPIKey, form: ModelForm, change: bool
    ) -> OrganizationAPIKey:
        data = form.cleaned_data
        if change:
            return services.api_key_update(
                api_key=obj,
                name=data["name"],
                expires_at=data["expiry_date"],
                actor=_actor(request),
            )
        saved, secret = services.api_key_create(
            organization=data["organization"],
            name=data["name"],
            role=data["role"],
            expires_at=data["expiry_date"],
            created_by=_actor(request),
        )
        setattr(request, _SECRET_ATTR, secret)
        return saved

    def response_add(
        self, request: HttpRequest, obj: OrganizationAPIKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        """Show the secret on this very response rather than after a redirect, so it is never
        kept anywhere for the next request."""
        secret = getattr(request, _SECRET_ATTR, None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        delattr(request, _SECRET_ATTR)
        self.message_user(
            request,
            gettext(
                "The API key “%(name)s” was created. Its key is %(secret)s. Give it to the "
                "partner system now and store it somewhere safe: it cannot be shown again."
            )
            % {"name": obj.name, "secret": secret},
            messages.SUCCESS,
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("API key created"),
            "api_key": obj,
        }
        return TemplateResponse(request, "admin/accounts/organizationapikey/created.html", context)

    @admin.action(description=_("Revoke selected keys"), permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[OrganizationAPIKey]) -> None:
        actor = _actor(request)
        revoked = 0
        for api_key in queryset.filter(revoked=False):
            services.api_key_revoke(api_key=api_key, actor=actor)
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )

"""Who an actor is and what role it holds where: users, organizations, memberships, API keys.

``accounts`` knows nothing of cases: the case registry asks it for an actor's memberships and
decides visibility itself (``cases.selectors``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from audit.querysets import AuditedManager


class User(AbstractUser):
    """A person who signs in, or the service account an API key acts as.

    Its own model from the start so organizations and roles could be added without swapping
    ``AUTH_USER_MODEL``. What a user may do comes from their memberships, not from Django's
    groups and permissions (superusers, the system's administrators, excepted).
    """

    is_service_account = models.BooleanField(
        _("service account"),
        default=False,
        help_text=_("Acts for an API key of a partner system; cannot sign in with a password."),
    )
    # A display preference, changed by its owner from the admin header (``user_language_set``).
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the interface; empty: the language the browser asks for."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class OrganizationKind(models.TextChoices):
    UKRAINIAN_AUTHORITY = "ukrainian_authority", _("Ukrainian authority")
    NGO = "ngo", _("Non-governmental organization")
    INTERNATIONAL_ORGANIZATION = "international_organization", _("International organization")
    PARTNER_STATE_AGENCY = "partner_state_agency", _("Partner state agency")


class Organization(models.Model):
    """An authority, NGO, international organization or partner state's agency. Cases belong
    to one; others see a case only through a share."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code.")
    )
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive organization's members and API keys see and do nothing."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()  # bulk updates and deletes leave audit events

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.short_name or self.name


class Role(models.TextChoices):
    """What a member may do in and for their organization (``accounts.roles`` spells it out)."""

    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    COORDINATOR = "coordinator", _("Coalition coordinator")
    PARTNER = "partner", _("Partner")
    AUDITOR = "auditor", _("Auditor")


class Membership(models.Model):
    """A user's role in an organization. A user may belong to several organizations, with one
    role in each."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()  # bulk updates and deletes leave audit events

    class Meta:
        ordering = ["organization__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_one_role_per_organization"
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class OrganizationAPIKey(AbstractAPIKey):
    """A partner system's key. Only its prefix and a hash are stored; the key itself is shown
    once, when it is made. It acts as its own service account, which holds the key's role in
    the organization, so every rule that applies to people applies to systems too."""

    # The library's own fields, declared again only for labels in the registry's languages.
    id = models.CharField(_("id"), max_length=150, unique=True, primary_key=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    hashed_key = models.CharField(_("hashed key"), max_length=150, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    name = models.CharField(
        _("name"),
        max_length=50,
        blank=False,
        default=None,
        help_text=_("A free-form name for the key; need not be unique; 50 characters at most."),
    )
    revoked = models.BooleanField(
        _("revoked"),
        blank=True,
        default=False,
        help_text=_("A revoked key is refused from then on; revoking cannot be undone."),
    )
    expiry_date = models.DateTimeField(
        _("expires"),
        blank=True,
        null=True,
        help_text=_("After this time the key is refused."),
    )

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="api_keys",
        verbose_name=_("organization"),
    )
    service_account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_key",
        verbose_name=_("service account"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.PARTNER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")  # type: ignore[assignment]
        verbose_name_plural = _("API keys")  # type: ignore[assignment]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="api_key_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return (
            not self.revoked
            and (self.expiry_date is None or self.expiry_date > timezone.now())
            and self.organization.is_active
        )

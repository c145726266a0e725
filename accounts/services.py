"""Every write about actors: organizations, memberships, API keys.

Each write validates first and raises ``ValidationFailed`` naming the field at fault, so the
admin, the management commands and any future API show the same message on the same field, and
records its audit event in the same transaction. ``actor`` is who acts (``None``: the request's
user from the audit context, or the system for a management command).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django_countries import countries

from audit import services as audit
from audit.models import Action as AuditAction
from core.errors import Conflict, PermissionDenied, ValidationFailed

from .models import Membership, Organization, OrganizationAPIKey, OrganizationKind, Role, User
from .roles import Capability
from .selectors import actor_roles, actor_roles_forget, api_key_by_prefix_for_authentication

# A key's last use is written at most this often: one write per request would turn every read
# into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

# What ``KeyGenerator`` makes: an 8-character prefix and a 32-character secret, both drawn from
# letters and digits. Anything else is refused before the database is asked (an overlong or
# odd string never reaches a query or the hasher).
_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}")

# Hashed when no key has the given prefix, so an unknown prefix costs about what a wrong
# secret does and response times do not tell which prefixes exist.
_DECOY_HASH = OrganizationAPIKey.objects.key_generator.hash("decoy0000." + "0" * 32)


@dataclass(frozen=True)
class ActingRefusals:
    """What ``acting_organization`` says when it refuses, in the words of what is being done."""

    no_role: str | Promise  # the actor's roles act for no organization
    several: str | Promise  # the actor acts for several and named none
    not_here: str | Promise  # the actor may not act for the organization named
    # The system and superusers must name the organization; ``None``: they may act for none.
    unnamed: str | Promise | None = None


def acting_organization(
    *,
    actor: Any,
    organization: Organization | None,
    capabilities: Collection[Capability],
    refusals: ActingRefusals,
) -> Organization | None:
    """The organization ``actor`` acts for: ``organization`` when given and the actor holds one
    of ``capabilities`` there, else the actor's only organization where they hold one. The
    system (``None``) and superusers act for the organization they name (or, unless
    ``refusals.unnamed`` says otherwise, for none). An inactive organization is refused."""
    roles = actor_roles(actor)
    if actor is None or roles.is_superuser:
        if organization is None and refusals.unnamed is not None:
            raise ValidationFailed.on("organization", str(refusals.unnamed))
        if organization is not None and not organization.is_active:
            raise ValidationFailed.on("organization", _("The organization is inactive."))
        return organization
    allowed = sorted({org for c in capabilities for org in roles.organizations(c)})
    if organization is None:
        if not allowed:
            raise PermissionDenied(str(refusals.no_role))
        if len(allowed) > 1:
            raise ValidationFailed.on("organization", str(refusals.several))
        return Organization.objects.get(pk=allowed[0])
    if organization.pk not in allowed:
        raise PermissionDenied(str(refusals.not_here))
    # Roles count in active organizations only: one named among them is active.
    return organization


# ---------------------------------------------------------------------------------------------
# Organizations
# ---------------------------------------------------------------------------------------------
def _field_max_length(model: type[Any], name: str) -> int:
    max_length: int = model._meta.get_field(name).max_length
    return max_length


def organization_validate(
    *,
    name: str,
    kind: str,
    short_name: str = "",
    country: str = "",
    organization: Organization | None = None,
) -> dict[str, str]:
    """Check an organization's fields (for ``organization``, when it is being changed) and
    return them cleaned: trimmed, the country code in capitals. Raises ``ValidationFailed`` on
    the first field at fault. The admin's forms call it too, to show errors where they belong."""
    name = name.strip()
    short_name = short_name.strip()
    country = country.strip().upper()
    if not name:
        raise ValidationFailed.on("name", _("This field is required."))
    if len(name) > _field_max_length(Organization, "name"):
        raise ValidationFailed.on(
            "name",
            _("At most %(n)d characters.") % {"n": _field_max_length(Organization, "name")},
        )
    # Unique regardless of case: "Foundation X" and "foundation x" are one organization.
    same_name = Organization.objects.filter(name__iexact=name)
    if organization is not None:
        same_name = same_name.exclude(pk=organization.pk)
    if same_name.exists():
        raise ValidationFailed.on("name", _("An organization with this name already exists."))
    if len(short_name) > _field_max_length(Organization, "short_name"):
        raise ValidationFailed.on(
            "short_name",
            _("At most %(n)d characters.") % {"n": _field_max_length(Organization, "short_name")},
        )
    if kind not in OrganizationKind.values:
        raise ValidationFailed.on(
            "kind", _("Not a kind of organization: %(kind)s.") % {"kind": kind}
        )
    if country and country not in countries:
        raise ValidationFailed.on(
            "country", _("Not an ISO 3166-1 alpha-2 country code: %(code)s.") % {"code": country}
        )
    return {"name": name, "short_name": short_name, "kind": kind, "country": country}


def _organization_save(organization: Organization, **save_kwargs: Any) -> Organization:
    try:
        with transaction.atomic():
            organization.save(**save_kwargs)
    except IntegrityError as exc:
        # A concurrent write took the name between our check and the insert.
        raise ValidationFailed.on(
            "name", _("An organization with this name already exists.")
        ) from exc
    return organization


@transaction.atomic
def organization_create(
    *,
    name: str,
    kind: str,
    short_name: str = "",
    country: str = "",
    is_active: bool = True,
    actor: User | None = None,
) -> Organization:
    """Register an organization."""
    cleaned = organization_validate(name=name, kind=kind, short_name=short_name, country=country)
    organization = _organization_save(Organization(**cleaned, is_active=is_active))
    audit.record_create(organization, actor=actor, organization=organization)
    return organization


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    name: str | None = None,
    kind: str | None = None,
    short_name: str | None = None,
    country: str | None = None,
    is_active: bool | None = None,
    actor: User | None = None,
) -> Organization:
    """Change an organization; arguments left ``None`` stay as they are. Deactivating it
    takes every role away from its members and stops its API keys at once."""
    current = Organization.objects.select_for_update().get(pk=organization.pk)
    before = audit.snapshot(current)
    cleaned = organization_validate(
        name=current.name if name is None else name,
        kind=current.kind if kind is None else kind,
        short_name=current.short_name if short_name is None else short_name,
        country=current.country if country is None else country,
        organization=current,
    )
    for field, value in cleaned.items():
        setattr(current, field, value)
    if is_active is not None:
        current.is_active = is_active
    _organization_save(current)
    audit.record_update(current, before, actor=actor, organization=current)
    return current


# ---------------------------------------------------------------------------------------------
# Memberships
# ---------------------------------------------------------------------------------------------
def membership_validate(*, user: User, role: str) -> None:
    """Check a membership before it is written (the admin's forms call it too)."""
    if role not in Role.values:
        raise ValidationFailed.on("role", _("Not a role: %(role)s.") % {"role": role})
    if user.is_service_account:
        raise ValidationFailed.on(
            "user", _("A service account holds the role of its API key; change the key.")
        )


@transaction.atomic
def membership_set(
    *, user: User, organization: Organization, role: str, actor: User | None = None
) -> Membership:
    """Give ``user`` the role ``role`` in ``organization`` (one role per organization),
    reactivating an ended membership."""
    membership_validate(user=user, role=role)
    membership = (
        Membership.objects.select_for_update().filter(user=user, organization=organization).first()
    )
    if membership is None:
        membership = Membership.objects.create(user=user, organization=organization, role=role)
        audit.record_create(membership, actor=actor, organization=organization)
    else:
        before = audit.snapshot(membership)
        membership.role, membership.is_active = role, True
        membership.save(update_fields=["role", "is_active", "updated_at"])
        audit.record_update(membership, before, actor=actor, organization=organization)
    actor_roles_forget(user)
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, actor: User | None = None) -> Membership:
    """End a membership (it is kept, inactive, as a record that it existed)."""
    if membership.user.is_service_account:
        raise ValidationFailed.on(
            "user", _("A service account holds the role of its API key; revoke the key.")
        )
    before = audit.snapshot(membership)
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    audit.record_update(membership, before, actor=actor, organization=membership.organization_id)
    actor_roles_forget(membership.user)
    return membership


# ---------------------------------------------------------------------------------------------
# API keys
# ---------------------------------------------------------------------------------------------
def api_key_validate(
    *, name: str, expires_at: dt.datetime | None, api_key: OrganizationAPIKey | None = None
) -> str:
    """Check a key's name and expiry (for ``api_key``, when it is being changed); returns the
    name trimmed. The admin's forms call it too."""
    name = name.strip()
    if not name:
        raise ValidationFailed.on("name", _("This field is required."))
    max_length = _field_max_length(OrganizationAPIKey, "name")
    if len(name) > max_length:
        raise ValidationFailed.on("name", _("At most %(n)d characters.") % {"n": max_length})
    if expires_at is not None and timezone.is_naive(expires_at):
        raise ValidationFailed.on("expiry_date", _("Give a time zone."))
    unchanged = api_key is not None and expires_at == api_key.expiry_date
    if expires_at is not None and not unchanged and expires_at <= timezone.now():
        raise ValidationFailed.on("expiry_date", _("Must be in the future."))
    return name


@transaction.atomic
def api_key_create(
    *,
    organization: Organization,
    name: str,
    role: str = Role.PARTNER,
    expires_at: dt.datetime | None = None,
    created_by: User | None = None,
) -> tuple[OrganizationAPIKey, str]:
    """Make a key for a partner system. Returns the key and its secret, which is shown once
    and never stored (only its hash is).

    The key acts as a service account of its own, made here, holding ``role`` in
    ``organization``: the account has no password, is no staff, and is disabled with the key."""
    name = api_key_validate(name=name, expires_at=expires_at)
    if role not in Role.values:
        raise ValidationFailed.on("role", _("Not a role: %(role)s.") % {"role": role})
    if not organization.is_active:
        raise ValidationFailed.on("organization", _("The organization is inactive."))
    api_key = OrganizationAPIKey(
        name=name,
        organization=organization,
        role=role,
        expiry_date=expires_at,
        created_by=created_by,
    )
    secret = OrganizationAPIKey.objects.assign_key(api_key)
    # Named after the prefix, so the account says which key it is wherever it appears.
    account = User(
        username=f"api-key-{api_key.prefix}",
        is_service_account=True,
        is_staff=False,
        is_superuser=False,
        first_name=name,
    )
    account.set_unusable_password()
    account.save()
    api_key.service_account = account
    api_key.save()
    membership = Membership.objects.create(user=account, organization=organization, role=role)
    for made in (account, api_key, membership):
        audit.record_create(made, actor=created_by, organization=organization)
    return api_key, secret


@transaction.atomic
def api_key_update(
    *,
    api_key: OrganizationAPIKey,
    name: str,
    expires_at: dt.datetime | None,
    actor: User | None = None,
) -> OrganizationAPIKey:
    """Rename a key or change its expiry (nothing else about a key changes once it is made;
    a revoked key does not change at all)."""
    current = OrganizationAPIKey.objects.select_for_update().get(pk=api_key.pk)
    if current.revoked:
        raise Conflict(_("The API key is revoked and cannot be changed."))
    before = audit.snapshot(current)
    current.name = api_key_validate(name=name, expires_at=expires_at, api_key=current)
    current.expiry_date = expires_at
    current.save(update_fields=["name", "expiry_date"])
    audit.record_update(current, before, actor=actor, organization=current.organization_id)
    return current


@transaction.atomic
def api_key_revoke(*, api_key: OrganizationAPIKey, actor: User | None) -> OrganizationAPIKey:
    """Revoke a key for good (it cannot be restored) and disable its service account.
    Revoking a revoked key changes nothing."""
    api_key = OrganizationAPIKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked:
        return api_key
    before = audit.snapshot(api_key)
    api_key.revoked = True
    api_key.revoked_at = timezone.now()
    api_key.revoked_by = actor
    api_key.save(update_fields=["revoked", "revoked_at", "revoked_by"])
    audit.record_update(
        api_key,
        before,
        actor=actor,
        action=AuditAction.REVOKE,
        organization=api_key.organization_id,
    )
    account = User.objects.select_for_update().get(pk=api_key.service_account_id)
    before = audit.snapshot(account)
    account.is_active = False
    account.save(update_fields=["is_active"])
    audit.record_update(account, before, actor=actor, organization=api_key.organization_id)
    return api_key


def api_key_authenticate(*, key: str, request: Any = None) -> OrganizationAPIKey | None:
    """The usable key matching ``key``, or ``None`` (malformed, unknown, wrong secret,
    revoked, expired, its organization or its service account inactive). Records when it was
    last used, at most once per ``LAST_USED_RESOLUTION``.

    Not atomic on purpose: it reads, and its one write is a single conditional ``UPDATE``."""
    if not _KEY_SHAPE.fullmatch(key):
        return None
    prefix = key.partition(".")[0]
    key_generator = OrganizationAPIKey.objects.key_generator
    api_key = api_key_by_prefix_for_authentication(prefix=prefix)
    if api_key is None:
        key_generator.verify(key, _DECOY_HASH)
        return None
    if not key_generator.verify(key, api_key.hashed_key):
        return None
    if not api_key.is_usable or not api_key.service_account.is_active:
        return None
    now = timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if api_key.last_used_at is None or api_key.last_used_at <= stale:
        # Conditional, so concurrent requests write once per period between them.
        written = OrganizationAPIKey.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=api_key.pk
        ).update(last_used_at=now)
        if written:
            api_key.last_used_at = now
    return api_key


@transaction.atomic
def user_language_set(*, user: User, language: str) -> User:
    """Remember the interface language ``user`` chose ("" to follow the browser's).

    A preference, yet recorded like the user's other changes: one event per switch, which is
    rare, and the trail stays the one answer to "who changed what" without exceptions.
    """
    known = {code for code, _name in settings.LANGUAGES}
    if language and language not in known:
        raise ValidationFailed.on(
            "language",
            _("Unknown language; choose one of: %(known)s.") % {"known": ", ".join(sorted(known))},
        )
    current = User.objects.select_for_update().get(pk=user.pk)
    if current.language == language:
        return current
    before = audit.snapshot(current, fields=["language"])
    current.language = language
    current.save(update_fields=["language"])
    audit.record_update(current, before, actor=current)
    user.language = language
    return current

"""Every write about actors: organizations, memberships, API keys."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import Conflict, ValidationFailed

from .models import Membership, Organization, OrganizationAPIKey, Role, User
from .selectors import actor_roles_forget

# A key's last use is written at most this often: one write per request would turn every read
# into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@transaction.atomic
def membership_set(*, user: User, organization: Organization, role: str) -> Membership:
    """Give ``user`` the role ``role`` in ``organization`` (one role per organization)."""
    if role not in Role.values:
        raise ValidationFailed.on("role", _("Not a role: %(role)s.") % {"role": role})
    if user.is_service_account:
        raise ValidationFailed.on(
            "user", _("A service account holds the role of its API key; change the key.")
        )
    membership, _created = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role, "is_active": True}
    )
    actor_roles_forget(user)
    return membership


@transaction.atomic
def membership_end(*, membership: Membership) -> Membership:
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    actor_roles_forget(membership.user)
    return membership


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
    and never stored (only its hash is)."""
    name = name.strip()
    if not name:
        raise ValidationFailed.on("name", _("This field is required."))
    if role not in Role.values:
        raise ValidationFailed.on("role", _("Not a role: %(role)s.") % {"role": role})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed.on("expiry_date", _("Must be in the future."))
    if not organization.is_active:
        raise Conflict(_("The organization is inactive."), code="organization_inactive")
    account = User(
        username=f"api-{secrets.token_hex(6)}",
        is_service_account=True,
        is_staff=False,
        first_name=name[:150],
    )
    account.set_unusable_password()
    account.save()
    api_key, secret = OrganizationAPIKey.objects.create_key(
        name=name[:50],
        organization=organization,
        service_account=account,
        role=role,
        expiry_date=expires_at,
        created_by=created_by,
    )
    Membership.objects.create(user=account, organization=organization, role=role)
    return api_key, secret


@transaction.atomic
def api_key_revoke(*, api_key: OrganizationAPIKey, actor: User | None) -> OrganizationAPIKey:
    """Revoke a key for good (it cannot be restored) and disable its service account."""
    api_key = OrganizationAPIKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked:
        return api_key
    api_key.revoked = True
    api_key.revoked_at = timezone.now()
    api_key.revoked_by = actor
    api_key.save(update_fields=["revoked", "revoked_at", "revoked_by"])
    User.objects.filter(pk=api_key.service_account_id).update(is_active=False)
    return api_key


def api_key_authenticate(*, key: str, request: Any = None) -> OrganizationAPIKey | None:
    """The usable key matching ``key``, or ``None`` (unknown, wrong secret, revoked, expired,
    or its organization inactive). Records when it was last used."""
    prefix, dot, _secret = key.partition(".")
    if not dot or not prefix:
        return None
    api_key = (
        OrganizationAPIKey.objects.select_related("organization", "service_account")
        .filter(prefix=prefix, revoked=False)
        .first()
    )
    if api_key is None or not api_key.is_valid(key) or not api_key.is_usable:
        return None
    if not api_key.service_account.is_active:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        OrganizationAPIKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key

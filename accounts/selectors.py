"""Reads about actors: their memberships, roles and capabilities.

An actor's memberships are read once per request and kept on the user object, so a request
that checks several rules costs one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework.authtoken.models import Token

from core.compiled import CompiledValues, ModelRow

from .models import Membership, Organization, OrganizationAPIKey, Role, User
from .roles import Capability, capabilities_of

_CACHE_ATTR = "_registry_actor_roles"


@dataclass(frozen=True)
class ActorRoles:
    """An actor's active roles: ``{organization id: role}``, and whether it is a superuser
    (the system's administrator, who may do everything)."""

    roles: dict[int, Role]
    is_superuser: bool = False

    def organizations(self, capability: Capability | None = None) -> list[int]:
        """The organizations where the actor holds ``capability`` (or any role) through a
        membership. A superuser may act everywhere, yet this lists only their memberships:
        callers that filter by it check ``is_superuser`` first."""
        return [
            org
            for org, role in self.roles.items()
            if capability is None or capability in capabilities_of(role)
        ]

    def can(self, capability: Capability, organization_id: int | None = None) -> bool:
        """Whether the actor holds ``capability`` in ``organization_id`` (or anywhere)."""
        if self.is_superuser:
            return True
        if organization_id is not None:
            role = self.roles.get(organization_id)
            return role is not None and capability in capabilities_of(role)
        return any(capability in capabilities_of(role) for role in self.roles.values())

    def has_role(self, *roles: Role) -> bool:
        """Whether the actor holds one of ``roles`` in some organization (a superuser holds
        only the roles of their memberships)."""
        return any(role in roles for role in self.roles.values())


NO_ROLES = ActorRoles(roles={})


def _active_memberships(user_id: Any) -> QuerySet[Membership]:
    """The memberships that give a user a role: active, in an active organization."""
    return Membership.objects.filter(user_id=user_id, is_active=True, organization__is_active=True)


# Read on every request: compiled once (``core.compiled``).
_ROLES = CompiledValues(
    lambda user_id: _active_memberships(user_id).values_list("organization_id", "role"),
    user_id=int,
)


def actor_roles(actor: Any) -> ActorRoles:
    """The active roles of ``actor`` (a user, an anonymous user or ``None``)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return NO_ROLES
    cached: ActorRoles | None = getattr(actor, _CACHE_ATTR, None)
    if cached is None:
        cached = ActorRoles(
            roles={org: Role(role) for org, role in _ROLES(user_id=actor.pk)},
            is_superuser=bool(actor.is_superuser),
        )
        setattr(actor, _CACHE_ATTR, cached)
    return cached


def actor_roles_forget(actor: Any) -> None:
    """Drop the cached roles (after a membership of ``actor`` changed)."""
    if actor is not None and hasattr(actor, _CACHE_ATTR):
        delattr(actor, _CACHE_ATTR)


# Read on every request made with a token or an API key: compiled once (``core.compiled``).
_TOKEN_ROW = ModelRow(Token, user=User)
_TOKEN = CompiledValues(
    lambda key: Token.objects.filter(key=key).values_list(*_TOKEN_ROW.columns()), key=str
)
_API_KEY_ROW = ModelRow(OrganizationAPIKey, organization=Organization, service_account=User)
_API_KEY = CompiledValues(
    lambda prefix: OrganizationAPIKey.objects.filter(prefix=prefix).values_list(
        *_API_KEY_ROW.columns()
    ),
    prefix=str,
)


_TOKEN_KEY_LENGTH = Token._meta.get_field("key").max_length or 40


def token_with_user(*, key: str) -> Token | None:
    """The DRF token ``key`` names, with its user loaded (``token.user``), in one query. A key
    no token can have (too long, or holding a NUL, which PostgreSQL refuses in text) names
    none, and is not sent to the database."""
    if len(key) > _TOKEN_KEY_LENGTH or "\x00" in key:
        return None
    rows = _TOKEN(key=key)
    return _TOKEN_ROW.load(rows[0]) if rows else None


def api_key_by_prefix_for_authentication(*, prefix: str) -> OrganizationAPIKey | None:
    """The API key with ``prefix``, with its organization and service account loaded, in one
    query (authentication checks the secret, the dates and the flags)."""
    rows = _API_KEY(prefix=prefix)
    return _API_KEY_ROW.load(rows[0]) if rows else None


def organization_list() -> QuerySet[Organization]:
    return Organization.objects.order_by("name", "id")


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__username")
    )


def users_with_role(*, organization_id: int, roles: tuple[Role, ...]) -> QuerySet[User]:
    """Active users holding one of ``roles`` in the organization, as ``actor_roles`` counts
    roles (an inactive organization's members hold none)."""
    return User.objects.filter(
        is_active=True,
        memberships__organization_id=organization_id,
        memberships__organization__is_active=True,
        memberships__is_active=True,
        memberships__role__in=roles,
    ).order_by("id")


def organization_lookup(*, ref: str) -> Organization | None:
    """The organization ``ref`` names: its id, or else its exact name."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 19:  # fits a bigint
        found = Organization.objects.filter(pk=int(ref)).first()
        if found is not None:
            return found
    return Organization.objects.filter(name=ref).first()


def membership_list() -> QuerySet[Membership]:
    return Membership.objects.select_related("user", "organization").order_by(
        "organization__name", "user__username", "id"
    )


def api_key_list(*, organization: Organization | None = None) -> QuerySet[OrganizationAPIKey]:
    keys = OrganizationAPIKey.objects.select_related(
        "organization", "service_account", "created_by", "revoked_by"
    )
    if organization is not None:
        keys = keys.filter(organization=organization)
    return keys.order_by("-created")


def api_key_by_prefix(*, prefix: str) -> OrganizationAPIKey | None:
    return api_key_list().filter(prefix=prefix.strip()).first()

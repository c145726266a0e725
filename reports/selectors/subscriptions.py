"""Reads about e-mail subscriptions: a user's own, who may receive which topic, and the roles of
many recipients at once (the queueing ticks check every recipient's right in one query)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import Membership, Role
from accounts.roles import Capability
from accounts.selectors import ActorRoles, actor_roles

from ..models import Frequency, Subscription, Topic

# The roles that read the registry's and the coalition's summaries (counts across
# organizations, small cells hidden); superusers too.
SUMMARY_ROLES: tuple[Role, ...] = (Role.COORDINATOR, Role.AUDITOR)
# The roles that receive the daily digest of their reminders: those who work cases.
DIGEST_ROLES: tuple[Role, ...] = (Role.CASEWORKER, Role.SUPERVISOR)
# How often each topic may come.
TOPIC_FREQUENCIES: dict[str, tuple[str, ...]] = {
    Topic.DIGEST: (Frequency.DAILY,),
    Topic.ORGANIZATION: (Frequency.WEEKLY, Frequency.MONTHLY),
    Topic.REGISTRY: (Frequency.WEEKLY, Frequency.MONTHLY),
    Topic.COALITION: (Frequency.WEEKLY, Frequency.MONTHLY),
}


def subscription_list(*, actor: Any) -> QuerySet[Subscription]:
    """The actor's own subscriptions, stopped ones included (a stopped digest is a row)."""
    return Subscription.objects.filter(user_id=actor.pk).order_by("topic", "frequency", "id")


def may_receive(roles: ActorRoles, topic: str, organization_id: int | None = None) -> bool:
    """Whether an actor with ``roles`` may receive ``topic``: an organization's summary, a
    member of it who reads counts; the registry's and the coalition's, coordinators, auditors
    and superusers; the digest, caseworkers and supervisors."""
    if topic == Topic.ORGANIZATION:
        return organization_id is not None and roles.can(
            Capability.READ_AGGREGATES, organization_id
        )
    if topic in (Topic.REGISTRY, Topic.COALITION):
        return roles.is_superuser or roles.has_role(*SUMMARY_ROLES)
    if topic == Topic.DIGEST:
        return roles.has_role(*DIGEST_ROLES)
    return False


def actor_may_receive(actor: Any, topic: str, organization_id: int | None = None) -> bool:
    return may_receive(actor_roles(actor), topic, organization_id)


def recipients_roles(users: Iterable[Any]) -> dict[int, ActorRoles]:
    """The active roles of each of ``users`` (as ``actor_roles`` counts them: active
    memberships in active organizations), read in one query."""
    users = list(users)
    found: dict[int, dict[int, Role]] = defaultdict(dict)
    rows = Membership.objects.filter(
        user_id__in=[user.pk for user in users], is_active=True, organization__is_active=True
    ).values_list("user_id", "organization_id", "role")
    for user_id, organization_id, role in rows:
        found[user_id][organization_id] = Role(role)
    return {
        user.pk: ActorRoles(roles=found.get(user.pk, {}), is_superuser=bool(user.is_superuser))
        for user in users
    }


def subscription_language(*, user_id: int, topic: str, frequency: str) -> str:
    """The language ``user_id`` chose for ``topic`` at ``frequency`` (the digest without a
    subscription is in the deployment's language)."""
    chosen = (
        Subscription.objects.filter(user_id=user_id, topic=topic, frequency=frequency)
        .values_list("language", flat=True)
        .first()
    )
    return chosen or settings.LANGUAGE_CODE

"""Writes of e-mail subscriptions: subscribe (or change the language, or subscribe again),
unsubscribe from the API or the admin, and unsubscribe through a signed link.

Who may receive which topic is ``reports.selectors.subscriptions.may_receive``; the queueing
ticks read the same rule again, so a user who lost the right since subscribing receives nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, User
from audit import services as audit
from core.db import MAX_ID
from core.errors import NotFound, PermissionDenied, ValidationFailed

from ..models import Subscription, Topic
from ..selectors.subscriptions import TOPIC_FREQUENCIES, actor_may_receive


class SubscriptionDenied(PermissionDenied):
    code = "subscription_denied"
    default_detail = gettext_lazy("Your role does not receive this e-mail.")


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    default_detail = gettext_lazy("No such subscription of yours.")


def _checked_organization(topic: str, organization: Any) -> Organization | None:
    """The organization an organization's summary is about; none for the other topics."""
    if topic != Topic.ORGANIZATION:
        if organization is not None:
            raise ValidationFailed.on(
                "organization", _("Only an organization's summary names an organization.")
            )
        return None
    if organization is None:
        raise ValidationFailed.on("organization", _("Name the organization whose summary."))
    if isinstance(organization, Organization):
        return organization
    if isinstance(organization, bool) or not isinstance(organization, int):
        raise ValidationFailed.on("organization", _("Give an organization's id."))
    found = (
        Organization.objects.filter(pk=organization).first()
        if 1 <= organization <= MAX_ID
        else None
    )
    if found is None:
        raise ValidationFailed.on(
            "organization", _("No such organization: %(id)s.") % {"id": organization}
        )
    return found


def _check(topic: str, frequency: str, language: str) -> None:
    if topic not in Topic.values:
        raise ValidationFailed.on(
            "topic", _("Unknown topic; choose one of: %(known)s.") % {"known": ", ".join(Topic)}
        )
    allowed = TOPIC_FREQUENCIES[topic]
    if frequency not in allowed:
        raise ValidationFailed.on(
            "frequency",
            _("This e-mail comes %(allowed)s.") % {"allowed": " or ".join(allowed)},
        )
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed.on(
            "language",
            _("Unknown language; choose one of: %(known)s.")
            % {"known": ", ".join(code for code, _name in settings.LANGUAGES)},
        )


@transaction.atomic
def subscription_set(
    *,
    actor: User,
    topic: str,
    frequency: str,
    language: str | None = None,
    organization: Organization | int | None = None,
) -> tuple[Subscription, bool]:
    """Subscribe ``actor`` to ``topic`` at ``frequency``: a new subscription, or the one they
    have for it with its language and organization as given and, if it was stopped, started
    again. Returns it and whether it was created."""
    language = language or settings.LANGUAGE_CODE
    _check(topic, frequency, language)
    checked = _checked_organization(topic, organization)
    if not actor_may_receive(actor, topic, checked.pk if checked is not None else None):
        raise SubscriptionDenied(fields={"topic": [str(SubscriptionDenied.default_detail)]})
    current = (
        Subscription.objects.select_for_update()
        .filter(user=actor, topic=topic, frequency=frequency)
        .first()
    )
    if current is None:
        created = Subscription.objects.create(
            user=actor, topic=topic, frequency=frequency, language=language, organization=checked
        )
        audit.record_create(created, actor=actor)
        return created, True
    before = audit.snapshot(current)
    current.language = language
    current.organization = checked
    current.unsubscribed_at = None
    current.save(update_fields=["language", "organization", "unsubscribed_at", "updated_at"])
    audit.record_update(current, before, actor=actor)
    return current, False


@transaction.atomic
def subscription_language_set(*, actor: User, subscription_id: int, language: str) -> Subscription:
    """Change the language of one of the actor's subscriptions."""
    subscription = _own_locked(actor, subscription_id)
    _check(subscription.topic, subscription.frequency, language)
    before = audit.snapshot(subscription)
    subscription.language = language
    subscription.save(update_fields=["language", "updated_at"])
    audit.record_update(subscription, before, actor=actor)
    return subscription


@transaction.atomic
def subscription_cancel(*, actor: User, subscription_id: int) -> Subscription:
    """Stop one of the actor's subscriptions (a superuser may stop anyone's). Stopping a
    stopped one changes nothing."""
    subscription = _own_locked(actor, subscription_id)
    return _stop(subscription, actor=actor)


@transaction.atomic
def subscription_unsubscribe(*, user: User, topic: str, frequency: str) -> Subscription | None:
    """Stop ``topic`` at ``frequency`` for ``user``, who followed a signed link: the
    subscription is stopped, or, for the digest (which needs none), a stopped one is written.
    Recorded as done by ``user``. ``None`` when there was nothing to stop."""
    subscription = (
        Subscription.objects.select_for_update()
        .filter(user=user, topic=topic, frequency=frequency)
        .first()
    )
    if subscription is not None:
        return _stop(subscription, actor=user)
    if topic != Topic.DIGEST:
        return None  # the summaries come only to a subscription
    created = Subscription.objects.create(
        user=user,
        topic=topic,
        frequency=frequency,
        language=settings.LANGUAGE_CODE,
        organization=None,
        unsubscribed_at=timezone.now(),
    )
    audit.record_create(created, actor=user)
    return created


def _own_locked(actor: User, subscription_id: Any) -> Subscription:
    if isinstance(subscription_id, bool) or not isinstance(subscription_id, int):
        raise SubscriptionNotFound()
    rows = Subscription.objects.select_for_update().filter(pk=subscription_id)
    if not actor.is_superuser:
        rows = rows.filter(user=actor)
    subscription = rows.first() if 1 <= subscription_id <= MAX_ID else None
    if subscription is None:
        raise SubscriptionNotFound()
    return subscription


def _stop(subscription: Subscription, *, actor: User) -> Subscription:
    if subscription.unsubscribed_at is not None:
        return subscription
    before = audit.snapshot(subscription)
    subscription.unsubscribed_at = timezone.now()
    subscription.save(update_fields=["unsubscribed_at", "updated_at"])
    audit.record_update(subscription, before, actor=actor)
    return subscription

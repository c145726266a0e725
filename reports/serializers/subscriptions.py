"""E-mail subscriptions in the API: input serializers that only validate shapes (the services
check who may receive what), an output serializer that only renders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.db import MAX_ID
from core.serializers import DateTimeField, StrictInputMixin

from ..models import Frequency, Subscription, Topic


class SubscriptionSerializer(serializers.ModelSerializer[Subscription]):
    active = serializers.BooleanField(
        source="is_active",
        read_only=True,
        help_text=_("False once unsubscribed (from the API, the admin or an e-mail's link)."),
    )
    created_at = DateTimeField(read_only=True)
    updated_at = DateTimeField(read_only=True)
    unsubscribed_at = DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "topic",
            "frequency",
            "organization",
            "language",
            "active",
            "created_at",
            "updated_at",
            "unsubscribed_at",
        ]
        read_only_fields = fields


class SubscriptionInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    topic = serializers.ChoiceField(
        choices=Topic.choices,
        help_text=_(
            "digest: your reminders, daily (caseworkers and supervisors); organization: an "
            "organization's summary (its members who read counts); registry, coalition: the "
            "registry's or the coalition's summary (coordinators, auditors)."
        ),
    )
    frequency = serializers.ChoiceField(
        choices=Frequency.choices,
        help_text=_("daily for the digest; weekly or monthly for a summary."),
    )
    organization = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text=_("For an organization's summary: the organization's id."),
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text=_("The e-mail's language; the registry's default language if left out."),
    )


class SubscriptionUpdateInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    language = serializers.ChoiceField(choices=settings.LANGUAGES)

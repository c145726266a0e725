"""Output of the audit API (read only: there is no input)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import AuditEvent


class AuditActorSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True, help_text=_("The username today."))


CHANGES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {}, "minItems": 2, "maxItems": 2},
    "description": _(
        "{field: [before, after]}: before is null on create, after is null on delete. "
        "Dates and times in ISO 8601, decimals as strings, references by id."
    ),
}


@extend_schema_field(CHANGES_SCHEMA)
class ChangesField(serializers.JSONField):
    pass


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = AuditActorSerializer(
        read_only=True, allow_null=True, help_text=_("Null for the system.")
    )
    changes = ChangesField(read_only=True)
    metadata = serializers.DictField(
        read_only=True, help_text=_("Details, e.g. a reason, the status moved from and to.")
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_label",
            "api_key_prefix",
            "organization",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "channel",
            "request_id",
            "client_address",
            "metadata",
        ]
        read_only_fields = fields

"""What the coalition's serializers share: how a party is shown and named in input."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.db import MAX_ID

from ..models import Party

PARTY_CODE_HELP = _(
    "A state's ISO 3166-1 alpha-2 code (e.g. CA), or a recorded international organization's "
    "code (e.g. council-of-europe)."
)


class PartyRefSerializer(serializers.ModelSerializer[Party]):
    """A state or an international organization, as every coalition record shows it."""

    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Party
        fields = ["code", "kind", "name"]
        read_only_fields = fields


class PartyCodeField(serializers.CharField):
    """A party named in input by its code; the service resolves it (and names the field when
    it is unknown)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", PARTY_CODE_HELP)
        super().__init__(**kwargs)


class PartyCodeListField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", PartyCodeField())
        kwargs.setdefault("max_length", 500)
        super().__init__(**kwargs)


class SourceIdListField(serializers.ListField):
    """Source ids; the service checks each is one the caller may see."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("help_text", _("Ids of sources (GET /api/v1/sources/) that report it."))
        super().__init__(**kwargs)

"""Serializer pieces every API of the registry shares: strict input, country codes, ids."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_countries import countries
from rest_framework import serializers

from .db import MAX_ID


class StrictInputMixin:
    """Refuse fields the serializer does not declare.

    ``passthrough`` names fields that are handed to the service unchecked, so that the service
    can refuse them with its own explanation (the workflow fields of a case, for one).
    """

    passthrough: frozenset[str] = frozenset()

    def to_internal_value(self, data: Any) -> Any:
        fields: Mapping[str, serializers.Field[Any, Any, Any, Any]] = self.fields  # type: ignore[attr-defined]
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(fields) - self.passthrough)
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        value = super().to_internal_value(data)  # type: ignore[misc]
        if isinstance(data, Mapping):
            for name in self.passthrough & set(data):
                value[name] = data[name]
        return value


class CountryCodeField(serializers.ChoiceField):
    """An ISO 3166-1 alpha-2 country code; lower case is read as upper case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[(c.code, c.name) for c in countries], **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = data.strip().upper()
        return super().to_internal_value(data)


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id that must be a whole number: ``1.5`` is refused, not read as ``1``."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and data.isdigit())
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= int(data) <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)

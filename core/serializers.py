"""Serializer pieces every API of the registry shares: strict input, null for an empty choice,
URL or e-mail address in answers, country codes, ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from rest_framework import serializers

from .db import MAX_ID


class StrictInputMixin:
    # Refuses fields the serializer does not declare. ``passthrough`` names fields that are
    # handed to the service unchecked, so that the service can refuse them with its own
    # explanation (the workflow fields of a case, for one). (Comments, not a docstring: the
    # OpenAPI document takes a serializer's docstring, or its bases', as its description.)

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


def blank_means_none(model_field: Any) -> bool:
    """Whether a column keeps "no value" as an empty string though it holds one of a set of
    choices, a URL or an e-mail address: the API answers ``null`` for it, as a typed client
    cannot read ``""`` as one of those."""
    return (
        isinstance(model_field, models.CharField)
        and model_field.blank
        and not model_field.null
        and (
            bool(model_field.choices)
            or isinstance(model_field, models.URLField | models.EmailField)
        )
    )


class _BlankAsNull:
    def to_representation(self, value: Any) -> Any:
        if value == "":
            return None
        return super().to_representation(value)  # type: ignore[misc]


@cache
def _blank_as_null(field_class: type[serializers.Field[Any, Any, Any, Any]]) -> type[Any]:
    return type(field_class.__name__, (_BlankAsNull, field_class), {})


class BlankAsNullMixin:
    # For output model serializers: a choice, URL or e-mail column left empty is rendered as
    # null and documented as nullable (see ``blank_means_none``). A comment, not a docstring:
    # the OpenAPI document would show it as the description of every serializer using it.

    def build_standard_field(
        self, field_name: str, model_field: models.Field[Any, Any]
    ) -> tuple[type[serializers.Field[Any, Any, Any, Any]], dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)  # type: ignore[misc]
        if blank_means_none(model_field):
            field_class = _blank_as_null(field_class)
            kwargs["allow_null"] = True
            kwargs.pop("allow_blank", None)
        return field_class, kwargs


class DateTimeField(serializers.DateTimeField):
    """A time rendered in the current time zone, or in UTC when that zone's offset then was not
    whole minutes (local mean time, before standard time: Kyiv until 1924): RFC 3339, which
    the OpenAPI document's date-time format is, has no seconds in an offset."""

    def to_representation(self, value: Any) -> Any:
        text = super().to_representation(value)
        if isinstance(text, str) and len(text) > 9 and text[-9] in "+-" and text[-3] == ":":
            return value.astimezone(dt.UTC).isoformat().removesuffix("+00:00") + "Z"
        return text


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

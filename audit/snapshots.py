"""How a record is described in the trail: its type, id and label, and its field values as
JSON can hold them (``snapshot``), and what changed between two snapshots (``diff``).

``object_type`` is ``app_label.model``; ``object_id`` the primary key (an API key's prefix for
API keys, whose primary key embeds the hash); ``object_repr`` the model's ``audit_label()`` when
it has one (a case number, never a child's name), else ``"<model> #<id>"``.

A model may set ``audit_exclude_fields`` (names never recorded, e.g. a cached search vector);
passwords and API key hashes are never recorded for any model.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.duration import duration_iso_string
from django.utils.functional import Promise
from django_countries.fields import CountryField
from rest_framework_api_key.models import AbstractAPIKey

Changes = dict[str, list[Any]]

# Never written to the trail, whatever the model: a password hash or an API key's hash is a
# secret even to auditors.
SECRET_FIELDS: frozenset[str] = frozenset({"password", "hashed_key"})
_FieldKey = tuple[type[models.Model], tuple[str, ...] | None]
_FIELD_CACHE: dict[_FieldKey, list[models.Field[Any, Any]]] = {}


# -- describing records and values ---------------------------------------------------------------
def object_type_of(model: type[models.Model] | models.Model) -> str:
    return model._meta.label_lower


def object_id_of(instance: models.Model) -> str:
    if isinstance(instance, AbstractAPIKey):
        return str(instance.prefix)  # the primary key is "<prefix>.<hash>"
    return "" if instance.pk is None else str(instance.pk)


def object_repr_of(instance: models.Model) -> str:
    """The model's ``audit_label()``, or ``"<model> #<id>"``: never a person's name."""
    label = getattr(instance, "audit_label", None)
    if callable(label):
        return str(label())[:200]
    return f"{instance._meta.model_name} #{object_id_of(instance)}"[:200]


def json_value(value: Any) -> Any:
    """``value`` as JSON can hold it: times in ISO 8601 (aware ones in UTC), decimals as strings
    (exact), files by name, model instances by primary key."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str | Promise):
        return str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, bytes | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, models.Model):
        return json_value(value.pk)
    return str(value)


def _recorded_fields(
    model: type[models.Model], names: Iterable[str] | None
) -> list[models.Field[Any, Any]]:
    key = (model, None if names is None else tuple(names))
    cached = _FIELD_CACHE.get(key)
    if cached is not None:
        return cached
    excluded = SECRET_FIELDS | frozenset(getattr(model, "audit_exclude_fields", ()))
    concrete = [f for f in model._meta.concrete_fields if f.name not in SECRET_FIELDS]
    if names is None:
        fields = [
            f
            for f in concrete
            if not f.primary_key
            and f.name not in excluded
            and not getattr(f, "auto_now", False)
            and not getattr(f, "auto_now_add", False)
        ]
    else:
        by_name = {f.name: f for f in concrete} | {f.attname: f for f in concrete}
        unknown = sorted(set(key[1] or ()) - set(by_name))
        if unknown:
            raise ValueError(f"{model._meta.label} has no recordable field {unknown}.")
        fields = list({by_name[name].attname: by_name[name] for name in key[1] or ()}.values())
    _FIELD_CACHE[key] = fields
    return fields


# The Python types a field's ``to_python`` returns as they are, by the field's exact type (a
# subclass, such as a country field, may convert): a value of one of them is recorded without
# the conversion. Foreign keys take their target's (an integer id).
_TO_PYTHON_AS_IS: dict[type[models.Field[Any, Any]], frozenset[type]] = {
    models.AutoField: frozenset({int}),
    models.BigAutoField: frozenset({int}),
    models.BigIntegerField: frozenset({int}),
    models.BooleanField: frozenset({bool}),
    models.CharField: frozenset({str}),
    models.DateField: frozenset({dt.date}),
    models.DateTimeField: frozenset({dt.datetime}),
    models.EmailField: frozenset({str}),
    models.IntegerField: frozenset({int}),
    models.PositiveIntegerField: frozenset({int}),
    models.PositiveSmallIntegerField: frozenset({int}),
    models.SmallIntegerField: frozenset({int}),
    models.TextField: frozenset({str}),
}
# JSON holds these as they are.
_JSON_AS_IS: frozenset[type] = frozenset({str, int, bool})
# A reader: the attribute, the field, the types read as they are, and whether the value is
# read as stored (``instance.__dict__``) rather than through the field's descriptor.
_Reader = tuple[str, "models.Field[Any, Any]", frozenset[type], bool]
_READER_CACHE: dict[_FieldKey, list[_Reader]] = {}


def _read_as_stored(field: models.Field[Any, Any]) -> bool:
    """A country field keeps its code in the instance and builds a ``Country`` (translations
    looked up) at every read: its code is what ``to_python`` would give back."""
    return isinstance(field, CountryField) and not field.multiple


def _as_is_types(field: models.Field[Any, Any]) -> frozenset[type]:
    if _read_as_stored(field):
        return frozenset({str})
    if field.is_relation:
        target = field.related_model
        if isinstance(target, type) and issubclass(target, AbstractAPIKey):
            return frozenset()  # a key's id embeds its hash: see ``_field_value``
        target_field = getattr(field, "target_field", None)
        return _as_is_types(target_field) if target_field is not None else frozenset()
    return _TO_PYTHON_AS_IS.get(type(field), frozenset())


def _readers(model: type[models.Model], names: Iterable[str] | None) -> list[_Reader]:
    """The recorded fields with, for each, the value types read without conversion."""
    key = (model, None if names is None else tuple(names))
    cached = _READER_CACHE.get(key)
    if cached is None:
        cached = [
            (f.attname, f, _as_is_types(f), _read_as_stored(f))
            for f in _recorded_fields(model, key[1])
        ]
        _READER_CACHE[key] = cached
    return cached


def _field_value(field: models.Field[Any, Any], instance: models.Model) -> Any:
    value = getattr(instance, field.attname)
    if value is None:
        return None
    if field.is_relation:
        target = field.related_model
        if isinstance(target, type) and issubclass(target, AbstractAPIKey):
            return str(value).partition(".")[0]  # a key's id embeds its hash
    # What the database will hold, so "2024-01-02" assigned and a date read back compare equal,
    # and a change of type alone is no change.
    with contextlib.suppress(DjangoValidationError):
        value = field.to_python(value)
    if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
        with contextlib.suppress(InvalidOperation):
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
    return json_value(value)


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The JSON-safe values of ``instance``'s concrete fields by attribute name (``assignee_id``),
    or of ``fields`` only (names or attribute names)."""
    values: dict[str, Any] = {}
    stored = instance.__dict__
    for attname, field, as_is, as_stored in _readers(type(instance), fields):
        value = stored[attname] if as_stored and attname in stored else getattr(instance, attname)
        kind = type(value)
        if value is None:
            values[attname] = None
        elif kind in as_is:  # ``to_python`` would return it unchanged: skip it (most values)
            values[attname] = value if kind in _JSON_AS_IS else json_value(value)
        else:
            values[attname] = _field_value(field, instance)
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """``{field: [before, after]}`` for every field whose value differs."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }

"""The API's body parsers: DRF's, refusing what no view, serializer or database should meet.

Every body the API reads goes through one of these (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``,
and the views that pick their parsers), the idempotency key's fingerprint included, since it
reads ``request.data`` too. So a check made here holds for every field of every endpoint,
whatever serializer field (a slug, a choice, a related id) later reads the value:

- **Nesting.** A JSON body nested deeper than ``MAX_JSON_DEPTH`` is a 400 ``parse_error``. No
  body of the API nests beyond a few levels; the standard library's decoder recurses, and so do
  the serializers and the fingerprint, so some thousand levels (two kilobytes of brackets) would
  otherwise end in a ``RecursionError``.
- **Text the database cannot hold.** A NUL character (PostgreSQL's text types refuse it, also
  in a lookup) or a lone surrogate (not encodable as UTF-8) in any string or key is a 400 naming
  the field by its dotted path (``child.origin_oblast``), as validation errors name fields.

A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused by Django while DRF reads it
(``RequestDataTooBig``); ``core.api.exception_handler`` answers it with a 413.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.errors import ValidationFailed

# Deeper than any body of the API nests (a case with its child's aliases is four levels).
MAX_JSON_DEPTH = 32

NUL = "\x00"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def nul_message() -> str:
    return _("Null characters are not allowed.")


def _unstorable(name: str, text: str) -> ValidationFailed:
    message = nul_message() if NUL in text else _("Surrogate characters are not allowed.")
    return ValidationFailed(f"{name}: {message}", fields={name: [message]})


def _path(prefix: str, key: object) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _shown(key: str) -> str:
    """A key as an answer can name it: a lone surrogate cannot be encoded, so it is escaped."""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def check_json_value(data: Any) -> None:
    """Refuse a value nested deeper than ``MAX_JSON_DEPTH``, or holding a string or key the
    database cannot store. Walks the value without recursion."""
    pending: list[tuple[Any, str, int]] = [(data, "", 0)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                raise _unstorable(path or "non_field_errors", value)
            continue
        if not isinstance(value, Mapping | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise ParseError(
                _("JSON nested deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH}
            )
        if isinstance(value, Mapping):
            for key, item in value.items():
                name = _path(path, key)
                if _UNSTORABLE.search(key):
                    raise _unstorable(_path(path, _shown(key)), key)
                pending.append((item, name, depth + 1))
        else:
            pending.extend((item, _path(path, i), depth + 1) for i, item in enumerate(value))


def first_field_with_nul(data: QueryDict) -> str | None:
    """The first field of a query string or form (its name or a value) holding a NUL."""
    for name, values in data.lists():
        if NUL in name or any(NUL in value for value in values):
            return name
    return None


def check_form_fields(data: QueryDict) -> None:
    """Refuse a form field (its name or a value) holding a NUL. Django decodes form fields with
    replacement characters, so no surrogate survives."""
    name = first_field_with_nul(data)
    if name is not None:
        raise _unstorable(name, NUL)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with the nesting and text checks above."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # The decoder gave up before the depth check could see the value.
            raise ParseError(
                _("JSON nested deeper than %(depth)d levels.") % {"depth": MAX_JSON_DEPTH}
            ) from exc
        check_json_value(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, refusing a NUL in a form field (an uploaded file's name is
    cleared of control characters by Django)."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        check_form_fields(parsed.data)
        return parsed

"""Input checks every app's services share: fields a caller may not set, and the errors a
service collects field by field, raised as one 400 that names each field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from .errors import ValidationFailed


def reject_unknown_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse ``data`` naming a field outside ``allowed``, each such field named."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(names)s.") % {"names": ", ".join(unknown)},
            fields={name: [_("This field cannot be set here.")] for name in unknown},
        )


def raise_field_errors(errors: Mapping[str, list[str]]) -> None:
    """Raise the collected ``errors`` (field: messages), if any; the detail is the first."""
    if errors:
        name, messages = next(iter(errors.items()))
        detail = messages[0] if name == "non_field_errors" else f"{name}: {messages[0]}"
        raise ValidationFailed(detail, fields=errors)

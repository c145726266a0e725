"""Relatives of a child."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.checks import raise_field_errors

from .. import names
from ..models import Child, Relative
from .checks import Actor, _lock_child_first, _not_in_future, _require_on_child
from .records import AuditedRecords
from .versions import child_cases_touch

# What a caller may set on a relative, in the order the API shows it.
RELATIVE_FIELD_ORDER: tuple[str, ...] = (
    "relationship",
    "given_name",
    "family_name",
    "patronymic",
    "phone",
    "email",
    "address",
    "is_legal_guardian",
    "is_searching",
    "consent_to_share",
    "consent_recorded_on",
    "notes",
)
RELATIVE_FIELDS: frozenset[str] = frozenset(RELATIVE_FIELD_ORDER)


def _relative_prepare(relative: Relative) -> None:
    for field in ("given_name", "family_name", "patronymic"):
        setattr(relative, field, names.clean_name(getattr(relative, field)))
    errors: dict[str, list[str]] = {}
    _not_in_future(errors, "consent_recorded_on", relative.consent_recorded_on)
    if relative.consent_to_share and relative.consent_recorded_on is None:
        errors.setdefault("consent_recorded_on", []).append(_("Record the date consent was given."))
    raise_field_errors(errors)


_RELATIVES = AuditedRecords(
    model=Relative,
    fields=RELATIVE_FIELDS,
    parent="child",
    require=_require_on_child,
    clean_exclude=("child",),
    prepare=_relative_prepare,
    touch=lambda relative: child_cases_touch(child_id=relative.child_id),
    lock_first=lambda relative: _lock_child_first(relative.child_id),
)


@transaction.atomic
def relative_create(*, child: Child, actor: Actor, data: Mapping[str, Any]) -> Relative:
    return _RELATIVES.create(actor=actor, parent=child, data=data)


@transaction.atomic
def relative_update(*, relative: Relative, actor: Actor, data: Mapping[str, Any]) -> Relative:
    return _RELATIVES.update(relative, actor=actor, data=data)


@transaction.atomic
def relative_delete(*, relative: Relative, actor: Actor) -> None:
    _RELATIVES.delete(relative, actor=actor)

"""Children: their records, names (the Latin forms and search keys are derived) and aliases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import Capability
from audit import services as audit
from core.checks import raise_field_errors, reject_unknown_fields
from core.db import row_locked, take_stored
from core.errors import ValidationFailed

from .. import names
from ..matching import record_name_keys
from ..models import Child, ChildAlias, ChildNameKey
from .checks import (
    Actor,
    _assign,
    _check_coordinates,
    _full_clean,
    _lock_child_first,
    _not_in_future,
    _require_on_child,
)
from .duplicates import duplicate_pairs_find_later
from .versions import child_cases_touch

# The earliest date of birth a child in the registry can have. The registry follows children
# taken since Russia's occupation of Crimea began in February 2014, each under 18 when taken:
# none was born before 1996. An earlier date is a typing error (a year of 0001, 1012 or 1906),
# refused wherever the record is written. The follow-up into adulthood does not change it.
EARLIEST_BIRTH = dt.date(1996, 1, 1)

CHILD_FIELDS: frozenset[str] = frozenset(
    {
        "given_name",
        "family_name",
        "patronymic",
        "date_of_birth",
        "date_of_birth_precision",
        "sex",
        "origin_oblast",
        "origin_settlement",
        "origin_latitude",
        "origin_longitude",
        "parental_care",
        "distinguishing_notes",
    }
)


def _child_prepare(child: Child) -> None:
    """Clean names, derive the Latin forms (KMU 2010) and the search keys; check the rules."""
    errors: dict[str, list[str]] = {}
    for field in ("given_name", "family_name", "patronymic"):
        value = names.clean_name(getattr(child, field))
        setattr(child, field, value)
        if value and not names.is_ukrainian_cyrillic(value):
            errors.setdefault(field, []).append(
                _("Write the name in Ukrainian Cyrillic; the Latin form is derived from it.")
            )
    for field in ("given_name", "family_name"):
        if not getattr(child, field):
            errors.setdefault(field, []).append(_("This field is required."))
    _not_in_future(errors, "date_of_birth", child.date_of_birth)
    if child.date_of_birth is not None and child.date_of_birth < EARLIEST_BIRTH:
        errors.setdefault("date_of_birth", []).append(
            _(
                "Cannot be before %(earliest)s: the registry is for children taken since 2014, "
                "each under 18 when taken."
            )
            % {"earliest": EARLIEST_BIRTH.isoformat()}
        )
    if child.date_of_birth is None and child.date_of_birth_precision != "estimated":
        errors.setdefault("date_of_birth_precision", []).append(
            _("Without a date of birth the precision must be 'estimated'.")
        )
    _check_coordinates(
        errors, "origin_latitude", "origin_longitude", child.origin_latitude, child.origin_longitude
    )
    raise_field_errors(errors)
    child.given_name_latin = names.latin_kmu(child.given_name)
    child.family_name_latin = names.latin_kmu(child.family_name)
    child.patronymic_latin = names.latin_kmu(child.patronymic)
    child_refresh_search_text(child=child, save=False)


def child_refresh_search_text(*, child: Child, save: bool = True) -> Child:
    """Rebuild the search keys from the names and every alias."""
    alias_names: list[str] = (
        list(child.aliases.values_list("name", flat=True)) if child.pk is not None else []
    )
    child.search_text = names.search_text(
        [child.given_name, child.family_name, child.patronymic, *alias_names]
    )
    if save:
        Child.objects.filter(pk=child.pk).unaudited_update(
            "derived search keys; the name or alias change that caused it is recorded",
            search_text=child.search_text,
        )
    return child


def child_refresh_name_keys(*, child: Child) -> list[ChildNameKey]:
    """Rewrite the child's identity-matching keys from the names and every alias.

    Derived data, like the search keys: not audited on its own, since the child's or the
    alias's own audit event records the change that caused it.
    """
    keys = record_name_keys(
        given_name=child.given_name,
        family_name=child.family_name,
        patronymic=child.patronymic,
        alias_names=child.aliases.values_list("name", flat=True),
    )
    ChildNameKey.objects.filter(child=child).delete()
    return ChildNameKey.objects.bulk_create(
        [ChildNameKey(child=child, key=key) for key in sorted(keys)]
    )


_NAME_FIELDS = frozenset({"given_name", "family_name", "patronymic"})


def _check_birth_before_deportation(
    date_of_birth: dt.date | None, deported_on: dt.date | None, *, field: str
) -> None:
    if date_of_birth and deported_on and deported_on < date_of_birth:
        raise ValidationFailed.on(field, _("The child cannot be taken before being born."))


@transaction.atomic
def child_update(*, child: Child, actor: Actor, data: Mapping[str, Any]) -> list[str]:
    """Change a child's record; returns the changed field names. The fields in ``data`` are
    written over the record as stored now (``child`` may have been read before someone
    else's change), and ``child`` is given the stored values."""
    _require_on_child(actor, Capability.CASE_WRITE, child)
    reject_unknown_fields(data, CHILD_FIELDS)
    stored = row_locked(Child, child.pk)
    before = audit.snapshot(stored)
    changed = _assign(stored, data)
    if not changed:
        take_stored(child, stored)
        return []
    _child_prepare(stored)
    if "date_of_birth" in changed and stored.date_of_birth is not None:
        earliest = stored.cases.filter(deported_on__isnull=False).order_by("deported_on").first()
        if earliest is not None:
            _check_birth_before_deportation(
                stored.date_of_birth, earliest.deported_on, field="date_of_birth"
            )
    _full_clean(stored, exclude=["current_whereabouts"])
    stored.save()
    if _NAME_FIELDS.intersection(changed):
        child_refresh_name_keys(child=stored)
        duplicate_pairs_find_later(child=stored)
    audit.record_update(stored, before, actor=actor)
    take_stored(child, stored)
    return changed


@transaction.atomic
def child_alias_add(
    *, child: Child, actor: Actor, name: str, kind: str, seen_in: str = ""
) -> ChildAlias:
    _require_on_child(actor, Capability.CASE_WRITE, child)
    # The keys are rebuilt from the names as stored now, not from the caller's copy.
    stored = row_locked(Child, child.pk)
    alias = _child_alias_write(child=stored, actor=actor, name=name, kind=kind, seen_in=seen_in)
    child_cases_touch(child_id=stored.pk)
    duplicate_pairs_find_later(child=stored)
    take_stored(child, stored)
    return alias


def _child_alias_write(
    *, child: Child, actor: Actor, name: str, kind: str, seen_in: str = ""
) -> ChildAlias:
    alias = ChildAlias(child=child, name=names.clean_name(name), kind=kind, seen_in=seen_in)
    _full_clean(alias, non_field="name")
    alias.save()
    audit.record_create(alias, actor=actor)
    child_refresh_search_text(child=child)
    child_refresh_name_keys(child=child)
    return alias


@transaction.atomic
def child_alias_remove(*, alias: ChildAlias, actor: Actor) -> None:
    _require_on_child(actor, Capability.CASE_WRITE, alias.child)
    _lock_child_first(alias.child_id)
    stored = row_locked(ChildAlias, alias.pk)  # its event holds the values it had
    if stored.child_id != alias.child_id:  # moved to another record by a merge meanwhile
        _lock_child_first(stored.child_id)
        _require_on_child(actor, Capability.CASE_WRITE, stored.child)
    child = stored.child
    audit.record_delete(stored, actor=actor)
    stored.delete()
    child_refresh_search_text(child=child)
    child_refresh_name_keys(child=child)
    child_cases_touch(child_id=child.pk)

"""Reference data: the facility registry and the oblasts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from accounts.roles import Capability
from accounts.selectors import actor_roles
from audit import services as audit
from core.checks import raise_field_errors, reject_unknown_fields
from core.db import row_locked, take_stored
from core.errors import PermissionDenied

from ..models import Facility, Oblast
from .checks import Actor, _assign, _check_coordinates, _full_clean

FACILITY_FIELDS: frozenset[str] = frozenset(
    {
        "name",
        "name_latin",
        "kind",
        "country",
        "region",
        "settlement",
        "latitude",
        "longitude",
        "notes",
    }
)


@transaction.atomic
def facility_save(
    *, actor: Actor, facility: Facility | None = None, data: Mapping[str, Any]
) -> Facility:
    """Create a facility, or change one when ``facility`` is given. The facility registry is
    shared reference data: anyone whose role writes cases keeps it."""
    if actor is not None and not actor_roles(actor).can(Capability.CASE_WRITE):
        raise PermissionDenied()
    reject_unknown_fields(data, FACILITY_FIELDS)
    if facility is None:
        created = _facility_written(Facility(), data)
        audit.record_create(created, actor=actor)
        return created
    # A change is written over the facility as stored now (``core.db.row_locked``).
    stored = row_locked(Facility, facility.pk)
    before = audit.snapshot(stored)
    audit.record_update(_facility_written(stored, data), before, actor=actor)
    take_stored(facility, stored)
    return facility


def _facility_written(facility: Facility, data: Mapping[str, Any]) -> Facility:
    _assign(facility, data)
    errors: dict[str, list[str]] = {}
    _check_coordinates(errors, "latitude", "longitude", facility.latitude, facility.longitude)
    raise_field_errors(errors)
    _full_clean(facility, non_field="name")
    facility.save()
    return facility


@transaction.atomic
def oblast_upsert(*, code: str, name_uk: str, name_en: str) -> tuple[Oblast, bool]:
    """Create or correct an oblast by its ISO code; returns (oblast, changed)."""
    oblast = Oblast.objects.filter(pk=code).first()
    if oblast is None:
        oblast = Oblast(code=code, name_uk=name_uk, name_en=name_en)
        _full_clean(oblast)
        oblast.save(force_insert=True)
        audit.record_create(oblast, actor=None)
        return oblast, True
    before = audit.snapshot(oblast)
    if _assign(oblast, {"name_uk": name_uk, "name_en": name_en}):
        _full_clean(oblast)
        oblast.save()
        audit.record_update(oblast, before, actor=None)
        return oblast, True
    return oblast, False

"""Reference data: the facility registry and the oblasts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from accounts.roles import Capability
from accounts.selectors import actor_roles
from audit import services as audit
from core.checks import raise_field_errors, reject_unknown_fields
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
    facility = facility or Facility()
    before = audit.snapshot(facility) if facility.pk is not None else None
    _assign(facility, data)
    errors: dict[str, list[str]] = {}
    _check_coordinates(errors, "latitude", "longitude", facility.latitude, facility.longitude)
    raise_field_errors(errors)
    _full_clean(facility, non_field="name")
    facility.save()
    if before is None:
        audit.record_create(facility, actor=actor)
    else:
        audit.record_update(facility, before, actor=actor)
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

"""Whereabouts: where a child was and is (the latest is the current location)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.checks import raise_field_errors

from ..models import Case, Child, Whereabouts
from .checks import (
    Actor,
    _check_coordinates,
    _lock_child_first,
    _not_in_future,
    _require_on_child,
)
from .records import AuditedRecords
from .versions import child_cases_touch

WHEREABOUTS_FIELDS: frozenset[str] = frozenset(
    {
        "facility",
        "country",
        "region",
        "settlement",
        "latitude",
        "longitude",
        "from_date",
        "to_date",
        "source_description",
    }
)


def _whereabouts_prepare(whereabouts: Whereabouts) -> None:
    errors: dict[str, list[str]] = {}
    _not_in_future(errors, "from_date", whereabouts.from_date)
    if (
        whereabouts.to_date
        and whereabouts.from_date
        and whereabouts.to_date < whereabouts.from_date
    ):
        errors.setdefault("to_date", []).append(_("Cannot be before the start date."))
    facility = whereabouts.facility
    if facility is not None and not whereabouts.country:
        whereabouts.country = facility.country
    if facility is not None and whereabouts.country != facility.country:
        errors.setdefault("country", []).append(_("Does not match the facility's country."))
    _check_coordinates(errors, "latitude", "longitude", whereabouts.latitude, whereabouts.longitude)
    raise_field_errors(errors)


def child_current_whereabouts_refresh(*, child: Child) -> Whereabouts | None:
    """Point the child at the latest whereabouts by start date (the current location), and
    keep its country on the child's cases (``Case.current_country``, what the case list
    filters by)."""
    latest = child.whereabouts.order_by("-from_date", "-id").first()
    Child.objects.filter(pk=child.pk).unaudited_update(
        "derived pointer; the whereabouts change that caused it is recorded",
        current_whereabouts=latest,
    )
    child.current_whereabouts = latest
    _cases_country_set(child_id=child.pk, country=str(latest.country) if latest else "")
    return latest


def _cases_country_set(*, child_id: int, country: str) -> None:
    Case.objects.filter(child_id=child_id).exclude(current_country=country).unaudited_update(
        "derived copy of the current whereabouts' country; the whereabouts change is recorded",
        current_country=country,
    )


def _unpoint(whereabouts: Whereabouts) -> None:
    Child.objects.filter(pk=whereabouts.child_id, current_whereabouts=whereabouts).unaudited_update(
        "derived pointer; the whereabouts deletion is recorded", current_whereabouts=None
    )


_WHEREABOUTS = AuditedRecords(
    model=Whereabouts,
    fields=WHEREABOUTS_FIELDS,
    parent="child",
    require=_require_on_child,
    clean_exclude=("child", "recorded_by", "facility"),
    prepare=_whereabouts_prepare,
    touch=lambda whereabouts: child_cases_touch(child_id=whereabouts.child_id),
    after_write=lambda whereabouts: child_current_whereabouts_refresh(child=whereabouts.child),
    before_delete=_unpoint,
    lock_first=lambda whereabouts: _lock_child_first(whereabouts.child_id),
)


@transaction.atomic
def whereabouts_record(*, child: Child, actor: Actor, data: Mapping[str, Any]) -> Whereabouts:
    return _WHEREABOUTS.create(actor=actor, parent=child, data=data, recorded_by=actor)


@transaction.atomic
def whereabouts_update(
    *, whereabouts: Whereabouts, actor: Actor, data: Mapping[str, Any]
) -> Whereabouts:
    return _WHEREABOUTS.update(whereabouts, actor=actor, data=data)


@transaction.atomic
def whereabouts_delete(*, whereabouts: Whereabouts, actor: Actor) -> None:
    _WHEREABOUTS.delete(whereabouts, actor=actor)

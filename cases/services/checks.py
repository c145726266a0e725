"""Checks every case service shares: who may act, which fields may be set, dates,
coordinates, and the model's own rules as errors that name the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Capability
from accounts.selectors import actor_roles
from core.checks import raise_field_errors
from core.errors import PermissionDenied, django_validation_fields

from .. import selectors
from ..exceptions import CaseNotFound
from ..models import Case, Child

# ``None`` is the system itself (seeds, tasks, commands): it is not bound by roles. Every
# request-driven caller passes the signed-in user (an API key's service account included).
Actor = User | None


def _require(actor: Actor, capability: Capability | Collection[Capability], case: Case) -> None:
    """Refuse unless ``actor`` holds ``capability`` (or one of several) on ``case``: 404 when
    the case is out of the actor's sight (its existence is not revealed), 403 when seen but
    not allowed."""
    wanted = (capability,) if isinstance(capability, Capability) else capability
    if actor is None or any(selectors.case_can(actor, c, case) for c in wanted):
        return
    if selectors.case_scope(actor=actor, case_id=case.pk) is None:
        raise CaseNotFound()
    raise PermissionDenied()


def _require_on_child(actor: Actor, capability: Capability, child: Child) -> None:
    """Refuse unless ``actor`` holds ``capability`` on a case of ``child`` (relatives and
    whereabouts belong to the child, who may have had cases with more than one owner)."""
    if actor is None:
        return
    roles = actor_roles(actor)
    if roles.is_superuser:
        return
    allowed = roles.organizations(capability)
    if allowed and Case.objects.filter(child=child, organization_id__in=allowed).exists():
        return
    visible = selectors.case_visible_to(actor=actor).filter(child=child).exists()
    if not visible:
        raise CaseNotFound()
    raise PermissionDenied()


def today() -> dt.date:
    """Today in the registry's time zone (Kyiv by default): the date caseworkers live in."""
    return timezone.localdate()


_A_DAY = dt.timedelta(days=1)


def _not_in_future(errors: dict[str, list[str]], field: str, value: dt.date | None) -> None:
    if value is None:
        return
    # A date before yesterday in UTC is before today in every time zone (they are at most a
    # day apart): the registry's own today (a time zone looked up) only for dates near it.
    if value < timezone.now().date() - _A_DAY:
        return
    if value > today():
        errors.setdefault(field, []).append(_("Cannot be in the future."))


def _within(value: Any, limit: int) -> bool:
    try:
        return -limit <= Decimal(str(value)) <= limit
    except (InvalidOperation, ValueError):
        return True  # not a number at all: the field's own check names it


def _check_coordinates(
    errors: dict[str, list[str]], lat_field: str, lon_field: str, lat: Any, lon: Any
) -> None:
    """Both or neither, and on the globe: the same rules as the CHECKs in ``models.py``, but
    naming the field instead of the constraint."""
    if (lat is None) != (lon is None):
        errors.setdefault(lat_field, []).append(_("Give both latitude and longitude, or neither."))
    if lat is not None and not _within(lat, 90):
        errors.setdefault(lat_field, []).append(_("Must be between -90 and 90."))
    if lon is not None and not _within(lon, 180):
        errors.setdefault(lon_field, []).append(_("Must be between -180 and 180."))


def _full_clean(
    instance: Any, *, exclude: Iterable[str] = (), non_field: str | None = None
) -> None:
    """Run the model's field, choice and constraint checks as a 400 naming each field.

    ``non_field`` names the field a whole-record error (a unique pair, say) is about.
    """
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=True)
    except DjangoValidationError as exc:
        fields = django_validation_fields(exc)
        if non_field and "non_field_errors" in fields:
            fields.setdefault(non_field, []).extend(fields.pop("non_field_errors"))
        raise_field_errors(fields)


def _assign(instance: Any, data: Mapping[str, Any]) -> list[str]:
    """Set the given fields; return the names of those whose value changed."""
    changed = []
    for field, value in data.items():
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


def _lock_child_first(child_id: int) -> None:
    """Lock a child before any of its cases (``FOR NO KEY UPDATE``, as an ``UPDATE`` of it).

    One order for every write: a child, then its cases. A child's records are bumped into
    each of its cases (``child_cases_touch``) and a rename reaches every case by a trigger,
    so a write holding one case and waiting for the child while another held the child and
    wanted that case would deadlock (a child with a closed case and an open one, renamed
    through one while a relative is recorded)."""
    list(Child.objects.select_for_update(no_key=True).filter(pk=child_id).values_list("pk"))


def _lock_case(case_id: int) -> Case:
    """The case locked, with its child (read as stored now), which is locked first
    (``_lock_child_first``)."""
    child_id = Case.objects.filter(pk=case_id).values_list("child_id", flat=True).first()
    if child_id is None:
        raise CaseNotFound()
    _lock_child_first(child_id)
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("child")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise CaseNotFound()
    if case.child_id != child_id:  # moved to another record by a merge meanwhile
        return _lock_case(case_id)
    return case

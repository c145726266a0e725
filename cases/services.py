"""Every write to the case registry. The admin, the API, imports, seeds and tasks call these.

Services are atomic, validate before writing, and return what they wrote. Error messages name the
field and the rule, never the child's personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from config.errors import Conflict, NotFound, ValidationFailed, django_validation_fields

from . import names, workflow
from .exceptions import CaseNotFound, OpenCaseExists, StaleVersion, TransitionNotAllowed
from .models import (
    Case,
    CaseNumberSequence,
    Child,
    ChildAlias,
    Facility,
    FollowUp,
    Oblast,
    Relative,
    Service,
    StatusChange,
    Whereabouts,
)
from .workflow import Status

Actor = User | None

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
CASE_FIELDS: frozenset[str] = frozenset(
    {
        "priority",
        "assignee",
        "pathway",
        "deported_on",
        "deported_from",
        "circumstances",
        "russian_citizenship_imposed",
        "under_russian_guardianship",
        "adopted_in_russia",
        "listed_in_adoption_database",
    }
)
# Fields that only the workflow may change; an update naming them is refused with a pointer.
WORKFLOW_FIELDS: frozenset[str] = frozenset(
    {"status", "returned_on", "closure_reason", "closed_at", "status_changed_at"}
)
RELATIVE_FIELDS: frozenset[str] = frozenset(
    {
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
    }
)
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
SERVICE_FIELDS: frozenset[str] = frozenset(
    {"kind", "status", "provider", "started_on", "ended_on", "notes"}
)


# ---------------------------------------------------------------------------------------------
# Shared checks
# ---------------------------------------------------------------------------------------------
def today() -> dt.date:
    """Today in the registry's time zone (Kyiv by default): the date caseworkers live in."""
    return timezone.localdate()


def _reject_unknown(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationFailed(
            _("Unknown field: %(names)s.") % {"names": ", ".join(unknown)},
            fields={name: [_("This field cannot be set here.")] for name in unknown},
        )


def _not_in_future(errors: dict[str, list[str]], field: str, value: dt.date | None) -> None:
    if value is not None and value > today():
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


def _raise(errors: Mapping[str, list[str]]) -> None:
    if errors:
        field, messages = next(iter(errors.items()))
        detail = messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
        raise ValidationFailed(detail, fields=errors)


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
        _raise(fields)


def _assign(instance: Any, data: Mapping[str, Any]) -> list[str]:
    """Set the given fields; return the names of those whose value changed."""
    changed = []
    for field, value in data.items():
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


# ---------------------------------------------------------------------------------------------
# Children
# ---------------------------------------------------------------------------------------------
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
    if child.date_of_birth is None and child.date_of_birth_precision != "estimated":
        errors.setdefault("date_of_birth_precision", []).append(
            _("Without a date of birth the precision must be 'estimated'.")
        )
    _check_coordinates(
        errors, "origin_latitude", "origin_longitude", child.origin_latitude, child.origin_longitude
    )
    _raise(errors)
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
        Child.objects.filter(pk=child.pk).update(search_text=child.search_text)
    return child


def _check_birth_before_deportation(
    date_of_birth: dt.date | None, deported_on: dt.date | None, *, field: str
) -> None:
    if date_of_birth and deported_on and deported_on < date_of_birth:
        raise ValidationFailed.on(field, _("The child cannot be taken before being born."))


@transaction.atomic
def child_update(*, child: Child, data: Mapping[str, Any]) -> list[str]:
    """Change a child's record; returns the changed field names."""
    _reject_unknown(data, CHILD_FIELDS)
    changed = _assign(child, data)
    if not changed:
        return []
    _child_prepare(child)
    if "date_of_birth" in changed and child.date_of_birth is not None:
        earliest = child.cases.filter(deported_on__isnull=False).order_by("deported_on").first()
        if earliest is not None:
            _check_birth_before_deportation(
                child.date_of_birth, earliest.deported_on, field="date_of_birth"
            )
    _full_clean(child, exclude=["current_whereabouts"])
    child.save()
    return changed


@transaction.atomic
def child_alias_add(*, child: Child, name: str, kind: str, seen_in: str = "") -> ChildAlias:
    alias = ChildAlias(child=child, name=names.clean_name(name), kind=kind, seen_in=seen_in)
    _full_clean(alias, non_field="name")
    alias.save()
    child_refresh_search_text(child=child)
    return alias


@transaction.atomic
def child_alias_remove(*, alias: ChildAlias) -> None:
    child = alias.child
    alias.delete()
    child_refresh_search_text(child=child)


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------
def case_numbers_allocate(*, year: int, count: int = 1) -> list[str]:
    """Take ``count`` consecutive case numbers for ``year`` (``UA-2026-000123``).

    The year's sequence row is locked for the rest of the transaction, so concurrent creations
    queue for a number instead of colliding.
    """
    with transaction.atomic():
        CaseNumberSequence.objects.get_or_create(year=year)
        sequence = CaseNumberSequence.objects.select_for_update().get(year=year)
        first = sequence.last + 1
        sequence.last += count
        sequence.save(update_fields=["last"])
    return [f"UA-{year:04d}-{n:06d}" for n in range(first, first + count)]


def _case_check(case: Case, *, date_of_birth: dt.date | None) -> None:
    """The case's own rules; ``date_of_birth`` is the child's, as it will be after the write."""
    errors: dict[str, list[str]] = {}
    _not_in_future(errors, "deported_on", case.deported_on)
    if case.assignee is not None and not case.assignee.is_active:
        errors.setdefault("assignee", []).append(_("Only an active account can be assigned."))
    _raise(errors)
    _check_birth_before_deportation(date_of_birth, case.deported_on, field="deported_on")


@transaction.atomic
def case_create(
    *,
    actor: Actor,
    child_data: Mapping[str, Any] | None = None,
    child: Child | None = None,
    data: Mapping[str, Any] | None = None,
    aliases: Iterable[Mapping[str, str]] = (),
    is_synthetic: bool = False,
) -> Case:
    """Open a case: for a new child (``child_data``) or a known one without an open case."""
    data = dict(data or {})
    _reject_unknown(data, CASE_FIELDS)
    if (child is None) == (child_data is None):
        raise ValidationFailed.on(
            "child", _("Give either a new child's record or an existing child.")
        )
    if child is None:
        assert child_data is not None
        _reject_unknown(child_data, CHILD_FIELDS)
        child = Child(**child_data, is_synthetic=is_synthetic)
        _child_prepare(child)
        _full_clean(child, exclude=["current_whereabouts"])
        child.save()
        for alias in aliases:
            child_alias_add(child=child, **alias)
    elif Case.objects.filter(child=child).open().exists():
        raise OpenCaseExists()

    now = timezone.now()
    case = Case(
        child=child,
        created_by=actor,
        status=Status.REPORTED,
        status_changed_at=now,
        is_synthetic=is_synthetic,
        **data,
    )
    case.number = case_numbers_allocate(year=timezone.localdate(now).year)[0]
    _case_check(case, date_of_birth=child.date_of_birth)
    _full_clean(case, exclude=["child", "created_by", "assignee"])
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        if Case.objects.filter(child=child).open().exists():
            raise OpenCaseExists() from exc
        raise
    StatusChange.objects.create(
        case=case,
        from_status="",
        to_status=Status.REPORTED,
        changed_at=now,
        actor=actor,
        reason=_("Case opened."),
        case_version=case.version,
    )
    return case


def _lock_case(case_id: int) -> Case:
    try:
        return Case.objects.select_for_update().select_related("child").get(pk=case_id)
    except Case.DoesNotExist as exc:
        raise CaseNotFound() from exc


@transaction.atomic
def case_update(
    *,
    case: Case,
    actor: Actor,
    data: Mapping[str, Any] | None = None,
    child_data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:
    """Change a case's (and its child's) fields; the status moves only through the workflow.

    With ``expected_version`` the write is refused when someone saved the case in between.
    """
    data = dict(data or {})
    workflow_fields = sorted(set(data) & WORKFLOW_FIELDS)
    if workflow_fields:
        raise ValidationFailed(
            _("The status changes only through a transition."),
            fields={f: [_("Use the transition endpoint or action.")] for f in workflow_fields},
        )
    _reject_unknown(data, CASE_FIELDS)
    locked = _lock_case(case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion()
    child = locked.child
    old_birth = child.date_of_birth
    new_birth = (child_data or {}).get("date_of_birth", old_birth)
    changed = _assign(locked, data)
    if changed:
        _case_check(locked, date_of_birth=new_birth)
        _full_clean(locked, exclude=["child", "created_by", "assignee"])
    # A correction may move the birth date and the date taken together. Each row is checked
    # against the other as stored (by the service and, on PostgreSQL, by triggers), so write
    # first the one that is consistent with the other's stored value: one always is.
    case_first = old_birth is None or locked.deported_on is None or old_birth <= locked.deported_on
    if changed and case_first:
        locked.save()
    child_changed = child_update(child=child, data=child_data) if child_data else []
    if not changed and not child_changed:
        return locked
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def case_transition(
    *,
    case_id: int,
    to: str,
    actor: Actor,
    reason: str = "",
    returned_on: dt.date | None = None,
    closure_reason: str = "",
    expected_version: int | None = None,
) -> Case:
    """Move a case through the workflow: lock, re-check against the table, write, record.

    On entering ``returned`` the 30/90/180-day follow-ups are scheduled once the move commits.
    """
    case = _lock_case(case_id)
    if expected_version is not None and case.version != expected_version:
        raise StaleVersion()
    if to not in Status.values:
        raise ValidationFailed.on("to", _("Not a status of the workflow."))
    transition = workflow.find_transition(case.status, to)
    if transition is None:
        allowed = ", ".join(t.target for t in workflow.transitions_from(case.status))
        raise TransitionNotAllowed(
            _("Cannot move a case from %(source)s to %(target)s; allowed: %(allowed)s.")
            % {"source": case.status, "target": to, "allowed": allowed},
            fields={"to": [_("Not allowed from the case's current status.")]},
        )

    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if workflow.REASON in transition.requires and not reason:
        errors[workflow.REASON] = [_("Say why the case moves back.")]
    if workflow.RETURNED_ON in transition.requires:
        if returned_on is None:
            errors[workflow.RETURNED_ON] = [_("The date the child returned is required.")]
        else:
            _not_in_future(errors, workflow.RETURNED_ON, returned_on)
            if case.deported_on and returned_on < case.deported_on:
                errors.setdefault(workflow.RETURNED_ON, []).append(
                    _("Cannot be before the date the child was taken.")
                )
    if workflow.CLOSURE_REASON in transition.requires:
        if not closure_reason:
            errors[workflow.CLOSURE_REASON] = [_("A closure reason is required to close a case.")]
        elif closure_reason not in workflow.ClosureReason.values:
            errors[workflow.CLOSURE_REASON] = [_("Not a known closure reason.")]
    _raise(errors)

    now = timezone.now()
    if to == Status.CLOSED:
        case.closure_reason = closure_reason
        case.closed_at = now
    elif case.status == Status.CLOSED:
        # Reopening: the child may have a newer open case; one open case per child.
        if Case.objects.filter(child_id=case.child_id).open().exclude(pk=case.pk).exists():
            raise OpenCaseExists(_("The child has another open case; reopen is refused."))
        case.closure_reason = ""
        case.closed_at = None
    if to == Status.RETURNED:
        case.returned_on = returned_on

    previous = case.status
    case.status = to
    case.status_changed_at = now
    case.version += 1
    case.save()
    StatusChange.objects.create(
        case=case,
        from_status=previous,
        to_status=to,
        changed_at=now,
        actor=actor,
        reason=reason,
        case_version=case.version,
    )
    if to == Status.RETURNED:
        from .tasks import case_follow_ups_schedule

        case_follow_ups_schedule.delay_on_commit(case.pk)
    return case


@transaction.atomic
def case_follow_ups_schedule(*, case_id: int) -> list[FollowUp]:
    """Create (or re-date) the 30/90/180-day follow-ups of a returned case. Idempotent."""
    case = _lock_case(case_id)
    if case.returned_on is None:
        return []
    written = []
    for days in workflow.FOLLOW_UP_DAYS:
        due_on = case.returned_on + dt.timedelta(days=days)
        follow_up, created = FollowUp.objects.get_or_create(
            case=case, days_after_return=days, defaults={"due_on": due_on}
        )
        if not created and follow_up.completed_on is None and follow_up.due_on != due_on:
            follow_up.due_on = due_on
            follow_up.save(update_fields=["due_on"])
        written.append(follow_up)
    return written


@transaction.atomic
def follow_up_complete(
    *, follow_up: FollowUp, actor: Actor, outcome: str, completed_on: dt.date, notes: str = ""
) -> FollowUp:
    errors: dict[str, list[str]] = {}
    if completed_on is None:
        errors["completed_on"] = [_("The date of the check is required.")]
    _not_in_future(errors, "completed_on", completed_on)
    if not outcome:
        errors["outcome"] = [_("Record the outcome of the check.")]
    _raise(errors)
    locked = FollowUp.objects.select_for_update().filter(pk=follow_up.pk).first()
    if locked is None:
        raise NotFound(_("No such follow-up."))
    if locked.completed_on is not None:
        # A check happened once; its record is evidence and is not rewritten.
        raise Conflict(
            _("This follow-up was already completed."),
            fields={"completed_on": [_("Already completed.")]},
        )
    follow_up.outcome = outcome
    follow_up.completed_on = completed_on
    follow_up.notes = notes or follow_up.notes
    follow_up.completed_by = actor
    _full_clean(follow_up, exclude=["case", "completed_by"])
    follow_up.save()
    return follow_up


@transaction.atomic
def follow_up_create(*, case: Case, due_on: dt.date, notes: str = "") -> FollowUp:
    follow_up = FollowUp(case=case, due_on=due_on, notes=notes)
    _full_clean(follow_up, exclude=["case"])
    follow_up.save()
    return follow_up


# ---------------------------------------------------------------------------------------------
# Relatives
# ---------------------------------------------------------------------------------------------
def _relative_prepare(relative: Relative) -> None:
    for field in ("given_name", "family_name", "patronymic"):
        setattr(relative, field, names.clean_name(getattr(relative, field)))
    errors: dict[str, list[str]] = {}
    _not_in_future(errors, "consent_recorded_on", relative.consent_recorded_on)
    if relative.consent_to_share and relative.consent_recorded_on is None:
        errors.setdefault("consent_recorded_on", []).append(_("Record the date consent was given."))
    _raise(errors)
    _full_clean(relative, exclude=["child"])


@transaction.atomic
def relative_create(*, child: Child, data: Mapping[str, Any]) -> Relative:
    _reject_unknown(data, RELATIVE_FIELDS)
    relative = Relative(child=child, **data)
    _relative_prepare(relative)
    relative.save()
    return relative


@transaction.atomic
def relative_update(*, relative: Relative, data: Mapping[str, Any]) -> Relative:
    _reject_unknown(data, RELATIVE_FIELDS)
    if _assign(relative, data):
        _relative_prepare(relative)
        relative.save()
    return relative


@transaction.atomic
def relative_delete(*, relative: Relative) -> None:
    relative.delete()


# ---------------------------------------------------------------------------------------------
# Whereabouts and facilities
# ---------------------------------------------------------------------------------------------
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
    _raise(errors)
    _full_clean(whereabouts, exclude=["child", "recorded_by", "facility"])


def child_current_whereabouts_refresh(*, child: Child) -> Whereabouts | None:
    """Point the child at the latest whereabouts by start date (the current location)."""
    latest = child.whereabouts.order_by("-from_date", "-id").first()
    Child.objects.filter(pk=child.pk).update(current_whereabouts=latest)
    child.current_whereabouts = latest
    return latest


@transaction.atomic
def whereabouts_record(*, child: Child, actor: Actor, data: Mapping[str, Any]) -> Whereabouts:
    _reject_unknown(data, WHEREABOUTS_FIELDS)
    whereabouts = Whereabouts(child=child, recorded_by=actor, **data)
    _whereabouts_prepare(whereabouts)
    whereabouts.save()
    child_current_whereabouts_refresh(child=child)
    return whereabouts


@transaction.atomic
def whereabouts_update(*, whereabouts: Whereabouts, data: Mapping[str, Any]) -> Whereabouts:
    _reject_unknown(data, WHEREABOUTS_FIELDS)
    if _assign(whereabouts, data):
        _whereabouts_prepare(whereabouts)
        whereabouts.save()
        child_current_whereabouts_refresh(child=whereabouts.child)
    return whereabouts


@transaction.atomic
def whereabouts_delete(*, whereabouts: Whereabouts) -> None:
    child = whereabouts.child
    Child.objects.filter(pk=child.pk, current_whereabouts=whereabouts).update(
        current_whereabouts=None
    )
    whereabouts.delete()
    child_current_whereabouts_refresh(child=child)


@transaction.atomic
def facility_save(*, facility: Facility | None = None, data: Mapping[str, Any]) -> Facility:
    """Create a facility, or change one when ``facility`` is given."""
    _reject_unknown(data, FACILITY_FIELDS)
    facility = facility or Facility()
    _assign(facility, data)
    errors: dict[str, list[str]] = {}
    _check_coordinates(errors, "latitude", "longitude", facility.latitude, facility.longitude)
    _raise(errors)
    _full_clean(facility, non_field="name")
    facility.save()
    return facility


# ---------------------------------------------------------------------------------------------
# Services (support after return)
# ---------------------------------------------------------------------------------------------
def _service_prepare(service: Service) -> None:
    errors: dict[str, list[str]] = {}
    _not_in_future(
        errors, "started_on", service.started_on if service.status != "planned" else None
    )
    if service.started_on and service.ended_on and service.ended_on < service.started_on:
        errors.setdefault("ended_on", []).append(_("Cannot be before the start date."))
    _raise(errors)
    _full_clean(service, exclude=["case"])


@transaction.atomic
def service_create(*, case: Case, data: Mapping[str, Any]) -> Service:
    _reject_unknown(data, SERVICE_FIELDS)
    service = Service(case=case, **data)
    _service_prepare(service)
    service.save()
    return service


@transaction.atomic
def service_update(*, service: Service, data: Mapping[str, Any]) -> Service:
    _reject_unknown(data, SERVICE_FIELDS)
    if _assign(service, data):
        _service_prepare(service)
        service.save()
    return service


# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def oblast_upsert(*, code: str, name_uk: str, name_en: str) -> tuple[Oblast, bool]:
    """Create or correct an oblast by its ISO code; returns (oblast, changed)."""
    oblast = Oblast.objects.filter(pk=code).first()
    if oblast is None:
        oblast = Oblast(code=code, name_uk=name_uk, name_en=name_en)
        _full_clean(oblast)
        oblast.save(force_insert=True)
        return oblast, True
    if _assign(oblast, {"name_uk": name_uk, "name_en": name_en}):
        _full_clean(oblast)
        oblast.save()
        return oblast, True
    return oblast, False

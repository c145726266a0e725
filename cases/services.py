"""Every write to the case registry. The admin, the API, imports, seeds and tasks call these.

Services are atomic, validate before writing, and return what they wrote. Error messages name the
field and the rule, never the child's personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Organization, User
from accounts.roles import Capability
from accounts.selectors import actor_roles
from accounts.services import ActingRefusals, acting_organization
from audit import services as audit
from audit.models import Action as AuditAction
from core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    django_validation_fields,
)

from . import names, selectors, workflow
from .exceptions import (
    CaseNotFound,
    ClosureNeedsApproval,
    OpenCaseExists,
    StaleVersion,
    TransitionNotAllowed,
)
from .models import (
    Case,
    CaseNumberSequence,
    CaseShare,
    Child,
    ChildAlias,
    ClosureRequest,
    ClosureRequestStatus,
    Facility,
    FollowUp,
    Oblast,
    Relative,
    Service,
    ShareScope,
    StatusChange,
    Whereabouts,
)
from .workflow import Status

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


_OPENING = ActingRefusals(
    no_role=_lazy("Your role does not allow opening cases."),
    several=_lazy("You belong to several organizations; say which one owns the case."),
    not_here=_lazy("You may not open cases for this organization."),
    unnamed=_lazy("Say which organization owns the case."),
)


def _creating_organization(actor: Actor, organization: Organization | None) -> Organization:
    """The organization a new case belongs to: the one given (where the actor may open
    cases), or the actor's only such organization."""
    owner = acting_organization(
        actor=actor,
        organization=organization,
        capabilities=(Capability.CASE_CREATE,),
        refusals=_OPENING,
    )
    assert owner is not None  # ``unnamed`` makes the system and superusers name one
    return owner


def _check_assignee(errors: dict[str, list[str]], case: Case) -> None:
    assignee = case.assignee
    if assignee is None:
        return
    if not assignee.is_active:
        errors.setdefault("assignee", []).append(_("Only an active account can be assigned."))
        return
    member = (
        case.organization_id is not None
        and selectors.assignee_candidates(organization_id=case.organization_id)
        .filter(pk=assignee.pk)
        .exists()
    )
    if not member:
        errors.setdefault("assignee", []).append(
            _("Only a caseworker or supervisor of the owning organization can be assigned.")
        )


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
        Child.objects.filter(pk=child.pk).unaudited_update(
            "derived search keys; the name or alias change that caused it is recorded",
            search_text=child.search_text,
        )
    return child


def _check_birth_before_deportation(
    date_of_birth: dt.date | None, deported_on: dt.date | None, *, field: str
) -> None:
    if date_of_birth and deported_on and deported_on < date_of_birth:
        raise ValidationFailed.on(field, _("The child cannot be taken before being born."))


@transaction.atomic
def child_update(*, child: Child, actor: Actor, data: Mapping[str, Any]) -> list[str]:
    """Change a child's record; returns the changed field names."""
    _require_on_child(actor, Capability.CASE_WRITE, child)
    _reject_unknown(data, CHILD_FIELDS)
    before = audit.snapshot(child)
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
    audit.record_update(child, before, actor=actor)
    return changed


@transaction.atomic
def child_alias_add(
    *, child: Child, actor: Actor, name: str, kind: str, seen_in: str = ""
) -> ChildAlias:
    _require_on_child(actor, Capability.CASE_WRITE, child)
    return _child_alias_write(child=child, actor=actor, name=name, kind=kind, seen_in=seen_in)


def _child_alias_write(
    *, child: Child, actor: Actor, name: str, kind: str, seen_in: str = ""
) -> ChildAlias:
    alias = ChildAlias(child=child, name=names.clean_name(name), kind=kind, seen_in=seen_in)
    _full_clean(alias, non_field="name")
    alias.save()
    audit.record_create(alias, actor=actor)
    child_refresh_search_text(child=child)
    return alias


@transaction.atomic
def child_alias_remove(*, alias: ChildAlias, actor: Actor) -> None:
    _require_on_child(actor, Capability.CASE_WRITE, alias.child)
    child = alias.child
    audit.record_delete(alias, actor=actor)
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
    _check_assignee(errors, case)
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
    organization: Organization | None = None,
    is_synthetic: bool = False,
) -> Case:
    """Open a case: for a new child (``child_data``) or a known one without an open case.

    The case belongs to ``organization``, or to the actor's only organization where their
    role opens cases. Assigning it at once takes a role that assigns (a supervisor's).
    """
    data = dict(data or {})
    _reject_unknown(data, CASE_FIELDS)
    organization = _creating_organization(actor, organization)
    if (
        data.get("assignee") is not None
        and actor is not None
        and not actor_roles(actor).can(Capability.CASE_ASSIGN, organization.pk)
    ):
        raise PermissionDenied(
            _("Only a supervisor assigns cases."),
            fields={"assignee": [_("Your role does not allow assigning.")]},
        )
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
        audit.record_create(child, actor=actor)
        for alias in aliases:
            _child_alias_write(child=child, actor=actor, **alias)
    elif Case.objects.filter(child=child).open().exists():
        raise OpenCaseExists()

    now = timezone.now()
    case = Case(
        child=child,
        organization=organization,
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
    audit.record_create(case, actor=actor)
    _status_change_write(
        case=case,
        from_status="",
        to_status=Status.REPORTED,
        changed_at=now,
        actor=actor,
        reason=_("Case opened."),
    )
    return case


def _status_change_write(
    *, case: Case, from_status: str, to_status: str, changed_at: Any, actor: Actor, reason: str
) -> StatusChange:
    change = StatusChange.objects.create(
        case=case,
        from_status=from_status,
        to_status=to_status,
        changed_at=changed_at,
        actor=actor,
        reason=reason,
        case_version=case.version,
    )
    audit.record_create(change, actor=actor)
    return change


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
    _require(actor, Capability.CASE_WRITE, locked)
    if "assignee" in data and data["assignee"] != locked.assignee:
        _require(actor, Capability.CASE_ASSIGN, locked)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion()
    child = locked.child
    before = audit.snapshot(locked)
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
    child_changed = child_update(child=child, actor=actor, data=child_data) if child_data else []
    if not changed and not child_changed:
        return locked
    locked.version += 1
    locked.save()
    action = AuditAction.ASSIGN if changed == ["assignee"] else AuditAction.UPDATE
    audit.record_update(locked, before, actor=actor, action=action)
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
    closure_request: ClosureRequest | None = None,
) -> Case:
    """Move a case through the workflow: lock, re-check against the table, write, record.

    Each move takes the capability the table names: closing and reopening a role that closes
    (a supervisor's); a caseworker requests the closure instead (``closure_request_create``),
    and its approval closes the case through here with ``closure_request``. On entering
    ``returned`` the 30/90/180-day follow-ups are scheduled once the move commits.
    """
    case = _lock_case(case_id)
    _require(actor, workflow.MOVE_CAPABILITIES, case)
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
    if actor is not None and not selectors.case_can(actor, transition.capability, case):
        if transition.capability == Capability.CASE_CLOSE:
            raise ClosureNeedsApproval()
        raise PermissionDenied()

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
    before = audit.snapshot(case)
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
    audit.record_update(
        case,
        before,
        actor=actor,
        action=AuditAction.TRANSITION,
        metadata={"from_status": previous, "to_status": to, "reason": reason},
    )
    _status_change_write(
        case=case,
        from_status=previous,
        to_status=to,
        changed_at=now,
        actor=actor,
        reason=reason,
    )
    if to == Status.CLOSED:
        # A closure decided otherwise leaves no request waiting on a closed case.
        pending = ClosureRequest.objects.select_for_update().filter(
            case=case, status=ClosureRequestStatus.PENDING
        )
        if closure_request is not None:
            pending = pending.exclude(pk=closure_request.pk)
        for waiting in pending:
            waiting_before = audit.snapshot(waiting)
            waiting.status = ClosureRequestStatus.SUPERSEDED
            waiting.decided_by = actor
            waiting.decided_at = now
            waiting.save(update_fields=["status", "decided_by", "decided_at"])
            audit.record_update(waiting, waiting_before, actor=actor)
    if to == Status.RETURNED:
        from .tasks import case_follow_ups_schedule

        case_follow_ups_schedule.delay_on_commit(case.pk)
    return case


# ---------------------------------------------------------------------------------------------
# Closure requests: a caseworker asks, a supervisor decides
# ---------------------------------------------------------------------------------------------
def _closure_fields(errors: dict[str, list[str]], closure_reason: str, reason: str) -> None:
    if not closure_reason:
        errors["closure_reason"] = [_("A closure reason is required to close a case.")]
    elif closure_reason not in workflow.ClosureReason.values:
        errors["closure_reason"] = [_("Not a known closure reason.")]
    if not reason:
        errors["reason"] = [_("Explain why the case should close.")]


@transaction.atomic
def closure_request_create(
    *, case_id: int, actor: Actor, closure_reason: str, reason: str
) -> ClosureRequest:
    """Ask a supervisor of the owning organization to close an open case."""
    case = _lock_case(case_id)
    _require(actor, Capability.CASE_REQUEST_CLOSURE, case)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    _closure_fields(errors, closure_reason, reason)
    _raise(errors)
    if case.status == Status.CLOSED:
        raise TransitionNotAllowed(
            _("The case is already closed."), fields={"case": [_("Already closed.")]}
        )
    if ClosureRequest.objects.filter(case=case, status=ClosureRequestStatus.PENDING).exists():
        raise Conflict(
            _("A closure request for this case is already waiting for a decision."),
            code="closure_request_pending",
        )
    closure = ClosureRequest.objects.create(
        case=case, closure_reason=closure_reason, reason=reason, requested_by=actor
    )
    audit.record(
        AuditAction.REQUEST,
        actor=actor,
        instance=closure,
        changes=audit.creation_changes(closure),
    )
    return closure


@transaction.atomic
def closure_request_decide(
    *, request_id: int, actor: Actor, approve: bool, note: str = ""
) -> ClosureRequest:
    """Approve (the case closes, with the request's reason) or reject a closure request."""
    request = (
        ClosureRequest.objects.select_for_update()
        .select_related("case")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound(_("No such closure request."), code="closure_request_not_found")
    _require(actor, Capability.CASE_CLOSE, request.case)
    if request.status != ClosureRequestStatus.PENDING:
        raise Conflict(
            _("The closure request was already decided."), code="closure_request_decided"
        )
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationFailed.on("note", _("Say why the closure is rejected."))
    before = audit.snapshot(request)
    if approve:
        case_transition(
            case_id=request.case_id,
            to=Status.CLOSED,
            actor=actor,
            reason=request.reason,
            closure_reason=request.closure_reason,
            closure_request=request,
        )
    request.status = ClosureRequestStatus.APPROVED if approve else ClosureRequestStatus.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record_update(
        request,
        before,
        actor=actor,
        action=AuditAction.APPROVE if approve else AuditAction.REJECT,
    )
    return request


# ---------------------------------------------------------------------------------------------
# Shares (referrals to other organizations)
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def case_share_create(
    *,
    case: Case,
    actor: Actor,
    organization: Organization,
    scope: str,
    reason: str,
    consent_reference: str,
    expires_at: dt.datetime | None = None,
) -> CaseShare:
    """Let another organization read a case, with a scope, a reason and the consent it rests
    on. One live share per organization: change a share by revoking it and sharing anew."""
    locked = _lock_case(case.pk)
    _require(actor, Capability.CASE_SHARE, locked)
    reason = (reason or "").strip()
    consent_reference = (consent_reference or "").strip()
    errors: dict[str, list[str]] = {}
    if organization.pk == locked.organization_id:
        errors["organization"] = [_("The case already belongs to this organization.")]
    elif not organization.is_active:
        errors["organization"] = [_("The organization is inactive.")]
    if scope not in ShareScope.values:
        errors["scope"] = [_("Choose full or limited.")]
    if not reason:
        errors["reason"] = [_("Say why the case is shared.")]
    if not consent_reference:
        errors["consent_reference"] = [_("Name the consent or legal basis of the share.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("Must be in the future.")]
    _raise(errors)
    if CaseShare.objects.filter(
        case=locked, organization=organization, revoked_at__isnull=True
    ).exists():
        raise Conflict(
            _("The case is already shared with this organization; revoke that share first."),
            code="share_exists",
            fields={"organization": [_("Already shared.")]},
        )
    share = CaseShare(
        case=locked,
        organization=organization,
        scope=scope,
        reason=reason,
        consent_reference=consent_reference,
        expires_at=expires_at,
        created_by=actor,
    )
    _full_clean(share, exclude=["case", "organization", "created_by", "revoked_by"])
    share.save()
    audit.record(
        AuditAction.SHARE, actor=actor, instance=share, changes=audit.creation_changes(share)
    )
    return share


@transaction.atomic
def case_share_revoke(*, share: CaseShare, actor: Actor, reason: str) -> CaseShare:
    """End a share at once. The record stays: who saw the case, and until when, matters."""
    locked = CaseShare.objects.select_for_update().select_related("case").get(pk=share.pk)
    _require(actor, Capability.CASE_SHARE, locked.case)
    if locked.revoked_at is not None:
        raise Conflict(_("The share was already revoked."), code="share_revoked")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.on("reason", _("Say why the share ends."))
    before = audit.snapshot(locked)
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.revoke_reason = reason
    locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit.record_update(locked, before, actor=actor, action=AuditAction.REVOKE)
    return locked


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
        if created:
            audit.record_create(follow_up, actor=None)
        elif follow_up.completed_on is None and follow_up.due_on != due_on:
            before = audit.snapshot(follow_up)
            follow_up.due_on = due_on
            follow_up.save(update_fields=["due_on"])
            audit.record_update(follow_up, before, actor=None)
        written.append(follow_up)
    return written


@transaction.atomic
def follow_up_complete(
    *, follow_up: FollowUp, actor: Actor, outcome: str, completed_on: dt.date, notes: str = ""
) -> FollowUp:
    _require(actor, Capability.CASE_WRITE, follow_up.case)
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
    before = audit.snapshot(locked)
    follow_up.outcome = outcome
    follow_up.completed_on = completed_on
    follow_up.notes = notes or follow_up.notes
    follow_up.completed_by = actor
    _full_clean(follow_up, exclude=["case", "completed_by"])
    follow_up.save()
    audit.record_update(follow_up, before, actor=actor)
    return follow_up


@transaction.atomic
def follow_up_create(*, case: Case, actor: Actor, due_on: dt.date, notes: str = "") -> FollowUp:
    _require(actor, Capability.CASE_WRITE, case)
    follow_up = FollowUp(case=case, due_on=due_on, notes=notes)
    _full_clean(follow_up, exclude=["case"])
    follow_up.save()
    audit.record_create(follow_up, actor=actor)
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
def relative_create(*, child: Child, actor: Actor, data: Mapping[str, Any]) -> Relative:
    _require_on_child(actor, Capability.CASE_WRITE, child)
    _reject_unknown(data, RELATIVE_FIELDS)
    relative = Relative(child=child, **data)
    _relative_prepare(relative)
    relative.save()
    audit.record_create(relative, actor=actor)
    return relative


@transaction.atomic
def relative_update(*, relative: Relative, actor: Actor, data: Mapping[str, Any]) -> Relative:
    _require_on_child(actor, Capability.CASE_WRITE, relative.child)
    _reject_unknown(data, RELATIVE_FIELDS)
    before = audit.snapshot(relative)
    if _assign(relative, data):
        _relative_prepare(relative)
        relative.save()
        audit.record_update(relative, before, actor=actor)
    return relative


@transaction.atomic
def relative_delete(*, relative: Relative, actor: Actor) -> None:
    _require_on_child(actor, Capability.CASE_WRITE, relative.child)
    audit.record_delete(relative, actor=actor)
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
    Child.objects.filter(pk=child.pk).unaudited_update(
        "derived pointer; the whereabouts change that caused it is recorded",
        current_whereabouts=latest,
    )
    child.current_whereabouts = latest
    return latest


@transaction.atomic
def whereabouts_record(*, child: Child, actor: Actor, data: Mapping[str, Any]) -> Whereabouts:
    _require_on_child(actor, Capability.CASE_WRITE, child)
    _reject_unknown(data, WHEREABOUTS_FIELDS)
    whereabouts = Whereabouts(child=child, recorded_by=actor, **data)
    _whereabouts_prepare(whereabouts)
    whereabouts.save()
    audit.record_create(whereabouts, actor=actor)
    child_current_whereabouts_refresh(child=child)
    return whereabouts


@transaction.atomic
def whereabouts_update(
    *, whereabouts: Whereabouts, actor: Actor, data: Mapping[str, Any]
) -> Whereabouts:
    _require_on_child(actor, Capability.CASE_WRITE, whereabouts.child)
    _reject_unknown(data, WHEREABOUTS_FIELDS)
    before = audit.snapshot(whereabouts)
    if _assign(whereabouts, data):
        _whereabouts_prepare(whereabouts)
        whereabouts.save()
        audit.record_update(whereabouts, before, actor=actor)
        child_current_whereabouts_refresh(child=whereabouts.child)
    return whereabouts


@transaction.atomic
def whereabouts_delete(*, whereabouts: Whereabouts, actor: Actor) -> None:
    _require_on_child(actor, Capability.CASE_WRITE, whereabouts.child)
    child = whereabouts.child
    Child.objects.filter(pk=child.pk, current_whereabouts=whereabouts).unaudited_update(
        "derived pointer; the whereabouts deletion is recorded", current_whereabouts=None
    )
    audit.record_delete(whereabouts, actor=actor)
    whereabouts.delete()
    child_current_whereabouts_refresh(child=child)


@transaction.atomic
def facility_save(
    *, actor: Actor, facility: Facility | None = None, data: Mapping[str, Any]
) -> Facility:
    """Create a facility, or change one when ``facility`` is given. The facility registry is
    shared reference data: anyone whose role writes cases keeps it."""
    if actor is not None and not actor_roles(actor).can(Capability.CASE_WRITE):
        raise PermissionDenied()
    _reject_unknown(data, FACILITY_FIELDS)
    facility = facility or Facility()
    before = audit.snapshot(facility) if facility.pk is not None else None
    _assign(facility, data)
    errors: dict[str, list[str]] = {}
    _check_coordinates(errors, "latitude", "longitude", facility.latitude, facility.longitude)
    _raise(errors)
    _full_clean(facility, non_field="name")
    facility.save()
    if before is None:
        audit.record_create(facility, actor=actor)
    else:
        audit.record_update(facility, before, actor=actor)
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
def service_create(*, case: Case, actor: Actor, data: Mapping[str, Any]) -> Service:
    _require(actor, Capability.CASE_WRITE, case)
    _reject_unknown(data, SERVICE_FIELDS)
    service = Service(case=case, **data)
    _service_prepare(service)
    service.save()
    audit.record_create(service, actor=actor)
    return service


@transaction.atomic
def service_update(*, service: Service, actor: Actor, data: Mapping[str, Any]) -> Service:
    _require(actor, Capability.CASE_WRITE, service.case)
    _reject_unknown(data, SERVICE_FIELDS)
    before = audit.snapshot(service)
    if _assign(service, data):
        _service_prepare(service)
        service.save()
        audit.record_update(service, before, actor=actor)
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
        audit.record_create(oblast, actor=None)
        return oblast, True
    before = audit.snapshot(oblast)
    if _assign(oblast, {"name_uk": name_uk, "name_en": name_en}):
        _full_clean(oblast)
        oblast.save()
        audit.record_update(oblast, before, actor=None)
        return oblast, True
    return oblast, False

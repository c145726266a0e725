"""Cases: numbering, opening (for a new child or a known one) and changing a case's fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Organization
from accounts.roles import Capability
from accounts.selectors import actor_roles
from accounts.services import ActingRefusals, acting_organization
from audit import services as audit
from audit.models import Action as AuditAction
from core.checks import raise_field_errors, reject_unknown_fields
from core.errors import PermissionDenied, ValidationFailed

from .. import selectors
from ..exceptions import LikelyCandidatesFound, OpenCaseExists, StaleVersion
from ..models import Case, CaseNumberSequence, Child, StatusChange, Whereabouts
from ..selectors_matching import likely_among, new_child_candidates
from ..workflow import Status
from .checks import (
    Actor,
    _assign,
    _full_clean,
    _lock_case,
    _lock_child_first,
    _not_in_future,
    _require,
)
from .children import (
    CHILD_FIELDS,
    _check_birth_before_deportation,
    _child_alias_write,
    _child_prepare,
    child_refresh_name_keys,
    child_update,
)
from .duplicates import duplicate_pairs_find_later

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
    raise_field_errors(errors)
    _check_birth_before_deportation(date_of_birth, case.deported_on, field="deported_on")


def _current_country(child: Child) -> str:
    """The country of the child's current whereabouts (none for a child just recorded)."""
    if child.current_whereabouts_id is None:
        return ""
    return str(
        Whereabouts.objects.filter(pk=child.current_whereabouts_id)
        .values_list("country", flat=True)
        .first()
        or ""
    )


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
    candidates_checked: bool = False,
) -> Case:
    """Open a case: for a new child (``child_data``) or a known one without an open case.

    The case belongs to ``organization``, or to the actor's only organization where their
    role opens cases. Assigning it at once takes a role that assigns (a supervisor's).

    A new child is first matched against the registry (its names and the aliases given with
    it): when a likely candidate turns up, the opening is refused with
    ``LikelyCandidatesFound``, carrying the candidates as the actor may see them, so that
    nobody opens a second record of a child the registry holds without looking. The caller
    says it looked with ``candidates_checked=True`` (the API's retry, the admin's tick; test
    factories and demo loaders pass it for the look-alike children they make on purpose).
    """
    data = dict(data or {})
    aliases = [dict(alias) for alias in aliases]
    reject_unknown_fields(data, CASE_FIELDS)
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
        reject_unknown_fields(child_data, CHILD_FIELDS)
        child = Child(**child_data, is_synthetic=is_synthetic)
        _child_prepare(child)
        _full_clean(child, exclude=["current_whereabouts"])
        if not candidates_checked:
            seen = new_child_candidates(
                actor=actor,
                child=child,
                alias_names=[str(alias.get("name", "")) for alias in aliases],
            )
            if likely_among(seen):
                raise LikelyCandidatesFound(candidates=seen)
        child.save()
        child_refresh_name_keys(child=child)
        audit.record_create(child, actor=actor)
        for alias in aliases:
            _child_alias_write(child=child, actor=actor, **alias)
        duplicate_pairs_find_later(child=child)
    else:
        # A reopening of the child's other case waits, or is waited for (it locks the child
        # first too): one of the two is refused, never a constraint's error.
        _lock_child_first(child.pk)
        if Case.objects.filter(child=child).open().exists():
            raise OpenCaseExists()

    now = timezone.now()
    case = Case(
        child=child,
        organization=organization,
        created_by=actor,
        status=Status.REPORTED,
        status_changed_at=now,
        is_synthetic=is_synthetic,
        # A child already known may be somewhere already: the list filters by it.
        current_country=_current_country(child),
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
    *,
    case: Case,
    from_status: str,
    to_status: str,
    changed_at: Any,
    actor: Actor,
    reason: str,
    closure_reason: str = "",
) -> StatusChange:
    change = StatusChange.objects.create(
        case=case,
        from_status=from_status,
        to_status=to_status,
        changed_at=changed_at,
        actor=actor,
        reason=reason,
        closure_reason=closure_reason if to_status == Status.CLOSED else "",
        case_version=case.version,
    )
    audit.record_create(change, actor=actor)
    return change


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
    reject_unknown_fields(data, CASE_FIELDS)
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

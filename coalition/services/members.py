"""Members of the coalition and what they do: the international organizations it deals with
(states need no recording), the reference data (the six project areas, the declaration's four
commitments), members with the areas they act in and lead, projects, and pledges with their
status workflow.

Every write checks the actor (coordinators write), validates every field and names each one
at fault, writes in one transaction and records one audit event. Changes take the version the
caller read (``expected_version``) and are refused with 412 when someone changed the record
since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit import services as audit
from audit.models import Action
from core.errors import Conflict, ValidationFailed

from ..models import (
    Commitment,
    DatePrecision,
    Member,
    MemberArea,
    MemberRole,
    Party,
    PartyKind,
    Pledge,
    PledgeKind,
    PledgeStatus,
    PledgeStatusChange,
    Project,
    ProjectArea,
    ProjectStatus,
)
from .common import (
    ORGANIZATION_CODE,
    Actor,
    Errors,
    audit_created,
    audit_updated,
    bump_version,
    check_choice,
    check_date,
    check_dates_ordered,
    check_money,
    locked,
    party_for_code,
    record_snapshot,
    reject_unknown,
    require_writer,
    stripped,
    visible_sources,
)

_R = TypeVar("_R", Project, Pledge)

# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class OrganizationExists(Conflict):
    code = "organization_exists"
    default_detail = gettext_lazy("An organization with this code is recorded already.")


class MemberExists(Conflict):
    code = "member_exists"
    default_detail = gettext_lazy(
        "This state or organization is a member already: change its membership instead."
    )


class PledgeTransitionNotAllowed(Conflict):
    code = "pledge_transition_not_allowed"
    default_detail = gettext_lazy("A pledge cannot move from its status to the one asked.")


# ---------------------------------------------------------------------------------------------
# Parties: international organizations (a state is created by its code on first use)
# ---------------------------------------------------------------------------------------------
ORGANIZATION_FIELDS = frozenset({"code", "name", "name_uk", "abbreviation", "sources"})
_ORGANIZATION_TEXTS = ("code", "name", "name_uk", "abbreviation")
ORGANIZATION_UPDATE_FIELDS = ORGANIZATION_FIELDS - {"code"}


def _check_organization(errors: Errors, party: Party) -> None:
    if not party.name:
        errors.add("name", _("Give the organization's name."))
    for field, limit in (("name", 200), ("name_uk", 200), ("abbreviation", 30)):
        if len(getattr(party, field)) > limit:
            errors.add(field, _("At most %(limit)s characters.") % {"limit": limit})


@transaction.atomic
def organization_record(*, actor: Actor, data: Mapping[str, Any]) -> Party:
    """Record an international organization under its code (a lower-case slug, e.g.
    ``council-of-europe``)."""
    require_writer(actor)
    reject_unknown(data, ORGANIZATION_FIELDS)
    cleaned = stripped(data, _ORGANIZATION_TEXTS)
    sources = visible_sources(actor, cleaned.pop("sources", []))
    errors = Errors()
    code = cleaned.get("code", "")
    if not ORGANIZATION_CODE.match(code):
        errors.add(
            "code",
            _(
                "Give a lower-case code of 3 to 40 letters, digits and hyphens "
                "(e.g. council-of-europe); states are named by their country code."
            ),
        )
    party = Party(kind=PartyKind.ORGANIZATION, **cleaned)
    _check_organization(errors, party)
    errors.raise_if_any()
    if Party.objects.filter(code=code).exists():
        raise OrganizationExists(fields={"code": [str(OrganizationExists.default_detail)]})
    party.save()
    party.sources.set(sources)
    audit_created(party, actor=actor, relations=("sources",))
    return party


@transaction.atomic
def organization_update(
    *, party: Party, actor: Actor, data: Mapping[str, Any], expected_version: int | None = None
) -> Party:
    """Change an organization's names. A state's names come from its country code."""
    require_writer(actor)
    reject_unknown(data, ORGANIZATION_UPDATE_FIELDS)
    party = locked(Party, party.pk, expected_version=expected_version)
    if party.kind != PartyKind.ORGANIZATION:
        raise ValidationFailed.on(
            "code", _("A state's names come from its country code: there is nothing to change.")
        )
    before = record_snapshot(party, ("sources",))
    cleaned = stripped(data, _ORGANIZATION_TEXTS)
    sources = visible_sources(actor, cleaned.pop("sources")) if "sources" in cleaned else None
    for field, value in cleaned.items():
        setattr(party, field, value)
    errors = Errors()
    _check_organization(errors, party)
    errors.raise_if_any()
    party.save()
    if sources is not None:
        party.sources.set(sources)
    if audit_updated(party, before, actor=actor, relations=("sources",)):
        bump_version(party)
    return party


# ---------------------------------------------------------------------------------------------
# Reference data: project areas and commitments (seeded by the system)
# ---------------------------------------------------------------------------------------------
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def _sync_reference(
    model: type[ProjectArea] | type[Commitment],
    *,
    actor: Actor,
    code: str,
    values: dict[str, Any],
    sources: Sequence[int],
) -> tuple[Any, str]:
    require_writer(actor)
    cited = visible_sources(actor, list(sources))
    record = model.objects.select_for_update().filter(code=code).first()
    if record is None:
        record = model.objects.create(code=code, **values)
        record.sources.set(cited)
        audit_created(record, actor=actor, relations=("sources",))
        return record, CREATED
    before = record_snapshot(record, ("sources",))
    changed = [name for name, value in values.items() if getattr(record, name) != value]
    for name in changed:
        setattr(record, name, values[name])
    if changed:
        record.save(update_fields=changed)
    if sorted(s.pk for s in cited) != before["sources"]:
        record.sources.set(cited)
    if not audit_updated(record, before, actor=actor, relations=("sources",)):
        return record, UNCHANGED
    return record, UPDATED


@transaction.atomic
def project_area_sync(
    *,
    actor: Actor,
    code: str,
    position: int,
    name: str,
    name_uk: str,
    sources: Sequence[int] = (),
) -> tuple[ProjectArea, str]:
    """The project area ``code`` as given; returns it and what was done (``created``, ``updated``
    or ``unchanged``)."""
    values = {"position": position, "name": name, "name_uk": name_uk}
    return _sync_reference(ProjectArea, actor=actor, code=code, values=values, sources=sources)


@transaction.atomic
def commitment_sync(
    *,
    actor: Actor,
    code: str,
    position: int,
    text: str,
    text_uk: str,
    sources: Sequence[int] = (),
) -> tuple[Commitment, str]:
    """The commitment ``code`` as given; returns it and what was done (``created``, ``updated``
    or ``unchanged``)."""
    values = {"position": position, "text": text, "text_uk": text_uk}
    return _sync_reference(Commitment, actor=actor, code=code, values=values, sources=sources)


def area_for_code(code: Any, *, field: str = "area") -> ProjectArea:
    area = ProjectArea.objects.filter(code=code).first() if isinstance(code, str) and code else None
    if area is None:
        raise ValidationFailed.on(
            field,
            _("Unknown area; choose one of: %(known)s.")
            % {"known": ", ".join(ProjectArea.objects.values_list("code", flat=True))},
        )
    return area


def member_for_code(code: Any, *, field: str = "member") -> Member:
    """The member that the party ``code`` names (a party that is no member is refused)."""
    party = party_for_code(code, field=field)
    member = Member.objects.filter(party=party).first()
    if member is None:
        raise ValidationFailed.on(
            field, _("%(code)s is not a member of the coalition.") % {"code": party.code}
        )
    return member


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------
MEMBER_FIELDS = frozenset(
    {
        "party",
        "role",
        "joined_on",
        "joined_precision",
        "left_on",
        "endorsed_declaration",
        "note",
        "sources",
        "areas",
        "leads",
    }
)
MEMBER_UPDATE_FIELDS = MEMBER_FIELDS - {"party"}
MEMBER_RELATIONS = ("sources",)
# A membership's date is known to the day, the month or the year.
MEMBER_PRECISIONS = (DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR)
# A member joins on a day, in a month or in a year: the choices its input offers.
MEMBER_PRECISION_CHOICES = [(p.value, p.label) for p in MEMBER_PRECISIONS]


def _member_areas(
    errors: Errors, data: Mapping[str, Any], current: Member | None
) -> dict[str, bool] | None:
    """The areas (code → leads) the data asks for, or ``None`` when it leaves them alone. A
    member leads only an area it acts in, and at most one (the Framework Document: a member
    "may lead one")."""
    if "areas" not in data and "leads" not in data:
        return None
    if "areas" in data:
        codes = data["areas"]
    elif current is not None:
        codes = [row.area.code for row in current.areas.select_related("area")]
    else:
        codes = []
    leads = data.get("leads")
    if "leads" not in data and current is not None:
        leads = [row.area.code for row in current.areas.select_related("area") if row.leads]
    leads = [] if leads is None else leads
    if not isinstance(codes, list | tuple) or not all(isinstance(c, str) for c in codes):
        errors.add("areas", _("Give a list of area codes."))
        return None
    if not isinstance(leads, list | tuple) or not all(isinstance(c, str) for c in leads):
        errors.add("leads", _("Give a list of area codes."))
        return None
    known = set(ProjectArea.objects.values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        errors.add(
            "areas",
            _("Unknown area %(code)s; choose among: %(known)s.")
            % {"code": unknown[0][:50], "known": ", ".join(sorted(known))},
        )
    if len(set(codes)) != len(codes):
        errors.add("areas", _("Name each area once."))
    outside = [c for c in leads if c not in codes]
    if outside:
        errors.add(
            "leads",
            _("A member leads only an area it acts in: add %(code)s to its areas.")
            % {"code": outside[0][:50]},
        )
    if len(set(leads)) > 1:
        errors.add("leads", _("A member may lead one area."))
    return {code: code in leads for code in codes}


def _check_member(errors: Errors, member: Member) -> None:
    check_choice(errors, "role", member.role, MemberRole)
    if member.joined_precision not in MEMBER_PRECISIONS:
        errors.add(
            "joined_precision",
            _("Unknown precision; choose one of: %(known)s.")
            % {"known": ", ".join(MEMBER_PRECISIONS)},
        )
    check_date(
        errors,
        "joined_on",
        member.joined_on,
        precision=member.joined_precision,
        precision_field="joined_precision",
    )
    check_date(errors, "left_on", member.left_on)
    check_dates_ordered(errors, "joined_on", member.joined_on, "left_on", member.left_on)


def _write_member_areas(member: Member, areas: dict[str, bool]) -> bool:
    """Make the member's areas exactly ``areas``; returns whether anything changed."""
    by_code = {a.code: a for a in ProjectArea.objects.filter(code__in=areas)}
    current = {row.area.code: row for row in member.areas.select_related("area")}
    changed = False
    for code, row in current.items():
        if code not in areas:
            row.delete()
            changed = True
        elif row.leads != areas[code]:
            row.leads = areas[code]
            row.save(update_fields=["leads"])
            changed = True
    for code, leads in areas.items():
        if code not in current:
            MemberArea.objects.create(member=member, area=by_code[code], leads=leads)
            changed = True
    return changed


def _areas_snapshot(member: Member) -> dict[str, Any]:
    return {
        "areas": sorted(member.areas.values_list("area__code", flat=True)),
        "leads": sorted(member.areas.filter(leads=True).values_list("area__code", flat=True)),
    }


@transaction.atomic
def member_record(*, actor: Actor, data: Mapping[str, Any]) -> Member:
    """Record a party's membership: its role, when it joined (and left), the areas it acts in
    and leads, the sources. One membership per party."""
    require_writer(actor)
    reject_unknown(data, MEMBER_FIELDS)
    cleaned = stripped(data, ("note",))
    errors = Errors()
    party = party_for_code(cleaned.get("party"), field="party")
    member = Member(
        party=party,
        role=cleaned.get("role", MemberRole.MEMBER),
        joined_on=cleaned.get("joined_on"),
        joined_precision=cleaned.get("joined_precision") or DatePrecision.DAY,
        left_on=cleaned.get("left_on"),
        endorsed_declaration=bool(cleaned.get("endorsed_declaration", True)),
        note=cleaned.get("note", ""),
        created_by=actor,
    )
    _check_member(errors, member)
    areas = _member_areas(errors, cleaned, None)
    sources = visible_sources(actor, cleaned.get("sources", []))
    errors.raise_if_any()
    if Member.objects.filter(party=party).exists():
        raise MemberExists(fields={"party": [str(MemberExists.default_detail)]})
    member.save()
    member.sources.set(sources)
    if areas:
        _write_member_areas(member, areas)
    audit.record(
        Action.CREATE,
        actor=actor,
        instance=member,
        changes={
            name: [None, value]
            for name, value in {
                **record_snapshot(member, MEMBER_RELATIONS),
                **_areas_snapshot(member),
            }.items()
        },
    )
    return member


@transaction.atomic
def member_update(
    *, member: Member, actor: Actor, data: Mapping[str, Any], expected_version: int | None = None
) -> Member:
    """Change a membership (only the fields given); nothing changed, nothing written."""
    require_writer(actor)
    reject_unknown(data, MEMBER_UPDATE_FIELDS)
    member = locked(Member, member.pk, expected_version=expected_version)
    before = {**record_snapshot(member, MEMBER_RELATIONS), **_areas_snapshot(member)}
    cleaned = stripped(data, ("note",) if "note" in data else ())
    errors = Errors()
    for field in ("role", "joined_on", "joined_precision", "left_on", "note"):
        if field in cleaned:
            setattr(member, field, cleaned[field])
    if "endorsed_declaration" in cleaned:
        member.endorsed_declaration = bool(cleaned["endorsed_declaration"])
    if not member.joined_precision:
        member.joined_precision = DatePrecision.DAY
    _check_member(errors, member)
    areas = _member_areas(errors, cleaned, member)
    sources = visible_sources(actor, cleaned["sources"]) if "sources" in cleaned else None
    errors.raise_if_any()
    member.save()
    if sources is not None:
        member.sources.set(sources)
    if areas is not None:
        _write_member_areas(member, areas)
    changes = audit.diff(
        before, {**record_snapshot(member, MEMBER_RELATIONS), **_areas_snapshot(member)}
    )
    if changes:
        audit.record(Action.UPDATE, actor=actor, instance=member, changes=changes)
        bump_version(member)
    return member


def _save_applied(
    record: _R,
    apply: Callable[[Errors, _R, Mapping[str, Any]], None],
    data: Mapping[str, Any],
    *,
    actor: Actor,
    texts: tuple[str, ...],
) -> None:
    """Apply ``data`` (its ``texts`` stripped) to ``record`` with ``apply``, which collects
    every field's error; refuse them all, or save the record and the sources given."""
    cleaned = stripped(data, texts)
    errors = Errors()
    apply(errors, record, cleaned)
    sources = visible_sources(actor, cleaned["sources"]) if "sources" in cleaned else None
    errors.raise_if_any()
    record.save()
    if sources is not None:
        record.sources.set(sources)


# ---------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------
PROJECT_FIELDS = frozenset(
    {
        "title",
        "description",
        "area",
        "lead",
        "status",
        "starts_on",
        "ends_on",
        "budget",
        "budget_currency",
        "sources",
    }
)
PROJECT_RELATIONS = ("sources",)
PROJECT_TEXTS = ("title", "description", "budget_currency")


def _apply_project(errors: Errors, project: Project, data: Mapping[str, Any]) -> None:
    for field in ("title", "description", "status", "starts_on", "ends_on", "budget"):
        if field in data:
            setattr(project, field, data[field])
    if "budget_currency" in data:
        project.budget_currency = data["budget_currency"].upper()
    if "area" in data:
        try:
            project.area = area_for_code(data["area"])
        except ValidationFailed as exc:
            errors.fields.update(exc.fields)
    if "lead" in data:
        if data["lead"] in (None, ""):
            project.lead = None
        else:
            try:
                project.lead = member_for_code(data["lead"], field="lead")
            except ValidationFailed as exc:
                errors.fields.update(exc.fields)
    if not project.title:
        errors.add("title", _("Give the project's title."))
    elif len(project.title) > 300:
        errors.add("title", _("At most %(limit)s characters.") % {"limit": 300})
    if project.area_id is None and "area" not in errors.fields:
        errors.add("area", _("Give the project's area."))
    check_choice(errors, "status", project.status, ProjectStatus)
    check_date(errors, "starts_on", project.starts_on, not_future=False)
    check_date(errors, "ends_on", project.ends_on, not_future=False)
    check_dates_ordered(errors, "starts_on", project.starts_on, "ends_on", project.ends_on)
    check_money(errors, "budget", project.budget, "budget_currency", project.budget_currency)


@transaction.atomic
def project_record(*, actor: Actor, data: Mapping[str, Any]) -> Project:
    """Record a project in one of the six areas, led by a member (or not yet)."""
    require_writer(actor)
    reject_unknown(data, PROJECT_FIELDS)
    project = Project(created_by=actor)
    _save_applied(project, _apply_project, data, actor=actor, texts=PROJECT_TEXTS)
    audit_created(project, actor=actor, relations=PROJECT_RELATIONS)
    return project


@transaction.atomic
def project_update(
    *, project: Project, actor: Actor, data: Mapping[str, Any], expected_version: int | None = None
) -> Project:
    require_writer(actor)
    reject_unknown(data, PROJECT_FIELDS)
    project = locked(Project, project.pk, expected_version=expected_version)
    before = record_snapshot(project, PROJECT_RELATIONS)
    _save_applied(project, _apply_project, data, actor=actor, texts=PROJECT_TEXTS)
    if project.area_id is not None and "area" in data:
        # A pledge to a project is to the project's area.
        # Each moved pledge is a change of its own: audited (as the actor's), its version up.
        Pledge.objects.filter(project=project).exclude(area=project.area).audit_as(
            actor=actor
        ).update(area=project.area, version=F("version") + 1, updated_at=timezone.now())
    if audit_updated(project, before, actor=actor, relations=PROJECT_RELATIONS):
        bump_version(project)
    return project


# ---------------------------------------------------------------------------------------------
# Pledges and their workflow
# ---------------------------------------------------------------------------------------------
PLEDGE_FIELDS = frozenset(
    {
        "member",
        "project",
        "area",
        "kind",
        "description",
        "amount",
        "currency",
        "pledged_on",
        "due_on",
        "sources",
    }
)
PLEDGE_RELATIONS = ("sources",)
PLEDGE_TEXTS = ("description", "currency")

# The workflow of a pledge, as data: the service, the admin's actions and the API read it.
PLEDGE_TRANSITIONS: dict[str, frozenset[str]] = {
    PledgeStatus.PLEDGED: frozenset({PledgeStatus.IN_PROGRESS, PledgeStatus.WITHDRAWN}),
    PledgeStatus.IN_PROGRESS: frozenset({PledgeStatus.DELIVERED, PledgeStatus.WITHDRAWN}),
    PledgeStatus.DELIVERED: frozenset(),
    PledgeStatus.WITHDRAWN: frozenset(),
}


def pledge_moves(status: str) -> list[str]:
    """The statuses a pledge in ``status`` may move to, in workflow order."""
    allowed = PLEDGE_TRANSITIONS.get(status, frozenset())
    return [s for s in PledgeStatus.values if s in allowed]


def _apply_pledge(errors: Errors, pledge: Pledge, data: Mapping[str, Any]) -> None:
    for field in ("kind", "description", "amount", "pledged_on", "due_on"):
        if field in data:
            setattr(pledge, field, data[field])
    if "currency" in data:
        pledge.currency = data["currency"].upper()
    if "member" in data:
        try:
            pledge.member = member_for_code(data["member"])
        except ValidationFailed as exc:
            errors.fields.update(exc.fields)
    if "project" in data:
        project_id = data["project"]
        if project_id is None:
            pledge.project = None
        else:
            project = (
                Project.objects.filter(pk=project_id).first()
                if isinstance(project_id, int) and not isinstance(project_id, bool)
                else None
            )
            if project is None:
                errors.add("project", _("No such project."))
            else:
                pledge.project = project
    area = None
    if data.get("area") not in (None, ""):
        try:
            area = area_for_code(data["area"])
        except ValidationFailed as exc:
            errors.fields.update(exc.fields)
    if pledge.project is not None:
        # A pledge to a project is a pledge to the project's area.
        if area is not None and area.pk != pledge.project.area_id:
            errors.add(
                "area",
                _("A pledge to a project is to the project's area (%(code)s).")
                % {"code": pledge.project.area.code},
            )
        pledge.area = pledge.project.area
    elif area is not None:
        pledge.area = area
    elif pledge.area_id is None and "area" not in errors.fields and "project" not in errors.fields:
        errors.add("area", _("Give a project or an area."))
    if pledge.member_id is None and "member" not in errors.fields:
        errors.add("member", _("Give the member that pledged (its country or organization code)."))
    check_choice(errors, "kind", pledge.kind, PledgeKind)
    if not pledge.description:
        errors.add("description", _("Say what was promised."))
    check_money(errors, "amount", pledge.amount, "currency", pledge.currency)
    if pledge.kind == PledgeKind.MONEY and pledge.amount is None and "amount" not in errors.fields:
        errors.add("amount", _("A pledge of money gives its amount and currency."))
    check_date(errors, "pledged_on", pledge.pledged_on)
    check_date(errors, "due_on", pledge.due_on, not_future=False)
    check_dates_ordered(errors, "pledged_on", pledge.pledged_on, "due_on", pledge.due_on)


@transaction.atomic
def pledge_record(*, actor: Actor, data: Mapping[str, Any]) -> Pledge:
    """Record a member's pledge to a project (and so to its area) or to an area; its history
    starts with the move to ``pledged``."""
    require_writer(actor)
    reject_unknown(data, PLEDGE_FIELDS)
    now = timezone.now()
    pledge = Pledge(status=PledgeStatus.PLEDGED, status_changed_at=now, created_by=actor)
    _save_applied(pledge, _apply_pledge, data, actor=actor, texts=PLEDGE_TEXTS)
    PledgeStatusChange.objects.create(
        pledge=pledge, from_status="", to_status=PledgeStatus.PLEDGED, changed_at=now, actor=actor
    )
    audit_created(pledge, actor=actor, relations=PLEDGE_RELATIONS)
    return pledge


@transaction.atomic
def pledge_update(
    *, pledge: Pledge, actor: Actor, data: Mapping[str, Any], expected_version: int | None = None
) -> Pledge:
    """Change what a pledge says (not its status: ``pledge_transition`` moves it)."""
    require_writer(actor)
    reject_unknown(data, PLEDGE_FIELDS)
    pledge = locked(Pledge, pledge.pk, expected_version=expected_version)
    before = record_snapshot(pledge, PLEDGE_RELATIONS)
    _save_applied(pledge, _apply_pledge, data, actor=actor, texts=PLEDGE_TEXTS)
    if audit_updated(pledge, before, actor=actor, relations=PLEDGE_RELATIONS):
        bump_version(pledge)
    return pledge


@transaction.atomic
def pledge_transition(
    *,
    pledge: Pledge,
    to_status: Any,
    actor: Actor,
    note: str = "",
    expected_version: int | None = None,
) -> Pledge:
    """Move a pledge along its workflow (``PLEDGE_TRANSITIONS``): locks the row, checks the
    move against the current status, keeps the change with its time and actor, audits it."""
    require_writer(actor)
    if to_status not in PledgeStatus.values:
        raise ValidationFailed.on(
            "to",
            _("Unknown status; choose one of: %(known)s.")
            % {"known": ", ".join(PledgeStatus.values)},
        )
    pledge = locked(Pledge, pledge.pk, expected_version=expected_version)
    from_status = pledge.status
    if to_status not in PLEDGE_TRANSITIONS.get(from_status, frozenset()):
        moves = pledge_moves(from_status)
        raise PledgeTransitionNotAllowed(
            _("A pledge %(from)s cannot move to %(to)s; it may move to: %(moves)s.")
            % {
                "from": from_status,
                "to": to_status,
                "moves": ", ".join(moves) if moves else _("nothing (its status is final)"),
            },
            fields={"to": [_("Not allowed from %(from)s.") % {"from": from_status}]},
        )
    now = timezone.now()
    pledge.status = to_status
    pledge.status_changed_at = now
    pledge.version += 1
    pledge.save(update_fields=["status", "status_changed_at", "version", "updated_at"])
    PledgeStatusChange.objects.create(
        pledge=pledge,
        from_status=from_status,
        to_status=to_status,
        changed_at=now,
        actor=actor,
        note=str(note or "").strip(),
    )
    audit.record(
        Action.TRANSITION,
        actor=actor,
        instance=pledge,
        changes={"status": [from_status, to_status]},
    )
    return pledge


def is_overdue(pledge: Pledge, *, today: dt.date | None = None) -> bool:
    """Past its due date and neither delivered nor withdrawn (the selector's annotation says
    the same in SQL)."""
    today = today or timezone.localdate()
    return (
        pledge.due_on is not None
        and pledge.due_on < today
        and pledge.status in (PledgeStatus.PLEDGED, PledgeStatus.IN_PROGRESS)
    )

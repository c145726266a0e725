"""Lists of named children handed over at a meeting or named in a statement, and their entries.

Who writes: coordinators (``WRITE_COALITION``) of the list's keeping organization, superusers
and the system (``None``). A coordinator records a new list for their organization (a choice
when they coordinate for several; a superuser always names it).

An entry may be linked to a case the actor sees (``cases.selectors.case_visible_to``) or to a
case of the list's keeping organization (a coordinator acts for their organization's cases,
though they read none of them). Any other case is "No such case", whether it exists or not.

An entry and its case's workflow never contradict each other: an entry may be recorded as
``returned`` only when its case (if linked) is returned in the registry, and once the case is
returned the entry shows it (``coalition.selectors.lists.effective_outcome``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.roles import Capability
from accounts.selectors import actor_roles
from audit import services as audit
from audit.models import AuditEvent
from cases.models import Case
from cases.selectors import case_visible_to
from core.errors import ValidationFailed
from sources.models import FigureQualifier

from ..models import ChildList, ChildListEntry, DatePrecision, EntryOutcome, Meeting, Statement
from ..selectors.lists import EntryAsSeen, case_has_child_home, names_read
from .common import (
    Actor,
    CoalitionWriteDenied,
    Errors,
    audit_created,
    audit_updated,
    bump_version,
    check_choice,
    check_date,
    locked,
    parties_for_codes,
    party_for_code,
    record_snapshot,
    reject_unknown,
    require_writer,
    stripped,
    visible_sources,
)

LIST_FIELDS = frozenset(
    {
        "title",
        "organization",
        "meeting",
        "statement",
        "handed_by",
        "handed_to",
        "handed_on",
        "date_precision",
        "count_claimed",
        "count_qualifier",
        "script",
        "note",
        "sources",
    }
)
LIST_RELATIONS = ("handed_to", "sources")
_LIST_TEXTS = ("title", "script", "note")

ENTRY_FIELDS = frozenset(
    {
        "position",
        "name_as_written",
        "date_of_birth_as_written",
        "details",
        "case",
        "outcome",
        "outcome_on",
    }
)
_ENTRY_TEXTS = ("name_as_written", "date_of_birth_as_written", "details")
# One request adds at most this many entries (a list handed over holds hundreds).
BULK_LIMIT = 1000

# ISO 15924: four letters, the first upper case (Cyrl, Latn).
SCRIPT_CODE = re.compile(r"^[A-Z][a-z]{3}$")


# ---------------------------------------------------------------------------------------------
# Who may write which list
# ---------------------------------------------------------------------------------------------
def _writes_for(actor: Actor, organization_id: int) -> bool:
    if actor is None:
        return True
    return actor_roles(actor).can(Capability.WRITE_COALITION, organization_id)


def require_list_writer(actor: Actor, child_list: ChildList) -> None:
    """Coordinators of the list's keeping organization, superusers and the system."""
    require_writer(actor)
    if not _writes_for(actor, child_list.organization_id):
        raise CoalitionWriteDenied(
            _("Only coordinators of the organization keeping this list may change it.")
        )


def may_write_list(actor: Actor, child_list: ChildList | None) -> bool:
    """For the admin's buttons: what ``require_list_writer`` would allow (a new list: whether
    the actor coordinates anywhere)."""
    if actor is None:
        return True
    if child_list is None or child_list.pk is None:
        return actor_roles(actor).can(Capability.WRITE_COALITION)
    return _writes_for(actor, child_list.organization_id)


def _keeping_organization(actor: Actor, given: Any, errors: Errors) -> Organization | None:
    """The organization a new list is kept by: the one given (which the actor must coordinate
    for), else the actor's only organization where they write the coalition."""
    if isinstance(given, Organization):
        given = given.pk
    if given is not None and (isinstance(given, bool) or not isinstance(given, int)):
        errors.add("organization", _("Give an organization's id."))
        return None
    roles = None if actor is None else actor_roles(actor)
    if given is None:
        writes = [] if roles is None else roles.organizations(Capability.WRITE_COALITION)
        if roles is not None and not roles.is_superuser and len(writes) == 1:
            return Organization.objects.get(pk=writes[0])
        errors.add("organization", _("Say which organization keeps the list."))
        return None
    if not _writes_for(actor, given):
        errors.add("organization", _("You do not coordinate for this organization."))
        return None
    organization = Organization.objects.filter(pk=given).first()
    if organization is None:
        errors.add("organization", _("No such organization."))
    return organization


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------
def _by_id(model: Any, value: Any, field: str, errors: Errors) -> Any:
    if value is None or isinstance(value, model):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(field, _("Give an id."))
        return None
    found = model.objects.filter(pk=value).first()
    if found is None:
        errors.add(field, _("No such record: %(id)s.") % {"id": value})
    return found


def _apply_list_data(
    actor: Actor, child_list: ChildList, data: Mapping[str, Any], errors: Errors
) -> dict[str, Any]:
    """Set the list's own fields from ``data``; the relations to set are returned."""
    relations: dict[str, Any] = {}
    for name in ("title", "handed_on", "date_precision", "count_claimed", "count_qualifier"):
        if name in data:
            setattr(child_list, name, data[name])
    for name in ("script", "note"):
        if name in data:
            setattr(child_list, name, data[name])
    if "meeting" in data:
        child_list.meeting = _by_id(Meeting, data["meeting"], "meeting", errors)
    if "statement" in data:
        child_list.statement = _by_id(Statement, data["statement"], "statement", errors)
    if "handed_by" in data:
        code = data["handed_by"]
        if code in (None, ""):
            child_list.handed_by = None
        else:
            try:
                child_list.handed_by = party_for_code(code, field="handed_by")
            except ValidationFailed as exc:
                for message in exc.fields.get("handed_by", [exc.detail]):
                    errors.add("handed_by", message)
    if "handed_to" in data:
        try:
            relations["handed_to"] = parties_for_codes(data["handed_to"], field="handed_to")
        except ValidationFailed as exc:
            for message in exc.fields.get("handed_to", [exc.detail]):
                errors.add("handed_to", message)
    if "sources" in data:
        try:
            relations["sources"] = visible_sources(actor, data["sources"])
        except ValidationFailed as exc:
            for message in exc.fields.get("sources", [exc.detail]):
                errors.add("sources", message)
    return relations


def _too_long(instance: Any, names: Sequence[str]) -> list[tuple[str, str]]:
    found = []
    for name in names:
        limit = instance._meta.get_field(name).max_length
        if limit is not None and len(getattr(instance, name) or "") > limit:
            found.append((name, _("At most %(limit)d characters.") % {"limit": limit}))
    return found


def _check_list(child_list: ChildList, errors: Errors) -> None:
    if not child_list.title:
        errors.add("title", _("This field is required."))
    for field, message in _too_long(child_list, _LIST_TEXTS):
        errors.add(field, message)
    if (
        child_list.meeting_id is None
        and child_list.statement_id is None
        and "meeting" not in errors.fields
        and "statement" not in errors.fields
    ):
        errors.add(
            "meeting",
            _("Say at which meeting the list was handed over, or in which statement."),
        )
    check_date(
        errors,
        "handed_on",
        child_list.handed_on,
        precision=child_list.date_precision,
        precision_field="date_precision",
        required=True,
    )
    count: Any = child_list.count_claimed
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        errors.add("count_claimed", _("Give a whole number, 0 or more."))
    check_choice(errors, "count_qualifier", child_list.count_qualifier, FigureQualifier)
    if child_list.script and not SCRIPT_CODE.match(child_list.script):
        errors.add("script", _("Give an ISO 15924 code of four letters, e.g. Cyrl or Latn."))


def _check_list_date_against_entries(child_list: ChildList, errors: Errors) -> None:
    if child_list.pk is None or child_list.handed_on is None or "handed_on" in errors.fields:
        return
    earlier = child_list.entries.filter(outcome_on__lt=child_list.handed_on).exists()
    if earlier:
        errors.add("handed_on", _("Some entries have outcomes dated before this date."))


@transaction.atomic
def child_list_create(
    *, actor: Actor, data: Mapping[str, Any], is_synthetic: bool = False
) -> ChildList:
    """Record a list handed over at a meeting or named in a statement."""
    require_writer(actor)
    reject_unknown(data, LIST_FIELDS)
    data = stripped(data, _LIST_TEXTS)
    errors = Errors()
    organization = _keeping_organization(actor, data.get("organization"), errors)
    child_list = ChildList(
        created_by=actor,
        is_synthetic=is_synthetic,
        date_precision=DatePrecision.DAY,
        count_qualifier=FigureQualifier.STATED,
    )
    if organization is not None:
        child_list.organization = organization
    relations = _apply_list_data(actor, child_list, data, errors)
    _check_list(child_list, errors)
    errors.raise_if_any()
    child_list.save()
    for name, related in relations.items():
        getattr(child_list, name).set(related)
    audit_created(child_list, actor=actor, relations=LIST_RELATIONS)
    return child_list


@transaction.atomic
def child_list_update(
    *,
    actor: Actor,
    child_list: ChildList,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> ChildList:
    """Change a list's own fields (not its entries). Nothing changed, nothing written."""
    require_writer(actor)
    reject_unknown(data, LIST_FIELDS)
    child_list = locked(ChildList, child_list.pk, expected_version=expected_version)
    require_list_writer(actor, child_list)
    data = stripped(data, _LIST_TEXTS)
    before = record_snapshot(child_list, LIST_RELATIONS)
    errors = Errors()
    if "organization" in data:
        organization = _keeping_organization(actor, data["organization"], errors)
        if organization is not None:
            child_list.organization = organization
    relations = _apply_list_data(actor, child_list, data, errors)
    _check_list(child_list, errors)
    _check_list_date_against_entries(child_list, errors)
    errors.raise_if_any()
    child_list.save()
    for name, related in relations.items():
        getattr(child_list, name).set(related)
    if audit_updated(child_list, before, actor=actor, relations=LIST_RELATIONS):
        bump_version(child_list)
    return child_list


# ---------------------------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------------------------
def may_link_case(actor: Actor, child_list: ChildList, case_id: int) -> bool:
    """Whether ``actor`` may tie an entry of ``child_list`` to the case ``case_id``: one they
    see, or one of the list's keeping organization."""
    if actor is None:
        return Case.objects.filter(pk=case_id).exists()
    if Case.objects.filter(pk=case_id, organization_id=child_list.organization_id).exists():
        return True
    return case_visible_to(actor=actor).filter(pk=case_id).exists()


def _not_returned_message(case: Case, *, named: bool) -> str:
    if named:
        return _(
            "Case %(number)s is not returned in the registry: move the case through its "
            "workflow first."
        ) % {"number": case.number}
    return _("The linked case is not returned in the registry: move the case first.")


def _entry_case(
    actor: Actor, child_list: ChildList, value: Any, field: str, errors: Errors
) -> tuple[bool, Case | None]:
    """The case ``value`` names, if the actor may link it; (ok, case)."""
    if value is None:
        return True, None
    pk = value.pk if isinstance(value, Case) else value
    if isinstance(pk, bool) or not isinstance(pk, int) or not may_link_case(actor, child_list, pk):
        errors.add(field, _("No such case."))
        return False, None
    return True, Case.objects.get(pk=pk)


def _check_entry(
    actor: Actor,
    child_list: ChildList,
    entry: ChildListEntry,
    errors: Errors,
    *,
    prefix: str = "",
    changed: frozenset[str] = ENTRY_FIELDS,
    taken_positions: set[int],
    taken_cases: dict[int, int],
) -> None:
    """Every rule of one entry; fields named with ``prefix`` (``entries.3.``) in bulk."""

    def add(field: str, message: Any) -> None:
        errors.add(f"{prefix}{field}", message)

    if not entry.name_as_written:
        add("name_as_written", _("This field is required."))
    for field, message in _too_long(entry, _ENTRY_TEXTS):
        add(field, message)
    position: Any = entry.position
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        add("position", _("Give a whole number, 1 or more."))
    elif position in taken_positions:
        add("position", _("Another entry of the list has this number."))
    if entry.outcome not in EntryOutcome.values:
        add(
            "outcome",
            _("Unknown value; choose one of: %(known)s.")
            % {"known": ", ".join(EntryOutcome.values)},
        )
        return
    local = Errors()
    check_date(local, "outcome_on", entry.outcome_on, required=entry.outcome != EntryOutcome.LISTED)
    if not local and entry.outcome_on is not None and entry.outcome_on < child_list.handed_on:
        local.add(
            "outcome_on",
            _("Cannot be before the list's date (%(day)s).")
            % {"day": child_list.handed_on.isoformat()},
        )
    for field, messages in local.fields.items():
        for message in messages:
            add(field, message)
    case = entry.case if entry.case_id is not None else None
    if case is not None:
        other = taken_cases.get(case.pk)
        if other is not None:
            add(
                "case",
                _("This case is already on the list (number %(position)s).") % {"position": other},
            )
        if entry.outcome == EntryOutcome.RETURNED and not case_has_child_home(case):
            # The number only to whom the case is visible (a coordinator reads no case).
            named = actor is None or case_visible_to(actor=actor).filter(pk=case.pk).exists()
            field = "outcome" if "outcome" in changed else "case"
            add(field, _not_returned_message(case, named=named))


def _entry_from(
    actor: Actor,
    child_list: ChildList,
    entry: ChildListEntry,
    data: Mapping[str, Any],
    errors: Errors,
    prefix: str,
) -> bool:
    """Set ``entry``'s fields from ``data``; False when its case is refused."""
    for name in (
        "position",
        "name_as_written",
        "date_of_birth_as_written",
        "details",
        "outcome",
        "outcome_on",
    ):
        if name in data:
            setattr(entry, name, data[name])
    if entry.outcome is None:
        entry.outcome = EntryOutcome.LISTED
    if "case" in data:
        ok, case = _entry_case(actor, child_list, data["case"], f"{prefix}case", errors)
        if not ok:
            return False
        entry.case = case
    return True


def _taken(
    child_list: ChildList, *, excluding: int | None = None
) -> tuple[set[int], dict[int, int]]:
    rows = ChildListEntry.objects.filter(child_list=child_list)
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    positions: set[int] = set()
    cases: dict[int, int] = {}
    for position, case_id in rows.values_list("position", "case_id"):
        positions.add(position)
        if case_id is not None:
            cases[case_id] = position
    return positions, cases


@transaction.atomic
def entries_add(
    *, actor: Actor, child_list: ChildList, rows: Sequence[Mapping[str, Any]], bulk: bool = True
) -> list[ChildListEntry]:
    """Add entries to a list, all or none: one bad row refuses every row, each error named by
    its row (``entries.<index>.<field>``; a single entry, ``bulk=False``, by its field alone).
    An entry without a ``position`` takes the next number on the list."""
    child_list = locked(ChildList, child_list.pk)
    require_list_writer(actor, child_list)
    if not isinstance(rows, list | tuple) or not rows:
        raise ValidationFailed.on("entries", _("Give at least one entry."))
    if len(rows) > BULK_LIMIT:
        raise ValidationFailed.on(
            "entries", _("At most %(limit)d entries at once.") % {"limit": BULK_LIMIT}
        )
    positions, cases = _taken(child_list)
    next_position = (child_list.entries.aggregate(top=Max("position"))["top"] or 0) + 1
    errors = Errors()
    entries: list[ChildListEntry] = []
    for index, raw in enumerate(rows):
        prefix = f"entries.{index}." if bulk else ""
        if not isinstance(raw, Mapping):
            errors.add(f"entries.{index}", _("Give an entry as an object."))
            continue
        unknown = sorted(set(raw) - ENTRY_FIELDS)
        for name in unknown:
            errors.add(f"{prefix}{name}", _("This field cannot be set here."))
        data = stripped(raw, _ENTRY_TEXTS)
        entry = ChildListEntry(child_list=child_list, created_by=actor)
        if not _entry_from(actor, child_list, entry, data, errors, prefix):
            continue
        if data.get("position") is None:
            while next_position in positions:
                next_position += 1
            entry.position = next_position
        _check_entry(
            actor,
            child_list,
            entry,
            errors,
            prefix=prefix,
            taken_positions=positions,
            taken_cases=cases,
        )
        if isinstance(entry.position, int):
            positions.add(entry.position)
        if entry.case_id is not None:
            cases.setdefault(entry.case_id, entry.position)
        entries.append(entry)
    errors.raise_if_any()
    for entry in entries:
        entry.save()
        audit_created(entry, actor=actor)
    _lists_touched([child_list.pk])
    return entries


def entry_add(*, actor: Actor, child_list: ChildList, data: Mapping[str, Any]) -> ChildListEntry:
    """Add one entry (``entries_add`` of one row, its errors named by field)."""
    return entries_add(actor=actor, child_list=child_list, rows=[data], bulk=False)[0]


@transaction.atomic
def entry_update(
    *,
    actor: Actor,
    entry: ChildListEntry,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> ChildListEntry:
    """Change an entry: its texts, number, outcome, or its case (``None`` unlinks it).
    Nothing changed, nothing written."""
    require_writer(actor)
    reject_unknown(data, ENTRY_FIELDS)
    entry = locked(ChildListEntry, entry.pk, expected_version=expected_version)
    child_list = ChildList.objects.get(pk=entry.child_list_id)
    require_list_writer(actor, child_list)
    data = stripped(data, _ENTRY_TEXTS)
    before = record_snapshot(entry)
    errors = Errors()
    if "case" in data and (
        (data["case"].pk if isinstance(data["case"], Case) else data["case"]) == entry.case_id
    ):
        data = {k: v for k, v in data.items() if k != "case"}  # the same case: not relinked
    if (
        "case" in data
        and entry.case_id is not None
        and actor is not None
        and not may_link_case(actor, child_list, entry.case_id)
    ):
        # Unlinking (or relinking) would show the names of a case out of the actor's sight.
        raise ValidationFailed.on(
            "case", _("Only someone who may see this entry's case may unlink or relink it.")
        )
    if _entry_from(actor, child_list, entry, data, errors, ""):
        positions, cases = _taken(child_list, excluding=entry.pk)
        _check_entry(
            actor,
            child_list,
            entry,
            errors,
            changed=frozenset(data),
            taken_positions=positions,
            taken_cases=cases,
        )
    errors.raise_if_any()
    entry.save()
    if audit_updated(entry, before, actor=actor):
        bump_version(entry)
        _lists_touched([child_list.pk])
    return entry


_TOUCH_REASON = "what a list or an entry shows follows audited changes of its entries or cases"


def _lists_touched(list_ids: Sequence[int]) -> None:
    """A list's summary (entries held, outcomes, returns) changed with its entries: its
    ``updated_at`` and ``version`` move, so partners syncing lists by ``updated_since`` see it
    and its ETag changes with what it shows."""
    ChildList.objects.filter(pk__in=list_ids).unaudited_update(
        _TOUCH_REASON, updated_at=timezone.now(), version=F("version") + 1
    )


def entries_follow_their_case(*, case_id: int) -> None:
    """A linked case's child came home or stopped being home (its entries show it): its
    entries' ``updated_at`` and ``version`` move with it (sync and ETags see the change), and their
    lists'. No audit event: the case's move is the audited change."""
    entries = ChildListEntry.objects.filter(case_id=case_id)
    list_ids = list(entries.values_list("child_list_id", flat=True).distinct())
    if list_ids:
        entries.unaudited_update(_TOUCH_REASON, updated_at=timezone.now(), version=F("version") + 1)
        _lists_touched(list_ids)


# ---------------------------------------------------------------------------------------------
# Audited reads
# ---------------------------------------------------------------------------------------------
def entries_read_record(
    *,
    actor: Any,
    child_list: ChildList,
    seen: Sequence[EntryAsSeen],
    query: Mapping[str, Any] | None = None,
) -> AuditEvent | None:
    """Record the read of the names ``seen`` shows, in one event of the list, naming the
    entries shown and their cases; nothing when no name was shown."""
    records = names_read(seen)
    if not records:
        return None
    hidden = sum(1 for item in seen if not item.shows_name)
    return audit.record_read(
        actor=actor,
        of=child_list,
        records=records,
        query=query,
        metadata={"entries_hidden": hidden},
    )

"""Deciding a possible duplicate, and merging two records of one child.

A merge moves everything that hangs on the merged record to the kept one (cases with their
evidence, closure requests and history; aliases; whereabouts; relatives; external references),
adds the merged record's name as an alias, fills the kept record's blank fields from it, and
keeps the merged record as a pointer (``merged_into``) so that a link to it still leads
somewhere. Every moved row is audited, and so are both children. Nothing is deleted but what
the kept record already holds (an alias it already has).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action as AuditAction
from core.errors import ValidationFailed

from .. import names
from ..exceptions import (
    BothCasesOpen,
    ChildAlreadyMerged,
    DuplicatePairDecided,
    DuplicatePairNotFound,
    MergeDatesConflict,
)
from ..models import (
    AliasKind,
    Case,
    Child,
    ChildAlias,
    ChildNameKey,
    DuplicateDecision,
    DuplicatePair,
    ExternalReference,
    ParentalCare,
    Relative,
    Sex,
    Whereabouts,
)
from ..selectors_duplicates import duplicate_pairs_visible_to
from .checks import Actor, _require_on_child
from .children import child_refresh_name_keys, child_refresh_search_text, child_update
from .duplicates import duplicate_pairs_find_later
from .versions import child_cases_touch
from .whereabouts import child_current_whereabouts_refresh

# The kept record's fields a merge fills from the merged one when the kept one has nothing
# there, with the value that counts as nothing.
_FILLED_WHEN_BLANK: dict[str, Any] = {
    "patronymic": "",
    "sex": Sex.UNKNOWN,
    "origin_oblast": None,
    "origin_settlement": "",
    "parental_care": ParentalCare.UNKNOWN,
    "distinguishing_notes": "",
}
# Fields filled together, when the kept record has no value in the first of them.
_FILLED_TOGETHER: tuple[tuple[str, ...], ...] = (
    ("date_of_birth", "date_of_birth_precision"),
    ("origin_latitude", "origin_longitude"),
)
_ALIAS_MAX = ChildAlias._meta.get_field("name").max_length or 300


def _move(rows: Any, kept: Child, actor: Actor, merged: Child) -> int:
    """Point each row at ``kept``; one audit event each, naming the merged record."""
    moved = 0
    for row in rows:
        before = audit.snapshot(row, fields=["child"])
        row.child = kept
        row.save(update_fields=["child"])
        audit.record_update(row, before, actor=actor, metadata={"merged_from": merged.pk})
        moved += 1
    return moved


def _move_cases(cases: list[Case], kept: Child, actor: Actor, merged: Child) -> int:
    """Move the merged record's cases. A case opened for the kept child since the check above
    (its row is not locked by the merge) meets the database's one-open-case rule: the same
    refusal as the check's, never an error."""
    try:
        with transaction.atomic():
            return _move(cases, kept, actor, merged)
    except IntegrityError:
        if Case.objects.filter(child=kept).open().exists():
            raise BothCasesOpen() from None
        raise


def _move_aliases(kept: Child, merged: Child, actor: Actor) -> int:
    """Move the merged record's aliases, then add its own name as one; an alias the kept record
    already has (or its own name) is dropped instead."""
    taken = {names.clean_name(kept.full_name), *kept.aliases.values_list("name", flat=True)}
    moved = 0
    for alias in merged.aliases.order_by("id"):
        if alias.name in taken:
            audit.record_delete(alias, actor=actor, metadata={"merged_into": kept.pk})
            alias.delete()
            continue
        moved += _move([alias], kept, actor, merged)
        taken.add(alias.name)
    name = names.clean_name(merged.full_name)[:_ALIAS_MAX]
    if name and name not in taken:
        alias = ChildAlias.objects.create(
            child=kept,
            name=name,
            kind=AliasKind.CHANGED
            if merged.family_name != kept.family_name
            else AliasKind.SPELLING,
            seen_in=_("record #%(id)s, merged into this one") % {"id": merged.pk},
        )
        audit.record_create(alias, actor=actor, metadata={"merged_from": merged.pk})
        moved += 1
    return moved


def _carry_pairs(kept: Child, merged: Child, actor: Actor, pair: DuplicatePair | None) -> None:
    """The merged record's other pairs: open ones go (the kept record's own are found again),
    a 'different' decision carries over to the kept record, and the records merged into the
    merged one now point at the kept one."""
    others = DuplicatePair.objects.filter(Q(first=merged) | Q(second=merged))
    if pair is not None:
        others = others.exclude(pk=pair.pk)
    others.filter(decision=DuplicateDecision.OPEN).delete()
    for different in others.filter(decision=DuplicateDecision.DIFFERENT).order_by("id"):
        other_id = different.second_id if different.first_id == merged.pk else different.first_id
        if other_id == kept.pk:
            continue
        first, second = sorted((kept.pk, other_id))
        carried, created = DuplicatePair.objects.select_for_update().get_or_create(
            first_id=first,
            second_id=second,
            defaults={"score": different.score, "band": different.band},
        )
        if not created and carried.decision != DuplicateDecision.OPEN:
            continue
        before = audit.snapshot(carried)
        carried.reasons = different.reasons
        carried.decision = DuplicateDecision.DIFFERENT
        carried.decided_by = different.decided_by
        carried.decided_at = different.decided_at
        carried.note = _("Carried over from pair #%(id)s when record #%(merged)s was merged.") % {
            "id": different.pk,
            "merged": merged.pk,
        }
        carried.save()
        if created:
            audit.record_create(carried, actor=actor)
        else:
            audit.record_update(carried, before, actor=actor)
    for earlier in Child.objects.filter(merged_into=merged).order_by("id"):
        before = audit.snapshot(earlier, fields=["merged_into"])
        earlier.merged_into = kept
        earlier.save(update_fields=["merged_into"])
        audit.record_update(earlier, before, actor=actor)


@transaction.atomic
def child_merge(
    *, kept_id: int, merged_id: int, actor: Actor, pair: DuplicatePair | None = None
) -> Child:
    """Merge the child ``merged_id`` into ``kept_id`` (two records of one child).

    Refused when either record was merged already (409), when both children have an open case
    (409: close one as a duplicate first), and when a case of the merged record was taken
    before the kept record's date of birth (409). Takes the right to change both children.
    ``pair`` is the decision that asked for it, if any (its other pairs are left to it).
    """
    if kept_id == merged_id:
        raise ValidationFailed.on("keep", _("A record cannot be merged into itself."))
    locked = {
        child.pk: child
        for child in Child.objects.select_for_update()
        .filter(pk__in=[kept_id, merged_id])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise DuplicatePairNotFound(_("No such child."))
    kept, merged = locked[kept_id], locked[merged_id]
    _require_on_child(actor, Capability.CASE_WRITE, kept)
    _require_on_child(actor, Capability.CASE_WRITE, merged)
    if kept.merged_into_id is not None or merged.merged_into_id is not None:
        raise ChildAlreadyMerged()
    cases = list(Case.objects.select_for_update().filter(child=merged).order_by("id"))
    if any(case.is_open for case in cases) and Case.objects.filter(child=kept).open().exists():
        raise BothCasesOpen()
    filled = {
        field: getattr(merged, field)
        for field, blank in _FILLED_WHEN_BLANK.items()
        if getattr(kept, field) == blank and getattr(merged, field) != blank
    }
    # Fields that only mean something together: filled together, when the kept record has
    # none of them (a date of birth with its precision; the place of origin's coordinates).
    for group in _FILLED_TOGETHER:
        if getattr(kept, group[0]) is None and getattr(merged, group[0]) is not None:
            filled.update({f: getattr(merged, f) for f in group})
    birth = filled.get("date_of_birth", kept.date_of_birth)
    taken = [case.deported_on for case in cases]
    if "date_of_birth" in filled:
        taken += Case.objects.filter(child=kept).values_list("deported_on", flat=True)
    if birth is not None and any(day is not None and day < birth for day in taken):
        raise MergeDatesConflict()
    if filled:
        child_update(child=kept, actor=actor, data=filled)
    merged_before = audit.snapshot(merged)
    moved = {
        "cases": _move_cases(cases, kept, actor, merged),
        "aliases": _move_aliases(kept, merged, actor),
        "whereabouts": _move(
            Whereabouts.objects.filter(child=merged).order_by("id"), kept, actor, merged
        ),
        "relatives": _move(
            Relative.objects.filter(child=merged).order_by("id"), kept, actor, merged
        ),
        "external_references": _move(
            ExternalReference.objects.filter(child=merged).order_by("id"), kept, actor, merged
        ),
    }
    _carry_pairs(kept, merged, actor, pair)

    merged.merged_into = kept
    merged.merged_at = timezone.now()
    merged.save(update_fields=["merged_into", "merged_at", "updated_at"])
    Child.objects.filter(pk=merged.pk).unaudited_update(
        "derived pointer; the merge that emptied it is recorded", current_whereabouts=None
    )
    # The merged record is a pointer now: never a candidate again.
    ChildNameKey.objects.filter(child=merged).delete()
    child_refresh_search_text(child=kept)
    child_refresh_name_keys(child=kept)
    child_current_whereabouts_refresh(child=kept)
    # The moved cases show another child now: their version moves, for ETags and sync.
    child_cases_touch(child_id=kept.pk)
    audit.record_update(merged, merged_before, actor=actor, metadata={"moved": moved})
    # What the kept record gained is in the moved rows' own events; this one ties them up.
    audit.record(
        AuditAction.UPDATE,
        actor=actor,
        instance=kept,
        metadata={"merged_from": merged.pk, "moved": moved},
    )
    duplicate_pairs_find_later(child=kept)
    return kept


@transaction.atomic
def duplicate_pair_decide(
    *,
    pair_id: int,
    actor: Actor,
    decision: str,
    keep: int | None = None,
    note: str = "",
) -> DuplicatePair:
    """Decide a possible duplicate: ``same`` merges the two children into ``keep`` (one of
    the pair's children; by default the older record, the pair's first), ``different`` keeps
    them apart for good. Only whoever may change both children decides (404 otherwise, as
    for a pair out of sight); a pair is decided once (409)."""
    seen = duplicate_pairs_visible_to(actor=actor).filter(pk=pair_id).first()
    if seen is None:
        raise DuplicatePairNotFound()
    # Children first, then the pair: the order every decision and merge locks in, so that two
    # decisions sharing a child queue instead of deadlocking (a merge deletes or rewrites the
    # merged child's other pairs, which a decision waiting on them would hold).
    list(
        Child.objects.select_for_update()
        .filter(pk__in=[seen.first_id, seen.second_id])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    pair = DuplicatePair.objects.select_for_update().filter(pk=pair_id).first()
    if pair is None:  # withdrawn, or dropped by a merge, while this decision waited
        raise DuplicatePairNotFound()
    if pair.decision != DuplicateDecision.OPEN:
        raise DuplicatePairDecided()
    errors: dict[str, list[str]] = {}
    if decision not in (DuplicateDecision.SAME, DuplicateDecision.DIFFERENT):
        errors["decision"] = [_("Say 'same' (merge the two records) or 'different'.")]
    elif decision == DuplicateDecision.DIFFERENT and keep is not None:
        errors["keep"] = [_("Only a merge keeps one record: leave it out for 'different'.")]
    elif keep is not None and keep not in (pair.first_id, pair.second_id):
        errors["keep"] = [_("Name one of the two children of this pair.")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    before = audit.snapshot(pair)
    if decision == DuplicateDecision.SAME:
        kept_id = keep if keep is not None else pair.first_id
        merged_id = pair.second_id if kept_id == pair.first_id else pair.first_id
        child_merge(kept_id=kept_id, merged_id=merged_id, actor=actor, pair=pair)
    pair.decision = decision
    pair.decided_by = actor
    pair.decided_at = timezone.now()
    pair.note = (note or "").strip()
    pair.save(update_fields=["decision", "decided_by", "decided_at", "note", "updated_at"])
    audit.record_update(pair, before, actor=actor)
    return pair

"""Evidence: links from a source to the facts of a case it supports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from audit import services as audit
from cases.models import Case
from core.checks import raise_field_errors, reject_unknown_fields

from .. import selectors
from ..exceptions import EvidenceExists, EvidenceNotFound, SourceNotFound
from ..models import Evidence, Source
from .checks import Actor, _assign, _clean_fields, _require_case_write

EVIDENCE_FIELDS: frozenset[str] = frozenset({"fact", "page", "excerpt", "time_reference", "note"})


def _evidence_check(evidence: Evidence) -> None:
    for name in ("page", "excerpt", "time_reference", "note"):
        setattr(evidence, name, (getattr(evidence, name) or "").strip())
    errors: dict[str, list[str]] = {}
    _clean_fields(evidence, errors, exclude=["source", "case", "created_by"])
    raise_field_errors(errors)


def evidence_draft(
    *,
    case: Case,
    fact: str,
    page: str = "",
    excerpt: str = "",
    time_reference: str = "",
    note: str = "",
) -> Evidence:
    """A link to ``case``, not yet saved nor given its source, checked (400 naming each field):
    what ``evidence_link`` writes, and what attaching a document checks before any upload."""
    evidence = Evidence(
        case=case,
        fact=fact,
        page=page,
        excerpt=excerpt,
        time_reference=time_reference,
        note=note,
    )
    _evidence_check(evidence)
    return evidence


def _evidence_exists(evidence: Evidence) -> bool:
    return (
        Evidence.objects.filter(
            source_id=evidence.source_id,
            case_id=evidence.case_id,
            fact=evidence.fact,
            page=evidence.page,
            time_reference=evidence.time_reference,
        )
        .exclude(pk=evidence.pk)
        .exists()
    )


def _evidence_save(evidence: Evidence) -> None:
    if _evidence_exists(evidence):
        raise EvidenceExists(fields={"fact": [EvidenceExists.default_detail]})
    try:
        with transaction.atomic():
            evidence.save()
    except IntegrityError as exc:  # a concurrent link to the same place won
        raise EvidenceExists() from exc


@transaction.atomic
def evidence_link(
    *,
    source: Source,
    case: Case,
    actor: Actor,
    fact: str,
    page: str = "",
    excerpt: str = "",
    time_reference: str = "",
    note: str = "",
) -> Evidence:
    """Link a source to a case as evidence of a fact, with where in the source it says so.
    Takes CASE_WRITE on the case; the source must be one the actor sees. The source then
    becomes visible to everyone who sees the case in full."""
    _require_case_write(actor, case)
    if actor is not None and not selectors.source_is_visible(actor=actor, source=source):
        raise SourceNotFound()
    evidence = evidence_draft(
        case=case,
        fact=fact,
        page=page,
        excerpt=excerpt,
        time_reference=time_reference,
        note=note,
    )
    evidence.source = source
    evidence.created_by = actor
    _evidence_save(evidence)
    audit.record_create(evidence, actor=actor, organization=case.organization_id)
    return evidence


def _lock_evidence(evidence: Evidence, actor: Actor) -> Evidence:
    try:
        locked = Evidence.objects.select_for_update().select_related("case").get(pk=evidence.pk)
    except Evidence.DoesNotExist as exc:
        raise EvidenceNotFound() from exc
    if (
        actor is not None
        and not selectors.evidence_visible_to(actor=actor).filter(pk=locked.pk).exists()
    ):
        raise EvidenceNotFound()
    _require_case_write(actor, locked.case)
    return locked


@transaction.atomic
def evidence_update(*, evidence: Evidence, actor: Actor, data: Mapping[str, Any]) -> Evidence:
    """Change what a link says (the fact, the place in the source, the note); its source and
    case never change: unlink and link anew."""
    data = dict(data)
    reject_unknown_fields(data, EVIDENCE_FIELDS)
    locked = _lock_evidence(evidence, actor)
    before = audit.snapshot(locked)
    _assign(locked, data)
    _evidence_check(locked)
    _evidence_save(locked)
    audit.record_update(locked, before, actor=actor, organization=locked.case.organization_id)
    return locked


@transaction.atomic
def evidence_unlink(*, evidence: Evidence, actor: Actor) -> None:
    """Remove a link (with an audit event of what it said). The source and its chain of
    custody stay."""
    locked = _lock_evidence(evidence, actor)
    audit.record_delete(locked, actor=actor, organization=locked.case.organization_id)
    locked.delete()

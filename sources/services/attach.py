"""Attaching a document to a case: the file received as a source and linked as evidence of a
fact of the case, in one step.

Everything the link needs is checked before the file is read (the right to write the case, the
fact and the place in the source), so a refusal costs no upload; the receipt and the link are
one transaction, so a refusal after the file was read (an unreadable type, a link that already
exists) leaves neither a source, a custody event, an audit event nor a stored file behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction

from cases.models import Case

from ..models import Evidence, Source
from .checks import Actor, _require_case_write
from .evidence import evidence_draft, evidence_link
from .storage import _discard, _stored_name, source_receive


@dataclass(frozen=True)
class Attached:
    evidence: Evidence
    source: Source
    # False when identical content was already a source: that source was linked, not a copy.
    created: bool


def evidence_attach(
    *,
    case: Case,
    actor: Actor,
    fileobj: IO[bytes] | Any,
    filename: str,
    fact: str,
    data: dict[str, Any] | None = None,
    page: str = "",
    excerpt: str = "",
    time_reference: str = "",
    note: str = "",
) -> Attached:
    """Receive ``fileobj`` (``source_receive``: hashed, typed from its content, stored once,
    custody and audit recorded) for the case's organization, and link it to ``case`` as
    evidence of ``fact`` (``evidence_link``). ``data`` describes the source (kind, title…)."""
    _require_case_write(actor, case)
    draft = evidence_draft(
        case=case, fact=fact, page=page, excerpt=excerpt, time_reference=time_reference, note=note
    )
    with transaction.atomic():
        source, created = source_receive(
            fileobj=fileobj,
            filename=filename,
            actor=actor,
            organization=case.organization,
            data=data,
        )
        try:
            evidence = evidence_link(
                source=source,
                case=case,
                actor=actor,
                fact=draft.fact,
                page=draft.page,
                excerpt=draft.excerpt,
                time_reference=draft.time_reference,
                note=draft.note,
            )
        except BaseException:
            if created and source.file:
                # The source's row rolls back with this transaction: its file goes too (a
                # failed delete is logged, never hiding why the link failed).
                _discard(_stored_name(source))
            raise
    return Attached(evidence=evidence, source=source, created=created)

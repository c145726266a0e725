"""The chain of custody: one append-only event a receipt, view, download, verification or export."""

from __future__ import annotations

from django.db import transaction

from audit import context as audit_context

from ..models import CustodyEvent, Source
from .checks import Actor


@transaction.atomic
def custody_record(
    *, source: Source, action: str, actor: Actor, sha256_seen: str = "", note: str = ""
) -> CustodyEvent:
    """Append one event to a source's chain of custody, with the request it came from."""
    ctx = audit_context.current()
    return CustodyEvent.objects.create(
        source=source,
        action=action,
        actor=actor if actor is not None else ctx.actor(),
        sha256_seen=sha256_seen,
        note=note,
        request_id=ctx.request_id[:64],
    )

"""Integrity checks: re-hashing stored files, recording what was seen, and telling the
administrators when a file no longer matches its hash."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from audit import services as audit
from audit.models import Action as AuditAction
from core.mail import mail_send

from .. import selectors
from ..exceptions import SourceHasNoFile
from ..models import CustodyAction, Integrity, Source, sources_storage
from .checks import Actor, _lock_source
from .custody import custody_record
from .storage import _hash_stored, _stored_name

logger = logging.getLogger(__name__)


INTEGRITY_FAILURES = frozenset({Integrity.ALTERED, Integrity.MISSING})


@dataclass
class VerifyReport:
    """What a run of the integrity check found, by source id."""

    ok: list[int] = field(default_factory=list)
    altered: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return len(self.ok) + len(self.altered) + len(self.missing)

    @property
    def failed(self) -> int:
        return len(self.altered) + len(self.missing)

    def add(self, source_id: int, state: str) -> None:
        {Integrity.OK: self.ok, Integrity.ALTERED: self.altered, Integrity.MISSING: self.missing}[
            Integrity(state)
        ].append(source_id)

    def counts(self) -> dict[str, int]:
        return {
            "checked": self.checked,
            "ok": len(self.ok),
            "altered": len(self.altered),
            "missing": len(self.missing),
        }


def _hash_now(source: Source) -> tuple[str | None, str]:
    """``(hash, note)``: the stored file's hash now, or ``None`` and why it could not be read."""
    storage = sources_storage()
    name = _stored_name(source)
    try:
        if not storage.exists(name):
            return None, _("The file is missing from storage.")
        return _hash_stored(storage, name), ""
    except FileNotFoundError:
        return None, _("The file is missing from storage.")
    except OSError as exc:
        # Unreadable is as good as gone for evidence; the administrators are told either way.
        return None, _("The file could not be read (%(error)s).") % {"error": type(exc).__name__}


def source_verify(*, source: Source, actor: Actor = None) -> Integrity:
    """Re-hash a source's stored file (in chunks) and record what was found.

    - unchanged: ``ok``, a ``verified`` custody event (an audit event only when the state
      changes, e.g. the first check);
    - changed: ``altered``, an ``integrity_failure`` custody event with the hash seen, an audit
      event, and a notice to the administrators;
    - gone: ``missing``, the same with an empty hash.

    A source still broken in the same way as at the last check is not notified again: the
    state (``Source.integrity`` and the hash of the last failure) says it was already.
    The file is read outside the transaction; the row is locked only to record the result.
    """
    if not source.file:
        raise SourceHasNoFile()
    seen, note = _hash_now(source)
    return _integrity_record(source_id=source.pk, seen=seen, note=note, actor=actor)


@transaction.atomic
def _integrity_record(*, source_id: int, seen: str | None, note: str, actor: Actor) -> Integrity:
    locked = _lock_source(source_id)
    if seen is None:
        state = Integrity.MISSING
    elif seen == locked.sha256:
        state = Integrity.OK
    else:
        state = Integrity.ALTERED
    previous = locked.integrity
    before = audit.snapshot(locked, fields=["integrity"])
    locked.integrity = state
    locked.integrity_checked_at = timezone.now()
    locked.save(update_fields=["integrity", "integrity_checked_at"])

    if state == Integrity.OK:
        custody_record(
            source=locked, action=CustodyAction.VERIFIED, actor=actor, sha256_seen=seen or ""
        )
        audit.record_update(locked, before, actor=actor)
        if previous in INTEGRITY_FAILURES:
            logger.warning("source_integrity_restored source_id=%s", source_id)
        return state

    last = selectors.source_last_integrity_failure(source=locked)
    already_told = previous == state and last is not None and last.sha256_seen == (seen or "")
    custody_record(
        source=locked,
        action=CustodyAction.INTEGRITY_FAILURE,
        actor=actor,
        sha256_seen=seen or "",
        note=note or _("The content no longer matches the hash it was received with."),
    )
    audit.record(
        AuditAction.UPDATE,
        actor=actor,
        instance=locked,
        changes=audit.diff(before, audit.snapshot(locked, fields=["integrity"])) or None,
        metadata={
            "integrity": state,
            "expected_sha256": locked.sha256,
            "seen_sha256": seen or "",
            "administrators_notified": not already_told,
        },
    )
    logger.error(
        "source_integrity_failure source_id=%s integrity=%s expected=%s seen=%s notified=%s",
        source_id,
        state,
        locked.sha256,
        seen or "-",
        not already_told,
    )
    if not already_told:
        expected = locked.sha256
        # Robust: the check has committed; a notice that cannot be sent (a malformed address,
        # say) is logged and must not stop the check of the files after this one.
        transaction.on_commit(
            lambda: integrity_notice_send(
                source_id=source_id, state=state, expected=expected, seen=seen or ""
            ),
            robust=True,
        )
    return state


def integrity_notice_send(*, source_id: int, state: str, expected: str, seen: str) -> int:
    """E-mail the administrators (``ADMINS`` and active superusers) that a source failed its
    integrity check: its id and hashes only. Returns the number of recipients."""
    state_label = Integrity(state).label
    subject = f"{settings.EMAIL_SUBJECT_PREFIX}" + _(
        "Evidence integrity failure: source #%(id)s"
    ) % {"id": source_id}
    body = "\n".join(
        [
            _("Source #%(id)s failed its integrity check: %(state)s.")
            % {"id": source_id, "state": state_label},
            _("SHA-256 when received: %(hash)s") % {"hash": expected},
            _("SHA-256 now: %(hash)s") % {"hash": seen or _("(no file)")},
            "",
            _(
                "Do not rely on this file as evidence until the original is restored from a "
                "trusted copy. The chain of custody and the audit trail record the check."
            ),
        ]
    )
    # A failure to send is logged and the check stands.
    return mail_send(
        event="source_integrity_notice",
        subject=subject,
        body=body,
        recipients=selectors.integrity_notice_recipients(),
        from_email=settings.SERVER_EMAIL,
        log_fields={"source_id": source_id},
    )


def sources_verify(
    *,
    source_ids: Iterable[int] | None = None,
    progress: bool = False,
    progress_file: Any = None,
) -> VerifyReport:
    """Re-hash every stored file (or those of ``source_ids``), one source at a time."""
    ids = list(selectors.sources_with_files(source_ids=source_ids).values_list("pk", flat=True))
    report = VerifyReport()
    for source_id in tqdm(
        ids, disable=not progress, file=progress_file, unit=_("file"), desc=_("Verifying")
    ):
        source = selectors.sources_with_files(source_ids=[source_id]).first()
        if source is None:
            continue  # deleted since the list was read
        report.add(source_id, source_verify(source=source))
    logger.info(
        "sources_verified checked=%s ok=%s altered=%s missing=%s",
        report.checked,
        len(report.ok),
        len(report.altered),
        len(report.missing),
    )
    return report

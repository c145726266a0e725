"""Writes of idempotent requests: claim a key, keep the answer, release a failed claim, purge.

``idempotency_record_claim`` runs inside the transaction that performs the request, so the
record's insert and the handler's writes commit together or not at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User

from .exceptions import IdempotencyKeyInProgress, IdempotencyKeyReused
from .fingerprints import request_fingerprint
from .models import IdempotencyRecord

logger = logging.getLogger(__name__)

# A record can vanish between a failed insert and the read that follows (expired and purged
# in that instant); a claim tries again this many times before giving up.
_CLAIM_ATTEMPTS = 3


def idempotency_ttl() -> dt.timedelta:
    return dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def idempotency_record_claim(
    *,
    actor: User,
    key: str,
    method: str,
    path: str,
    data: Any,
    now: dt.datetime | None = None,
) -> tuple[IdempotencyRecord, bool]:
    """Claim ``key`` for this request, or find the answer already given under it.

    Returns ``(record, True)`` when the request is to be performed (the record is a
    placeholder, to be completed or released in the same transaction) and ``(record, False)``
    when an earlier request with the same fingerprint was answered: replay ``record``.
    Raises ``IdempotencyKeyReused`` when the key was used for a different request.

    On PostgreSQL a request whose key another transaction has just claimed waits on the unique
    index until that transaction ends, then replays its answer (or, if it failed and released
    the key, performs the request itself).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "idempotency_record_claim() must run inside the transaction that performs the "
            "request, so the record and the request's writes commit together."
        )
    now = now or timezone.now()
    fingerprint = request_fingerprint(method=method, path=path, data=data)
    for _attempt in range(_CLAIM_ATTEMPTS):
        # An expired record no longer holds the key, whether or not the purge has run.
        IdempotencyRecord.objects.expired(now=now).filter(actor=actor, key=key).delete()
        try:
            with transaction.atomic():  # a savepoint: a duplicate key must not end the request
                record = IdempotencyRecord.objects.create(
                    actor=actor,
                    key=key,
                    fingerprint=fingerprint,
                    created_at=now,
                    expires_at=now + idempotency_ttl(),
                )
            return record, True
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(actor=actor, key=key).first()
        if existing is None:
            continue
        if existing.fingerprint != fingerprint:
            logger.info("idempotency_key_reused actor_id=%s", actor.pk)
            raise IdempotencyKeyReused()
        if not existing.is_complete:
            raise IdempotencyKeyInProgress()
        logger.info("idempotency_replayed actor_id=%s record_id=%s", actor.pk, existing.pk)
        return existing, False
    raise IdempotencyKeyInProgress()


@transaction.atomic
def idempotency_record_complete(
    *,
    record: IdempotencyRecord,
    status_code: int,
    body: Any,
    headers: Mapping[str, str],
) -> IdempotencyRecord:
    """Keep the successful answer a replay will return."""
    if not 200 <= status_code <= 299:
        raise ValueError(f"Only successful answers are kept, not {status_code}.")
    record.status_code = status_code
    record.body = body
    record.headers = dict(headers)
    record.save(update_fields=["status_code", "body", "headers"])
    return record


@transaction.atomic
def idempotency_record_release(*, record: IdempotencyRecord) -> None:
    """Give the key back after a failed request, so a retry is performed afresh."""
    IdempotencyRecord.objects.filter(pk=record.pk).delete()


@transaction.atomic
def idempotency_records_purge(*, now: dt.datetime | None = None) -> int:
    """Delete every expired record; returns how many went."""
    deleted, _by_model = IdempotencyRecord.objects.expired(now=now).delete()
    return deleted

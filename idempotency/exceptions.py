"""Errors of idempotent requests, rendered by ``core.errors.exception_handler``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import Conflict, DomainError


class IdempotencyKeyReused(DomainError):
    """The key was used before for a different request (another body, path or method)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    default_detail = _(
        "This Idempotency-Key was already used for a different request; "
        "use a new key for a new request."
    )


class IdempotencyKeyInProgress(Conflict):
    """A request with the key is still being performed (only reachable where the database
    does not make the second request wait for the first)."""

    code = "idempotency_key_in_progress"
    default_detail = _(
        "A request with this Idempotency-Key is still being performed; retry shortly."
    )

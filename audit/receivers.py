"""Receivers of Django's sign-in signals: each sign-in, sign-out and refused sign-in is an event.

Connected in ``AuditConfig.ready()``. They only call services.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from . import services

# The custom GUC the append-only trigger reads (migration 0002): set only under test settings.
ALLOW_TRUNCATE_SQL = "SET registry.audit_truncate_allowed = 'on'"


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.record_login(user=user)


def on_user_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.record_logout(user=user)


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Django has already masked secrets in ``credentials``; only the username is kept.
    field = get_user_model().USERNAME_FIELD
    services.record_login_failed(username=str(credentials.get(field) or ""))


def allow_truncate(sender: Any, connection: Any, **kwargs: Any) -> None:
    """Let the test runner empty the audit table between transactional tests (it TRUNCATEs
    every table); connected only when ``AUDIT_ALLOW_TRUNCATE`` is set."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(ALLOW_TRUNCATE_SQL)

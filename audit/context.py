"""Who is acting, for which organization, through which door: the context an audit event is
written in.

A request sets it in ``AuditContextMiddleware``; a Celery task or a management command sets it
with ``audit_context(channel=...)``; with neither, events are written on the ``system`` channel.

The actor of an API request is known only once DRF has authenticated it, inside the view, after
the middleware ran. So the context keeps the request itself, and ``actor()`` / ``api_key()``
read ``request.user`` and ``request.auth`` when an event is written (DRF sets both on the
underlying Django request too). Which API key ``request.auth`` is, the registered actor directory
says (``audit.directory``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.http import HttpRequest

from .directory import APIKeyRef, actor_directory
from .models import Channel


@dataclass(frozen=True)
class AuditContext:
    channel: str = Channel.SYSTEM
    request_id: str = ""
    client_address: str | None = None
    # Set by a task or command that acts for someone; a request's actor comes from ``request``.
    actor_override: AbstractBaseUser | None = None
    organization_id: int | None = None
    request: HttpRequest | None = None

    def actor(self) -> AbstractBaseUser | None:
        """The signed-in user or API key's service account, if any."""
        if self.actor_override is not None:
            return self.actor_override
        user = getattr(self.request, "user", None) if self.request is not None else None
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return user

    def api_key(self) -> APIKeyRef | None:
        """The API key the request authenticated with, if any."""
        if self.request is None:
            return None
        return actor_directory().request_api_key(self.request)


SYSTEM = AuditContext()
_current: ContextVar[AuditContext] = ContextVar("audit_context", default=SYSTEM)


def current() -> AuditContext:
    return _current.get()


def bind(ctx: AuditContext) -> Token[AuditContext]:
    """Make ``ctx`` current; undo with ``unbind(token)``."""
    return _current.set(ctx)


def unbind(token: Token[AuditContext]) -> None:
    _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def audit_context(
    *,
    channel: str,
    actor: AbstractBaseUser | None = None,
    organization: models.Model | int | None = None,
    request_id: str | None = None,
) -> Iterator[AuditContext]:
    """Events written inside are attributed to ``channel`` (``task`` or ``command``), to
    ``actor`` (when a person asked for the work) and to one request id (given, e.g. the id of
    the request that enqueued a task, or a new one)::

        with audit_context(channel=Channel.TASK, actor=user, request_id=request_id):
            case_transition(...)
    """
    if channel not in Channel.values:
        raise ValueError(f"Unknown audit channel {channel!r}; use one of {Channel.values}.")
    organization_id = organization if isinstance(organization, int | None) else organization.pk
    ctx = AuditContext(
        channel=channel,
        request_id=request_id or new_request_id(),
        actor_override=actor,
        organization_id=organization_id,
    )
    token = bind(ctx)
    try:
        yield ctx
    finally:
        unbind(token)

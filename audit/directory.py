"""What the audit trail must know of accounts, registered by ``accounts`` at start-up.

Every model is audited, the accounts' own included, so ``audit`` sits below ``accounts`` and
imports nothing of it. Where an event needs to know something of an account (the API key a
request authenticated with, the one organization an actor acts for, whether a presented prefix
names a key, who may read the trail), it asks the directory ``accounts`` registers in
``AccountsConfig.ready()``::

    register_directory(AccountsDirectory())

Actors themselves are handed to ``audit`` as plain users (``settings.AUTH_USER_MODEL``); API keys
as ``APIKeyRef`` values, never as model instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import models


@dataclass(frozen=True)
class APIKeyRef:
    """An API key as the trail records it: by its prefix (never its secret or hash), with the
    organization it acts for and the service account it acts as."""

    prefix: str
    organization_id: int
    service_account_id: int


class ActorDirectory(Protocol):
    """The questions ``audit`` asks of accounts."""

    @property
    def api_key_keyword(self) -> str:
        """The keyword of the API key scheme in the ``Authorization`` header (``Api-Key``)."""
        ...

    @property
    def api_key_model(self) -> type[models.Model]:
        """The API key model: a refused key is recorded by its type and prefix."""
        ...

    def request_api_key(self, request: Any) -> APIKeyRef | None:
        """The API key ``request`` authenticated with, if any."""
        ...

    def api_key_by_prefix(self, prefix: str) -> APIKeyRef | None:
        """The key with ``prefix`` whatever its state (revoked, expired), or None."""
        ...

    def sole_organization(self, actor: Any) -> int | None:
        """The id of the one organization ``actor`` acts for; None for none or several."""
        ...

    def can_read_audit(self, actor: Any) -> bool:
        """Whether ``actor`` may read the audit trail."""
        ...


_registered: ActorDirectory | None = None


def register_directory(directory: ActorDirectory) -> None:
    """Make ``directory`` the one the trail asks (once, at start-up; a second call replaces
    it, as a test may)."""
    global _registered
    _registered = directory


def actor_directory() -> ActorDirectory:
    """The registered directory; refuses clearly when none was registered."""
    if _registered is None:
        raise ImproperlyConfigured(
            "The audit trail has no actor directory: install the app that registers one "
            "(accounts, in AccountsConfig.ready()) or call audit.directory.register_directory()."
        )
    return _registered

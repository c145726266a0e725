"""What ``accounts`` tells the audit trail about actors (``audit.directory``): registered in
``AccountsConfig.ready()``, since ``audit`` sits below ``accounts`` and cannot import it."""

from __future__ import annotations

from typing import Any

from audit.directory import APIKeyRef

from .authentication import KEYWORD, request_api_key
from .models import OrganizationAPIKey
from .roles import Capability
from .selectors import actor_roles


def _api_key_ref(api_key: OrganizationAPIKey) -> APIKeyRef:
    return APIKeyRef(
        prefix=api_key.prefix,
        organization_id=api_key.organization_id,
        service_account_id=api_key.service_account_id,
    )


class AccountsDirectory:
    """The accounts' answers to the questions of ``audit.directory.ActorDirectory``."""

    api_key_keyword = KEYWORD
    api_key_model = OrganizationAPIKey

    def request_api_key(self, request: Any) -> APIKeyRef | None:
        api_key = request_api_key(request)
        return _api_key_ref(api_key) if api_key is not None else None

    def api_key_by_prefix(self, prefix: str) -> APIKeyRef | None:
        row = (
            OrganizationAPIKey.objects.filter(prefix=prefix)
            .values("organization_id", "service_account_id")
            .first()
        )
        if row is None:
            return None
        return APIKeyRef(
            prefix=prefix,
            organization_id=row["organization_id"],
            service_account_id=row["service_account_id"],
        )

    def sole_organization(self, actor: Any) -> int | None:
        # Cached on the user for the request: the permission checks read it already.
        organizations = list(actor_roles(actor).roles)
        return organizations[0] if len(organizations) == 1 else None

    def can_read_audit(self, actor: Any) -> bool:
        """Auditors and superusers read the trail; nobody else, and nobody changes it."""
        return actor_roles(actor).can(Capability.READ_AUDIT)

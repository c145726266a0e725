"""Request rates for the API's bulk reads.

Lists (and exports) are what a runaway or compromised partner system would use to copy the
registry, so they are limited per API key; reading, creating or changing one record is not.
Counts live in the default cache, Redis in production, so every gunicorn worker shares them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.authentication import request_api_key

# The viewset actions that read in bulk. Any viewset action of these names is throttled.
THROTTLED_ACTIONS = frozenset({"list", "export"})


class BulkReadThrottle(SimpleRateThrottle):
    """At most ``API_THROTTLE_LIST`` list or export requests (e.g. ``120/min``) per API key
    (by its prefix), or per user for token and session clients, or per address when
    anonymous. Other actions of the same viewset pass untouched.

    Add it to a viewset's ``throttle_classes``; answers over the rate are 429 with the error
    body (``code: throttled``) and a ``Retry-After`` header.
    """

    scope = "bulk_read"

    def get_rate(self) -> str | None:
        # Read when the throttle is made, not when DRF's settings were first loaded, so the
        # setting can change under test (DRF's THROTTLE_RATES is frozen at import).
        rate: str | None = settings.API_THROTTLE_LIST or None
        return rate

    def allow_request(self, request: Request, view: APIView) -> bool:
        if getattr(view, "action", None) not in THROTTLED_ACTIONS:
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        api_key = request_api_key(request)
        if api_key is not None:
            ident = f"key:{api_key.prefix}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def document_throttled_operations(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: a 429 answer on every operation that
    ``BulkReadThrottle`` limits, so partner systems see the limit in the API's document."""
    for path, _regex, method, callback in generator.endpoints or []:
        view_class = getattr(callback, "cls", None)
        action = (getattr(callback, "actions", None) or {}).get(method.lower())
        if view_class is None or action not in THROTTLED_ACTIONS:
            continue
        if not any(issubclass(t, BulkReadThrottle) for t in view_class.throttle_classes):
            continue
        operation = result.get("paths", {}).get(path, {}).get(method.lower())
        if operation is None:
            continue
        operation["responses"].setdefault(
            "429",
            {
                "description": str(
                    _(
                        "Too many list requests with this API key (`throttled`): wait the "
                        "seconds `Retry-After` names."
                    )
                ),
                "headers": {
                    "Retry-After": {
                        "schema": {"type": "integer"},
                        "description": str(_("Seconds until the next request is accepted.")),
                    }
                },
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        )
    return result

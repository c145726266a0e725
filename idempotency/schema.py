"""OpenAPI for idempotent POSTs: the ``Idempotency-Key`` header and the 422 it can cause,
added to every POST operation of a view that uses ``IdempotentPostMixin``."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from .models import KEY_MAX_LENGTH

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Printable ASCII, no space at either end, 1 to 255 characters.
KEY_PATTERN = rf"^[!-~](?:[ -~]{{0,{KEY_MAX_LENGTH - 2}}}[!-~])?$"

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH, "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description=format_lazy(
        _(
            "Makes a retry safe. A unique key (a UUID, say) of 1 to 255 printable ASCII "
            "characters. A request repeated with the same key, path, method and body within "
            "{hours} hours is not performed again: the first successful answer is returned "
            "with `Idempotent-Replayed: true`. Keys are per user or API key. The same key with "
            "another body, path or method is a 422 `idempotency_key_reused`; failed requests "
            "are not kept, so a retry after a 4xx or 5xx is performed afresh."
        ),
        hours=settings.IDEMPOTENCY_TTL_HOURS,
    ),
)

KEY_REUSED_DESCRIPTION = _(
    "`idempotency_key_reused`: the Idempotency-Key was used for a different request."
)


class IdempotentPostSchema(AutoSchema):
    """drf-spectacular's AutoSchema, documenting the header and the 422 on POST operations."""

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        return parameters

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None or self.method != "POST":
            return operation
        responses = operation["responses"]
        # The 422 carries the error body every error answer of the operation carries.
        invalid = responses.get("400", {})
        reused: dict[str, Any] = {"description": str(KEY_REUSED_DESCRIPTION)}
        if "content" in invalid:
            reused["content"] = copy.deepcopy(invalid["content"])
        responses["422"] = reused
        operation["responses"] = dict(sorted(responses.items()))
        return operation

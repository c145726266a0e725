"""What makes two requests "the same request" for an idempotency key."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rest_framework.utils.encoders import JSONEncoder


def canonical_json(data: Any) -> str:
    """One spelling per JSON value: keys sorted, no insignificant whitespace."""
    return json.dumps(
        data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def request_fingerprint(*, method: str, path: str, data: Any) -> str:
    """SHA-256 over the method, the path and a hash of the canonical JSON body.

    Only the hash is ever kept: the body may hold a child's personal data.
    """
    body_hash = hashlib.sha256(canonical_json(data).encode()).hexdigest()
    return hashlib.sha256(f"{method.upper()}\n{path}\n{body_hash}".encode()).hexdigest()

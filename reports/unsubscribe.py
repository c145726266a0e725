"""The signed link that stops an e-mail without signing in (RFC 8058 one-click unsubscribe).

The token names a user, a topic and a frequency, signed with the project's secret key and a
salt of its own, so it cannot be forged or used as any other signed value. It does not expire:
a link in a message read months later must still work, and all it can do is stop that e-mail.
It holds ids and names of topics only, nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Frequency, Topic

SALT = "reports.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeRequest:
    user_id: int
    topic: str
    frequency: str


def unsubscribe_token(*, user_id: int, topic: str, frequency: str) -> str:
    return signing.dumps({"u": user_id, "t": topic, "f": frequency}, salt=SALT, compress=True)


def unsubscribe_token_read(token: str) -> UnsubscribeRequest | None:
    """What a token asks to stop; ``None`` when it is not one this registry signed (tampered,
    truncated, or naming a topic or frequency that does not exist)."""
    try:
        value = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
    if not isinstance(value, dict):
        return None
    user_id, topic, frequency = value.get("u"), value.get("t"), value.get("f")
    if (
        not isinstance(user_id, int)
        or isinstance(user_id, bool)
        or topic not in Topic.values
        or frequency not in Frequency.values
    ):
        return None
    return UnsubscribeRequest(user_id=user_id, topic=str(topic), frequency=str(frequency))


def unsubscribe_url(*, user_id: int, topic: str, frequency: str) -> str:
    """The absolute link of the unsubscribe page (``SITE_URL`` and the path)."""
    token = unsubscribe_token(user_id=user_id, topic=topic, frequency=frequency)
    return settings.SITE_URL + reverse("email-unsubscribe", kwargs={"token": token})

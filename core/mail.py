"""The one place that sends e-mail: a plain-text message, with an HTML alternative if given, to
a list of addresses, through Django's mail API (the backend comes from ``EMAIL_URL``).

Log lines carry the caller's event key and the fields it names (ids, counts), never an address,
a subject or a body: any of them can carry a child's or a person's name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger(__name__)


def _fields(log_fields: Mapping[str, object]) -> str:
    return "".join(f" {name}={value}" for name, value in log_fields.items())


def mail_send(
    *,
    event: str,
    subject: str,
    body: str,
    recipients: Sequence[str],
    html: str | None = None,
    from_email: str | None = None,
    log_fields: Mapping[str, object] | None = None,
) -> int:
    """Send one message to ``recipients`` (all in its To line); returns how many it went to.

    No recipients: nothing is sent and ``<event>_no_recipients`` is logged. A transport failure
    (SMTP errors are ``OSError``) is logged as ``<event>_failed`` and sends to none: the caller's
    work stands, and the log says the message did not go. ``from_email`` defaults to
    ``DEFAULT_FROM_EMAIL``.
    """
    extra = _fields(log_fields or {})
    if not recipients:
        logger.error("%s_no_recipients%s", event, extra)
        return 0
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(recipients),
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except OSError as exc:
        logger.error("%s_failed%s error=%s", event, extra, type(exc).__name__)
        return 0
    logger.info("%s_sent%s recipients=%s", event, extra, len(recipients))
    return len(recipients)

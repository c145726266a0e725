"""Deployment security that Django and its add-ons leave to the project.

- ``NoStoreMiddleware``: responses that carry personal data are never kept by a browser or a
  shared cache.
- ``QueryStringLogFilter``: request log records keep the path, never the query string (searches
  carry children's names).
- ``login_locked_out`` and ``client_ip_address``: how django-axes answers a locked-out login and
  which address it counts failures against.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

# Every API answer and every admin page may show a child's record; the schema and its viewer
# describe the API and show nothing personal, so browsers may cache them.
NO_STORE_PREFIXES = ("/api/", "/admin/")
NO_STORE_EXEMPT_PREFIXES = ("/api/schema/", "/api/docs/")


def is_personal_data_path(path: str) -> bool:
    return path.startswith(NO_STORE_PREFIXES) and not path.startswith(NO_STORE_EXEMPT_PREFIXES)


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (and ``Pragma: no-cache`` for HTTP/1.0 caches) on every
    response under ``/api/`` and ``/admin/``, errors and redirects included.

    Placed near the top of ``MIDDLEWARE`` so it also covers answers made by the middleware
    below it (CSRF failures, the login lockout page).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if is_personal_data_path(request.path_info):
            # Replaces what a view set (the admin's never_cache adds max-age and the like):
            # no-store alone says all that is meant.
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
        return response


# A path followed by a query string, in a request line or a URL: "/api/v1/cases/?search=...".
_QUERY_STRING = re.compile(r"(?P<path>/[^\s?#\"']*)\?[^\s#\"']*")


def strip_query_strings(text: str) -> str:
    return _QUERY_STRING.sub(r"\g<path>", text)


class QueryStringLogFilter(logging.Filter):
    """Drops query strings from request log records, and the request object itself.

    ``django.server`` (runserver) logs the whole request line, query string included; the
    request object that ``django.request`` attaches prints its full URL in its ``repr`` and
    would put its GET and POST data into an error e-mail. The record keeps its message (with
    the path) and ``status_code``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        stripped = strip_query_strings(message)
        if stripped != message:
            record.msg, record.args = stripped, ()
        if hasattr(record, "request"):
            del record.request
        return True


def login_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer to a locked-out login: a plain page with no username, no count and
    nothing that tells whether the account exists (failures are counted per username and
    address whether or not the account exists, so both lock alike)."""
    body = render_to_string(
        "registry_admin/locked_out.html",
        {
            "title": _("Too many failed login attempts"),
            "cool_off_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        request=request,
    )
    return HttpResponse(body, status=settings.AXES_HTTP_RESPONSE_CODE)


def client_ip_address(request: HttpRequest) -> str | None:
    """The client's address as django-axes counts failures against.

    Behind ``DJANGO_TRUSTED_PROXIES`` proxies that each append to ``X-Forwarded-For``, the
    client is the entry the outermost trusted proxy appended; entries further left were
    written by the client and can be forged. Without proxies it is ``REMOTE_ADDR``.
    """
    proxies: int = settings.TRUSTED_PROXIES
    remote_addr: str | None = request.META.get("REMOTE_ADDR")
    if proxies <= 0:
        return remote_addr
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        # Fewer hops than configured: the request did not come through every proxy.
        return remote_addr
    return forwarded[-proxies]

"""Deployment security that Django and its add-ons leave to the project.

- ``NoStoreMiddleware``: responses that carry personal data are never kept by a browser or a
  shared cache.
- ``NulCharacterMiddleware``: a NUL character in the path, the query string, a header, a cookie
  or a form is refused before anything reads it.
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
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from .errors import ValidationFailed, error_response
from .parsers import NUL, first_field_with_nul, nul_message

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


# Credentials are the authentication classes' to refuse: one that no key can have (a NUL in it,
# say) is a 401, as any other bad credential, and never reaches a query.
_LEFT_TO_AUTHENTICATION = frozenset({"HTTP_AUTHORIZATION"})
# How the API documents its path parameters: the router's "pk" is the record's "id".
_PATH_PARAMETER_NAMES = {"pk": "id"}


def nul_character_location(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character, named as the client knows it: the path
    parameter (or ``path``), the query parameter or the header (``Cookie`` for a cookie's value
    once unquoted; ``Authorization`` is left to authentication); ``None`` when it carries none."""
    if NUL in request.path_info:
        try:
            kwargs = resolve(request.path_info).kwargs
        except Resolver404:
            kwargs = {}
        for name, value in kwargs.items():
            if NUL in str(value):
                return _PATH_PARAMETER_NAMES.get(name, name)
        return "path"
    if (field := first_field_with_nul(request.GET)) is not None:
        return field
    for key, value in request.META.items():
        is_header = key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")
        if key in _LEFT_TO_AUTHENTICATION or not is_header:
            continue
        if isinstance(value, str) and NUL in value:
            return key.removeprefix("HTTP_").replace("_", "-").title()
    if any(NUL in name or NUL in value for name, value in request.COOKIES.items()):
        return "Cookie"
    return None


class NulCharacterMiddleware:
    """Refuse a request that carries a NUL character in its path, query string, headers,
    cookies or (outside the API) posted form with a 400 naming where it was, before any of it
    can reach a query.

    PostgreSQL's text types cannot hold U+0000 and refuse it in a comparison too: a NUL that
    reaches a lookup (an oblast code in the path, a filter value, the session cookie the session
    middleware looks up, the User-Agent the login lockout stores) fails in the database adapter,
    a 500. One check at the edge serves every door, the API's and the admin's, whatever reads
    the value later. The answer is the JSON error body under ``/api/`` and Django's page
    elsewhere. API bodies are checked where they are parsed (``core.parsers``), naming the
    field.

    Only NUL is refused: other control characters are text the database stores and compares
    (in a path they name no record: 404). Place it after ``LocaleMiddleware`` (the answer is in
    the request's language) and before anything that reads the request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        where = nul_character_location(request)
        if where is None:
            return self.get_response(request)
        return self.refuse(request, where)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponseBase | None:
        """A form posted to a page (the admin's): read here when the CSRF check would read it
        anyway, so a view exempt from it (one that sets its own upload handlers first, then
        checks the token itself) reads its body as it means to."""
        if request.method != "POST" or getattr(view_func, "csrf_exempt", False):
            return None
        where = first_field_with_nul(request.POST)
        return None if where is None else self.refuse(request, where)

    @staticmethod
    def refuse(request: HttpRequest, where: str) -> HttpResponseBase:
        message = nul_message()
        if request.path_info.startswith("/api/"):
            return error_response(
                ValidationFailed(f"{where}: {message}", fields={where: [message]})
            )
        return defaults.bad_request(request, BadRequest(message))


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

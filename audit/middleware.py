"""Sets the audit context of each request: channel, request id, client address, the request."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse

from core.security import client_ip_address

from . import context
from .models import Channel
from .services import DENIED_RECORDED, record_api_key_refused, record_denied

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or a partner system may pass on: short and safe to log and echo.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_of(request: HttpRequest) -> str:
    """The caller's ``X-Request-ID`` when it is well formed, otherwise a new id."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if REQUEST_ID_RE.match(incoming) else context.new_request_id()


def client_address_of(request: HttpRequest) -> str | None:
    """The client's address as the login lockout counts it (``core.security``: behind
    ``TRUSTED_PROXIES`` proxies, the entry the outermost one appended to ``X-Forwarded-For``;
    otherwise ``REMOTE_ADDR``); anything not an IP address is None."""
    try:
        return str(ipaddress.ip_address(client_ip_address(request) or ""))
    except ValueError:
        return None


def channel_of(request: HttpRequest) -> str:
    if request.path_info.startswith("/api/"):
        return Channel.API
    if request.path_info.startswith("/admin/"):
        return Channel.ADMIN
    return Channel.SYSTEM


class AuditContextMiddleware:
    """Binds the audit context for the request and echoes its id in ``X-Request-ID``.

    Also records refused API keys (DRF answers 401 when a presented key is unknown, revoked or
    expired) and refusals for lack of a right (403), since the answer is the one place that
    sees every such refusal.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = context.AuditContext(
            channel=channel_of(request),
            request_id=request_id_of(request),
            client_address=client_address_of(request),
            request=request,
        )
        token = context.bind(ctx)
        try:
            response = self.get_response(request)
            if response.status_code == HTTPStatus.UNAUTHORIZED and ctx.channel == Channel.API:
                record_api_key_refused(request)
            elif (
                response.status_code == HTTPStatus.FORBIDDEN
                and ctx.channel in (Channel.API, Channel.ADMIN)
                and not getattr(request, DENIED_RECORDED, False)
            ):
                # A role refused the request (the services and the admin raise; the refusal is
                # rolled back with the request's transaction, so it is recorded here).
                record_denied(request, "forbidden", metadata={"status": response.status_code})
        finally:
            context.unbind(token)
        response[REQUEST_ID_HEADER] = ctx.request_id
        return response

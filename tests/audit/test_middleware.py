"""The audit context of a request: channel, request id, client address."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from audit import context
from audit.middleware import AuditContextMiddleware
from audit.models import Channel

pytestmark = pytest.mark.django_db


def _run(request):
    """The middleware around a view that returns the context it saw."""
    seen = {}

    def view(req):
        seen["ctx"] = context.current()
        return HttpResponse("ok")

    response = AuditContextMiddleware(view)(request)
    return response, seen["ctx"]


def test_request_id_is_made_and_echoed():
    response, ctx = _run(RequestFactory().get("/admin/"))
    assert len(ctx.request_id) == 32
    assert response["X-Request-ID"] == ctx.request_id


def test_well_formed_incoming_request_id_is_kept():
    request = RequestFactory().get("/api/v1/cases/", HTTP_X_REQUEST_ID="partner-1.2_3")
    response, ctx = _run(request)
    assert ctx.request_id == "partner-1.2_3"
    assert response["X-Request-ID"] == "partner-1.2_3"


@pytest.mark.parametrize(
    "incoming",
    ["a" * 65, "with space", "semi;colon", "<script>", "ünïcode", ""],
    ids=["too-long", "space", "semicolon", "markup", "non-ascii", "empty"],
)
def test_malformed_incoming_request_id_is_replaced(incoming):
    request = RequestFactory().get("/api/v1/cases/", HTTP_X_REQUEST_ID=incoming)
    response, ctx = _run(request)
    assert ctx.request_id != incoming
    assert len(ctx.request_id) == 32
    assert response["X-Request-ID"] == ctx.request_id


def test_request_id_of_64_characters_is_kept():
    incoming = "r" * 64
    _response, ctx = _run(RequestFactory().get("/", HTTP_X_REQUEST_ID=incoming))
    assert ctx.request_id == incoming


@pytest.mark.parametrize(
    ("path", "channel"),
    [
        ("/api/v1/cases/", Channel.API),
        ("/admin/cases/case/", Channel.ADMIN),
        ("/", Channel.SYSTEM),
        ("/apix/", Channel.SYSTEM),
    ],
)
def test_channel_follows_the_path(path, channel):
    _response, ctx = _run(RequestFactory().get(path))
    assert ctx.channel == channel


def test_context_ends_with_the_request():
    _run(RequestFactory().get("/api/v1/cases/"))
    assert context.current() == context.SYSTEM


def test_client_address_is_remote_addr_by_default():
    request = RequestFactory().get(
        "/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="198.51.100.7, 192.0.2.10"
    )
    _response, ctx = _run(request)
    assert ctx.client_address == "192.0.2.10"


@override_settings(TRUSTED_PROXIES=1)
def test_client_address_is_the_one_the_trusted_proxy_appended():
    # The client wrote 198.51.100.66 itself; the proxy appended the address it saw.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="198.51.100.66, 2001:db8::7"
    )
    _response, ctx = _run(request)
    assert ctx.client_address == "2001:db8::7"


@override_settings(TRUSTED_PROXIES=1)
def test_client_address_ignores_a_forwarded_value_that_is_no_address():
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="evil")
    _response, ctx = _run(request)
    assert ctx.client_address is None


def test_client_address_is_none_without_one():
    request = RequestFactory().get("/")
    del request.META["REMOTE_ADDR"]
    _response, ctx = _run(request)
    assert ctx.client_address is None


def test_events_of_a_request_carry_its_context(client, user, trail):
    from audit.models import Action

    client.force_login(user)
    response = client.get(
        "/admin/audit/auditevent/", HTTP_X_REQUEST_ID="req-42", REMOTE_ADDR="192.0.2.99"
    )
    assert response["X-Request-ID"] == "req-42"
    # The supervisor may not read the trail: the refusal is an event of this request.
    assert response.status_code == 403
    event = trail().get(action=Action.DENIED)
    assert (event.channel, event.request_id, event.client_address, event.actor) == (
        Channel.ADMIN,
        "req-42",
        "192.0.2.99",
        user,
    )

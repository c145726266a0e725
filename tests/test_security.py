"""Deployment security: headers, caching of personal data, static files, the admin login
(lockout and two-factor), API throttling and request logs without query strings."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.http import HttpRequest
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from config.admin_site import ENROLMENT_SESSION_KEY
from core.security import QueryStringLogFilter, client_ip_address, strip_query_strings
from tests.factories.accounts import UserFactory, make_api_key, make_member
from tests.factories.cases import FacilityFactory

PASSWORD = "synthetic-password-123"
LOGIN_URL = "/admin/login/"


def token_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for ``device``."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def login(client: Client, username: str, password: str = PASSWORD, **extra: str) -> Any:
    """Post the admin's login form as a browser does (with the page's hidden ``next``)."""
    form = {"username": username, "password": password, "next": "/admin/", **extra}
    return client.post(LOGIN_URL, form)


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Throttle counts live in the cache; each test starts from none."""
    cache.clear()


# ---------------------------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------------------------
def test_security_headers_are_sent_on_every_response(api_client):
    response = api_client.get("/api/v1/cases/")

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_security_csp_allows_only_this_origin_and_no_inline_script(client, db):
    response = client.get(LOGIN_URL)

    header = response["Content-Security-Policy"]
    policy = {
        name: value
        for name, _, value in (p.strip().partition(" ") for p in header.split(";"))
        if name
    }
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header


def test_security_hsts_is_sent_over_https_for_a_year_by_default(client, db):
    response = client.get(LOGIN_URL, secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_security_plain_http_is_redirected_to_https(client, db):
    response = client.get(LOGIN_URL)

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/"


@override_settings(
    SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_security_https_at_the_proxy_is_trusted_when_configured(client, db):
    assert client.get(LOGIN_URL, HTTP_X_FORWARDED_PROTO="https").status_code == 200
    # A client cannot claim HTTPS past a proxy that sets the header: only "https" counts.
    assert client.get(LOGIN_URL, HTTP_X_FORWARDED_PROTO="http").status_code == 301


def test_security_middleware_order():
    middleware = settings.MIDDLEWARE
    assert middleware[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    authentication = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert middleware.index("django_otp.middleware.OTPMiddleware") > authentication
    assert middleware[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


# ---------------------------------------------------------------------------------------------
# No caching of personal data
# ---------------------------------------------------------------------------------------------
def assert_no_store(response: Any) -> None:
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


def test_no_store_on_api_answers(api_client):
    assert_no_store(api_client.get("/api/v1/cases/"))


def test_no_store_on_api_errors(anon_client, api_client):
    assert_no_store(anon_client.get("/api/v1/cases/"))  # 401
    assert_no_store(api_client.get("/api/v1/cases/999999999/"))  # 404
    assert_no_store(api_client.get("/api/v1/no-such-endpoint/"))  # unrouted


def test_no_store_on_admin_pages(admin_client):
    assert_no_store(admin_client.get("/admin/"))
    assert_no_store(admin_client.get("/admin/cases/case/"))


def test_no_store_on_the_admin_login_page(client, db):
    assert_no_store(client.get(LOGIN_URL))


def test_no_store_not_on_the_api_document_and_its_viewer(client, db):
    for url in ("/api/schema/", "/api/docs/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" not in response.get("Cache-Control", ""), url
        assert not response.has_header("Pragma"), url


# ---------------------------------------------------------------------------------------------
# Swagger UI without a CDN, under the CSP
# ---------------------------------------------------------------------------------------------
def test_swagger_ui_is_served_from_our_static_files_without_inline_script(client, db):
    response = client.get("/api/docs/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "cdn." not in html
    assert "//unpkg" not in html
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert {"swagger-ui-bundle.js", "swagger-ui.css"} <= {a.rsplit("/", 1)[-1] for a in assets}
    for asset in assets:
        assert finders.find(asset), asset
    # Every script is a file; the one inline style carries the nonce the policy names.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    nonce = re.search(r'<style nonce="([^"]+)">', html)
    assert nonce is not None
    assert f"'nonce-{nonce.group(1)}'" in response["Content-Security-Policy"]


def test_swagger_ui_start_up_script_is_a_separate_file(client, db):
    response = client.get("/api/docs/", {"script": ""})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in response.content.decode()
    assert "/api/schema/" in response.content.decode()


def test_admin_pages_have_no_inline_script(admin_client):
    for url in ("/admin/", "/admin/cases/case/", "/admin/cases/case/add/"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        inline = [
            tag
            for tag in re.findall(r"<script\b[^>]*>", html)
            if "src=" not in tag and "application/json" not in tag
        ]
        assert not inline, (url, inline)
        assert " onclick=" not in html, url
        assert " onload=" not in html, url


# ---------------------------------------------------------------------------------------------
# Static files through WhiteNoise
# ---------------------------------------------------------------------------------------------
def test_static_files_are_served_by_whitenoise(client):
    response = client.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert b"".join(response.streaming_content)


# ---------------------------------------------------------------------------------------------
# Login lockout (django-axes)
# ---------------------------------------------------------------------------------------------
def test_lockout_after_the_failure_limit_even_with_the_right_password(client, db):
    user = UserFactory.create()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, user.username, "wrong-password").status_code == 200
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 4

    assert login(client, user.username, "wrong-password").status_code == 429
    response = login(client, user.username)

    assert response.status_code == 429
    assert not is_logged_in(client)
    assert_no_store(response)


def test_lockout_page_does_not_tell_whether_the_account_exists(db):
    existing = UserFactory.create(username="lockout-existing")
    answers = []
    for username in (existing.username, "lockout-nobody"):
        client = Client()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            response = login(client, username, "wrong-password")
        answers.append(response)

    assert [r.status_code for r in answers] == [429, 429]
    bodies = [r.content.decode() for r in answers]
    assert bodies[0] == bodies[1]
    assert "lockout-existing" not in bodies[0]
    assert "Too many failed login attempts" in bodies[0]


def test_lockout_is_per_username_and_address(db):
    user = UserFactory.create()
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(attacker, user.username, "wrong-password")
    assert login(attacker, user.username).status_code == 429

    owner = Client(REMOTE_ADDR="203.0.113.20")
    assert login(owner, user.username).status_code == 302
    assert is_logged_in(owner)


def test_lockout_ends_after_the_cool_off(client, db):
    user = UserFactory.create()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong-password")
    assert login(client, user.username).status_code == 429

    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )

    assert login(client, user.username).status_code == 302
    assert is_logged_in(client)


def test_lockout_settings_defaults():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert dt.timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_lockout_counts_the_client_behind_trusted_proxies():
    request = HttpRequest()
    request.META = {
        "REMOTE_ADDR": "10.0.0.2",
        # A forged first entry, then the address the proxy saw.
        "HTTP_X_FORWARDED_FOR": "192.0.2.66, 198.51.100.7",
    }
    with override_settings(TRUSTED_PROXIES=0):
        assert client_ip_address(request) == "10.0.0.2"
    with override_settings(TRUSTED_PROXIES=1):
        assert client_ip_address(request) == "198.51.100.7"
    with override_settings(TRUSTED_PROXIES=3):  # fewer hops than proxies: not through them
        assert client_ip_address(request) == "10.0.0.2"


def test_other_authentication_keeps_working_with_axes(db):
    user = UserFactory.create()
    # force_login and the test client's login (given a request, as axes needs) both work.
    forced = Client()
    forced.force_login(user)
    assert is_logged_in(forced)
    client = Client()
    assert client.login(request=HttpRequest(), username=user.username, password=PASSWORD)

    # Token and API-key clients never pass through authenticate().
    _key, secret = make_api_key()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert api.get("/api/v1/facilities/").status_code == 200


# ---------------------------------------------------------------------------------------------
# Two-factor login (django-otp)
# ---------------------------------------------------------------------------------------------
def make_device(user: Any) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return device


def test_two_factor_login_form_offers_the_code_field(client, db):
    html = client.get(LOGIN_URL).content.decode()

    assert 'name="otp_token"' in html
    assert 'autocomplete="one-time-code"' in html


@override_settings(REQUIRE_2FA=True)
def test_two_factor_superuser_without_code_is_refused(client, db):
    user = UserFactory.create(is_superuser=True)
    make_device(user)

    response = login(client, user.username)

    assert response.status_code == 200
    assert "Enter the code your authenticator app shows." in response.content.decode()
    assert not is_logged_in(client)


@override_settings(REQUIRE_2FA=True)
def test_two_factor_superuser_with_a_valid_code_is_logged_in(client, db):
    user = UserFactory.create(is_superuser=True)
    device = make_device(user)

    response = login(client, user.username, otp_token=token_for(device))

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@override_settings(REQUIRE_2FA=True)
def test_two_factor_wrong_code_is_refused(client, db):
    user = UserFactory.create(is_superuser=True)
    device = make_device(user)
    wrong = f"{(int(token_for(device)) + 1) % 1_000_000:06d}"

    response = login(client, user.username, otp_token=wrong)

    assert response.status_code == 200
    assert "That code is not valid." in response.content.decode()
    assert not is_logged_in(client)


@override_settings(REQUIRE_2FA=True)
def test_two_factor_unverified_session_of_a_superuser_is_refused(client, db):
    user = UserFactory.create(is_superuser=True)
    make_device(user)
    client.force_login(user)  # a password-only session

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


@override_settings(REQUIRE_2FA=False)
def test_two_factor_not_required_when_switched_off(client, db):
    user = UserFactory.create(is_superuser=True)

    response = login(client, user.username)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@override_settings(REQUIRE_2FA=False)
def test_two_factor_enrolled_user_gives_a_code_even_when_not_required(client, db):
    user = UserFactory.create(is_superuser=True)
    make_device(user)

    assert login(client, user.username).status_code == 200
    assert not is_logged_in(client)


@override_settings(REQUIRE_2FA=True)
def test_two_factor_optional_for_caseworkers(client, db):
    user = make_member("caseworker")

    response = login(client, user.username)

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@override_settings(REQUIRE_2FA=True)
def test_two_factor_enrolment_of_a_supervisor(client, db):
    user = make_member("supervisor")

    response = login(client, user.username)

    # The password is right, but no session is opened until a device is confirmed.
    assert response.status_code == 302
    assert response["Location"] == "/admin/two-factor/enrol/"
    assert not is_logged_in(client)
    page = client.get("/admin/two-factor/enrol/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert_no_store(page)
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed

    wrong = f"{(int(token_for(device)) + 1) % 1_000_000:06d}"
    assert client.post("/admin/two-factor/enrol/", {"token": wrong}).status_code == 200
    assert not is_logged_in(client)
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code's back-off is not under test here
    device.throttling_failure_timestamp = None
    device.save()

    confirmed = client.post("/admin/two-factor/enrol/", {"token": token_for(device)})

    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert is_logged_in(client)
    assert ENROLMENT_SESSION_KEY not in client.session
    assert client.get("/admin/").status_code == 200


@override_settings(REQUIRE_2FA=True)
def test_two_factor_enrolment_needs_the_password_step_first(client, db):
    response = client.get("/admin/two-factor/enrol/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL


@override_settings(REQUIRE_2FA=True)
def test_two_factor_enrolment_closes_once_a_device_is_confirmed(client, db):
    user = UserFactory.create(is_superuser=True)
    assert login(client, user.username)["Location"] == "/admin/two-factor/enrol/"
    # Meanwhile the user (or an administrator) confirmed a device elsewhere.
    make_device(user)

    response = client.get("/admin/two-factor/enrol/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL


# ---------------------------------------------------------------------------------------------
# API throttling
# ---------------------------------------------------------------------------------------------
def api_key_client() -> APIClient:
    _key, secret = make_api_key()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


@override_settings(API_THROTTLE_LIST="2/min")
@pytest.mark.parametrize("url", ["/api/v1/cases/", "/api/v1/facilities/"])
def test_throttle_limits_lists_per_api_key(db, url):
    client = api_key_client()
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]

    response = client.get(url)

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert set(response.json()) == {"code", "detail"}
    assert 0 < int(response["Retry-After"]) <= 60
    # Another key has a budget of its own.
    assert api_key_client().get(url).status_code == 200


@override_settings(API_THROTTLE_LIST="1/min")
def test_throttle_leaves_reading_one_record_alone(db):
    facility = FacilityFactory.create()
    client = api_key_client()
    assert client.get("/api/v1/facilities/").status_code == 200
    assert client.get("/api/v1/facilities/").status_code == 429

    for _ in range(3):
        assert client.get(f"/api/v1/facilities/{facility.pk}/").status_code == 200


@override_settings(API_THROTTLE_LIST="1/min")
def test_throttle_counts_token_clients_per_user(api_client, user):
    assert api_client.get("/api/v1/facilities/").status_code == 200
    assert api_client.get("/api/v1/facilities/").status_code == 429

    other = APIClient()
    other.force_authenticate(UserFactory.create())
    assert other.get("/api/v1/facilities/").status_code == 200


def test_throttle_rate_default():
    # The production default (the test settings raise it for the rest of the suite).
    from config.settings import base

    assert base.API_THROTTLE_LIST == "120/min"


def test_throttle_answer_is_in_the_api_document(client, db):
    document = client.get("/api/schema/", {"format": "json"}).json()
    paths = document["paths"]

    for path in ("/api/v1/cases/", "/api/v1/facilities/"):
        answer = paths[path]["get"]["responses"]["429"]
        assert answer["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        assert "Retry-After" in answer["headers"]
    assert "429" not in paths["/api/v1/facilities/{id}/"]["get"]["responses"]
    assert "429" not in paths["/api/v1/cases/"]["post"]["responses"]


# ---------------------------------------------------------------------------------------------
# Request logs keep no query string
# ---------------------------------------------------------------------------------------------
def test_log_filter_strips_query_strings_from_request_lines():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /api/v1/cases/?search=zzsynthetic&status=located HTTP/1.1", "200", "512"),
        None,
    )

    assert QueryStringLogFilter().filter(record)

    assert record.getMessage() == '"GET /api/v1/cases/ HTTP/1.1" 200 512'


def test_log_filter_keeps_messages_without_query_strings():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/api/v1/x/",), None
    )
    record.request = HttpRequest()

    QueryStringLogFilter().filter(record)

    assert (record.msg, record.args) == ("Not Found: %s", ("/api/v1/x/",))
    # The request object prints its full URL and would give its GET data to an error report.
    assert not hasattr(record, "request")


def test_strip_query_strings_in_urls():
    assert strip_query_strings("see /admin/cases/case/?q=zzsynthetic now") == (
        "see /admin/cases/case/ now"
    )
    assert strip_query_strings("no query here: /api/v1/cases/") == "no query here: /api/v1/cases/"


def test_log_of_a_refused_request_has_no_query_string(api_client, caplog):
    with caplog.at_level(logging.INFO):
        response = api_client.get("/api/v1/cases/", {"search": "zzsynthetic", "bogus": "1"})

    assert response.status_code == 400
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records, "Django logs a 4xx answer"
    assert "zzsynthetic" not in caplog.text
    for record in records:
        assert not hasattr(record, "request")


def test_two_factor_enrolment_is_in_the_audit_trail_without_the_key(db):
    from django_otp.oath import totp

    from accounts.two_factor import totp_device_confirm, totp_device_for_enrolment
    from audit.models import AuditEvent

    user = UserFactory.create(is_superuser=True)
    device = totp_device_for_enrolment(user=user)
    assert totp_device_confirm(device=device, token=str(totp(device.bin_key)).zfill(6))

    events = list(
        AuditEvent.objects.filter(object_type="otp_totp.totpdevice", object_id=str(device.pk))
        .order_by("id")
        .values_list("action", "changes", "actor")
    )
    assert events == [
        ("create", {"confirmed": [None, False]}, user.pk),
        ("update", {"confirmed": [False, True]}, user.pk),
    ]
    assert device.key not in str(
        list(AuditEvent.objects.values_list("changes", "metadata", "object_repr"))
    )

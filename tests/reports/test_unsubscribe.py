"""The one-click unsubscribe link: GET shows a page and changes nothing, POST (the page's
button or the mail client's RFC 8058 request) stops the e-mail without signing in; a token the
registry did not sign is a 400 that says no more. All data is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from reports.models import Subscription
from reports.services.subscriptions import subscription_set
from reports.unsubscribe import unsubscribe_token, unsubscribe_token_read, unsubscribe_url
from tests.factories.accounts import OrganizationFactory, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator() -> Any:
    return make_member("coordinator", OrganizationFactory.create(), first_name="Синтетична")


def _url(user: Any, topic: str = "registry", frequency: str = "weekly") -> str:
    token = unsubscribe_token(user_id=user.pk, topic=topic, frequency=frequency)
    return reverse("email-unsubscribe", kwargs={"token": token})


def test_unsubscribe_get_shows_the_page_and_changes_nothing(coordinator):
    subscription, _ = subscription_set(actor=coordinator, topic="registry", frequency="weekly")
    page = Client().get(_url(coordinator))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'method="post"' in text
    assert "<script" not in text
    assert "The registry&#x27;s summary" in text or "The registry's summary" in text
    for personal in (coordinator.username, coordinator.email, "Синтетична"):
        assert personal not in text
    subscription.refresh_from_db()
    assert subscription.is_active
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_unsubscribe_post_stops_the_email_without_a_session(coordinator):
    subscription, _ = subscription_set(actor=coordinator, topic="registry", frequency="weekly")
    client = Client(enforce_csrf_checks=True)
    answer = client.post(_url(coordinator), {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    subscription.refresh_from_db()
    assert not subscription.is_active
    event = AuditEvent.objects.filter(object_id=str(subscription.pk), action="update").last()
    assert event is not None
    assert event.actor_id == coordinator.pk
    assert "unsubscribed_at" in event.changes
    # Twice is the same as once.
    assert client.post(_url(coordinator)).status_code == 200


def test_unsubscribe_one_click_post_body(coordinator):
    caseworker = make_member("caseworker", OrganizationFactory.create())
    answer = Client(enforce_csrf_checks=True).post(
        _url(caseworker, "digest", "daily"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 200
    stopped = Subscription.objects.get(user=caseworker, topic="digest")
    assert stopped.unsubscribed_at is not None
    assert stopped.frequency == "daily"


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        signing.dumps({"u": 1, "t": "registry", "f": "weekly"}, salt="another.salt"),
        signing.dumps({"u": 1, "t": "everything", "f": "weekly"}, salt="reports.unsubscribe"),
    ],
)
def test_unsubscribe_bad_token_is_400_without_detail(coordinator, token):
    for method in ("get", "post"):
        answer = getattr(Client(), method)(reverse("email-unsubscribe", kwargs={"token": token}))
        assert answer.status_code == 400
        assert "summary" not in answer.content.decode()


def test_unsubscribe_tampered_token(coordinator):
    token = unsubscribe_token(user_id=coordinator.pk, topic="registry", frequency="weekly")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert unsubscribe_token_read(tampered) is None
    answer = Client().post(reverse("email-unsubscribe", kwargs={"token": tampered}))
    assert answer.status_code == 400


def test_unsubscribe_token_of_an_unknown_user_is_400():
    assert Client().post(_url(type("U", (), {"pk": 10**9})())).status_code == 400


def test_unsubscribe_url_is_absolute(settings, coordinator):
    settings.SITE_URL = "https://registry.example.org"
    url = unsubscribe_url(user_id=coordinator.pk, topic="coalition", frequency="monthly")
    assert url.startswith("https://registry.example.org/email/unsubscribe/")
    asked = unsubscribe_token_read(url.rstrip("/").rsplit("/", 1)[1])
    assert asked is not None
    assert asked.topic == "coalition"

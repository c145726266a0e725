"""The interface language: the browser's for a visitor, the user's own choice once signed in,
switched from the admin header and remembered on the account."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import user_language_set
from audit.models import AuditEvent
from core.errors import ValidationFailed
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
SWITCH = reverse("admin:language")


def page_language(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match is not None
    return match.group(1)


@pytest.fixture
def caseworker() -> User:
    return UserFactory.create(username="switcher")


def test_visitor_follows_the_browser_language():
    assert page_language(Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="uk")) == "uk"
    assert page_language(Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")) == "en"


def test_a_deployment_speaks_ukrainian_to_a_browser_that_asks_for_neither(settings):
    settings.LANGUAGE_CODE = "uk"

    response = Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="de")

    assert page_language(response) == "uk"


def test_switch_is_a_labelled_form_of_buttons_on_the_login_page_and_every_admin_page(caseworker):
    anonymous = Client().get(LOGIN, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client = Client()
    client.force_login(caseworker)
    signed_in = client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    for html in (anonymous, signed_in):
        form = re.search(r'<form class="language-switch".*?</form>', html, re.S)
        assert form is not None
        form_html = form.group(0)
        assert f'action="{SWITCH}"' in form_html
        assert 'method="post"' in form_html
        assert "csrfmiddlewaretoken" in form_html
        assert 'aria-labelledby="language-switch-label"' in form_html
        assert 'id="language-switch-label">Interface language:' in form_html
        # Real buttons (reached with Tab, pressed with Enter or Space), each language named in
        # its own language, the current one marked.
        assert re.search(
            r'<button type="submit" name="language" value="uk" lang="uk" '
            r'aria-pressed="false">Українська</button>',
            form_html,
        )
        assert re.search(
            r'<button type="submit" name="language" value="en" lang="en" '
            r'aria-pressed="true">English</button>',
            form_html,
        )


def test_visitor_switch_is_kept_in_the_cookie(caseworker):
    client = Client()

    response = client.post(SWITCH, {"language": "uk", "next": LOGIN}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"
    assert page_language(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")) == "uk"
    assert not AuditEvent.objects.filter(object_type="accounts.user").exists()


def test_signed_in_switch_is_remembered_on_the_account_and_audited(caseworker):
    client = Client()
    client.force_login(caseworker)

    response = client.post(SWITCH, {"language": "uk", "next": INDEX}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.language == "uk"
    event = AuditEvent.objects.get(object_type="accounts.user", action="update")
    assert event.object_id == str(caseworker.pk)
    assert event.actor_id == caseworker.pk
    assert event.changes == {"language": ["", "uk"]}
    # Another browser, asking for English, with no cookie: the account's choice wins.
    other = Client()
    other.force_login(caseworker)
    assert page_language(other.get(INDEX, HTTP_ACCEPT_LANGUAGE="en")) == "uk"


def test_signed_in_user_without_a_choice_follows_the_browser(caseworker):
    client = Client()
    client.force_login(caseworker)

    assert page_language(client.get(INDEX, HTTP_ACCEPT_LANGUAGE="uk")) == "uk"
    assert page_language(client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en")) == "en"


def test_login_applies_the_users_language_and_keeps_it_for_the_login_page(caseworker):
    caseworker.language = "uk"
    caseworker.save(update_fields=["language"])
    client = Client()

    response = client.post(
        LOGIN,
        {"username": "switcher", "password": "synthetic-password-123", "next": INDEX},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302, response.content.decode()[:500]
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "uk"
    assert page_language(client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en")) == "uk"
    client.post(reverse("admin:logout"))
    assert page_language(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")) == "uk"


def test_switch_refuses_an_unknown_language_and_a_foreign_next(caseworker):
    client = Client()
    client.force_login(caseworker)

    refused = client.post(SWITCH, {"language": "xx", "next": INDEX})
    foreign = client.post(SWITCH, {"language": "en", "next": "https://elsewhere.example/"})

    assert refused.status_code == 400
    assert "Unknown language" in refused.content.decode()
    assert foreign.status_code == 302
    assert foreign["Location"] == INDEX
    assert client.get(SWITCH).status_code == 405


def test_switch_needs_the_csrf_token(caseworker):
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)

    assert client.post(SWITCH, {"language": "uk"}).status_code == 403
    caseworker.refresh_from_db()
    assert caseworker.language == ""


def test_user_language_set_validates_and_records_only_changes(caseworker):
    with pytest.raises(ValidationFailed) as refused:
        user_language_set(user=caseworker, language="de")
    assert "language" in refused.value.fields

    user_language_set(user=caseworker, language="en")
    user_language_set(user=caseworker, language="en")
    user_language_set(user=caseworker, language="")

    assert [
        event.changes
        for event in AuditEvent.objects.filter(object_type="accounts.user").order_by("pk")
    ] == [{"language": ["", "en"]}, {"language": ["en", ""]}]

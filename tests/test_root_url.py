"""The service's front door: the root address leads to the admin (login, then the home page by
role); the service has no public pages."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_root_redirects_to_the_admin() -> None:
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_root_then_admin_asks_an_anonymous_visitor_to_log_in() -> None:
    response = Client().get("/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/admin/login/")

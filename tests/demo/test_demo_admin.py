"""``create_demo_admin``: a superuser for trying the service, a development tool only."""

from __future__ import annotations

import json
import stat
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.authtoken.models import Token

from accounts.models import User
from demo.management.commands.create_demo_admin import database_label

pytestmark = pytest.mark.django_db


def _kept(var_dir: Any) -> Any:
    """The logins the credentials file keeps for the test database."""
    return json.loads((var_dir / "demo-admin.json").read_text())["databases"][database_label()]


def _create_demo_admin(**options: Any) -> str:
    out = StringIO()
    call_command("create_demo_admin", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo_settings(settings: Any, tmp_path: Any) -> Any:
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    return settings


def test_create_demo_admin_is_idempotent(demo_settings: Any) -> None:
    first = _create_demo_admin()
    second = _create_demo_admin()

    assert first == second
    user = User.objects.get(username="admin")
    assert User.objects.filter(username="admin").count() == 1
    assert user.is_superuser
    assert user.is_staff
    stored = _kept(demo_settings.VAR_DIR)
    password = stored["admin"]["password"]
    assert user.check_password(password)
    token = Token.objects.get(user=user)
    assert Token.objects.filter(user=user).count() == 1
    for expected in (password, token.key, "/admin/", "/api/v1/cases/"):
        assert expected in first


def test_create_demo_admin_keeps_the_login_readable_by_its_owner_only(demo_settings: Any) -> None:
    _create_demo_admin(username="demo")

    mode = stat.S_IMODE((demo_settings.VAR_DIR / "demo-admin.json").stat().st_mode)
    assert mode == 0o600


def test_create_demo_admin_refuses_without_debug(settings: Any, tmp_path: Any) -> None:
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path

    with pytest.raises(CommandError, match="DEBUG"):
        _create_demo_admin()

    assert not User.objects.filter(username="admin").exists()
    assert not (tmp_path / "demo-admin.json").exists()


def test_create_demo_admin_refuses_to_take_over_an_existing_user(demo_settings: Any) -> None:
    User.objects.create_user(username="admin", password="someone-elses-password-1")

    with pytest.raises(CommandError, match="already exists"):
        _create_demo_admin()

    assert User.objects.get(username="admin").check_password("someone-elses-password-1")


def test_demo_logins_of_the_checkouts_database_survive_a_moved_checkout(
    settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The development database is named by its place in the checkout, not the absolute path."""
    monkeypatch.setattr(connection, "vendor", "sqlite")
    for base in (tmp_path / "here", tmp_path / "moved"):
        settings.BASE_DIR = base
        monkeypatch.setitem(connection.settings_dict, "NAME", str(base / "var" / "db.sqlite3"))
        assert database_label() == "sqlite:var/db.sqlite3"
    monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "elsewhere.sqlite3"))
    assert database_label() == f"sqlite:{(tmp_path / 'elsewhere.sqlite3').resolve()}"

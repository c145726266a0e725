"""Shared fixtures. The suite runs on SQLite unless ``DATABASE_URL`` points at PostgreSQL;
tests marked ``postgres`` are skipped on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import factory.random
import pytest
from django.db import connection
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization, Role
from accounts.services import membership_set
from cases.models import Oblast
from cases.seeding import oblasts_load
from tests.celery_workers import StartWorker, worker_starter
from tests.factories.accounts import UserFactory
from tests.factories.cases import fake, home_organization
from tests.smtp_server import SMTPServer, running_smtp_server
from tests.sqlite_instance import migrated_database


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if item.get_closest_marker("postgres") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _synthetic_data_is_repeatable() -> None:
    """Seed the synthetic-data generators per test, so a test that passes always passes (a
    random name that happens to match a search term cannot make it flaky)."""
    factory.random.reseed_random("child-return-registry")
    fake.seed_instance(20220224)


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    """Back to the default language after each test: a request with ``Accept-Language: uk``
    leaves Ukrainian active in the thread (``LocaleMiddleware`` activates, nothing resets), and
    the next test would read Ukrainian where it expects English."""
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Load the oblasts once into the test database; every test's transaction starts from it."""
    with django_db_blocker.unblock():
        oblasts_load()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite database file for tests that run the registry in processes of
    its own; each test copies it (``tests.sqlite_instance.database_copy``)."""
    return migrated_database(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture
def oblasts(db: None) -> dict[str, Oblast]:
    found = {o.code: o for o in Oblast.objects.all()}
    if len(found) < 27:  # a transactional test before this one flushed the tables
        oblasts_load()
        found = {o.code: o for o in Oblast.objects.all()}
    return found


@pytest.fixture
def home(db: None) -> Organization:
    """The organization that owns test cases by default."""
    return home_organization()


@pytest.fixture
def user(home: Organization) -> Any:
    """A supervisor of the home organization: may do everything to its cases."""
    member = UserFactory.create()
    membership_set(user=member, organization=home, role=Role.SUPERVISOR)
    return member


@pytest.fixture
def api_client(user: Any) -> APIClient:
    """An API client authenticated with the user's token."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon_client() -> APIClient:
    return APIClient()


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[StartWorker]:
    """Starts real Celery worker processes (``tests.celery_workers``); kills what is left."""
    yield from worker_starter(tmp_path)


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on a free local port (``tests.smtp_server``)."""
    yield from running_smtp_server()

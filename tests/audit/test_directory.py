"""The actor directory: what the trail asks of accounts, which registers the answers at start-up
(``audit.directory``). The trail asks the registered directory, whichever it is, and refuses
clearly when none was registered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from audit import context, directory, selectors, services
from audit.directory import APIKeyRef
from audit.models import Action, AuditEvent, Channel
from tests.factories.accounts import OrganizationFactory

pytestmark = pytest.mark.django_db


@dataclass
class FakeDirectory:
    """A directory with set answers, to tell the trail asked it and not accounts."""

    organization_id: int | None
    api_key: APIKeyRef | None = None
    readers: set[int] = field(default_factory=set)
    api_key_keyword: str = "Fake-Key"
    api_key_model: type[AuditEvent] = AuditEvent  # any model: the trail records its label

    def request_api_key(self, request: Any) -> APIKeyRef | None:
        return self.api_key

    def api_key_by_prefix(self, prefix: str) -> APIKeyRef | None:
        return self.api_key if self.api_key and self.api_key.prefix == prefix else None

    def sole_organization(self, actor: Any) -> int | None:
        return self.organization_id

    def can_read_audit(self, actor: Any) -> bool:
        return getattr(actor, "pk", None) in self.readers


@pytest.fixture
def no_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directory, "_registered", None)


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch):
    """``register(fake)``: make ``fake`` the directory for this test only."""
    # Set to itself so that the accounts' directory is put back after the test.
    monkeypatch.setattr(directory, "_registered", directory.actor_directory())
    return directory.register_directory


def test_unregistered_directory_fails_clearly(no_directory):
    with pytest.raises(ImproperlyConfigured, match=r"no actor directory.*AccountsConfig\.ready"):
        directory.actor_directory()


def test_an_event_by_an_actor_refuses_without_a_directory(no_directory, user, trail):
    with pytest.raises(ImproperlyConfigured, match="no actor directory"):
        services.record(Action.EXPORT, actor=user)
    with pytest.raises(ImproperlyConfigured, match="no actor directory"):
        selectors.can_read_audit(user)
    assert not trail().exists()


def test_a_system_event_needs_no_directory(no_directory):
    event = services.record(Action.EXPORT, actor=None)
    assert (event.actor, event.organization_id, event.api_key_prefix) == (None, None, "")


def test_the_trail_asks_the_registered_directory(register, user):
    other = OrganizationFactory.create()  # the user is a member of another one, home
    key = APIKeyRef(prefix="Fake1234", organization_id=other.pk, service_account_id=user.pk)
    register(FakeDirectory(organization_id=other.pk, api_key=key, readers={user.pk}))
    request = RequestFactory().get("/api/v1/cases/")
    request.user = user
    token = context.bind(context.AuditContext(channel=Channel.API, request=request))
    try:
        event = services.record(Action.EXPORT, actor=user)
    finally:
        context.unbind(token)
    assert event.api_key_prefix == "Fake1234"
    assert event.organization == other
    assert selectors.can_read_audit(user)  # a supervisor: accounts would say no


def test_the_directory_gives_the_actor_s_sole_organization(register, user):
    other = OrganizationFactory.create()
    register(FakeDirectory(organization_id=other.pk))
    assert services.record(Action.EXPORT, actor=user).organization == other
    register(FakeDirectory(organization_id=None))
    assert services.record(Action.EXPORT, actor=user).organization is None


def test_a_refused_key_is_recognised_by_the_directory_s_keyword_and_prefixes(register):
    organization = OrganizationFactory.create()
    key = APIKeyRef(prefix="Fake1234", organization_id=organization.pk, service_account_id=0)
    register(FakeDirectory(organization_id=None, api_key=key))
    other_scheme = RequestFactory().get("/", HTTP_AUTHORIZATION="Api-Key Fake1234.secret")
    assert services.record_api_key_refused(other_scheme) is None
    known = services.record_api_key_refused(
        RequestFactory().get("/", HTTP_AUTHORIZATION="Fake-Key Fake1234.secret")
    )
    assert known is not None
    assert (known.object_type, known.object_id) == ("audit.auditevent", "Fake1234")
    assert known.organization == organization
    assert known.metadata == {"reason": "api_key_refused", "key_known": True}
    unknown = services.record_api_key_refused(
        RequestFactory().get("/", HTTP_AUTHORIZATION="Fake-Key Other123.secret")
    )
    assert unknown is not None
    assert (unknown.api_key_prefix, unknown.object_id, unknown.organization) == (
        "Other123",
        "",
        None,
    )

"""Who may do what on the meetings, statements and resolutions endpoints: anonymous callers
are asked to sign in (401); every role that reads the coalition reads (caseworker, supervisor,
partner user and API key, coordinator, auditor); only coordinators and superusers write; a
signed-in user without a membership is refused everything (403). All data is synthetic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization, Role, User
from coalition.models import Meeting, Resolution, Statement
from tests.factories.accounts import OrganizationFactory, UserFactory, make_api_key, make_member
from tests.factories.coalition_meetings import make_meeting, make_resolution, make_statement

pytestmark = pytest.mark.django_db

READERS = ("caseworker", "supervisor", "partner", "partner_key", "coordinator", "auditor")
WRITERS = ("coordinator", "superuser")
ROLES = ("anonymous", *READERS, "superuser", "no_membership")


def _token_client(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def client_for(role: str, organization: Organization) -> APIClient:
    if role == "anonymous":
        return APIClient()
    if role == "partner_key":
        _key, secret = make_api_key(OrganizationFactory.create())
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
        return client
    if role == "superuser":
        return _token_client(UserFactory.create(is_superuser=True))
    if role == "no_membership":
        return _token_client(UserFactory.create())
    return _token_client(make_member(getattr(Role, role.upper()), organization))


Request = Callable[[APIClient, dict[str, Any]], Any]


def _etag(record: Any) -> str:
    record.refresh_from_db()
    return f'"{record.pk}-{record.version}"'


def _collection(
    name: str, create: dict[str, Any], patch: dict[str, Any]
) -> dict[str, tuple[bool, Request]]:
    """A collection's list, create, read and patch, the record read under ``r[name]``."""
    return {
        f"{name}s list": (False, lambda c, r: c.get(reverse(f"coalition-{name}-list"))),
        f"{name}s create": (
            True,
            lambda c, r: c.post(reverse(f"coalition-{name}-list"), create, format="json"),
        ),
        f"{name} read": (
            False,
            lambda c, r: c.get(reverse(f"coalition-{name}-detail", args=[r[name].pk])),
        ),
        f"{name} patch": (
            True,
            lambda c, r: c.patch(
                reverse(f"coalition-{name}-detail", args=[r[name].pk]),
                patch,
                format="json",
                HTTP_IF_MATCH=_etag(r[name]),
            ),
        ),
    }


def requests() -> dict[str, tuple[bool, Request]]:
    """Each endpoint and method: whether it writes, and how to call it on the records."""
    return {
        **_collection(
            "meeting",
            {"kind": "call", "title": "Synthetic call", "held_on": "2024-01-05"},
            {"place": "Synthetic place"},
        ),
        **_collection(
            "statement",
            {"title": "Synthetic statement", "issued_on": "2024-01-05"},
            {"text": "Synthetic text"},
        ),
        **_collection(
            "resolution",
            {"body": "other", "title": "Synthetic resolution", "voted_on": "2024-01-05"},
            {"title": "Synthetic resolution, renamed"},
        ),
        "resolution votes": (
            True,
            lambda c, r: c.put(
                reverse("coalition-resolution-votes", args=[r["resolution"].pk]),
                {"votes": {"CA": "in_favour"}},
                format="json",
                HTTP_IF_MATCH=_etag(r["resolution"]),
            ),
        ),
        "resolution roll call": (
            True,
            lambda c, r: c.post(
                reverse("coalition-resolution-roll-call", args=[r["resolution"].pk]),
                {"against": "Russia"},
                format="json",
                HTTP_IF_MATCH=_etag(r["resolution"]),
            ),
        ),
    }


def expected(role: str, writes: bool) -> set[int]:
    if role == "anonymous":
        return {401}
    if role == "no_membership":
        return {403}
    if writes:
        return {200, 201} if role in WRITERS else {403}
    return {200}


@pytest.mark.parametrize("role", ROLES)
def test_meetings_endpoints_by_role(role: str, home: Organization) -> None:
    records: dict[str, Any] = {
        "meeting": make_meeting(),
        "statement": make_statement(),
        "resolution": make_resolution(),
    }
    client = client_for(role, home)
    counts = (Meeting.objects.count(), Statement.objects.count(), Resolution.objects.count())
    problems = []
    for what, (writes, call) in requests().items():
        response = call(client, records)
        if response.status_code not in expected(role, writes):
            problems.append(f"{what}: {response.status_code} {response.content[:200]!r}")
    assert not problems, problems
    if role not in WRITERS:
        # Nothing written by a refused write.
        assert counts == (
            Meeting.objects.count(),
            Statement.objects.count(),
            Resolution.objects.count(),
        )
        for record in records.values():
            record.refresh_from_db()
            assert record.version == 1

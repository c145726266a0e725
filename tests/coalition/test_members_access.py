"""Who may do what on the members part's endpoints: anonymous 401; caseworkers, supervisors,
partners (users and API keys), coordinators and auditors read; only coordinators and
superusers write; a user with no membership is refused (403). Synthetic data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from coalition.models import Member, Pledge, Project
from coalition.services.members import organization_record
from tests.factories.accounts import UserFactory, make_api_key, make_member
from tests.factories.coalition_members import (
    make_areas,
    make_coalition_member,
    make_pledge,
    make_project,
)

pytestmark = pytest.mark.django_db

READERS = ["caseworker", "supervisor", "partner", "partner_key", "coordinator", "auditor"]
WRITERS = {"coordinator", "superuser"}
ROLES = ["anonymous", "no_membership", *READERS, "superuser"]


def _client(role: str) -> APIClient:
    client = APIClient()
    if role == "anonymous":
        return client
    if role == "partner_key":
        _key, secret = make_api_key()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
        return client
    if role == "no_membership":
        user = UserFactory.create()
    elif role == "superuser":
        user = UserFactory.create(is_superuser=True, is_staff=True)
    else:
        user = make_member(role)
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@dataclass
class World:
    member: Member
    project: Project
    pledge: Pledge


@pytest.fixture
def world() -> World:
    make_areas()
    member = make_coalition_member("CA", areas=["justice"])
    make_coalition_member("UA")
    project = make_project(area="justice", lead="CA")
    return World(member=member, project=project, pledge=make_pledge("CA", project=project.pk))


def _etag(record: Any) -> str:
    record.refresh_from_db()
    return f'"{record.pk}-{record.version}"'


Request = Callable[[APIClient, World], Any]

READS: dict[str, Request] = {
    "parties list": lambda c, w: c.get(reverse("coalition-party-list")),
    "party detail": lambda c, w: c.get(reverse("coalition-party-detail", args=["CA"])),
    "areas list": lambda c, w: c.get(reverse("coalition-area-list")),
    "area detail": lambda c, w: c.get(reverse("coalition-area-detail", args=["justice"])),
    "commitments list": lambda c, w: c.get(reverse("coalition-commitment-list")),
    "members list": lambda c, w: c.get(reverse("coalition-member-list")),
    "member detail": lambda c, w: c.get(reverse("coalition-member-detail", args=[w.member.pk])),
    "projects list": lambda c, w: c.get(reverse("coalition-project-list")),
    "project detail": lambda c, w: c.get(reverse("coalition-project-detail", args=[w.project.pk])),
    "pledges list": lambda c, w: c.get(reverse("coalition-pledge-list")),
    "pledge detail": lambda c, w: c.get(reverse("coalition-pledge-detail", args=[w.pledge.pk])),
    "pledge history": lambda c, w: c.get(reverse("coalition-pledge-history", args=[w.pledge.pk])),
}

WRITES: dict[str, Request] = {
    "party create": lambda c, w: c.post(
        reverse("coalition-party-list"),
        {"code": "synthetic-org", "name": "Synthetic Organization"},
        format="json",
    ),
    "member create": lambda c, w: c.post(
        reverse("coalition-member-list"), {"party": "BE"}, format="json"
    ),
    "member patch": lambda c, w: c.patch(
        reverse("coalition-member-detail", args=[w.member.pk]),
        {"note": "Synthetic note"},
        format="json",
        HTTP_IF_MATCH=_etag(w.member),
    ),
    "project create": lambda c, w: c.post(
        reverse("coalition-project-list"), {"title": "T", "area": "justice"}, format="json"
    ),
    "project patch": lambda c, w: c.patch(
        reverse("coalition-project-detail", args=[w.project.pk]),
        {"status": "active"},
        format="json",
        HTTP_IF_MATCH=_etag(w.project),
    ),
    "pledge create": lambda c, w: c.post(
        reverse("coalition-pledge-list"),
        {"member": "UA", "area": "justice", "kind": "expertise", "description": "x"},
        format="json",
    ),
    "pledge patch": lambda c, w: c.patch(
        reverse("coalition-pledge-detail", args=[w.pledge.pk]),
        {"description": "Synthetic"},
        format="json",
        HTTP_IF_MATCH=_etag(w.pledge),
    ),
    "pledge transition": lambda c, w: c.post(
        reverse("coalition-pledge-transition", args=[w.pledge.pk]),
        {"to": "in_progress"},
        format="json",
        HTTP_IF_MATCH=_etag(w.pledge),
    ),
}


@pytest.mark.parametrize("role", ROLES)
def test_reads(world: World, role: str) -> None:
    client = _client(role)
    expected = 401 if role == "anonymous" else 403 if role == "no_membership" else 200
    problems = []
    for what, send in READS.items():
        response = send(client, world)
        if response.status_code != expected:
            problems.append(f"{what}: {response.status_code} {response.content[:200]!r}")
    assert not problems, problems


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("what", sorted(WRITES))
def test_writes(world: World, role: str, what: str) -> None:
    client = _client(role)
    response = WRITES[what](client, world)
    if role == "anonymous":
        assert response.status_code == 401
    elif role in WRITERS:
        assert response.status_code in {200, 201}, response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] in {"coalition_write_denied", "coalition_read_denied"}


@pytest.mark.parametrize("role", ROLES)
def test_organization_patch(world: World, role: str) -> None:
    party = organization_record(actor=None, data={"code": "synthetic-org-b", "name": "B"})
    response = _client(role).patch(
        reverse("coalition-party-detail", args=[party.code]),
        {"name": "Renamed"},
        format="json",
        HTTP_IF_MATCH=f'"{party.pk}-{party.version}"',
    )
    if role == "anonymous":
        assert response.status_code == 401
    elif role in WRITERS:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403

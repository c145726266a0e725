"""The world the lists' tests share: a list kept by organization A with entries linked to cases
of A (one shared limited with B, one shared in full with B), to a case of D, and one entry
linked to no case; and a reader of each role. All data is synthetic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization, OrganizationAPIKey, User
from accounts.services import membership_set
from cases import services as case_services
from cases.models import Case
from coalition.models import ChildList, ChildListEntry
from tests.factories.accounts import OrganizationFactory, UserFactory, make_api_key, make_member
from tests.factories.cases import make_case
from tests.factories.coalition_lists import make_entry, make_list

# Distinctive synthetic values: their appearance in an answer is a leak where they are hidden.
NAMES = {
    "own": "Власенко Олеся",
    "limited": "Обмеженко Тарас",
    "full": "Повненко Ірина",
    "other": "Чужинська Дарина",
    "unlinked": "Безсправний Марко",
}
BIRTHS = {key: f"0{index + 1}.0{index + 1}.2012 synthetic" for index, key in enumerate(NAMES)}
DETAILS = {key: f"Synthetic detail {key}" for key in NAMES}
ENTRY_KEYS = list(NAMES)

ROLES = [
    "caseworker_a",
    "supervisor_a",
    "coordinator_a",
    "partner_b",
    "partner_key_b",
    "caseworker_d",
    "coordinator_d",
    "auditor",
    "superuser",
]

# What each role sees of each entry: full, limited or none.
SIGHT: dict[str, dict[str, str]] = {
    "caseworker_a": {
        "own": "full",
        "limited": "full",
        "full": "full",
        "other": "none",
        "unlinked": "full",
    },
    "supervisor_a": {
        "own": "full",
        "limited": "full",
        "full": "full",
        "other": "none",
        "unlinked": "full",
    },
    # Coordinators read no case: only the names no case stands behind, on their own lists.
    "coordinator_a": {
        "own": "none",
        "limited": "none",
        "full": "none",
        "other": "none",
        "unlinked": "full",
    },
    "partner_b": {
        "own": "none",
        "limited": "limited",
        "full": "full",
        "other": "none",
        "unlinked": "none",
    },
    "partner_key_b": {
        "own": "none",
        "limited": "limited",
        "full": "full",
        "other": "none",
        "unlinked": "none",
    },
    "caseworker_d": {
        "own": "none",
        "limited": "none",
        "full": "none",
        "other": "full",
        "unlinked": "none",
    },
    "coordinator_d": dict.fromkeys(NAMES, "none"),
    "auditor": dict.fromkeys(NAMES, "full"),
    "superuser": dict.fromkeys(NAMES, "full"),
}


@dataclass
class ListsWorld:
    orgs: dict[str, Organization]
    users: dict[str, User]
    cases: dict[str, Case]
    child_list: ChildList
    entries: dict[str, ChildListEntry]
    api_key_secret: str
    clients: dict[str, APIClient] = field(default_factory=dict)

    def client(self, role: str) -> APIClient:
        return self.clients[role]


def client_for(user: User | None = None, api_key_secret: str | None = None) -> APIClient:
    client = APIClient()
    if api_key_secret is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_secret}")
    elif user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _share(case: Case, org: Organization, scope: str) -> None:
    case_services.case_share_create(
        case=case,
        actor=None,
        organization=org,
        scope=scope,
        reason="Synthetic lists share",
        consent_reference="LISTS-CONSENT",
    )


@pytest.fixture
def lists_world(db: None) -> ListsWorld:
    orgs = {key: OrganizationFactory.create(name=f"Lists organization {key}") for key in "ABCD"}
    a, b, d = orgs["A"], orgs["B"], orgs["D"]
    users = {
        "caseworker_a": make_member("caseworker", a),
        "supervisor_a": make_member("supervisor", a),
        "coordinator_a": make_member("coordinator", a),
        "partner_b": make_member("partner", b),
        "caseworker_d": make_member("caseworker", d),
        "coordinator_d": make_member("coordinator", d),
        "auditor": make_member("auditor", orgs["C"]),
        "superuser": UserFactory.create(username="lists-superuser", is_superuser=True),
        "nobody": UserFactory.create(username="lists-nobody"),
    }
    _key, secret = make_api_key(organization=b, role="partner")
    cases = {
        "own": make_case(organization=a),
        "limited": make_case(organization=a),
        "full": make_case(organization=a),
        "other": make_case(organization=d),
    }
    _share(cases["limited"], b, "limited")
    _share(cases["full"], b, "full")
    child_list = make_list(a, count_claimed=400, count_qualifier="nearly")
    entries = {}
    for key_name in ENTRY_KEYS:
        entries[key_name] = make_entry(
            child_list,
            name_as_written=NAMES[key_name],
            date_of_birth_as_written=BIRTHS[key_name],
            details=DETAILS[key_name],
            case=cases[key_name].pk if key_name in cases else None,
        )
    world = ListsWorld(orgs, users, cases, child_list, entries, secret)
    world.clients = {
        "anonymous": APIClient(),
        **{role: client_for(user) for role, user in users.items()},
        "partner_key_b": client_for(api_key_secret=secret),
    }
    return world


def add_membership(user: User, organization: Organization, role: str) -> User:
    membership_set(user=user, organization=organization, role=role)
    return User.objects.get(pk=user.pk)  # roles are cached on the object


def as_actor(world: ListsWorld, role: str) -> Any:
    """The actor a role reads as (the API key's service account for the key)."""
    if role == "partner_key_b":
        return OrganizationAPIKey.objects.get(organization=world.orgs["B"]).service_account
    return world.users[role]

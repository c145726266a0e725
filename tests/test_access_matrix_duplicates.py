"""The access matrix of the duplicate review: ``/api/v1/duplicates/`` (list, detail, decide)
for every role of the matrix's world, with three pairs of look-alike children in it.

A pair is seen and decided only by whoever may change both of its children: the members of
organization A with a role that writes cases (caseworker, supervisor) for A's own pair, and
superusers for every pair. Everyone else lists none, and reading or deciding a pair is a 404
whose body names no child. Every successful read leaves one read event naming the pairs and
cases it showed; a refusal or a write leaves none. All data is synthetic.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from cases import services
from cases.models import DuplicatePair
from tests.factories.cases import make_case
from tests.test_access_matrix import (
    DUPLICATE,
    ENDPOINTS,
    ROLES,
    World,
    _read_event_problems,
    _send,
    _undocumented,
    documented_statuses,  # noqa: F401  (a fixture, used by name)
    world,  # noqa: F401  (a fixture, used by name)
)

pytestmark = pytest.mark.django_db

# Look-alike children, each named distinctively so that a leak is found in any answer.
# Each pair differs from the others in every name and the date of birth, so that only its own
# two children match.
TWINS = {
    "aa": ("Близнюченко", "A", "A"),  # both in A: A's writers and superusers
    "ad": ("Розділенко", "A", "D"),  # one in A, one in D: superusers only
    "bb": ("Подвоєнко", "B", "B"),  # both in B, whose partners change nothing: superusers only
}
OTHER_NAMES = {
    "aa": ("Олексій", "Сергійович", dt.date(2012, 5, 17)),
    "ad": ("Тарас", "Миколайович", dt.date(2014, 9, 2)),
    "bb": ("Остап", "Богданович", dt.date(2010, 2, 21)),
}
DECIDERS = {"aa": {"caseworker_a", "supervisor_a", "superuser"}}


def _deciders(key: str) -> set[str]:
    return DECIDERS.get(key, {"superuser"})


def _twin(key: str) -> dict[str, Any]:
    given_name, patronymic, date_of_birth = OTHER_NAMES[key]
    return {
        "given_name": given_name,
        "family_name": TWINS[key][0],
        "patronymic": patronymic,
        "sex": "male",
        "date_of_birth": date_of_birth,
    }


def _pairs(matrix: World) -> dict[str, DuplicatePair]:
    pairs = {}
    for key, (_family_name, one, other) in TWINS.items():
        children = [
            make_case(organization=matrix.orgs[org], child=_twin(key)).child for org in (one, other)
        ]
        first, second = sorted(c.pk for c in children)
        pairs[key] = (first, second)
    services.duplicate_pairs_scan_batch(batch_size=10_000)
    return {
        key: DuplicatePair.objects.get(first_id=first, second_id=second)
        for key, (first, second) in pairs.items()
    }


def _leaks(role: str, text: str) -> list[str]:
    found = [
        f"the names of pair {key}"
        for key, (family_name, *_orgs) in TWINS.items()
        if role not in _deciders(key) and family_name in text
    ]
    return found


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_duplicates(world: World, role: str, documented_statuses: Any):  # noqa: F811
    pairs = _pairs(world)
    client = world.clients[role]
    anonymous = role == "anonymous"
    problems: list[str] = []

    def check(what: str, response: Any, expected: set[int]) -> None:
        if response.status_code not in expected:
            problems.append(
                f"{what}: {response.status_code}, expected {sorted(expected)}: "
                f"{response.content[:200]!r}"
            )
        if (undocumented := _undocumented(documented_statuses, response)) is not None:
            problems.append(f"{what}: {undocumented}")
        for leak in _leaks(role, response.content.decode()):
            problems.append(f"{what}: leaks {leak}")
        problems.extend(_read_event_problems(what, response))

    for name, endpoint in ENDPOINTS.items():
        if endpoint.target != DUPLICATE:
            continue
        for method in sorted(endpoint.methods):
            if name == "duplicate-list":
                what = f"{role} GET {name}"
                response = client.get(reverse(name), {"page_size": 200})
                check(what, response, {401} if anonymous else {200})
                if response.status_code == 200:
                    listed = {row["id"] for row in response.json()["results"]}
                    wanted = {pair.pk for key, pair in pairs.items() if role in _deciders(key)}
                    if listed != wanted:
                        problems.append(f"{what}: lists {listed}, expected {wanted}")
                continue
            for key, pair in pairs.items():
                what = f"{role} {method.upper()} {name} [{key}]"
                body = {"decision": "different", "note": "Synthetic matrix decision"}
                response = _send(client, method, reverse(name, kwargs={"pk": pair.pk}), body, {})
                if anonymous:
                    check(what, response, {401})
                elif role in _deciders(key):
                    check(what, response, {200})
                else:
                    check(what, response, {404})
    assert not problems, "\n".join(problems)

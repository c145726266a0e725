"""Races on PostgreSQL over coalition records: two coordinators change the same record at the
same moment, both having read the same version (the same ``If-Match``): one wins, the other is
told the record changed (412 ``stale_version``), whatever the order the database serves them
in; and a new state named by several writers at once becomes one party. Each worker thread has
its own database connection. All data is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from coalition.models import ChildListEntry, Party, Pledge, PledgeStatusChange
from coalition.services.common import party_for_code
from tests.cases.test_concurrency import outcomes, race
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.coalition_lists import make_entry, make_list
from tests.factories.coalition_members import make_areas, make_coalition_member, make_pledge

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _coordinators(organization: Any, count: int = 2) -> list[APIClient]:
    clients = []
    for _ in range(count):
        client = APIClient()
        token = Token.objects.create(user=make_member("coordinator", organization))
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        clients.append(client)
    return clients


def _statuses(results: list[Any]) -> list[int]:
    assert all(not isinstance(r, Exception) for r in results), results
    return sorted(r.status_code for r in results)


def test_two_transitions_of_one_pledge_with_the_same_if_match_do_not_both_win():
    make_areas()
    make_coalition_member("CA")
    pledge = make_pledge("CA")
    clients = _coordinators(OrganizationFactory.create())
    url = reverse("coalition-pledge-transition", args=[pledge.pk])
    tag = f'"{pledge.pk}-{pledge.version}"'
    # Two moves each legal from "pledged" (and the second from the first's): only the version
    # read tells the loser that the pledge moved meanwhile.
    targets = ["in_progress", "withdrawn"]
    results = race(
        lambda i: clients[i].post(url, {"to": targets[i]}, format="json", HTTP_IF_MATCH=tag),
        workers=2,
    )
    assert _statuses(results) == [200, 412], [r.content for r in results]
    loser = next(r for r in results if r.status_code == 412)
    assert loser.json()["code"] == "stale_version"
    winner = next(r for r in results if r.status_code == 200)
    stored = Pledge.objects.get(pk=pledge.pk)
    assert stored.version == pledge.version + 1
    assert stored.status == winner.json()["status"]
    assert PledgeStatusChange.objects.filter(pledge=pledge).exclude(from_status="").count() == 1


def test_two_updates_of_one_list_entry_with_the_same_if_match_do_not_both_win():
    organization = OrganizationFactory.create()
    entry = make_entry(make_list(organization), name_as_written="Синтетична Гонка")
    clients = _coordinators(organization)
    url = reverse("coalition-list-entry-detail", args=[entry.pk])
    tag = f'"{entry.pk}-{entry.version}"'
    results = race(
        lambda i: clients[i].patch(
            url, {"details": f"Synthetic detail {i}"}, format="json", HTTP_IF_MATCH=tag
        ),
        workers=2,
    )
    assert _statuses(results) == [200, 412], [r.content for r in results]
    assert next(r for r in results if r.status_code == 412).json()["code"] == "stale_version"
    winner = next(r for r in results if r.status_code == 200)
    stored = ChildListEntry.objects.get(pk=entry.pk)
    assert stored.version == entry.version + 1
    assert stored.details == winner.json()["details"]


def test_a_new_state_named_at_once_by_several_writers_is_one_party():
    assert not Party.objects.filter(code="NZ").exists()

    def name_it(_: int) -> int:
        with transaction.atomic():  # as every service that names a party
            return party_for_code("NZ").pk

    results = race(name_it)
    assert outcomes(results) == {"int": len(results)}, results
    assert len(set(results)) == 1
    assert Party.objects.filter(code="NZ").count() == 1

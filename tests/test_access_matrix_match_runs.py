"""The access matrix of match runs: every role × every endpoint of ``/api/v1/match-runs/``.

Each role uploads a list naming every child of the matrix's world and reads the results: the
children whose cases it sees are shown (a limited share's with the year of birth only), the
others only as "held by" their organization, and no hidden name or date leaks. A run is seen by
who ran it and by superusers; anyone else's is a 404. Confirming a list entry's match is for
those the coalition lets link (coordinators of the keeping organization, superusers). All data
is synthetic.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.services.match_runs import match_run_start_file
from tests.factories.coalition_lists import make_entry, make_list
from tests.test_access_matrix import (
    ENDPOINTS,
    MATCH_RUN,
    ROLES,
    World,
    _leaks,
    _read_event_problems,
    _undocumented,
    documented_statuses,
    visible_cases,
    world,
)

pytestmark = pytest.mark.django_db
__all__ = ["documented_statuses", "world"]

# Who may start a run: whoever reads cases or coordinates the coalition.
RUNNERS = {
    "caseworker_a",
    "supervisor_a",
    "coordinator_a",
    "partner_b",
    "partner_key_b",
    "caseworker_d",
    "auditor",
    "superuser",
}
# Who sees the names of the list's unlinked entries (organization A's members reading the
# coalition, auditors, superusers), and so may match it.
LIST_READERS = {"caseworker_a", "supervisor_a", "coordinator_a", "auditor", "superuser"}
# Who may link an entry of A's list: its coordinators and superusers.
LINKERS = {"coordinator_a", "superuser"}


def _list_csv(world: World) -> bytes:
    lines = ["ref,full_name,date_of_birth"]
    for key, case in world.cases.items():
        child = case.child
        lines.append(
            f"{key},{child.family_name} {child.given_name} {child.patronymic},"
            f"{child.date_of_birth.isoformat() if child.date_of_birth else ''}"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def _shown_cases(body: dict[str, Any]) -> dict[str, int | None]:
    """For each row's ref, the case its best candidate shows (``None``: held elsewhere)."""
    shown: dict[str, int | None] = {}
    for row in body["rows"]:
        if row["candidates"]:
            best = row["candidates"][0]
            shown[row["ref"]] = best["case"]["id"] if not best["held"] else None
    return shown


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_match_runs(world: World, role: str, documented_statuses: Any):
    client = world.clients[role]
    anonymous = role == "anonymous"
    problems: list[str] = []
    content = _list_csv(world)
    # Someone else's run (the system's), and a list kept by A naming "own".
    foreign = match_run_start_file(actor=None, file_name="foreign.csv", content=content)
    child = world.cases["own"].child
    assert child.date_of_birth is not None
    child_list = make_list(world.orgs["A"])
    make_entry(
        child_list,
        name_as_written=f"{child.given_name} {child.patronymic} {child.family_name}",
        date_of_birth_as_written=child.date_of_birth.strftime("%d.%m.%Y"),
    )

    def check(what: str, response: Any, expected: set[int]) -> None:
        if response.status_code not in expected:
            problems.append(
                f"{what}: {response.status_code}, expected {sorted(expected)}: "
                f"{response.content[:200]!r}"
            )
        if (undocumented := _undocumented(documented_statuses, response)) is not None:
            problems.append(f"{what}: {undocumented}")
        for leak in _leaks(role, response.content):
            problems.append(f"{what}: leaks {leak}")
        problems.extend(_read_event_problems(what, response))

    assert {e.name for e in ENDPOINTS.values() if e.target == MATCH_RUN} == {
        "match-run-list",
        "match-run-detail",
        "match-run-results",
        "match-run-csv",
        "match-run-confirm",
    }

    # Start a run of an uploaded list.
    response = client.post(
        reverse("match-run-list"),
        {"file": SimpleUploadedFile("list.csv", content, content_type="text/csv")},
        format="multipart",
    )
    what = f"{role} POST match-run-list [file]"
    check(what, response, {401} if anonymous else {201} if role in RUNNERS else {403})
    own_run = response.json()["id"] if response.status_code == 201 else None

    # The list of runs: one's own only (superusers: every run).
    response = client.get(reverse("match-run-list"))
    check(f"{role} GET match-run-list", response, {401} if anonymous else {200})
    if response.status_code == 200:
        ids = {row["id"] for row in response.json()["results"]}
        expected_ids = {own_run} - {None}
        if role == "superuser":
            expected_ids.add(foreign.pk)
        if ids != expected_ids:
            problems.append(f"{role} GET match-run-list: lists {ids}, expected {expected_ids}")

    # Reading a run: one's own, and someone else's.
    for label, run_id in (("own", own_run), ("foreign", foreign.pk)):
        if run_id is None:
            continue
        for name in ("match-run-detail", "match-run-results", "match-run-csv"):
            response = client.get(reverse(name, args=[run_id]))
            what = f"{role} GET {name} [{label}]"
            if anonymous:
                check(what, response, {401})
            elif label == "own" or role == "superuser":
                check(what, response, {200})
            else:
                check(what, response, {404})
            if name == "match-run-results" and response.status_code == 200:
                shown = _shown_cases(response.json())
                seen_keys = visible_cases(role)
                expected = {
                    key: (case.pk if key in seen_keys else None)
                    for key, case in world.cases.items()
                }
                # A child out of sight appears only as held, when likely: never by its case.
                if {k: v for k, v in shown.items() if v is not None} != {
                    k: v for k, v in expected.items() if v is not None
                }:
                    problems.append(f"{what}: shows {shown}, expected {expected}")

    # A run of the coalition list, and confirming its entry's match.
    response = client.post(reverse("match-run-list"), {"child_list": child_list.pk}, format="json")
    what = f"{role} POST match-run-list [child_list]"
    if anonymous:
        check(what, response, {401})
    elif role in LIST_READERS:
        check(what, response, {201})
    else:
        check(what, response, {400})  # no name on the list shows to this role
    list_run = response.json()["id"] if response.status_code == 201 else foreign.pk
    response = client.post(
        reverse("match-run-confirm", args=[list_run]), {"row": 1, "rank": 1}, format="json"
    )
    what = f"{role} POST match-run-confirm"
    if anonymous:
        check(what, response, {401})
    elif role not in LIST_READERS and role != "superuser":
        check(what, response, {404})
    elif role in LINKERS:
        check(what, response, {200})
    else:
        check(what, response, {403})

    assert not problems, "\n".join(problems)

"""The access matrix of case imports: every role against imports of organizations A and B.

An import is seen and acted on by whoever may open cases for its organization (caseworkers and
supervisors of A, the partners of B and their API key) and by superusers; for everyone else it
does not exist (404), and uploading is refused (403) to roles that open no cases. Reading an
import is an audited read; uploading, committing and discarding answer without personal data.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from imports import services
from imports.models import CaseImport, ImportStatus
from tests.imports.case_files import csv_bytes, row
from tests.test_access_matrix import (
    CREATE_ROLES,
    READ_EVENT_ACTIONS,
    ROLES,
    World,
    _leaks,
    _undocumented,
)
from tests.test_access_matrix import documented_statuses as documented_statuses
from tests.test_access_matrix import world as world

pytestmark = pytest.mark.django_db

# Per organization: an import with problems (commit refused), and one written (discard refused).
IMPORT_KEYS = ("A_invalid", "A_committed", "B_invalid", "B_committed")
IMPORTERS = {
    "A": {"caseworker_a", "supervisor_a", "superuser"},
    "B": {"partner_b", "partner_key_b", "superuser"},
}


@pytest.fixture
def import_world(world: World) -> dict[str, CaseImport]:
    made: dict[str, CaseImport] = {}
    for org_key in ("A", "B"):
        organization = world.orgs[org_key]
        invalid = services.case_import_upload(
            actor=None,
            file_name="bad.csv",
            content=csv_bytes([row(ref=f"{org_key}-1", date_of_birth="2013-02-30")]),
            organization=organization,
        )
        assert invalid.status == ImportStatus.INVALID
        made[f"{org_key}_invalid"] = invalid
        good = services.case_import_upload(
            actor=None,
            file_name="good.csv",
            content=csv_bytes(
                [row(ref=f"{org_key}-2", given_name="Зоряна", family_name="Імпортна")]
            ),
            organization=organization,
        )
        made[f"{org_key}_committed"] = services.case_import_commit(
            case_import_id=good.pk, actor=None
        )
    return made


def sees_import(role: str, key: str) -> bool:
    return role in IMPORTERS[key[0]]


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_imports(
    world: World, import_world: dict[str, CaseImport], role: str, documented_statuses: Any
):
    client = world.clients[role]
    anonymous = role == "anonymous"
    problems: list[str] = []

    def check(what: str, response: Any, expected: set[int], *, personal: bool = False) -> None:
        if response.status_code not in expected:
            problems.append(
                f"{what}: {response.status_code}, expected {sorted(expected)}: "
                f"{response.content[:200]!r}"
            )
        if (undocumented := _undocumented(documented_statuses, response)) is not None:
            problems.append(f"{what}: {undocumented}")
        for leak in _leaks(role, response.content):
            problems.append(f"{what}: leaks {leak}")
        reads = AuditEvent.objects.filter(
            request_id=response["X-Request-ID"], action__in=READ_EVENT_ACTIONS
        )
        wanted = int(personal and response.status_code == 200)
        if reads.count() != wanted:
            problems.append(f"{what}: {reads.count()} read events, expected {wanted}")

    listed = client.get(reverse("case-import-list"))
    check(f"{role} GET case-import-list", listed, {401} if anonymous else {200})
    if listed.status_code == 200:
        ids = {r["id"] for r in listed.json()["results"]}
        expected = {import_world[k].pk for k in IMPORT_KEYS if sees_import(role, k)}
        if ids != expected:
            problems.append(f"{role} GET case-import-list: lists {ids}, expected {expected}")

    for key in IMPORT_KEYS:
        case_import = import_world[key]
        seen = sees_import(role, key)
        closed = {401} if anonymous else ({200} if seen else {404})
        detail = client.get(reverse("case-import-detail", args=[case_import.pk]))
        check(f"{role} GET case-import-detail [{key}]", detail, closed, personal=True)
        refused = {401} if anonymous else ({409} if seen else {404})
        name = "case-import-commit" if key.endswith("invalid") else "case-import-discard"
        response = client.post(reverse(name, args=[case_import.pk]))
        check(f"{role} POST {name} [{key}]", response, refused)

    body: dict[str, Any] = {
        "file": SimpleUploadedFile(
            "cases.csv", csv_bytes([row(ref="M-1", given_name="Марта", family_name="Матрична")])
        )
    }
    if role == "superuser":
        body["organization"] = world.orgs["A"].pk
    uploaded = client.post(reverse("case-import-list"), body, format="multipart")
    if anonymous:
        wanted = {401}
    elif role in CREATE_ROLES or role == "superuser":
        wanted = {201}
    else:
        wanted = {403}
    check(f"{role} POST case-import-list", uploaded, wanted)
    assert not problems, "\n".join(problems)

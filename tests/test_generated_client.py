"""A partner's sync through a client generated from the OpenAPI document.

The schema is written as the running service would serve it, a typed client is generated from it
with openapi-python-client (a development dependency), and a live server is driven with it: the
partner's API key lists with ``updated_since`` through every cursor page, reads details, and
after an owner's supervisor changes, moves, adds a whereabouts record and revokes a share, syncs
again and reads the removals feed. Every answer must parse into the generated model the schema
promises for it: a schema that drifts from what the API answers fails here. All data is synthetic.
"""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from cases import services
from cases.models import Case, CaseShare
from tests.factories.accounts import OrganizationFactory, make_api_key, make_member
from tests.factories.cases import home_organization, make_case

PACKAGE = "registry_sync_client"
GENERATOR_TIMEOUT_SECONDS = 180


def _generator() -> str:
    found = Path(sys.executable).parent / "openapi-python-client"
    assert found.exists(), "openapi-python-client (the dev extra) is not installed"
    return str(found)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from the schema, imported (once for the module)."""
    where = tmp_path_factory.mktemp("generated_client")
    schema = where / "schema.yaml"
    call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")
    config = where / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")  # no formatter run on the output
    result = subprocess.run(  # noqa: S603 (the generator of the dev extra, on our own schema)
        [
            _generator(),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(where / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=GENERATOR_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _api(package: ModuleType, module: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{module}")


def _models(package: ModuleType) -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


def _parsed(response: Any, model: type, status: int = 200) -> Any:
    """The answer's typed body, checked to be the model the schema names for ``status``."""
    assert response.status_code == status, response.content[:500]
    assert isinstance(response.parsed, model), (type(response.parsed), response.content[:500])
    return response.parsed


def _cursor(next_url: Any) -> str | None:
    if not isinstance(next_url, str):
        return None
    return parse_qs(urlsplit(next_url).query)["cursor"][0]


def _sync_changes(package: ModuleType, client: Any, since: dt.datetime) -> list[Any]:
    """Every case changed since ``since``, following each cursor page to the end."""
    models, cases_list = _models(package), _api(package, "cases.cases_list")
    rows: list[Any] = []
    cursor: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"cursor": cursor} if cursor else {}
        page = _parsed(
            cases_list.sync_detailed(
                client=client,
                updated_since=since,
                ordering=models.CasesListOrdering.UPDATED_AT,
                page_size=2,
                **kwargs,
            ),
            models.PaginatedCaseListList,
        )
        pages += 1
        assert all(isinstance(row, models.CaseList) for row in page.results)
        rows.extend(page.results)
        cursor = _cursor(page.next_)
        if cursor is None:
            return rows
        assert pages < 50, "the cursor never ends"


def _sync_removals(package: ModuleType, client: Any, since: dt.datetime) -> list[Any]:
    models, removals = _models(package), _api(package, "case_removals.case_removals_list")
    rows: list[Any] = []
    cursor: str | None = None
    while True:
        kwargs: dict[str, Any] = {"cursor": cursor} if cursor else {}
        page = _parsed(
            removals.sync_detailed(client=client, since=since, page_size=1, **kwargs),
            models.PaginatedCaseRemovalList,
        )
        assert all(isinstance(row, models.CaseRemoval) for row in page.results)
        rows.extend(page.results)
        cursor = _cursor(page.next_)
        if cursor is None:
            return rows


@pytest.mark.django_db(transaction=True)
def test_a_partner_syncs_with_a_client_generated_from_the_schema(generated, live_server, oblasts):
    package = generated
    models = _models(package)
    home = home_organization()
    partner_org = OrganizationFactory.create(name="Synthetic partner foundation")
    supervisor = make_member("supervisor", home)
    token, _ = Token.objects.get_or_create(user=supervisor)
    _key, secret = make_api_key(organization=partner_org, role="partner")
    start = timezone.now() - dt.timedelta(seconds=1)
    shared = [make_case(oblast=oblasts["UA-14"]) for _ in range(5)]
    shares: dict[int, CaseShare] = {}
    for case in shared:
        shares[case.pk] = services.case_share_create(
            case=case,
            actor=None,
            organization=partner_org,
            scope="full",
            reason="Synthetic sync share",
            consent_reference="SYNC-CLIENT-1",
        )
    make_case()  # not shared: never in the partner's sync
    partner = package.AuthenticatedClient(base_url=live_server.url, token=secret, prefix="Api-Key")
    owner = package.AuthenticatedClient(base_url=live_server.url, token=token.key, prefix="Token")

    # 1. A first sync: every shared case, over several cursor pages, and each one's details.
    first = _sync_changes(package, partner, start)
    assert sorted(row.id for row in first) == sorted(case.pk for case in shared)
    retrieve = _api(package, "cases.cases_retrieve")
    etags: dict[int, str] = {}
    for row in first:
        answer = retrieve.sync_detailed(row.id, client=partner)
        detail = _parsed(answer, models.CaseDetail)
        assert detail.id == row.id
        assert isinstance(detail.child, models.Child)
        etags[row.id] = answer.headers["ETag"]
    assert etags[shared[0].pk] == f'"{shared[0].pk}-{Case.objects.get(pk=shared[0].pk).version}"'

    # 2. The owner changes one case (with If-Match), moves another, records where a third is,
    #    and revokes the share of a fourth.
    second_start = timezone.now()
    changed, moved, placed, revoked = shared[:4]
    patch = _api(package, "cases.cases_partial_update")
    answer = patch.sync_detailed(
        changed.pk,
        client=owner,
        body=models.PatchedCaseUpdateInputRequest(priority=models.PriorityEnum.HIGH),
        if_match=etags[changed.pk],
    )
    assert _parsed(answer, models.CaseDetail).priority == models.PriorityEnum.HIGH
    stale = patch.sync_detailed(
        changed.pk,
        client=owner,
        body=models.PatchedCaseUpdateInputRequest(priority=models.PriorityEnum.URGENT),
        if_match=etags[changed.pk],
    )
    assert _parsed(stale, models.Error, status=412).code == "stale_version"

    transition = _api(package, "cases.cases_transition")
    answer = transition.sync_detailed(
        moved.pk,
        client=owner,
        body=models.TransitionInputRequest(to=models.CaseStatusEnum.VERIFYING),
        if_match=etags[moved.pk],
    )
    assert _parsed(answer, models.CaseDetail).status == models.CaseStatusEnum.VERIFYING

    whereabouts = _api(package, "cases.cases_whereabouts_create")
    answer = whereabouts.sync_detailed(
        placed.pk,
        client=owner,
        body=models.WhereaboutsInputRequest(
            country=models.CountryEnum.RU,
            from_date=dt.date(2023, 7, 20),
            source_description="Synthetic published testimony",
        ),
    )
    _parsed(answer, models.Whereabouts, status=201)

    revoke = _api(package, "cases.cases_shares_revoke")
    answer = revoke.sync_detailed(
        revoked.pk,
        shares[revoked.pk].pk,
        client=owner,
        body=models.ReasonInputRequest(reason="Search concluded"),
    )
    assert _parsed(answer, models.CaseShare).is_active is False

    # 3. The partner's incremental sync: the changed, moved and placed cases, with new ETags...
    again = _sync_changes(package, partner, second_start)
    assert sorted(row.id for row in again) == sorted(c.pk for c in (changed, moved, placed))
    for row in again:
        answer = retrieve.sync_detailed(row.id, client=partner)
        detail = _parsed(answer, models.CaseDetail)
        assert answer.headers["ETag"] != etags[row.id]
        if row.id == placed.pk:
            assert isinstance(detail.child.current_whereabouts, models.WhereaboutsSummary)
            assert detail.child.current_whereabouts.country == "RU"
    # ... and the case whose share was revoked, in the removals feed: delete it locally.
    removed = _sync_removals(package, partner, second_start)
    assert [(row.id, row.number) for row in removed] == [(revoked.pk, revoked.number)]
    assert removed[0].reason == models.RemovalReasonEnum.SHARE_REVOKED
    gone = retrieve.sync_detailed(revoked.pk, client=partner)
    assert _parsed(gone, models.Error, status=404).code == "not_found"
    assert _sync_removals(package, partner, timezone.now()) == []

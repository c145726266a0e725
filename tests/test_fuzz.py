"""The API against its own OpenAPI document, fuzzed: every operation, as a caseworker (token),
a partner system (API key) and an auditor (token), with requests generated from the document.

Each answer must be documented (its status code, its content type, its headers) and its body
must match the document's schema; no request may end in a server error. Path ids are drawn
from a small registry made here (cases open and closed, shared full and limited, relatives,
whereabouts, shares, a closure request, sources with and without a file, evidence, a figure)
as well as generated, so answers with bodies are checked, not only 404s.

Bounded for CI: a few examples per operation and actor, no shrinking, generated from a fixed
seed (``derandomize``), so a run is repeatable and a failure reproduces. Writes happen inside
the test's transaction and are rolled back with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Role
from audit.models import AuditEvent
from cases import services as case_services
from cases.models import DuplicatePair
from sources import figures as figure_services
from sources import services as source_services
from tests.factories.accounts import OrganizationFactory, make_api_key, make_member
from tests.factories.cases import (
    FacilityFactory,
    make_case,
    make_relative,
    make_whereabouts,
    move_case,
)
from tests.factories.sources import make_evidence, make_source, receive

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 15


@schemathesis.check
def etag_is_documented(ctx: Any, response: Any, case: Any) -> bool | None:
    """An answer with an ETag is one whose document says so: a typed client reads only the
    headers the document declares (``response_headers_conformance`` checks the converse)."""
    if not 200 <= response.status_code < 300:
        return None
    if not any(name.lower() == "etag" for name in response.headers):
        return None
    documented = case.operation.definition.raw["responses"].get(str(response.status_code), {})
    if not any(name.lower() == "etag" for name in documented.get("headers", {})):
        raise AssertionError(f"an undocumented ETag on {response.status_code}")
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    etag_is_documented,
]
ACTORS = ["caseworker", "partner", "auditor"]


PathIds = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Registry:
    """What the fuzzed requests may name: real ids per path parameter, per path."""

    headers: dict[str, dict[str, str]]
    path_ids: PathIds


def _populate() -> Registry:
    home = OrganizationFactory.create(name="Synthetic fuzz authority")
    partner_org = OrganizationFactory.create(name="Synthetic fuzz foundation")
    supervisor = make_member(Role.SUPERVISOR, home)
    caseworker = make_member(Role.CASEWORKER, home)
    auditor = make_member(Role.AUDITOR, OrganizationFactory.create())
    _key, secret = make_api_key(partner_org, role="partner")

    facility = FacilityFactory.create()
    open_case = make_case(organization=home, actor=supervisor, priority="high")
    make_relative(open_case, email="")
    make_relative(open_case, email="relative@example.org", relationship="father")
    make_whereabouts(open_case, facility=facility)
    make_whereabouts(open_case, country="BY", from_date=dt.date(2023, 2, 1))
    case_services.closure_request_create(
        case_id=open_case.pk, actor=caseworker, closure_reason="duplicate", reason="Synthetic"
    )
    limited_case = make_case(organization=home, actor=supervisor)
    make_relative(limited_case, email="limited@example.org")
    closed_case = move_case(make_case(organization=home, actor=supervisor), "closed")
    returned_case = move_case(
        make_case(organization=home, actor=supervisor),
        "verifying",
        "searching",
        "located",
        "return_in_progress",
        "returned",
    )
    shares = [
        case_services.case_share_create(
            case=case,
            actor=supervisor,
            organization=partner_org,
            scope=scope,
            reason="Synthetic",
            consent_reference="Synthetic consent",
        )
        for case, scope in [(open_case, "full"), (limited_case, "limited")]
    ]

    unjudged = make_source(actor=caseworker, organization=home)
    judged = make_source(
        actor=caseworker, organization=home, kind="news_article", url="https://example.org/a"
    )
    source_services.source_judge(source=judged, actor=supervisor, reliability="B", credibility=2)
    with_file = receive(actor=caseworker, organization=home, kind="testimony", title="Synthetic")
    evidence = [
        make_evidence(unjudged, open_case, actor=caseworker),
        make_evidence(with_file, limited_case, actor=caseworker, fact="whereabouts"),
    ]
    figure = figure_services.figure_record(
        actor=supervisor,
        data={
            "metric": "deported",
            "description": "Synthetic count",
            "value": 100,
            "as_of": dt.date(2024, 1, 1),
            "claimant": "Synthetic claimant",
            "source": judged,
        },
    )

    # Two records of one boy (one closed): a possible duplicate to read and decide.
    boy = {
        "given_name": "Олексій",
        "family_name": "Коваленко",
        "patronymic": "Сергійович",
        "sex": "male",
        "date_of_birth": dt.date(2012, 5, 17),
    }
    make_case(organization=home, actor=supervisor, child=boy)
    move_case(make_case(organization=home, actor=supervisor, child=boy), "closed")
    case_services.duplicate_pairs_scan_batch()
    pair_ids = [{"id": pk} for pk in DuplicatePair.objects.values_list("id", flat=True)]
    assert pair_ids

    cases = [open_case, limited_case, closed_case, returned_case]
    case_ids = [{"id": c.pk} for c in cases]
    relatives = [{"id": c.pk, "relative_id": r.pk} for c in cases for r in c.child.relatives.all()]
    places = [
        {"id": c.pk, "whereabouts_id": w.pk} for c in cases for w in c.child.whereabouts.all()
    ]
    source_ids = [{"id": s.pk} for s in (unjudged, judged, with_file)]
    prefix = "/api/v1"
    return Registry(
        headers={
            "caseworker": {"Authorization": f"Token {Token.objects.create(user=caseworker)}"},
            "partner": {"Authorization": f"Api-Key {secret}"},
            "auditor": {"Authorization": f"Token {Token.objects.create(user=auditor)}"},
        },
        path_ids={
            f"{prefix}/cases/{{id}}/": case_ids,
            f"{prefix}/cases/{{id}}/transition/": case_ids,
            f"{prefix}/cases/{{id}}/relatives/": case_ids,
            f"{prefix}/cases/{{id}}/relatives/{{relative_id}}/": relatives,
            f"{prefix}/cases/{{id}}/whereabouts/": case_ids,
            f"{prefix}/cases/{{id}}/whereabouts/{{whereabouts_id}}/": places,
            f"{prefix}/cases/{{id}}/timeline/": case_ids,
            f"{prefix}/cases/{{id}}/shares/": case_ids,
            f"{prefix}/cases/{{id}}/shares/{{share_id}}/revoke/": [
                {"id": s.case_id, "share_id": s.pk} for s in shares
            ],
            f"{prefix}/cases/{{id}}/closure-requests/": case_ids,
            f"{prefix}/cases/{{id}}/closure-requests/{{request_id}}/approve/": [
                {"id": r.case_id, "request_id": r.pk} for r in open_case.closure_requests.all()
            ],
            f"{prefix}/cases/{{id}}/closure-requests/{{request_id}}/reject/": [
                {"id": r.case_id, "request_id": r.pk} for r in open_case.closure_requests.all()
            ],
            f"{prefix}/facilities/{{id}}/": [{"id": facility.pk}],
            f"{prefix}/duplicates/{{id}}/": pair_ids,
            f"{prefix}/duplicates/{{id}}/decide/": pair_ids,
            f"{prefix}/oblasts/{{code}}/": [{"code": "UA-14"}, {"code": "UA-43"}],
            f"{prefix}/audit-events/{{id}}/": [
                {"id": pk} for pk in AuditEvent.objects.values_list("id", flat=True)[:5]
            ],
            f"{prefix}/sources/{{id}}/": source_ids,
            f"{prefix}/sources/{{id}}/download/": source_ids,
            f"{prefix}/sources/{{id}}/custody/": source_ids,
            f"{prefix}/evidence/{{id}}/": [{"id": e.pk} for e in evidence],
            f"{prefix}/figures/{{id}}/": [{"id": figure.pk}],
            f"{prefix}/subscriptions/{{id}}/": _populate_subscriptions(caseworker, auditor),
            **_populate_reports(home, prefix),
            **_populate_match_runs(caseworker, auditor, prefix),
            **_populate_imports(home, prefix),
            **_populate_coalition(home, open_case, limited_case, judged),
        },
    )


def _populate_subscriptions(caseworker: Any, auditor: Any) -> list[dict[str, Any]]:
    """A subscription of the caseworker's and one of the auditor's (each sees only its own)."""
    from reports.services.subscriptions import subscription_set

    digest, _ = subscription_set(actor=caseworker, topic="digest", frequency="daily")
    registry, _ = subscription_set(actor=auditor, topic="registry", frequency="weekly")
    return [{"id": digest.pk}, {"id": registry.pk}]


def _populate_reports(home: Any, prefix: str) -> PathIds:
    """A report of the home organization and one of the registry, with their paths."""
    from django.utils import timezone

    from reports.periods import Period
    from reports.services.reports import report_issue

    today = timezone.localdate()
    period = Period("custom", today.replace(day=1), today)
    reports = [
        report_issue(actor=None, scope="organization", organization=home, period=period),
        report_issue(actor=None, scope="registry", period=period),
    ]
    ids = [{"id": report.pk} for report in reports]
    return {
        f"{prefix}/reports/{{id}}/": ids,
        f"{prefix}/reports/{{id}}/csv/": ids,
        f"{prefix}/reports/{{id}}/xlsx/": ids,
    }


def _populate_match_runs(caseworker: Any, auditor: Any, prefix: str) -> PathIds:
    """A run of the caseworker's and one of the auditor's (each sees only its own), over a
    list naming a child of the registry."""
    from imports.services.match_runs import match_run_start_file

    content = "full_name,date_of_birth\r\nСинтетичний Захар Остапович,2012\r\n".encode()
    ids = [
        {"id": match_run_start_file(actor=actor, file_name="list.csv", content=content).pk}
        for actor in (caseworker, auditor)
    ]
    return {
        f"{prefix}/match-runs/{{id}}/": ids,
        f"{prefix}/match-runs/{{id}}/results/": ids,
        f"{prefix}/match-runs/{{id}}/csv/": ids,
        f"{prefix}/match-runs/{{id}}/confirm/": ids,
    }


def _populate_imports(home: Any, prefix: str) -> PathIds:
    """Case imports of the home organization: one checked, one with problems, one written."""
    from imports.services import case_import_commit, case_import_upload
    from tests.imports.case_files import csv_bytes, row

    def upload(content: bytes) -> Any:
        return case_import_upload(
            actor=None, file_name="cases.csv", content=content, organization=home
        )

    checked = upload(csv_bytes([row(ref="FUZZ-1", given_name="Ярина", family_name="Фазова")]))
    invalid = upload(csv_bytes([row(ref="FUZZ-2", date_of_birth="2013-02-30")]))
    written = upload(csv_bytes([row(ref="FUZZ-3", given_name="Олесь", family_name="Фазовий")]))
    case_import_commit(case_import_id=written.pk, actor=None)
    ids = [{"id": i.pk} for i in (checked, invalid, written)]
    return {
        f"{prefix}/imports/{{id}}/": ids,
        f"{prefix}/imports/{{id}}/commit/": ids,
        f"{prefix}/imports/{{id}}/discard/": ids,
    }


def _populate_coalition(home: Any, open_case: Any, limited_case: Any, source: Any) -> PathIds:
    """One record of each coalition kind (a member with its project and pledges, one moved
    on; an organization; a meeting, a statement, a resolution with votes; a list kept by the
    caseworker's organization with entries linked to a case shared in full, to one shared
    limited, and to none), by path."""
    from coalition.services import meetings as meeting_services
    from coalition.services import members as member_services
    from tests.factories.coalition_lists import make_entry, make_list
    from tests.factories.coalition_meetings import make_meeting, make_resolution, make_statement
    from tests.factories.coalition_members import (
        make_areas,
        make_coalition_member,
        make_pledge,
        make_project,
    )

    areas = make_areas()
    commitment, _ = member_services.commitment_sync(
        actor=None, code="fuzz-commitment", position=1, text="Synthetic commitment", text_uk=""
    )
    organization = member_services.organization_record(
        actor=None, data={"code": "fuzz-organization", "name": "Synthetic Fuzz Organization"}
    )
    members = [
        make_coalition_member("CA", role="co_chair", areas=["justice"], sources=[source.pk]),
        make_coalition_member("fuzz-organization"),
    ]
    project = make_project(
        area="justice", lead="CA", budget=Decimal("1000.00"), budget_currency="EUR"
    )
    pledges = [
        make_pledge("CA", project=project.pk),
        make_pledge("fuzz-organization", kind="expertise", due_on=dt.date(2024, 1, 1)),
    ]
    member_services.pledge_transition(pledge=pledges[0], to_status="in_progress", actor=None)
    meeting = make_meeting(participants=["CA", "RU"], sources=[source.pk])
    statement = make_statement(meeting=meeting.pk, signatories=["CA", "fuzz-organization"])
    resolution = make_resolution(in_favour=91, against=12, abstaining=57, absent=33)
    meeting_services.votes_set(
        resolution=resolution, votes={"CA": "in_favour", "RU": "against"}, actor=None
    )
    child_list = make_list(home, meeting=meeting.pk, count_claimed=400, count_qualifier="nearly")
    entries = [
        make_entry(child_list, name_as_written="Синтетична Повна", case=open_case.pk),
        make_entry(child_list, name_as_written="Синтетична Обмежена", case=limited_case.pk),
        make_entry(
            child_list,
            name_as_written="Синтетична Без Справи",
            outcome="no_answer",
            outcome_on=dt.date(2025, 7, 1),
        ),
    ]
    coalition = "/api/v1/coalition"
    parties = [{"code": "CA"}, {"code": "RU"}, {"code": organization.code}]
    pledge_ids = [{"id": p.pk} for p in pledges]
    resolution_ids = [{"id": resolution.pk}]
    list_ids = [{"id": child_list.pk}]
    return {
        f"{coalition}/parties/{{code}}/": parties,
        f"{coalition}/areas/{{code}}/": [{"code": code} for code in areas],
        f"{coalition}/commitments/{{code}}/": [{"code": commitment.code}],
        f"{coalition}/members/{{id}}/": [{"id": m.pk} for m in members],
        f"{coalition}/projects/{{id}}/": [{"id": project.pk}],
        f"{coalition}/pledges/{{id}}/": pledge_ids,
        f"{coalition}/pledges/{{id}}/transition/": pledge_ids,
        f"{coalition}/pledges/{{id}}/history/": pledge_ids,
        f"{coalition}/meetings/{{id}}/": [{"id": meeting.pk}],
        f"{coalition}/statements/{{id}}/": [{"id": statement.pk}],
        f"{coalition}/resolutions/{{id}}/": resolution_ids,
        f"{coalition}/resolutions/{{id}}/votes/": resolution_ids,
        f"{coalition}/resolutions/{{id}}/roll-call/": resolution_ids,
        f"{coalition}/lists/{{id}}/": list_ids,
        f"{coalition}/lists/{{id}}/entries/": list_ids,
        f"{coalition}/list-entries/{{id}}/": [{"id": e.pk} for e in entries],
        f"{coalition}/countries/{{code}}/": [{"code": "CA"}, {"code": "RU"}, {"code": "UA"}],
    }


@pytest.fixture
def api_schema(settings: Any, db: None) -> Iterator[Any]:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # The application is called in process, inside the test's transaction: like Django's test
    # client, keep the end of a request from closing the database connection (and with it the
    # transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _strategy(operation: Any, real_ids: list[dict[str, Any]]) -> Any:
    generated = operation.as_strategy()
    # Invalid requests too (wrong types, missing fields, values out of range): each must be
    # refused with a documented 4xx, never a 500.
    invalid = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    if not real_ids:
        return st.one_of(generated, generated, invalid)
    # Mostly records that exist (answers with bodies), sometimes whatever the document allows.
    real = st.sampled_from(real_ids).flatmap(
        lambda ids: st.one_of(
            operation.as_strategy(path_parameters=ids),
            operation.as_strategy(path_parameters=ids),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE, path_parameters=ids),
        )
    )
    return st.one_of(real, real, real, generated, invalid)


def _current_etag(case: Any) -> str | None:
    """The case's ETag as it is now, for a write that should pass the If-Match check."""
    from cases.models import Case

    try:
        version = Case.objects.filter(pk=int(case.path_parameters["id"])).values_list(
            "version", flat=True
        )
    except (KeyError, TypeError, ValueError):
        return None
    found = list(version[:1])
    return f'"{case.path_parameters["id"]}-{found[0]}"' if found else None


@pytest.mark.parametrize("actor", ACTORS)
def test_fuzz_every_operation_answers_as_documented(api_schema: Any, actor: str, oblasts: Any):
    registry = _populate()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 37
    failures: list[str] = []
    for operation in operations:
        real_ids = registry.path_ids.get(operation.path, [])

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(case=_strategy(operation, real_ids), up_to_date=st.booleans())
        def run(case: Any, up_to_date: bool) -> None:
            headers = dict(registry.headers[actor])
            if up_to_date and "If-Match" in (case.headers or {}):
                # Half the writes name the case's current version: the change itself is tried.
                etag = _current_etag(case)
                if etag is not None:
                    headers["If-Match"] = etag
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:
            # Collected, so that one run reports every operation at fault.
            report = f"{operation.method.upper()} {operation.path} as {actor}:\n{exc}"
            failures.append(report[:3000])
    assert not failures, "\n\n".join(failures)

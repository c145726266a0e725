"""The access matrix: every API endpoint × every role × in-scope and out-of-scope records.

The endpoints are read from the URL configuration, so a new endpoint (or a new method on one)
fails ``test_every_api_endpoint_is_in_the_matrix`` until it is described here, saying whether it
returns a child's personal data. For each role the oracle below says what it may see and do;
every request is checked against it, and every answer is searched for personal data the role
must not see (a hidden child's name, a limited share's exact date of birth and relatives'
contacts). Every successful read of an endpoint that returns personal data must leave exactly
one read event of its request in the audit trail; any other answer, none. All data is synthetic.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization, User
from audit.models import READ_ACTIONS, Action, AuditEvent
from audit.snapshots import object_type_of
from cases import services
from cases.models import Case, CaseShare, ClosureRequest, Relative, Whereabouts
from coalition.models import ChildListEntry
from tests.factories.accounts import OrganizationFactory, UserFactory, make_api_key, make_member
from tests.factories.cases import make_case, make_relative, make_whereabouts

pytestmark = pytest.mark.django_db

# Distinctive synthetic values whose appearance in a response is a leak.
LIMITED_BIRTH = dt.date(2011, 3, 9)
LIMITED_PHONE = "+380 00 111 2233"
LIMITED_EMAIL = "limited-relative@example.org"
HIDDEN_FAMILY_NAME = "Прихованчук"
# Cases organization B's partners submitted: the API key's and the partner user's. Each partner
# sees its own, never the other's (least privilege), though both belong to B.
SUBMITTED_FAMILY_NAMES = {"b_key": "Ключовська", "b_user": "Подавченко"}
PARTNERS = ("partner_b", "partner_key_b")

# -------------------------------------------------------------------------------------------
# The endpoints
# -------------------------------------------------------------------------------------------
# How each endpoint is reached: the URL kwargs it needs, by kind of target.
CASE = "case"  # a case-scoped endpoint: the oracle decides by the case
LIST = "list"
GLOBAL = "global"
# Sources, evidence and published figures (``test_access_matrix_sources``): per source, per
# evidence link, the figure, and their collections (list and create).
SOURCE = "source"
EVIDENCE = "evidence"
FIGURE = "figure"
COLLECTION = "collection"
EVIDENCE_TARGETS = frozenset({SOURCE, EVIDENCE, FIGURE, COLLECTION})
# The coalition's records (``test_access_matrix_coalition``): public diplomacy, and the lists
# of named children, whose entries are personal data.
COALITION = "coalition"
# A user's own reminders (``test_access_matrix_reminders``): every signed-in actor has a list of
# them, and another user's reminder is not found.
REMINDER = "reminder"
# E-mail subscriptions (``test_access_matrix_subscriptions``): each user's own.
SUBSCRIPTION = "subscription"
# Status reports (``test_access_matrix_reports``): counts, no personal data; a download is
# recorded as one.
REPORT = "report"
# The duplicate review (``test_access_matrix_duplicates``): pairs of children, seen and decided
# only by whoever may change both.
DUPLICATE = "duplicate"
# Identity matching (``test_access_matrix_child_match``): a description in, candidates out, as
# the reader may see them.
MATCH = "match"
# Match runs (``test_access_matrix_match_runs``): each runner's own; results show candidates as
# the reader may see them.
MATCH_RUN = "match_run"
# Case imports (``test_access_matrix_imports``): seen by who imports for their organization.
IMPORT = "import"


@dataclass(frozen=True)
class Endpoint:
    name: str
    methods: frozenset[str]
    target: str
    # Whether a GET answers with a child's personal data (and so must leave one read event).
    personal: bool
    # For case-scoped endpoints: which rule decides a write (a capability name) and whether
    # reading needs the owning organization (shares and closure requests).
    write_rule: str = ""
    internals: bool = False


ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in [
        Endpoint("api-root", frozenset({"get"}), GLOBAL, personal=False),
        Endpoint("case-counts", frozenset({"get"}), GLOBAL, personal=False),
        Endpoint("child-match", frozenset({"post"}), MATCH, personal=True),
        Endpoint("case-removal-list", frozenset({"get"}), GLOBAL, personal=False),
        Endpoint("case-list", frozenset({"get", "post"}), LIST, personal=True),
        Endpoint(
            "case-detail", frozenset({"get", "patch"}), CASE, write_rule="write", personal=True
        ),
        Endpoint("case-transition", frozenset({"post"}), CASE, write_rule="write", personal=True),
        Endpoint(
            "case-relatives", frozenset({"get", "post"}), CASE, write_rule="write", personal=True
        ),
        Endpoint(
            "case-relative-detail", frozenset({"patch"}), CASE, write_rule="write", personal=True
        ),
        Endpoint(
            "case-whereabouts", frozenset({"get", "post"}), CASE, write_rule="write", personal=True
        ),
        Endpoint(
            "case-whereabouts-detail", frozenset({"patch"}), CASE, write_rule="write", personal=True
        ),
        Endpoint("case-timeline", frozenset({"get"}), CASE, personal=True),
        Endpoint(
            "case-shares",
            frozenset({"get", "post"}),
            CASE,
            write_rule="share",
            internals=True,
            personal=True,
        ),
        Endpoint(
            "case-share-revoke",
            frozenset({"post"}),
            CASE,
            write_rule="share",
            internals=True,
            personal=True,
        ),
        Endpoint(
            "case-closure-requests",
            frozenset({"get", "post"}),
            CASE,
            write_rule="request_closure",
            internals=True,
            personal=True,
        ),
        Endpoint(
            "case-closure-request-approve",
            frozenset({"post"}),
            CASE,
            write_rule="close",
            internals=True,
            personal=True,
        ),
        Endpoint(
            "case-closure-request-reject",
            frozenset({"post"}),
            CASE,
            write_rule="close",
            internals=True,
            personal=True,
        ),
        Endpoint("duplicate-list", frozenset({"get"}), DUPLICATE, personal=True),
        Endpoint("duplicate-detail", frozenset({"get"}), DUPLICATE, personal=True),
        Endpoint("duplicate-decide", frozenset({"post"}), DUPLICATE, personal=True),
        Endpoint("facility-list", frozenset({"get"}), GLOBAL, personal=False),
        Endpoint("facility-detail", frozenset({"get"}), GLOBAL, personal=False),
        Endpoint("oblast-list", frozenset({"get"}), GLOBAL, personal=False),
        Endpoint("oblast-detail", frozenset({"get"}), GLOBAL, personal=False),
        Endpoint("audit-event-list", frozenset({"get"}), GLOBAL, personal=True),
        Endpoint("audit-event-detail", frozenset({"get"}), GLOBAL, personal=True),
        Endpoint("source-list", frozenset({"get", "post"}), COLLECTION, personal=True),
        Endpoint("source-detail", frozenset({"get", "patch"}), SOURCE, personal=True),
        Endpoint("source-download", frozenset({"get"}), SOURCE, personal=True),
        Endpoint("source-custody", frozenset({"get"}), SOURCE, personal=True),
        Endpoint("evidence-list", frozenset({"get", "post"}), COLLECTION, personal=True),
        Endpoint("evidence-detail", frozenset({"get", "patch", "delete"}), EVIDENCE, personal=True),
        Endpoint("figure-list", frozenset({"get", "post"}), COLLECTION, personal=False),
        Endpoint("figure-detail", frozenset({"get", "patch"}), FIGURE, personal=False),
        Endpoint("coalition-meeting-list", frozenset({"get", "post"}), COALITION, personal=False),
        Endpoint(
            "coalition-meeting-detail", frozenset({"get", "patch"}), COALITION, personal=False
        ),
        Endpoint("coalition-statement-list", frozenset({"get", "post"}), COALITION, personal=False),
        Endpoint(
            "coalition-statement-detail", frozenset({"get", "patch"}), COALITION, personal=False
        ),
        Endpoint(
            "coalition-resolution-list", frozenset({"get", "post"}), COALITION, personal=False
        ),
        Endpoint(
            "coalition-resolution-detail", frozenset({"get", "patch"}), COALITION, personal=False
        ),
        Endpoint("coalition-resolution-votes", frozenset({"put"}), COALITION, personal=False),
        Endpoint("coalition-resolution-roll-call", frozenset({"post"}), COALITION, personal=False),
        Endpoint("coalition-party-list", frozenset({"get", "post"}), COALITION, personal=False),
        Endpoint("coalition-party-detail", frozenset({"get", "patch"}), COALITION, personal=False),
        Endpoint("coalition-area-list", frozenset({"get"}), COALITION, personal=False),
        Endpoint("coalition-area-detail", frozenset({"get"}), COALITION, personal=False),
        Endpoint("coalition-commitment-list", frozenset({"get"}), COALITION, personal=False),
        Endpoint("coalition-commitment-detail", frozenset({"get"}), COALITION, personal=False),
        Endpoint("coalition-member-list", frozenset({"get", "post"}), COALITION, personal=False),
        Endpoint("coalition-member-detail", frozenset({"get", "patch"}), COALITION, personal=False),
        Endpoint("coalition-project-list", frozenset({"get", "post"}), COALITION, personal=False),
        Endpoint(
            "coalition-project-detail", frozenset({"get", "patch"}), COALITION, personal=False
        ),
        Endpoint("coalition-pledge-list", frozenset({"get", "post"}), COALITION, personal=False),
        Endpoint("coalition-pledge-detail", frozenset({"get", "patch"}), COALITION, personal=False),
        Endpoint("coalition-pledge-transition", frozenset({"post"}), COALITION, personal=False),
        Endpoint("coalition-pledge-history", frozenset({"get"}), COALITION, personal=False),
        Endpoint("coalition-country-list", frozenset({"get"}), COALITION, personal=False),
        Endpoint("coalition-country-dossier", frozenset({"get"}), COALITION, personal=False),
        Endpoint("coalition-list-list", frozenset({"get", "post"}), COALITION, personal=False),
        Endpoint("coalition-list-detail", frozenset({"get", "patch"}), COALITION, personal=False),
        Endpoint("coalition-list-entries", frozenset({"get", "post"}), COALITION, personal=True),
        Endpoint("coalition-list-entry-detail", frozenset({"patch"}), COALITION, personal=True),
        Endpoint("reminder-list", frozenset({"get"}), REMINDER, personal=False),
        Endpoint("reminder-detail", frozenset({"get"}), REMINDER, personal=False),
        Endpoint("reminder-acknowledge", frozenset({"post"}), REMINDER, personal=False),
        Endpoint("reminder-snooze", frozenset({"post"}), REMINDER, personal=False),
        Endpoint("subscription-list", frozenset({"get", "post"}), SUBSCRIPTION, personal=False),
        Endpoint(
            "subscription-detail",
            frozenset({"get", "patch", "delete"}),
            SUBSCRIPTION,
            personal=False,
        ),
        Endpoint("report-list", frozenset({"get", "post"}), REPORT, personal=False),
        Endpoint("report-detail", frozenset({"get"}), REPORT, personal=False),
        Endpoint("report-csv", frozenset({"get"}), REPORT, personal=False),
        Endpoint("report-xlsx", frozenset({"get"}), REPORT, personal=False),
        Endpoint("match-run-list", frozenset({"get", "post"}), MATCH_RUN, personal=False),
        Endpoint("match-run-detail", frozenset({"get"}), MATCH_RUN, personal=False),
        Endpoint("match-run-results", frozenset({"get"}), MATCH_RUN, personal=True),
        Endpoint("match-run-csv", frozenset({"get"}), MATCH_RUN, personal=True),
        Endpoint("match-run-confirm", frozenset({"post"}), MATCH_RUN, personal=False),
        Endpoint("case-import-list", frozenset({"get", "post"}), IMPORT, personal=False),
        Endpoint("case-import-detail", frozenset({"get"}), IMPORT, personal=True),
        Endpoint("case-import-commit", frozenset({"post"}), IMPORT, personal=False),
        Endpoint("case-import-discard", frozenset({"post"}), IMPORT, personal=False),
    ]
}


def _api_routes(
    resolver: URLResolver | None = None, prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern, prefix + str(pattern.pattern))
        elif (prefix + str(pattern.pattern)).startswith("api/v1/"):
            yield prefix + str(pattern.pattern), pattern


def _methods_of(pattern: URLPattern) -> set[str]:
    callback: Any = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions:
        # DRF adds "head" to a viewset's actions on its first GET: not a method of its own.
        return set(actions) - {"head"}
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    assert view_class is not None, pattern
    return {m for m in view_class.http_method_names if hasattr(view_class, m)} - {
        "options",
        "head",
    }


def test_every_api_endpoint_is_in_the_matrix():
    found: dict[str, set[str]] = {}
    for _route, pattern in _api_routes():
        assert pattern.name, f"an unnamed API route cannot be checked: {pattern}"
        found.setdefault(pattern.name, set()).update(_methods_of(pattern))
    missing = sorted(set(found) - set(ENDPOINTS))
    assert not missing, f"endpoints missing from the access matrix: {missing}"
    stale = sorted(set(ENDPOINTS) - set(found))
    assert not stale, f"the matrix names endpoints that no longer exist: {stale}"
    for name, methods in found.items():
        assert methods == set(ENDPOINTS[name].methods), (name, methods)


# -------------------------------------------------------------------------------------------
# The world: organizations, people, cases, shares
# -------------------------------------------------------------------------------------------
ROLES = [
    "anonymous",
    "caseworker_a",
    "supervisor_a",
    "coordinator_a",
    "partner_b",
    "partner_key_b",
    "caseworker_d",
    "auditor",
    "superuser",
]
CASE_KEYS = ["own", "limited", "full", "expired", "revoked", "other", "b_key", "b_user"]


@dataclass
class World:
    orgs: dict[str, Organization]
    cases: dict[str, Case]
    relatives: dict[str, Relative]
    places: dict[str, Whereabouts]
    share_to_e: dict[str, CaseShare]
    closure: dict[str, ClosureRequest]
    clients: dict[str, APIClient] = field(default_factory=dict)


def _client_for(user: User | None, api_key_secret: str | None = None) -> APIClient:
    client = APIClient()
    if api_key_secret is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_secret}")
    elif user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def world(oblasts: Any) -> World:
    orgs = {key: OrganizationFactory.create(name=f"Matrix organization {key}") for key in "ABCDE"}
    a, b, d, e = orgs["A"], orgs["B"], orgs["D"], orgs["E"]
    members = {
        "caseworker_a": make_member("caseworker", a),
        "supervisor_a": make_member("supervisor", a),
        "coordinator_a": make_member("coordinator", a),
        "partner_b": make_member("partner", b),
        "caseworker_d": make_member("caseworker", d),
        "auditor": make_member("auditor", orgs["C"]),
    }
    key, secret = make_api_key(organization=b, role="partner")
    submitters = {"b_key": key.service_account, "b_user": members["partner_b"]}
    cases = {
        "own": make_case(organization=a),
        "limited": make_case(
            organization=a,
            child={"date_of_birth": LIMITED_BIRTH},
            deported_on=dt.date(2022, 6, 1),
        ),
        "full": make_case(organization=a),
        "expired": make_case(organization=a),
        "revoked": make_case(organization=a),
        "other": make_case(organization=d, child={"family_name": HIDDEN_FAMILY_NAME}),
        **{
            key: make_case(
                organization=b, actor=submitter, child={"family_name": SUBMITTED_FAMILY_NAMES[key]}
            )
            for key, submitter in submitters.items()
        },
    }
    relatives = {
        key: make_relative(
            case,
            phone=LIMITED_PHONE if key == "limited" else "+380 00 000 0000",
            email=LIMITED_EMAIL if key == "limited" else "",
            address="Synthetic address 1" if key == "limited" else "",
        )
        for key, case in cases.items()
    }
    places = {key: make_whereabouts(case) for key, case in cases.items()}

    def share(case: Case, org: Organization, scope: str) -> CaseShare:
        return services.case_share_create(
            case=case,
            actor=None,
            organization=org,
            scope=scope,
            reason="Synthetic matrix share",
            consent_reference="MATRIX-CONSENT",
        )

    share(cases["limited"], b, "limited")
    share(cases["full"], b, "full")
    expired = share(cases["expired"], b, "full")
    CaseShare.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - dt.timedelta(days=10),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    services.case_share_revoke(
        share=share(cases["revoked"], b, "full"), actor=None, reason="Synthetic revoke"
    )
    share_to_e = {key: share(case, e, "limited") for key, case in cases.items()}
    closure = {
        key: services.closure_request_create(
            case_id=case.pk, actor=None, closure_reason="duplicate", reason="Synthetic request"
        )
        for key, case in cases.items()
    }
    world = World(orgs, cases, relatives, places, share_to_e, closure)

    superuser = UserFactory.create(username="matrix-superuser", is_superuser=True)
    world.clients = {
        "anonymous": APIClient(),
        **{role: _client_for(user) for role, user in members.items()},
        "superuser": _client_for(superuser),
        "partner_key_b": _client_for(None, api_key_secret=secret),
    }
    return world


# -------------------------------------------------------------------------------------------
# The oracle
# -------------------------------------------------------------------------------------------
A_CASES = {"own", "limited", "full", "expired", "revoked"}


def visible_cases(role: str) -> set[str]:
    if role in ("auditor", "superuser"):
        return set(CASE_KEYS)
    if role in ("caseworker_a", "supervisor_a"):
        return set(A_CASES)
    if role == "partner_b":
        return {"limited", "full", "b_user"}  # shared with B, and what it submitted itself
    if role == "partner_key_b":
        return {"limited", "full", "b_key"}
    if role == "caseworker_d":
        return {"other"}
    return set()


def removed_cases(role: str) -> set[str]:
    """The cases ``role`` saw through a share that ended and sees no more."""
    return {"expired", "revoked"} if role in ("partner_b", "partner_key_b") else set()


def sees_in_full(role: str, key: str) -> bool:
    return key in visible_cases(role) and not (role in PARTNERS and key == "limited")


def owner_member(role: str, key: str) -> bool:
    """Whether ``role`` belongs to the organization owning the case, with a reading role."""
    if key == "other":
        return role == "caseworker_d"
    if key in SUBMITTED_FAMILY_NAMES:
        return role in PARTNERS
    return role in ("caseworker_a", "supervisor_a")


def may(role: str, rule: str, key: str) -> bool:
    if role == "superuser":
        return True
    if not owner_member(role, key) or role in PARTNERS:
        return False  # partners read and submit; they change nothing
    if rule in ("write", "request_closure"):
        return True
    return role == "supervisor_a"  # share, close


def may_read_internals(role: str, key: str) -> bool:
    return role in ("auditor", "superuser") or owner_member(role, key)


AGGREGATE_ROLES = {"caseworker_a", "supervisor_a", "coordinator_a", "caseworker_d", "auditor"}
AUDIT_ROLES = {"auditor", "superuser"}
CREATE_ROLES = {"caseworker_a", "supervisor_a", "partner_b", "partner_key_b", "caseworker_d"}


# -------------------------------------------------------------------------------------------
# Requests
# -------------------------------------------------------------------------------------------
def _etag(case: Case) -> str:
    case.refresh_from_db()
    return f'"{case.pk}-{case.version}"'


def _case_request(
    world: World, endpoint: Endpoint, method: str, key: str
) -> tuple[str, dict[str, Any], dict[str, str]]:
    """URL, body and headers for one request on the case ``key``."""
    case = world.cases[key]
    kwargs: dict[str, Any] = {"pk": case.pk}
    body: dict[str, Any] = {}
    headers: dict[str, str] = {}
    name = endpoint.name
    if name == "case-relative-detail":
        kwargs["relative_id"] = world.relatives[key].pk
        body = {"notes": "Synthetic matrix note"}
    elif name == "case-whereabouts-detail":
        kwargs["whereabouts_id"] = world.places[key].pk
        body = {"region": "Synthetic matrix region"}
    elif name == "case-share-revoke":
        kwargs["share_id"] = world.share_to_e[key].pk
        body = {"reason": "Synthetic matrix revoke"}
    elif name in ("case-closure-request-approve", "case-closure-request-reject"):
        kwargs["request_id"] = world.closure[key].pk
        body = {"note": "Synthetic matrix decision"}
    elif name == "case-detail":
        body = {"priority": "high"}
        headers = {"HTTP_IF_MATCH": _etag(case)}
    elif name == "case-transition":
        body = {"to": "verifying"}
        headers = {"HTTP_IF_MATCH": _etag(case)}
    elif name == "case-relatives":
        body = {"relationship": "sibling", "given_name": "Тест", "family_name": "Тестенко"}
    elif name == "case-whereabouts":
        body = {
            "country": "RU",
            "from_date": "2023-02-01",
            "source_description": "Synthetic matrix source",
        }
    elif name == "case-shares":
        body = {
            "organization": world.orgs["C"].pk,
            "scope": "limited",
            "reason": "Synthetic matrix share",
            "consent_reference": "MATRIX-2",
        }
    elif name == "case-closure-requests":
        body = {"closure_reason": "duplicate", "reason": "Synthetic matrix request"}
    return reverse(name, kwargs=kwargs), (body if method != "get" else {}), headers


def _global_url(world: World, name: str) -> str:
    if name == "facility-detail":
        from tests.factories.cases import FacilityFactory

        return reverse(name, kwargs={"pk": FacilityFactory.create().pk})
    if name == "oblast-detail":
        return reverse(name, kwargs={"code": "UA-14"})
    if name == "case-removal-list":
        return reverse(name) + "?since=2000-01-01T00:00:00Z"
    if name == "audit-event-detail":
        from audit.models import AuditEvent

        event = AuditEvent.objects.order_by("id").first()
        assert event is not None, "the setup's writes left no audit event"
        return reverse(name, kwargs={"pk": event.pk})
    return reverse(name)


@pytest.fixture(scope="module")
def documented_statuses(django_db_blocker: Any) -> dict[tuple[str, str], set[int]]:
    """The answers the OpenAPI document lists, by method and path pattern."""
    with django_db_blocker.unblock():
        document = APIClient().get("/api/schema/", {"format": "json"}).json()
    return {
        (method.upper(), "^" + re.sub(r"\{[^}/]+\}", "[^/]+", path) + "$"): {
            int(code) for code in operation["responses"]
        }
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _undocumented(documented: dict[tuple[str, str], set[int]], response: Any) -> str | None:
    """What is wrong when the document does not list ``response``'s status for its request:
    every answer the matrix sees must be one a client generated from the document expects."""
    method, path = response.request["REQUEST_METHOD"], response.request["PATH_INFO"]
    for (documented_method, pattern), statuses in documented.items():
        if documented_method == method and re.match(pattern, path):
            if response.status_code in statuses:
                return None
            return f"{response.status_code} is not documented for {method} {pattern}"
    if path == reverse("api-root"):
        return None  # the browsable index of the endpoints: not an operation of the document
    return f"{method} {path} is not in the OpenAPI document"


def _send(client: APIClient, method: str, url: str, body: dict[str, Any], headers: Any) -> Any:
    call: Callable[..., Any] = getattr(client, method)
    if method == "get":
        return call(url, **headers)
    return call(url, body, format="json", **headers)


# -------------------------------------------------------------------------------------------
# The matrix
# -------------------------------------------------------------------------------------------
# A read of personal data is recorded as one of these (a download as its own event).
READ_EVENT_ACTIONS = frozenset({*READ_ACTIONS, Action.DOWNLOAD})


def _returned_ids(response: Any) -> set[Any]:
    """The ids of the records a JSON answer holds (a page, a list or one record)."""
    if "json" not in response.get("Content-Type", ""):
        return set()
    body = response.json()
    rows = body.get("results", [body]) if isinstance(body, dict) else body
    return {row["id"] for row in rows if isinstance(row, dict) and "id" in row}


def _revealed(name: str, response: Any) -> dict[str, set[Any]] | None:
    """What a successful read of a list's entries reveals, by kind of record, as
    ``coalition.selectors.lists.names_read`` decides it: the entries whose names it shows
    (``sight`` other than ``none``) and the cases those name; ``None`` for other endpoints."""
    if name != "coalition-list-entries" or response.status_code != 200:
        return None
    shown = [row for row in response.json()["results"] if row["sight"] != "none"]
    return {
        object_type_of(ChildListEntry): {row["id"] for row in shown},
        object_type_of(Case): {row["case"]["id"] for row in shown if row["case"]},
    }


def _read_event_problems(what: str, response: Any) -> list[str]:
    """Exactly one read event for a successful GET of personal data, naming what it returned;
    none for anything else (a refusal, a write, data that is no child's, or a list's entries
    of which no name was shown)."""
    match = response.resolver_match
    endpoint = ENDPOINTS.get(match.url_name) if match is not None else None
    method = response.request["REQUEST_METHOD"].lower()
    personal_read = (
        endpoint is not None
        and endpoint.personal
        and method == "get"
        and 200 <= response.status_code < 300
    )
    revealed = _revealed(endpoint.name, response) if personal_read and endpoint else None
    if revealed is not None:
        personal_read = any(revealed.values())
    expected = int(personal_read)
    events = list(
        AuditEvent.objects.filter(
            request_id=response["X-Request-ID"], action__in=READ_EVENT_ACTIONS
        )
    )
    if len(events) != expected:
        return [f"{what}: {len(events)} read events, expected {expected}"]
    if events and revealed is not None:
        named = {kind: set(ids) for kind, ids in events[0].metadata["records"].items()}
        wanted = {kind: ids for kind, ids in revealed.items() if ids}
        if named != wanted:
            return [f"{what}: the read event names {named}, expected {wanted}"]
    elif events and events[0].action != Action.DOWNLOAD:
        recorded = {i for ids in events[0].metadata["records"].values() for i in ids}
        missing = _returned_ids(response) - recorded
        if missing:
            return [f"{what}: the read event does not name {sorted(missing)}"]
    return []


def _leaks(role: str, content: bytes) -> list[str]:
    """Personal data in ``content`` that ``role`` must not see."""
    text = content.decode()
    found = []
    if "other" not in visible_cases(role) and HIDDEN_FAMILY_NAME in text:
        found.append("a hidden child's name")
    for key, name in SUBMITTED_FAMILY_NAMES.items():
        if key not in visible_cases(role) and name in text:
            found.append(f"the name of a child another partner submitted ({key})")
    if not sees_in_full(role, "limited"):
        if LIMITED_BIRTH.isoformat() in text:
            found.append("a limited share's date of birth")
        if LIMITED_PHONE in text or LIMITED_EMAIL in text:
            found.append("a limited share's relative contacts")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(world: World, role: str, documented_statuses: Any):
    client = world.clients[role]
    problems: list[str] = []

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

    anonymous = role == "anonymous"
    for name, endpoint in ENDPOINTS.items():
        if endpoint.target in EVIDENCE_TARGETS or endpoint.target in (COALITION, REMINDER):
            continue  # test_access_matrix_sources, _coalition, _reminders
        if endpoint.target in EVIDENCE_TARGETS or endpoint.target in (COALITION, SUBSCRIPTION):
            continue  # test_access_matrix_sources, _coalition, _subscriptions
        if endpoint.target in EVIDENCE_TARGETS or endpoint.target in (COALITION, REPORT):
            continue  # test_access_matrix_sources, _coalition, _reports
        if endpoint.target == DUPLICATE:
            continue  # test_access_matrix_duplicates
        if endpoint.target == MATCH:
            continue  # test_access_matrix_child_match
        if endpoint.target == MATCH_RUN:
            continue  # test_access_matrix_match_runs
        if endpoint.target == IMPORT:
            continue  # test_access_matrix_imports
        for method in sorted(endpoint.methods):
            if endpoint.target == CASE:
                for key in CASE_KEYS:
                    url, body, headers = _case_request(world, endpoint, method, key)
                    response = _send(client, method, url, body, headers)
                    what = f"{role} {method.upper()} {name} [{key}]"
                    if anonymous:
                        check(what, response, {401})
                    elif key not in visible_cases(role):
                        check(what, response, {404})
                    elif endpoint.internals and not may_read_internals(role, key):
                        check(what, response, {403})
                    elif method == "get":
                        check(what, response, {200})
                    elif may(role, endpoint.write_rule, key):
                        # Allowed: any answer but a refusal (a state conflict is fine).
                        check(what, response, {200, 201, 409})
                    else:
                        check(what, response, {403})
            elif name == "case-list":
                what = f"{role} {method.upper()} {name}"
                if method == "get":
                    response = client.get(reverse(name), {"page_size": 200})
                    check(what, response, {401} if anonymous else {200})
                    if response.status_code == 200:
                        ids = {row["id"] for row in response.json()["results"]}
                        expected_ids = {world.cases[k].pk for k in visible_cases(role)}
                        if ids != expected_ids:
                            problems.append(f"{what}: lists {ids}, expected {expected_ids}")
                        for row in response.json()["results"]:
                            key = next(k for k, c in world.cases.items() if c.pk == row["id"])
                            scope = "full" if sees_in_full(role, key) else "limited"
                            if row["access_scope"] != scope:
                                problems.append(f"{what}: scope of {key} is {row['access_scope']}")
                    hidden = client.get(reverse(name), {"search": HIDDEN_FAMILY_NAME})
                    check(f"{what} search", hidden, {401} if anonymous else {200})
                else:
                    body = {
                        "child": {
                            "given_name": "Тетяна",
                            "family_name": "Матрична",
                            "sex": "female",
                            "date_of_birth_precision": "estimated",
                        }
                    }
                    if role == "superuser":
                        body["organization"] = world.orgs["A"].pk
                    response = client.post(reverse(name), body, format="json")
                    if anonymous:
                        check(what, response, {401})
                    elif role in CREATE_ROLES or role == "superuser":
                        check(what, response, {201})
                    else:
                        check(what, response, {403})
            else:
                url = _global_url(world, name)
                response = client.get(url)
                what = f"{role} GET {name}"
                if anonymous:
                    check(what, response, {401})
                elif name == "case-counts":
                    check(what, response, {200} if role in AGGREGATE_ROLES | AUDIT_ROLES else {403})
                elif name.startswith("audit-event"):
                    check(what, response, {200} if role in AUDIT_ROLES else {403})
                elif name == "case-removal-list":
                    check(what, response, {200})
                    removed = {row["id"] for row in response.json().get("results", [])}
                    expected = {world.cases[k].pk for k in removed_cases(role)}
                    if removed != expected:
                        problems.append(f"{what}: lists {removed}, expected {expected}")
                else:
                    check(what, response, {200})

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_child_match(world: World, role: str, documented_statuses: Any):
    """Each case's child described as a client would: a child whose case the role sees comes
    back with its case (the year of birth only through a limited share); any other only as
    held by its organization, with no personal data; one read event names the cases shown."""
    client = world.clients[role]
    problems: list[str] = []
    for key in CASE_KEYS:
        child = world.cases[key].child
        body = {
            "given_name": child.given_name,
            "family_name": child.family_name,
            "patronymic": child.patronymic,
            "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else "2012",
        }
        response = client.post(reverse("child-match"), body, format="json")
        what = f"{role} POST child-match [{key}]"
        if (undocumented := _undocumented(documented_statuses, response)) is not None:
            problems.append(f"{what}: {undocumented}")
        events = AuditEvent.objects.filter(
            request_id=response["X-Request-ID"], action__in=READ_EVENT_ACTIONS
        )
        if role == "anonymous":
            if response.status_code != 401 or events.exists():
                problems.append(f"{what}: {response.status_code}, {events.count()} read events")
            continue
        if response.status_code != 200:
            problems.append(f"{what}: {response.status_code}: {response.content[:200]!r}")
            continue
        for leak in _leaks(role, response.content):
            problems.append(f"{what}: leaks {leak}")
        candidates = response.json()["candidates"]
        mine = [c for c in candidates if c["case"] and c["case"]["id"] == world.cases[key].pk]
        held = [c for c in candidates if c["held"]]
        if key in visible_cases(role):
            scope = "full" if sees_in_full(role, key) else "limited"
            if len(mine) != 1 or mine[0]["case"]["access_scope"] != scope:
                problems.append(f"{what}: not shown with its case in {scope}: {candidates}")
        elif not any(c["organization"]["id"] == world.cases[key].organization_id for c in held):
            problems.append(f"{what}: not shown as held by its organization: {candidates}")
        for candidate in held:
            if candidate["child"] is not None or candidate["case"] is not None:
                problems.append(f"{what}: a held candidate shows personal data")
        shown = sorted(c["case"]["id"] for c in candidates if c["case"])
        recorded = [sorted(e.metadata["records"].get("cases.case", [])) for e in events]
        if recorded != [shown]:
            problems.append(f"{what}: read events name {recorded}, expected [{shown}]")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["partner_b", "partner_key_b"])
def test_limited_share_shows_birth_year_and_no_contacts(world: World, role: str):
    client = world.clients[role]
    case = world.cases["limited"]
    detail = client.get(reverse("case-detail", kwargs={"pk": case.pk})).json()
    assert detail["access_scope"] == "limited"
    assert detail["child"]["date_of_birth"] is None
    assert detail["child"]["birth_year"] == LIMITED_BIRTH.year
    relatives = client.get(reverse("case-relatives", kwargs={"pk": case.pk})).json()
    assert relatives
    for relative in relatives:
        assert relative["phone"] is None
        assert relative["email"] is None
        assert relative["address"] is None
        assert relative["given_name"]  # who the relatives are is shown


def test_full_share_shows_the_whole_record(world: World):
    client = world.clients["partner_b"]
    case = world.cases["full"]
    detail = client.get(reverse("case-detail", kwargs={"pk": case.pk})).json()
    assert detail["access_scope"] == "full"
    assert case.child.date_of_birth is not None
    assert detail["child"]["date_of_birth"] == case.child.date_of_birth.isoformat()
    relatives = client.get(reverse("case-relatives", kwargs={"pk": case.pk})).json()
    assert relatives[0]["phone"] == world.relatives["full"].phone


# -------------------------------------------------------------------------------------------
# Sources, evidence and published figures
# -------------------------------------------------------------------------------------------
# Sources: one testimony per case (received by the case's owner, supporting the case), one
# public news article, one received by the partner organization B.
SOURCE_KEYS = [*CASE_KEYS, "public", "partner_own"]
FIGURE_WRITERS = {"caseworker_a", "supervisor_a", "coordinator_a", "caseworker_d", "superuser"}


def source_marker(key: str) -> str:
    """A distinctive title (and excerpt) whose appearance in a response is a leak."""
    return f"Matrix source marker {key}"


@dataclass
class EvidenceWorld:
    sources: dict[str, Any]
    evidence: dict[str, Any]  # read and changed
    disposable: dict[str, Any]  # deleted
    figure: Any


@pytest.fixture
def evidence_world(world: World) -> EvidenceWorld:
    from sources.figures import figure_record
    from tests.factories.sources import make_evidence, receive, text_bytes

    sources = {
        key: receive(
            text_bytes(key),
            organization=case.organization,
            kind="testimony",
            title=source_marker(key),
        )
        for key, case in world.cases.items()
    }
    sources["public"] = receive(text_bytes("public"), kind="news_article", title="Matrix news")
    sources["partner_own"] = receive(
        text_bytes("partner"), organization=world.orgs["B"], kind="testimony", title="Partner own"
    )
    evidence = {
        key: make_evidence(sources[key], case, excerpt=source_marker(key))
        for key, case in world.cases.items()
    }
    disposable = {
        key: make_evidence(sources[key], case, fact="identity", excerpt=source_marker(key))
        for key, case in world.cases.items()
    }
    figure = figure_record(actor=None, data=dict(MATRIX_FIGURE))
    return EvidenceWorld(sources, evidence, disposable, figure)


MATRIX_FIGURE = {
    "metric": "deported",
    "description": "Synthetic matrix count",
    "value": 100,
    "qualifier": "at_least",
    "as_of": dt.date(2024, 1, 1),
    "as_of_precision": "day",
    "claimant": "Synthetic matrix claimant",
}


def source_visible(role: str, key: str) -> bool:
    """Public sources for every signed-in user; a testimony with the case it supports, seen in
    full (its owner's readers, a full share, auditors, superusers); the partner's own to it."""
    if role == "anonymous":
        return False
    if key == "public" or role in ("auditor", "superuser"):
        return True
    if (key == "partner_own" or key in SUBMITTED_FAMILY_NAMES) and role in PARTNERS:
        return True  # received by the partner's organization
    return sees_in_full(role, key)


def source_writable(role: str, key: str) -> bool:
    """Changing a source's description: a writer of the organization it belongs to."""
    if role == "superuser":
        return True
    return key in CASE_KEYS and may(role, "write", key)


def _source_leaks(role: str, content: bytes) -> list[str]:
    text = content.decode(errors="replace")
    return [
        f"source {key}"
        for key in CASE_KEYS
        if not source_visible(role, key) and source_marker(key) in text
    ]


def _evidence_request(
    ew: EvidenceWorld, world: World, name: str, method: str, key: str
) -> tuple[str, dict[str, Any]]:
    if name == "evidence-detail":
        target = ew.disposable[key] if method == "delete" else ew.evidence[key]
        return reverse(name, kwargs={"pk": target.pk}), (
            {"note": "Synthetic matrix note"} if method == "patch" else {}
        )
    body = {"publisher": "Synthetic matrix publisher"} if method == "patch" else {}
    return reverse(name, kwargs={"pk": ew.sources[key].pk}), body


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_sources(
    world: World, evidence_world: EvidenceWorld, role: str, documented_statuses: Any
):
    client = world.clients[role]
    ew = evidence_world
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
        problems.extend(_read_event_problems(what, response))
        if response.has_header("Content-Disposition"):
            return  # a downloaded file: its bytes were checked for being allowed at all
        for leak in _leaks(role, response.content) + _source_leaks(role, response.content):
            problems.append(f"{what}: leaks {leak}")

    def listed(what: str, response: Any, expected: set[int]) -> None:
        check(what, response, {401} if anonymous else {200})
        if response.status_code == 200:
            found = {row["id"] for row in response.json()["results"]}
            if found != expected:
                problems.append(f"{what}: lists {sorted(found)}, expected {sorted(expected)}")

    for name, endpoint in ENDPOINTS.items():
        if endpoint.target not in EVIDENCE_TARGETS:
            continue
        for method in sorted(endpoint.methods):
            what = f"{role} {method.upper()} {name}"
            if endpoint.target == SOURCE:
                for key in SOURCE_KEYS:
                    url, body = _evidence_request(ew, world, name, method, key)
                    response = _send(client, method, url, body, {})
                    if anonymous:
                        expected = {401}
                    elif not source_visible(role, key):
                        expected = {404}
                    elif method == "get":
                        expected = {200}
                    else:
                        expected = {200} if source_writable(role, key) else {403}
                    check(f"{what} [{key}]", response, expected)
            elif endpoint.target == EVIDENCE:
                for key in CASE_KEYS:
                    url, body = _evidence_request(ew, world, name, method, key)
                    response = _send(client, method, url, body, {})
                    if anonymous:
                        expected = {401}
                    elif not sees_in_full(role, key):
                        expected = {404}
                    elif method == "get":
                        expected = {200}
                    elif may(role, "write", key):
                        expected = {204} if method == "delete" else {200}
                    else:
                        expected = {403}
                    check(f"{what} [{key}]", response, expected)
            elif endpoint.target == FIGURE:
                url = reverse(name, kwargs={"pk": ew.figure.pk})
                body = {"note": "Synthetic matrix note"} if method == "patch" else {}
                response = _send(client, method, url, body, {})
                if anonymous:
                    expected = {401}
                elif method == "get":
                    expected = {200}
                else:
                    expected = {200} if role in FIGURE_WRITERS else {403}
                check(what, response, expected)
            elif name == "source-list" and method == "get":
                visible = {ew.sources[k].pk for k in SOURCE_KEYS if source_visible(role, k)}
                listed(what, client.get(reverse(name), {"page_size": 200}), visible)
                for key in CASE_KEYS:
                    by_case = client.get(reverse(name), {"case": world.cases[key].pk})
                    # Filtering by a case out of sight finds nothing, whatever the source.
                    seen = source_visible(role, key) and key in visible_cases(role)
                    supporting = {ew.sources[key].pk} if seen else set()
                    listed(f"{what} ?case={key}", by_case, supporting)
            elif name == "source-list":
                body = {"kind": "testimony", "title": "Synthetic matrix testimony"}
                response = client.post(reverse(name), body, format="json")
                if anonymous:
                    check(what, response, {401})
                else:
                    check(what, response, {201} if role in CREATE_ROLES | {"superuser"} else {403})
            elif name == "evidence-list" and method == "get":
                visible = {ew.evidence[k].pk for k in CASE_KEYS if sees_in_full(role, k)} | {
                    ew.disposable[k].pk for k in CASE_KEYS if sees_in_full(role, k)
                }
                listed(what, client.get(reverse(name), {"page_size": 200}), visible)
            elif name == "evidence-list":
                for key in CASE_KEYS:
                    body = {
                        "source": ew.sources["public"].pk,
                        "case": world.cases[key].pk,
                        "fact": "other",
                    }
                    response = client.post(reverse(name), body, format="json")
                    if anonymous:
                        expected = {401}
                    elif key not in visible_cases(role):
                        expected = {400}  # the body names a case unknown to the actor
                    elif may(role, "write", key):
                        expected = {201}
                    else:
                        expected = {403}
                    check(f"{what} [{key}]", response, expected)
            elif name == "figure-list" and method == "get":
                listed(what, client.get(reverse(name)), {ew.figure.pk})
            else:  # figure-list POST
                body = {**MATRIX_FIGURE, "as_of": "2024-02-01", "claimant": "Synthetic other"}
                response = client.post(reverse(name), body, format="json")
                if anonymous:
                    check(what, response, {401})
                else:
                    check(what, response, {201} if role in FIGURE_WRITERS else {403})

    assert not problems, "\n".join(problems)


# -------------------------------------------------------------------------------------------
# The coalition
# -------------------------------------------------------------------------------------------
# Every coalition reader reads every record (public diplomacy); coordinators and superusers
# write. The lists' entries are personal data: what each role sees of them is the oracle below.
COALITION_WRITERS = {"coordinator_a", "superuser"}
# The entries of the list organization A keeps, by the world case each is linked to (and one
# linked to none), each with a distinctive synthetic name and date of birth as written.
ENTRY_KEYS = ["own", "limited", "other", "unlinked"]
ENTRY_NAMES = {
    "own": "Списківська Олеся",
    "limited": "Обмеженко Тарас",
    "other": f"{HIDDEN_FAMILY_NAME} Дарина",
    "unlinked": "Безсправчук Марко",
}
ENTRY_BIRTHS = {key: f"{index + 1:02}.03.2011 as written" for index, key in enumerate(ENTRY_KEYS)}
# Who sees the names no case stands behind: members of the list's organization (A), auditors
# and superusers.
UNLINKED_READERS = {"caseworker_a", "supervisor_a", "coordinator_a", "auditor", "superuser"}


def entry_sight(role: str, key: str) -> str:
    """What ``role`` sees of the entry ``key``: ``full``, ``limited`` (the name and the case,
    no date of birth nor details) or ``none`` (the number and the outcome)."""
    if key == "unlinked":
        return "full" if role in UNLINKED_READERS else "none"
    if key not in visible_cases(role):
        return "none"
    return "full" if sees_in_full(role, key) else "limited"


def _entry_leaks(role: str, content: bytes) -> list[str]:
    text = content.decode()
    found = []
    for key in ENTRY_KEYS:
        sight = entry_sight(role, key)
        if sight == "none" and ENTRY_NAMES[key] in text:
            found.append(f"the name on entry {key}")
        if sight != "full" and ENTRY_BIRTHS[key] in text:
            found.append(f"the date of birth on entry {key}")
    return found


@dataclass
class CoalitionWorld:
    records: dict[str, Any]
    entries: dict[str, Any]


@pytest.fixture
def coalition_world(world: World) -> CoalitionWorld:
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

    make_areas()
    commitment, _ = member_services.commitment_sync(
        actor=None, code="matrix-commitment", position=1, text="Synthetic commitment", text_uk=""
    )
    party = member_services.organization_record(
        actor=None, data={"code": "matrix-organization", "name": "Synthetic Matrix Organization"}
    )
    member = make_coalition_member("CA", areas=["justice"])
    project = make_project(area="justice", lead="CA")
    pledge = make_pledge("CA", project=project.pk)
    meeting = make_meeting()
    statement = make_statement(meeting=meeting.pk)
    resolution = make_resolution(in_favour=91, against=12, abstaining=57)
    meeting_services.votes_set(
        resolution=resolution, votes={"CA": "in_favour", "RU": "against"}, actor=None
    )
    child_list = make_list(world.orgs["A"], meeting=meeting.pk, count_claimed=400)
    entries = {
        key: make_entry(
            child_list,
            name_as_written=ENTRY_NAMES[key],
            date_of_birth_as_written=ENTRY_BIRTHS[key],
            details=f"Synthetic matrix detail {key}",
            case=world.cases[key].pk if key in world.cases else None,
        )
        for key in ENTRY_KEYS
    }
    records = {
        "party": party,
        "area": "justice",
        "commitment": commitment,
        "member": member,
        "project": project,
        "pledge": pledge,
        "meeting": meeting,
        "statement": statement,
        "resolution": resolution,
        "list": child_list,
    }
    return CoalitionWorld(records, entries)


def _version_tag(record: Any) -> dict[str, str]:
    record.refresh_from_db()
    return {"HTTP_IF_MATCH": f'"{record.pk}-{record.version}"'}


def _coalition_requests(
    cw: CoalitionWorld, world: World, role: str, name: str, method: str
) -> list[tuple[str, str, dict[str, Any], dict[str, str]]]:
    """(label, URL, body, headers) of each request on ``name`` by ``method``: a valid minimal
    body for every write, with the record's current ``If-Match`` where one is asked."""
    r = cw.records
    if method == "get":
        kwargs: dict[str, Any] = {
            "coalition-party-detail": {"code": r["party"].code},
            "coalition-area-detail": {"code": r["area"]},
            "coalition-commitment-detail": {"code": r["commitment"].code},
            "coalition-country-dossier": {"code": "CA"},
            "coalition-member-detail": {"pk": r["member"].pk},
            "coalition-project-detail": {"pk": r["project"].pk},
            "coalition-pledge-detail": {"pk": r["pledge"].pk},
            "coalition-pledge-history": {"pk": r["pledge"].pk},
            "coalition-meeting-detail": {"pk": r["meeting"].pk},
            "coalition-statement-detail": {"pk": r["statement"].pk},
            "coalition-resolution-detail": {"pk": r["resolution"].pk},
            "coalition-list-detail": {"pk": r["list"].pk},
            "coalition-list-entries": {"pk": r["list"].pk},
        }.get(name, {})
        return [("", reverse(name, kwargs=kwargs), {}, {})]
    creates: dict[str, dict[str, Any]] = {
        "coalition-party-list": {
            "code": f"matrix-new-{role.replace('_', '-')}",
            "name": "Synthetic New Org",
        },
        "coalition-member-list": {"party": "BE"},
        "coalition-project-list": {"title": "Synthetic matrix project", "area": "justice"},
        "coalition-pledge-list": {
            "member": "CA",
            "area": "justice",
            "kind": "expertise",
            "description": "Synthetic matrix pledge",
        },
        "coalition-meeting-list": {
            "kind": "call",
            "title": "Synthetic matrix call",
            "held_on": "2024-01-05",
        },
        "coalition-statement-list": {"title": "Synthetic statement", "issued_on": "2024-01-05"},
        "coalition-resolution-list": {
            "body": "other",
            "title": "Synthetic matrix resolution",
            "voted_on": "2024-01-05",
        },
        "coalition-list-list": {
            "title": "Synthetic matrix list",
            "statement": r["statement"].pk,
            "handed_on": "2025-08-05",
            **({"organization": world.orgs["A"].pk} if role == "superuser" else {}),
        },
    }
    if name in creates:
        return [("", reverse(name), creates[name], {})]
    if name == "coalition-list-entries":
        url = reverse(name, kwargs={"pk": r["list"].pk})
        return [("", url, {"name_as_written": "Синтетична Матрична"}, {})]
    if name == "coalition-list-entry-detail":
        # An entry the writer sees, and one linked to a case no coordinator reads.
        return [
            (
                f" [{key}]",
                reverse(name, kwargs={"pk": cw.entries[key].pk}),
                {"details": f"Synthetic matrix detail by {role}"},
                _version_tag(cw.entries[key]),
            )
            for key in ("unlinked", "other")
        ]
    changes: dict[str, tuple[Any, dict[str, Any]]] = {
        "coalition-party-detail": (r["party"], {"name": "Synthetic Renamed Org"}),
        "coalition-member-detail": (r["member"], {"note": "Synthetic matrix note"}),
        "coalition-project-detail": (r["project"], {"description": "Synthetic matrix text"}),
        "coalition-pledge-detail": (r["pledge"], {"description": "Synthetic matrix pledge"}),
        "coalition-pledge-transition": (r["pledge"], {"to": "in_progress"}),
        "coalition-meeting-detail": (r["meeting"], {"place": "Synthetic matrix place"}),
        "coalition-statement-detail": (r["statement"], {"text": "Synthetic matrix text"}),
        "coalition-resolution-detail": (r["resolution"], {"title": "Synthetic, renamed"}),
        "coalition-resolution-votes": (r["resolution"], {"votes": {"UA": "in_favour"}}),
        "coalition-resolution-roll-call": (r["resolution"], {"abstaining": "China"}),
        "coalition-list-detail": (r["list"], {"note": "Synthetic matrix note"}),
    }
    record, body = changes[name]  # a new coalition endpoint: say here how to call it
    lookup = {"code": record.code} if name == "coalition-party-detail" else {"pk": record.pk}
    return [("", reverse(name, kwargs=lookup), body, _version_tag(record))]


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_coalition(
    world: World, coalition_world: CoalitionWorld, role: str, documented_statuses: Any
):
    client = world.clients[role]
    cw = coalition_world
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
        for leak in _leaks(role, response.content) + _entry_leaks(role, response.content):
            problems.append(f"{what}: leaks {leak}")
        problems.extend(_read_event_problems(what, response))

    for name, endpoint in ENDPOINTS.items():
        if endpoint.target != COALITION:
            continue
        for method in sorted(endpoint.methods):
            for label, url, body, headers in _coalition_requests(cw, world, role, name, method):
                what = f"{role} {method.upper()} {name}{label}"
                response = _send(client, method, url, body, headers)
                if anonymous:
                    check(what, response, {401})
                elif method == "get":
                    check(what, response, {200})
                elif role in COALITION_WRITERS:
                    creates = method == "post" and name.endswith(("-list", "-entries"))
                    check(what, response, {201} if creates else {200})
                else:
                    check(what, response, {403})
                if name == "coalition-list-entries" and method == "get" and not anonymous:
                    sights = {row["id"]: row["sight"] for row in response.json()["results"]}
                    expected = {cw.entries[k].pk: entry_sight(role, k) for k in ENTRY_KEYS}
                    if sights != expected:
                        problems.append(f"{what}: sees {sights}, expected {expected}")

    assert not problems, "\n".join(problems)


# -------------------------------------------------------------------------------------------
# Reminders: each actor's own
# -------------------------------------------------------------------------------------------
REMINDER_OWNER = "supervisor_a"


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_reminders(world: World, role: str, documented_statuses: Any):
    from reports.models import Reminder, ReminderRule

    owner = User.objects.get(
        memberships__organization=world.orgs["A"], memberships__role="supervisor"
    )
    case = world.cases["own"]
    reminder = Reminder.objects.create(
        user=owner,
        rule=ReminderRule.FOLLOW_UP_DUE,
        item_key="followup:1",
        case=case,
        organization=case.organization,
        item_state="due:2026-12-12",
        due_on=dt.date(2026, 12, 12),
        details={"case_number": case.number, "due_on": "2026-12-12"},
    )
    client = world.clients[role]
    until = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    problems: list[str] = []
    for name, endpoint in ENDPOINTS.items():
        if endpoint.target != REMINDER:
            continue
        for method in sorted(endpoint.methods):
            kwargs = {} if name == "reminder-list" else {"pk": reminder.pk}
            body = {"until": until} if name == "reminder-snooze" else {}
            response = _send(client, method, reverse(name, kwargs=kwargs), body, {})
            what = f"{role} {method.upper()} {name}"
            if role == "anonymous":
                expected = {401}
            elif name == "reminder-list" or role == REMINDER_OWNER:
                expected = {200}
            else:
                expected = {404}
            if response.status_code not in expected:
                problems.append(f"{what}: {response.status_code}, expected {sorted(expected)}")
            if (undocumented := _undocumented(documented_statuses, response)) is not None:
                problems.append(f"{what}: {undocumented}")
            problems.extend(_read_event_problems(what, response))
            if name == "reminder-list" and response.status_code == 200:
                ids = {row["id"] for row in response.json()["results"]}
                wanted = {reminder.pk} if role == REMINDER_OWNER else set()
                if ids != wanted:
                    problems.append(f"{what}: lists {ids}, expected {wanted}")


# E-mail subscriptions
# -------------------------------------------------------------------------------------------
# Each user lists and changes only their own (a superuser too, in the API); what each role may
# subscribe to: the digest for those who work cases, the registry's summary for coordinators,
# auditors and superusers, nothing for partners.
DIGEST_SUBSCRIBERS = {"caseworker_a", "supervisor_a", "caseworker_d"}
REGISTRY_SUBSCRIBERS = {"coordinator_a", "auditor", "superuser"}


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_subscriptions(world: World, role: str, documented_statuses: Any):
    from reports.services.subscriptions import subscription_set

    owner = User.objects.get(
        memberships__organization=world.orgs["A"], memberships__role="coordinator"
    )
    owned, _created = subscription_set(actor=owner, topic="registry", frequency="weekly")
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
        problems.extend(_read_event_problems(what, response))

    for name, endpoint in ENDPOINTS.items():
        if endpoint.target != SUBSCRIPTION:
            continue
        for method in sorted(endpoint.methods):
            what = f"{role} {method.upper()} {name}"
            if name == "subscription-list" and method == "get":
                response = client.get(reverse(name))
                check(what, response, {401} if anonymous else {200})
                if response.status_code == 200:
                    ids = {row["id"] for row in response.json()}
                    expected = {owned.pk} if role == "coordinator_a" else set()
                    if ids != expected:
                        problems.append(f"{what}: lists {ids}, expected {expected}")
            elif name == "subscription-list":
                body = (
                    {"topic": "registry", "frequency": "monthly"}
                    if role in REGISTRY_SUBSCRIBERS
                    else {"topic": "digest", "frequency": "daily"}
                )
                response = client.post(reverse(name), body, format="json")
                if anonymous:
                    check(what, response, {401})
                elif role in DIGEST_SUBSCRIBERS | REGISTRY_SUBSCRIBERS:
                    check(what, response, {201})
                else:
                    check(what, response, {403})
            else:
                url = reverse(name, kwargs={"pk": owned.pk})
                body = {"language": "uk"} if method == "patch" else {}
                response = _send(client, method, url, body, {})
                if anonymous:
                    check(what, response, {401})
                elif role != "coordinator_a":
                    check(what, response, {404})  # another user's: as good as unknown
                else:
                    check(what, response, {204} if method == "delete" else {200})

    assert not problems, "\n".join(problems)


# -------------------------------------------------------------------------------------------
# Status reports: organization A's, D's and the registry's
# -------------------------------------------------------------------------------------------
REPORT_KEYS = ("a", "d", "registry")
# Members of an organization read its report exact; everyone else who reads it, suppressed.
REPORT_MEMBERS = {"a": {"caseworker_a", "supervisor_a", "coordinator_a"}, "d": {"caseworker_d"}}


def reads_report(role: str, key: str) -> bool:
    if role in ("superuser", "auditor", "coordinator_a"):
        return True
    if role in PARTNERS or role == "anonymous":
        return False
    return key == "registry" or role in REPORT_MEMBERS.get(key, set())


def issues_report(role: str, scope: str) -> bool:
    if role == "superuser":
        return True
    return role == ("coordinator_a" if scope == "registry" else "supervisor_a")


@pytest.fixture
def report_world(world: World) -> dict[str, Any]:
    from reports.periods import Period
    from reports.services.reports import report_issue

    today = timezone.localdate()
    period = Period("custom", today.replace(day=1), today)
    return {
        "a": report_issue(
            actor=None, scope="organization", organization=world.orgs["A"], period=period
        ),
        "d": report_issue(
            actor=None, scope="organization", organization=world.orgs["D"], period=period
        ),
        "registry": report_issue(actor=None, scope="registry", period=period),
    }


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix_reports(
    world: World, report_world: dict[str, Any], role: str, documented_statuses: Any
):
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
        if "spreadsheetml" not in response.get("Content-Type", ""):  # a workbook is a zip
            for leak in _leaks(role, response.content):
                problems.append(f"{what}: leaks {leak}")
        downloads = AuditEvent.objects.filter(
            request_id=response["X-Request-ID"], action__in=READ_EVENT_ACTIONS
        )
        downloaded = what.split()[2] in ("report-csv", "report-xlsx")
        wanted = int(downloaded and response.status_code == 200)
        if downloads.count() != wanted or downloads.exclude(action=Action.DOWNLOAD).exists():
            problems.append(f"{what}: {downloads.count()} read events, expected {wanted}")

    listed = client.get(reverse("report-list"))
    check(f"{role} GET report-list", listed, {401} if anonymous else {200})
    if listed.status_code == 200:
        ids = {row["id"] for row in listed.json()["results"]}
        expected_ids = {report_world[k].pk for k in REPORT_KEYS if reads_report(role, k)}
        if ids != expected_ids:
            problems.append(f"{role} GET report-list: lists {ids}, expected {expected_ids}")
    for key in REPORT_KEYS:
        report = report_world[key]
        for name in ("report-detail", "report-csv", "report-xlsx"):
            what = f"{role} GET {name} [{key}]"
            response = client.get(reverse(name, args=[report.pk]))
            if anonymous:
                check(what, response, {401})
            elif not reads_report(role, key):
                check(what, response, {404})
            else:
                check(what, response, {200})
                if name == "report-detail" and response.status_code == 200:
                    exact = role in REPORT_MEMBERS.get(key, set())
                    if response.json()["suppressed"] is exact:
                        problems.append(f"{what}: suppressed is {not exact}")
    today = timezone.localdate()
    for scope in ("organization", "registry"):
        # Chosen dates for an organization; across the registry, a week or a month only.
        body: dict[str, Any] = {
            "scope": scope,
            "period": "month",
            "period_start": today.replace(day=1).isoformat(),
        }
        if scope == "organization":
            body.update(
                period="custom", period_end=today.isoformat(), organization=world.orgs["A"].pk
            )
        what = f"{role} POST report-list [{scope}]"
        response = client.post(reverse("report-list"), body, format="json")
        if anonymous:
            check(what, response, {401})
        elif issues_report(role, scope):
            check(what, response, {201})
        else:
            check(what, response, {403})

    assert not problems, "\n".join(problems)

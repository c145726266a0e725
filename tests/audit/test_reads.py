"""Reads of a child's personal data: every door (API and admin) leaves exactly one audit event per
request, naming the records it returned, and a search is kept without the words searched for.

``tests/test_access_matrix.py`` holds every API endpoint to the same rule for every role; this
table says, door by door, what the one event holds. All data is synthetic.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Organization
from audit import services as audit_services
from audit.models import READ_ACTIONS, Action, AuditEvent
from cases import selectors as case_selectors
from cases import services
from cases.models import Case, StatusChange
from tests.factories.accounts import make_member
from tests.factories.cases import make_case, make_relative, make_whereabouts, move_case
from tests.factories.sources import make_evidence, receive, text_bytes

pytestmark = pytest.mark.django_db

FAMILY_NAME = "Читанчук"
FAMILY_NAME_LATIN = "Chytanchuk"


@dataclass
class Reads:
    case: Case
    other: Case
    ids: dict[str, list[int]]  # object type -> the ids a read of the case returns
    source: Any
    evidence: Any
    event: AuditEvent  # an event of the trail, for the trail's own reads


@pytest.fixture
def reads(user: Any, home: Organization, oblasts: Any) -> Reads:
    case = make_case(child={"family_name": FAMILY_NAME})
    other = make_case()
    relatives = [make_relative(case), make_relative(case)]
    place = make_whereabouts(case)
    move_case(case, "verifying")
    share = services.case_share_create(
        case=case,
        actor=None,
        organization=make_member("caseworker").memberships.get().organization,
        scope="limited",
        reason="Synthetic read test",
        consent_reference="READ-CONSENT",
    )
    closure = services.closure_request_create(
        case_id=case.pk, actor=None, closure_reason="duplicate", reason="Synthetic request"
    )
    source = receive(text_bytes("reads"), organization=home, kind="testimony", title="Reads")
    evidence = make_evidence(source, case)
    event = AuditEvent.objects.order_by("id").first()
    assert event is not None
    return Reads(
        case=case,
        other=other,
        ids={
            "cases.relative": [r.pk for r in relatives],
            "cases.whereabouts": [place.pk],
            "cases.caseshare": [share.pk],
            "cases.closurerequest": [closure.pk],
            "cases.statuschange": list(case.status_changes.values_list("pk", flat=True)),
        },
        source=source,
        evidence=evidence,
        event=event,
    )


@dataclass(frozen=True)
class Door:
    """One way of reading personal data: the request, and what its one event must say."""

    name: str
    url: Callable[[Reads], str]
    action: str
    object_type: str
    # The records the event must name: {object type: ids}, given the world.
    records: Callable[[Reads], dict[str, list[int]]]
    admin: bool = False
    auditor: bool = False
    params: Callable[[Reads], dict[str, Any]] = lambda r: {}


def _case(name: str, *keys: str, **kwargs: Any) -> Door:
    """A door of one case's records: a ``view`` of the case naming ``keys``' records."""
    return Door(
        name,
        lambda r: reverse(name, kwargs={"pk": r.case.pk}),
        Action.VIEW,
        "cases.case",
        lambda r: {key: r.ids[key] for key in keys},
        **kwargs,
    )


def _both_cases(r: Reads) -> dict[str, list[int]]:
    return {"cases.case": sorted([r.case.pk, r.other.pk])}


DOORS = [
    Door("case-list", lambda r: reverse("case-list"), Action.LIST, "cases.case", _both_cases),
    Door(
        "case-list search",
        lambda r: reverse("case-list"),
        Action.SEARCH,
        "cases.case",
        lambda r: {"cases.case": [r.case.pk]},
        params=lambda r: {"search": FAMILY_NAME},
    ),
    Door(
        "case-detail",
        lambda r: reverse("case-detail", kwargs={"pk": r.case.pk}),
        Action.VIEW,
        "cases.case",
        lambda r: {"cases.case": [r.case.pk]},
    ),
    _case("case-relatives", "cases.relative"),
    _case("case-whereabouts", "cases.whereabouts"),
    _case("case-shares", "cases.caseshare"),
    _case("case-closure-requests", "cases.closurerequest"),
    _case("case-timeline", "cases.statuschange", "cases.whereabouts"),
    Door(
        "source-list",
        lambda r: reverse("source-list"),
        Action.LIST,
        "sources.source",
        lambda r: {"sources.source": [r.source.pk]},
    ),
    Door(
        "source-detail",
        lambda r: reverse("source-detail", kwargs={"pk": r.source.pk}),
        Action.VIEW,
        "sources.source",
        lambda r: {"sources.source": [r.source.pk]},
    ),
    Door(
        "source-custody",
        lambda r: reverse("source-custody", kwargs={"pk": r.source.pk}),
        Action.VIEW,
        "sources.source",
        lambda r: {"sources.custodyevent": list(r.source.custody.values_list("pk", flat=True))},
    ),
    Door(
        "evidence-list",
        lambda r: reverse("evidence-list"),
        Action.LIST,
        "sources.evidence",
        lambda r: {"sources.evidence": [r.evidence.pk]},
    ),
    Door(
        "evidence-detail",
        lambda r: reverse("evidence-detail", kwargs={"pk": r.evidence.pk}),
        Action.VIEW,
        "sources.evidence",
        lambda r: {"sources.evidence": [r.evidence.pk]},
    ),
    Door(
        "audit-event-detail",
        lambda r: reverse("audit-event-detail", kwargs={"pk": r.event.pk}),
        Action.VIEW,
        "audit.auditevent",
        lambda r: {"audit.auditevent": [r.event.pk]},
        auditor=True,
    ),
    # The admin.
    Door(
        "admin case list",
        lambda r: reverse("admin:cases_case_changelist"),
        Action.LIST,
        "cases.case",
        _both_cases,
        admin=True,
    ),
    Door(
        "admin case search",
        lambda r: reverse("admin:cases_case_changelist"),
        Action.SEARCH,
        "cases.case",
        lambda r: {"cases.case": [r.case.pk]},
        admin=True,
        params=lambda r: {"q": FAMILY_NAME_LATIN},
    ),
    Door(
        "admin case page",
        lambda r: reverse("admin:cases_case_change", args=[r.case.pk]),
        Action.VIEW,
        "cases.case",
        lambda r: {
            "cases.case": [r.case.pk],
            "cases.relative": r.ids["cases.relative"],
            "cases.caseshare": r.ids["cases.caseshare"],
            "cases.closurerequest": r.ids["cases.closurerequest"],
            "cases.statuschange": r.ids["cases.statuschange"],
        },
        admin=True,
    ),
    Door(
        "admin status changes",
        lambda r: reverse("admin:cases_statuschange_changelist"),
        Action.LIST,
        "cases.statuschange",
        lambda r: {
            "cases.statuschange": list(
                StatusChange.objects.filter(case__in=[r.case, r.other]).values_list("pk", flat=True)
            )
        },
        admin=True,
    ),
    Door(
        "admin source list",
        lambda r: reverse("admin:sources_source_changelist"),
        Action.LIST,
        "sources.source",
        lambda r: {"sources.source": [r.source.pk]},
        admin=True,
    ),
    Door(
        "admin source page",
        lambda r: reverse("admin:sources_source_change", args=[r.source.pk]),
        Action.VIEW,
        "sources.source",
        lambda r: {
            "sources.source": [r.source.pk],
            "sources.evidence": [r.evidence.pk],
            "sources.custodyevent": list(r.source.custody.values_list("pk", flat=True)),
        },
        admin=True,
    ),
    Door(
        "admin evidence list",
        lambda r: reverse("admin:sources_evidence_changelist"),
        Action.LIST,
        "sources.evidence",
        lambda r: {"sources.evidence": [r.evidence.pk]},
        admin=True,
    ),
    Door(
        "admin evidence page",
        lambda r: reverse("admin:sources_evidence_change", args=[r.evidence.pk]),
        Action.VIEW,
        "sources.evidence",
        lambda r: {"sources.evidence": [r.evidence.pk]},
        admin=True,
    ),
    Door(
        "admin custody list",
        lambda r: reverse("admin:sources_custodyevent_changelist"),
        Action.LIST,
        "sources.custodyevent",
        lambda r: {"sources.custodyevent": list(r.source.custody.values_list("pk", flat=True))},
        admin=True,
    ),
    Door(
        "admin audit event page",
        lambda r: reverse("admin:audit_auditevent_change", args=[r.event.pk]),
        Action.VIEW,
        "audit.auditevent",
        lambda r: {"audit.auditevent": [r.event.pk]},
        admin=True,
        auditor=True,
    ),
]


def _client(user: Any, *, admin: bool) -> Any:
    if admin:
        client = Client()
        client.force_login(user)
        return client
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _read_events(response: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            request_id=response["X-Request-ID"], action__in=READ_ACTIONS
        ).order_by("id")
    )


@pytest.mark.parametrize("door", DOORS, ids=[door.name for door in DOORS])
def test_a_read_of_personal_data_is_one_event_naming_what_it_returned(
    reads: Reads, user: Any, door: Door
):
    reader = make_member("auditor") if door.auditor else user
    client = _client(reader, admin=door.admin)

    response = client.get(door.url(reads), door.params(reads))

    assert response.status_code == 200, response.content[:300]
    (event,) = _read_events(response)
    assert (event.action, event.object_type, event.actor) == (
        door.action,
        door.object_type,
        reader,
    )
    assert event.channel == ("admin" if door.admin else "api")
    recorded = {kind: sorted(ids) for kind, ids in event.metadata["records"].items()}
    for kind, ids in door.records(reads).items():
        assert recorded.get(kind) == sorted(ids), kind
    assert event.metadata["count"] == sum(len(ids) for ids in recorded.values())
    # Never the child's name, in any field of the event.
    stored = json.dumps([event.object_repr, event.metadata, event.changes], ensure_ascii=False)
    assert FAMILY_NAME not in stored
    assert FAMILY_NAME_LATIN.casefold() not in stored.casefold()


def test_a_case_search_is_kept_as_digests_of_its_search_keys_in_any_spelling(
    api_client: APIClient, reads: Reads
):
    found = []
    for spelling in (FAMILY_NAME, FAMILY_NAME_LATIN):
        response = api_client.get(reverse("case-list"), {"search": spelling, "status": "verifying"})
        (event,) = _read_events(response)
        found.append(event.metadata)
    cyrillic, latin = found
    assert cyrillic["search"] == latin["search"]  # one digest for every spelling of the name
    assert cyrillic["search"]["kind"] == "name"
    assert len(cyrillic["search"]["terms"]) == 1
    assert cyrillic["query"] == {"status": ["verifying"]}  # the filters, without the search
    assert cyrillic["records"] == {"cases.case": [reads.case.pk]}


def test_a_search_digest_is_keyed_so_the_trail_alone_cannot_test_guesses(settings):
    plain = audit_services.search_recorded(["chytanchuk"])["terms"]
    settings.SECRET_KEY = "another synthetic secret key for this test only, long enough"
    assert audit_services.search_recorded(["chytanchuk"])["terms"] != plain


def test_a_case_number_search_is_kept_as_typed(api_client: APIClient, reads: Reads):
    prefix = reads.case.number[:9]
    response = api_client.get(reverse("case-list"), {"search": prefix.lower()})
    (event,) = _read_events(response)
    assert event.action == Action.SEARCH
    assert event.metadata["search"] == {"kind": "case_number", "prefix": prefix}


def test_a_search_that_finds_nothing_is_recorded_too(api_client: APIClient, reads: Reads):
    response = api_client.get(reverse("case-list"), {"search": "Ніхтотакий"})
    assert response.json()["results"] == []
    (event,) = _read_events(response)
    assert (event.action, event.metadata["records"], event.metadata["count"]) == (
        Action.SEARCH,
        {"cases.case": []},
        0,
    )


@pytest.mark.parametrize("page_size", [1, 2])
def test_the_list_read_is_one_insert_whatever_the_page(
    api_client: APIClient, reads: Reads, page_size: int, django_assert_num_queries: Any
):
    # The list without the audit event reads in five queries (token and user, roles, live
    # shares, the page; no search here): the event is one more, a single INSERT.
    with django_assert_num_queries(5) as captured:
        response = api_client.get(reverse("case-list"), {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    (insert,) = inserts
    assert "audit_auditevent" in insert


def test_looking_a_case_up_by_name_in_a_select_box_is_a_recorded_search(
    client: Client, user: Any, reads: Reads
):
    client.force_login(user)
    params = {
        "app_label": "sources",
        "model_name": "evidence",
        "field_name": "case",
        "term": FAMILY_NAME,
    }

    response = client.get(reverse("admin:autocomplete"), params)

    assert [row["id"] for row in response.json()["results"]] == [str(reads.case.pk)]
    (event,) = _read_events(response)
    assert (event.action, event.channel, event.object_type) == ("search", "admin", "cases.case")
    assert event.metadata["records"] == {"cases.case": [reads.case.pk]}
    assert event.metadata["search"]["kind"] == "name"
    assert FAMILY_NAME not in json.dumps(event.metadata, ensure_ascii=False)


def test_case_counts_carry_no_personal_data_and_leave_no_read_event(
    api_client: APIClient, reads: Reads
):
    response = api_client.get(reverse("case-counts"))
    assert response.status_code == 200
    assert _read_events(response) == []


def test_a_write_through_the_admin_page_is_no_read(client: Client, user: Any, reads: Reads):
    client.force_login(user)
    response = client.post(reverse("admin:cases_case_change", args=[reads.case.pk]), {})
    assert _read_events(response) == []


def test_an_auditor_finds_who_searched_for_a_child_in_any_spelling(
    api_client: APIClient, client: Client, user: Any, reads: Reads
):
    client.force_login(user)
    api_client.get(reverse("case-list"), {"search": "Chitanchuk"})  # a Russified Latin form
    client.get(reverse("admin:cases_case_changelist"), {"q": FAMILY_NAME})
    api_client.get(reverse("case-list"), {"search": "Іншенко"})  # somebody else

    # As the registry holds it (Ukrainian Cyrillic): its Russified forms are derived from it.
    found = list(case_selectors.case_searches_for(name=FAMILY_NAME))

    assert [(e.channel, e.metadata["records"]) for e in found] == [
        ("admin", {"cases.case": [reads.case.pk]}),
        ("api", {"cases.case": [reads.case.pk]}),
    ]
    assert list(case_selectors.case_searches_for(name="Ніхтотакий")) == []


def test_the_audit_searches_command_prints_the_searches_without_the_name(
    api_client: APIClient, reads: Reads
):
    response = api_client.get(reverse("case-list"), {"search": FAMILY_NAME})
    out = io.StringIO()

    call_command("audit_searches", FAMILY_NAME, stdout=out)

    printed = out.getvalue()
    assert response["X-Request-ID"] in printed
    assert f"cases [{reads.case.pk}]" in printed
    assert "1 searches found." in printed
    assert FAMILY_NAME not in printed

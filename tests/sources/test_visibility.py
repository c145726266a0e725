"""Who sees which sources and evidence: public kinds for every signed-in user, the receiving
organization's readers, and the readers of a case the source supports, in full only (a limited
share shows no documents); auditors and superusers see all; out of sight is a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from accounts.models import Organization, Role
from cases import services as case_services
from cases.models import Case, CaseShare
from sources import selectors
from sources.exceptions import EvidenceNotFound, SourceNotFound
from sources.models import Evidence, Source
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case
from tests.factories.sources import make_evidence, make_source, receive, text_bytes

pytestmark = pytest.mark.django_db


@dataclass
class World:
    sources: dict[str, Source]
    evidence: dict[str, Evidence]
    actors: dict[str, Any]


def _share(case: Case, organization: Organization, scope: str) -> CaseShare:
    return case_services.case_share_create(
        case=case,
        actor=None,
        organization=organization,
        scope=scope,
        reason="Synthetic share",
        consent_reference="SYNTHETIC-CONSENT",
    )


@pytest.fixture
def world(oblasts: Any) -> World:
    owner, full, limited, other, lapsed = (
        OrganizationFactory.create(name=f"Visibility organization {key}")
        for key in ("owner", "full", "limited", "other", "lapsed")
    )
    case = make_case(organization=owner)
    _share(case, full, "full")
    _share(case, limited, "limited")
    revoked = _share(case, lapsed, "full")
    case_services.case_share_revoke(share=revoked, actor=None, reason="Synthetic end")
    expired_case = make_case(organization=owner)
    expired = _share(expired_case, other, "full")
    CaseShare.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - dt.timedelta(days=10),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )

    sources = {
        # Received by the owner, supporting nothing yet.
        "received": receive(text_bytes("received"), organization=owner, kind="testimony"),
        # Received by nobody in particular (the system), supporting the shared case.
        "supporting": make_source(organization=None, kind="government_list"),
        # Supporting only the case whose share to "other" expired.
        "expired": make_source(organization=None, kind="photo"),
        "public": make_source(organization=None, kind="news_article"),
        "statement": make_source(organization=None, kind="official_statement"),
        "un": make_source(organization=None, kind="un_document"),
        # Received by another organization.
        "other": receive(text_bytes("other"), organization=other, kind="court_document"),
    }
    evidence = {
        "shared": make_evidence(sources["supporting"], case),
        "expired": make_evidence(sources["expired"], expired_case),
    }
    actors = {
        "owner_caseworker": make_member(Role.CASEWORKER, owner),
        "owner_coordinator": make_member(Role.COORDINATOR, owner),
        "full_partner": make_member(Role.PARTNER, full),
        "limited_caseworker": make_member(Role.CASEWORKER, limited),
        "lapsed_caseworker": make_member(Role.CASEWORKER, lapsed),
        "other_supervisor": make_member(Role.SUPERVISOR, other),
        "auditor": make_member(Role.AUDITOR, OrganizationFactory.create()),
        "superuser": UserFactory.create(is_superuser=True),
        "no_role": UserFactory.create(),
        "inactive": make_member(Role.CASEWORKER, owner, is_active=False),
        "anonymous": AnonymousUser(),
        "system": None,
    }
    return World(sources, evidence, actors)


PUBLIC = {"public", "statement", "un"}
ALL = {"received", "supporting", "expired", "other"} | PUBLIC

EXPECTED_SOURCES = {
    "owner_caseworker": {"received", "supporting", "expired"} | PUBLIC,
    "owner_coordinator": PUBLIC,  # counts only: no case, no organization's documents
    "full_partner": {"supporting"} | PUBLIC,
    "limited_caseworker": PUBLIC,  # a limited share shows no documents
    "lapsed_caseworker": PUBLIC,  # the share was revoked
    "other_supervisor": {"other"} | PUBLIC,  # its share of the other case expired
    "auditor": ALL,
    "superuser": ALL,
    "no_role": PUBLIC,  # signed in
    "inactive": set(),
    "anonymous": set(),
    "system": set(),  # reads go through an actor; tasks that need all use their own selectors
}


@pytest.mark.parametrize(("actor", "expected"), EXPECTED_SOURCES.items(), ids=EXPECTED_SOURCES)
def test_source_visible_to(world, actor, expected):
    visible = set(
        selectors.source_visible_to(actor=world.actors[actor]).values_list("pk", flat=True)
    )
    assert {key for key, source in world.sources.items() if source.pk in visible} == expected


@pytest.mark.parametrize(("actor", "expected"), EXPECTED_SOURCES.items(), ids=EXPECTED_SOURCES)
def test_source_get_is_a_404_out_of_sight(world, actor, expected):
    for key, source in world.sources.items():
        if key in expected:
            assert selectors.source_get(actor=world.actors[actor], source_id=source.pk) == source
        else:
            with pytest.raises(SourceNotFound):
                selectors.source_get(actor=world.actors[actor], source_id=source.pk)


EXPECTED_EVIDENCE = {
    "owner_caseworker": {"shared", "expired"},
    "owner_coordinator": set(),
    "full_partner": {"shared"},
    "limited_caseworker": set(),
    "lapsed_caseworker": set(),
    "other_supervisor": set(),
    "auditor": {"shared", "expired"},
    "superuser": {"shared", "expired"},
    "no_role": set(),
    "anonymous": set(),
}


@pytest.mark.parametrize(("actor", "expected"), EXPECTED_EVIDENCE.items(), ids=EXPECTED_EVIDENCE)
def test_evidence_visible_to(world, actor, expected):
    visible = set(
        selectors.evidence_visible_to(actor=world.actors[actor]).values_list("pk", flat=True)
    )
    assert {key for key, link in world.evidence.items() if link.pk in visible} == expected
    for key, link in world.evidence.items():
        if key not in expected:
            with pytest.raises(EvidenceNotFound):
                selectors.evidence_get(actor=world.actors[actor], evidence_id=link.pk)


def test_a_source_becomes_visible_when_it_supports_a_case_seen_in_full(world):
    partner = world.actors["full_partner"]
    received = world.sources["received"]
    assert not selectors.source_is_visible(actor=partner, source=received)

    case = world.evidence["shared"].case
    make_evidence(received, case, actor=world.actors["owner_caseworker"], fact="identity")

    assert selectors.source_is_visible(actor=partner, source=received)
    limited = world.actors["limited_caseworker"]
    assert not selectors.source_is_visible(actor=limited, source=received)


def test_source_visible_to_lists_each_source_once(world):
    supporting = world.sources["supporting"]
    case = world.evidence["shared"].case
    make_evidence(supporting, case, fact="identity")
    make_evidence(supporting, make_case(organization=case.organization), fact="family")
    actor = world.actors["owner_caseworker"]
    rows = list(selectors.source_visible_to(actor=actor).filter(pk=supporting.pk))
    assert rows == [supporting]


def test_source_get_refuses_ids_that_are_not_ids(world):
    with pytest.raises(SourceNotFound):
        selectors.source_get(actor=world.actors["superuser"], source_id="not-an-id")


def test_source_visible_to_reads_in_a_constant_number_of_queries(
    world, django_assert_max_num_queries
):
    actor = world.actors["full_partner"]
    # Memberships, live shares, then the sources themselves.
    with django_assert_max_num_queries(3):
        list(selectors.source_list(actor=actor))

"""Candidates as a reader may see them (``candidates_as_seen``), role by role: a child whose case
the reader sees comes with its case and personal data (the year of birth only through a
limited share); one held by another organization only as held by it, when likely, and with no
personal data at all. All data is synthetic."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from accounts.models import Membership, Organization, User
from accounts.selectors import actor_roles_forget
from cases import services
from cases.matching import DATE_OF_BIRTH_EQUAL, GIVEN_NAME_EQUAL
from cases.models import Case, ExternalReference
from cases.selectors_matching import (
    Candidate,
    SeenCandidate,
    candidates_as_seen,
    seen_candidate_cases,
)
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

BIRTH = dt.date(2011, 3, 9)
REASONS = (GIVEN_NAME_EQUAL, DATE_OF_BIRTH_EQUAL)
# Every field of a seen candidate that carries the child's personal data or names its case.
PERSONAL_FIELDS = (
    "case_id",
    "case_number",
    "case_status",
    "scope",
    "given_name",
    "family_name",
    "patronymic",
    "date_of_birth",
    "sex",
    "origin_oblast",
    "external_references",
)


@dataclass
class Registry:
    a: Organization
    b: Organization
    cases: dict[str, Case]


def _share(case: Case, organization: Organization, scope: str) -> None:
    services.case_share_create(
        case=case,
        actor=None,
        organization=organization,
        scope=scope,
        reason="Synthetic share",
        consent_reference="SYNTHETIC-CONSENT",
    )


@pytest.fixture
def registry(oblasts: Any) -> Registry:
    """Organization A's own child; B's children shared with A in full and limited; B's child
    not shared. Each child born on ``BIRTH``, from Donetsk oblast."""
    a = OrganizationFactory.create(name="Synthetic organization A")
    b = OrganizationFactory.create(name="Synthetic organization B")
    child = {"date_of_birth": BIRTH, "origin_oblast": oblasts["UA-14"]}
    cases = {
        "own": make_case(organization=a, child=child),
        "full": make_case(organization=b, child=child),
        "limited": make_case(organization=b, child=child),
        "other": make_case(organization=b, child=child),
    }
    _share(cases["full"], a, "full")
    _share(cases["limited"], a, "limited")
    for key, case in cases.items():
        ExternalReference.objects.create(organization=a, child=case.child, reference=f"A-{key}")
        ExternalReference.objects.create(organization=b, child=case.child, reference=f"B-{key}")
    return Registry(a, b, cases)


def _candidates(registry: Registry, band: str = "likely") -> list[Candidate]:
    return [
        Candidate(case.child_id, 0.9 - index / 100, band, REASONS)  # type: ignore[arg-type]
        for index, case in enumerate(registry.cases.values())
    ]


def _by_key(registry: Registry, seen: list[SeenCandidate]) -> dict[str, SeenCandidate]:
    keys = {case.child_id: key for key, case in registry.cases.items()}
    return {keys[candidate.child_id]: candidate for candidate in seen}


def _assert_held(candidate: SeenCandidate, organization: Organization) -> None:
    assert not candidate.visible
    assert candidate.band == "likely"
    assert (candidate.organization_id, candidate.organization_name) == (
        organization.pk,
        organization.name,
    )
    assert candidate.reasons == ()
    for name in PERSONAL_FIELDS:
        field = next(f for f in dataclasses.fields(SeenCandidate) if f.name == name)
        assert getattr(candidate, name) == field.default, name


def _assert_full(candidate: SeenCandidate, case: Case, organization: Organization) -> None:
    assert candidate.visible
    assert (candidate.case_id, candidate.case_number) == (case.pk, case.number)
    assert candidate.scope == "full"
    assert candidate.given_name == case.child.given_name
    assert candidate.family_name == case.child.family_name
    assert candidate.date_of_birth == BIRTH.isoformat()
    assert candidate.origin_oblast == "UA-14"
    assert candidate.sex == case.child.sex
    assert candidate.reasons == REASONS
    assert candidate.organization_name == organization.name


def test_candidates_as_seen_caseworker_sees_own_and_shared_and_others_held(
    registry: Registry,
) -> None:
    caseworker = make_member("caseworker", registry.a)

    seen = _by_key(registry, candidates_as_seen(actor=caseworker, candidates=_candidates(registry)))

    _assert_full(seen["own"], registry.cases["own"], registry.a)
    _assert_full(seen["full"], registry.cases["full"], registry.b)
    limited = seen["limited"]
    assert limited.visible
    assert limited.scope == "limited"
    assert limited.date_of_birth == str(BIRTH.year)  # the year only through a limited share
    assert limited.given_name == registry.cases["limited"].child.given_name
    _assert_held(seen["other"], registry.b)
    # Only the references the reader's own organization gave.
    assert seen["own"].external_references == ("A-own",)
    assert seen["full"].external_references == ("A-full",)


def test_candidates_as_seen_keeps_order_and_leaves_out_held_possible_candidates(
    registry: Registry,
) -> None:
    caseworker = make_member("caseworker", registry.a)
    candidates = _candidates(registry, band="possible")

    seen = candidates_as_seen(actor=caseworker, candidates=candidates)

    # A possible match held elsewhere is not shown at all: nobody probes the registry for
    # children of other organizations on weak matches.
    expected = [registry.cases[key].child_id for key in ("own", "full", "limited")]
    assert [c.child_id for c in seen] == expected
    assert all(c.visible for c in seen)


def test_candidates_as_seen_supervisor_sees_as_the_organization_does(registry: Registry) -> None:
    supervisor = make_member("supervisor", registry.a)

    seen = _by_key(registry, candidates_as_seen(actor=supervisor, candidates=_candidates(registry)))

    assert {key for key, c in seen.items() if c.visible} == {"own", "full", "limited"}
    _assert_held(seen["other"], registry.b)


def test_candidates_as_seen_partner_sees_what_it_submitted_and_what_was_shared(
    registry: Registry,
) -> None:
    partner = make_member("partner", registry.a)
    submitted = make_case(organization=registry.a, actor=partner, child={"date_of_birth": BIRTH})
    candidates = [*_candidates(registry), Candidate(submitted.child_id, 0.5, "likely", REASONS)]

    seen = candidates_as_seen(actor=partner, candidates=candidates)
    by_key = _by_key(registry, [c for c in seen if c.child_id != submitted.child_id])

    # Least privilege: the rest of its own organization's cases are held, not shown.
    _assert_held(by_key["own"], registry.a)
    assert by_key["full"].visible
    assert by_key["limited"].visible
    _assert_held(by_key["other"], registry.b)
    assert seen[-1].visible
    assert seen[-1].case_id == submitted.pk


def test_candidates_as_seen_coordinator_sees_every_likely_candidate_held(
    registry: Registry,
) -> None:
    coordinator = make_member("coordinator", registry.a)

    seen = _by_key(
        registry, candidates_as_seen(actor=coordinator, candidates=_candidates(registry))
    )

    assert set(seen) == set(registry.cases)
    for key, candidate in seen.items():
        _assert_held(candidate, registry.cases[key].organization)
    assert candidates_as_seen(actor=coordinator, candidates=_candidates(registry, "possible")) == []


@pytest.mark.parametrize("reader", ["auditor", "superuser"])
def test_candidates_as_seen_auditor_and_superuser_see_every_candidate_in_full(
    registry: Registry, reader: str
) -> None:
    actor = (
        make_member("auditor", OrganizationFactory.create())
        if reader == "auditor"
        else UserFactory.create(is_superuser=True)
    )

    seen = _by_key(registry, candidates_as_seen(actor=actor, candidates=_candidates(registry)))

    for key, case in registry.cases.items():
        _assert_full(seen[key], case, case.organization)
    # An auditor's organization gave no reference: none shown.
    assert all(c.external_references == () for c in seen.values())


def test_candidates_as_seen_inactive_membership_sees_nothing_in_full(registry: Registry) -> None:
    caseworker = make_member("caseworker", registry.a)
    Membership.objects.filter(user=caseworker).update(is_active=False)
    actor_roles_forget(caseworker)

    seen = _by_key(registry, candidates_as_seen(actor=caseworker, candidates=_candidates(registry)))

    for key, candidate in seen.items():
        _assert_held(candidate, registry.cases[key].organization)


def test_candidates_as_seen_inactive_account_and_anonymous_see_nothing_in_full(
    registry: Registry,
) -> None:
    inactive: User = make_member("caseworker", registry.a, is_active=False)

    for actor in (inactive, None):
        seen = candidates_as_seen(actor=actor, candidates=_candidates(registry))
        assert seen
        assert not any(c.visible for c in seen)


def test_candidates_as_seen_shows_the_open_case_first(registry: Registry, oblasts: Any) -> None:
    """A child with a closed case of one organization and an open one of another is shown
    through the open case, and held by the organization that has it open."""
    closed = move_case(registry.cases["own"], "closed")
    reopened_elsewhere = services.case_create(
        actor=None, child=closed.child, organization=registry.b, data={}
    )
    candidates = [Candidate(closed.child_id, 0.95, "likely", REASONS)]

    shown = candidates_as_seen(actor=UserFactory.create(is_superuser=True), candidates=candidates)[
        0
    ]
    held = candidates_as_seen(actor=make_member("coordinator", registry.a), candidates=candidates)[
        0
    ]

    assert shown.case_id == reopened_elsewhere.pk
    assert held.organization_id == registry.b.pk


def test_candidates_as_seen_leaves_out_a_child_without_a_case() -> None:
    assert (
        candidates_as_seen(
            actor=UserFactory.create(is_superuser=True),
            candidates=[Candidate(987654, 0.99, "likely", REASONS)],
        )
        == []
    )
    assert candidates_as_seen(actor=None, candidates=[]) == []


def test_seen_candidate_cases_names_only_cases_shown(registry: Registry) -> None:
    caseworker = make_member("caseworker", registry.a)
    seen = candidates_as_seen(actor=caseworker, candidates=_candidates(registry))

    assert seen_candidate_cases(seen) == [
        registry.cases[key].pk for key in ("own", "full", "limited")
    ]


@pytest.mark.parametrize("count", [4, 20])
def test_candidates_as_seen_reads_in_constant_queries(
    registry: Registry, count: int, django_assert_max_num_queries: Any
) -> None:
    caseworker = make_member("caseworker", registry.a)
    for _index in range(count - 4):
        make_case(organization=registry.b, child={"date_of_birth": BIRTH})
    candidates = [
        Candidate(child_id, 0.9, "likely", REASONS)
        for child_id in Case.objects.values_list("child_id", flat=True)
    ]
    candidates_as_seen(actor=caseworker, candidates=candidates[:1])  # roles read and cached

    # Visible cases (with the live shares), held cases, external references.
    with django_assert_max_num_queries(4):
        seen = candidates_as_seen(actor=caseworker, candidates=candidates)

    assert len(seen) == count

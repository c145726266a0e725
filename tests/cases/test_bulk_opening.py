"""Opening many cases at once (``cases_create_many``) and proposing many possible duplicates
(``duplicate_pairs_propose_many``): the same rules as one at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.models import Organization
from audit.models import Action, AuditEvent
from audit.snapshots import object_type_of
from cases import services
from cases.matching import DATE_OF_BIRTH_EQUAL, DATE_OF_BIRTH_YEAR_ONLY
from cases.models import Case, Child, DuplicateDecision, DuplicatePair, ExternalReference
from cases.selectors_matching import Candidate
from core.errors import PermissionDenied, ValidationFailed
from tests.factories.accounts import make_member
from tests.factories.cases import child_data, home_organization, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(oblasts: Any) -> Organization:
    return home_organization()


def _record(reference: str, **child: Any) -> services.NewCaseRecord:
    return services.NewCaseRecord(
        child=child_data(**child),
        case={"deported_on": dt.date(2022, 6, 1)},
        whereabouts=[
            {
                "country": "RU",
                "settlement": "Таганрог",
                "from_date": dt.date(2022, 7, 1),
                "source_description": "synthetic",
            }
        ],
        relatives=[{"relationship": "mother", "given_name": "Марія", "family_name": "Тестова"}],
        reference=reference,
    )


def test_cases_create_many_opens_every_case_with_its_events(org: Organization):
    cases = services.cases_create_many(
        actor=None,
        records=[_record("A"), _record("B")],
        organization=org,
        metadata={"source": "test"},
    )
    assert [c.status for c in cases] == ["reported", "reported"]
    assert len({c.number for c in cases}) == 2
    assert set(ExternalReference.objects.values_list("reference", flat=True)) == {"A", "B"}
    assert all(c.child.current_whereabouts is not None for c in cases)
    events = AuditEvent.objects.filter(object_type=object_type_of(Case), action=Action.CREATE)
    assert {int(e.object_id) for e in events} == {c.pk for c in cases}
    assert all(e.metadata == {"source": "test"} for e in events)


def test_cases_create_many_refuses_all_when_one_record_breaks_a_rule(org: Organization):
    bad = _record("B", date_of_birth=dt.date(2023, 1, 1))  # born after being taken
    with pytest.raises(ValidationFailed) as refused:
        services.cases_create_many(actor=None, records=[_record("A"), bad], organization=org)
    assert set(refused.value.fields) == {"1.deported_on"}
    taken = _record("A")
    services.cases_create_many(actor=None, records=[taken], organization=org)
    with pytest.raises(ValidationFailed) as again:
        services.cases_create_many(
            actor=None, records=[_record("C"), _record("A"), _record("C")], organization=org
        )
    assert set(again.value.fields) == {"1.reference", "2.reference"}
    assert Child.objects.count() == 1


def test_cases_create_many_needs_the_right_to_open_cases(org: Organization):
    with pytest.raises(PermissionDenied):
        services.cases_create_many(
            actor=make_member("coordinator", org), records=[_record("A")], organization=org
        )
    assert Child.objects.count() == 0


def test_duplicate_pairs_propose_many_keeps_decided_pairs_decided(org: Organization):
    one, two, three = (make_case(organization=org).child for _ in range(3))
    proposed = services.duplicate_pairs_propose_many(
        proposals=[
            (one, [Candidate(two.pk, 0.9, "likely", ("a",)), Candidate(one.pk, 1.0, "likely", ())]),
            (three, [Candidate(one.pk, 0.7, "possible", (DATE_OF_BIRTH_EQUAL,))]),
            # A possible pair without an agreeing date of birth is not worth a review.
            (two, [Candidate(three.pk, 0.7, "possible", (DATE_OF_BIRTH_YEAR_ONLY,))]),
        ]
    )
    assert proposed == 2
    assert not DuplicatePair.objects.filter(first=two, second=three).exists()
    DuplicatePair.objects.filter(first=one, second=two).update(decision=DuplicateDecision.DIFFERENT)
    again = services.duplicate_pairs_propose_many(
        proposals=[
            (two, [Candidate(one.pk, 0.95, "likely", ("c",))]),
            (one, [Candidate(three.pk, 0.8, "likely", ("d",))]),
        ]
    )
    assert again == 1
    decided = DuplicatePair.objects.get(first=one, second=two)
    assert (decided.decision, decided.score) == (DuplicateDecision.DIFFERENT, 0.9)
    updated = DuplicatePair.objects.get(first=one, second=three)
    assert (updated.score, updated.band, updated.reasons) == (0.8, "likely", ["d"])

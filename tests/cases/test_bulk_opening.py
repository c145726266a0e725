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


def _two_stays(reference: str) -> services.NewCaseRecord:
    record = _record(reference)
    record.whereabouts = [
        {
            "country": "RU",
            "settlement": "Ростов-на-Дону",
            "from_date": dt.date(2023, 3, 1),
            "source_description": "synthetic",
        },
        {
            "country": "RU",
            "settlement": "Таганрог",
            "from_date": dt.date(2022, 7, 1),
            "source_description": "synthetic",
        },
    ]
    return record


def test_cases_create_many_points_each_child_at_its_latest_stay(org: Organization):
    cases = services.cases_create_many(
        actor=None, records=[_two_stays("A"), _record("B")], organization=org
    )
    for case in cases:
        stored = Child.objects.select_related("current_whereabouts").get(pk=case.child_id)
        latest = stored.whereabouts.order_by("-from_date", "-id").first()
        assert stored.current_whereabouts == latest
        assert case.child.current_whereabouts == latest
    first = Child.objects.get(pk=cases[0].child_id)
    assert first.current_whereabouts is not None
    assert first.current_whereabouts.settlement == "Ростов-на-Дону"


def test_checked_records_are_written_as_checked_once(org: Organization):
    checked = services.case_records_checked(
        records=[_record("A"), _record("B", given_name="Іван", sex="male"), _record("C")]
    )
    assert checked.problems == {}
    cases = services.cases_create_many(
        actor=None, records=checked.only([2, 0]), organization=org, metadata={"source": "t"}
    )
    assert [ExternalReference.objects.get(child_id=c.child_id).reference for c in cases] == [
        "C",
        "A",
    ]
    assert Child.objects.count() == 2
    events = AuditEvent.objects.filter(object_type=object_type_of(Child), action=Action.CREATE)
    assert {int(e.object_id) for e in events} == {c.child_id for c in cases}
    subset = checked.only([1])
    services.cases_create_many(actor=None, records=subset, organization=org)
    with pytest.raises(RuntimeError):
        services.cases_create_many(actor=None, records=subset, organization=org)


def test_checked_records_keep_their_problems_and_the_references_are_checked_again(
    org: Organization,
):
    bad = _record("B")
    bad.child["date_of_birth"] = dt.date(2999, 1, 1)
    checked = services.case_records_checked(records=[_record("A"), bad, _record("A")])
    assert set(checked.problems) == {1, 2}
    assert "date_of_birth" in checked.problems[1]
    assert "reference" in checked.problems[2]
    with pytest.raises(ValidationFailed) as refused:
        services.cases_create_many(actor=None, records=checked.only([1]), organization=org)
    assert "0.date_of_birth" in refused.value.fields
    # Checked before the organization gave the reference: the write checks it again.
    services.cases_create_many(actor=None, records=[_record("Z")], organization=org)
    again = services.case_records_checked(records=[_record("Z")])
    assert again.problems == {}
    with pytest.raises(ValidationFailed) as taken:
        services.cases_create_many(actor=None, records=again, organization=org)
    assert "0.reference" in taken.value.fields
    assert Child.objects.count() == 1


def test_case_records_checked_reads_nothing_from_the_database(
    org: Organization, django_assert_num_queries: Any
):
    """An import checks the rules while its candidates are drawn over the same connection
    (``core.db.alongside``): the rules must not use it."""
    records = [_record(f"REF-{index}") for index in range(3)]
    services.case_records_checked(records=records)  # whatever is read once, read
    with django_assert_num_queries(0):
        checked = services.case_records_checked(records=records)
    assert len(checked) == 3
    assert not checked.problems

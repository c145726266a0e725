"""The duplicate review's services: pairs found after a create or a rename and by the full scan,
decided as different (never proposed again) or the same (merged). All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command

from accounts.models import Organization
from audit.models import AuditEvent
from audit.snapshots import object_type_of
from cases import services
from cases.exceptions import (
    BothCasesOpen,
    CaseNotFound,
    ChildAlreadyMerged,
    DuplicatePairDecided,
    DuplicatePairNotFound,
    MergeDatesConflict,
)
from cases.matching import description_from
from cases.models import (
    Case,
    Child,
    ChildAlias,
    ChildNameKey,
    DuplicateDecision,
    DuplicatePair,
    ExternalReference,
    Relative,
    Whereabouts,
)
from cases.selectors_duplicates import duplicate_pair_queue, duplicate_pairs_visible_to
from cases.selectors_matching import child_candidates
from cases.tasks import duplicate_pairs_scan
from core.errors import ValidationFailed
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import (
    home_organization,
    make_case,
    make_relative,
    make_whereabouts,
    move_case,
)

pytestmark = pytest.mark.django_db

OLEKSII = {
    "given_name": "Олексій",
    "family_name": "Коваленко",
    "patronymic": "Сергійович",
    "sex": "male",
    "date_of_birth": dt.date(2012, 5, 17),
}
# The same boy as a Russian adoption listing would name him, with his surname changed.
ALEKSEI = {
    "given_name": "Олексій",
    "family_name": "Петров",
    "patronymic": "Сергійович",
    "sex": "male",
    "date_of_birth": dt.date(2012, 5, 17),
}
SOMEONE_ELSE = {
    "given_name": "Марина",
    "family_name": "Ткаченко",
    "patronymic": "Іванівна",
    "sex": "female",
    "date_of_birth": dt.date(2015, 1, 3),
}


def _case(django_capture_on_commit_callbacks: Any, **kwargs: Any) -> Case:
    """Open a case and run what its commit would (the pair finding)."""
    with django_capture_on_commit_callbacks(execute=True):
        return make_case(**kwargs)


def _pair(a: Child, b: Child) -> DuplicatePair:
    first, second = sorted((a.pk, b.pk))
    return DuplicatePair.objects.get(first_id=first, second_id=second)


def _look_alikes(capture: Any, organization: Organization | None = None) -> tuple[Case, Case]:
    kept = _case(capture, child=OLEKSII, organization=organization)
    other = _case(
        capture, child={**OLEKSII, "date_of_birth_precision": "year"}, organization=organization
    )
    return kept, other


# ---------------------------------------------------------------------------------------------
# Finding pairs
# ---------------------------------------------------------------------------------------------
def test_case_create_proposes_the_new_childs_pairs(django_capture_on_commit_callbacks):
    first = _case(django_capture_on_commit_callbacks, child=OLEKSII)
    second = _case(django_capture_on_commit_callbacks, child=OLEKSII)
    _case(django_capture_on_commit_callbacks, child=SOMEONE_ELSE)
    pair = DuplicatePair.objects.get()
    assert (pair.first_id, pair.second_id) == (first.child_id, second.child_id)
    assert pair.decision == DuplicateDecision.OPEN
    assert pair.band == "likely"
    assert pair.reasons


def test_child_update_rename_proposes_and_withdraws_pairs(django_capture_on_commit_callbacks):
    first = _case(django_capture_on_commit_callbacks, child=OLEKSII)
    second = _case(django_capture_on_commit_callbacks, child=SOMEONE_ELSE)
    assert not DuplicatePair.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.child_update(
            child=second.child,
            actor=None,
            data={k: v for k, v in OLEKSII.items() if k != "sex"} | {"sex": "male"},
        )
    assert _pair(first.child, second.child).decision == DuplicateDecision.OPEN
    # Corrected back: the pair no longer matches at all and is withdrawn.
    with django_capture_on_commit_callbacks(execute=True):
        services.child_update(child=second.child, actor=None, data=SOMEONE_ELSE)
    assert not DuplicatePair.objects.exists()


def test_child_alias_add_proposes_pairs(django_capture_on_commit_callbacks):
    first = _case(django_capture_on_commit_callbacks, child=OLEKSII)
    second = _case(
        django_capture_on_commit_callbacks,
        child={**OLEKSII, "given_name": "Богдан", "patronymic": "Петрович"},
    )
    assert not DuplicatePair.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.child_alias_add(
            child=second.child, actor=None, name="Коваленко Олексій Сергійович", kind="spelling"
        )
    assert _pair(first.child, second.child).decision == DuplicateDecision.OPEN


def test_duplicate_pairs_scan_batch_walks_every_child_and_is_idempotent():
    children = [make_case(child=OLEKSII).child for _ in range(3)]
    make_case(child=SOMEONE_ELSE)
    assert not DuplicatePair.objects.exists()  # on_commit never ran: only the scan finds them
    batches = []
    after = 0
    while (batch := services.duplicate_pairs_scan_batch(after_id=after, batch_size=2)).last_id:
        batches.append(batch)
        after = batch.last_id
    assert [b.children for b in batches] == [2, 2]
    pairs = set(DuplicatePair.objects.values_list("first_id", "second_id"))
    ids = sorted(c.pk for c in children)
    assert pairs == {(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[2])}
    assert duplicate_pairs_scan(batch_size=3) == 4
    assert DuplicatePair.objects.count() == 3


def test_duplicate_pairs_scan_batch_refuses_a_batch_of_nothing():
    with pytest.raises(ValueError, match="batch_size"):
        services.duplicate_pairs_scan_batch(batch_size=0)


def test_find_duplicates_command_prints_counts_never_names(capsys):
    make_case(child=OLEKSII)
    make_case(child=OLEKSII)
    call_command("find_duplicates", "--batch-size", "1")
    out = capsys.readouterr().out
    assert "Scanned 2 children; 2 open pairs" in out
    assert "Коваленко" not in out
    assert "Kovalenko" not in out
    assert DuplicatePair.objects.count() == 1


def test_find_duplicates_command_refuses_a_bad_batch_size():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="batch-size"):
        call_command("find_duplicates", "--batch-size", "0")


# ---------------------------------------------------------------------------------------------
# Different
# ---------------------------------------------------------------------------------------------
def test_duplicate_pair_decide_different_is_kept_and_never_proposed_again(
    django_capture_on_commit_callbacks,
):
    user = make_member("caseworker", home_organization())
    first, second = _look_alikes(django_capture_on_commit_callbacks)
    pair = _pair(first.child, second.child)
    decided = services.duplicate_pair_decide(
        pair_id=pair.pk, actor=user, decision="different", note="Twins, checked with the family"
    )
    assert decided.decision == DuplicateDecision.DIFFERENT
    assert decided.decided_by == user
    assert decided.decided_at is not None
    event = AuditEvent.objects.get(object_type=object_type_of(DuplicatePair), object_id=pair.pk)
    assert event.changes["decision"] == ["open", "different"]
    services.duplicate_pairs_scan_batch()
    services.child_duplicate_pairs_find(child_ids=[second.child_id])
    pair.refresh_from_db()
    assert pair.decision == DuplicateDecision.DIFFERENT
    assert not duplicate_pair_queue(actor=user).exists()
    with pytest.raises(DuplicatePairDecided):
        services.duplicate_pair_decide(pair_id=pair.pk, actor=user, decision="same")


@pytest.mark.parametrize(
    ("decision", "keep", "field"),
    [("maybe", None, "decision"), ("different", "first", "keep"), ("same", "stranger", "keep")],
)
def test_duplicate_pair_decide_refuses_bad_input_naming_the_field(
    django_capture_on_commit_callbacks, decision, keep, field
):
    first, second = _look_alikes(django_capture_on_commit_callbacks)
    pair = _pair(first.child, second.child)
    keep_id = {"first": pair.first_id, "stranger": 10**9, None: None}[keep]
    with pytest.raises(ValidationFailed) as refused:
        services.duplicate_pair_decide(pair_id=pair.pk, actor=None, decision=decision, keep=keep_id)
    assert set(refused.value.fields) == {field}
    pair.refresh_from_db()
    assert pair.decision == DuplicateDecision.OPEN


# ---------------------------------------------------------------------------------------------
# Who sees and decides
# ---------------------------------------------------------------------------------------------
def test_duplicate_pairs_visible_to_whoever_may_change_both_children(
    django_capture_on_commit_callbacks,
):
    a, d = OrganizationFactory.create(), OrganizationFactory.create()
    own_first = _case(django_capture_on_commit_callbacks, child=OLEKSII, organization=a)
    own_second = _case(django_capture_on_commit_callbacks, child=OLEKSII, organization=a)
    elsewhere = _case(django_capture_on_commit_callbacks, child=OLEKSII, organization=d)
    own = _pair(own_first.child, own_second.child)
    assert DuplicatePair.objects.count() == 3

    def seen(user: Any) -> set[int]:
        return set(duplicate_pairs_visible_to(actor=user).values_list("pk", flat=True))

    assert seen(make_member("caseworker", a)) == {own.pk}
    assert seen(make_member("supervisor", a)) == {own.pk}
    assert seen(make_member("caseworker", d)) == set()
    assert seen(make_member("partner", a)) == set()
    assert seen(make_member("coordinator", a)) == set()
    assert seen(make_member("auditor", a)) == set()
    assert seen(UserFactory.create(is_superuser=True)) == set(
        DuplicatePair.objects.values_list("pk", flat=True)
    )
    cross = _pair(own_first.child, elsewhere.child)
    with pytest.raises(DuplicatePairNotFound):
        services.duplicate_pair_decide(
            pair_id=cross.pk, actor=make_member("supervisor", a), decision="different"
        )


# ---------------------------------------------------------------------------------------------
# Same: the merge
# ---------------------------------------------------------------------------------------------
def test_duplicate_pair_decide_same_merges_everything_into_the_kept_child(
    django_capture_on_commit_callbacks,
):
    org = OrganizationFactory.create()
    user = make_member("caseworker", org)
    kept_case = _case(django_capture_on_commit_callbacks, child=OLEKSII, organization=org)
    merged_case = _case(
        django_capture_on_commit_callbacks,
        child={**ALEKSEI, "origin_settlement": "Синтетичне"},
        organization=org,
        aliases=[{"name": "Алексей Петров", "kind": "russified"}],
    )
    move_case(merged_case, "closed")  # one open case at most: the merged one was closed
    kept, merged = kept_case.child, merged_case.child
    make_whereabouts(kept_case, from_date=dt.date(2022, 7, 1))
    later = make_whereabouts(merged_case, from_date=dt.date(2023, 3, 1))
    relative = make_relative(merged_case)
    reference = ExternalReference.objects.create(
        organization=org, child=merged, reference="SYN-001"
    )
    pair = _pair(kept, merged)
    versions = {c.pk: c.version for c in Case.objects.filter(child__in=[kept, merged])}
    events_before = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        decided = services.duplicate_pair_decide(
            pair_id=pair.pk, actor=user, decision="same", keep=kept.pk, note="Same boy"
        )

    assert decided.decision == DuplicateDecision.SAME
    kept.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into_id == kept.pk
    assert merged.merged_at is not None
    assert set(Case.objects.filter(child=kept).values_list("pk", flat=True)) == {
        kept_case.pk,
        merged_case.pk,
    }
    assert not Case.objects.filter(child=merged).exists()
    aliases = set(ChildAlias.objects.filter(child=kept).values_list("name", flat=True))
    assert aliases == {"Алексей Петров", "Петров Олексій Сергійович"}
    assert not ChildAlias.objects.filter(child=merged).exists()
    assert Whereabouts.objects.filter(child=kept).count() == 2
    assert kept.current_whereabouts_id == later.pk
    assert merged.current_whereabouts_id is None
    assert Relative.objects.get(pk=relative.pk).child_id == kept.pk
    assert ExternalReference.objects.get(pk=reference.pk).child_id == kept.pk
    # The kept record's blank fields are filled from the merged one.
    assert kept.origin_settlement == "Синтетичне"
    # Name keys: the merged record has none (never a candidate), the kept one has its new alias's.
    assert not ChildNameKey.objects.filter(child=merged).exists()
    assert "f:ptrv" in set(ChildNameKey.objects.filter(child=kept).values_list("key", flat=True))
    assert "петров" in kept.search_text
    found = child_candidates(
        description=description_from(
            full_name="Петров Олексій Сергійович", date_of_birth="2012-05-17"
        )
    )
    assert [c.child_id for c in found] == [kept.pk]
    # Both cases changed version (what they show changed).
    for case in Case.objects.filter(pk__in=versions):
        assert case.version > versions[case.pk]
    # Audited: both children, every moved row, the pair.
    events = AuditEvent.objects.order_by("id")[events_before:]
    child_type = object_type_of(Child)
    assert {e.object_id for e in events if e.object_type == child_type} >= {
        str(kept.pk),
        str(merged.pk),
    }
    moved_case = next(
        e
        for e in events
        if e.object_type == object_type_of(Case) and e.object_id == str(merged_case.pk)
    )
    assert moved_case.changes == {"child_id": [merged.pk, kept.pk]}
    assert any(e.object_type == object_type_of(Relative) for e in events)
    assert any(e.object_type == object_type_of(ExternalReference) for e in events)
    assert all(e.actor_id == user.pk for e in events)
    assert "Коваленко" not in str([e.metadata for e in events])


def test_child_merge_refuses_when_both_children_have_an_open_case(
    django_capture_on_commit_callbacks,
):
    first, second = _look_alikes(django_capture_on_commit_callbacks)
    pair = _pair(first.child, second.child)
    with pytest.raises(BothCasesOpen) as refused:
        services.duplicate_pair_decide(pair_id=pair.pk, actor=None, decision="same")
    assert refused.value.status_code == 409
    assert "close one as a duplicate" in refused.value.detail
    pair.refresh_from_db()
    assert pair.decision == DuplicateDecision.OPEN
    assert Case.objects.filter(child=second.child).exists()
    # Closed as a duplicate, it merges.
    services.case_transition(
        case_id=second.pk, to="closed", actor=None, reason="duplicate", closure_reason="duplicate"
    )
    services.duplicate_pair_decide(pair_id=pair.pk, actor=None, decision="same")
    assert Child.objects.get(pk=second.child_id).merged_into_id == first.child_id


def test_merge_meets_a_case_opened_meanwhile_with_the_same_refusal(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
):
    """A case opened for the kept child after the merge looked (its row is not locked by the
    merge) is met by the database's one-open-case rule: a 409, nothing moved, never a 500."""
    first, second = _look_alikes(django_capture_on_commit_callbacks)
    pair = _pair(first.child, second.child)
    # The merge's own look sees no open case: as if the kept child's case was opened after it.
    monkeypatch.setattr(Case, "is_open", property(lambda case: False))
    with pytest.raises(BothCasesOpen):
        services.duplicate_pair_decide(pair_id=pair.pk, actor=None, decision="same")
    pair.refresh_from_db()
    assert pair.decision == DuplicateDecision.OPEN
    assert Case.objects.get(pk=second.pk).child_id == second.child_id
    assert Child.objects.get(pk=second.child_id).merged_into_id is None


def test_child_merge_refuses_a_case_taken_before_the_kept_birth(
    django_capture_on_commit_callbacks,
):
    kept = _case(django_capture_on_commit_callbacks, child=OLEKSII)
    merged = _case(
        django_capture_on_commit_callbacks,
        child={**OLEKSII, "date_of_birth": dt.date(2012, 1, 1)},
        deported_on=dt.date(2012, 3, 1),
    )
    move_case(merged, "closed")
    with pytest.raises(MergeDatesConflict):
        services.child_merge(kept_id=kept.child_id, merged_id=merged.child_id, actor=None)
    assert Case.objects.get(pk=merged.pk).child_id == merged.child_id


def test_child_merge_refuses_a_merged_record_and_itself(django_capture_on_commit_callbacks):
    first, second = _look_alikes(django_capture_on_commit_callbacks)
    move_case(second, "closed")
    services.child_merge(kept_id=first.child_id, merged_id=second.child_id, actor=None)
    with pytest.raises(ChildAlreadyMerged):
        services.child_merge(kept_id=second.child_id, merged_id=first.child_id, actor=None)
    with pytest.raises(ValidationFailed):
        services.child_merge(kept_id=first.child_id, merged_id=first.child_id, actor=None)


def test_child_merge_refuses_whoever_may_not_change_both(django_capture_on_commit_callbacks):
    a, d = OrganizationFactory.create(), OrganizationFactory.create()
    first = _case(django_capture_on_commit_callbacks, child=OLEKSII, organization=a)
    second = _case(django_capture_on_commit_callbacks, child=OLEKSII, organization=d)
    move_case(second, "closed")
    with pytest.raises(CaseNotFound):
        services.child_merge(
            kept_id=first.child_id, merged_id=second.child_id, actor=make_member("caseworker", a)
        )
    assert Child.objects.get(pk=second.child_id).merged_into_id is None


def test_child_merge_carries_a_different_decision_to_the_kept_child(
    django_capture_on_commit_callbacks,
):
    kept = _case(django_capture_on_commit_callbacks, child=OLEKSII)
    merged = _case(django_capture_on_commit_callbacks, child=OLEKSII)
    twin = _case(django_capture_on_commit_callbacks, child=OLEKSII)
    move_case(merged, "closed")
    services.duplicate_pair_decide(
        pair_id=_pair(merged.child, twin.child).pk, actor=None, decision="different"
    )
    # The kept child and the twin: decided apart already? Not yet; the merge carries it over.
    DuplicatePair.objects.filter(pk=_pair(kept.child, twin.child).pk).delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.duplicate_pair_decide(
            pair_id=_pair(kept.child, merged.child).pk, actor=None, decision="same"
        )
    carried = _pair(kept.child, twin.child)
    assert carried.decision == DuplicateDecision.DIFFERENT
    assert "Carried over" in carried.note
    # Merged children are never proposed again, by the scan either.
    services.duplicate_pairs_scan_batch()
    assert not DuplicatePair.objects.filter(
        decision=DuplicateDecision.OPEN, second_id=merged.child_id
    ).exists()
    assert not DuplicatePair.objects.filter(
        decision=DuplicateDecision.OPEN, first_id=merged.child_id
    ).exists()


def test_duplicate_pairs_find_later_sends_one_task_per_transaction(
    django_capture_on_commit_callbacks, monkeypatch
):
    from celery import current_app
    from django.db import transaction

    from cases.services import DUPLICATE_PAIRS_FIND_TASK

    sent: list[list[int]] = []
    monkeypatch.setattr(current_app.tasks[DUPLICATE_PAIRS_FIND_TASK], "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        cases = [make_case(child=OLEKSII) for _ in range(3)]
    assert sent == [sorted(c.child_id for c in cases)]


def test_only_likely_pairs_or_a_changed_surname_with_the_same_birth_date_are_proposed():
    kept = make_case(child=OLEKSII).child
    adopted = make_case(child=ALEKSEI).child  # surname changed, the same date of birth
    # Namesakes a year apart: a possible match, not worth a caseworker's review.
    make_case(child={**OLEKSII, "date_of_birth": dt.date(2013, 5, 17)})
    services.duplicate_pairs_scan_batch()
    assert set(DuplicatePair.objects.values_list("first_id", "second_id")) == {
        (kept.pk, adopted.pk)
    }
    assert _pair(kept, adopted).band == "possible"
    assert services.worth_review("likely", ())
    assert not services.worth_review("possible", ("date of birth one year apart",))
    assert not services.worth_review(None, ("date of birth equal",))

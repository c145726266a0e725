"""Races on PostgreSQL: several connections doing the same thing at the same moment.

Each worker thread has its own database connection (Django opens one per thread) and closes it
when done; a barrier releases them together so the writes really overlap.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from cases import services
from cases.exceptions import OpenCaseExists, TransitionNotAllowed
from cases.models import Case, CaseNumberSequence, Child, FollowUp, StatusChange
from cases.workflow import Status
from tests.factories.cases import child_data, home_organization, make_case, move_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 8


def race(work: Callable[[int], Any], workers: int = WORKERS) -> list[Any]:
    """Run ``work(i)`` in ``workers`` threads released at once; return each result or error."""
    barrier = threading.Barrier(workers, timeout=30)
    results: list[Any] = [None] * workers

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # the outcome under test, checked by the caller
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a worker hung: a lock was never released"
    return results


def outcomes(results: list[Any]) -> Counter[str]:
    return Counter(type(r).__name__ for r in results)


def test_case_transition_race_only_one_wins():
    case = make_case()
    results = race(
        lambda _: services.case_transition(case_id=case.pk, to=Status.VERIFYING, actor=None)
    )
    assert outcomes(results) == {"Case": 1, "TransitionNotAllowed": WORKERS - 1}, results
    assert all(isinstance(r, Case | TransitionNotAllowed) for r in results)
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == Status.VERIFYING
    assert stored.version == 2
    changes = StatusChange.objects.filter(case=case)
    assert changes.count() == 2
    assert changes.filter(to_status=Status.VERIFYING).count() == 1


def test_case_transition_race_to_returned_schedules_follow_ups_once():
    case = move_case(make_case(), "verifying", "searching", "located", "return_in_progress")
    results = race(
        lambda i: services.case_transition(
            case_id=case.pk,
            to=Status.RETURNED,
            actor=None,
            returned_on=dt.date(2024, 1, 1) + dt.timedelta(days=i),
        )
    )
    assert outcomes(results) == {"Case": 1, "TransitionNotAllowed": WORKERS - 1}, results
    winner = next(r for r in results if isinstance(r, Case))
    stored = Case.objects.get(pk=case.pk)
    assert stored.returned_on == winner.returned_on
    # The move to returned took version 6; the follow-ups it scheduled once, version 7.
    assert stored.version == 7
    assert StatusChange.objects.filter(case=case, to_status=Status.RETURNED).count() == 1
    # The follow-ups were scheduled on commit (tasks run in-process under test), once.
    assert winner.returned_on is not None
    assert sorted(
        FollowUp.objects.filter(case=case).values_list("days_after_return", "due_on")
    ) == [(days, winner.returned_on + dt.timedelta(days=days)) for days in (30, 90, 180)]


def test_case_transition_race_between_different_moves():
    """Half close the case, half move it on: each move sees the status its lock found."""
    case = make_case()

    def work(i: int) -> Case:
        if i % 2:
            return services.case_transition(
                case_id=case.pk, to=Status.CLOSED, actor=None, closure_reason="duplicate"
            )
        return services.case_transition(case_id=case.pk, to=Status.VERIFYING, actor=None)

    results = race(work)
    counts = outcomes(results)
    stored = Case.objects.get(pk=case.pk)
    changes = StatusChange.objects.filter(case=case).order_by("case_version")
    # Whoever won first, a second move may still be legal (verifying -> closed), never more:
    # after closing, "verifying" is a reopen and needs the reason these workers do not give.
    assert counts["Case"] in (1, 2), results
    refused = counts["TransitionNotAllowed"] + counts["ValidationFailed"]
    assert counts["Case"] + refused == WORKERS, results
    assert stored.version == 1 + counts["Case"]
    assert changes.count() == 1 + counts["Case"]
    assert [c.case_version for c in changes] == list(range(1, stored.version + 1))


def test_case_create_race_for_the_same_child_opens_one_case():
    first = make_case()
    move_case(first, Status.CLOSED)
    child_id = first.child_id
    owner = first.organization

    results = race(
        lambda _: services.case_create(
            actor=None, child=Child.objects.get(pk=child_id), data={}, organization=owner
        )
    )
    assert outcomes(results) == {"Case": 1, "OpenCaseExists": WORKERS - 1}, results
    assert all(isinstance(r, Case | OpenCaseExists) for r in results)
    assert Case.objects.filter(child_id=child_id).open().count() == 1
    assert Case.objects.filter(child_id=child_id).count() == 2
    winner = next(r for r in results if isinstance(r, Case))
    assert StatusChange.objects.filter(case_id=winner.pk).count() == 1


def test_case_create_race_for_different_children_takes_consecutive_numbers():
    make_case()  # the year's sequence exists; then a fresh year below
    shared_names = child_data()  # warm the name caches the same way in every thread
    owner = home_organization()

    def work(i: int) -> Case:
        data = {**shared_names, "date_of_birth": dt.date(2012, 1, 1) + dt.timedelta(days=i)}
        return services.case_create(
            actor=None, child_data=data, data={}, organization=owner, is_synthetic=True
        )

    results = race(work)
    assert outcomes(results) == {"Case": WORKERS}, results
    numbers = sorted(r.number for r in results)
    year = numbers[0][3:7]
    assert numbers == [f"UA-{year}-{n:06d}" for n in range(2, WORKERS + 2)]
    assert CaseNumberSequence.objects.get(year=int(year)).last == WORKERS + 1
    assert Case.objects.count() == WORKERS + 1


def test_case_numbers_allocate_race_on_a_new_year():
    """The first numbers of a year: the sequence row itself is created under the race."""
    results = race(lambda _: services.case_numbers_allocate(year=2099)[0])
    assert all(isinstance(r, str) for r in results), results
    assert sorted(results) == [f"UA-2099-{n:06d}" for n in range(1, WORKERS + 1)]


def test_duplicate_pair_decide_race_merges_each_record_once(monkeypatch):
    """Three records of one boy, every pair decided 'same' at once: no deadlock, no record
    merged twice, and every case ends on a record of its own."""
    from celery import current_app

    from cases.exceptions import ChildAlreadyMerged, DuplicatePairDecided, DuplicatePairNotFound
    from cases.models import DuplicatePair

    # The pair finding a merge sends is not under test here; run eagerly in several threads at
    # once, Celery would leave its process-wide "inside a task" flag set for later tests.
    finding = current_app.tasks[services.DUPLICATE_PAIRS_FIND_TASK]
    monkeypatch.setattr(finding, "delay", lambda child_ids: None)

    boy = child_data(sex="male", given_name="Олексій", family_name="Коваленко")
    cases = [make_case(child=boy)] + [move_case(make_case(child=boy), "closed") for _ in range(2)]
    services.duplicate_pairs_scan_batch()
    pairs = list(DuplicatePair.objects.order_by("id"))
    assert len(pairs) == 3
    results = race(
        lambda i: services.duplicate_pair_decide(
            pair_id=pairs[i % 3].pk, actor=None, decision="same"
        ),
        workers=6,
    )
    allowed = (DuplicatePair, ChildAlreadyMerged, DuplicatePairDecided, DuplicatePairNotFound)
    assert all(isinstance(r, allowed) for r in results), results
    assert any(isinstance(r, DuplicatePair) for r in results)
    records = Child.objects.filter(pk__in=[c.child_id for c in cases])
    kept = {c.pk for c in records if c.merged_into_id is None}
    assert all(c.merged_into_id in kept for c in records if c.merged_into_id is not None)
    assert (
        set(Case.objects.filter(pk__in=[c.pk for c in cases]).values_list("child_id", flat=True))
        <= kept
    )


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        (waiting,) = cursor.fetchone()
    return int(waiting)


def _held_while_another_writes(
    monkeypatch: pytest.MonkeyPatch,
    held: tuple[Any, str],
    first: Callable[[], Any],
    second: Callable[[], Any],
) -> tuple[Any, Any]:
    """Run ``first`` until it calls ``held`` (a module and a function's name in it), having
    taken its first locks; run ``second`` until it waits for a lock ``first`` holds; then let
    ``first`` go on. Returns what each returned or raised."""
    module, name = held
    locked, go = threading.Event(), threading.Event()
    real = getattr(module, name)

    def held_there(*args: Any, **kwargs: Any) -> Any:
        locked.set()
        assert go.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, held_there)
    results: list[Any] = [None, None]

    def run(index: int, work: Callable[[], Any]) -> None:
        try:
            results[index] = work()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(0, first))]
    threads[0].start()
    assert locked.wait(timeout=30), "the first write never reached the point held"
    threads.append(threading.Thread(target=run, args=(1, second)))
    threads[1].start()
    waited = False
    for _ in range(300):
        if _waiting_on_a_lock():
            waited = True
            break
        threading.Event().wait(0.05)
    go.set()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a writer hung: a lock was never released"
    assert waited, f"the second write never waited for the first: {results}"
    return results[0], results[1]


def _child_with_two_cases() -> tuple[Case, Case]:
    """A child's old closed case and its open one."""
    closed = move_case(make_case(), "closed")
    current = services.case_create(
        actor=None, child=closed.child, organization=home_organization(), is_synthetic=True
    )
    assert sorted(Case.objects.filter(child=closed.child).values_list("pk", flat=True)) == [
        closed.pk,
        current.pk,
    ]
    return closed, current


def _relative_recorded(child_id: int) -> Any:
    return services.relative_create(
        child=Child.objects.get(pk=child_id),
        actor=None,
        data={"relationship": "mother", "given_name": "Марія", "family_name": "Двосправна"},
    )


def test_a_rename_and_a_relative_of_a_child_with_two_cases_do_not_deadlock(monkeypatch):
    """A caseworker renames the child through its open case while another records a relative
    (which bumps both cases): whoever comes second waits for the child, and both writes land.
    (Taking the open case before the child, the rename's trigger then wanted the closed case
    the relative's bump held, while the bump waited for the open case: PostgreSQL ended one
    of the two as a deadlock.)"""
    from cases.services import cases as case_services

    closed, current = _child_with_two_cases()

    renamed, relative = _held_while_another_writes(
        monkeypatch,
        (case_services, "child_update"),
        lambda: services.case_update(
            case=current, actor=None, data={}, child_data={"family_name": "Перейменована"}
        ),
        lambda: _relative_recorded(closed.child_id),
    )

    assert isinstance(renamed, Case), renamed
    assert not isinstance(relative, Exception), relative
    assert Child.objects.get(pk=closed.child_id).family_name == "Перейменована"
    assert Case.objects.get(pk=closed.pk).version > closed.version


def test_a_closure_approved_and_a_relative_recorded_at_once_do_not_deadlock(monkeypatch):
    """A supervisor approves a closure while a relative of the child is recorded. The approval
    takes the case's child before the case and the request, as the move it makes does. (It
    took the request and the case first, and the move then waited for the child the
    relative's bump held, while the bump waited for the case.)"""
    from cases.services import closure

    case = make_case()
    request = services.closure_request_create(
        case_id=case.pk, actor=None, closure_reason="duplicate", reason="Synthetic"
    )

    decided, relative = _held_while_another_writes(
        monkeypatch,
        (closure, "case_transition"),
        lambda: services.closure_request_decide(request_id=request.pk, actor=None, approve=True),
        lambda: _relative_recorded(case.child_id),
    )

    assert not isinstance(decided, Exception), decided
    assert not isinstance(relative, Exception), relative
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED

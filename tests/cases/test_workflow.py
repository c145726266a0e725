"""The workflow table and ``services.case_transition``: every allowed and every forbidden move,
the guards, the derived phase and the follow-ups scheduled on entering ``returned``."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from cases import services, workflow
from cases.exceptions import CaseNotFound, OpenCaseExists, StaleVersion, TransitionNotAllowed
from cases.models import Case, FollowUp, StatusChange
from cases.workflow import ClosureReason, Phase, Status, Transition
from core.errors import ValidationFailed
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

RETURNED_ON = dt.date(2024, 1, 15)  # the date ``move_case`` uses
REASON = "synthetic test reason"

# The shortest walk through the workflow to each status, from a new (reported) case.
PATH_TO: dict[str, tuple[str, ...]] = {
    Status.REPORTED: (),
    Status.VERIFYING: (Status.VERIFYING,),
    Status.SEARCHING: (Status.VERIFYING, Status.SEARCHING),
    Status.LOCATED: (Status.VERIFYING, Status.SEARCHING, Status.LOCATED),
    Status.RETURN_IN_PROGRESS: (
        Status.VERIFYING,
        Status.SEARCHING,
        Status.LOCATED,
        Status.RETURN_IN_PROGRESS,
    ),
    Status.RETURNED: (
        Status.VERIFYING,
        Status.SEARCHING,
        Status.LOCATED,
        Status.RETURN_IN_PROGRESS,
        Status.RETURNED,
    ),
    Status.REHABILITATION: (
        Status.VERIFYING,
        Status.SEARCHING,
        Status.LOCATED,
        Status.RETURN_IN_PROGRESS,
        Status.RETURNED,
        Status.REHABILITATION,
    ),
    Status.INTEGRATION: (
        Status.VERIFYING,
        Status.SEARCHING,
        Status.LOCATED,
        Status.RETURN_IN_PROGRESS,
        Status.RETURNED,
        Status.REHABILITATION,
        Status.INTEGRATION,
    ),
    Status.CLOSED: (Status.CLOSED,),
}

# The table as the issue states it, written out by hand so a drift in ``workflow.py`` shows.
EXPECTED_PAIRS: set[tuple[str, str]] = {
    ("reported", "verifying"),
    ("verifying", "searching"),
    ("searching", "located"),
    ("located", "return_in_progress"),
    ("return_in_progress", "returned"),
    ("returned", "rehabilitation"),
    ("rehabilitation", "integration"),
    ("integration", "closed"),
    ("located", "searching"),
    ("return_in_progress", "located"),
    ("closed", "verifying"),
    ("reported", "closed"),
    ("verifying", "closed"),
    ("searching", "closed"),
    ("located", "closed"),
    ("return_in_progress", "closed"),
    ("returned", "closed"),
    ("rehabilitation", "closed"),
}

ALLOWED: list[Transition] = list(workflow.TRANSITIONS)
FORBIDDEN: list[tuple[str, str]] = [
    (source, target)
    for source, target in itertools.product(Status.values, Status.values)
    if workflow.find_transition(source, target) is None
]
NEEDS_REASON = [t for t in ALLOWED if workflow.REASON in t.requires]
CLOSING = [t for t in ALLOWED if t.target == Status.CLOSED]


def case_in(status: str, **kwargs: Any) -> Case:
    case = make_case(**kwargs)
    case = move_case(case, *PATH_TO[status])
    assert case.status == status
    return case


def guard_kwargs(transition: Transition) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"reason": REASON}
    if workflow.RETURNED_ON in transition.requires:
        kwargs["returned_on"] = RETURNED_ON
    if workflow.CLOSURE_REASON in transition.requires:
        kwargs["closure_reason"] = ClosureReason.DUPLICATE
    return kwargs


def snapshot(case: Case) -> tuple[Any, ...]:
    """Everything a refused move must leave untouched."""
    row = Case.objects.filter(pk=case.pk).values().get()
    changes = list(
        StatusChange.objects.filter(case=case)
        .order_by("id")
        .values_list("id", "from_status", "to_status", "case_version")
    )
    follow_ups = list(FollowUp.objects.filter(case=case).order_by("id").values_list("id", "due_on"))
    return row, changes, follow_ups


def _id(value: Any) -> str:
    if isinstance(value, Transition):
        return f"{value.source}->{value.target}"
    return str(value)


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------
def test_workflow_table_is_the_issues_table():
    assert {(t.source, t.target) for t in workflow.TRANSITIONS} == EXPECTED_PAIRS
    assert len(workflow.TRANSITIONS) == len(EXPECTED_PAIRS)  # no duplicate rows


def test_workflow_table_guards_match_their_moves():
    for transition in workflow.TRANSITIONS:
        assert (workflow.RETURNED_ON in transition.requires) == (
            transition.target == Status.RETURNED
        ), transition
        assert (workflow.CLOSURE_REASON in transition.requires) == (
            transition.target == Status.CLOSED
        ), transition
        assert (workflow.REASON in transition.requires) == transition.is_backward, transition


def test_workflow_every_status_is_reachable_and_has_a_way_out():
    targets = {t.target for t in workflow.TRANSITIONS}
    assert set(Status.values) - {Status.REPORTED} <= targets
    for status in Status.values:
        assert workflow.transitions_from(status), status


def test_workflow_forbidden_pairs_include_every_self_move():
    for status in Status.values:
        assert (status, status) in FORBIDDEN
    assert len(FORBIDDEN) == len(Status.values) ** 2 - len(EXPECTED_PAIRS)


@pytest.mark.parametrize(
    ("status", "phase"),
    [
        (Status.REPORTED, Phase.REPATRIATION),
        (Status.VERIFYING, Phase.REPATRIATION),
        (Status.SEARCHING, Phase.REPATRIATION),
        (Status.LOCATED, Phase.REPATRIATION),
        (Status.RETURN_IN_PROGRESS, Phase.REPATRIATION),
        (Status.RETURNED, Phase.REHABILITATION),
        (Status.REHABILITATION, Phase.REHABILITATION),
        (Status.INTEGRATION, Phase.INTEGRATION),
        (Status.CLOSED, Phase.CLOSED),
    ],
)
def test_workflow_phase_is_derived_from_status(status, phase):
    assert workflow.phase_of(status) == phase
    assert status in workflow.statuses_in_phase(phase)
    case = case_in(status)
    case.refresh_from_db()
    assert case.phase == phase
    assert str(case.phase_label) == str(Phase(phase).label)
    assert case.is_open == (status != Status.CLOSED)
    assert list(Case.objects.in_phase(phase)) == [case]
    assert list(Case.objects.open()) == ([] if status == Status.CLOSED else [case])


def test_workflow_every_status_has_exactly_one_phase():
    assert set(workflow.PHASE_OF_STATUS) == set(Status.values)
    covered = [s for phase in Phase.values for s in workflow.statuses_in_phase(phase)]
    assert sorted(covered) == sorted(Status.values)


# ---------------------------------------------------------------------------------------------
# Every allowed and every forbidden move
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transition", ALLOWED, ids=_id)
def test_case_transition_allowed_move_succeeds(transition, user):
    case = case_in(transition.source)
    version_before = Case.objects.get(pk=case.pk).version
    changes_before = StatusChange.objects.filter(case=case).count()

    moved = services.case_transition(
        case_id=case.pk, to=transition.target, actor=user, **guard_kwargs(transition)
    )

    stored = Case.objects.get(pk=case.pk)
    assert moved.status == stored.status == transition.target
    assert stored.version == moved.version == version_before + 1
    assert stored.phase == workflow.phase_of(transition.target)
    changes = StatusChange.objects.filter(case=case).order_by("id")
    assert changes.count() == changes_before + 1
    change = changes.last()
    assert change is not None
    assert change.from_status == transition.source
    assert change.to_status == transition.target
    assert change.actor == user
    assert change.reason == REASON
    assert change.case_version == stored.version
    assert change.changed_at == stored.status_changed_at
    if transition.target == Status.CLOSED:
        assert stored.closure_reason == ClosureReason.DUPLICATE
        assert stored.closed_at == change.changed_at
    else:
        assert stored.closure_reason == ""
        assert stored.closed_at is None
    if transition.target == Status.RETURNED:
        assert stored.returned_on == RETURNED_ON


@pytest.mark.parametrize(("source", "target"), FORBIDDEN, ids=[f"{s}->{t}" for s, t in FORBIDDEN])
def test_case_transition_forbidden_move_is_refused_and_changes_nothing(source, target, user):
    case = case_in(source)
    before = snapshot(case)
    # Give every guard field, so only the table can be the reason for the refusal.
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.case_transition(
            case_id=case.pk,
            to=target,
            actor=user,
            reason=REASON,
            returned_on=RETURNED_ON,
            closure_reason=ClosureReason.DUPLICATE,
        )
    assert excinfo.value.code == "transition_not_allowed"
    assert excinfo.value.status_code == 409
    assert "to" in excinfo.value.fields
    assert snapshot(case) == before


def test_case_transition_refusal_names_the_allowed_moves(user):
    case = case_in(Status.LOCATED)
    with pytest.raises(TransitionNotAllowed) as excinfo:
        services.case_transition(case_id=case.pk, to=Status.REHABILITATION, actor=user)
    for target in ("return_in_progress", "searching", "closed"):
        assert target in excinfo.value.detail


def test_case_transition_unknown_target_names_to(user):
    case = case_in(Status.REPORTED)
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as excinfo:
        services.case_transition(case_id=case.pk, to="lost_in_transit", actor=user)
    assert list(excinfo.value.fields) == ["to"]
    assert snapshot(case) == before


def test_case_transition_stale_expected_version_is_refused(user):
    case = case_in(Status.REPORTED)
    before = snapshot(case)
    with pytest.raises(StaleVersion):
        services.case_transition(
            case_id=case.pk, to=Status.VERIFYING, actor=user, expected_version=case.version + 5
        )
    assert snapshot(case) == before
    moved = services.case_transition(
        case_id=case.pk, to=Status.VERIFYING, actor=user, expected_version=case.version
    )
    assert moved.version == case.version + 1


def test_case_transition_walks_the_whole_life_of_a_case(user):
    case = make_case()
    path = [*PATH_TO[Status.INTEGRATION], Status.CLOSED, Status.VERIFYING]
    case = move_case(case, *path, actor=user)
    changes = list(StatusChange.objects.filter(case=case).order_by("case_version"))
    assert [c.to_status for c in changes] == [Status.REPORTED, *path]
    assert [c.from_status for c in changes] == ["", Status.REPORTED, *path[:-1]]
    assert [c.case_version for c in changes] == list(range(1, len(path) + 2))
    assert case.version == len(path) + 1


# ---------------------------------------------------------------------------------------------
# Guards
# ---------------------------------------------------------------------------------------------
def _refused_on(field: str, case: Case, **kwargs: Any) -> None:
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as excinfo:
        services.case_transition(case_id=case.pk, **kwargs)
    assert field in excinfo.value.fields, excinfo.value.fields
    assert excinfo.value.status_code == 400
    assert snapshot(case) == before


def test_case_transition_returned_needs_a_return_date(user):
    case = case_in(Status.RETURN_IN_PROGRESS)
    _refused_on("returned_on", case, to=Status.RETURNED, actor=user)


def test_case_transition_returned_date_cannot_be_in_the_future(user):
    case = case_in(Status.RETURN_IN_PROGRESS)
    tomorrow = services.today() + dt.timedelta(days=1)
    _refused_on("returned_on", case, to=Status.RETURNED, actor=user, returned_on=tomorrow)


def test_case_transition_returned_date_cannot_precede_deportation(user):
    case = case_in(Status.RETURN_IN_PROGRESS, deported_on=dt.date(2023, 3, 10))
    _refused_on(
        "returned_on", case, to=Status.RETURNED, actor=user, returned_on=dt.date(2023, 3, 9)
    )


def test_case_transition_returned_today_and_on_deportation_day_accepted(user):
    case = case_in(Status.RETURN_IN_PROGRESS, deported_on=dt.date(2023, 3, 10))
    moved = services.case_transition(
        case_id=case.pk, to=Status.RETURNED, actor=user, returned_on=dt.date(2023, 3, 10)
    )
    assert moved.returned_on == dt.date(2023, 3, 10)
    other = case_in(Status.RETURN_IN_PROGRESS)
    moved = services.case_transition(
        case_id=other.pk, to=Status.RETURNED, actor=user, returned_on=services.today()
    )
    assert Case.objects.get(pk=other.pk).returned_on == services.today()


@pytest.mark.parametrize("transition", CLOSING, ids=_id)
def test_case_transition_close_needs_a_closure_reason(transition, user):
    case = case_in(transition.source)
    _refused_on("closure_reason", case, to=Status.CLOSED, actor=user, reason=REASON)


@pytest.mark.parametrize("closure_reason", ["bogus", "Integrated", "closed"])
def test_case_transition_close_refuses_an_unknown_closure_reason(closure_reason, user):
    case = case_in(Status.SEARCHING)
    _refused_on("closure_reason", case, to=Status.CLOSED, actor=user, closure_reason=closure_reason)


@pytest.mark.parametrize("closure_reason", ClosureReason.values)
def test_case_transition_close_accepts_every_closure_reason(closure_reason, user):
    case = case_in(Status.VERIFYING)
    closed = services.case_transition(
        case_id=case.pk, to=Status.CLOSED, actor=user, closure_reason=closure_reason
    )
    assert Case.objects.get(pk=closed.pk).closure_reason == closure_reason


@pytest.mark.parametrize("transition", NEEDS_REASON, ids=_id)
@pytest.mark.parametrize("reason", ["", "   \n"])
def test_case_transition_backward_move_needs_a_reason(transition, reason, user):
    case = case_in(transition.source)
    _refused_on("reason", case, to=transition.target, actor=user, reason=reason)


def test_case_transition_forward_move_needs_no_reason(user):
    case = case_in(Status.REPORTED)
    moved = services.case_transition(case_id=case.pk, to=Status.VERIFYING, actor=user)
    assert moved.status == Status.VERIFYING
    assert StatusChange.objects.filter(case=case).latest("case_version").reason == ""


def test_case_transition_reason_is_stored_trimmed(user):
    case = case_in(Status.LOCATED)
    services.case_transition(
        case_id=case.pk, to=Status.SEARCHING, actor=user, reason="  talks stalled \n"
    )
    assert StatusChange.objects.filter(case=case).latest("case_version").reason == "talks stalled"


def test_case_transition_reopen_clears_closure_fields(user):
    case = case_in(Status.CLOSED)
    closed = Case.objects.get(pk=case.pk)
    assert closed.closure_reason
    assert closed.closed_at
    reopened = services.case_transition(
        case_id=case.pk, to=Status.VERIFYING, actor=user, reason="new lead in a listing"
    )
    stored = Case.objects.get(pk=case.pk)
    assert reopened.status == stored.status == Status.VERIFYING
    assert stored.closure_reason == ""
    assert stored.closed_at is None
    assert stored.is_open


def test_case_transition_reopen_refused_when_the_child_has_another_open_case(user):
    closed = case_in(Status.CLOSED)
    newer = services.case_create(actor=user, child=closed.child, data={})
    before = snapshot(closed)
    with pytest.raises(OpenCaseExists):
        services.case_transition(
            case_id=closed.pk, to=Status.VERIFYING, actor=user, reason="reopen attempt"
        )
    assert snapshot(closed) == before
    assert Case.objects.get(pk=newer.pk).status == Status.REPORTED
    # Once the newer case is closed, the old one may be reopened.
    services.case_transition(
        case_id=newer.pk, to=Status.CLOSED, actor=user, closure_reason=ClosureReason.DUPLICATE
    )
    reopened = services.case_transition(
        case_id=closed.pk, to=Status.VERIFYING, actor=user, reason="reopen attempt"
    )
    assert reopened.status == Status.VERIFYING


def test_case_transition_unknown_case_is_not_found(user):
    with pytest.raises(CaseNotFound):
        services.case_transition(case_id=987654321, to=Status.VERIFYING, actor=user)


# ---------------------------------------------------------------------------------------------
# Follow-ups on entering ``returned``
# ---------------------------------------------------------------------------------------------
def _due_dates(case: Case) -> dict[int | None, dt.date]:
    return {f.days_after_return: f.due_on for f in FollowUp.objects.filter(case=case)}


def test_case_transition_returned_schedules_follow_ups_on_commit(
    user, django_capture_on_commit_callbacks
):
    case = case_in(Status.RETURN_IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.case_transition(
            case_id=case.pk, to=Status.RETURNED, actor=user, returned_on=RETURNED_ON
        )
        assert FollowUp.objects.filter(case=case).count() == 0  # not before commit
    assert len(callbacks) == 1
    assert _due_dates(case) == {
        30: RETURNED_ON + dt.timedelta(days=30),
        90: RETURNED_ON + dt.timedelta(days=90),
        180: RETURNED_ON + dt.timedelta(days=180),
    }
    assert _due_dates(case) == {
        30: dt.date(2024, 2, 14),
        90: dt.date(2024, 4, 14),
        180: dt.date(2024, 7, 13),
    }
    assert all(f.completed_on is None for f in FollowUp.objects.filter(case=case))


def test_case_transition_follow_ups_not_scheduled_when_the_move_rolls_back(
    user, django_capture_on_commit_callbacks
):
    case = case_in(Status.RETURN_IN_PROGRESS)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationFailed),
    ):
        services.case_transition(case_id=case.pk, to=Status.RETURNED, actor=user)
    assert callbacks == []
    assert FollowUp.objects.filter(case=case).count() == 0


@pytest.mark.parametrize("transition", [t for t in ALLOWED if t.target != Status.RETURNED], ids=_id)
def test_case_transition_other_moves_schedule_nothing(
    transition, user, django_capture_on_commit_callbacks
):
    case = case_in(transition.source)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.case_transition(
            case_id=case.pk, to=transition.target, actor=user, **guard_kwargs(transition)
        )
    assert callbacks == []


def test_case_follow_ups_schedule_is_idempotent(user, django_capture_on_commit_callbacks):
    case = case_in(Status.RETURN_IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_transition(
            case_id=case.pk, to=Status.RETURNED, actor=user, returned_on=RETURNED_ON
        )
    first = _due_dates(case)
    ids = set(FollowUp.objects.filter(case=case).values_list("id", flat=True))
    again = services.case_follow_ups_schedule(case_id=case.pk)
    assert len(again) == 3
    assert _due_dates(case) == first
    assert set(FollowUp.objects.filter(case=case).values_list("id", flat=True)) == ids


def test_case_follow_ups_schedule_without_return_date_does_nothing():
    case = case_in(Status.LOCATED)
    assert services.case_follow_ups_schedule(case_id=case.pk) == []
    assert FollowUp.objects.filter(case=case).count() == 0


def test_case_transition_returned_again_after_reopen_re_dates_open_follow_ups(
    user, django_capture_on_commit_callbacks
):
    case = case_in(Status.RETURN_IN_PROGRESS)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_transition(
            case_id=case.pk, to=Status.RETURNED, actor=user, returned_on=RETURNED_ON
        )
    thirty = FollowUp.objects.get(case=case, days_after_return=30)
    services.follow_up_complete(
        follow_up=thirty, actor=user, outcome="well", completed_on=dt.date(2024, 2, 15)
    )
    second_return = dt.date(2025, 3, 1)
    with django_capture_on_commit_callbacks(execute=True):
        move_case(
            case,
            Status.CLOSED,
            Status.VERIFYING,
            Status.SEARCHING,
            Status.LOCATED,
            Status.RETURN_IN_PROGRESS,
            actor=user,
        )
        services.case_transition(
            case_id=case.pk, to=Status.RETURNED, actor=user, returned_on=second_return
        )
    assert FollowUp.objects.filter(case=case).count() == 3
    assert _due_dates(case) == {
        30: RETURNED_ON + dt.timedelta(days=30),  # completed: kept as it was
        90: second_return + dt.timedelta(days=90),
        180: second_return + dt.timedelta(days=180),
    }
    thirty.refresh_from_db()
    assert thirty.completed_on == dt.date(2024, 2, 15)
    assert Case.objects.get(pk=case.pk).returned_on == second_return

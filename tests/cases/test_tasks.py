"""Celery tasks of the case registry: thin, idempotent, returning counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from cases import selectors, services, tasks
from cases.exceptions import CaseNotFound
from cases.models import Case, FollowUp
from cases.workflow import FOLLOW_UP_DAYS, Status
from config.celery_app import app
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

TO_RETURNED = ("verifying", "searching", "located", "return_in_progress", "returned")


def returned_without_follow_ups() -> Case:
    """A returned case whose on-commit scheduling never ran (a lost task, say): the test
    transaction never commits, so ``delay_on_commit`` does not fire here."""
    case = move_case(make_case(), *TO_RETURNED)
    assert FollowUp.objects.filter(case=case).count() == 0
    return case


def days_of(case: Case) -> list[int | None]:
    """The scheduled days of every follow-up of the case, in order (ad-hoc ones, without a
    day, last)."""
    days = FollowUp.objects.filter(case=case).values_list("days_after_return", flat=True)
    return sorted(days, key=lambda day: (day is None, day or 0))


def test_follow_ups_catch_up_schedules_what_is_missing_and_is_idempotent():
    lost = [returned_without_follow_ups() for _ in range(3)]
    untouched = move_case(make_case(), "verifying", "searching")
    assert tasks.follow_ups_catch_up() == 3
    for case in lost:
        assert days_of(case) == list(FOLLOW_UP_DAYS)
        returned_on = Case.objects.get(pk=case.pk).returned_on
        assert returned_on is not None
        assert {f.days_after_return: f.due_on for f in FollowUp.objects.filter(case=case)} == {
            days: returned_on + dt.timedelta(days=days) for days in FOLLOW_UP_DAYS
        }
    assert FollowUp.objects.filter(case=untouched).count() == 0
    assert tasks.follow_ups_catch_up() == 0
    assert FollowUp.objects.count() == 3 * len(FOLLOW_UP_DAYS)


@pytest.mark.parametrize("missing", FOLLOW_UP_DAYS)
def test_follow_ups_catch_up_fills_any_single_gap(missing):
    case = returned_without_follow_ups()
    services.case_follow_ups_schedule(case_id=case.pk)
    FollowUp.objects.filter(case=case, days_after_return=missing).delete()
    assert selectors.returned_cases_missing_follow_ups() == [case.pk]
    assert tasks.follow_ups_catch_up() == 1
    assert days_of(case) == list(FOLLOW_UP_DAYS)
    assert tasks.follow_ups_catch_up() == 0


def test_follow_ups_catch_up_ignores_ad_hoc_follow_ups():
    case = returned_without_follow_ups()
    for day in range(1, 4):
        services.follow_up_create(case=case, actor=None, due_on=dt.date(2024, 3, day))
    assert tasks.follow_ups_catch_up() == 1
    assert FollowUp.objects.filter(case=case, days_after_return__isnull=False).count() == 3


def test_follow_ups_catch_up_skips_closed_and_unreturned_cases():
    closed = move_case(returned_without_follow_ups(), Status.CLOSED)
    move_case(make_case(), "verifying")
    assert tasks.follow_ups_catch_up() == 0
    assert FollowUp.objects.filter(case=closed).count() == 0


def test_follow_ups_catch_up_keeps_completed_checks(user):
    case = returned_without_follow_ups()
    services.case_follow_ups_schedule(case_id=case.pk)
    thirty = FollowUp.objects.get(case=case, days_after_return=30)
    services.follow_up_complete(
        follow_up=thirty, actor=user, outcome="well", completed_on=dt.date(2024, 2, 14)
    )
    FollowUp.objects.filter(case=case, days_after_return=180).delete()
    assert tasks.follow_ups_catch_up() == 1
    thirty.refresh_from_db()
    assert thirty.outcome == "well"
    assert thirty.completed_by == user


def test_case_follow_ups_schedule_task_returns_counts():
    case = returned_without_follow_ups()
    assert tasks.case_follow_ups_schedule(case.pk) == 3
    assert tasks.case_follow_ups_schedule(case.pk) == 3  # idempotent: the same three
    assert FollowUp.objects.filter(case=case).count() == 3
    not_returned = make_case()
    assert tasks.case_follow_ups_schedule(not_returned.pk) == 0


def test_case_follow_ups_schedule_task_through_celery():
    case = returned_without_follow_ups()
    result = tasks.case_follow_ups_schedule.apply(args=[case.pk])
    assert result.get() == 3
    assert days_of(case) == list(FOLLOW_UP_DAYS)


def test_case_follow_ups_schedule_task_unknown_case():
    with pytest.raises(CaseNotFound):
        tasks.case_follow_ups_schedule(987654321)


def test_tasks_have_pinned_names_and_beat_names_registered_tasks():
    assert tasks.case_follow_ups_schedule.name == "cases.case_follow_ups_schedule"
    assert tasks.follow_ups_catch_up.name == "cases.follow_ups_catch_up"
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry

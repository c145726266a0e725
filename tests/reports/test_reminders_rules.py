"""The reminder rules and the refresh: for each rule, an item that holds reaches the right
people, one that does not yet hold reaches nobody, an acknowledged or snoozed reminder stays
so while its item is unchanged and comes back when it changes (or when the snooze ends), and a
reminder is resolved when its item stops holding. Then the recipients' fall-backs, the
thresholds read from the settings, and the refresh's constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership, Organization
from cases import services as case_services
from cases.models import Case, CaseShare, ClosureRequest, FollowUp
from coalition.models import ChildList, ChildListEntry, Pledge
from reports.models import Reminder, ReminderRule, ReminderState
from reports.rules import RULES, RULES_BY_NAME
from reports.services.reminders import reminder_acknowledge, reminder_snooze, reminders_refresh
from sources.models import Source
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import make_case
from tests.factories.coalition_dossier import make_coalition_member, make_pledge
from tests.factories.coalition_lists import make_entry, make_list
from tests.factories.sources import make_source

pytestmark = pytest.mark.django_db


def _now() -> dt.datetime:
    return timezone.now()


def _today() -> dt.date:
    return timezone.localdate()


def _assign(case: Case, user: Any) -> Case:
    Case.objects.filter(pk=case.pk).update(assignee=user)
    case.refresh_from_db()
    return case


def _reminders(rule: str) -> dict[tuple[int, str], Reminder]:
    return {(r.user_id, r.item_key): r for r in Reminder.objects.filter(rule=rule)}


# ---------------------------------------------------------------------------------------------
# One scenario per rule: an item that holds (and who hears of it), one that does not yet, a
# change of the item, and the end of it.
# ---------------------------------------------------------------------------------------------
@dataclass
class Made:
    item_key: str
    recipients: set[int]
    change: Callable[[], object] | None  # None: the item's state cannot change while it holds
    stop: Callable[[], object]


def _case_world(home: Organization) -> tuple[Case, Any]:
    assignee = make_member("caseworker", home)
    return _assign(make_case(organization=home), assignee), assignee


def follow_up_due(home: Organization, due: bool) -> Made:
    case, assignee = _case_world(home)
    follow_up = FollowUp.objects.create(
        case=case, due_on=_today() + dt.timedelta(days=3 if due else 30)
    )
    query = FollowUp.objects.filter(pk=follow_up.pk)
    return Made(
        f"followup:{follow_up.pk}",
        {assignee.pk},
        change=lambda: query.update(due_on=_today() + dt.timedelta(days=1)),
        stop=lambda: query.update(completed_on=_today(), outcome="well"),
    )


def status_too_long(home: Organization, due: bool) -> Made:
    case, assignee = _case_world(home)  # reported: limit 7 days
    query = Case.objects.filter(pk=case.pk)
    query.update(status_changed_at=_now() - dt.timedelta(days=20 if due else 2))
    return Made(
        f"case:{case.pk}",
        {assignee.pk},
        change=lambda: query.update(status_changed_at=_now() - dt.timedelta(days=25)),
        stop=lambda: query.update(status_changed_at=_now()),
    )


def closure_waiting(home: Organization, due: bool) -> Made:
    case, _assignee = _case_world(home)
    request = case_services.closure_request_create(
        case_id=case.pk, actor=None, closure_reason="duplicate", reason="Synthetic request"
    )
    query = ClosureRequest.objects.filter(pk=request.pk)
    query.update(requested_at=_now() - dt.timedelta(days=5 if due else 1))
    supervisors = set(
        Membership.objects.filter(organization=home, role="supervisor").values_list(
            "user_id", flat=True
        )
    )
    return Made(
        f"closure:{request.pk}",
        supervisors,
        change=None,
        stop=lambda: query.update(status="rejected", decided_at=_now()),
    )


def share_expiring(home: Organization, due: bool) -> Made:
    case, assignee = _case_world(home)
    share = case_services.case_share_create(
        case=case,
        actor=None,
        organization=OrganizationFactory.create(),
        scope="limited",
        reason="Synthetic share",
        consent_reference="SYNTHETIC-1",
        expires_at=_now() + dt.timedelta(days=3 if due else 30),
    )
    query = CaseShare.objects.filter(pk=share.pk)
    return Made(
        f"share:{share.pk}",
        {assignee.pk},
        change=lambda: query.update(expires_at=_now() + dt.timedelta(days=5)),
        stop=lambda: query.update(revoked_at=_now()),
    )


def pledge_overdue(home: Organization, due: bool) -> Made:
    coordinators = {make_member("coordinator").pk, make_member("coordinator").pk}
    pledge = make_pledge(
        make_coalition_member("CA"), due_on=_today() + dt.timedelta(days=-5 if due else 5)
    )
    query = Pledge.objects.filter(pk=pledge.pk)
    return Made(
        f"pledge:{pledge.pk}",
        coordinators,
        change=lambda: query.update(status="in_progress", version=pledge.version + 1),
        stop=lambda: query.update(status="delivered"),
    )


def list_no_answer(home: Organization, due: bool) -> Made:
    keeper = OrganizationFactory.create()
    coordinator = make_member("coordinator", keeper)
    make_member("coordinator")  # of another organization: not told of this list
    child_list = make_list(keeper, handed_on=_today() - dt.timedelta(days=40 if due else 10))
    make_entry(child_list)

    def change() -> None:
        make_entry(child_list, position=2)

    return Made(
        f"list:{child_list.pk}",
        {coordinator.pk},
        change=change,
        stop=lambda: ChildListEntry.objects.filter(child_list=child_list).update(outcome="refused"),
    )


def source_integrity(home: Organization, due: bool) -> Made:
    superuser = UserFactory.create(is_superuser=True)
    UserFactory.create(is_superuser=True, is_active=False)
    supervisor = make_member("supervisor", home)
    source = make_source(organization=home)
    query = Source.objects.filter(pk=source.pk)
    query.update(integrity="altered" if due else "unverified", integrity_checked_at=_now())
    supervisors = set(
        Membership.objects.filter(organization=home, role="supervisor").values_list(
            "user_id", flat=True
        )
    )
    return Made(
        f"source:{source.pk}",
        {superuser.pk, supervisor.pk, *supervisors},
        change=lambda: query.update(integrity="missing"),
        stop=lambda: query.update(integrity="ok"),
    )


SCENARIOS: dict[str, Callable[[Organization, bool], Made]] = {
    ReminderRule.FOLLOW_UP_DUE: follow_up_due,
    ReminderRule.STATUS_TOO_LONG: status_too_long,
    ReminderRule.CLOSURE_WAITING: closure_waiting,
    ReminderRule.SHARE_EXPIRING: share_expiring,
    ReminderRule.PLEDGE_OVERDUE: pledge_overdue,
    ReminderRule.LIST_NO_ANSWER: list_no_answer,
    ReminderRule.SOURCE_INTEGRITY: source_integrity,
}
RULE_NAMES = [rule.rule.value for rule in RULES]


def test_rules_every_rule_has_a_scenario():
    assert set(SCENARIOS) == set(RULES_BY_NAME) == set(ReminderRule.values)


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_refresh_creates_a_due_items_reminder_for_its_recipients(rule, home, user):
    made = SCENARIOS[rule](home, True)
    result = reminders_refresh()
    found = _reminders(rule)
    assert {user_id for user_id, key in found if key == made.item_key} == made.recipients
    assert all(r.state == ReminderState.OPEN for r in found.values())
    assert result.created == len(Reminder.objects.all())
    again = reminders_refresh()
    assert (again.created, again.reopened, again.resolved) == (0, 0, 0)


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_refresh_leaves_an_item_not_yet_due_alone(rule, home, user):
    made = SCENARIOS[rule](home, False)
    reminders_refresh()
    assert not [key for _user, key in _reminders(rule) if key == made.item_key]


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_refresh_keeps_an_acknowledged_reminder_while_its_item_is_unchanged(rule, home, user):
    made = SCENARIOS[rule](home, True)
    reminders_refresh()
    user_id = sorted(made.recipients)[0]
    reminder = _reminders(rule)[(user_id, made.item_key)]
    reminder_acknowledge(actor=reminder.user, reminder_id=reminder.pk)
    reminders_refresh()
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.ACKNOWLEDGED


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_refresh_brings_an_acknowledged_reminder_back_when_its_item_changes(rule, home, user):
    made = SCENARIOS[rule](home, True)
    if made.change is None:
        pytest.skip("this rule's item cannot change while it holds")
    reminders_refresh()
    user_id = sorted(made.recipients)[0]
    reminder = _reminders(rule)[(user_id, made.item_key)]
    reminder_acknowledge(actor=reminder.user, reminder_id=reminder.pk)
    made.change()
    result = reminders_refresh()
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.OPEN
    assert reminder.acknowledged_at is None
    assert result.reopened >= 1


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_refresh_hides_a_snoozed_reminder_until_its_date(rule, home, user):
    made = SCENARIOS[rule](home, True)
    reminders_refresh()
    user_id = sorted(made.recipients)[0]
    reminder = _reminders(rule)[(user_id, made.item_key)]
    until = _today() + dt.timedelta(days=3)
    reminder_snooze(actor=reminder.user, reminder_id=reminder.pk, until=until)
    reminders_refresh(today=until - dt.timedelta(days=1))
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.SNOOZED
    reminders_refresh(today=until)
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.OPEN
    assert reminder.snoozed_until is None


@pytest.mark.parametrize("rule", RULE_NAMES)
def test_refresh_resolves_a_reminder_whose_item_stops_holding_and_reopens_it(rule, home, user):
    made = SCENARIOS[rule](home, True)
    reminders_refresh()
    made.stop()
    result = reminders_refresh()
    found = [r for (_u, key), r in _reminders(rule).items() if key == made.item_key]
    assert found
    assert all(r.state == ReminderState.RESOLVED and r.resolved_at for r in found)
    assert result.resolved == len(found)


def test_refresh_reopens_a_resolved_reminder_when_its_item_holds_again(home, user):
    case, assignee = _case_world(home)
    follow_up = FollowUp.objects.create(case=case, due_on=_today())
    reminders_refresh()
    FollowUp.objects.filter(pk=follow_up.pk).update(due_on=_today() + dt.timedelta(days=60))
    reminders_refresh()
    reminder = Reminder.objects.get(user=assignee)
    assert reminder.state == ReminderState.RESOLVED
    reminder_version = reminder.version
    FollowUp.objects.filter(pk=follow_up.pk).update(due_on=_today())
    result = reminders_refresh()
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.OPEN
    assert reminder.resolved_at is None
    assert reminder.version > reminder_version
    assert result.reopened == 1


# ---------------------------------------------------------------------------------------------
# Recipients
# ---------------------------------------------------------------------------------------------
def test_case_reminder_goes_to_the_supervisors_when_the_assignee_is_inactive(home, user):
    case, assignee = _case_world(home)
    FollowUp.objects.create(case=case, due_on=_today())
    type(assignee).objects.filter(pk=assignee.pk).update(is_active=False)
    reminders_refresh()
    assert set(Reminder.objects.values_list("user_id", flat=True)) == {user.pk}


def test_case_reminder_goes_to_the_supervisors_when_the_assignee_left_the_organization(home, user):
    case, assignee = _case_world(home)
    FollowUp.objects.create(case=case, due_on=_today())
    Membership.objects.filter(user=assignee).update(is_active=False)
    reminders_refresh()
    assert set(Reminder.objects.values_list("user_id", flat=True)) == {user.pk}


def test_case_reminder_moves_when_the_case_is_reassigned(home, user):
    case, assignee = _case_world(home)
    FollowUp.objects.create(case=case, due_on=_today())
    reminders_refresh()
    other = make_member("caseworker", home)
    _assign(case, other)
    result = reminders_refresh()
    assert Reminder.objects.get(user=assignee).state == ReminderState.RESOLVED
    assert Reminder.objects.get(user=other).state == ReminderState.OPEN
    assert (result.created, result.resolved) == (1, 1)


def test_case_reminder_of_an_unassigned_case_goes_to_the_supervisors(home, user):
    other_supervisor = make_member("supervisor", home)
    FollowUp.objects.create(case=make_case(organization=home), due_on=_today())
    make_member("supervisor")  # of another organization
    reminders_refresh()
    assert set(Reminder.objects.values_list("user_id", flat=True)) == {
        user.pk,
        other_supervisor.pk,
    }


def test_follow_up_of_a_closed_case_reminds_nobody(home, user):
    case, _assignee = _case_world(home)
    FollowUp.objects.create(case=case, due_on=_today())
    Case.objects.filter(pk=case.pk).update(
        status="closed", closure_reason="duplicate", closed_at=_now()
    )
    reminders_refresh()
    assert not Reminder.objects.exists()


def test_list_reminder_goes_to_every_coordinator_when_its_organization_has_none(home):
    coordinators = {make_member("coordinator").pk, make_member("coordinator").pk}
    child_list = make_list(OrganizationFactory.create(), handed_on=_today() - dt.timedelta(40))
    make_entry(child_list)
    reminders_refresh()
    reminders = Reminder.objects.filter(rule=ReminderRule.LIST_NO_ANSWER)
    assert set(reminders.values_list("user_id", flat=True)) == coordinators
    assert reminders[0].details == {
        "list_id": child_list.pk,
        "waiting": 1,
        "handed_on": child_list.handed_on.isoformat(),
    }


def test_list_reminder_counts_entries_without_answer_and_not_returned(home):
    keeper = OrganizationFactory.create()
    make_member("coordinator", keeper)
    child_list = make_list(keeper, handed_on=_today() - dt.timedelta(40))
    make_entry(child_list)
    answered = _today() - dt.timedelta(days=5)
    make_entry(child_list, position=2, outcome="no_answer", outcome_on=answered)
    make_entry(child_list, position=3, outcome="refused", outcome_on=answered)
    make_entry(child_list, position=4, outcome="returned", outcome_on=answered)
    reminders_refresh()
    reminder = Reminder.objects.get(rule=ReminderRule.LIST_NO_ANSWER)
    assert reminder.details["waiting"] == 2
    assert "Синтетична" not in str(reminder.details)


# ---------------------------------------------------------------------------------------------
# Thresholds from the settings
# ---------------------------------------------------------------------------------------------
def test_thresholds_are_read_from_the_settings(home, user, settings):
    case, _assignee = _case_world(home)
    FollowUp.objects.create(case=case, due_on=_today() + dt.timedelta(days=3))
    settings.REMINDER_THRESHOLDS = {**settings.REMINDER_THRESHOLDS, "follow_up_due": 2}
    reminders_refresh()
    assert not Reminder.objects.exists()
    settings.REMINDER_THRESHOLDS = {**settings.REMINDER_THRESHOLDS, "follow_up_due": 3}
    reminders_refresh()
    assert Reminder.objects.filter(rule=ReminderRule.FOLLOW_UP_DUE).exists()


def test_status_limits_are_read_from_the_settings(home, user, settings):
    case, assignee = _case_world(home)
    Case.objects.filter(pk=case.pk).update(status_changed_at=_now() - dt.timedelta(days=10))
    settings.REMINDER_STATUS_LIMITS = {**settings.REMINDER_STATUS_LIMITS, "reported": 12}
    reminders_refresh()
    assert not Reminder.objects.exists()
    settings.REMINDER_STATUS_LIMITS = {**settings.REMINDER_STATUS_LIMITS, "reported": 9}
    reminders_refresh()
    reminder = Reminder.objects.get(user=assignee)
    assert reminder.details["limit"] == 9
    assert reminder.details["status"] == "reported"


def test_pledge_threshold_counts_days_past_due(home, settings):
    make_member("coordinator")
    make_pledge(make_coalition_member("CA"), due_on=_today() - dt.timedelta(days=3))
    settings.REMINDER_THRESHOLDS = {**settings.REMINDER_THRESHOLDS, "pledge_overdue": 4}
    reminders_refresh()
    assert not Reminder.objects.exists()
    settings.REMINDER_THRESHOLDS = {**settings.REMINDER_THRESHOLDS, "pledge_overdue": 3}
    reminders_refresh()
    assert Reminder.objects.filter(rule=ReminderRule.PLEDGE_OVERDUE).count() == 1


# ---------------------------------------------------------------------------------------------
# Cost: a fixed number of queries per rule
# ---------------------------------------------------------------------------------------------
def _world(size: int, home: Organization) -> list[Callable[[], object]]:
    """``size`` items of every rule, each told to one person (or the same coordinators)."""
    assignee = make_member("caseworker", home)
    keeper = OrganizationFactory.create()
    make_member("coordinator", keeper)
    member = make_coalition_member("CA")
    stops: list[Callable[[], object]] = []
    for _index in range(size):
        case = _assign(make_case(organization=home), assignee)
        Case.objects.filter(pk=case.pk).update(status_changed_at=_now() - dt.timedelta(days=20))
        FollowUp.objects.create(case=case, due_on=_today())
        case_services.closure_request_create(
            case_id=case.pk, actor=None, closure_reason="duplicate", reason="Synthetic"
        )
        case_services.case_share_create(
            case=case,
            actor=None,
            organization=keeper,
            scope="limited",
            reason="Synthetic share",
            consent_reference="SYNTHETIC-2",
            expires_at=_now() + dt.timedelta(days=2),
        )
        make_pledge(member, due_on=_today() - dt.timedelta(days=5))
        child_list = make_list(keeper, handed_on=_today() - dt.timedelta(40))
        make_entry(child_list)
        make_source(organization=home)
    ClosureRequest.objects.update(requested_at=_now() - dt.timedelta(days=10))
    Source.objects.update(integrity="altered", integrity_checked_at=_now())
    stops.append(lambda: FollowUp.objects.update(completed_on=_today(), outcome="well"))
    stops.append(lambda: Case.objects.update(status_changed_at=_now()))
    stops.append(lambda: ClosureRequest.objects.update(status="rejected", decided_at=_now()))
    stops.append(lambda: CaseShare.objects.update(revoked_at=_now()))
    stops.append(lambda: Pledge.objects.update(status="delivered"))
    stops.append(lambda: ChildListEntry.objects.update(outcome="refused"))
    stops.append(lambda: Source.objects.update(integrity="ok"))
    return stops


def _refresh_costs(size: int, home: Organization) -> tuple[int, int, int, int]:
    """Queries of a first refresh (creates), a second (nothing changed) and a third (every item
    stopped holding), and how many reminders there were; rolled back afterwards."""
    with transaction.atomic():
        stops = _world(size, home)
        costs = []
        for step in range(3):
            if step == 2:
                for stop in stops:
                    stop()
            with CaptureQueriesContext(connection) as queries:
                reminders_refresh()
            costs.append(len(queries.captured_queries))
        count = Reminder.objects.count()
        transaction.set_rollback(True)
    return costs[0], costs[1], costs[2], count


def test_refresh_costs_a_fixed_number_of_queries_per_rule(home, user):
    small = _refresh_costs(5, home)
    large = _refresh_costs(50, home)
    assert large[3] > small[3] >= 5 * len(RULES)
    assert small[:3] == large[:3]
    assert ChildList.objects.count() == 0  # both worlds rolled back


def test_list_reminder_leaves_out_entries_whose_case_has_the_child_home(home):
    from tests.factories.cases import move_case

    keeper = OrganizationFactory.create()
    make_member("coordinator", keeper)
    child_list = make_list(keeper, handed_on=_today() - dt.timedelta(40))
    home_case = move_case(
        make_case(organization=home),
        "verifying",
        "searching",
        "located",
        "return_in_progress",
        "returned",
    )
    make_entry(child_list, case=home_case.pk)
    make_entry(child_list, position=2, case=make_case(organization=home).pk)
    reminders_refresh()
    assert Reminder.objects.get(rule=ReminderRule.LIST_NO_ANSWER).details["waiting"] == 1

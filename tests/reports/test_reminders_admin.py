""" "My work" in the admin: a user sees only their own reminders (a superuser may ask for
everyone's), can acknowledge and snooze them through the list's actions, and cannot add,
change or delete one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from reports.models import ReminderState
from tests.factories.accounts import UserFactory, make_member
from tests.factories.cases import make_case
from tests.factories.reports import make_reminder

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:reports_reminder_changelist"


def test_my_work_shows_only_the_users_own_reminders(client: Any, user: Any) -> None:
    case = make_case()
    mine = make_reminder(
        user, case=case, details={"case_number": case.number, "due_on": "2026-12-12"}
    )
    theirs = make_reminder(
        make_member("supervisor"), details={"case_number": "UA-2026-000999", "due_on": "2026-12-12"}
    )
    client.force_login(user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    content = response.content.decode()
    assert f"Follow-up for {case.number}" in content
    assert reverse("admin:cases_case_change", args=[case.pk]) in content
    assert "UA-2026-000999" not in content
    assert client.get(reverse("admin:reports_reminder_change", args=[theirs.pk])).status_code in (
        302,
        404,
    )


def test_my_work_filters_by_state_and_rule(client: Any, user: Any) -> None:
    open_one = make_reminder(user)
    acknowledged = make_reminder(user, state=ReminderState.ACKNOWLEDGED)
    client.force_login(user)
    found = client.get(reverse(CHANGELIST), {"state__exact": "acknowledged"}).context["cl"]
    assert list(found.result_list) == [acknowledged]
    found = client.get(reverse(CHANGELIST), {"rule__exact": "follow_up_due"}).context["cl"]
    assert set(found.result_list) == {open_one, acknowledged}


def test_a_superuser_sees_their_own_by_default_and_everyones_on_asking(client: Any) -> None:
    superuser = UserFactory.create(is_superuser=True)
    own = make_reminder(superuser)
    other = make_reminder(make_member("caseworker"))
    client.force_login(superuser)
    assert list(client.get(reverse(CHANGELIST)).context["cl"].result_list) == [own]
    everyone = client.get(reverse(CHANGELIST), {"whose": "all"}).context["cl"].result_list
    assert set(everyone) == {own, other}


def test_a_user_cannot_ask_for_everyones(client: Any, user: Any) -> None:
    make_reminder(make_member("caseworker"))
    client.force_login(user)
    response = client.get(reverse(CHANGELIST), {"whose": "all"})
    cl = response.context["cl"] if response.status_code == 200 else None
    assert cl is None or list(cl.result_list) == []


def test_acknowledge_and_snooze_actions_call_the_services(client: Any, user: Any) -> None:
    first, second = make_reminder(user), make_reminder(user)
    client.force_login(user)
    url = reverse(CHANGELIST)
    client.post(url, {"action": "acknowledge", ACTION_CHECKBOX_NAME: [first.pk]})
    client.post(url, {"action": "snooze", ACTION_CHECKBOX_NAME: [second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == ReminderState.ACKNOWLEDGED
    assert second.state == ReminderState.SNOOZED
    assert second.snoozed_until == timezone.localdate() + dt.timedelta(days=7)


def test_a_superuser_cannot_act_on_another_users_reminder(client: Any) -> None:
    superuser = UserFactory.create(is_superuser=True)
    other = make_reminder(make_member("caseworker"))
    client.force_login(superuser)
    client.post(
        reverse(CHANGELIST) + "?whose=all",
        {"action": "acknowledge", ACTION_CHECKBOX_NAME: [other.pk]},
    )
    other.refresh_from_db()
    assert other.state == ReminderState.OPEN


def test_reminders_cannot_be_added_changed_or_deleted(client: Any, user: Any) -> None:
    reminder = make_reminder(user)
    client.force_login(user)
    assert client.get(reverse("admin:reports_reminder_add")).status_code == 403
    assert (
        client.get(reverse("admin:reports_reminder_delete", args=[reminder.pk])).status_code == 403
    )
    page = client.get(reverse("admin:reports_reminder_change", args=[reminder.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (
        client.post(
            reverse("admin:reports_reminder_change", args=[reminder.pk]), {"state": "resolved"}
        ).status_code
        == 403
    )
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.OPEN

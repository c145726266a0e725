"""The reminders API: wiring, the requesting user's reminders only, strict filters, acting on
a reminder (404 for another user's), snooze validation and constant query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEvent
from reports.models import Reminder, ReminderRule, ReminderState
from tests.factories.accounts import make_api_key, make_member
from tests.factories.cases import make_case
from tests.factories.reports import make_reminder

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/reminders/"


def _client(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _url(reminder: Reminder, action: str = "") -> str:
    name = f"reminder-{action}" if action else "reminder-detail"
    return reverse(name, kwargs={"pk": reminder.pk})


def test_reminder_list_is_at_the_documented_path():
    assert reverse("reminder-list") == LIST_URL


def test_reminder_list_shows_the_users_open_reminders_only(api_client, user):
    case = make_case()
    mine = make_reminder(
        user,
        case=case,
        organization=case.organization,
        details={"case_number": case.number, "due_on": "2026-12-12"},
        due_on=dt.date(2026, 12, 12),
    )
    make_reminder(user, state=ReminderState.ACKNOWLEDGED, acknowledged_at=timezone.now())
    make_reminder(make_member("caseworker"))
    response = api_client.get(LIST_URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    row = rows[0]
    assert row["rule"] == "follow_up_due"
    assert row["rule_label"] == "Follow-up due or overdue"
    assert row["case_number"] == case.number
    assert row["text"].startswith(f"Follow-up for {case.number}")
    assert row["admin_url"].endswith(f"/admin/cases/case/{case.pk}/change/")
    assert set(row) == {
        "id", "rule", "rule_label", "text", "case_number", "item_key", "due_on", "state",
        "snoozed_until", "acknowledged_at", "created_at", "updated_at", "version", "admin_url",
    }  # fmt: skip


def test_reminder_list_filters_by_state_rule_and_due_date(api_client, user):
    acknowledged = make_reminder(user, state=ReminderState.ACKNOWLEDGED)
    early = make_reminder(user, due_on=dt.date(2026, 1, 1))
    pledge = make_reminder(
        user,
        rule=ReminderRule.PLEDGE_OVERDUE,
        item_key="pledge:1",
        details={"pledge_id": 1, "member": "Canada", "due_on": "2026-01-01"},
        due_on=dt.date(2026, 1, 1),
    )
    late = make_reminder(user, due_on=dt.date(2027, 1, 1))

    def ids(**params: Any) -> set[int]:
        response = api_client.get(LIST_URL, params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {early.pk, pledge.pk, late.pk}
    assert ids(state="acknowledged") == {acknowledged.pk}
    assert ids(rule="pledge_overdue") == {pledge.pk}
    assert ids(due_before="2026-06-01") == {early.pk, pledge.pk}
    assert ids(due_before="2026-06-01", rule="follow_up_due") == {early.pk}
    assert late.pk not in ids(state="resolved")


@pytest.mark.parametrize(
    "params",
    [
        {"state": "closed"},
        {"rule": "nonsense"},
        {"due_before": "yesterday"},
        {"state": ""},
        {"colour": "blue"},
        {"ordering": "due_on"},
    ],
)
def test_reminder_list_refuses_unknown_parameters_and_values(api_client, params):
    response = api_client.get(LIST_URL, params)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == set(params)


def test_reminder_detail_shows_the_users_reminder_in_any_state(api_client, user):
    reminder = make_reminder(user, state=ReminderState.RESOLVED, resolved_at=timezone.now())
    response = api_client.get(_url(reminder))
    assert response.status_code == 200
    assert response.json()["state"] == "resolved"


@pytest.mark.parametrize("action", ["", "acknowledge", "snooze"])
def test_another_users_reminder_is_not_found(api_client, action):
    other = make_reminder(make_member("supervisor"))
    if action:
        response = api_client.post(_url(other, action), {"until": "2099-01-01"}, format="json")
    else:
        response = api_client.get(_url(other))
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.state == ReminderState.OPEN


def test_acknowledge_marks_the_reminder_and_is_audited(api_client, user):
    reminder = make_reminder(user)
    response = api_client.post(_url(reminder, "acknowledge"))
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "acknowledged"
    assert body["acknowledged_at"]
    assert body["version"] == reminder.version + 1
    event = AuditEvent.objects.filter(object_id=str(reminder.pk), action="update").get()
    assert event.actor_id == user.pk
    assert event.changes["state"] == ["open", "acknowledged"]
    # Again: nothing changes.
    again = api_client.post(_url(reminder, "acknowledge"))
    assert again.status_code == 200
    assert again.json()["version"] == body["version"]


def test_snooze_hides_the_reminder_until_a_date(api_client, user):
    reminder = make_reminder(user)
    until = timezone.localdate() + dt.timedelta(days=7)
    response = api_client.post(_url(reminder, "snooze"), {"until": until.isoformat()})
    assert response.status_code == 200
    assert response.json()["state"] == "snoozed"
    assert response.json()["snoozed_until"] == until.isoformat()
    assert api_client.get(LIST_URL).json()["results"] == []


@pytest.mark.parametrize(
    "until",
    [
        None,
        "",
        "not a date",
        "today",
        "past",
        "far",
    ],
)
def test_snooze_refuses_a_bad_date_naming_until(api_client, user, until):
    reminder = make_reminder(user)
    today = timezone.localdate()
    value = {
        "today": today.isoformat(),
        "past": (today - dt.timedelta(days=1)).isoformat(),
        "far": (today + dt.timedelta(days=91)).isoformat(),
    }.get(until or "", until)
    body = {} if until is None else {"until": value}
    response = api_client.post(_url(reminder, "snooze"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["until"]
    reminder.refresh_from_db()
    assert reminder.state == ReminderState.OPEN


def test_snooze_refuses_unknown_body_fields(api_client, user):
    reminder = make_reminder(user)
    until = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = api_client.post(
        _url(reminder, "snooze"), {"until": until, "reason": "busy"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["reason"]


def test_acting_on_a_resolved_reminder_is_a_conflict(api_client, user):
    reminder = make_reminder(user, state=ReminderState.RESOLVED, resolved_at=timezone.now())
    response = api_client.post(_url(reminder, "acknowledge"))
    assert response.status_code == 409


def test_reminders_need_authentication(anon_client):
    assert anon_client.get(LIST_URL).status_code == 401


def test_an_api_key_sees_its_service_accounts_reminders_only(user):
    key, secret = make_api_key(role="partner")
    make_reminder(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert response.json()["results"] == []
    mine = make_reminder(key.service_account)
    assert [r["id"] for r in client.get(LIST_URL).json()["results"]] == [mine.pk]


@pytest.mark.parametrize("size", [5, 50])
def test_reminder_list_reads_in_a_constant_number_of_queries(
    api_client, user, size, django_assert_num_queries
):
    case = make_case()
    for _index in range(size):
        make_reminder(
            user,
            case=case,
            organization=case.organization,
            details={"case_number": case.number, "due_on": "2026-12-12"},
        )
    api_client.get(LIST_URL)  # warm the compiled reads
    # The token (with its user), the user's memberships (a case's reminder is shown while its
    # user belongs to the case's organization) and the page.
    with django_assert_num_queries(3):
        response = api_client.get(LIST_URL, {"page_size": 100})
    assert len(response.json()["results"]) == size

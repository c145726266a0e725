"""The duplicate review in the admin: the queue, the side-by-side page and its two decisions,
who reaches them, and the reads they record. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.snapshots import object_type_of
from cases import services
from cases.models import Case, Child, DuplicateDecision, DuplicatePair
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

BOY = {
    "given_name": "Олексій",
    "family_name": "Коваленко",
    "patronymic": "Сергійович",
    "sex": "male",
    "date_of_birth": dt.date(2012, 5, 17),
}
CHANGELIST = "admin:cases_duplicatepair_changelist"


def _pair(**case_fields: Any) -> DuplicatePair:
    make_case(child=BOY, **case_fields)
    make_case(child={**BOY, "family_name": "Петров"}, **case_fields)
    services.duplicate_pairs_scan_batch()
    return DuplicatePair.objects.get()


def _page(pair: DuplicatePair) -> str:
    return reverse("admin:cases_duplicatepair_change", args=[pair.pk])


def test_duplicate_queue_lists_the_pairs_the_user_may_decide(client, user):
    pair = _pair()
    client.force_login(user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert [p.pk for p in response.context["cl"].result_list] == [pair.pk]
    outsider = make_member("caseworker", OrganizationFactory.create(), is_staff=True)
    client.force_login(outsider)
    response = client.get(reverse(CHANGELIST))
    assert list(response.context["cl"].result_list) == []
    assert client.get(_page(pair)).status_code == 302  # not found: back to the list


def test_duplicate_queue_read_names_the_cases_of_the_children_it_shows(client, user):
    pair = _pair()
    client.force_login(user)
    assert client.get(reverse(CHANGELIST)).status_code == 200
    event = AuditEvent.objects.filter(action="list").latest("id")
    expected = sorted(
        Case.objects.filter(child__in=[pair.first_id, pair.second_id]).values_list("pk", flat=True)
    )
    assert event.metadata["records"][object_type_of(DuplicatePair)] == [pair.pk]
    assert sorted(event.metadata["records"][object_type_of(Case)]) == expected


def test_duplicate_queue_is_closed_to_roles_that_change_no_case(client, home):
    _pair()
    for role in ("auditor", "coordinator", "partner"):
        client.force_login(make_member(role, home, is_staff=True))
        assert client.get(reverse(CHANGELIST)).status_code == 403, role


def test_duplicate_page_shows_both_children_side_by_side_and_records_the_read(client, user):
    pair = _pair()
    client.force_login(user)
    response = client.get(_page(pair))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Коваленко" in content
    assert "Петров" in content
    assert "family name equal" not in content  # the surnames differ
    event = AuditEvent.objects.filter(action="view").latest("id")
    assert event.object_id == str(pair.pk)
    assert event.metadata["records"][object_type_of(Case)]


def test_duplicate_page_decides_different(client, user):
    pair = _pair()
    client.force_login(user)
    response = client.post(
        _page(pair), {"keep": pair.first_id, "note": "Cousins", "_different": "1"}
    )
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.decision == DuplicateDecision.DIFFERENT
    assert pair.decided_by == user
    assert pair.note == "Cousins"


def test_duplicate_page_shows_the_refusal_to_merge_two_open_cases(client, user):
    pair = _pair()
    client.force_login(user)
    response = client.post(_page(pair), {"keep": pair.first_id, "_same": "1"})
    assert response.status_code == 200
    assert "close one as a duplicate" in response.content.decode()
    pair.refresh_from_db()
    assert pair.decision == DuplicateDecision.OPEN


def test_duplicate_page_merges_into_the_record_chosen(client, user):
    pair = _pair()
    move_case(Case.objects.get(child_id=pair.first_id), "closed")
    client.force_login(user)
    response = client.post(_page(pair), {"keep": pair.second_id, "note": "", "_same": "1"})
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.decision == DuplicateDecision.SAME
    assert Child.objects.get(pk=pair.first_id).merged_into_id == pair.second_id
    assert Case.objects.filter(child_id=pair.second_id).count() == 2
    # The decided pair stays in the user's sight, shown as decided.
    page = client.get(_page(pair))
    assert page.status_code == 200
    assert page.context["decided"] is True

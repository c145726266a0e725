"""Audit completeness of the case registry: exactly one event per changed row on every write path
(API, services, tasks, seeds, bulk querysets) and one per read of a full
record. All data is synthetic."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases import services
from cases.models import Case, FollowUp, Relative
from tests.factories.cases import child_data, make_case, make_relative, move_case

pytestmark = pytest.mark.django_db


def _events_since(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))


def _mark() -> int:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def _kinds(events: list[AuditEvent]) -> Counter[tuple[str, str]]:
    return Counter((e.object_type, e.action) for e in events)


def _etag(client: Any, case: Case) -> str:
    return client.get(reverse("case-detail", kwargs={"pk": case.pk}))["ETag"]


def test_api_case_create_records_each_row_once(api_client, user, oblasts):
    mark = _mark()
    body = {
        "child": {
            **{k: v for k, v in child_data().items() if k != "date_of_birth"},
            "date_of_birth": "2012-05-17",
            "origin_oblast": "UA-14",
            "aliases": [{"name": "Синтетична Аліас", "kind": "russified", "seen_in": "test"}],
        },
        "priority": "high",
    }
    response = api_client.post(reverse("case-list"), body, format="json")
    assert response.status_code == 201, response.content

    events = _events_since(mark)
    assert _kinds(events) == Counter(
        {
            ("cases.child", "create"): 1,
            ("cases.childalias", "create"): 1,
            ("cases.case", "create"): 1,
            ("cases.statuschange", "create"): 1,
        }
    )
    case_event = next(e for e in events if e.object_type == "cases.case")
    assert case_event.actor == user
    assert case_event.channel == "api"
    assert case_event.request_id == response["X-Request-ID"]
    assert case_event.object_repr == response.json()["number"]
    assert case_event.changes["priority"] == [None, "high"]
    child_event = next(e for e in events if e.object_type == "cases.child")
    assert "search_text" not in child_event.changes  # derived, not recorded


def test_api_patch_records_one_update_with_before_and_after(api_client, user):
    case = make_case(priority="normal")
    etag = _etag(api_client, case)
    mark = _mark()

    response = api_client.patch(
        reverse("case-detail", kwargs={"pk": case.pk}),
        {"priority": "urgent", "child": {"origin_settlement": "Синтетичне"}},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content

    events = _events_since(mark)
    assert _kinds(events) == Counter({("cases.case", "update"): 1, ("cases.child", "update"): 1})
    case_event = next(e for e in events if e.object_type == "cases.case")
    assert case_event.changes["priority"] == ["normal", "urgent"]
    assert case_event.changes["version"] == [1, 2]
    child_event = next(e for e in events if e.object_type == "cases.child")
    assert child_event.changes == {"origin_settlement": ["", "Синтетичне"]}


def test_api_patch_without_change_records_nothing(api_client):
    case = make_case(priority="normal")
    etag = _etag(api_client, case)
    mark = _mark()

    response = api_client.patch(
        reverse("case-detail", kwargs={"pk": case.pk}),
        {"priority": "normal"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200
    assert _events_since(mark) == []


def test_refused_write_records_nothing(api_client):
    case = make_case()
    mark = _mark()
    response = api_client.patch(
        reverse("case-detail", kwargs={"pk": case.pk}),
        {"priority": "urgent"},
        format="json",
        HTTP_IF_MATCH='"0-0"',
    )
    assert response.status_code == 412
    assert _events_since(mark) == []


def test_transition_records_the_move_and_its_status_change(api_client, user):
    case = make_case()
    etag = _etag(api_client, case)
    mark = _mark()

    response = api_client.post(
        reverse("case-transition", kwargs={"pk": case.pk}),
        {"to": "verifying"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content

    events = _events_since(mark)
    assert _kinds(events) == Counter(
        {("cases.case", "transition"): 1, ("cases.statuschange", "create"): 1}
    )
    move = next(e for e in events if e.action == "transition")
    assert move.changes["status"] == ["reported", "verifying"]
    assert move.metadata["to_status"] == "verifying"


def test_follow_ups_scheduled_by_the_task_are_recorded_on_the_task_channel(
    django_capture_on_commit_callbacks,
):
    case = move_case(make_case(), "verifying", "searching", "located", "return_in_progress")
    mark = _mark()

    # Follow-ups are scheduled by a task once the move commits.
    with django_capture_on_commit_callbacks(execute=True):
        move_case(case, "returned")

    events = _events_since(mark)
    follow_ups = [e for e in events if e.object_type == "cases.followup"]
    assert len(follow_ups) == FollowUp.objects.filter(case=case).count() == 3
    assert {e.channel for e in follow_ups} == {"task"}
    assert {e.action for e in follow_ups} == {"create"}


def test_relatives_and_whereabouts_each_write_is_recorded(api_client):
    case = make_case()
    mark = _mark()
    relatives = reverse("case-relatives", kwargs={"pk": case.pk})
    created = api_client.post(
        relatives,
        {"relationship": "mother", "given_name": "Ірина", "family_name": "Синтетична"},
        format="json",
    )
    assert created.status_code == 201
    api_client.patch(
        reverse(
            "case-relative-detail", kwargs={"pk": case.pk, "relative_id": created.json()["id"]}
        ),
        {"phone": "+380 00 555 0000"},
        format="json",
    )
    place = api_client.post(
        reverse("case-whereabouts", kwargs={"pk": case.pk}),
        {"country": "RU", "from_date": "2023-01-01", "source_description": "Synthetic source"},
        format="json",
    )
    assert place.status_code == 201

    assert _kinds(_events_since(mark)) == Counter(
        {
            ("cases.relative", "create"): 1,
            ("cases.relative", "update"): 1,
            ("cases.whereabouts", "create"): 1,
        }
    )
    update = AuditEvent.objects.get(object_type="cases.relative", action="update")
    assert update.changes == {"phone": ["", "+380 00 555 0000"]}


def test_service_deletes_are_recorded_before_the_row_goes():
    case = make_case()
    relative = make_relative(case)
    relative_id = relative.pk
    mark = _mark()

    services.relative_delete(relative=relative, actor=None)

    (event,) = _events_since(mark)
    assert (event.action, event.object_id) == ("delete", str(relative_id))
    assert event.changes["family_name"] == [case.child.family_name, None]
    assert not Relative.objects.filter(pk=relative_id).exists()


def test_shares_and_closure_decisions_are_recorded(user):
    from tests.factories.accounts import OrganizationFactory

    case = make_case()
    partner = OrganizationFactory.create()
    mark = _mark()
    share = services.case_share_create(
        case=case,
        actor=user,
        organization=partner,
        scope="limited",
        reason="Synthetic",
        consent_reference="C-1",
    )
    services.case_share_revoke(share=share, actor=user, reason="Synthetic end")
    request = services.closure_request_create(
        case_id=case.pk, actor=user, closure_reason="duplicate", reason="Synthetic"
    )
    services.closure_request_decide(request_id=request.pk, actor=user, approve=True)

    assert _kinds(_events_since(mark)) == Counter(
        {
            ("cases.caseshare", "share"): 1,
            ("cases.caseshare", "revoke"): 1,
            ("cases.closurerequest", "request"): 1,
            ("cases.closurerequest", "approve"): 1,
            ("cases.case", "transition"): 1,
            ("cases.statuschange", "create"): 1,
        }
    )


def test_reading_a_full_record_is_one_event_naming_it(api_client, user):
    case = make_case()
    mark = _mark()

    api_client.get(reverse("case-detail", kwargs={"pk": case.pk}))
    (event,) = _events_since(mark)
    assert (event.action, event.object_type, event.object_id) == (
        "view",
        "cases.case",
        str(case.pk),
    )
    assert event.actor == user
    assert event.metadata == {"scope": "full", "records": {"cases.case": [case.pk]}, "count": 1}


def test_queryset_update_on_cases_records_one_event_per_row():
    cases = [make_case(priority="normal") for _ in range(3)]
    mark = _mark()

    Case.objects.filter(pk__in=[c.pk for c in cases]).update(priority="high")

    events = _events_since(mark)
    assert sorted(e.object_id for e in events) == sorted(str(c.pk) for c in cases)
    assert all(e.changes == {"priority": ["normal", "high"]} for e in events)


def test_events_name_no_child_in_their_label(api_client):
    case = make_case(child={"family_name": "Непоказанчук"})
    etag = _etag(api_client, case)
    api_client.patch(
        reverse("case-detail", kwargs={"pk": case.pk}),
        {"child": {"given_name": "Змінена"}},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    for event in AuditEvent.objects.all():
        assert "Непоказанчук" not in event.object_repr
        assert "Змінена" not in event.object_repr


def test_returned_on_date_is_recorded_as_text():
    case = move_case(make_case(), "verifying", "searching", "located", "return_in_progress")
    mark = _mark()
    services.case_transition(
        case_id=case.pk, to="returned", actor=None, returned_on=dt.date(2024, 2, 1)
    )
    move = next(e for e in _events_since(mark) if e.action == "transition")
    assert move.changes["returned_on"] == [None, "2024-02-01"]


# -- the admin ---------------------------------------------------------------------------------
def test_admin_case_page_read_is_an_event_and_shows_the_history(client, user):
    from tests.cases.admin_pages import change_url

    case = make_case(priority="normal")
    services.case_update(case=case, actor=user, data={"priority": "high"})
    client.force_login(user)
    mark = _mark()

    page = client.get(change_url(case))

    assert page.status_code == 200
    (event,) = _events_since(mark)
    assert (event.action, event.object_id, event.channel) == ("view", str(case.pk), "admin")
    history_url = reverse("admin:cases_case_history", args=[case.pk])
    assert history_url in page.content.decode()
    mark = _mark()
    history = client.get(history_url)
    (read,) = _events_since(mark)
    assert (read.action, read.object_id) == ("view", str(case.pk))
    assert read.metadata["kind"] == "case_history"
    assert "Priority" in history.content.decode()


def _shared_in_full(case, *, consent_reference):
    """A new organization the case is shared with in full."""
    from tests.factories.accounts import OrganizationFactory

    partner_org = OrganizationFactory.create()
    services.case_share_create(
        case=case,
        actor=None,
        organization=partner_org,
        scope="full",
        reason="Synthetic",
        consent_reference=consent_reference,
    )
    return partner_org


def test_admin_case_history_is_not_shown_to_an_organization_it_is_shared_with(client, user):
    from tests.cases.admin_pages import change_url
    from tests.factories.accounts import make_member

    case = make_case()
    partner_org = _shared_in_full(case, consent_reference="C-2")
    client.force_login(make_member("partner", partner_org))

    page = client.get(change_url(case))

    assert page.status_code == 200
    history_url = reverse("admin:cases_case_history", args=[case.pk])
    assert history_url not in page.content.decode()
    assert client.get(history_url).status_code == 403


def test_case_history_itself_refuses_an_organization_the_case_is_shared_with(user):
    """The rule is the selector's, not only the admin page's: any door reading the history
    gets the same refusal."""
    import pytest

    from cases.selectors_history import case_history
    from core.errors import PermissionDenied
    from tests.factories.accounts import make_member

    case = make_case()
    partner_org = _shared_in_full(case, consent_reference="C-3")
    with pytest.raises(PermissionDenied):
        case_history(actor=make_member("partner", partner_org), case=case)
    owner = make_member("caseworker", case.organization)
    assert case_history(actor=owner, case=case).exists()


def test_a_refusal_for_lack_of_a_right_is_recorded_once(home):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tests.factories.accounts import make_member

    case = make_case()
    auditor = make_member("auditor", home)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=auditor).key}")
    etag = _etag(client, case)
    mark = _mark()

    response = client.patch(
        reverse("case-detail", kwargs={"pk": case.pk}),
        {"priority": "urgent"},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 403
    (event,) = _events_since(mark)
    assert (event.action, event.actor, event.channel) == ("denied", auditor, "api")
    assert event.metadata["path"] == f"/api/v1/cases/{case.pk}/"
    Case.objects.get(pk=case.pk, priority="normal")  # nothing written


def test_admin_save_records_one_event_per_changed_row(client, user):
    from tests.cases.admin_pages import add_inline_row, change_url, form_data

    case = make_case(priority="normal")
    client.force_login(user)
    page = client.get(change_url(case))
    data = {**form_data(page), "priority": "urgent"}
    add_inline_row(
        data,
        page,
        Relative,
        relationship="grandparent",
        family_name="Синтетична",
        given_name="Ганна",
    )
    mark = _mark()

    response = client.post(change_url(case), data)

    assert response.status_code == 302
    events = _events_since(mark)
    assert _kinds(events) == Counter({("cases.case", "update"): 1, ("cases.relative", "create"): 1})
    assert {e.channel for e in events} == {"admin"}
    assert {e.actor for e in events} == {user}

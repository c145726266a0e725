"""The admin's home page by role (``config.admin_home``): the numbers of each part against the
data made here, the lists they link to, the closure queue decided from the list, who sees what,
and what it costs."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import membership_set
from audit.models import AuditEvent
from cases import services
from cases.models import Case, ClosureRequest, ClosureRequestStatus
from reports.models import ReminderRule
from sources.models import PublishedFigure
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, move_case
from tests.factories.coalition_lists import make_entry, make_list
from tests.factories.coalition_members import (
    days_ago,
    make_areas,
    make_coalition_member,
    make_pledge,
)
from tests.factories.reports import make_reminder

HOME = "/admin/"


@pytest.fixture
def other_org(db):
    return OrganizationFactory.create(name="Synthetic other organization")


@pytest.fixture
def worker(home):
    return make_member("caseworker", home)


@pytest.fixture
def colleague(home):
    return make_member("caseworker", home)


@pytest.fixture
def supervisor(home):
    return make_member("supervisor", home)


@pytest.fixture
def coordinator(home):
    return make_member("coordinator", home)


@pytest.fixture
def caseload(home, other_org, worker, colleague, supervisor):
    """The home organization's cases: three of the worker's (reported, searching, closed), one
    of a colleague's, one unassigned with a closure requested and a share ending soon; and two
    of another organization (never counted)."""
    today = timezone.localdate()
    reported = make_case(assignee=worker)
    searching = move_case(make_case(assignee=worker), "verifying", "searching")
    closed = move_case(make_case(assignee=worker), "closed")
    colleagues = make_case(assignee=colleague)
    unassigned = make_case()
    services.follow_up_create(case=reported, actor=None, due_on=today - dt.timedelta(days=2))
    services.follow_up_create(case=searching, actor=None, due_on=today + dt.timedelta(days=1))
    services.follow_up_create(case=colleagues, actor=None, due_on=today - dt.timedelta(days=5))
    closure = services.closure_request_create(
        case_id=unassigned.pk, actor=worker, closure_reason="duplicate", reason="Synthetic reason"
    )
    services.case_share_create(
        case=unassigned,
        actor=supervisor,
        organization=other_org,
        scope="limited",
        reason="Synthetic share",
        consent_reference="Synthetic consent",
        expires_at=timezone.now() + dt.timedelta(days=2),
    )
    foreign = make_case(organization=other_org)
    foreign_worker = make_member("caseworker", other_org)
    make_case(organization=other_org, assignee=foreign_worker)
    services.closure_request_create(
        case_id=foreign.pk, actor=foreign_worker, closure_reason="duplicate", reason="Synthetic"
    )
    return {
        "reported": reported,
        "searching": searching,
        "closed": closed,
        "colleagues": colleagues,
        "unassigned": unassigned,
        "closure": closure,
        "foreign": foreign,
    }


def _home(client, person):
    client.force_login(person)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def _figures(figures):
    return {str(figure.label): figure for figure in figures}


def _listed(client, url):
    """The case numbers the list behind a number shows."""
    response = client.get(url)
    assert response.status_code == 200, url
    return {case.number for case in response.context["cl"].result_list}


def _params(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# ---------------------------------------------------------------------------------------------
# A caseworker
# ---------------------------------------------------------------------------------------------
def test_home_caseworker_counts_own_cases_and_links_to_them(client, worker, caseload):
    make_reminder(worker, case=caseload["reported"])
    make_reminder(worker, case=caseload["searching"], rule=ReminderRule.STATUS_TOO_LONG)
    part = _home(client, worker).context["home"]["caseworker"]

    by_status = _figures(part.by_status)
    assert {label: f.count for label, f in by_status.items()} == {
        "Reported": 1,
        "Searching": 1,
        "Closed": 1,
    }
    assert part.total.count == 3
    assert _listed(client, part.total.url) == {
        caseload[key].number for key in ("reported", "searching", "closed")
    }
    assert _listed(client, by_status["Searching"].url) == {caseload["searching"].number}
    follow_ups = _figures(part.follow_ups)
    assert follow_ups["Overdue"].count == 1
    assert _listed(client, follow_ups["Overdue"].url) == {caseload["reported"].number}
    assert follow_ups["Due soon"].count == 1
    assert _listed(client, follow_ups["Due soon"].url) == {caseload["searching"].number}
    reminders = _figures(part.reminders)
    assert {label: f.count for label, f in reminders.items()} == {
        str(ReminderRule.FOLLOW_UP_DUE.label): 1,
        str(ReminderRule.STATUS_TOO_LONG.label): 1,
    }
    listed = client.get(reminders[str(ReminderRule.STATUS_TOO_LONG.label)].url)
    assert [r.rule for r in listed.context["cl"].result_list] == [ReminderRule.STATUS_TOO_LONG]
    assert {row.number for row in part.recent} == {
        caseload[key].number for key in ("reported", "searching", "closed")
    }
    # A caseworker holds no other role: no other part.
    response = client.get(HOME)
    assert response.context["home"]["supervisor"] is None
    assert response.context["home"]["coordinator"] is None
    assert "closure-queue" not in response.content.decode()


def test_home_caseworker_page_names_no_child(client, worker, caseload):
    content = _home(client, worker).content.decode()
    assert caseload["reported"].number in content
    for case in Case.objects.select_related("child"):
        assert case.child.family_name not in content


def test_case_list_refuses_unknown_work_list_values(client, worker, caseload):
    client.force_login(worker)
    url = reverse("admin:cases_case_changelist")
    for param in ("follow_up", "closure", "share"):
        response = client.get(url, {param: "whenever"})
        assert response.status_code == 302
        assert "e=1" in response["Location"]


# ---------------------------------------------------------------------------------------------
# A supervisor
# ---------------------------------------------------------------------------------------------
def test_home_supervisor_counts_the_organization_only(
    client, supervisor, worker, colleague, caseload
):
    part = _home(client, supervisor).context["home"]["supervisor"]
    assert len(part.organizations) == 1
    org = part.organizations[0]
    assert {str(f.label): f.count for f in org.by_status} == {
        "Reported": 3,
        "Searching": 1,
        "Closed": 1,
    }
    reported = _figures(org.by_status)["Reported"]
    assert _listed(client, reported.url) == {
        caseload[k].number for k in ("reported", "colleagues", "unassigned")
    }
    assignees = _figures(org.by_assignee)
    assert {label: f.count for label, f in assignees.items()} == {
        worker.username: 2,
        colleague.username: 1,
    }
    assert _listed(client, assignees[worker.username].url) == {
        caseload["reported"].number,
        caseload["searching"].number,
    }
    attention = _figures(org.attention)
    for label, key in (
        ("Unassigned open cases", "unassigned"),
        ("Closure requests waiting for a decision", "unassigned"),
        ("Shares ending soon", "unassigned"),
    ):
        assert attention[label].count == 1
        assert _listed(client, attention[label].url) == {caseload[key].number}
    assert caseload["foreign"].number not in _listed(
        client, attention["Closure requests waiting for a decision"].url
    )
    assert [row.request_id for row in part.queue] == [caseload["closure"].pk]
    assert part.queue_total == 1


def test_closure_queue_approves_through_the_service_with_audit(client, supervisor, caseload):
    row = _home(client, supervisor).context["home"]["supervisor"].queue[0]
    confirm = client.get(row.approve_url)
    assert confirm.status_code == 200
    assert caseload["unassigned"].number in confirm.content.decode()
    assert ClosureRequest.objects.get(pk=row.request_id).status == ClosureRequestStatus.PENDING

    response = client.post(
        reverse("admin:home_closure_decide", args=[row.request_id]),
        {"decision": "approve", "note": ""},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == HOME
    assert f"case {caseload['unassigned'].number} is closed" in response.content.decode()
    closure = ClosureRequest.objects.get(pk=row.request_id)
    assert closure.status == ClosureRequestStatus.APPROVED
    assert closure.decided_by == supervisor
    assert Case.objects.get(pk=caseload["unassigned"].pk).status == "closed"
    assert AuditEvent.objects.filter(
        action="approve", object_type="cases.closurerequest", object_id=str(closure.pk)
    ).exists()
    assert response.context["home"]["supervisor"].queue == []


def test_closure_queue_rejects_only_with_a_note(client, supervisor, caseload):
    client.force_login(supervisor)
    url = reverse("admin:home_closure_decide", args=[caseload["closure"].pk])
    refused = client.post(url, {"decision": "reject", "note": ""})
    assert refused.status_code == 200
    assert "Say why the closure is rejected." in refused.content.decode()
    assert ClosureRequest.objects.get(pk=caseload["closure"].pk).status == "pending"

    response = client.post(url, {"decision": "reject", "note": "Synthetic: not yet"}, follow=True)
    assert "rejected" in response.content.decode()
    closure = ClosureRequest.objects.get(pk=caseload["closure"].pk)
    assert closure.status == ClosureRequestStatus.REJECTED
    assert AuditEvent.objects.filter(
        action="reject", object_type="cases.closurerequest", object_id=str(closure.pk)
    ).exists()
    assert Case.objects.get(pk=caseload["unassigned"].pk).status != "closed"


def test_closure_queue_refuses_others(client, supervisor, worker, other_org, caseload):
    url = reverse("admin:home_closure_decide", args=[caseload["closure"].pk])
    client.force_login(worker)
    assert client.post(url, {"decision": "approve"}).status_code == 403
    # Another organization's supervisor: not theirs to decide, nothing changes.
    client.force_login(make_member("supervisor", other_org))
    response = client.post(url, {"decision": "approve"}, follow=True)
    assert "no longer waiting" in response.content.decode()
    assert ClosureRequest.objects.get(pk=caseload["closure"].pk).status == "pending"
    client.force_login(supervisor)
    assert client.get(url, {"decision": "maybe"}).status_code == 400


# ---------------------------------------------------------------------------------------------
# A coordinator
# ---------------------------------------------------------------------------------------------
def test_home_coordinator_counts_figures_and_open_items(client, coordinator, caseload, home):
    PublishedFigure.objects.create(
        metric="returned", value=300, as_of=dt.date(2024, 1, 1), claimant="Synthetic claimant"
    )
    PublishedFigure.objects.create(
        metric="returned", value=400, as_of=dt.date(2025, 1, 1), claimant="Synthetic claimant"
    )
    make_areas()
    make_coalition_member("CA")
    make_pledge("CA", due_on=days_ago(10))
    make_pledge("CA", due_on=days_ago(-30))
    child_list = make_list(home)
    make_entry(child_list)
    make_entry(child_list, outcome="refused", outcome_on=days_ago(3))

    part = _home(client, coordinator).context["home"]["coordinator"]
    phases = _figures(part.phases)
    # Every organization's: five reported (two of the other organization), one searching.
    assert phases["Repatriation"].count == 6
    assert phases["Closed"].count == 1
    assert part.total.count == 7
    # Counts only: the case list is not a coordinator's to open.
    assert all(figure.url is None for figure in part.phases)
    assert client.get(reverse("admin:cases_case_changelist")).status_code == 403
    [returned] = part.published
    assert returned.claim.endswith("400")
    assert _params(returned.url) == {"metric__exact": "returned"}
    coalition = _figures(part.coalition)
    assert coalition["Pledges overdue"].count == 1
    assert coalition["Pledged"].count == 2
    overdue = client.get(coalition["Pledges overdue"].url)
    assert overdue.status_code == 200
    assert len(overdue.context["cl"].result_list) == 1
    assert coalition["Listed"].count == 1
    entries = client.get(coalition["Listed"].url)
    assert len(entries.context["cl"].result_list) == 1
    assert response_parts(client) == {"coordinator"}


def response_parts(client):
    home = client.get(HOME).context["home"]
    return {name for name, part in home.items() if part is not None}


def test_home_shows_each_role_of_a_person_with_several(client, home, other_org, caseload):
    person = make_member("caseworker", home)
    services_membership(person, other_org, "coordinator")
    client.force_login(person)
    assert response_parts(client) == {"caseworker", "coordinator"}


def services_membership(user, organization, role):
    membership_set(user=user, organization=organization, role=role)


def test_home_without_roles_shows_the_models_only(client, db, caseload):
    client.force_login(make_member("auditor", OrganizationFactory.create()))
    response = client.get(HOME)
    assert response_parts(client) == set()
    assert caseload["unassigned"].number not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Cost
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [0, 6])
def test_home_query_count_is_bounded(
    client, home, worker, supervisor, caseload, extra, django_assert_max_num_queries
):
    person = make_member("caseworker", home)
    services_membership(person, OrganizationFactory.create(), "coordinator")
    for _ in range(extra):
        case = make_case(assignee=person)
        services.closure_request_create(
            case_id=case.pk, actor=person, closure_reason="duplicate", reason="Synthetic"
        )
        make_reminder(person, case=case)
    client.force_login(person)
    with django_assert_max_num_queries(30):
        client.get(HOME)
    client.force_login(supervisor)
    with django_assert_max_num_queries(30):
        client.get(HOME)


def test_home_and_closure_decision_refuse_unknown_query_parameters(client, supervisor, caseload):
    client.force_login(supervisor)

    home = client.get(HOME, {"status": "reported"})
    decide = client.get(
        reverse("admin:home_closure_decide", args=[caseload["closure"].pk]),
        {"decision": "approve", "force": "1"},
    )

    assert home.status_code == 400
    assert "status" in home.content.decode()
    assert decide.status_code == 400
    assert "force" in decide.content.decode()
    assert ClosureRequest.objects.get(pk=caseload["closure"].pk).status == "pending"

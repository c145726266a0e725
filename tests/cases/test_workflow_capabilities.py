"""Who may make each move: the capability the workflow table names, read by the service, the
admin's buttons and the API's ``allowed_transitions`` alike. All data is synthetic."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Organization, Role, User
from accounts.roles import Capability, capabilities_of
from cases import selectors, services, workflow
from cases.exceptions import CaseNotFound, ClosureNeedsApproval
from cases.models import Case, StatusChange
from cases.workflow import ClosureReason, Status, Transition
from core.errors import PermissionDenied
from tests.cases.admin_pages import change_url, transition_url
from tests.cases.test_admin_access import _share
from tests.cases.test_api_sharing import client_of
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, move_case

pytestmark = pytest.mark.django_db

REASON = "synthetic test reason"
# The shortest walk from a new (reported) case to each move's source.
WALK: dict[str, tuple[str, ...]] = {
    status: tuple(workflow.FORWARD_PATH[1 : workflow.FORWARD_PATH.index(status) + 1])
    for status in workflow.FORWARD_PATH
}
WALK[Status.CLOSED] = (Status.CLOSED,)
ROLES = [Role.CASEWORKER, Role.SUPERVISOR, Role.PARTNER, Role.COORDINATOR, Role.AUDITOR]


def _id(value: object) -> str:
    if isinstance(value, Transition):
        return f"{value.source}->{value.target}"
    return str(value)


def case_in(status: str) -> Case:
    return move_case(make_case(), *WALK[status])


def guard_kwargs(transition: Transition) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"reason": REASON}
    if workflow.RETURNED_ON in transition.requires:
        kwargs["returned_on"] = services.today()
    if workflow.CLOSURE_REASON in transition.requires:
        kwargs["closure_reason"] = ClosureReason.DUPLICATE
    return kwargs


def member_of(role: Role, organization: Organization) -> User:
    # Auditors read every case through their role, whichever organization they belong to.
    return make_member(role, organization)


def _seen(actor: User, case: Case) -> Case:
    return selectors.case_visible_to(actor=actor).get(pk=case.pk)


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transition", workflow.TRANSITIONS, ids=_id)
def test_workflow_table_names_the_capability_of_each_move(transition):
    closing_or_reopening = Status.CLOSED in (transition.source, transition.target)
    expected = Capability.CASE_CLOSE if closing_or_reopening else Capability.CASE_TRANSITION
    assert transition.capability == expected


def test_workflow_moves_allowed_filters_by_capability():
    everything = frozenset(Capability)
    assert workflow.moves_allowed(Status.LOCATED, capabilities=everything) == (
        workflow.transitions_from(Status.LOCATED)
    )
    assert [t.target for t in workflow.moves_allowed(Status.LOCATED, capabilities=[])] == []
    assert [
        t.target
        for t in workflow.moves_allowed(Status.LOCATED, capabilities=[Capability.CASE_TRANSITION])
    ] == [Status.RETURN_IN_PROGRESS, Status.SEARCHING]
    assert workflow.moves_allowed(Status.CLOSED, capabilities=[Capability.CASE_TRANSITION]) == []


# ---------------------------------------------------------------------------------------------
# Every move, by every role of the owning organization
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("transition", workflow.TRANSITIONS, ids=_id)
def test_case_transition_by_role_follows_the_table(transition, role, home):
    case = case_in(transition.source)
    actor = member_of(role, home)
    may = transition.capability in capabilities_of(role)
    seen = selectors.case_visible_to(actor=actor).filter(pk=case.pk).first()

    offered = [] if seen is None else selectors.case_allowed_moves(actor, seen)
    assert (transition in offered) == may

    if may:
        moved = services.case_transition(
            case_id=case.pk, to=transition.target, actor=actor, **guard_kwargs(transition)
        )
        assert moved.status == transition.target
        return
    changes = StatusChange.objects.filter(case=case).count()
    if seen is None:
        expected: type[Exception] = CaseNotFound
    elif transition.capability == Capability.CASE_CLOSE and role == Role.CASEWORKER:
        expected = ClosureNeedsApproval  # a caseworker requests the closure instead
    else:
        expected = PermissionDenied
    with pytest.raises(expected):
        services.case_transition(
            case_id=case.pk, to=transition.target, actor=actor, **guard_kwargs(transition)
        )
    assert Case.objects.get(pk=case.pk).status == transition.source
    assert StatusChange.objects.filter(case=case).count() == changes


def test_case_allowed_moves_for_a_caseworker_leave_out_closing(home):
    caseworker = make_member(Role.CASEWORKER, home)
    case = case_in(Status.LOCATED)
    moves = selectors.case_allowed_moves(caseworker, _seen(caseworker, case))
    assert [t.target for t in moves] == [Status.RETURN_IN_PROGRESS, Status.SEARCHING]
    closed = case_in(Status.CLOSED)
    assert selectors.case_allowed_moves(caseworker, _seen(caseworker, closed)) == []


def test_case_allowed_moves_without_a_scope_offer_nothing(user):
    case = case_in(Status.REPORTED)
    assert selectors.case_allowed_moves(user, Case.objects.get(pk=case.pk)) == []


# ---------------------------------------------------------------------------------------------
# Readers through a share: reading only, whatever the share's scope or the reader's role
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def shared(home):
    """A case of the home organization shared with another organization, whose caseworker
    (a role that moves cases in its own organization) reads it."""
    other = OrganizationFactory.create(name="Synthetic partner authority")
    reader = make_member(Role.CASEWORKER, other)
    case = move_case(make_case(), Status.VERIFYING, Status.SEARCHING, Status.LOCATED)
    return case, other, reader


@pytest.mark.parametrize("scope", ["limited", "full"])
def test_api_offers_no_move_to_a_reader_through_a_share(shared, scope):
    case, other, reader = shared
    _share(case, other, scope)
    client = client_of(reader)

    detail = client.get(reverse("case-detail", kwargs={"pk": case.pk}))
    listed = client.get(reverse("case-list"))

    assert detail.status_code == 200, detail.content
    assert detail.json()["access_scope"] == scope
    assert detail.json()["allowed_transitions"] == []
    rows = [row for row in listed.json()["results"] if row["id"] == case.pk]
    assert len(rows) == 1
    assert rows[0]["allowed_transitions"] == []
    refused = client.post(
        reverse("case-transition", kwargs={"pk": case.pk}),
        {"to": Status.RETURN_IN_PROGRESS},
        format="json",
        HTTP_IF_MATCH=detail["ETag"],
    )
    assert refused.status_code == 403
    assert Case.objects.get(pk=case.pk).status == Status.LOCATED


@pytest.mark.parametrize("scope", ["limited", "full"])
def test_admin_shows_no_move_button_to_a_reader_through_a_share(client, shared, scope):
    case, other, reader = shared
    _share(case, other, scope)
    client.force_login(reader)

    page = client.get(change_url(case))

    assert page.status_code == 200
    assert page.context["transitions"] == []
    content = page.content.decode()
    for target in Status.values:
        assert transition_url(case, target) not in content


def test_api_offers_a_caseworker_the_moves_of_their_role(home):
    caseworker = make_member(Role.CASEWORKER, home)
    case = case_in(Status.REPORTED)

    detail = client_of(caseworker).get(reverse("case-detail", kwargs={"pk": case.pk}))
    listed = client_of(caseworker).get(reverse("case-list"))

    assert [t["target"] for t in detail.json()["allowed_transitions"]] == [Status.VERIFYING]
    (row,) = [row for row in listed.json()["results"] if row["id"] == case.pk]
    assert [t["target"] for t in row["allowed_transitions"]] == [Status.VERIFYING]


def test_admin_offers_a_caseworker_the_moves_of_their_role(client, home):
    caseworker = make_member(Role.CASEWORKER, home)
    case = case_in(Status.LOCATED)
    client.force_login(caseworker)

    page = client.get(change_url(case))

    offered = [move["target"] for move in page.context["transitions"]]
    assert offered == [Status.RETURN_IN_PROGRESS, Status.SEARCHING]
    assert transition_url(case, Status.CLOSED) not in page.content.decode()

"""Who may see and do what in the caseworkers' admin, role by role (issue 3, "who sees what").

Every page starts from ``cases.selectors`` (which cases, with which scope) and every write goes
through ``cases.services``; these tests drive the admin as each kind of user would: the home
organization's caseworker and supervisor, a partner organization the home organization shares
cases with, a coalition coordinator, an auditor, and another organization's caseworker."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, CaseShare, ClosureRequest, Facility, Relative, StatusChange
from cases.workflow import Status
from tests.cases.admin_pages import (
    change_url,
    changelist_url,
    form_data,
    form_errors,
    messages_of,
    transition_url,
)
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, make_relative, move_case

BIRTH = dt.date(2012, 5, 17)
PHONE = "+380 00 123 4567"
EMAIL = "synthetic.relative@example.org"
ADDRESS = "Synthetic street 1, Synthetic town"


def request_closure_url(case: Case) -> str:
    return reverse("admin:cases_case_request_closure", args=[case.pk])


def decide_url(case: Case, closure: ClosureRequest) -> str:
    return reverse("admin:cases_case_closure_decide", args=[case.pk, closure.pk])


def share_url(case: Case) -> str:
    return reverse("admin:cases_case_share", args=[case.pk])


def revoke_url(case: Case, share: CaseShare) -> str:
    return reverse("admin:cases_case_share_revoke", args=[case.pk, share.pk])


def _share(case: Case, organization: Any, scope: str, **fields: Any) -> CaseShare:
    return services.case_share_create(
        case=case,
        actor=None,
        organization=organization,
        scope=scope,
        reason="Synthetic referral",
        consent_reference="Synthetic consent 1",
        **fields,
    )


@pytest.fixture
def partner_org(db):
    return OrganizationFactory.create(name="Synthetic partner NGO", short_name="SPN")


@pytest.fixture
def third_org(db):
    return OrganizationFactory.create(name="Synthetic third authority", short_name="STA")


@pytest.fixture
def people(home, user, partner_org, third_org):
    audit_office = OrganizationFactory.create(name="Synthetic audit office")
    return {
        "caseworker": make_member("caseworker", home),
        "supervisor": user,
        "partner": make_member("partner", partner_org),
        "coordinator": make_member("coordinator", home),
        "auditor": make_member("auditor", audit_office),
        "outsider": make_member("caseworker", third_org),
    }


@pytest.fixture
def cases(oblasts, people, partner_org, third_org):
    """The home organization's own case (not shared), two it shares with the partner (limited
    and full), and the third organization's case."""
    own = make_case(oblast=oblasts["UA-14"], child={"date_of_birth": BIRTH})
    limited = make_case(oblast=oblasts["UA-14"], child={"date_of_birth": BIRTH})
    full = make_case(oblast=oblasts["UA-14"], child={"date_of_birth": BIRTH})
    foreign = make_case(organization=third_org, child={"date_of_birth": BIRTH})
    for case in (own, limited, full):
        make_relative(case, phone=PHONE, email=EMAIL, address=ADDRESS, notes="Synthetic note")
    _share(limited, partner_org, "limited")
    _share(full, partner_org, "full")
    return {"own": own, "limited": limited, "full": full, "foreign": foreign}


def _as(client, person):
    client.force_login(person)
    return client


def _listed(client) -> set[str]:
    response = client.get(changelist_url())
    assert response.status_code == 200
    return {case.number for case in response.context["cl"].result_list}


def _numbers(cases, *keys):
    return {cases[key].number for key in keys}


# ---------------------------------------------------------------------------------------------
# Which cases each role lists and opens
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("caseworker", ("own", "limited", "full")),
        ("supervisor", ("own", "limited", "full")),
        ("partner", ("limited", "full")),
        ("auditor", ("own", "limited", "full", "foreign")),
        ("outsider", ("foreign",)),
    ],
)
def test_changelist_lists_only_the_cases_the_role_sees(client, people, cases, role, expected):
    assert _listed(_as(client, people[role])) == _numbers(cases, *expected)


def test_coordinator_sees_no_cases_in_the_admin(client, people, cases):
    client = _as(client, people["coordinator"])

    index = client.get(reverse("admin:index"))
    listing = client.get(changelist_url())
    page = client.get(change_url(cases["own"]))

    assert changelist_url() not in index.content.decode()
    assert listing.status_code == 403
    # Refused whatever the id, so nothing is learnt about which cases exist.
    missing = client.get(reverse("admin:cases_case_change", args=[10**9]))
    assert page.status_code == missing.status_code == 403


def test_the_admin_index_offers_cases_to_readers(client, people, cases):
    index = _as(client, people["partner"]).get(reverse("admin:index"))

    assert changelist_url() in index.content.decode()


def test_staff_flag_is_still_required(client, people, cases):
    caseworker = people["caseworker"]
    caseworker.is_staff = False
    caseworker.save(update_fields=["is_staff"])

    response = _as(client, caseworker).get(changelist_url())

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize(
    ("role", "key", "visible"),
    [
        ("caseworker", "own", True),
        ("caseworker", "foreign", False),
        ("partner", "limited", True),
        ("partner", "own", False),
        ("auditor", "foreign", True),
        ("outsider", "foreign", True),
        ("outsider", "own", False),
    ],
)
def test_change_page_of_a_case_out_of_sight_is_not_found(client, people, cases, role, key, visible):
    client = _as(client, people[role])

    response = client.get(change_url(cases[key]))

    if visible:
        assert response.status_code == 200
        assert cases[key].number in response.content.decode()
    else:
        # Exactly what a missing id gets: its existence is not revealed.
        missing = client.get(reverse("admin:cases_case_change", args=[10**9]))
        assert response.status_code == missing.status_code == 302
        assert response["Location"] == missing["Location"] == reverse("admin:index")
        message = messages_of(client.get(response["Location"]))
        assert any("doesn’t exist" in m for m in message)


def test_change_page_shows_the_owning_organization(client, people, cases, home):
    response = _as(client, people["partner"]).get(change_url(cases["full"]))

    content = response.content.decode()
    assert "owning organization" in content.lower()
    assert str(home) in content
    assert "Full record" in content  # the scope the partner reads it with


# ---------------------------------------------------------------------------------------------
# Read only where the role does not write
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "key"), [("auditor", "own"), ("partner", "full")])
def test_readers_get_a_read_only_page_and_their_posts_are_refused(client, people, cases, role, key):
    case = cases[key]
    case.refresh_from_db()
    version = case.version
    editor = _as(client, people["supervisor"]).get(change_url(case))
    data = {**form_data(editor), "priority": "urgent", "given_name": "Ярина"}
    client = _as(client, people[role])

    page = client.get(change_url(case))
    post = client.post(change_url(case), data)

    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="_save"' not in content
    assert 'name="given_name"' not in content  # shown as text, not as an input
    assert case.child.given_name in content
    assert post.status_code == 403
    case.refresh_from_db()
    assert (case.priority, case.version) == ("normal", version)
    assert case.child.given_name != "Ярина"


def test_another_organizations_caseworker_cannot_post_to_a_case(client, people, cases):
    case = cases["own"]
    case.refresh_from_db()
    version = case.version
    editor = _as(client, people["supervisor"]).get(change_url(case))
    data = {**form_data(editor), "priority": "urgent"}

    response = _as(client, people["outsider"]).post(change_url(case), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    case.refresh_from_db()
    assert (case.priority, case.version) == ("normal", version)


def test_caseworker_changes_own_cases_but_not_the_assignee(client, people, cases):
    case = cases["own"]
    client = _as(client, people["caseworker"])
    page = client.get(change_url(case))
    form = page.context["adminform"].form
    assert "assignee" not in form.fields  # shown, read only
    assert "priority" in form.fields

    data = {**form_data(page), "priority": "urgent", "assignee": str(people["supervisor"].pk)}
    response = client.post(change_url(case), data)

    assert response.status_code == 302, form_errors(response)
    case.refresh_from_db()
    assert (case.priority, case.assignee) == ("urgent", None)


def test_supervisor_assigns_from_the_organizations_caseworkers(client, people, cases):
    case = cases["own"]
    client = _as(client, people["supervisor"])
    page = client.get(change_url(case))
    choices = page.context["adminform"].form.fields["assignee"].queryset
    assert people["caseworker"] in choices
    assert people["outsider"] not in choices
    assert people["partner"] not in choices

    data = {**form_data(page), "assignee": str(people["caseworker"].pk)}
    response = client.post(change_url(case), data)

    assert response.status_code == 302, form_errors(response)
    case.refresh_from_db()
    assert case.assignee == people["caseworker"]


def test_caseworker_add_page_has_no_assignee_to_pick(client, people, cases):
    page = _as(client, people["caseworker"]).get(reverse("admin:cases_case_add"))

    assert page.status_code == 200
    assert "assignee" not in page.context["adminform"].form.fields


@pytest.mark.parametrize(("role", "status"), [("auditor", 403), ("coordinator", 403)])
def test_roles_that_do_not_open_cases_get_no_add_page(client, people, cases, role, status):
    assert _as(client, people[role]).get(reverse("admin:cases_case_add")).status_code == status


# ---------------------------------------------------------------------------------------------
# Limited and full shares
# ---------------------------------------------------------------------------------------------
def _relative_rows(response):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is Relative:
            return inline
    raise AssertionError("no relatives inline")


def test_limited_share_shows_no_date_of_birth_nor_relatives_contacts(client, people, cases):
    response = _as(client, people["partner"]).get(change_url(cases["limited"]))

    assert response.status_code == 200
    content = response.content.decode()
    for secret in ("May 17, 2012", "2012-05-17", "17.05.2012", PHONE, EMAIL, ADDRESS):
        assert secret not in content
    assert "Synthetic note" not in content
    assert 'class="form-row field-birth_year"' in content
    assert "2012" in content.split('field-birth_year"')[1][:400]
    relatives = _relative_rows(response)
    shown = {name for line in relatives.fieldsets[0][1]["fields"] for name in _names(line)}
    assert shown.isdisjoint({"phone", "email", "address", "notes"})
    assert "relationship" in shown
    assert not relatives.has_add_permission
    assert "Limited" in content


def _names(line):
    return line if isinstance(line, list | tuple) else (line,)


def test_full_share_shows_everything_read_only(client, people, cases):
    response = _as(client, people["partner"]).get(change_url(cases["full"]))

    content = response.content.decode()
    assert "2012-05-17" in content
    assert PHONE in content
    assert EMAIL in content
    assert 'name="_save"' not in content
    assert not _relative_rows(response).has_change_permission


def test_own_organization_sees_the_full_record(client, people, cases):
    response = _as(client, people["caseworker"]).get(change_url(cases["limited"]))

    content = response.content.decode()
    assert response.context["adminform"].form["date_of_birth"].value() == BIRTH
    assert PHONE in content


def test_a_revoked_share_is_no_longer_seen(client, people, cases):
    share = CaseShare.objects.get(case=cases["limited"])
    services.case_share_revoke(share=share, actor=None, reason="Synthetic end")

    client = _as(client, people["partner"])
    assert _listed(client) == _numbers(cases, "full")
    assert client.get(change_url(cases["limited"])).status_code == 302


def test_an_expired_share_is_no_longer_seen(client, people, cases, partner_org):
    case = cases["own"]
    share = _share(case, partner_org, "full", expires_at=timezone.now() + dt.timedelta(days=1))
    client = _as(client, people["partner"])
    assert case.number in _listed(client)

    CaseShare.objects.filter(pk=share.pk).update(
        created_at=timezone.now() - dt.timedelta(days=3),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )

    assert case.number not in _listed(client)


# ---------------------------------------------------------------------------------------------
# The workflow: who moves, closes and reopens
# ---------------------------------------------------------------------------------------------
def _offered(response) -> set[str]:
    return {move["target"] for move in response.context["transitions"]}


def test_caseworker_is_offered_no_close_but_a_closure_request(client, people, cases):
    case = cases["own"]

    page = _as(client, people["caseworker"]).get(change_url(case))

    assert _offered(page) == {"verifying"}
    content = page.content.decode()
    assert transition_url(case, "closed") not in content
    assert request_closure_url(case) in content


def test_supervisor_is_offered_close_and_no_closure_request(client, people, cases):
    case = cases["own"]

    page = _as(client, people["supervisor"]).get(change_url(case))

    assert _offered(page) == {"verifying", "closed"}
    assert request_closure_url(case) not in page.content.decode()


@pytest.mark.parametrize("role", ["partner", "auditor"])
def test_readers_are_offered_no_moves(client, people, cases, role):
    page = _as(client, people[role]).get(change_url(cases["full"]))

    assert _offered(page) == set()
    assert request_closure_url(cases["full"]) not in page.content.decode()


def test_transition_view_refuses_a_caseworkers_close(client, people, cases):
    case = cases["own"]
    client = _as(client, people["caseworker"])

    page = client.get(transition_url(case, "closed"))
    post = client.post(
        transition_url(case, "closed"),
        {"expected_version": "1", "closure_reason": "duplicate", "reason": "Synthetic"},
    )

    for response in (page, post):
        assert response.status_code == 302
        assert response["Location"] == change_url(case)
    assert any("Request the closure" in m for m in messages_of(client.get(change_url(case))))
    case.refresh_from_db()
    assert case.status == Status.REPORTED
    assert StatusChange.objects.filter(case=case).count() == 1


def test_transition_view_refuses_a_caseworkers_reopen(client, people, cases):
    case = move_case(cases["own"], "closed")
    client = _as(client, people["caseworker"])
    assert _offered(client.get(change_url(case))) == set()

    response = client.post(
        transition_url(case, "verifying"),
        {"expected_version": str(case.version), "reason": "Synthetic"},
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_caseworker_still_makes_the_other_moves(client, people, cases):
    case = cases["own"]
    case.refresh_from_db()

    response = _as(client, people["caseworker"]).post(
        transition_url(case, "verifying"), {"expected_version": str(case.version)}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.VERIFYING


@pytest.mark.parametrize(("role", "key"), [("partner", "full"), ("auditor", "own")])
def test_transition_view_is_forbidden_to_readers(client, people, cases, role, key):
    case = cases[key]

    response = _as(client, people[role]).post(
        transition_url(case, "verifying"), {"expected_version": "1"}
    )

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_transition_view_of_a_case_out_of_sight_reveals_nothing(client, people, cases):
    case = cases["foreign"]

    response = _as(client, people["caseworker"]).post(
        transition_url(case, "verifying"), {"expected_version": "1"}
    )

    assert response.status_code == 302
    assert response["Location"] == changelist_url()
    case.refresh_from_db()
    assert case.status == Status.REPORTED


# ---------------------------------------------------------------------------------------------
# Closure requests: a caseworker asks, a supervisor decides
# ---------------------------------------------------------------------------------------------
def _request_closure(client, case, **data):
    posted = {"closure_reason": "duplicate", "reason": "Synthetic: a duplicate record", **data}
    return client.post(request_closure_url(case), posted)


def test_caseworker_requests_a_closure(client, people, cases):
    case = cases["own"]
    client = _as(client, people["caseworker"])
    assert client.get(request_closure_url(case)).status_code == 200

    response = _request_closure(client, case)

    assert response.status_code == 302
    assert response["Location"] == change_url(case)
    closure = ClosureRequest.objects.get(case=case)
    assert (closure.status, closure.closure_reason) == ("pending", "duplicate")
    assert closure.requested_by == people["caseworker"]
    case.refresh_from_db()
    assert case.status == Status.REPORTED
    page = client.get(change_url(case))
    listed = page.content.decode().split('id="case-closure-requests"')[1]
    assert "Synthetic: a duplicate record" in listed
    assert decide_url(case, closure) not in listed  # the caseworker does not decide
    assert request_closure_url(case) not in page.content.decode()  # one pending at a time


def test_closure_request_needs_a_reason_and_an_explanation(client, people, cases):
    case = cases["own"]
    client = _as(client, people["caseworker"])

    response = _request_closure(client, case, closure_reason="", reason="")

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"closure_reason", "reason"}
    assert not ClosureRequest.objects.exists()


def test_second_closure_request_is_refused_with_the_services_message(client, people, cases):
    case = cases["own"]
    client = _as(client, people["caseworker"])
    _request_closure(client, case)

    response = _request_closure(client, case)

    assert response.status_code == 200
    assert "already waiting" in str(response.context["form"].non_field_errors())
    assert ClosureRequest.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(("role", "key"), [("partner", "full"), ("auditor", "own")])
def test_readers_cannot_request_a_closure(client, people, cases, role, key):
    response = _request_closure(_as(client, people[role]), cases[key])

    assert response.status_code == 403
    assert not ClosureRequest.objects.exists()


def test_supervisor_rejects_a_closure_request_with_a_note(client, people, cases):
    case = cases["own"]
    _request_closure(_as(client, people["caseworker"]), case)
    closure = ClosureRequest.objects.get(case=case)
    client = _as(client, people["supervisor"])
    page = client.get(change_url(case))
    assert decide_url(case, closure) in page.content.decode()
    assert client.get(decide_url(case, closure)).status_code == 200

    without_note = client.post(decide_url(case, closure), {"note": "", "_reject": "Reject"})
    assert without_note.status_code == 200
    assert without_note.context["form"].errors["note"]
    closure.refresh_from_db()
    assert closure.status == "pending"

    response = client.post(
        decide_url(case, closure), {"note": "Synthetic: not a duplicate", "_reject": "Reject"}
    )

    assert response.status_code == 302
    closure.refresh_from_db()
    assert (closure.status, closure.decided_by) == ("rejected", people["supervisor"])
    assert closure.decision_note == "Synthetic: not a duplicate"
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_supervisor_approves_a_closure_request_and_the_case_closes(client, people, cases):
    case = cases["own"]
    _request_closure(_as(client, people["caseworker"]), case)
    closure = ClosureRequest.objects.get(case=case)

    response = _as(client, people["supervisor"]).post(
        decide_url(case, closure), {"note": "", "_approve": "Approve"}
    )

    assert response.status_code == 302
    closure.refresh_from_db()
    assert closure.status == "approved"
    case.refresh_from_db()
    assert (case.status, case.closure_reason) == (Status.CLOSED, "duplicate")
    again = client.post(decide_url(case, closure), {"note": "", "_approve": "Approve"})
    assert again.status_code == 302
    assert any("no longer waiting" in m for m in messages_of(client.get(again["Location"])))


@pytest.mark.parametrize("role", ["caseworker", "auditor"])
def test_only_a_supervisor_decides_a_closure_request(client, people, cases, role):
    case = cases["own"]
    _request_closure(_as(client, people["caseworker"]), case)
    closure = ClosureRequest.objects.get(case=case)

    response = _as(client, people[role]).post(
        decide_url(case, closure), {"note": "", "_approve": "Approve"}
    )

    assert response.status_code == 403
    closure.refresh_from_db()
    assert closure.status == "pending"
    case.refresh_from_db()
    assert case.status == Status.REPORTED


def test_a_closure_request_is_decided_only_on_its_own_case(client, people, cases):
    _request_closure(_as(client, people["caseworker"]), cases["own"])
    closure = ClosureRequest.objects.get(case=cases["own"])

    response = _as(client, people["supervisor"]).post(
        decide_url(cases["full"], closure), {"note": "", "_approve": "Approve"}
    )

    assert response.status_code == 302
    closure.refresh_from_db()
    assert closure.status == "pending"


# ---------------------------------------------------------------------------------------------
# Shares: listed to the owning organization, made and revoked by its supervisors
# ---------------------------------------------------------------------------------------------
SHARE = {
    "scope": "limited",
    "reason": "Synthetic referral for psychological support",
    "consent_reference": "Synthetic consent 42",
}


def test_supervisor_shares_a_case(client, people, cases, partner_org):
    case = cases["own"]
    client = _as(client, people["supervisor"])
    page = client.get(change_url(case))
    assert share_url(case) in page.content.decode()
    form = client.get(share_url(case)).context["form"]
    assert partner_org in form.fields["organization"].queryset
    assert case.organization not in form.fields["organization"].queryset

    response = client.post(share_url(case), {**SHARE, "organization": str(partner_org.pk)})

    assert response.status_code == 302
    share = CaseShare.objects.get(case=case)
    assert (share.organization, share.scope, share.created_by) == (
        partner_org,
        "limited",
        people["supervisor"],
    )
    assert share.consent_reference == "Synthetic consent 42"
    assert case.number in _listed(_as(client, people["partner"]))


def test_share_with_an_expiry(client, people, cases, partner_org):
    case = cases["own"]
    expires = timezone.localtime() + dt.timedelta(days=30)

    response = _as(client, people["supervisor"]).post(
        share_url(case),
        {
            **SHARE,
            "organization": str(partner_org.pk),
            "expires_at_0": expires.date().isoformat(),
            "expires_at_1": "12:00:00",
        },
    )

    assert response.status_code == 302
    share = CaseShare.objects.get(case=case)
    assert timezone.localtime(share.expires_at).date() == expires.date()


def test_share_form_errors_come_from_the_form_and_the_service(client, people, cases, partner_org):
    case = cases["full"]  # already shared with the partner
    client = _as(client, people["supervisor"])

    empty = client.post(share_url(case), {"organization": str(partner_org.pk)})
    twice = client.post(share_url(case), {**SHARE, "organization": str(partner_org.pk)})
    past = client.post(
        share_url(cases["own"]),
        {
            **SHARE,
            "organization": str(partner_org.pk),
            "expires_at_0": "2020-01-01",
            "expires_at_1": "12:00:00",
        },
    )

    assert empty.status_code == twice.status_code == past.status_code == 200
    assert {"reason", "consent_reference"} <= set(empty.context["form"].errors)
    assert twice.context["form"].errors["organization"]
    assert past.context["form"].errors["expires_at"]
    assert CaseShare.objects.filter(case=case).count() == 1
    assert not CaseShare.objects.filter(case=cases["own"]).exists()


def test_caseworker_sees_the_shares_but_neither_shares_nor_revokes(
    client, people, cases, partner_org
):
    case = cases["limited"]
    share = CaseShare.objects.get(case=case)
    client = _as(client, people["caseworker"])

    page = client.get(change_url(case))
    shared = client.post(share_url(cases["own"]), {**SHARE, "organization": str(partner_org.pk)})
    revoked = client.post(revoke_url(case, share), {"reason": "Synthetic"})

    listed = page.content.decode().split('id="case-shares"')[1]
    assert str(partner_org) in listed
    assert "Synthetic referral" in listed
    assert "Synthetic consent 1" in listed
    assert share_url(case) not in listed
    assert revoke_url(case, share) not in listed
    assert shared.status_code == revoked.status_code == 403
    assert not CaseShare.objects.filter(case=cases["own"]).exists()
    share.refresh_from_db()
    assert share.revoked_at is None


@pytest.mark.parametrize("key", ["limited", "full"])
def test_the_organization_shared_with_never_sees_the_shares(client, people, cases, key):
    page = _as(client, people["partner"]).get(change_url(cases[key]))

    content = page.content.decode()
    assert 'id="case-shares"' not in content
    assert 'id="case-closure-requests"' not in content
    assert "Synthetic consent 1" not in content
    assert "shares" not in page.context


def test_auditor_sees_the_shares_read_only(client, people, cases):
    case = cases["limited"]
    share = CaseShare.objects.get(case=case)

    page = _as(client, people["auditor"]).get(change_url(case))

    listed = page.content.decode().split('id="case-shares"')[1]
    assert "Synthetic consent 1" in listed
    assert revoke_url(case, share) not in listed
    assert share_url(case) not in listed


def test_supervisor_revokes_a_share(client, people, cases, partner_org):
    case = cases["limited"]
    share = CaseShare.objects.get(case=case)
    client = _as(client, people["supervisor"])
    assert revoke_url(case, share) in client.get(change_url(case)).content.decode()

    empty = client.post(revoke_url(case, share), {"reason": ""})
    assert empty.status_code == 200
    assert empty.context["form"].errors["reason"]

    response = client.post(revoke_url(case, share), {"reason": "Synthetic: support ended"})

    assert response.status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None
    assert (share.revoked_by, share.revoke_reason) == (
        people["supervisor"],
        "Synthetic: support ended",
    )
    page = client.get(change_url(case)).content.decode()
    assert revoke_url(case, share) not in page
    assert "Synthetic: support ended" in page.split('id="case-shares"')[1]
    assert case.number not in _listed(_as(client, people["partner"]))


def test_revoke_of_a_share_of_another_case_is_refused(client, people, cases):
    share = CaseShare.objects.get(case=cases["limited"])

    response = _as(client, people["supervisor"]).post(
        revoke_url(cases["own"], share), {"reason": "Synthetic"}
    )

    assert response.status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is None


def test_another_organizations_supervisor_cannot_share_or_revoke(
    client, people, cases, third_org, partner_org
):
    supervisor = make_member("supervisor", third_org)
    share = CaseShare.objects.get(case=cases["limited"])
    client = _as(client, supervisor)

    shared = client.post(share_url(cases["own"]), {**SHARE, "organization": str(partner_org.pk)})
    revoked = client.post(revoke_url(cases["limited"], share), {"reason": "Synthetic"})

    # Out of sight: not found, as if the case did not exist.
    assert shared.status_code == revoked.status_code == 302
    assert shared["Location"] == changelist_url()
    assert not CaseShare.objects.filter(case=cases["own"]).exists()
    share.refresh_from_db()
    assert share.revoked_at is None


# ---------------------------------------------------------------------------------------------
# Reference data and history
# ---------------------------------------------------------------------------------------------
FACILITY = {
    "name": "Synthetic camp",
    "name_latin": "",
    "kind": "camp",
    "country": "RU",
    "region": "Synthetic region",
    "settlement": "",
    "latitude": "",
    "longitude": "",
    "notes": "",
}


def test_facility_registry_is_kept_by_those_who_write_cases(client, people, cases):
    add = reverse("admin:cases_facility_add")

    by_caseworker = _as(client, people["outsider"]).post(add, FACILITY)
    partner = _as(client, people["partner"])
    partner_list = partner.get(reverse("admin:cases_facility_changelist"))
    by_partner = partner.post(add, {**FACILITY, "name": "Another synthetic camp"})
    by_auditor = _as(client, people["auditor"]).post(add, {**FACILITY, "name": "Third camp"})
    by_coordinator = _as(client, people["coordinator"]).get(
        reverse("admin:cases_facility_changelist")
    )

    assert by_caseworker.status_code == 302
    assert partner_list.status_code == 200
    assert by_partner.status_code == by_auditor.status_code == by_coordinator.status_code == 403
    assert list(Facility.objects.values_list("name", flat=True)) == ["Synthetic camp"]


def test_status_changes_list_only_visible_cases(client, people, cases):
    response = _as(client, people["partner"]).get(reverse("admin:cases_statuschange_changelist"))

    assert response.status_code == 200
    listed = {change.case_id for change in response.context["cl"].result_list}
    assert listed == {cases["limited"].pk, cases["full"].pk}
    foreign = StatusChange.objects.get(case=cases["foreign"])
    page = client.get(reverse("admin:cases_statuschange_change", args=[foreign.pk]))
    assert page.status_code == 302


def test_status_changes_are_hidden_from_coordinators(client, people, cases):
    response = _as(client, people["coordinator"]).get(
        reverse("admin:cases_statuschange_changelist")
    )

    assert response.status_code == 403


# ---------------------------------------------------------------------------------------------
# Query counts: constant however many cases, own or shared
# ---------------------------------------------------------------------------------------------
def _more_cases(count, home, partner_org, third_org):
    for index in range(count):
        make_case()
        mine = make_case(organization=third_org)
        # The third organization refers cases to both others, alternating the scope.
        scope = "full" if index % 2 else "limited"
        _share(mine, home, scope)
        _share(mine, partner_org, scope)


def _count(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(changelist_url())
    assert response.status_code == 200
    return len(response.context["cl"].result_list), len(queries)


@pytest.mark.parametrize("role", ["caseworker", "partner", "auditor"])
def test_changelist_query_count_does_not_grow_with_cases_or_shares(
    client, people, cases, home, partner_org, third_org, role
):
    client = _as(client, people[role])
    _more_cases(3, home, partner_org, third_org)
    rows_few, queries_few = _count(client)

    _more_cases(9, home, partner_org, third_org)
    rows_many, queries_many = _count(client)

    assert rows_many > rows_few
    assert queries_many == queries_few


def test_change_page_query_count_does_not_grow_with_shares_and_requests(
    client, people, cases, home
):
    case = cases["own"]
    client = _as(client, people["supervisor"])

    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(change_url(case))
        assert response.status_code == 200
        return len(queries)

    _share(case, OrganizationFactory.create(), "full")
    services.closure_request_create(
        case_id=case.pk, actor=None, closure_reason="duplicate", reason="Synthetic"
    )
    client.get(change_url(case))  # warm per-process caches
    few = page_queries()
    for _ in range(4):
        _share(case, OrganizationFactory.create(), "limited")
    request = ClosureRequest.objects.get(case=case)
    services.closure_request_decide(
        request_id=request.pk, actor=people["supervisor"], approve=False, note="Synthetic"
    )
    services.closure_request_create(
        case_id=case.pk, actor=None, closure_reason="duplicate", reason="Synthetic again"
    )

    assert page_queries() == few

"""The caseworkers' admin: the case page (case, child, inlines), its saves through the services,
optimistic locking, the workflow's moves and the timeline. The change list is in
``test_admin_changelist.py``; who may see and do what, role by role, in ``test_admin_access.py``.

Most tests here drive the page as the system's administrator (``admin_client``, a superuser);
the home organization exists (``home``) so a new case has an owner to belong to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.services import membership_set
from cases import names, services, workflow
from cases.models import (
    Case,
    CaseNumberSequence,
    Child,
    ChildAlias,
    Facility,
    FollowUp,
    Relative,
    Service,
    StatusChange,
    Whereabouts,
)
from cases.workflow import Status
from tests.cases.admin_pages import (
    add_inline_row,
    add_url,
    change_url,
    form_data,
    form_errors,
    inline_errors,
    messages_of,
    transition_url,
)
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import FacilityFactory, make_case, make_whereabouts, move_case

NEW_CHILD = {
    "family_name": "Шевчук",
    "given_name": "Олександр",
    "patronymic": "Петрович",
    "date_of_birth": "2011-03-02",
    "date_of_birth_precision": "exact",
    "sex": "male",
    "origin_oblast": "UA-14",
    "origin_settlement": "Маріуполь",
    "parental_care": "institution",
    "pathway": "from_institution",
    "deported_on": "2022-04-10",
    "priority": "high",
}


@pytest.fixture
def case(oblasts):
    return make_case(oblast=oblasts["UA-14"], child={"given_name": "Олена", "sex": "female"})


# ---------------------------------------------------------------------------------------------
# Adding a case
# ---------------------------------------------------------------------------------------------
def test_case_add_creates_case_and_child_through_the_service(
    admin_client, admin_user, oblasts, home
):
    page = admin_client.get(add_url())
    assert page.status_code == 200
    data = {**form_data(page), **NEW_CHILD}
    add_inline_row(
        data, page, Relative, relationship="grandparent", family_name="Шевчук", given_name="Ганна"
    )

    response = admin_client.post(add_url(), data)

    assert response.status_code == 302, form_errors(response)
    case = Case.objects.select_related("child").get()
    assert case.status == Status.REPORTED
    assert case.priority == "high"
    assert case.organization == home  # the only organization: nothing to choose
    assert case.created_by == admin_user
    assert case.child.given_name_latin == "Oleksandr"
    assert case.child.family_name_latin == names.latin_kmu("Шевчук")
    assert case.child.relatives.get().relationship == "grandparent"
    opened = StatusChange.objects.get(case=case)
    assert (opened.from_status, opened.to_status, opened.actor) == ("", "reported", admin_user)


def test_case_add_latin_name_is_a_form_error_and_writes_nothing(admin_client, oblasts, home):
    page = admin_client.get(add_url())
    data = {**form_data(page), **NEW_CHILD, "given_name": "Oleksandr"}
    add_inline_row(
        data, page, Relative, relationship="mother", family_name="Шевчук", given_name="Ія"
    )

    response = admin_client.post(add_url(), data)

    assert response.status_code == 200
    errors = form_errors(response)
    assert "Ukrainian Cyrillic" in str(errors["given_name"])
    assert "Nothing was saved" in str(errors["__all__"])
    assert not Case.objects.exists()
    assert not Child.objects.exists()
    assert not Relative.objects.exists()
    assert not CaseNumberSequence.objects.filter(last__gt=0).exists()
    # The caseworker's input is kept for correction.
    assert response.context["adminform"].form["family_name"].value() == "Шевчук"


def test_case_add_without_birth_date_needs_estimated_precision(admin_client, oblasts, home):
    page = admin_client.get(add_url())
    data = {**form_data(page), **NEW_CHILD, "date_of_birth": ""}

    response = admin_client.post(add_url(), data)

    assert response.status_code == 200
    assert "estimated" in str(form_errors(response)["date_of_birth_precision"])
    assert not Child.objects.exists()


def test_case_add_by_a_member_of_one_organization_needs_no_choice(client, user, home, oblasts):
    client.force_login(user)
    page = client.get(add_url())
    field = page.context["adminform"].form.fields["organization"]
    assert field.widget.is_hidden
    assert list(field.queryset) == [home]

    response = client.post(add_url(), {**form_data(page), **NEW_CHILD})

    assert response.status_code == 302, form_errors(response)
    case = Case.objects.get()
    assert (case.organization, case.created_by) == (home, user)


def test_case_add_with_several_organizations_asks_which_owns_the_case(admin_client, oblasts, home):
    other = OrganizationFactory.create(name="Synthetic second organization")
    page = admin_client.get(add_url())
    field = page.context["adminform"].form.fields["organization"]
    assert not field.widget.is_hidden
    assert set(field.queryset) == {home, other}

    missing = admin_client.post(add_url(), {**form_data(page), **NEW_CHILD})

    assert missing.status_code == 200
    assert "organization" in form_errors(missing)
    assert not Case.objects.exists()
    chosen = admin_client.post(
        add_url(), {**form_data(page), **NEW_CHILD, "organization": str(other.pk)}
    )
    assert chosen.status_code == 302, form_errors(chosen)
    assert Case.objects.get().organization == other


def test_case_add_offers_only_organizations_the_user_opens_cases_for(client, home, oblasts):
    second = OrganizationFactory.create(name="Synthetic second organization")
    elsewhere = OrganizationFactory.create(name="Synthetic elsewhere")
    caseworker = make_member("caseworker", home)
    membership_set(user=caseworker, organization=second, role="caseworker")
    client.force_login(caseworker)
    page = client.get(add_url())
    assert set(page.context["adminform"].form.fields["organization"].queryset) == {home, second}

    response = client.post(
        add_url(), {**form_data(page), **NEW_CHILD, "organization": str(elsewhere.pk)}
    )

    assert response.status_code == 200
    assert "organization" in form_errors(response)
    assert not Case.objects.exists()


# ---------------------------------------------------------------------------------------------
# Changing a case and its child
# ---------------------------------------------------------------------------------------------
def test_case_change_page_shows_child_fields_and_latin_forms_read_only(admin_client, case):
    response = admin_client.get(change_url(case))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form["given_name"].value() == "Олена"
    assert form["expected_version"].value() == 1
    assert "given_name_latin" not in form.fields
    assert "status" not in form.fields
    content = response.content.decode()
    assert "Olena" in content
    assert case.child.family_name_latin in content


def test_case_change_updates_case_and_child_and_rederives_latin(admin_client, case):
    page = admin_client.get(change_url(case))
    data = {
        **form_data(page),
        "given_name": "Ярина",
        "priority": "urgent",
        "circumstances": "Вивезена з табору (синтетичні дані).",
    }

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 302, form_errors(response)
    case.refresh_from_db()
    child = Child.objects.get(pk=case.child_id)
    assert case.priority == "urgent"
    assert case.version == 2
    assert child.given_name == "Ярина"
    assert child.given_name_latin == "Yaryna"
    assert "yaryna" in child.search_text.split()
    assert "olena" not in child.search_text.split()


def test_case_change_without_changes_keeps_version(admin_client, case):
    page = admin_client.get(change_url(case))

    response = admin_client.post(change_url(case), form_data(page))

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.version == 1


def test_case_change_over_a_newer_version_is_refused(admin_client, case):
    page = admin_client.get(change_url(case))
    # Someone else saves the case after the page was opened.
    services.case_update(case=case, actor=None, data={"priority": "low"})
    data = {**form_data(page), "priority": "urgent", "given_name": "Ярина"}

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 200
    assert "changed by someone else" in str(form_errors(response)["__all__"])
    case.refresh_from_db()
    assert case.priority == "low"
    assert case.version == 2
    assert Child.objects.get(pk=case.child_id).given_name == "Олена"


def test_case_change_without_version_is_refused(admin_client, case):
    page = admin_client.get(change_url(case))
    data = {**form_data(page), "priority": "urgent"}
    del data["expected_version"]

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.priority == "normal"


def test_case_change_birth_after_deportation_is_a_field_error(admin_client, case):
    page = admin_client.get(change_url(case))
    data = {**form_data(page), "deported_on": "2010-01-01"}

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 200
    assert "before being born" in str(form_errors(response)["deported_on"])
    case.refresh_from_db()
    assert case.deported_on == dt.date(2022, 6, 1)


# ---------------------------------------------------------------------------------------------
# Inlines: aliases, relatives, whereabouts, services, follow-ups
# ---------------------------------------------------------------------------------------------
def test_case_inline_relative_and_whereabouts_are_added_through_services(
    admin_client, admin_user, case
):
    earlier = make_whereabouts(case, from_date=dt.date(2022, 7, 1))
    facility = FacilityFactory.create(country="KP", latitude="38.9", longitude="127.5")
    page = admin_client.get(change_url(case))
    data = form_data(page)
    add_inline_row(
        data,
        page,
        Relative,
        relationship="mother",
        family_name="Коваль",
        given_name="Марія",
        consent_to_share=True,
        consent_recorded_on="2024-02-01",
    )
    add_inline_row(
        data,
        page,
        Whereabouts,
        from_date="2023-08-01",
        facility=facility.pk,
        country="KP",
        source_description="Synthetic camp listing",
    )

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 302, (form_errors(response), inline_errors(response, Relative))
    relative = Relative.objects.get(child=case.child)
    assert (relative.given_name, relative.consent_to_share) == ("Марія", True)
    child = Child.objects.get(pk=case.child_id)
    latest = Whereabouts.objects.exclude(pk=earlier.pk).get(child=child)
    assert child.current_whereabouts_id == latest.pk
    assert latest.recorded_by == admin_user
    page = admin_client.get(change_url(case))
    assert "North Korea" in page.content.decode()


def test_case_inline_changes_and_deletes_go_through_services(admin_client, case):
    old = make_whereabouts(case, from_date=dt.date(2022, 7, 1))
    newer = make_whereabouts(case, from_date=dt.date(2023, 1, 1), country="BY")
    relative = services.relative_create(
        child=case.child,
        actor=None,
        data={"relationship": "father", "family_name": "Коваль", "given_name": "Іван"},
    )
    page = admin_client.get(change_url(case))
    data = form_data(page)
    data["relatives-0-phone"] = "+380 00 111 2222"
    rows = {data[f"whereabouts-{i}-id"]: i for i in range(2)}
    data[f"whereabouts-{rows[str(newer.pk)]}-DELETE"] = "on"

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 302, inline_errors(response, Whereabouts)
    relative.refresh_from_db()
    assert relative.phone == "+380 00 111 2222"
    assert not Whereabouts.objects.filter(pk=newer.pk).exists()
    assert Child.objects.get(pk=case.child_id).current_whereabouts_id == old.pk


def test_case_failing_inline_rolls_back_the_whole_save(admin_client, case):
    page = admin_client.get(change_url(case))
    data = {**form_data(page), "priority": "urgent", "given_name": "Ярина"}
    add_inline_row(
        data, page, Relative, relationship="aunt_uncle", family_name="Коваль", given_name="Ірина"
    )
    future = services.today() + dt.timedelta(days=30)
    row = add_inline_row(
        data, page, Whereabouts, from_date=future, country="RU", source_description="Synthetic"
    )

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 200
    errors = inline_errors(response, Whereabouts)
    index = int(row.rsplit("-", 1)[1])
    assert "future" in str(errors[index]["from_date"])
    assert "Nothing was saved" in str(form_errors(response)["__all__"])
    case.refresh_from_db()
    assert (case.priority, case.version) == ("normal", 1)
    assert Child.objects.get(pk=case.child_id).given_name == "Олена"
    assert not Relative.objects.exists()
    assert not Whereabouts.objects.exists()


def test_case_inline_alias_is_added_and_removed_and_search_follows(admin_client, case):
    page = admin_client.get(change_url(case))
    data = form_data(page)
    data["aliases-0-name"] = "Алёна Ковалёва"
    data["aliases-0-kind"] = "changed"
    data["aliases-0-seen_in"] = "Synthetic adoption listing"

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 302, inline_errors(response, ChildAlias)
    alias = ChildAlias.objects.get(child=case.child)
    assert alias.kind == "changed"
    alias_key = names.search_form("Ковалёва")  # the alias's own word, as search keys hold it
    assert alias_key in Child.objects.get(pk=case.child_id).search_text.split()

    page = admin_client.get(change_url(case))
    data = form_data(page)
    assert "aliases-0-name" not in data  # a recorded alias is read-only
    data["aliases-0-DELETE"] = "on"
    response = admin_client.post(change_url(case), data)

    assert response.status_code == 302
    assert not ChildAlias.objects.exists()
    assert alias_key not in Child.objects.get(pk=case.child_id).search_text.split()


def test_case_inline_services_and_follow_ups(admin_client, admin_user, case):
    page = admin_client.get(change_url(case))
    data = form_data(page)
    add_inline_row(
        data, page, Service, kind="psychological", status="active", started_on="2024-02-01"
    )
    add_inline_row(data, page, FollowUp, due_on="2024-03-01", notes="Synthetic check")

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 302, inline_errors(response, Service)
    service = Service.objects.get(case=case)
    assert (service.kind, service.status) == ("psychological", "active")
    follow_up = FollowUp.objects.get(case=case)
    assert follow_up.completed_on is None

    page = admin_client.get(change_url(case))
    data = form_data(page)
    data["services-0-status"] = "completed"
    data["services-0-ended_on"] = "2024-03-01"
    data["follow_ups-0-completed_on"] = "2024-03-02"
    data["follow_ups-0-outcome"] = "well"
    response = admin_client.post(change_url(case), data)

    assert response.status_code == 302, inline_errors(response, FollowUp)
    service.refresh_from_db()
    follow_up.refresh_from_db()
    assert (service.status, service.ended_on) == ("completed", dt.date(2024, 3, 1))
    assert (follow_up.outcome, follow_up.completed_by) == ("well", admin_user)


def test_case_inline_follow_up_needs_an_outcome_to_complete(admin_client, case):
    services.follow_up_create(case=case, actor=None, due_on=dt.date(2024, 3, 1))
    page = admin_client.get(change_url(case))
    data = {**form_data(page), "follow_ups-0-completed_on": "2024-03-02"}

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 200
    assert inline_errors(response, FollowUp)[0]
    assert FollowUp.objects.get().completed_on is None


# ---------------------------------------------------------------------------------------------
# The workflow: offered moves, performing them, guards
# ---------------------------------------------------------------------------------------------
PATHS = {
    Status.REPORTED: (),
    Status.LOCATED: ("verifying", "searching", "located"),
    Status.RETURN_IN_PROGRESS: ("verifying", "searching", "located", "return_in_progress"),
    Status.INTEGRATION: (
        "verifying",
        "searching",
        "located",
        "return_in_progress",
        "returned",
        "rehabilitation",
        "integration",
    ),
    Status.CLOSED: ("closed",),
}


@pytest.mark.parametrize("status", list(PATHS))
def test_case_change_page_offers_only_allowed_transitions(
    admin_client, case, status, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = move_case(case, *PATHS[status])

    response = admin_client.get(change_url(case))

    allowed = {t.target for t in workflow.transitions_from(status)}
    offered = {move["target"] for move in response.context["transitions"]}
    assert offered == allowed
    content = response.content.decode()
    for target in Status.values:
        assert (transition_url(case, target) in content) == (target in allowed)


def test_case_transition_page_asks_for_the_guard_fields(admin_client, case):
    case = move_case(case, "verifying", "searching", "located", "return_in_progress")

    back = admin_client.get(transition_url(case, "located"))
    forward = admin_client.get(transition_url(case, "returned"))
    close = admin_client.get(transition_url(case, "closed"))

    assert back.context["form"].fields["reason"].required
    assert "returned_on" in forward.context["form"].fields
    assert not forward.context["form"].fields["reason"].required
    assert "closure_reason" in close.context["form"].fields


def test_case_transition_moves_the_case(admin_client, admin_user, case):
    response = admin_client.post(
        transition_url(case, "verifying"), {"expected_version": "1", "reason": "Synthetic note"}
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(case)
    case.refresh_from_db()
    assert (case.status, case.version) == ("verifying", 2)
    change = StatusChange.objects.filter(case=case).latest("case_version")
    assert (change.to_status, change.actor, change.reason) == (
        "verifying",
        admin_user,
        "Synthetic note",
    )
    page = admin_client.get(response["Location"])
    assert any("Verifying" in m for m in messages_of(page))


def test_case_transition_to_returned_schedules_follow_ups(
    admin_client, case, django_capture_on_commit_callbacks
):
    case = move_case(case, "verifying", "searching", "located", "return_in_progress")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            transition_url(case, "returned"),
            {"expected_version": str(case.version), "returned_on": "2024-05-01"},
        )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.returned_on) == ("returned", dt.date(2024, 5, 1))
    assert case.follow_ups.count() == 3


@pytest.mark.parametrize(
    ("target", "posted", "field", "message"),
    [
        ("returned", {}, "returned_on", "required"),
        ("returned", {"returned_on": "2021-01-01"}, "returned_on", "before the date"),
        ("located", {}, "reason", "required"),
        ("closed", {"closure_reason": ""}, "closure_reason", "required"),
    ],
)
def test_case_transition_guard_failure_is_a_form_error(
    admin_client, case, target, posted, field, message
):
    case = move_case(case, "verifying", "searching", "located", "return_in_progress")

    response = admin_client.post(
        transition_url(case, target), {"expected_version": str(case.version), **posted}
    )

    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    case.refresh_from_db()
    assert case.status == "return_in_progress"


def test_case_transition_service_guard_error_lands_on_its_field(admin_client, case):
    case = move_case(case, "verifying", "searching", "located", "return_in_progress")
    tomorrow = services.today() + dt.timedelta(days=2)

    response = admin_client.post(
        transition_url(case, "returned"),
        {"expected_version": str(case.version), "returned_on": tomorrow.isoformat()},
    )

    assert response.status_code == 200
    assert "future" in str(response.context["form"].errors["returned_on"])


@pytest.mark.parametrize("target", ["returned", "integration", "nonsense"])
def test_case_forbidden_transition_posted_by_hand_is_a_message(admin_client, case, target):
    response = admin_client.post(transition_url(case, target), {"expected_version": "1"})

    assert response.status_code == 302
    assert response["Location"] == change_url(case)
    page = admin_client.get(response["Location"])
    assert any("does not allow" in m for m in messages_of(page))
    case.refresh_from_db()
    assert case.status == "reported"


def test_case_transition_over_a_newer_version_is_refused(admin_client, case):
    services.case_update(case=case, actor=None, data={"priority": "low"})

    response = admin_client.post(transition_url(case, "verifying"), {"expected_version": "1"})

    assert response.status_code == 200
    assert "changed by someone else" in str(response.context["form"].non_field_errors())
    case.refresh_from_db()
    assert case.status == "reported"


def test_case_status_is_never_an_editable_field(admin_client, case):
    page = admin_client.get(change_url(case))
    data = {**form_data(page), "status": "closed", "closure_reason": "duplicate"}

    response = admin_client.post(change_url(case), data)

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closure_reason) == ("reported", "")


# ---------------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------------
def test_case_timeline_is_rendered_read_only(admin_client, case):
    case = move_case(case, "verifying", "searching", "located")
    services.case_transition(
        case_id=case.pk, to="searching", actor=None, reason="Synthetic: trail went cold"
    )
    make_whereabouts(case, country="BY", from_date=dt.date(2022, 9, 1))
    services.follow_up_create(case=case, actor=None, due_on=dt.date(2024, 1, 1))

    response = admin_client.get(change_url(case))

    rows = response.context["timeline"]
    summaries = [row.summary for row in rows]
    assert "Reported → Verifying" in summaries
    assert "Located → Searching" in summaries
    assert any(row.note == "Synthetic: trail went cold" for row in rows)
    assert {row.kind for row in rows} >= {"Status", "Whereabouts", "Follow-up"}
    content = response.content.decode()
    assert 'id="case-timeline"' in content
    assert "Synthetic: trail went cold" in content
    assert "Located → Searching" in content


def test_case_timeline_shows_times_in_kyiv(admin_client, case, settings):
    settings.TIME_ZONE = "Europe/Kyiv"
    late_evening_utc = dt.datetime(2024, 1, 15, 22, 30, tzinfo=dt.UTC)
    StatusChange.objects.filter(case=case).update(changed_at=late_evening_utc)

    response = admin_client.get(change_url(case))

    timeline = response.content.decode().split('id="case-timeline"')[1]
    assert "2024-01-16 00:30" in timeline  # UTC+2 in winter
    assert "2024-01-15" not in timeline


# ---------------------------------------------------------------------------------------------
# Nothing is deleted; read-only and reference admins
# ---------------------------------------------------------------------------------------------
def test_case_cannot_be_deleted(admin_client, case):
    delete_page = admin_client.get(reverse("admin:cases_case_delete", args=[case.pk]))
    bulk = admin_client.post(
        reverse("admin:cases_case_changelist"),
        {"action": "delete_selected", "_selected_action": [case.pk], "post": "yes"},
    )
    change_page = admin_client.get(change_url(case))

    assert delete_page.status_code == 403
    assert bulk.status_code in (200, 302)
    assert Case.objects.filter(pk=case.pk).exists()
    assert Child.objects.filter(pk=case.child_id).exists()
    content = change_page.content.decode()
    assert reverse("admin:cases_case_delete", args=[case.pk]) not in content
    assert 'class="deletelink"' not in content
    changelist = admin_client.get(reverse("admin:cases_case_changelist"))
    assert "delete_selected" not in changelist.content.decode()


def test_child_has_no_admin_of_its_own(admin_client):
    from django.contrib import admin

    assert not admin.site.is_registered(Child)


def test_status_change_admin_is_read_only(admin_client, case):
    change = StatusChange.objects.get(case=case)
    listing = admin_client.get(reverse("admin:cases_statuschange_changelist"))
    add = admin_client.get(reverse("admin:cases_statuschange_add"))
    view = admin_client.get(reverse("admin:cases_statuschange_change", args=[change.pk]))
    post = admin_client.post(
        reverse("admin:cases_statuschange_change", args=[change.pk]), {"reason": "x"}
    )
    delete = admin_client.get(reverse("admin:cases_statuschange_delete", args=[change.pk]))

    assert listing.status_code == 200
    assert case.number in listing.content.decode()
    assert add.status_code == 403
    assert view.status_code == 200
    assert post.status_code == 403
    assert delete.status_code == 403


def test_oblast_admin_is_read_only(admin_client, oblasts):
    listing = admin_client.get(reverse("admin:cases_oblast_changelist"))
    add = admin_client.get(reverse("admin:cases_oblast_add"))

    assert listing.status_code == 200
    assert "UA-43" in listing.content.decode()
    assert add.status_code == 403


def test_facility_admin_saves_through_the_service(admin_client):
    url = reverse("admin:cases_facility_add")
    data = {
        "name": "Synthetic camp",
        "name_latin": "",
        "kind": "camp",
        "country": "RU",
        "region": "Synthetic region",
        "settlement": "",
        "latitude": "55.1",
        "longitude": "37.2",
        "notes": "",
    }

    created = admin_client.post(url, data)
    half = admin_client.post(url, {**data, "name": "Another", "longitude": ""})

    assert created.status_code == 302
    facility = Facility.objects.get()
    assert facility.name == "Synthetic camp"
    assert half.status_code == 200
    assert half.context["adminform"].form.errors
    assert Facility.objects.count() == 1
    changed = admin_client.post(
        reverse("admin:cases_facility_change", args=[facility.pk]), {**data, "region": "Other"}
    )
    assert changed.status_code == 302
    facility.refresh_from_db()
    assert facility.region == "Other"
    delete = admin_client.get(reverse("admin:cases_facility_delete", args=[facility.pk]))
    assert delete.status_code == 403


def test_admin_history_keeps_no_names_of_relatives_or_aliases(oblasts):
    """The admin's change messages live on after a relative or alias is removed, so the
    objects they name must not carry personal names."""
    from cases.models import ChildAlias, Relative
    from tests.factories.cases import make_case, make_relative

    case = make_case(
        oblast=oblasts["UA-14"],
        aliases=[{"name": "Вигадана Особа", "kind": "changed", "seen_in": "Synthetic"}],
    )
    relative = make_relative(case, given_name="Зоряна", family_name="Вигаданенко")
    alias = ChildAlias.objects.get(child=case.child)
    for text in (str(relative), str(alias)):
        assert "Зоряна" not in text
        assert "Вигад" not in text
    assert str(Relative.objects.get(pk=relative.pk)).endswith(f"#{relative.pk}")


def test_case_change_page_query_count_does_not_grow_with_whereabouts(admin_client, case):
    """Each whereabouts row with a facility used to cost one more query (its label)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.cases import FacilityFactory, make_whereabouts

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(change_url(case))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    first = FacilityFactory(country="RU")
    make_whereabouts(case, facility=first, country="RU", from_date=dt.date(2022, 7, 1))
    admin_client.get(change_url(case))  # warm per-process caches (content types, session)
    one_row = page_queries()
    for month in (8, 9, 10, 11):
        place = FacilityFactory(country="RU")
        make_whereabouts(case, facility=place, country="RU", from_date=dt.date(2022, month, 1))
    page = admin_client.get(change_url(case)).content.decode()
    assert first.name in page  # labels still shown
    assert page_queries() == one_row

"""The case page's summary and foldable sections, and the case's history on its own page: one
entry per change, field labels, values as people read them, local time, workflow moves, who may
read it and what it costs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.admin_history import ENTRIES_PER_PAGE
from tests.cases.admin_pages import change_url, form_data
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import make_case, make_relative, make_whereabouts

pytestmark = pytest.mark.django_db


def history_url(case) -> str:
    return reverse("admin:cases_case_history", args=[case.pk])


@pytest.fixture
def caseworker(home):
    return make_member("caseworker", home, first_name="Ганна", last_name="Синтетична")


@pytest.fixture
def case(oblasts, caseworker):
    return make_case(
        oblast=oblasts["UA-14"],
        child={
            "family_name": "Шевчук",
            "given_name": "Олена",
            "patronymic": "Петрівна",
            # Mariupol, about 1,000 km from Moscow.
            "origin_latitude": Decimal("47.097133"),
            "origin_longitude": Decimal("37.543367"),
        },
        assignee=caseworker,
    )


def summary_of(response):
    return response.context["case_summary"]


# ---------------------------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------------------------
def test_case_page_summary_names_the_child_status_moves_owner_assignee_and_place(
    client, user, case, caseworker
):
    make_whereabouts(
        case,
        country="RU",
        settlement="Москва",
        latitude=Decimal("55.755826"),
        longitude=Decimal("37.617300"),
        from_date=dt.date(2022, 7, 1),
    )
    client.force_login(user)

    response = client.get(change_url(case))

    summary = summary_of(response)
    assert (summary.family_name, summary.given_name) == ("Шевчук", "Олена")
    assert summary.full_name_latin == "Shevchuk Olena Petrivna"
    assert str(summary.status_label) == "Reported"
    assert [str(move.target_label) for move in summary.moves] == ["Verifying", "Closed"]
    assert summary.organization == "Synthetic home organization"
    assert summary.assignee == str(caseworker)
    assert summary.whereabouts == "Москва, Russia, since 2022-07-01"
    assert summary.distance == "963 km from home"
    content = response.content.decode()
    top = content.split('class="module case-summary"')[1].split("</section>")[0]
    for text in ("Шевчук Олена Петрівна", "Shevchuk Olena Petrivna", "Reported", "Verifying"):
        assert text in top
    assert "963 km from home" in top
    assert reverse("admin:cases_case_transition", args=[case.pk, "verifying"]) in top
    assert history_url(case) in top


def test_case_page_summary_says_the_distance_is_unknown_without_coordinates(client, user, case):
    make_whereabouts(case, country="BY", from_date=dt.date(2022, 9, 1))
    client.force_login(user)

    summary = summary_of(client.get(change_url(case)))

    assert summary.distance == (
        "unknown: the coordinates of home or of the current place are missing"
    )


def test_case_page_summary_without_whereabouts_says_so(client, user, case):
    client.force_login(user)

    summary = summary_of(client.get(change_url(case)))

    assert summary.whereabouts == "unknown"
    assert summary.distance == "unknown: no whereabouts recorded"


def test_case_page_summary_of_a_reader_names_the_next_statuses_without_links(client, home, case):
    reader = make_member("auditor")
    client.force_login(reader)

    summary = summary_of(client.get(change_url(case)))

    assert summary.moves == []
    assert [str(s) for s in summary.next_statuses] == ["Verifying", "Closed"]


# ---------------------------------------------------------------------------------------------
# The sections
# ---------------------------------------------------------------------------------------------
SECTIONS = [
    "case",
    "identity",
    "taking",
    "whereabouts",
    "relatives",
    "documents",
    "services",
    "shares",
    "timeline",
]


def test_case_page_shows_every_section_folded(client, user, case):
    make_relative(case)
    client.force_login(user)

    response = client.get(change_url(case))

    keys = [section.key for section in response.context["case_sections"]]
    assert keys == SECTIONS
    content = response.content.decode()
    for key in SECTIONS:
        assert f'<details class="case-section" id="case-section-{key}">' in content
    relatives = next(s for s in response.context["case_sections"] if s.key == "relatives")
    assert relatives.count == 1
    # Every field and inline of the form is still on the page, once.
    assert content.count('name="relatives-TOTAL_FORMS"') == 1
    assert content.count('name="expected_version"') == 1
    assert 'name="family_name"' in content


def test_case_page_opens_the_section_holding_an_error(client, user, case):
    client.force_login(user)
    page = client.get(change_url(case))
    data = form_data(page)
    data["deported_on"] = "not a date"

    response = client.post(change_url(case), data)

    assert response.status_code == 200
    opened = [s.key for s in response.context["case_sections"] if s.has_errors]
    assert opened == ["taking"]
    assert 'id="case-section-taking" open data-errors="1"' in response.content.decode()


def test_case_add_page_keeps_the_plain_form(client, user, oblasts):
    client.force_login(user)

    response = client.get(reverse("admin:cases_case_add"))

    assert "case_sections" not in response.context
    assert 'class="case-section"' not in response.content.decode()


# ---------------------------------------------------------------------------------------------
# The history page
# ---------------------------------------------------------------------------------------------
def test_history_entries_read_with_labels_human_values_and_moves(
    client, user, case, settings, monkeypatch
):
    settings.TIME_ZONE = "Europe/Kyiv"
    partner = OrganizationFactory.create(name="Synthetic partner organization")
    services.case_update(
        case=case,
        actor=user,
        data={"priority": "high", "russian_citizenship_imposed": True},
    )
    services.case_update(case=case, actor=user, data={"deported_on": dt.date(2022, 5, 3)})
    # The move late in the evening by UTC: past midnight in Kyiv.
    with monkeypatch.context() as frozen:
        late = dt.datetime(2024, 1, 15, 22, 30, tzinfo=dt.UTC)
        frozen.setattr("django.utils.timezone.now", lambda: late)
        services.case_transition(
            case_id=case.pk, to="verifying", actor=user, reason="Synthetic: a witness called"
        )
    services.case_share_create(
        case=case,
        actor=user,
        organization=partner,
        scope="full",
        reason="Synthetic search help",
        consent_reference="SYN-1",
    )
    relative = make_relative(case)
    services.relative_delete(relative=relative, actor=user)
    client.force_login(user)

    response = client.get(history_url(case))

    assert response.status_code == 200
    entries = response.context["entries"]
    by_label: dict[str, Any] = {}  # each field's latest change
    for entry in entries:
        if entry.event.object_type == "cases.case":
            for change in entry.changes:
                by_label.setdefault(change.label, change)
    assert by_label["Priority"].before == "Normal"
    assert by_label["Priority"].after == "High"
    assert by_label["Russian citizenship imposed"].after == "yes"
    assert by_label["Russian citizenship imposed"].before == "no"
    assert by_label["Date taken"].after == "2022-05-03"
    assert "Version" not in by_label
    move = next(entry for entry in entries if entry.move)
    assert move.move == "Reported → Verifying"
    assert move.reason == "Synthetic: a witness called"
    assert any(c.label == "Status" and c.after == "Verifying" for c in move.changes)
    assert move.actor == user.username
    share = next(e for e in entries if e.event.object_type == "cases.caseshare")
    shared_with = next(c for c in share.changes if c.label == "Shared with")
    assert shared_with.after == str(partner)  # its name, not its id
    relative_events = [e for e in entries if e.event.object_type == "cases.relative"]
    assert [e.event.action for e in relative_events] == ["delete", "create"]
    content = response.content.decode()
    assert "2024-01-16 00:30" in content
    assert "2024-01-15" not in content
    assert "russian_citizenship_imposed" not in content
    assert f"<td>{partner}</td>" in content


def test_history_pages_through_the_entries(client, user, case):
    for n in range(ENTRIES_PER_PAGE + 2):
        services.case_update(case=case, actor=user, data={"deported_from": f"Synthetic place {n}"})
    client.force_login(user)

    first = client.get(history_url(case))
    second = client.get(history_url(case), {"page": "2"})

    assert len(first.context["entries"]) == ENTRIES_PER_PAGE
    assert second.status_code == 200
    # The creation of the case and of its child are the oldest.
    assert {e.event.action for e in second.context["entries"]} >= {"create"}
    assert 'rel="next"' in first.content.decode()


@pytest.mark.parametrize(
    "query", [{"page": "9"}, {"page": "x"}, {"page": "²"}, {"page": "٣"}, {"sort": "at"}]
)
def test_history_refuses_unknown_parameters_and_pages(client, user, case, query):
    client.force_login(user)

    response = client.get(history_url(case), query)

    assert response.status_code == 400
    assert ("page" if "page" in query else "sort") in response.content.decode()


def test_history_of_a_case_out_of_sight_is_not_found(client, case):
    elsewhere = make_member("supervisor", OrganizationFactory.create())
    client.force_login(elsewhere)

    assert client.get(history_url(case)).status_code == 404


def test_history_is_refused_to_an_organization_the_case_is_shared_with(client, user, case):
    partner = OrganizationFactory.create()
    services.case_share_create(
        case=case,
        actor=user,
        organization=partner,
        scope="full",
        reason="Synthetic",
        consent_reference="SYN-2",
    )
    reader = make_member("caseworker", partner)
    client.force_login(reader)

    page = client.get(change_url(case))

    assert page.status_code == 200
    assert history_url(case) not in page.content.decode()
    assert client.get(history_url(case)).status_code == 403


def test_history_query_count_does_not_grow_with_the_records(client, user, case):
    client.force_login(user)
    client.get(history_url(case))  # warm per-process caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(history_url(case)).status_code == 200
        return len(ctx.captured_queries)

    make_relative(case)
    make_whereabouts(case, country="RU", from_date=dt.date(2022, 7, 1))
    few = queries()
    for n in range(5):
        make_relative(case)
        make_whereabouts(case, country="RU", from_date=dt.date(2022, 8, n + 1))
        services.case_update(case=case, actor=user, data={"deported_from": f"Synthetic {n}"})

    assert queries() == few


def test_case_page_query_count_stays_flat_with_sections(client, user, case):
    client.force_login(user)
    client.get(change_url(case))

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(change_url(case)).status_code == 200
        return len(ctx.captured_queries)

    make_relative(case)
    make_whereabouts(case, country="RU", from_date=dt.date(2022, 6, 1))
    one = queries()
    for _n in range(4):
        make_relative(case)
        make_whereabouts(case, country="RU", from_date=dt.date(2022, 7, 1))

    assert queries() == one


def test_history_in_ukrainian_shows_dates_in_the_ukrainian_format(client, user, case):
    services.case_update(case=case, actor=user, data={"deported_on": dt.date(2022, 5, 3)})
    client.force_login(user)

    response = client.get(history_url(case), HTTP_ACCEPT_LANGUAGE="uk")

    changed = next(
        c for e in response.context["entries"] for c in e.changes if c.after == "03.05.2022"
    )
    assert changed.before == "01.06.2022"
    content = response.content.decode()
    assert "2022-05-03" not in content
    assert "May 3, 2022" not in content


def test_case_page_shows_one_date_format_per_language(client, user, case):
    make_whereabouts(case, country="RU", from_date=dt.date(2022, 7, 1))
    client.force_login(user)

    english = client.get(change_url(case)).content.decode()
    ukrainian = client.get(change_url(case), HTTP_ACCEPT_LANGUAGE="uk").content.decode()

    # Typed in (the form's value) and shown (the timeline) alike.
    assert 'value="2022-07-01"' in english
    assert "2022-07-01</td>" in english
    assert "July 1, 2022" not in english
    assert 'value="01.07.2022"' in ukrainian
    assert "01.07.2022</td>" in ukrainian
    assert "2022-07-01" not in ukrainian

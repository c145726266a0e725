"""The case list at any size: no query reads the cases beyond the page and a capped count.

The filters draw their choices from small tables (organizations, members) and from the kept
``Case.current_country`` (its index), the list counts its rows up to a limit and says "more
than N" past it, and the kept country follows every way a child's whereabouts change."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case, Child
from cases.selectors_list_filters import current_country_codes
from tests.cases.admin_pages import changelist_url
from tests.factories.accounts import OrganizationFactory, make_member
from tests.factories.cases import child_data, make_case, make_whereabouts, move_case

pytestmark = pytest.mark.django_db


def _country(case: Case) -> str:
    return str(Case.objects.get(pk=case.pk).current_country)


# ---------------------------------------------------------------------------------------------
# The kept current country
# ---------------------------------------------------------------------------------------------
def test_current_country_follows_recording_changing_and_deleting_whereabouts(home: Any) -> None:
    case = make_case()
    assert _country(case) == ""

    earlier = make_whereabouts(case, country="RU", from_date=dt.date(2022, 7, 1))
    assert _country(case) == "RU"

    later = make_whereabouts(case, country="BY", from_date=dt.date(2023, 1, 1))
    assert _country(case) == "BY"

    # An older stay recorded afterwards does not move the child.
    make_whereabouts(case, country="KZ", from_date=dt.date(2021, 1, 1))
    assert _country(case) == "BY"

    # Changing a stay's country or date moves it.
    services.whereabouts_update(whereabouts=earlier, actor=None, data={"country": "GE"})
    assert _country(case) == "BY"
    services.whereabouts_update(
        whereabouts=earlier, actor=None, data={"from_date": dt.date(2024, 1, 1)}
    )
    assert _country(case) == "GE"

    # Deleting the current stay falls back to the latest left; deleting all empties it.
    services.whereabouts_delete(whereabouts=earlier, actor=None)
    assert _country(case) == "BY"
    services.whereabouts_delete(whereabouts=later, actor=None)
    assert _country(case) == "KZ"
    for stay in Child.objects.get(pk=case.child_id).whereabouts.all():
        services.whereabouts_delete(whereabouts=stay, actor=None)
    assert _country(case) == ""


def test_current_country_follows_a_merge_of_two_records_of_one_child(home: Any) -> None:
    kept = make_case(child={"family_name": "Шевчук", "given_name": "Олександр"})
    make_whereabouts(kept, country="RU", from_date=dt.date(2022, 7, 1))
    merged = make_case(child={"family_name": "Шевченко", "given_name": "Олександр"})
    make_whereabouts(merged, country="BY", from_date=dt.date(2023, 7, 1))
    move_case(merged, "closed")
    assert _country(merged) == "BY"

    services.child_merge(kept_id=kept.child_id, merged_id=merged.child_id, actor=None)

    # The kept child has the merged record's later stay now, and both cases are the kept
    # child's.
    assert _country(kept) == "BY"
    assert _country(merged) == "BY"
    kept_first = make_case(child={"family_name": "Ткачук", "given_name": "Ігор"})
    make_whereabouts(kept_first, country="KZ", from_date=dt.date(2024, 1, 1))
    later = make_case(child={"family_name": "Ткаченко", "given_name": "Ігор"})
    make_whereabouts(later, country="GE", from_date=dt.date(2022, 1, 1))
    move_case(later, "closed")

    services.child_merge(kept_id=kept_first.child_id, merged_id=later.child_id, actor=None)

    # The merged record's stay is older: the moved case takes the kept child's country.
    assert _country(kept_first) == "KZ"
    assert _country(later) == "KZ"


def test_a_new_case_for_a_known_child_starts_where_the_child_is(home: Any) -> None:
    first = make_case()
    make_whereabouts(first, country="BY", from_date=dt.date(2023, 7, 1))
    move_case(first, "closed")

    second = services.case_create(
        actor=None, child=Child.objects.get(pk=first.child_id), organization=home
    )

    assert _country(second) == "BY"
    make_whereabouts(second, country="KZ", from_date=dt.date(2024, 1, 1))
    # Every case of the child follows, the closed one too.
    assert _country(first) == "KZ"
    assert _country(second) == "KZ"


def test_current_country_is_set_by_opening_many_cases_at_once(home: Any) -> None:
    record = services.NewCaseRecord(
        child=child_data(),
        case={"deported_on": dt.date(2022, 6, 1)},
        whereabouts=[
            {"country": "RU", "from_date": dt.date(2022, 7, 1), "source_description": "synthetic"},
            {"country": "BY", "from_date": dt.date(2023, 7, 1), "source_description": "synthetic"},
        ],
        relatives=[],
        reference="",
    )

    (case,) = services.cases_create_many(
        actor=None, records=[record], organization=home, metadata={}
    )

    assert case.current_country == "BY"
    assert _country(case) == "BY"


# ---------------------------------------------------------------------------------------------
# Filter choices
# ---------------------------------------------------------------------------------------------
def _filter(response: Any, name: str) -> Any:
    for spec in response.context["cl"].filter_specs:
        if name in (getattr(spec, "parameter_name", None), getattr(spec, "field_path", None)):
            return spec
    return None


def test_country_choices_are_the_countries_children_are_in_now(home: Any) -> None:
    moved = make_case()
    make_whereabouts(moved, country="RU", from_date=dt.date(2022, 7, 1))
    make_whereabouts(moved, country="BY", from_date=dt.date(2023, 7, 1))
    other = make_case()
    make_whereabouts(other, country="KZ", from_date=dt.date(2022, 7, 1))
    make_case()  # no whereabouts: no country

    # Russia was a stay, not where a child is now.
    assert current_country_codes() == ["BY", "KZ"]


def test_country_filter_lists_by_the_kept_country(admin_client: Any, home: Any) -> None:
    in_belarus = make_case()
    make_whereabouts(in_belarus, country="RU", from_date=dt.date(2022, 7, 1))
    make_whereabouts(in_belarus, country="BY", from_date=dt.date(2023, 7, 1))

    def listed(country: str) -> set[str]:
        response = admin_client.get(changelist_url(), {"current_country": country})
        assert response.status_code == 200
        return {case.number for case in response.context["cl"].result_list}

    assert listed("BY") == {in_belarus.number}
    assert listed("RU") == set()
    response = admin_client.get(changelist_url(), {"current_country": "XX"})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.fixture
def sharing(home: Any) -> dict[str, Any]:
    """A home organization with a caseworker and a case, a partner sharing one of its cases
    with the home organization (assigned to one partner caseworker) while another partner
    caseworker holds an unshared case, and a third organization with nothing to do with it."""
    home_worker = make_member("caseworker", home, username="home-worker")
    make_case(assignee=home_worker)
    partner = OrganizationFactory.create(name="Synthetic partner NGO", short_name="SPN")
    holder = make_member("caseworker", partner, username="partner-holder")
    other = make_member("caseworker", partner, username="partner-other")
    shared = make_case(organization=partner, assignee=holder)
    services.case_share_create(
        case=shared,
        actor=make_member("supervisor", partner),
        organization=home,
        scope="full",
        reason="Synthetic: the child's family lives in the home organization's area.",
        consent_reference="SYNTHETIC-CONSENT-1",
    )
    make_case(organization=partner, assignee=other)
    unrelated = OrganizationFactory.create(name="Synthetic unrelated NGO", short_name="SUN")
    return {
        "home_worker": home_worker,
        "partner": partner,
        "holder": holder,
        "other": other,
        "unrelated": unrelated,
    }


def test_organization_and_assignee_choices_are_what_the_reader_sees(
    client: Any, home: Any, sharing: dict[str, Any]
) -> None:
    client.force_login(sharing["home_worker"])

    response = client.get(changelist_url())

    organizations = _filter(response, "organization")
    assert {pk for pk, _ in organizations.lookup_choices} == {home.pk, sharing["partner"].pk}
    assignees = _filter(response, "assignee")
    choices = {pk for pk, _ in assignees.lookup_choices}
    # The reader's colleagues and whoever holds a case shared with them; not the partner's
    # other members.
    assert sharing["home_worker"].pk in choices
    assert sharing["holder"].pk in choices
    assert sharing["other"].pk not in choices
    # The home page's links still filter.
    listed = client.get(changelist_url(), {"assignee__id__exact": sharing["holder"].pk}).context[
        "cl"
    ]
    assert [case.assignee_id for case in listed.result_list] == [sharing["holder"].pk]
    nobody = client.get(changelist_url(), {"assignee__isnull": "True"})
    assert nobody.status_code == 200
    assert list(nobody.context["cl"].result_list) == []


def test_superuser_choices_are_every_organization_and_member(
    admin_client: Any, home: Any, sharing: dict[str, Any]
) -> None:
    response = admin_client.get(changelist_url())

    organizations = {pk for pk, _ in _filter(response, "organization").lookup_choices}
    assert {home.pk, sharing["partner"].pk, sharing["unrelated"].pk} <= organizations
    assignees = {pk for pk, _ in _filter(response, "assignee").lookup_choices}
    assert {sharing["holder"].pk, sharing["other"].pk} <= assignees


def test_an_unknown_organization_id_is_refused(admin_client: Any, sharing: dict[str, Any]) -> None:
    response = admin_client.get(changelist_url(), {"organization__id__exact": "not-a-number"})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


# ---------------------------------------------------------------------------------------------
# The count
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def five_cases(home: Any) -> list[Case]:
    return [make_case() for _ in range(5)]


def test_the_list_counts_up_to_the_limit_and_says_more_than(
    admin_client: Any, settings: Any, five_cases: list[Case]
) -> None:
    settings.CASE_LIST_COUNT_LIMIT = 3

    response = admin_client.get(changelist_url())

    cl = response.context["cl"]
    assert cl.count_capped
    page = response.content.decode()
    assert "More than 3 cases" in page
    assert not re.search(r"\b5 cases\b", page)
    # Every row is still there to page through.
    assert len(cl.result_list) == 5


def test_the_count_is_exact_up_to_the_limit(
    admin_client: Any, settings: Any, five_cases: list[Case]
) -> None:
    settings.CASE_LIST_COUNT_LIMIT = 5

    response = admin_client.get(changelist_url())

    assert not response.context["cl"].count_capped
    assert re.search(r"\b5 cases\b", response.content.decode())


def test_a_capped_list_pages_past_the_limit(
    admin_client: Any, settings: Any, five_cases: list[Case], monkeypatch: Any
) -> None:
    settings.CASE_LIST_COUNT_LIMIT = 2
    from cases.admin import CaseAdmin

    monkeypatch.setattr(CaseAdmin, "list_per_page", 2)

    second = admin_client.get(changelist_url(), {"p": "2"})
    assert second.status_code == 200
    # Page 2 holds rows 3 and 4: the row past the limit is shown with its whole page.
    assert len(second.context["cl"].result_list) == 2
    assert "More than 2 cases" in second.content.decode()


def test_a_search_past_the_limit_says_more_than(
    admin_client: Any, settings: Any, home: Any
) -> None:
    settings.CASE_LIST_COUNT_LIMIT = 1
    for _ in range(3):
        make_case(child={"family_name": "Шевчук", "given_name": "Олександр"})

    response = admin_client.get(changelist_url(), {"q": "Шевчук"})

    assert "More than 1 results" in response.content.decode()


def _case_reads(queries: list[dict[str, Any]]) -> list[str]:
    table = Case._meta.db_table
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
        and f'FROM "{table}"' in q["sql"]
    ]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status__exact": "reported"},
        {"current_country": "RU"},
        {"q": "Шевчук"},
        {"_facets": "True"},
    ],
)
def test_no_read_of_the_cases_goes_unbounded(
    admin_client: Any,
    home: Any,
    sharing: dict[str, Any],
    params: dict[str, str],
    monkeypatch: Any,
) -> None:
    """Every query of the list that reads the cases is bounded by a ``LIMIT`` (the page, the
    capped count): none counts them all or lists their distinct values. (More rows than a page:
    a list that fits one page is read whole, as Django does.)"""
    from cases.admin import CaseAdmin

    monkeypatch.setattr(CaseAdmin, "list_per_page", 2)
    for _ in range(3):
        case = make_case(child={"family_name": "Шевчук", "given_name": "Олександр"})
        make_whereabouts(case, country="RU")

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(changelist_url(), params)

    assert response.status_code == 200
    reads = _case_reads(queries.captured_queries)
    assert reads
    unbounded = [sql for sql in reads if "LIMIT" not in sql.upper()]
    assert unbounded == []
    assert not [sql for sql in reads if "DISTINCT" in sql.upper() and "COUNT(" not in sql.upper()]


def test_current_country_is_set_for_synthetic_cases(home: Any, oblasts: Any) -> None:
    from demo.synthetic import synthetic_cases_generate

    synthetic_cases_generate(
        count=30, seed=5, progress=False, writers=1, organization_ids=[home.pk]
    )

    cases = list(Case.objects.select_related("child__current_whereabouts"))
    located = [case for case in cases if case.child.current_whereabouts is not None]
    assert located
    assert all(
        case.current_country == getattr(case.child.current_whereabouts, "country", None)
        for case in located
    )
    assert all(case.current_country == "" for case in cases if case not in located)


# ---------------------------------------------------------------------------------------------
# The history page
# ---------------------------------------------------------------------------------------------
@pytest.mark.postgres
def test_deleted_records_of_a_child_are_found_through_an_index(home: Any) -> None:
    """The history's look for a child's deleted records (their deletion events, by the child
    recorded in them) reads the partial index on deletion events, not every deletion event."""
    from audit.models import AuditEvent
    from audit.selectors import deleted_record_ids
    from audit.snapshots import object_type_of
    from cases.models import ChildAlias, Relative, Whereabouts

    case = make_case()
    stay = make_whereabouts(case, country="RU")
    stay_id = stay.pk
    services.whereabouts_delete(whereabouts=stay, actor=None)
    kinds = [object_type_of(m) for m in (ChildAlias, Relative, Whereabouts)]
    # Other children's deletions: many, as in a registry that has been at work for a while.
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action="delete",
            object_type=kinds[number % 3],
            object_id=str(number),
            changes={"child_id": [case.child_id + 1 + number, None]},
        )
        for number in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {AuditEvent._meta.db_table}")

    with CaptureQueriesContext(connection) as queries:
        found = deleted_record_ids(kinds, field="child_id", value=case.child_id)

    assert found == {object_type_of(Whereabouts): [str(stay_id)]}
    (read,) = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {read['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_deleted_child_record_idx" in plan


def test_the_migration_fills_the_kept_country_of_every_case_in_batches(
    home: Any, monkeypatch: Any
) -> None:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    migration = importlib.import_module("cases.migrations.0016_case_current_country")
    monkeypatch.setattr(migration, "FILL_BATCH", 2)  # several batches for a few cases
    cases = [make_case() for _ in range(5)]
    for case, country in zip(cases[:4], ["RU", "BY", "RU", "KZ"], strict=True):
        make_whereabouts(case, country=country, from_date=dt.date(2022, 7, 1))
    Case.objects.update(current_country="")  # as before the column was kept

    # The fill reads only the editor's connection (SQLite's editor cannot open in a test's
    # transaction).
    migration.current_country_fill(apps, SimpleNamespace(connection=connection))

    assert [_country(case) for case in cases] == ["RU", "BY", "RU", "KZ", ""]


def test_country_choices_beyond_a_readers_cases_only_for_who_reads_the_registrys_counts(
    home: Any,
) -> None:
    from cases.selectors_list_filters import list_filter_countries

    partner_organization = OrganizationFactory.create(kind="ngo")
    partner = make_member("partner", partner_organization)
    theirs = make_case()  # the home organization's, shared with the partner
    make_whereabouts(theirs, country="BY", from_date=dt.date(2022, 7, 1))
    services.case_share_create(
        case=theirs,
        actor=make_member("supervisor", home),
        organization=partner_organization,
        scope="limited",
        reason="Synthetic: the partner works with the family.",
        consent_reference="SYNTHETIC-CONSENT-9",
    )
    others = make_case()
    make_whereabouts(others, country="KZ", from_date=dt.date(2022, 7, 1))

    assert list_filter_countries(actor=partner) == ["BY"]
    assert list_filter_countries(actor=make_member("caseworker", home)) == ["BY", "KZ"]
    assert list_filter_countries(actor=make_member("coordinator")) == ["BY", "KZ"]

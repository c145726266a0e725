"""The status reports' API: who reads which report (others' organizations' are 404, partners
read none), small cells hidden for readers outside the organization, filters, CSV and XLSX
downloads (formula-safe, audited), issuing on demand and its errors, constant queries.
All data is synthetic."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role
from audit.models import Action, AuditEvent
from reports.exports import report_csv
from reports.models import StatusReport
from reports.periods import Period, last_complete, week_of
from reports.services.reports import report_issue
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import home_organization, make_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/"


def client_for(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def this_month_so_far() -> Period:
    today = timezone.localdate()
    return Period("custom", today.replace(day=1), today)


@pytest.fixture
def reports(db) -> dict[str, Any]:
    """Three cases of the home organization, one of another; a report of each organization
    and one of the registry, issued now (so they count today's cases)."""
    home = home_organization()
    other = OrganizationFactory.create(name="Synthetic other organization")
    for _index in range(3):
        make_case()
    make_case(organization=other)
    period = this_month_so_far()
    return {
        "home": home,
        "other": other,
        "home_report": report_issue(
            actor=None, scope="organization", organization=home, period=period
        ),
        "other_report": report_issue(
            actor=None, scope="organization", organization=other, period=period
        ),
        "registry_report": report_issue(actor=None, scope="registry", period=period),
    }


def ids(response: Any) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# ---------------------------------------------------------------------------------------------
# Who reads which report
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.CASEWORKER, {"home_report", "registry_report"}),
        (Role.SUPERVISOR, {"home_report", "registry_report"}),
        (Role.COORDINATOR, {"home_report", "other_report", "registry_report"}),
        (Role.AUDITOR, {"home_report", "other_report", "registry_report"}),
        (Role.PARTNER, set()),
    ],
)
def test_reports_list_shows_the_reports_the_role_reads(reports, role, expected):
    client = client_for(make_member(role, reports["home"]))
    response = client.get(URL)
    assert response.status_code == 200
    assert ids(response) == {reports[name].pk for name in expected}


def test_reports_detail_is_exact_for_members_and_suppressed_for_others(reports):
    caseworker = client_for(make_member(Role.CASEWORKER, reports["home"]))
    home_report = reports["home_report"]
    seen = caseworker.get(f"{URL}{home_report.pk}/").json()
    assert seen["suppressed"] is False
    assert seen["figures"]["total"] == 3
    assert seen["figures"]["by_status"]["reported"] == 3
    assert seen["organization"] == {"id": reports["home"].pk, "name": reports["home"].name}
    assert seen["issued_by"] is None
    assert set(seen) == {
        "id",
        "scope",
        "organization",
        "period",
        "period_start",
        "period_end",
        "as_of",
        "issued_at",
        "issued_by",
        "suppressed",
        "figures",
    }

    registry = caseworker.get(f"{URL}{reports['registry_report'].pk}/").json()
    assert registry["suppressed"] is True
    assert registry["figures"]["total"] == "<5"

    coordinator = client_for(make_member(Role.COORDINATOR, OrganizationFactory.create()))
    outside = coordinator.get(f"{URL}{home_report.pk}/").json()
    assert outside["suppressed"] is True
    assert outside["figures"]["total"] == "<5"
    assert outside["figures"]["by_status"]["reported"] == "<5"


def test_reports_detail_of_another_organization_is_404(reports):
    caseworker = client_for(make_member(Role.CASEWORKER, reports["home"]))
    response = caseworker.get(f"{URL}{reports['other_report'].pk}/")
    assert response.status_code == 404
    assert caseworker.get(f"{URL}{reports['other_report'].pk}/csv/").status_code == 404
    partner = client_for(make_member(Role.PARTNER, reports["home"]))
    assert partner.get(f"{URL}{reports['registry_report'].pk}/").status_code == 404


def test_reports_superuser_reads_suppressed_unless_member(reports):
    admin = UserFactory.create(is_superuser=True)
    seen = client_for(admin).get(f"{URL}{reports['home_report'].pk}/").json()
    assert seen["suppressed"] is True


# ---------------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------------
def test_reports_list_filters(reports):
    client = client_for(make_member(Role.COORDINATOR, reports["home"]))
    assert ids(client.get(URL, {"scope": "registry"})) == {reports["registry_report"].pk}
    assert ids(client.get(URL, {"organization": reports["other"].pk})) == {
        reports["other_report"].pk
    }
    assert ids(client.get(URL, {"period": "week"})) == set()
    start = reports["home_report"].period_start
    assert len(ids(client.get(URL, {"period_start_after": start.isoformat()}))) == 3
    assert ids(client.get(URL, {"period_start_before": start.isoformat()})) == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"scope": "nation"}, "scope"),
        ({"organization": "abc"}, "organization"),
        ({"period": "year"}, "period"),
        ({"period_start_after": "soon"}, "period_start_after"),
        ({"colour": "red"}, "colour"),
        ({"scope": ""}, "scope"),
    ],
)
def test_reports_list_refuses_unknown_parameters_and_values(reports, params, field):
    client = client_for(make_member(Role.COORDINATOR, reports["home"]))
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_reports_list_takes_the_same_queries_for_few_and_many(reports, django_assert_num_queries):
    client = client_for(make_member(Role.COORDINATOR, reports["home"]))
    client.get(URL)  # warm the per-user caches

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for index in range(12):
        organization = OrganizationFactory.create(name=f"Synthetic organization {index}")
        make_case(organization=organization)
        report_issue(
            actor=None,
            scope="organization",
            organization=organization,
            period=this_month_so_far(),
        )
    assert count() == few


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------
def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_reports_csv_is_the_figures_as_seen_and_is_audited(reports):
    member = make_member(Role.CASEWORKER, reports["home"])
    report = reports["home_report"]
    response = client_for(member).get(f"{URL}{report.pk}/csv/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"organization-{reports['home'].pk}" in disposition
    assert report.period_start.isoformat() in disposition
    rows = _csv_rows(response.content.decode())
    assert rows[0] == ["section", "key", "subkey", "value"]
    assert ["report", "total", "", "3"] in rows
    assert ["by_status", "reported", "", "3"] in rows
    assert ["report", "suppressed", "", "False"] in rows
    assert AuditEvent.objects.filter(
        action=Action.DOWNLOAD, object_id=str(report.pk), actor=member
    ).exists()

    outsider = make_member(Role.COORDINATOR, OrganizationFactory.create())
    rows = _csv_rows(client_for(outsider).get(f"{URL}{report.pk}/csv/").content.decode())
    assert ["report", "total", "", "<5"] in rows
    assert ["by_status", "reported", "", "<5"] in rows


def test_reports_xlsx_holds_the_same_rows(reports):
    member = make_member(Role.CASEWORKER, reports["home"])
    report = reports["home_report"]
    response = client_for(member).get(f"{URL}{report.pk}/xlsx/")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["section", "key", "subkey", "value"]
    assert ["report", "total", None, 3] in rows
    assert len(rows) == len(
        _csv_rows(client_for(member).get(f"{URL}{report.pk}/csv/").content.decode())
    )


def test_reports_downloads_are_formula_safe(reports):
    from sources.figures import figure_record

    figure_record(
        actor=None,
        data={
            "metric": "deported",
            "description": "children deported",
            "value": 10,
            "as_of": timezone.localdate().replace(day=1),
            "claimant": '=HYPERLINK("http://example.org","x")',
        },
    )
    report = report_issue(actor=None, scope="registry", period=this_month_so_far())
    client = client_for(make_member(Role.COORDINATOR, reports["home"]))
    rows = _csv_rows(client.get(f"{URL}{report.pk}/csv/").content.decode())
    claimant = [row for row in rows if row[0] == "published_figures" and row[2] == "claimant"]
    assert claimant == [
        ["published_figures", "1", "claimant", '\'=HYPERLINK("http://example.org","x")']
    ]
    sheet = load_workbook(io.BytesIO(client.get(f"{URL}{report.pk}/xlsx/").content)).active
    cells = [row[3] for row in sheet.iter_rows(values_only=False) if row[2].value == "claimant"]
    assert cells[0].data_type == "s"
    assert str(cells[0].value).startswith("'=")


def test_report_csv_is_a_pure_function_of_the_figures():
    text = report_csv({"total": 7, "by_status": {"reported": "<5"}, "coalition": None})
    assert text == ("section,key,subkey,value\r\nreport,total,,7\r\nby_status,reported,,<5\r\n")


# ---------------------------------------------------------------------------------------------
# Issuing on demand
# ---------------------------------------------------------------------------------------------
def test_reports_post_issues_a_report(reports):
    supervisor = make_member(Role.SUPERVISOR, reports["home"])
    week = last_complete("week", timezone.localdate())
    response = client_for(supervisor).post(
        URL,
        {
            "scope": "organization",
            "organization": reports["home"].pk,
            "period": "week",
            "period_start": week.start.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["period_end"] == week.end.isoformat()
    assert body["issued_by"] == supervisor.username
    assert body["suppressed"] is False
    assert response["Location"].endswith(f"{URL}{body['id']}/")
    again = client_for(supervisor).post(
        URL,
        {
            "scope": "organization",
            "organization": reports["home"].pk,
            "period": "week",
            "period_start": week.start.isoformat(),
        },
        format="json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "report_exists"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "registry", "period": "week", "period_start": "2026-11-03"}, "period_start"),
        ({"scope": "registry", "period": "custom", "period_start": "2026-11-03"}, "period_end"),
        (
            {
                "scope": "registry",
                "period": "custom",
                "period_start": "2026-11-10",
                "period_end": "2026-11-01",
            },
            "period_end",
        ),
        ({"scope": "registry", "period": "month", "period_start": "2999-01-01"}, "period_start"),
        ({"scope": "registry", "period": "fortnight", "period_start": "2026-11-02"}, "period"),
        ({"scope": "organization", "period": "week", "period_start": "2026-11-02"}, "organization"),
        (
            {
                "scope": "organization",
                "organization": 999999,
                "period": "week",
                "period_start": "2026-11-02",
            },
            "organization",
        ),
        ({"scope": "registry", "period": "week", "period_start": "2026-11-02", "x": 1}, "x"),
    ],
)
def test_reports_post_refuses_naming_the_field(reports, body, field):
    coordinator = make_member(Role.COORDINATOR, reports["home"])
    response = client_for(coordinator).post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]


def test_reports_post_by_a_role_that_does_not_issue_is_403(reports):
    caseworker = make_member(Role.CASEWORKER, reports["home"])
    week = week_of(timezone.localdate() - dt.timedelta(days=7))
    response = client_for(caseworker).post(
        URL,
        {
            "scope": "organization",
            "organization": reports["home"].pk,
            "period": "week",
            "period_start": week.start.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "report_issue_denied"
    assert not StatusReport.objects.filter(period="week").exists()

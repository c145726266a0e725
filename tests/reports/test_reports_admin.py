"""Status reports in the admin: the list shows only the reports the user reads, the report
page shows the figures as the user may see them (tables, bar charts drawn on the server, no
script), downloads are audited, and the issue form issues for those who may.
All data is synthetic."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import Action, AuditEvent
from reports.models import StatusReport
from reports.periods import Period, last_complete
from reports.services.reports import report_issue
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import home_organization, make_case

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:reports_statusreport_changelist")
ISSUE = reverse("admin:reports_statusreport_issue")


def page(report: StatusReport) -> str:
    return reverse("admin:reports_statusreport_change", args=[report.pk])


@pytest.fixture
def reports(db) -> dict[str, Any]:
    home = home_organization()
    other = OrganizationFactory.create(name="Synthetic other organization")
    for _index in range(3):
        make_case()
    make_case(organization=other)
    today = timezone.localdate()
    period = Period("custom", today.replace(day=1), today)
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


def test_admin_list_shows_only_the_reports_the_user_reads(client, reports):
    client.force_login(make_member(Role.CASEWORKER, reports["home"]))
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    assert shown == {reports["home_report"].pk, reports["registry_report"].pk}
    assert "Issue a report" not in response.content.decode()


def test_admin_list_offers_the_issue_form_to_supervisors(client, reports):
    client.force_login(make_member(Role.SUPERVISOR, reports["home"]))
    assert "Issue a report" in client.get(CHANGELIST).content.decode()


def test_admin_partner_is_refused(client, reports):
    client.force_login(make_member(Role.PARTNER, reports["home"]))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(page(reports["registry_report"])).status_code == 403


def test_admin_report_page_is_exact_for_members(client, reports):
    client.force_login(make_member(Role.CASEWORKER, reports["home"]))
    response = client.get(page(reports["home_report"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert '<td id="report-total">3</td>' in text
    assert "<svg" in text
    # The admin's own static scripts only: nothing inline, nothing from elsewhere.
    assert not re.search(r'<script(?![^>]*\bsrc="/static/)', text)
    assert "Exact counts" in text
    assert reverse("admin:reports_statusreport_csv", args=[reports["home_report"].pk]) in text
    assert reverse("admin:reports_statusreport_xlsx", args=[reports["home_report"].pk]) in text


def test_admin_report_page_is_suppressed_for_outsiders(client, reports):
    client.force_login(make_member(Role.COORDINATOR, OrganizationFactory.create()))
    response = client.get(page(reports["home_report"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert '<td id="report-total">&lt;5</td>' in text
    assert "Reported: &lt;5" in text  # the chart's bar title


def test_admin_report_page_of_another_organization_is_404(client, reports):
    client.force_login(make_member(Role.CASEWORKER, reports["home"]))
    assert client.get(page(reports["other_report"])).status_code == 404
    csv_url = reverse("admin:reports_statusreport_csv", args=[reports["other_report"].pk])
    assert client.get(csv_url).status_code == 404


def test_admin_downloads_are_the_figures_as_seen_and_audited(client, reports):
    coordinator = make_member(Role.COORDINATOR, OrganizationFactory.create())
    client.force_login(coordinator)
    report = reports["home_report"]
    response = client.get(reverse("admin:reports_statusreport_csv", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["report", "total", "", "<5"] in rows
    xlsx = client.get(reverse("admin:reports_statusreport_xlsx", args=[report.pk]))
    assert xlsx.status_code == 200
    assert (
        AuditEvent.objects.filter(
            action=Action.DOWNLOAD, object_id=str(report.pk), actor=coordinator
        ).count()
        == 2
    )


def test_admin_no_add_change_or_delete(client, reports):
    client.force_login(UserFactory.create(is_superuser=True))
    report = reports["registry_report"]
    assert client.get(reverse("admin:reports_statusreport_add")).status_code == 403
    assert client.get(
        reverse("admin:reports_statusreport_delete", args=[report.pk])
    ).status_code in (
        403,
        404,
    )
    response = client.post(page(report), {"figures": "{}"})
    report.refresh_from_db()
    assert report.figures["total"] == 4
    assert response.status_code in (200, 405)


def test_admin_issue_form_issues_a_report(client, reports):
    supervisor = make_member(Role.SUPERVISOR, reports["home"])
    client.force_login(supervisor)
    week = last_complete("week", timezone.localdate())
    assert client.get(ISSUE).status_code == 200
    response = client.post(
        ISSUE,
        {
            "scope": "organization",
            "organization": reports["home"].pk,
            "period": "week",
            "period_start": week.start.isoformat(),
        },
    )
    report = StatusReport.objects.get(period="week")
    assert response.status_code == 302
    assert response["Location"] == page(report)
    assert report.issued_by == supervisor


def test_admin_issue_form_shows_the_services_refusal(client, reports):
    client.force_login(make_member(Role.SUPERVISOR, reports["home"]))
    response = client.post(
        ISSUE,
        {
            "scope": "organization",
            "organization": reports["home"].pk,
            "period": "week",
            "period_start": "2026-11-03",  # a Tuesday
        },
    )
    assert response.status_code == 200
    assert "A week starts on a Monday." in response.content.decode()
    assert not StatusReport.objects.filter(period="week").exists()


def test_admin_issue_form_is_refused_to_caseworkers(client, reports):
    client.force_login(make_member(Role.CASEWORKER, reports["home"]))
    assert client.get(ISSUE).status_code == 403

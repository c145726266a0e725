"""Issuing status reports: on demand (who may, what is refused, naming the field), on schedule
(once per scope and period however often it runs), the figures frozen at issue, audited.
All data is synthetic."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role
from audit.models import Action, AuditEvent
from audit.snapshots import object_type_of
from core.errors import PermissionDenied, ValidationFailed
from reports.models import StatusReport
from reports.periods import Period, last_complete, month_of, week_of
from reports.services import reports as services
from reports.services.reports import ReportAlreadyIssued, report_issue, reports_issue_due
from reports.tasks import issue_due
from tests.factories.accounts import OrganizationFactory, UserFactory, make_member
from tests.factories.cases import home_organization, make_case

from .status_world import move

pytestmark = pytest.mark.django_db


def last_week() -> Period:
    return last_complete("week", timezone.localdate())


# ---------------------------------------------------------------------------------------------
# Issuing on demand
# ---------------------------------------------------------------------------------------------
def test_report_issue_keeps_the_figures_as_they_were_when_issued(db):
    home = home_organization()
    make_case()
    supervisor = make_member(Role.SUPERVISOR, home)
    report = report_issue(
        actor=supervisor, scope="organization", organization=home, period=last_week()
    )
    before = report.figures
    assert before["total"] == 1 or before["total"] == 0  # the case was opened today
    move(make_case(), "verifying")
    make_case()
    report.refresh_from_db()
    assert report.figures == before
    assert report.issued_by == supervisor


def test_report_issue_is_as_of_the_periods_end_or_now(db):
    now = timezone.now()
    past = last_week()
    report = report_issue(actor=None, scope="registry", period=past, now=now)
    assert report.as_of == past.ends_at
    current = week_of(timezone.localdate())
    report = report_issue(actor=None, scope="registry", period=current, now=now)
    assert report.as_of == now


def test_report_issue_is_audited_without_the_figures(db):
    report = report_issue(actor=None, scope="registry", period=last_week())
    event = AuditEvent.objects.get(
        action=Action.CREATE, object_type=object_type_of(report), object_id=str(report.pk)
    )
    assert "figures" not in event.changes
    assert event.changes["period_start"][1] == report.period_start.isoformat()


@pytest.mark.parametrize(
    ("role", "scope", "own", "allowed"),
    [
        (Role.SUPERVISOR, "organization", True, True),
        (Role.SUPERVISOR, "organization", False, False),
        (Role.SUPERVISOR, "registry", True, False),
        (Role.CASEWORKER, "organization", True, False),
        (Role.COORDINATOR, "registry", True, True),
        (Role.COORDINATOR, "organization", True, False),
        (Role.AUDITOR, "registry", True, False),
        (Role.PARTNER, "organization", True, False),
    ],
)
def test_report_issue_who_may_issue(db, role, scope, own, allowed):
    home = home_organization()
    other = OrganizationFactory.create()
    actor = make_member(role, home)
    organization = (home if own else other) if scope == "organization" else None
    if allowed:
        report = report_issue(
            actor=actor, scope=scope, organization=organization, period=last_week()
        )
        assert report.pk
    else:
        with pytest.raises(PermissionDenied) as refused:
            report_issue(actor=actor, scope=scope, organization=organization, period=last_week())
        assert refused.value.code == "report_issue_denied"


def test_report_issue_superuser_issues_any(db):
    admin = UserFactory.create(is_superuser=True)
    other = OrganizationFactory.create()
    assert report_issue(actor=admin, scope="organization", organization=other, period=last_week())
    assert report_issue(actor=admin, scope="registry", period=last_week())


@pytest.mark.parametrize(
    ("scope", "organization", "period", "field"),
    [
        ("registry", None, "future", "period_start"),
        ("registry", None, "too_long", "period_end"),
        ("registry", None, "backwards", "period_end"),
        ("organization", None, "week", "organization"),
        ("registry", "home", "week", "organization"),
        ("nation", None, "week", "scope"),
    ],
)
def test_report_issue_refuses_naming_the_field(db, scope, organization, period, field):
    today = timezone.localdate()
    periods = {
        "future": Period("custom", today + dt.timedelta(days=1), today + dt.timedelta(days=2)),
        "too_long": Period("custom", today - dt.timedelta(days=400), today),
        "backwards": Period("custom", today - dt.timedelta(days=1), today - dt.timedelta(days=3)),
        "week": last_week(),
    }
    with pytest.raises(ValidationFailed) as refused:
        report_issue(
            actor=None,
            scope=scope,
            organization=home_organization() if organization else None,
            period=periods[period],
        )
    assert field in refused.value.fields


def test_report_issue_a_week_twice_is_refused_a_custom_period_is_not(db):
    report_issue(actor=None, scope="registry", period=last_week())
    with pytest.raises(ReportAlreadyIssued):
        report_issue(actor=None, scope="registry", period=last_week())
    custom = Period("custom", last_week().start, last_week().end)
    report_issue(actor=None, scope="registry", period=custom)
    report_issue(actor=None, scope="registry", period=custom)
    assert StatusReport.objects.count() == 3


@pytest.mark.parametrize(
    ("kind", "start", "end", "field"),
    [
        ("week", dt.date(2026, 11, 3), None, "period_start"),  # a Tuesday
        ("month", dt.date(2026, 11, 2), None, "period_start"),
        ("month", dt.date(2026, 11, 1), dt.date(2026, 11, 29), "period_end"),
        ("custom", dt.date(2026, 11, 1), None, "period_end"),
        ("year", dt.date(2026, 1, 1), None, "period"),
    ],
)
def test_period_checked_names_the_field(kind, start, end, field):
    with pytest.raises(ValidationFailed) as refused:
        services.period_checked(kind=kind, start=start, end=end)
    assert field in refused.value.fields


def test_period_checked_derives_a_weeks_and_a_months_end():
    assert services.period_checked(kind="week", start=dt.date(2026, 11, 2)) == week_of(
        dt.date(2026, 11, 2)
    )
    assert services.period_checked(
        kind="month", start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 28)
    ) == month_of(dt.date(2026, 2, 1))


# ---------------------------------------------------------------------------------------------
# Issuing on schedule
# ---------------------------------------------------------------------------------------------
def _organizations_with_cases():
    home = home_organization()
    other = OrganizationFactory.create(name="Synthetic second organization")
    idle = OrganizationFactory.create(name="Synthetic organization without cases")
    closed_down = OrganizationFactory.create(name="Synthetic closed-down organization")
    make_case()
    make_case(organization=other)
    make_case(organization=closed_down)
    closed_down.is_active = False
    closed_down.save()
    return home, other, idle


def test_reports_issue_due_twice_issues_one_report_per_scope_and_period(db):
    home, other, idle = _organizations_with_cases()
    assert reports_issue_due() == 6  # (registry, home, other) x (week, month)
    assert reports_issue_due() == 0
    assert StatusReport.objects.count() == 6
    issued = set(StatusReport.objects.values_list("scope", "organization_id", "period"))
    assert issued == {
        (scope, org, kind)
        for kind in ("week", "month")
        for scope, org in (
            ("registry", None),
            ("organization", home.pk),
            ("organization", other.pk),
        )
    }
    assert not StatusReport.objects.filter(organization=idle).exists()
    assert StatusReport.objects.filter(issued_by__isnull=True).count() == 6


def test_reports_issue_due_tolerates_a_report_issued_meanwhile(db, monkeypatch):
    _organizations_with_cases()
    reports_issue_due(kinds=("week",))
    # As if another worker had issued them between the check and the insert.
    monkeypatch.setattr(services, "_existing", lambda **kwargs: None)
    monkeypatch.setattr(
        services.StatusReport.objects,
        "filter",
        lambda **kwargs: StatusReport.objects.none(),
    )
    assert reports_issue_due(kinds=("week",)) == 0
    monkeypatch.undo()
    assert StatusReport.objects.count() == 3


def test_reports_issue_due_at_a_given_date_issues_the_periods_before_it(db):
    make_case()
    day = dt.date(2026, 11, 4)
    reports_issue_due(today=day)
    assert set(StatusReport.objects.values_list("period", "period_start")) == {
        ("week", dt.date(2026, 10, 26)),
        ("month", dt.date(2026, 10, 1)),
    }


def test_issue_due_task_and_command_call_the_schedule(db):
    make_case()
    assert issue_due() == 4
    out = StringIO()
    call_command("issue_reports", "--period", "week", "--date", "2026-11-04", stdout=out)
    assert "Issued 2 reports." in out.getvalue()
    assert issue_due() == 0


def test_report_issue_refuses_chosen_dates_across_the_registry_to_a_coordinator(db):
    # Two registry reports a day apart would give one day's flows by subtraction, small
    # counts included: across organizations, only weeks and months.
    coordinator = make_member("coordinator", OrganizationFactory.create())
    today = timezone.localdate()
    with pytest.raises(ValidationFailed) as refused:
        report_issue(
            actor=coordinator,
            scope="registry",
            period=Period("custom", today - dt.timedelta(days=3), today),
        )
    assert set(refused.value.fields) == {"period"}
    assert not StatusReport.objects.exists()
    week = report_issue(actor=coordinator, scope="registry", period=last_week())
    assert week.period == "week"

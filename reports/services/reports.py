"""Issuing status reports: on demand (a supervisor for their organization, a coordinator for
the registry) and on schedule (every week and month, for the registry and for each active
organization that has cases).

A report's figures are computed once, when it is issued, and kept (``reports.figures``):
last month's report reads the same next year whatever happened to the cases since. A week's
or a month's report is issued once per scope (the model's unique constraints): a beat tick that
fires twice, or two workers racing, leave one report.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, Role, User
from accounts.roles import Capability
from accounts.selectors import actor_roles
from audit import services as audit
from audit.models import Action
from cases.models import Case
from core.errors import Conflict, PermissionDenied, ValidationFailed

from .. import exports
from ..figures import report_figures
from ..models import ReportPeriod, ReportScope, StatusReport
from ..periods import Period, last_complete, month_of, week_of
from ..suppression import figures_as_seen

logger = logging.getLogger(__name__)

Actor = User | None

# The longest period a report covers: a year, a leap year's included.
MAX_PERIOD_DAYS = 366
# What the audit event of an issue keeps: which report, not its figures (they are the report).
AUDITED_FIELDS = ("scope", "organization", "period", "period_start", "period_end", "as_of")


class ReportIssueDenied(PermissionDenied):
    code = "report_issue_denied"
    default_detail = gettext_lazy(
        "Issuing a report takes a supervisor of the organization (its own report) or a "
        "coordinator (the registry's)."
    )


class ReportAlreadyIssued(Conflict):
    code = "report_exists"
    default_detail = gettext_lazy(
        "This report was already issued for this period; read it instead of issuing it again."
    )


# ---------------------------------------------------------------------------------------------
# Who may issue what
# ---------------------------------------------------------------------------------------------
def can_issue(actor: Actor, *, scope: str, organization_id: int | None) -> bool:
    """Superusers any report; supervisors their own organization's; coordinators the
    registry's; ``None`` (the system: the schedule) any."""
    if actor is None:
        return True
    roles = actor_roles(actor)
    if roles.is_superuser:
        return True
    if scope == ReportScope.REGISTRY:
        return roles.has_role(Role.COORDINATOR)
    return (
        organization_id is not None
        and roles.roles.get(organization_id) == Role.SUPERVISOR
        and roles.can(Capability.READ_AGGREGATES, organization_id)
    )


def can_issue_any(actor: Actor) -> bool:
    """Whether ``actor`` may issue some report (the admin shows its form)."""
    if actor is None:
        return True
    roles = actor_roles(actor)
    return roles.is_superuser or roles.has_role(Role.COORDINATOR, Role.SUPERVISOR)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
def period_checked(*, kind: str, start: Any, end: Any = None) -> Period:
    """The period a request names, every error naming its field: a week starts on a Monday and
    a month on the 1st (their end follows); chosen dates need both ends."""
    if kind not in ReportPeriod.values:
        raise ValidationFailed.on(
            "period",
            _("Unknown period; choose one of: %(known)s.")
            % {"known": ", ".join(ReportPeriod.values)},
        )
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise ValidationFailed.on("period_start", _("Give the first day of the period."))
    if kind == ReportPeriod.WEEK:
        period = week_of(start)
        if period.start != start:
            raise ValidationFailed.on("period_start", _("A week starts on a Monday."))
    elif kind == ReportPeriod.MONTH:
        period = month_of(start)
        if period.start != start:
            raise ValidationFailed.on("period_start", _("A month starts on its first day."))
    else:
        if not isinstance(end, dt.date) or isinstance(end, dt.datetime):
            raise ValidationFailed.on("period_end", _("Give the last day of the period."))
        period = Period(ReportPeriod.CUSTOM, start, end)
    if end is not None and kind != ReportPeriod.CUSTOM and end != period.end:
        raise ValidationFailed.on(
            "period_end",
            _("A %(kind)s starting on %(start)s ends on %(end)s; leave period_end out.")
            % {"kind": kind, "start": period.start, "end": period.end},
        )
    return period


def _check(
    *, scope: str, organization: Organization | None, period: Period, now: dt.datetime
) -> None:
    if scope not in ReportScope.values:
        raise ValidationFailed.on(
            "scope",
            _("Unknown scope; choose one of: %(known)s.")
            % {"known": ", ".join(ReportScope.values)},
        )
    if scope == ReportScope.ORGANIZATION and organization is None:
        raise ValidationFailed.on("organization", _("An organization's report names it."))
    if scope == ReportScope.REGISTRY and organization is not None:
        raise ValidationFailed.on(
            "organization", _("The registry's report covers every organization: leave it out.")
        )
    if period.kind not in ReportPeriod.values:
        raise ValidationFailed.on("period", _("Unknown period."))
    if period.end < period.start:
        raise ValidationFailed.on("period_end", _("Cannot be before the period's first day."))
    if period.start > timezone.localdate(now):
        raise ValidationFailed.on("period_start", _("Cannot be in the future."))
    if (period.end - period.start).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed.on(
            "period_end",
            _("A report covers at most %(days)d days.") % {"days": MAX_PERIOD_DAYS},
        )


def _existing(
    *, scope: str, organization: Organization | None, period: Period
) -> StatusReport | None:
    if period.kind == ReportPeriod.CUSTOM:
        return None  # chosen dates may be issued again: each is its own snapshot
    return StatusReport.objects.filter(
        scope=scope, organization=organization, period=period.kind, period_start=period.start
    ).first()


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def report_issue(
    *,
    actor: Actor,
    scope: str,
    organization: Organization | None = None,
    period: Period,
    now: dt.datetime | None = None,
) -> StatusReport:
    """Issue a status report: its figures computed now and kept. The stock figures are as of
    the period's end, or now if the period has not ended. A week or month already issued for
    the scope is refused (``ReportAlreadyIssued``, 409)."""
    now = now or timezone.now()
    organization_id = organization.pk if organization is not None else None
    _check(scope=scope, organization=organization, period=period, now=now)
    if not can_issue(actor, scope=scope, organization_id=organization_id):
        raise ReportIssueDenied()
    if (
        scope == ReportScope.REGISTRY
        and period.kind == ReportPeriod.CUSTOM
        and actor is not None
        and not actor.is_superuser
    ):
        # Figures across organizations for chosen dates could be subtracted from one another
        # (1-30 November less 2-30 November) to reveal a count small cells hide.
        raise ValidationFailed.on(
            "period",
            _(
                "The registry's report covers a week or a month; reports for chosen dates are "
                "issued for one organization."
            ),
        )
    if _existing(scope=scope, organization=organization, period=period) is not None:
        raise ReportAlreadyIssued()
    as_of = min(period.ends_at, now)
    report = StatusReport(
        scope=scope,
        organization=organization,
        period=period.kind,
        period_start=period.start,
        period_end=period.end,
        as_of=as_of,
        issued_by=actor,
        figures=report_figures(scope=scope, organization=organization, period=period, as_of=as_of),
    )
    try:
        with transaction.atomic():  # a savepoint: a lost race leaves the outer one usable
            report.save()
    except IntegrityError as exc:
        # Another worker issued the same week or month between the check and the insert.
        raise ReportAlreadyIssued() from exc
    audit.record_create(report, actor=actor, fields=AUDITED_FIELDS, organization=organization)
    logger.info(
        "report_issued report_id=%s scope=%s organization_id=%s period=%s",
        report.pk,
        scope,
        organization_id,
        period.key,
    )
    return report


def organizations_reported() -> list[Organization]:
    """The organizations that get a scheduled report: active ones that have cases."""
    has_cases = Case.objects.filter(organization_id=OuterRef("pk"))
    return list(
        Organization.objects.filter(is_active=True).filter(Exists(has_cases)).order_by("pk")
    )


def reports_issue_due(*, today: dt.date | None = None, kinds: tuple[str, ...] = ()) -> int:
    """Issue the reports of the last complete week and month (or of ``kinds``) that are not
    issued yet: the registry's and one per active organization that has cases. Returns how
    many were issued; running it again issues none."""
    today = today or timezone.localdate()
    organizations = organizations_reported()
    issued = 0
    for kind in kinds or (ReportPeriod.WEEK, ReportPeriod.MONTH):
        period = last_complete(kind, today)
        done = set(
            StatusReport.objects.filter(period=kind, period_start=period.start).values_list(
                "scope", "organization_id"
            )
        )
        wanted: list[tuple[str, Organization | None]] = [(ReportScope.REGISTRY, None)] + [
            (ReportScope.ORGANIZATION, organization) for organization in organizations
        ]
        for scope, organization in wanted:
            if (scope, organization.pk if organization else None) in done:
                continue
            try:
                report_issue(actor=None, scope=scope, organization=organization, period=period)
            except ReportAlreadyIssued:
                continue  # a second tick or worker issued it meanwhile
            issued += 1
    return issued


@dataclass(frozen=True)
class ReportFile:
    """A report's figures as a file: its bytes, media type and name."""

    content: str | bytes
    media_type: str
    filename: str


def report_download(*, actor: Actor, report: StatusReport, extension: str) -> ReportFile:
    """The figures of ``report`` as ``actor`` may see them, as CSV or XLSX, recorded in the
    audit trail as a download (with the format and whether small cells were hidden). The
    caller has checked that ``actor`` reads the report (``report_visible_to``)."""
    figures = figures_as_seen(report, actor)
    if extension == "csv":
        content: str | bytes = exports.report_csv(figures)
        media_type = exports.CSV_MEDIA_TYPE
    elif extension == "xlsx":
        content = exports.report_xlsx(figures)
        media_type = exports.XLSX_MEDIA_TYPE
    else:
        raise ValueError(f"no download of a report as {extension!r}")
    audit.record(
        Action.DOWNLOAD,
        actor=actor,
        instance=report,
        metadata={"format": extension, "suppressed": bool(figures.get("suppressed"))},
        organization=report.organization_id,
    )
    return ReportFile(content, media_type, exports.report_filename(report, extension))

"""The admin's home page by role, and the closure queue's decisions.

A caseworker sees their own cases (by status, follow-ups overdue and due, their reminders, the
cases changed last); a supervisor, each of their organizations' caseload (by status and by
assignee, unassigned cases, shares ending soon) and the closure requests waiting for them,
decided from the list; a coordinator, the registry's counts by phase beside the latest
published figures, and the coalition's open items. The caseloads and the registry's counts are
kept counts (``cases.counts``): the page says when they were counted. Someone with several
roles sees each role's part; the list of models follows below.

The home page composes three apps' reads, so it lives here, in ``config``. Every number comes
from a selector of its app and links to the list behind it (the same filters, so the number
and the list agree), when the reader may open that list: a coordinator sees the registry's
counts, never its cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import request_actor
from accounts.models import Role
from accounts.selectors import actor_roles
from audit.services import record_read
from cases import services as case_services
from cases.forms import ClosureDecisionForm
from cases.models import ClosureRequest
from cases.selectors import reads_cases
from cases.selectors_home import (
    WorkListCondition,
    closure_queue,
    closure_queue_get,
    my_cases,
    organization_caseloads,
    registry_counts_by_phase,
    supervised_organizations,
)
from cases.workflow import Phase, Status
from coalition.models import EntryOutcome, PledgeStatus
from coalition.selectors.open_items import coalition_open_items
from core.admin import unknown_parameters_refused
from core.errors import DomainError
from core.forms import add_service_errors, service_error_fields
from reports.models import ReminderRule, ReminderState
from reports.selectors.reminders import reminder_counts
from sources.models import FigureMetric
from sources.selectors import latest_figures_by_metric

# How many waiting closure requests the home page lists (the list behind the count has all).
CLOSURE_QUEUE_ROWS = 25
APPROVE = "approve"
# The open statuses, as the case list's ``status__in`` takes them: the counts by assignee are of
# open cases.
OPEN_STATUSES = ",".join(status for status in Status.values if status != Status.CLOSED)
REJECT = "reject"


@dataclass(frozen=True)
class Figure:
    """A number on the home page, its label and the list behind it (``None``: not a list the
    reader may open)."""

    label: Any
    count: int
    url: str | None = None


def _list_url(name: str, **params: Any) -> str:
    url = reverse(f"admin:{name}_changelist")
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"{url}?{query}" if query else url


def _cases_url(**params: Any) -> str:
    return _list_url("cases_case", **params)


# ---------------------------------------------------------------------------------------------
# The parts
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecentRow:
    number: str
    status: Any
    updated_at: Any
    url: str


@dataclass(frozen=True)
class CaseworkerPart:
    by_status: list[Figure]
    total: Figure
    follow_ups: list[Figure]
    reminders: list[Figure]
    reminders_url: str
    recent: list[RecentRow]


def caseworker_part(request: HttpRequest) -> CaseworkerPart:
    actor = request.user
    mine = my_cases(actor=actor)
    me = actor.pk
    by_status = [
        Figure(
            Status(status).label, count, _cases_url(assignee__id__exact=me, status__exact=status)
        )
        for status, count in sorted(mine.by_status.items(), key=lambda s: Status.values.index(s[0]))
    ]
    overdue, due = WorkListCondition.FOLLOW_UP_OVERDUE, WorkListCondition.FOLLOW_UP_DUE
    follow_ups = [
        Figure(
            _("Overdue"),
            mine.follow_ups_overdue,
            _cases_url(assignee__id__exact=me, follow_up=overdue),
        ),
        Figure(
            _("Due soon"), mine.follow_ups_due, _cases_url(assignee__id__exact=me, follow_up=due)
        ),
    ]
    reminders = [
        Figure(
            ReminderRule(rule).label,
            count,
            _list_url("reports_reminder", rule__exact=rule, state__exact=ReminderState.OPEN),
        )
        for rule, count in reminder_counts(actor=actor).items()
    ]
    recent = [
        RecentRow(
            row.number,
            Status(row.status).label,
            row.updated_at,
            reverse("admin:cases_case_change", args=[row.id]),
        )
        for row in mine.recent
    ]
    return CaseworkerPart(
        by_status=by_status,
        total=Figure(
            _("All my cases"), sum(mine.by_status.values()), _cases_url(assignee__id__exact=me)
        ),
        follow_ups=follow_ups,
        reminders=reminders,
        reminders_url=_list_url("reports_reminder", state__exact=ReminderState.OPEN),
        recent=recent,
    )


@dataclass(frozen=True)
class OrganizationPart:
    name: str
    by_status: list[Figure]
    by_assignee: list[Figure]
    attention: list[Figure]


@dataclass(frozen=True)
class QueueRow:
    request_id: int
    case_number: str
    case_url: str
    requested_by: str
    requested_at: Any
    closure_reason: Any
    approve_url: str
    reject_url: str


@dataclass(frozen=True)
class SupervisorPart:
    organizations: list[OrganizationPart]
    queue: list[QueueRow]
    queue_total: int
    # When the caseloads by status and by assignee were counted (kept counts).
    counted_at: dt.datetime | None = None


def supervisor_part(request: HttpRequest) -> SupervisorPart:
    actor = request.user
    parts = []
    loads = organization_caseloads(
        actor=actor, organization_ids=supervised_organizations(actor=actor)
    )
    for load in loads:
        org = load.organization_id
        parts.append(
            OrganizationPart(
                name=load.organization_name,
                by_status=[
                    Figure(
                        Status(status).label,
                        load.by_status[status],
                        _cases_url(organization__id__exact=org, status__exact=status),
                    )
                    for status in Status.values
                    if status in load.by_status
                ],
                by_assignee=[
                    Figure(
                        row.username,
                        row.count,
                        _cases_url(
                            organization__id__exact=org,
                            assignee__id__exact=row.assignee_id,
                            status__in=OPEN_STATUSES,
                        ),
                    )
                    for row in load.by_assignee
                ],
                attention=[
                    Figure(
                        _("Unassigned open cases"),
                        load.unassigned,
                        _cases_url(
                            organization__id__exact=org,
                            assignee__isnull="True",
                            status__in=OPEN_STATUSES,
                        ),
                    ),
                    Figure(
                        _("Closure requests waiting for a decision"),
                        load.closures_pending,
                        _cases_url(
                            organization__id__exact=org, closure=WorkListCondition.CLOSURE_PENDING
                        ),
                    ),
                    Figure(
                        _("Shares ending soon"),
                        load.shares_expiring,
                        _cases_url(
                            organization__id__exact=org, share=WorkListCondition.SHARE_EXPIRING
                        ),
                    ),
                ],
            )
        )
    queue = closure_queue(actor=actor)
    rows = [
        QueueRow(
            request_id=closure.pk,
            case_number=closure.case.number,
            case_url=reverse("admin:cases_case_change", args=[closure.case_id]),
            requested_by=closure.requested_by.get_username() if closure.requested_by else "-",
            requested_at=closure.requested_at,
            closure_reason=closure.get_closure_reason_display(),
            approve_url=_decide_url(closure.pk, APPROVE),
            reject_url=_decide_url(closure.pk, REJECT),
        )
        for closure in queue[:CLOSURE_QUEUE_ROWS]
    ]
    total = len(rows) if len(rows) < CLOSURE_QUEUE_ROWS else queue.count()
    return SupervisorPart(
        organizations=parts,
        queue=rows,
        queue_total=total,
        counted_at=next((load.as_of for load in loads if load.as_of), None),
    )


@dataclass(frozen=True)
class FigureRow:
    metric: Any
    claim: str
    claimant: str
    as_of: str
    url: str


@dataclass(frozen=True)
class CoordinatorPart:
    phases: list[Figure]
    total: Figure
    published: list[FigureRow]
    coalition: list[Figure] = field(default_factory=list)
    # When the registry's cases were counted (kept counts).
    counted_at: dt.datetime | None = None


def coordinator_part(request: HttpRequest) -> CoordinatorPart:
    actor = request.user
    # The case list is theirs to open only if they read cases (a coordinator reads counts).
    linked = reads_cases(actor)
    counted_at, phases = registry_counts_by_phase(actor=actor)
    latest = latest_figures_by_metric()
    published = [
        FigureRow(
            metric=FigureMetric(metric).label,
            claim=_claim(figure),
            claimant=figure.claimant,
            as_of=figure.as_of_label or figure.as_of.isoformat(),
            url=_list_url("sources_publishedfigure", metric__exact=metric),
        )
        for metric, figure in latest.items()
    ]
    items = coalition_open_items(actor=request_actor(request))
    coalition = [
        Figure(
            _("Pledges overdue"),
            items.pledges_overdue,
            _list_url("coalition_pledge", overdue="yes"),
        ),
        *(
            Figure(
                PledgeStatus(status).label,
                count,
                _list_url("coalition_pledge", status__exact=status),
            )
            for status, count in items.pledges_by_status.items()
        ),
        *(
            Figure(
                EntryOutcome(outcome).label,
                count,
                _list_url("coalition_childlistentry", outcome=outcome),
            )
            for outcome, count in items.entries_unanswered.items()
        ),
    ]
    return CoordinatorPart(
        phases=[
            Figure(Phase(phase).label, count, _cases_url(phase=phase) if linked else None)
            for phase, count in phases.items()
        ],
        total=Figure(_("All cases"), sum(phases.values()), _cases_url() if linked else None),
        published=published,
        coalition=coalition,
        counted_at=counted_at,
    )


def _claim(figure: Any) -> str:
    if figure.value is None:
        return str(figure.value_text)
    return f"{figure.get_qualifier_display()} {figure.value}"


def home_context(request: HttpRequest) -> dict[str, Any]:
    """What the home page shows ``request.user``: a part per role they hold."""
    roles = actor_roles(request.user)
    return {
        "caseworker": caseworker_part(request) if roles.has_role(Role.CASEWORKER) else None,
        "supervisor": supervisor_part(request) if roles.has_role(Role.SUPERVISOR) else None,
        "coordinator": coordinator_part(request) if roles.has_role(Role.COORDINATOR) else None,
    }


# ---------------------------------------------------------------------------------------------
# Deciding a closure request from the queue
# ---------------------------------------------------------------------------------------------
def _decide_url(request_id: int, decision: str) -> str:
    url = reverse("admin:home_closure_decide", args=[request_id])
    return f"{url}?{urlencode({'decision': decision})}"


def closure_decide_view(site: AdminSite, request: HttpRequest, request_id: int) -> HttpResponse:
    """Confirm, then make, one decision on a waiting closure request through
    ``closure_request_decide`` (its rules and audit); back to the home page with a message."""
    refused = unknown_parameters_refused(request, {"decision"})
    if refused is not None:
        return refused
    decision = request.POST.get("decision") if request.method == "POST" else None
    decision = decision or request.GET.get("decision", "")
    if decision not in (APPROVE, REJECT):
        return HttpResponse(
            gettext("Say whether to approve or reject: decision=approve or decision=reject."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    if not supervised_organizations(actor=request.user):
        raise PermissionDenied
    home = reverse("admin:index", current_app=site.name)
    closure = closure_queue_get(actor=request.user, request_id=request_id)
    if closure is None:
        messages.warning(
            request, gettext("This closure request is no longer waiting for a decision.")
        )
        return HttpResponseRedirect(home)
    approve = decision == APPROVE
    form = ClosureDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            case_services.closure_request_decide(
                request_id=closure.pk,
                actor=request_actor(request),
                approve=approve,
                note=form.cleaned_data["note"],
            )
        except (DomainError, IntegrityError) as exc:
            add_service_errors(form, service_error_fields(exc))
        else:
            done = (
                gettext("Closure approved: case %(number)s is closed.")
                if approve
                else gettext("Closure of case %(number)s rejected.")
            )
            messages.success(request, done % {"number": closure.case.number})
            return HttpResponseRedirect(home)
    # The explanation is the caseworker's free text about the case: its reading is recorded.
    record_read(actor=request.user, records={ClosureRequest: [closure.pk]}, of=closure.case)
    context = {
        **site.each_context(request),
        "title": _("Approve the closure?") if approve else _("Reject the closure?"),
        "subtitle": closure.case.number,
        "closure": closure,
        "decision": decision,
        "approve": approve,
        "form": form,
        "errors": form.errors,
        "case_url": reverse("admin:cases_case_change", args=[closure.case_id]),
        "home_url": home,
    }
    request.current_app = site.name
    return TemplateResponse(request, "registry_admin/closure_decide.html", context)

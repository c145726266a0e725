"""The summary e-mails and the daily digest, built when they are sent (never stored): from the
report's snapshot as the recipient may see it (``figures_as_seen``), or from the recipient's
open reminders at that moment.

Each message is in its recipient's language, plain text with an HTML alternative whose styles
are inlined (``css_inline``: mail clients drop ``<style>``), and carries:

- a bar chart of counts drawn as table cells with widths and background colours: no script, no
  image, no SVG, which mail clients block or strip;
- for summaries, the figures as a CSV attachment;
- links into the admin (``SITE_URL``), and the one-click unsubscribe headers of RFC 8058
  (``List-Unsubscribe`` with a signed link, ``List-Unsubscribe-Post``).

No child's name, date of birth, relative or address is ever read here: a report holds counts,
a reminder names a case by its number.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, make_msgid
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, get_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import actor_roles_forget
from cases.workflow import ClosureReason, Phase, Status
from coalition.models import EntryOutcome, PledgeStatus

from .exports import report_csv
from .models import (
    Frequency,
    OutboundEmail,
    ReminderRule,
    ReportPeriod,
    StatusReport,
    Topic,
)
from .selectors.reminders import reminder_admin_url, reminder_text, reminders_for
from .suppression import figures_as_seen, hidden_label
from .unsubscribe import unsubscribe_url

# Colours of the chart's bars, one per chart (the phase chart, the status chart...).
BAR_COLOURS = ("#2b6cb0", "#2f855a", "#b7791f", "#6b46c1")
# A hidden count ("<5") gets a sliver of a bar whatever it stands for: its length must not
# tell 1 from 4.
HIDDEN_BAR_PERCENT = 2


# ---------------------------------------------------------------------------------------------
# What the templates draw
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChartBar:
    label: str
    shown: str  # the count as shown: "12", or "<5"
    percent: int  # the bar's length, 0 to 100
    rest: int  # 100 - percent: the empty cell after the bar


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    chart: list[ChartBar] = field(default_factory=list)
    colour: str = BAR_COLOURS[0]


@dataclass(frozen=True)
class DigestLine:
    rule: str
    text: str
    url: str | None = None  # the admin page of what it is about


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        # 210.5 in English, 210,5 in Ukrainian.
        return f"{value:g}".replace(".", str(get_format("DECIMAL_SEPARATOR")))
    return str(value)


def chart_bars(counts: Mapping[str, Any], labels: Mapping[str, Any]) -> list[ChartBar]:
    """Counts (ints, or the hidden label) as bars in proportion to the largest, in the order
    of ``labels`` then any other key."""
    keys = [key for key in labels if key in counts] + [key for key in counts if key not in labels]
    numbers = [v for v in counts.values() if isinstance(v, int) and not isinstance(v, bool)]
    top = max(numbers, default=0)
    bars = []
    for key in keys:
        value = counts[key]
        if isinstance(value, int) and not isinstance(value, bool):
            percent = round(100 * value / top) if top else 0
        else:
            percent = HIDDEN_BAR_PERCENT
        bars.append(
            ChartBar(
                label=str(labels.get(key, key)),
                shown=_shown(value),
                percent=percent,
                rest=100 - percent,
            )
        )
    return bars


def _rows(counts: Mapping[str, Any] | None, labels: Mapping[str, Any]) -> list[tuple[str, str]]:
    if not counts:
        return []
    keys = [key for key in labels if key in counts] + [key for key in counts if key not in labels]
    return [(str(labels.get(key, key)), _shown(counts[key])) for key in keys]


def _labels(choices: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return dict(choices)


# ---------------------------------------------------------------------------------------------
# Links and headers
# ---------------------------------------------------------------------------------------------
def admin_url(name: str, *args: Any) -> str | None:
    """The absolute address of an admin page, or ``None`` if no such page is registered."""
    try:
        return settings.SITE_URL + reverse(name, args=args)
    except NoReverseMatch:
        return None


def _message_id() -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return make_msgid(domain=domain)


def _frequency_of(outbound: OutboundEmail) -> str:
    """The frequency the e-mail came at, for its unsubscribe link."""
    if outbound.topic == Topic.DIGEST:
        return Frequency.DAILY
    if outbound.subscription is not None:
        return outbound.subscription.frequency
    return Frequency.WEEKLY if "-W" in outbound.period else Frequency.MONTHLY


def _message(
    outbound: OutboundEmail,
    *,
    subject: str,
    template: str,
    context: dict[str, Any],
) -> EmailMultiAlternatives:
    link = unsubscribe_url(
        user_id=outbound.user_id, topic=outbound.topic, frequency=_frequency_of(outbound)
    )
    # One line: a name with a line break (an organization's) must not start a new header.
    subject = " ".join(subject.split())
    context = {**context, "unsubscribe_url": link, "subject": subject}
    text = render_to_string(f"reports/email/{template}.txt", context)
    html = css_inline.inline(render_to_string(f"reports/email/{template}.html", context))
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[outbound.user.email],
        headers={
            "Message-ID": _message_id(),
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Content-Language": outbound.language,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------
def period_label(report: StatusReport) -> str:
    """The report's period in the active language: "30 November – 6 December 2026", or
    "November 2026" for a month."""
    if report.period == ReportPeriod.MONTH:
        month = date_format(report.period_start, "F Y")
        # Ukrainian writes a month in lower case ("листопад 2026"); Django's names are capitalised.
        return month[:1].lower() + month[1:] if translation.get_language() == "uk" else month
    return f"{date_format(report.period_start, 'j E')} – {date_format(report.period_end, 'j E Y')}"


def scope_name(outbound: OutboundEmail) -> str:
    if outbound.topic == Topic.COALITION:
        return _("the coalition")
    report = outbound.report
    if outbound.topic == Topic.ORGANIZATION and report is not None and report.organization:
        return report.organization.name
    return _("the registry")


def summary_subject(outbound: OutboundEmail) -> str:
    assert outbound.report is not None
    values = {"scope": scope_name(outbound), "period": period_label(outbound.report)}
    if outbound.report.period == ReportPeriod.MONTH:
        return _("Monthly summary: %(scope)s, %(period)s") % values
    return _("Weekly summary: %(scope)s, %(period)s") % values


def _case_sections(figures: Mapping[str, Any]) -> list[Section]:
    flows = figures.get("flows") or {}
    returns = figures.get("time_to_return_days") or {}
    return [
        Section(
            title=_("Cases by phase"),
            rows=[(_("All cases"), _shown(figures.get("total")))],
            chart=chart_bars(figures.get("by_phase") or {}, _labels(Phase.choices)),
            colour=BAR_COLOURS[0],
        ),
        Section(
            title=_("Cases by status"),
            chart=chart_bars(figures.get("by_status") or {}, _labels(Status.choices)),
            colour=BAR_COLOURS[1],
        ),
        Section(
            title=_("In the period"),
            rows=_rows(
                {k: flows.get(k) for k in ("new", "located", "returned", "reopened")},
                {
                    "new": _("New cases"),
                    "located": _("Children located"),
                    "returned": _("Children returned"),
                    "reopened": _("Cases reopened"),
                },
            ),
        ),
        Section(
            title=_("Cases closed in the period, by reason"),
            rows=_rows(flows.get("closed"), _labels(ClosureReason.choices)),
        ),
        Section(
            title=_("Time to return (days from the case's creation)"),
            rows=_rows(
                returns,
                {"returns": _("Returns"), "median": _("Median"), "p90": _("90th percentile")},
            ),
        ),
        Section(
            title=_("Follow-ups due in the period"),
            rows=_rows(
                figures.get("follow_ups"),
                {
                    "on_time": _("Done on time"),
                    "late": _("Done late"),
                    "missed": _("Missed"),
                    "open": _("Still open"),
                },
            ),
        ),
    ]


def _coalition_sections(figures: Mapping[str, Any]) -> list[Section]:
    coalition = figures.get("coalition") or {}
    return [
        Section(
            title=_("Pledges by status"),
            rows=[(_("Pledges overdue"), _shown(coalition.get("pledges_overdue")))],
            chart=chart_bars(coalition.get("pledges") or {}, _labels(PledgeStatus.choices)),
            colour=BAR_COLOURS[2],
        ),
        Section(
            title=_("Children on the coalition's lists, by outcome"),
            chart=chart_bars(coalition.get("list_entries") or {}, _labels(EntryOutcome.choices)),
            colour=BAR_COLOURS[3],
        ),
        Section(
            title=_("Meetings and statements in the period"),
            rows=[
                (_("Meetings"), _shown(coalition.get("meetings"))),
                (_("Joint statements"), _shown(coalition.get("statements"))),
            ],
        ),
    ]


def summary_figures(outbound: OutboundEmail) -> dict[str, Any]:
    """What the e-mail shows of its report, as its recipient may see it: the coalition's
    section alone for the coalition's summary, the whole report otherwise."""
    assert outbound.report is not None
    seen = figures_as_seen(outbound.report, outbound.user)
    if outbound.topic == Topic.COALITION:
        return {"coalition": seen.get("coalition"), "suppressed": seen["suppressed"]}
    return seen


def summary_filename(outbound: OutboundEmail) -> str:
    assert outbound.report is not None
    scope = str(outbound.topic)
    if outbound.topic == Topic.ORGANIZATION:
        scope = f"organization-{outbound.report.organization_id}"
    return f"summary-{scope}-{outbound.period}.csv"


def summary_message(outbound: OutboundEmail) -> EmailMultiAlternatives:
    """The summary e-mail of ``outbound`` (its report, its recipient, its language)."""
    report = outbound.report
    if report is None:
        raise ValueError(f"outbox record {outbound.pk} is a summary without a report")
    with translation.override(outbound.language):
        figures = summary_figures(outbound)
        sections = (
            _coalition_sections(figures)
            if outbound.topic == Topic.COALITION
            else _case_sections(figures)
        )
        message = _message(
            outbound,
            subject=summary_subject(outbound),
            template="summary",
            context={
                "scope": scope_name(outbound),
                "period": period_label(report),
                "as_of": date_format(timezone.localtime(report.as_of).date(), "j E Y"),
                "sections": sections,
                "suppressed": bool(figures.get("suppressed")),
                "hidden_label": hidden_label(),
                "reports_url": admin_url("admin:reports_statusreport_change", outbound.report_id),
                "language": outbound.language,
            },
        )
        message.attach(summary_filename(outbound), report_csv(dict(figures)), "text/csv")
    return message


# ---------------------------------------------------------------------------------------------
# The daily digest
# ---------------------------------------------------------------------------------------------
def _reminder_lines(user: User) -> list[DigestLine]:
    """The user's open reminders, each as a line of the digest, in the active language (the
    same reminders and sentences the admin's "my work" list and the API show)."""
    actor_roles_forget(user)  # memberships as they are now, not as a cache last saw them
    reminders = reminders_for(actor=user).order_by("due_on", "id")
    return [
        DigestLine(rule=r.rule, text=reminder_text(r), url=_absolute(reminder_admin_url(r)))
        for r in reminders
    ]


def _absolute(path: str | None) -> str | None:
    return settings.SITE_URL + path if path else None


def digest_subject(day: dt.date, count: int) -> str:
    return _("Your reminders for %(day)s: %(count)s open") % {
        "day": date_format(day, "j E Y"),
        "count": count,
    }


def digest_message(outbound: OutboundEmail) -> EmailMultiAlternatives | None:
    """The digest of ``outbound``'s recipient's open reminders as they are now; ``None`` when
    none is open any more (nothing to send)."""
    with translation.override(outbound.language):
        lines = _reminder_lines(outbound.user)
        if not lines:
            return None
        day = dt.date.fromisoformat(outbound.period)
        by_rule = Counter(line.rule for line in lines)
        counts = [
            (str(label), by_rule[rule]) for rule, label in ReminderRule.choices if by_rule[rule]
        ]
        return _message(
            outbound,
            subject=digest_subject(day, len(lines)),
            template="digest",
            context={
                "day": date_format(day, "j E Y"),
                "lines": lines,
                "counts": counts,
                "my_work_url": admin_url("admin:reports_reminder_changelist"),
                "language": outbound.language,
            },
        )


def outbound_message(outbound: OutboundEmail) -> EmailMultiAlternatives | None:
    """The message of an outbox record; ``None`` when there is nothing to send."""
    if outbound.topic == Topic.DIGEST:
        return digest_message(outbound)
    return summary_message(outbound)

"""Reminders, status reports, e-mail subscriptions and the outbox of e-mails.

The reports app sits above every other app: it reads cases, sources and the coalition through
their selectors, and nothing imports it. Its own records hold no child's personal data: a
reminder names a case by its number, a report holds counts, an outbox record holds who an e-mail
went to and when (never its body).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.querysets import AuditedManager

# ---------------------------------------------------------------------------------------------
# Reminders
# ---------------------------------------------------------------------------------------------


class ReminderRule(models.TextChoices):
    """The rules a reminder comes from; each rule's threshold is a setting
    (``REMINDER_THRESHOLDS``) and its logic lives in ``reports.rules``."""

    FOLLOW_UP_DUE = "follow_up_due", _("Follow-up due or overdue")
    STATUS_TOO_LONG = "status_too_long", _("Case in the same status too long")
    CLOSURE_WAITING = "closure_waiting", _("Closure request waiting for a decision")
    SHARE_EXPIRING = "share_expiring", _("Share expiring soon")
    PLEDGE_OVERDUE = "pledge_overdue", _("Coalition pledge overdue")
    LIST_NO_ANSWER = "list_no_answer", _("List entries with no answer")
    SOURCE_INTEGRITY = "source_integrity", _("Source failed its integrity check")


class ReminderState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    SNOOZED = "snoozed", _("Snoozed")
    RESOLVED = "resolved", _("Resolved")


class Reminder(models.Model):
    """One item that needs one user's attention, kept in step with the item by the refresh
    (``reports.services.reminders``): created when a rule first holds, resolved when it stops
    holding, opened again when an acknowledged or snoozed item changes (``item_state``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    rule = models.CharField(_("rule"), max_length=20, choices=ReminderRule.choices)
    # What the reminder is about, as "<kind>:<id>" (``followup:12``, ``case:7``): the refresh
    # finds the row again by it.
    item_key = models.CharField(_("item"), max_length=64)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # The state of the item when the rule last held (a due date, a status and its time, a
    # version): a change of it brings an acknowledged or snoozed reminder back.
    item_state = models.CharField(_("state of the item"), max_length=200)
    due_on = models.DateField(_("due"), null=True, blank=True)
    # What the text of the reminder is made of, without personal data: a case number, a
    # status, a count, dates. The words are written in the reader's language when shown.
    details = models.JSONField(_("details"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=ReminderState.choices, default=ReminderState.OPEN
    )
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = AuditedManager()
    audit_technical_fields = frozenset({"updated_at", "version"})

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["user", "state", "due_on"], name="reminder_user_state_idx"),
            models.Index(fields=["rule", "state"], name="reminder_rule_state_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "rule", "item_key"], name="reminder_one_per_user_rule_item"
            ),
            models.CheckConstraint(
                condition=Q(rule__in=ReminderRule.values), name="reminder_rule_known"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ReminderState.values), name="reminder_state_known"
            ),
            models.CheckConstraint(
                condition=~Q(state="snoozed") | Q(snoozed_until__isnull=False),
                name="reminder_snoozed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} · {self.item_key}"

    def audit_label(self) -> str:
        return str(self)


# ---------------------------------------------------------------------------------------------
# Status reports
# ---------------------------------------------------------------------------------------------


class ReportScope(models.TextChoices):
    ORGANIZATION = "organization", _("One organization")
    REGISTRY = "registry", _("The whole registry")


class ReportPeriod(models.TextChoices):
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")
    CUSTOM = "custom", _("Chosen dates")


class StatusReport(models.Model):
    """A status report as issued: the figures computed when it was issued, kept unchanged so
    that last month's report reads the same next year. ``figures`` holds counts only (the
    layout is ``reports.figures.FIGURES_SCHEMA``); small cells are hidden when it is shown to
    a reader outside the organization, never in what is stored."""

    scope = models.CharField(_("scope"), max_length=12, choices=ReportScope.choices)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    period = models.CharField(_("period"), max_length=8, choices=ReportPeriod.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"), help_text=_("The last day of the period."))
    # The moment the stock figures (cases by status...) describe: the end of the period's last
    # day in the project's time zone, or the moment of issue if that is earlier.
    as_of = models.DateTimeField(_("as of"))
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when issued on schedule."),
    )
    figures = models.JSONField(_("figures"), default=dict, editable=False)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("status report")
        verbose_name_plural = _("status reports")
        ordering = ["-period_end", "-issued_at", "-id"]
        indexes = [
            models.Index(fields=["scope", "organization", "-period_end"], name="report_scope_idx"),
        ]
        constraints = [
            # A scheduled report is issued once per scope and period, however often beat fires.
            models.UniqueConstraint(
                fields=["scope", "period", "period_start"],
                condition=Q(organization__isnull=True) & ~Q(period="custom"),
                name="report_one_registry_report_per_period",
            ),
            models.UniqueConstraint(
                fields=["scope", "organization", "period", "period_start"],
                condition=Q(organization__isnull=False) & ~Q(period="custom"),
                name="report_one_organization_report_per_period",
            ),
            models.CheckConstraint(
                condition=(Q(scope="organization") & Q(organization__isnull=False))
                | (Q(scope="registry") & Q(organization__isnull=True)),
                name="report_scope_matches_organization",
            ),
            models.CheckConstraint(
                condition=Q(period__in=ReportPeriod.values), name="report_period_known"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="report_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.period_start}–{self.period_end}"

    def audit_label(self) -> str:
        return str(self)


# ---------------------------------------------------------------------------------------------
# E-mail: subscriptions and the outbox
# ---------------------------------------------------------------------------------------------


class Topic(models.TextChoices):
    DIGEST = "digest", _("My reminders (daily digest)")
    ORGANIZATION = "organization", _("My organization's summary")
    REGISTRY = "registry", _("The registry's summary")
    COALITION = "coalition", _("The coalition's summary")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Subscription(models.Model):
    """A user's choice of an e-mail: which topic, how often, in which language. The daily
    digest needs no row (caseworkers and supervisors receive it); a row with
    ``unsubscribed_at`` set is how anyone stops an e-mail, the digest included."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    topic = models.CharField(_("topic"), max_length=12, choices=Topic.choices)
    frequency = models.CharField(_("how often"), max_length=8, choices=Frequency.choices)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For an organization's summary: which of the user's organizations."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("subscribed"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("e-mail subscription")
        verbose_name_plural = _("e-mail subscriptions")
        ordering = ["user", "topic", "frequency"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic", "frequency"], name="subscription_one_per_topic_frequency"
            ),
            models.CheckConstraint(
                condition=Q(topic__in=Topic.values), name="subscription_topic_known"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=Frequency.values), name="subscription_frequency_known"
            ),
            models.CheckConstraint(
                condition=(Q(topic="organization") & Q(organization__isnull=False))
                | (~Q(topic="organization") & Q(organization__isnull=True)),
                name="subscription_organization_only_for_its_topic",
            ),
            models.CheckConstraint(
                condition=(Q(topic="digest") & Q(frequency="daily"))
                | (~Q(topic="digest") & Q(frequency__in=["weekly", "monthly"])),
                name="subscription_frequency_fits_topic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_topic_display()} · {self.get_frequency_display()}"

    def audit_label(self) -> str:
        return f"{self.get_topic_display()} · {self.get_frequency_display()}"

    @property
    def is_active(self) -> bool:
        return self.unsubscribed_at is None


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Nothing to send")
    FAILED = "failed", _("Failed")


class OutboundEmail(models.Model):
    """One e-mail to one recipient for one topic and period, written before it is sent.

    The unique key (user, topic, period) is what makes a beat tick that fires twice, or a
    retried task, write no second record; the row lock held while the message is handed to
    the SMTP server is what keeps two workers from sending it at once. A pending record whose
    worker died is picked up again by the next run. The body is never stored: it is built
    again from the report or the reminders when the message is sent.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    topic = models.CharField(_("topic"), max_length=12, choices=Topic.choices)
    # ``2026-12-06`` (a day), ``2026-W49`` (an ISO week), ``2026-11`` (a month).
    period = models.CharField(_("period"), max_length=10)
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    report = models.ForeignKey(
        StatusReport,
        verbose_name=_("report"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    # The class of the last transport error (``SMTPServerDisconnected``), never its text: a
    # server's answer may repeat the address or the subject.
    last_error = models.CharField(_("last error"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("e-mail sent")
        verbose_name_plural = _("e-mails sent")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_pending_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic", "period"], name="outbox_once_per_user_topic_period"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OutboxStatus.values), name="outbox_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="outbox_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_topic_display()} {self.period} → {self.user}"

    def audit_label(self) -> str:
        return f"{self.topic} {self.period}"

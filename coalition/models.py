"""The International Coalition for the Return of Ukrainian Children: who its members are, what
they promise and do, where they meet, what they sign, the lists of named children handed over in
negotiations, and how states vote at the United Nations.

Models hold fields, choices and constraints; every write goes through ``coalition.services``.

A *party* is anyone the coalition deals with: a state (by its ISO 3166-1 code, through the
country library the registry uses) or an international organization. Members, hosts,
participants, signatories, the two sides of a handed-over list and the voters on a resolution
are parties, members or not (Russia at Istanbul, China in a call).
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField

from audit.querysets import AuditedManager
from sources.models import AsOfPrecision, FigureQualifier, Source

# How precisely a date is known ("late April 2023" is a month with its words): the same scale as
# the published figures'. The date kept is the first day of the period it names.
DatePrecision = AsOfPrecision


class VersionedRecord(models.Model):
    """The bookkeeping every coalition record carries: a version for ETags and ``If-Match``,
    when it was made and last changed, and the audited manager."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = AuditedManager()

    class Meta:
        abstract = True


class CoalitionRecord(VersionedRecord):
    """A record someone on the coalition's side writes: who recorded it, and an audit label
    ``"<audit_noun> #<id>"`` (never a name: audit labels are shown to readers who may not see
    it)."""

    audit_noun: ClassVar[str]

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True

    def audit_label(self) -> str:
        return f"{self.audit_noun} #{self.pk}"


class PartyKind(models.TextChoices):
    STATE = "state", _("State")
    ORGANIZATION = "organization", _("International organization")


class Party(VersionedRecord):
    """A state or an international organization. A state's ``code`` is its ISO 3166-1 alpha-2
    code (``CA``); an organization's is a lower-case slug of three or more characters
    (``council-of-europe``), so the two never collide. Parties are referred to by code in the
    API."""

    kind = models.CharField(_("kind"), max_length=12, choices=PartyKind.choices)
    code = models.CharField(_("code"), max_length=40, unique=True)
    country = CountryField(_("country"), blank=True)
    name = models.CharField(
        _("name"),
        max_length=200,
        blank=True,
        help_text=_("An organization's name; a state's comes from its country code."),
    )
    name_uk = models.CharField(_("name in Ukrainian"), max_length=200, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_parties"
    )

    class Meta:
        verbose_name = _("state or organization")
        verbose_name_plural = _("states and organizations")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PartyKind.values), name="party_kind_known"),
            models.CheckConstraint(
                condition=(Q(kind=PartyKind.STATE) & ~Q(country="") & Q(name=""))
                | (Q(kind=PartyKind.ORGANIZATION) & Q(country="") & ~Q(name="")),
                name="party_state_has_country_organization_has_name",
            ),
            models.UniqueConstraint(
                fields=["country"], condition=~Q(country=""), name="party_one_per_country"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == PartyKind.STATE:
            return str(countries.name(str(self.country))) or self.code
        return self.name

    def audit_label(self) -> str:
        return f"party {self.code}"


class ProjectArea(models.Model):
    """One of the six areas in which Ukraine presented projects for members to support
    (reference data, seeded)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_uk = models.CharField(_("name in Ukrainian"), max_length=200, blank=True)
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_areas"
    )

    objects = AuditedManager()

    class Meta:
        verbose_name = _("project area")
        verbose_name_plural = _("project areas")
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class Commitment(models.Model):
    """One of the declaration's four commitments of member states (reference data, seeded)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), unique=True)
    text = models.CharField(_("text"), max_length=500)
    text_uk = models.CharField(_("text in Ukrainian"), max_length=500, blank=True)
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_commitments"
    )

    objects = AuditedManager()

    class Meta:
        verbose_name = _("commitment of the declaration")
        verbose_name_plural = _("commitments of the declaration")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"


class MemberRole(models.TextChoices):
    CO_CHAIR = "co_chair", _("Co-chair")
    MEMBER = "member", _("Member")


class Member(CoalitionRecord):
    """A party's membership of the coalition: when it joined (and left), its role, and the
    areas it acts in (and leads)."""

    party = models.OneToOneField(
        Party,
        verbose_name=_("state or organization"),
        on_delete=models.PROTECT,
        related_name="membership",
    )
    role = models.CharField(
        _("role"), max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER
    )
    joined_on = models.DateField(_("joined"), null=True, blank=True)
    joined_precision = models.CharField(
        _("precision of the joining date"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    left_on = models.DateField(_("left"), null=True, blank=True)
    endorsed_declaration = models.BooleanField(
        _("endorsed the declaration"),
        default=True,
        help_text=_("Members commit to the declaration's four commitments."),
    )
    note = models.TextField(_("note"), blank=True)
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_members"
    )

    audit_noun = "member"

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["joined_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=MemberRole.values), name="member_role_known"
            ),
            models.CheckConstraint(
                condition=Q(joined_precision__in=DatePrecision.values),
                name="member_precision_known",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(left_on__gte=models.F("joined_on")),
                name="member_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(self.party)


class MemberArea(models.Model):
    """An area a member acts in, and whether it leads it."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.CASCADE, related_name="areas"
    )
    area = models.ForeignKey(
        ProjectArea, verbose_name=_("area"), on_delete=models.PROTECT, related_name="members"
    )
    leads = models.BooleanField(_("leads"), default=False)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("area of a member")
        verbose_name_plural = _("areas of a member")
        ordering = ["area__position"]
        constraints = [
            models.UniqueConstraint(fields=["member", "area"], name="memberarea_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.area}"


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Under way")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Project(CoalitionRecord):
    """A project in one of the six areas, led by a member, that members pledge to support."""

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    area = models.ForeignKey(
        ProjectArea, verbose_name=_("area"), on_delete=models.PROTECT, related_name="projects"
    )
    lead = models.ForeignKey(
        Member,
        verbose_name=_("lead member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_projects",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED
    )
    starts_on = models.DateField(_("start"), null=True, blank=True)
    ends_on = models.DateField(_("end"), null=True, blank=True)
    budget = models.DecimalField(
        _("budget"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    budget_currency = models.CharField(
        _("currency of the budget"), max_length=3, blank=True, help_text=_("ISO 4217 code.")
    )
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_projects"
    )

    audit_noun = "project"

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["area__position", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProjectStatus.values), name="project_status_known"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=models.F("starts_on")),
                name="project_dates_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(budget__isnull=True) & Q(budget_currency=""))
                | (Q(budget__isnull=False) & Q(budget__gte=0) & ~Q(budget_currency="")),
                name="project_budget_has_currency",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PledgeKind(models.TextChoices):
    MONEY = "money", _("Money")
    IN_KIND = "in_kind", _("In kind")
    EXPERTISE = "expertise", _("Expertise")


class PledgeStatus(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A pledge not yet delivered nor withdrawn: overdue once its due date has passed.
OPEN_PLEDGE_STATUSES = (PledgeStatus.PLEDGED, PledgeStatus.IN_PROGRESS)


class Pledge(CoalitionRecord):
    """A member's promise of money, goods or expertise to a project or to an area."""

    member = models.ForeignKey(
        Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="pledges"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pledges",
    )
    area = models.ForeignKey(
        ProjectArea,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="pledges",
        help_text=_("The project's area when the pledge is to a project."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PledgeKind.choices)
    description = models.TextField(_("what was promised"))
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(
        _("currency"), max_length=3, blank=True, help_text=_("ISO 4217 code.")
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=PledgeStatus.choices,
        default=PledgeStatus.PLEDGED,
        editable=False,
    )
    status_changed_at = models.DateTimeField(_("status changed"), editable=False)
    pledged_on = models.DateField(_("pledged"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True, db_index=True)
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_pledges"
    )

    audit_noun = "pledge"

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_on"], name="pledge_status_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PledgeKind.values), name="pledge_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PledgeStatus.values), name="pledge_status_known"
            ),
            models.CheckConstraint(
                condition=(Q(amount__isnull=True) & Q(currency=""))
                | (Q(amount__isnull=False) & Q(amount__gte=0) & ~Q(currency="")),
                name="pledge_amount_has_currency",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PledgeKind.MONEY) | Q(amount__isnull=False),
                name="pledge_money_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_kind_display()}"


class PledgeStatusChange(models.Model):
    """One move of a pledge's status, with when and by whom. Append-only."""

    pledge = models.ForeignKey(
        Pledge, verbose_name=_("pledge"), on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=PledgeStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=PledgeStatus.choices)
    changed_at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("pledge status change")
        verbose_name_plural = _("pledge status changes")
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["pledge", "changed_at"], name="pledgechange_pledge_idx")]

    def __str__(self) -> str:
        return f"{self.pledge_id}: {self.from_status or '-'} → {self.to_status}"


class MeetingKind(models.TextChoices):
    FOUNDING = "founding", _("Founding meeting")
    PLENARY = "plenary", _("Plenary session")
    BILATERAL = "bilateral", _("Bilateral talks")
    CALL = "call", _("Call")
    NEGOTIATION = "negotiation", _("Negotiation round")
    UN_SESSION = "un_session", _("UN session")
    OTHER = "other", _("Other")


class Meeting(CoalitionRecord):
    """A meeting, a call, a negotiation round or a UN session, with who took part and what
    came of it."""

    kind = models.CharField(_("kind"), max_length=12, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=300)
    held_on = models.DateField(_("date"), help_text=_("The first day the date covers."))
    date_precision = models.CharField(
        _("precision of the date"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    date_label = models.CharField(
        _("date as reported"), max_length=50, blank=True, help_text=_("e.g. 'late April 2023'.")
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    country = CountryField(_("country"), blank=True)
    host = models.ForeignKey(
        Party,
        verbose_name=_("host"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_meetings",
    )
    participants = models.ManyToManyField(
        Party, verbose_name=_("participants"), blank=True, related_name="meetings"
    )
    outcomes = models.TextField(_("outcomes"), blank=True)
    members_claimed = models.PositiveIntegerField(
        _("members as claimed"),
        null=True,
        blank=True,
        help_text=_("A count of members reported at this meeting (e.g. 28 at the launch)."),
    )
    members_claimed_qualifier = models.CharField(
        _("qualifier of the claimed count"),
        max_length=10,
        choices=FigureQualifier.choices,
        blank=True,
    )
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_meetings"
    )

    audit_noun = "meeting"

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["kind", "held_on"], name="meeting_kind_held_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MeetingKind.values), name="meeting_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(date_precision__in=DatePrecision.values),
                name="meeting_precision_known",
            ),
            models.CheckConstraint(
                condition=(Q(members_claimed__isnull=True) & Q(members_claimed_qualifier=""))
                | Q(members_claimed__isnull=False),
                name="meeting_qualifier_has_count",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.date_label or self.held_on})"


class Statement(CoalitionRecord):
    """A joint statement: its demands and who signed it."""

    title = models.CharField(_("title"), max_length=300)
    issued_on = models.DateField(_("date"))
    demands = models.JSONField(
        _("demands"), default=list, blank=True, help_text=_("Each demand as a sentence.")
    )
    text = models.TextField(_("text"), blank=True)
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
    )
    signatories = models.ManyToManyField(
        Party, verbose_name=_("signatories"), blank=True, related_name="statements_signed"
    )
    signatories_claimed = models.PositiveIntegerField(
        _("signatories as reported"), null=True, blank=True
    )
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_statements"
    )

    audit_noun = "statement"

    class Meta:
        verbose_name = _("joint statement")
        verbose_name_plural = _("joint statements")
        ordering = ["-issued_on", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.issued_on})"


class ChildList(CoalitionRecord):
    """A list of named children handed over at a meeting or named in a statement. Its entries
    are personal data; the list itself (who, to whom, when, how many) is not."""

    title = models.CharField(_("title"), max_length=300)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("keeping organization"),
        on_delete=models.PROTECT,
        related_name="child_lists",
        help_text=_("Its members see the entries not linked to a case."),
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="child_lists",
    )
    statement = models.ForeignKey(
        Statement,
        verbose_name=_("statement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="child_lists",
    )
    handed_by = models.ForeignKey(
        Party,
        verbose_name=_("handed over by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lists_handed_over",
    )
    handed_to = models.ManyToManyField(
        Party, verbose_name=_("handed over to"), blank=True, related_name="lists_received"
    )
    handed_on = models.DateField(_("date"))
    date_precision = models.CharField(
        _("precision of the date"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    count_claimed = models.PositiveIntegerField(
        _("count as claimed"), null=True, blank=True, help_text=_("e.g. 400 for 'nearly 400'.")
    )
    count_qualifier = models.CharField(
        _("qualifier of the count"),
        max_length=10,
        choices=FigureQualifier.choices,
        default=FigureQualifier.STATED,
    )
    script = models.CharField(
        _("script of the names"),
        max_length=10,
        blank=True,
        help_text=_("ISO 15924 code of the list's script, e.g. Cyrl, Latn."),
    )
    note = models.TextField(_("note"), blank=True)
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_lists"
    )
    is_synthetic = models.BooleanField(_("synthetic"), default=False, editable=False)

    # Moved by the audited changes of its entries and their cases (``coalition.receivers``).
    audit_technical_fields = frozenset({"updated_at", "version"})
    audit_noun = "list"

    class Meta:
        verbose_name = _("list of named children")
        verbose_name_plural = _("lists of named children")
        ordering = ["-handed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_precision__in=DatePrecision.values),
                name="childlist_precision_known",
            ),
            models.CheckConstraint(
                condition=Q(meeting__isnull=False) | Q(statement__isnull=False),
                name="childlist_from_meeting_or_statement",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EntryOutcome(models.TextChoices):
    LISTED = "listed", _("Listed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the other side")
    INFORMATION_RECEIVED = "information_received", _("Information received")
    RETURN_AGREED = "return_agreed", _("Return agreed")
    RETURNED = "returned", _("Returned")
    REFUSED = "refused", _("Refused")
    NO_ANSWER = "no_answer", _("No answer")


class ChildListEntry(CoalitionRecord):
    """A child as named on a list: the name and date of birth as written, any other detail,
    an optional link to the registry's case, and what became of the request."""

    child_list = models.ForeignKey(
        ChildList, verbose_name=_("list"), on_delete=models.PROTECT, related_name="entries"
    )
    position = models.PositiveIntegerField(_("number on the list"))
    name_as_written = models.CharField(_("name as written"), max_length=300)
    date_of_birth_as_written = models.CharField(
        _("date of birth as written"), max_length=50, blank=True
    )
    details = models.TextField(_("other details as written"), blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="list_entries",
    )
    outcome = models.CharField(
        _("outcome"), max_length=22, choices=EntryOutcome.choices, default=EntryOutcome.LISTED
    )
    outcome_on = models.DateField(_("outcome date"), null=True, blank=True)

    # Moved by the linked case's audited moves (``coalition.receivers``).
    audit_technical_fields = frozenset({"updated_at", "version"})
    audit_noun = "list entry"

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        ordering = ["child_list", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["child_list", "position"], name="childlistentry_one_per_position"
            ),
            models.UniqueConstraint(
                fields=["child_list", "case"],
                condition=Q(case__isnull=False),
                name="childlistentry_case_once_per_list",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=EntryOutcome.values), name="childlistentry_outcome_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child_list_id} #{self.position}"


class UnBody(models.TextChoices):
    GENERAL_ASSEMBLY = "general_assembly", _("UN General Assembly")
    SECURITY_COUNCIL = "security_council", _("UN Security Council")
    HUMAN_RIGHTS_COUNCIL = "human_rights_council", _("UN Human Rights Council")
    OTHER = "other", _("Other body")


class Vote(models.TextChoices):
    IN_FAVOUR = "in_favour", _("In favour")
    AGAINST = "against", _("Against")
    ABSTAINING = "abstaining", _("Abstaining")
    ABSENT = "absent", _("Absent or not voting")


class Resolution(CoalitionRecord):
    """A resolution put to a vote, the totals as reported, and the vote of each state where
    known. The reported totals are kept even when only some votes are entered."""

    body = models.CharField(_("body"), max_length=25, choices=UnBody.choices)
    symbol = models.CharField(_("symbol"), max_length=60, blank=True, help_text=_("e.g. A/RES/…"))
    title = models.CharField(_("title"), max_length=500)
    voted_on = models.DateField(_("date of the vote"))
    date_precision = models.CharField(
        _("precision of the date"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    in_favour = models.PositiveIntegerField(_("in favour (reported)"), null=True, blank=True)
    against = models.PositiveIntegerField(_("against (reported)"), null=True, blank=True)
    abstaining = models.PositiveIntegerField(_("abstaining (reported)"), null=True, blank=True)
    absent = models.PositiveIntegerField(_("absent (reported)"), null=True, blank=True)
    roll_call_complete = models.BooleanField(
        _("full roll call entered"),
        default=False,
        help_text=_("Every state's vote is entered: the counts must equal the totals."),
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("session"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resolutions",
    )
    sources = models.ManyToManyField(
        Source, verbose_name=_("sources"), blank=True, related_name="coalition_resolutions"
    )

    audit_noun = "resolution"

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["-voted_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(body__in=UnBody.values), name="resolution_body_known"
            ),
            models.UniqueConstraint(
                fields=["body", "symbol"], condition=~Q(symbol=""), name="resolution_symbol_once"
            ),
        ]

    def __str__(self) -> str:
        return self.symbol or self.title


class ResolutionVote(models.Model):
    """How one state voted on a resolution."""

    resolution = models.ForeignKey(
        Resolution, verbose_name=_("resolution"), on_delete=models.CASCADE, related_name="votes"
    )
    party = models.ForeignKey(
        Party, verbose_name=_("state"), on_delete=models.PROTECT, related_name="votes"
    )
    vote = models.CharField(_("vote"), max_length=10, choices=Vote.choices)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["resolution", "party__code"]
        constraints = [
            models.UniqueConstraint(fields=["resolution", "party"], name="vote_once_per_state"),
            models.CheckConstraint(condition=Q(vote__in=Vote.values), name="vote_known"),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.get_vote_display()}"


class Dossier(Party):
    """The admin's door to the country dossiers (``coalition.admin.dossier``): no table of its
    own, a proxy of the parties; the dossier itself is read by ``coalition.selectors.dossier``."""

    class Meta:
        proxy = True
        verbose_name = _("country dossier")
        verbose_name_plural = _("country dossiers")
        default_permissions = ()

"""The case registry: children, their cases, families, places and the life of each case.

Models hold fields, choices, constraints and cheap read-only checks. Every write goes through
``cases.services``; nothing here has side effects in ``save()``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from audit.querysets import AuditedManager, AuditedQuerySet

from .workflow import ClosureReason, Phase, Status, phase_of, statuses_in_phase

if TYPE_CHECKING:
    from decimal import Decimal

EARTH_RADIUS_KM = 6371.0088
# The largest primary key the database can hold (BigAutoField): ids beyond it are not ids.


def distance_km(
    lat1: Decimal | float | None,
    lon1: Decimal | float | None,
    lat2: Decimal | float | None,
    lon2: Decimal | float | None,
) -> float | None:
    """Great-circle (haversine) distance in km, or None when a coordinate is missing."""
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a)), 1)


def _coordinate_constraints(prefix: str, lat: str, lon: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(**{f"{lat}__isnull": True}) | Q(**{f"{lat}__gte": -90, f"{lat}__lte": 90}),
            name=f"{prefix}_latitude_range",
        ),
        models.CheckConstraint(
            condition=Q(**{f"{lon}__isnull": True})
            | Q(**{f"{lon}__gte": -180, f"{lon}__lte": 180}),
            name=f"{prefix}_longitude_range",
        ),
        models.CheckConstraint(
            condition=Q(**{f"{lat}__isnull": True, f"{lon}__isnull": True})
            | Q(**{f"{lat}__isnull": False, f"{lon}__isnull": False}),
            name=f"{prefix}_coordinates_paired",
        ),
    ]


class Oblast(models.Model):
    """A first-level division of Ukraine by its ISO 3166-2:UA code (24 oblasts, Kyiv city,
    the Autonomous Republic of Crimea and Sevastopol: 27 in all)."""

    code = models.CharField(_("ISO 3166-2 code"), max_length=5, primary_key=True)
    name_uk = models.CharField(_("name in Ukrainian"), max_length=80)
    name_en = models.CharField(_("name in English"), max_length=80)

    objects = AuditedManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("oblast")
        verbose_name_plural = _("oblasts")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^UA-[0-9]{2}$"), name="oblast_code_iso"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_uk} / {self.name_en}"


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class DatePrecision(models.TextChoices):
    EXACT = "exact", _("Exact date")
    MONTH = "month", _("Month and year known")
    YEAR = "year", _("Year known")
    ESTIMATED = "estimated", _("Estimated")


class ParentalCare(models.TextChoices):
    BOTH_PARENTS = "both_parents", _("With both parents")
    ONE_PARENT = "one_parent", _("With one parent")
    RELATIVES = "relatives", _("With relatives or a guardian")
    FOSTER_FAMILY = "foster_family", _("In a foster family")
    INSTITUTION = "institution", _("In an institution")
    UNKNOWN = "unknown", _("Unknown")


class Child(models.Model):
    """A child as known to the registry. Names are Ukrainian Cyrillic; the Latin forms and the
    search keys are derived by ``cases.services`` and never typed by hand."""

    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    given_name_latin = models.CharField(_("given name (Latin)"), max_length=150, editable=False)
    family_name_latin = models.CharField(_("family name (Latin)"), max_length=150, editable=False)
    patronymic_latin = models.CharField(
        _("patronymic (Latin)"), max_length=150, blank=True, editable=False
    )
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    date_of_birth_precision = models.CharField(
        _("precision of the date of birth"),
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.EXACT,
    )
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    origin_oblast = models.ForeignKey(
        Oblast,
        verbose_name=_("oblast of origin"),
        on_delete=models.PROTECT,
        related_name="children",
        null=True,
        blank=True,
    )
    origin_settlement = models.CharField(_("settlement of origin"), max_length=150, blank=True)
    origin_latitude = models.DecimalField(
        _("latitude of the place of origin"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    origin_longitude = models.DecimalField(
        _("longitude of the place of origin"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    parental_care = models.CharField(
        _("parental care before deportation"),
        max_length=20,
        choices=ParentalCare.choices,
        default=ParentalCare.UNKNOWN,
    )
    distinguishing_notes = models.TextField(_("distinguishing notes"), blank=True)
    current_whereabouts = models.ForeignKey(
        "Whereabouts",
        verbose_name=_("current whereabouts"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    search_text = models.TextField(_("search keys"), blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_children",
        editable=False,
        help_text=_(
            "Set when a caseworker decided this record and another are the same child: its "
            "cases, aliases, whereabouts and relatives moved there, and this record is kept "
            "as a pointer."
        ),
    )
    merged_at = models.DateTimeField(_("merged"), null=True, blank=True, editable=False)

    # Derived columns, rewritten whenever a name, an alias or a whereabouts changes: the audit
    # trail records the change that caused them instead.
    audit_exclude_fields = ("search_text", "current_whereabouts")
    audit_technical_fields = frozenset(audit_exclude_fields)
    is_synthetic = models.BooleanField(
        _("synthetic"),
        default=False,
        help_text=_("Made-up demo or benchmark data, not a real child."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        indexes = [
            models.Index(fields=["family_name", "given_name"], name="child_name_idx"),
            # Counts by oblast of origin and by the country a child is in now (status reports,
            # case counts) read the children's keys from this index alone (PostgreSQL), never
            # the wide rows of names and search keys.
            models.Index(
                fields=["id"],
                include=["origin_oblast", "current_whereabouts"],
                name="child_geography_idx",
            ),
        ]
        constraints = [
            *_coordinate_constraints("child_origin", "origin_latitude", "origin_longitude"),
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=False) | Q(date_of_birth_precision="estimated"),
                name="child_dob_unknown_is_estimated",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.patronymic) if p)

    @property
    def full_name_latin(self) -> str:
        return " ".join(
            p for p in (self.family_name_latin, self.given_name_latin, self.patronymic_latin) if p
        )

    @property
    def birth_year(self) -> int | None:
        return self.date_of_birth.year if self.date_of_birth else None


class AliasKind(models.TextChoices):
    RUSSIFIED = "russified", _("Russified spelling")
    CHANGED = "changed", _("Changed name")
    SPELLING = "spelling", _("Other spelling")
    NICKNAME = "nickname", _("Nickname")


class ChildAlias(models.Model):
    """Another name the child is known or recorded under, with where it was seen."""

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=12, choices=AliasKind.choices)
    seen_in = models.CharField(
        _("where it was seen"),
        max_length=300,
        blank=True,
        help_text=_("A document, database or listing that uses this name."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [
            models.UniqueConstraint(fields=["child", "name"], name="alias_unique_per_child"),
        ]

    def __str__(self) -> str:
        # No name here: __str__ ends up in the admin's history, which outlives the alias.
        return f"{self.get_kind_display()} #{self.pk}"


class ChildNameKey(models.Model):
    """One script-independent key of a child's names or aliases (``cases.matching.name_keys``):
    the index identity matching draws its candidates from. Derived, never typed: rewritten by
    ``cases.services`` whenever a name or an alias changes, and not audited on its own (the
    child's or the alias's own event records the change)."""

    # No index of its own: the unique (child, key) below serves lookups by child.
    child = models.ForeignKey(
        Child,
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="name_keys",
        db_index=False,
    )
    key = models.CharField(_("key"), max_length=40)

    class Meta:
        verbose_name = _("name key")
        verbose_name_plural = _("name keys")
        indexes = [
            # Candidates are found by key, by equality only: on PostgreSQL a hash index
            # (migration 0018), which an import's thousands of new keys cost less to keep up
            # than a B-tree of key and child, and which finds a key as fast.
            models.Index(fields=["key"], name="childnamekey_key_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["child", "key"], name="childnamekey_unique_per_child"),
        ]

    def __str__(self) -> str:
        return self.key


class ExternalReference(models.Model):
    """An organization's own reference for a child (the ``ref`` column of its imports): how
    a re-import finds the record it wrote before, and how match results name a child to the
    organization that knows it by that reference. Unique per organization."""

    # Indexed by the unique (organization, reference) below and ``externalref_child_idx``:
    # one index each, kept once (an import writes thousands of references at a time).
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="external_references",
        db_index=False,
    )
    child = models.ForeignKey(
        Child,
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="external_references",
        db_index=False,
    )
    reference = models.CharField(_("reference"), max_length=100)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("external reference")
        verbose_name_plural = _("external references")
        indexes = [models.Index(fields=["child"], name="externalref_child_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="externalref_unique_per_organization"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class DuplicateDecision(models.TextChoices):
    OPEN = "open", _("Awaiting a decision")
    SAME = "same", _("The same child (merged)")
    DIFFERENT = "different", _("Different children")


class DuplicatePair(models.Model):
    """Two registry children identity matching found alike, lower id first, and what a
    caseworker decided: the same child (merged) or different (never proposed again)."""

    first = models.ForeignKey(
        Child, verbose_name=_("first child"), on_delete=models.CASCADE, related_name="+"
    )
    second = models.ForeignKey(
        Child, verbose_name=_("second child"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.FloatField(_("score"))
    band = models.CharField(_("band"), max_length=10)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    decision = models.CharField(
        _("decision"),
        max_length=10,
        choices=DuplicateDecision.choices,
        default=DuplicateDecision.OPEN,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    found_at = models.DateTimeField(_("found"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "id"]
        indexes = [
            models.Index(fields=["decision", "-score"], name="duplicatepair_queue_idx"),
            models.Index(fields=["second"], name="duplicatepair_second_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicatepair_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=F("second")), name="duplicatepair_lower_id_first"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=DuplicateDecision.values),
                name="duplicatepair_decision_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id}"


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Pathway(models.TextChoices):
    FROM_INSTITUTION = "from_institution", _("Taken from an institution")
    SEPARATED_FROM_FAMILY = "separated_from_family", _("Separated from family")
    TEMPORARY_CAMP = "temporary_camp", _('Sent to a "temporary" camp')
    AFTER_FILTRATION = "after_filtration", _("Taken after filtration")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class CaseQuerySet(AuditedQuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.exclude(status=Status.CLOSED)

    def in_phase(self, phase: str) -> CaseQuerySet:
        return self.filter(status__in=statuses_in_phase(phase))


class Case(models.Model):
    """One child's case, from the first report to integration at home, or to its closure."""

    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.PROTECT, related_name="cases"
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("owning organization"),
        on_delete=models.PROTECT,
        related_name="cases",
        editable=False,
        help_text=_("Others see the case only through a share."),
        # Covered by the (organization, updated_at) index.
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REPORTED, editable=False
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned caseworker"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    pathway = models.CharField(
        _("how the child was taken"),
        max_length=25,
        choices=Pathway.choices,
        default=Pathway.UNKNOWN,
    )
    deported_on = models.DateField(_("date taken"), null=True, blank=True)
    deported_from = models.CharField(_("place taken from"), max_length=200, blank=True)
    circumstances = models.TextField(_("circumstances"), blank=True)
    russian_citizenship_imposed = models.BooleanField(
        _("Russian citizenship imposed"), default=False
    )
    under_russian_guardianship = models.BooleanField(_("under Russian guardianship"), default=False)
    adopted_in_russia = models.BooleanField(_("adopted in Russia"), default=False)
    listed_in_adoption_database = models.BooleanField(
        _("listed in an adoption database"), default=False
    )
    returned_on = models.DateField(_("date returned"), null=True, blank=True, editable=False)
    closure_reason = models.CharField(
        _("closure reason"),
        max_length=20,
        choices=ClosureReason.choices,
        blank=True,
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    status_changed_at = models.DateTimeField(_("status changed"), editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    is_synthetic = models.BooleanField(_("synthetic"), default=False, editable=False)
    # The country of the child's current whereabouts, kept on each of the child's cases by the
    # services that move the child (``services.whereabouts``, opening a case, bulk opening; a
    # merge moves the cases to the kept child and refreshes it): the case list filters by it
    # from one index on the cases, never joining every case's child and whereabouts.
    current_country = CountryField(
        _("child's current country"), blank=True, default="", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    # Stamps bumped when what the case shows changes through another record (a relative, a
    # whereabouts, a share...): that record's own audit event says what changed. The child's
    # current country is the whereabouts' (their events record it), copied for the list.
    audit_technical_fields = frozenset({"version", "updated_at", "current_country"})
    audit_exclude_fields = ("current_country",)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="case_status_updated_idx"),
            models.Index(fields=["priority", "-updated_at"], name="case_priority_updated_idx"),
            models.Index(
                fields=["organization", "-updated_at"], name="case_organization_updated_idx"
            ),
            # The case list filtered by the child's current country, newest first, and the
            # filter's choices read as a loose scan of it (one probe per country,
            # ``selectors_list_filters.current_country_codes``).
            models.Index(
                fields=["current_country", "-updated_at"], name="case_country_updated_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["child"], condition=~Q(status="closed"), name="case_one_open_per_child"
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^UA-[0-9]{4}-[0-9]{6}$"), name="case_number_format"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="case_status_known"),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(closure_reason=""),
                name="case_closed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="closed") | Q(closure_reason=""),
                name="case_open_has_no_closure_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["returned", "rehabilitation", "integration"])
                | Q(returned_on__isnull=False),
                name="case_returned_has_date",
            ),
            models.CheckConstraint(
                condition=Q(returned_on__isnull=True)
                | Q(deported_on__isnull=True)
                | Q(returned_on__gte=models.F("deported_on")),
                name="case_return_after_deportation",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="case_version_positive"),
        ]

    def __str__(self) -> str:
        return self.number

    def audit_label(self) -> str:
        return self.number

    @property
    def phase(self) -> str:
        return phase_of(self.status)

    @property
    def phase_label(self) -> str:
        return str(Phase(self.phase).label)

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED


class CaseNumberSequence(models.Model):
    """The last case number issued in a year; locked while a number is taken."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number issued"), default=0)

    class Meta:
        verbose_name = _("case number sequence")
        verbose_name_plural = _("case number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class ShareScope(models.TextChoices):
    FULL = "full", _("Full record")
    LIMITED = "limited", _("Limited: birth year only, no relatives' contacts, no documents")


class CaseShareQuerySet(AuditedQuerySet["CaseShare"]):
    def active(self, at: dt.datetime | None = None) -> CaseShareQuerySet:
        """Shares in force at ``at`` (now): not revoked and not expired."""
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )

    def expiring(self, *, now: dt.datetime, days: int) -> CaseShareQuerySet:
        """Shares in force at ``now`` that end within ``days`` days: the supervisor's home page
        and the share reminders list the same ones."""
        return self.active(now).filter(expires_at__lte=now + dt.timedelta(days=days))


class CaseShare(models.Model):
    """A referral: the owning organization lets another organization read a case, with a
    scope, a reason, the consent it rests on and an optional expiry. Revoked, never deleted."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="shares"
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("shared with"),
        on_delete=models.PROTECT,
        related_name="case_shares",
    )
    scope = models.CharField(_("scope"), max_length=8, choices=ShareScope.choices)
    reason = models.TextField(_("reason"))
    consent_reference = models.CharField(
        _("consent reference"),
        max_length=200,
        help_text=_("The consent or legal basis the share rests on (a document or record)."),
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("shared"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)

    objects = CaseShareQuerySet.as_manager()

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["organization", "case"],
                condition=Q(revoked_at__isnull=True),
                name="share_live_by_organization_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organization"],
                condition=Q(revoked_at__isnull=True),
                name="share_one_live_per_organization",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=ShareScope.values), name="share_scope_known"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("created_at")),
                name="share_revoked_after_created",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                name="share_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} → {self.organization} ({self.scope})"

    def audit_label(self) -> str:
        return str(self)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class ClosureRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded by another move")


class ClosureRequest(models.Model):
    """A caseworker asks to close a case; a supervisor of the owning organization approves
    (the case closes) or rejects it."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="closure_requests"
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices
    )
    reason = models.TextField(_("explanation"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ClosureRequestStatus.choices,
        default=ClosureRequestStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("closure request")
        verbose_name_plural = _("closure requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="pending"),
                name="closure_request_one_pending_per_case",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ClosureRequestStatus.values),
                name="closure_request_status_known",
            ),
            models.CheckConstraint(
                condition=Q(closure_reason__in=ClosureReason.values),
                name="closure_request_reason_known",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="closure_request_decided_when_not_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_status_display()}"

    def audit_label(self) -> str:
        return str(self)


class Relationship(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Sibling")
    AUNT_UNCLE = "aunt_uncle", _("Aunt or uncle")
    LEGAL_GUARDIAN = "legal_guardian", _("Legal guardian")
    FOSTER_PARENT = "foster_parent", _("Foster parent")
    OTHER = "other", _("Other")


class Relative(models.Model):
    """A family member or guardian of the child. Contacts are sensitive personal data."""

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="relatives"
    )
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    is_legal_guardian = models.BooleanField(_("legal guardian"), default=False)
    is_searching = models.BooleanField(_("is searching for the child"), default=False)
    consent_to_share = models.BooleanField(
        _("consent to share data"),
        default=False,
        help_text=_("The relative agreed that their data may be shared with partners."),
    )
    consent_recorded_on = models.DateField(_("consent recorded on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("relative")
        verbose_name_plural = _("relatives")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_to_share=False) | Q(consent_recorded_on__isnull=False),
                name="relative_consent_dated",
            ),
        ]

    def __str__(self) -> str:
        # No name here: __str__ ends up in the admin's history, which outlives the relative.
        return f"{self.get_relationship_display()} #{self.pk}"


class FacilityKind(models.TextChoices):
    CAMP = "camp", _("Camp")
    ORPHANAGE = "orphanage", _("Orphanage or children's home")
    CADET_SCHOOL = "cadet_school", _("Cadet school")
    BOARDING_SCHOOL = "boarding_school", _("Boarding school")
    HOSPITAL = "hospital", _("Hospital or sanatorium")
    FOSTER_AGENCY = "foster_agency", _("Foster or guardianship agency")
    OTHER = "other", _("Other")


class Facility(models.Model):
    """A place children are held or placed: camp, orphanage, cadet school, hospital, agency."""

    name = models.CharField(_("name"), max_length=250)
    name_latin = models.CharField(_("name (Latin)"), max_length=250, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=FacilityKind.choices)
    country = CountryField(_("country"))
    region = models.CharField(_("region"), max_length=150, blank=True)
    settlement = models.CharField(_("settlement"), max_length=150, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]
        constraints = [
            *_coordinate_constraints("facility", "latitude", "longitude"),
            models.UniqueConstraint(
                fields=["name", "country"], name="facility_unique_name_country"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country!s})"


class Whereabouts(models.Model):
    """Where the child was at a time, and the source that says so. The latest by start date is
    the child's current location."""

    # No index of its own: ``whereabouts_child_from_idx`` (child, latest first) serves it.
    child = models.ForeignKey(
        Child,
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="whereabouts",
        db_index=False,
    )
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="whereabouts",
    )
    country = CountryField(_("country"))
    region = models.CharField(_("region"), max_length=150, blank=True)
    settlement = models.CharField(_("settlement"), max_length=150, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    from_date = models.DateField(_("from"))
    to_date = models.DateField(_("to"), null=True, blank=True)
    source_description = models.TextField(
        _("source"),
        help_text=_("Who or what says the child was here (document, witness, listing)."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("whereabouts")
        verbose_name_plural = _("whereabouts")
        ordering = ["-from_date", "-id"]
        indexes = [
            models.Index(fields=["child", "-from_date"], name="whereabouts_child_from_idx"),
            # The children ever in a country (the coalition's country dossier): read from the
            # index alone, and at once for a country with no whereabouts.
            models.Index(fields=["country", "child"], name="whereabouts_country_child_idx"),
        ]
        constraints = [
            *_coordinate_constraints("whereabouts", "latitude", "longitude"),
            models.CheckConstraint(
                condition=Q(to_date__isnull=True) | Q(to_date__gte=models.F("from_date")),
                name="whereabouts_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        place = self.facility.name if self.facility_id and self.facility else self.settlement
        # The date as the reader's language writes dates (``config/formats``).
        return f"{place or str(self.country)} ({date_format(self.from_date, 'SHORT_DATE_FORMAT')})"

    @property
    def coordinates(self) -> tuple[Decimal | None, Decimal | None]:
        if self.latitude is not None:
            return self.latitude, self.longitude
        if self.facility is not None:
            return self.facility.latitude, self.facility.longitude
        return None, None

    def distance_from_home_km(self) -> float | None:
        lat, lon = self.coordinates
        return distance_km(self.child.origin_latitude, self.child.origin_longitude, lat, lon)


class StatusChange(models.Model):
    """One move of a case through the workflow: the case timeline's backbone. Append-only."""

    # Covered by the (case, changed_at) and (case, case_version) indexes.
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="status_changes",
        db_index=False,
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    changed_at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    # The reason of a closing, as it was when the case closed: a case reopened and closed again
    # keeps each closing's own reason here (the case holds only the latest).
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True
    )
    case_version = models.PositiveIntegerField(_("case version after the change"))

    objects = AuditedManager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["case", "changed_at"], name="statuschange_case_idx"),
            # The moves of a period, and those since a moment (status reports: the counts by
            # status as of a past moment are today's, less the moves made since). On PostgreSQL
            # the columns a report groups by are in the index: read from it alone.
            models.Index(
                fields=["changed_at"],
                include=["from_status", "to_status", "closure_reason"],
                name="statuschange_changed_at_idx",
            ),
            # The returns of a period, with what ranks them (status reports: days to return).
            models.Index(
                fields=["changed_at"],
                include=["case", "id"],
                condition=Q(to_status="returned"),
                name="statuschange_returns_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "case_version"], name="statuschange_one_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_status or '-'} → {self.to_status}"


class ServiceKind(models.TextChoices):
    MEDICAL = "medical", _("Medical")
    PSYCHOLOGICAL = "psychological", _("Psychological")
    LEGAL = "legal", _("Legal")
    DOCUMENTS = "documents", _("Documents")
    EDUCATION = "education", _("Education")
    HOUSING = "housing", _("Housing")
    FAMILY_PLACEMENT = "family_placement", _("Family placement")
    OTHER = "other", _("Other")


class ServiceStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Service(models.Model):
    """Rehabilitation or integration support given to the child after return."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="services"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.PLANNED
    )
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    started_on = models.DateField(_("started"), null=True, blank=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["started_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="service_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class FollowUpOutcome(models.TextChoices):
    WELL = "well", _("Doing well")
    CONCERNS = "concerns", _("Concerns noted")
    NEEDS_SUPPORT = "needs_support", _("Needs more support")
    UNREACHABLE = "unreachable", _("Could not be reached")


class FollowUp(models.Model):
    """A dated check on the child, e.g. 30, 90 and 180 days after return, with its outcome."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    due_on = models.DateField(_("due"))
    days_after_return = models.PositiveIntegerField(_("days after return"), null=True, blank=True)
    completed_on = models.DateField(_("completed"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=15, choices=FollowUpOutcome.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"], condition=Q(completed_on__isnull=True), name="followup_due_idx"
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "days_after_return"],
                condition=Q(days_after_return__isnull=False),
                name="followup_one_per_schedule_day",
            ),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True) | ~Q(outcome=""),
                name="followup_completed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.due_on}"


class CaseCountSnapshot(models.Model):
    """The registry's cases as counted by one pass over them at ``taken_at``: what
    ``/api/v1/case-counts/``, the status counts of figures and the home pages by role read
    instead of counting every case on every request (``cases.counts``). Derived,
    never typed: replaced whole by ``cases.counts.case_counts_refresh`` (in one transaction,
    the older snapshots deleted with it), and not audited (no record of anyone changes)."""

    taken_at = models.DateTimeField(_("counted at"), db_index=True)
    cases = models.PositiveIntegerField(_("cases counted"))
    duration_ms = models.PositiveIntegerField(_("time the count took (ms)"))

    class Meta:
        verbose_name = _("case count snapshot")
        verbose_name_plural = _("case count snapshots")

    def __str__(self) -> str:
        return self.taken_at.isoformat()


class CaseloadCount(models.Model):
    """In one snapshot, an organization's cases in one status assigned to one caseworker
    (``None``: unassigned): the supervisors' caseloads and the registry's counts by status."""

    snapshot = models.ForeignKey(
        CaseCountSnapshot,
        verbose_name=_("snapshot"),
        on_delete=models.CASCADE,
        related_name="caseload_counts",
        # Covered by the (snapshot, organization) index.
        db_index=False,
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("owning organization"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned caseworker"),
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_index=False,
    )
    count = models.PositiveIntegerField(_("cases"))

    class Meta:
        verbose_name = _("caseload count")
        verbose_name_plural = _("caseload counts")
        indexes = [
            models.Index(fields=["snapshot", "organization"], name="caseloadcount_snapshot_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.status} {self.assignee_id}: {self.count}"


class PlaceCount(models.Model):
    """In one snapshot, an organization's cases in one status whose child came from one oblast
    (``None``: unknown) and is now in one country (``""``: no whereabouts recorded): the
    registry's counts by oblast of origin and by current country."""

    snapshot = models.ForeignKey(
        CaseCountSnapshot,
        verbose_name=_("snapshot"),
        on_delete=models.CASCADE,
        related_name="place_counts",
    )
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("owning organization"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    origin_oblast = models.ForeignKey(
        Oblast,
        verbose_name=_("oblast of origin"),
        on_delete=models.CASCADE,
        null=True,
        related_name="+",
        db_index=False,
    )
    current_country = models.CharField(_("current country"), max_length=2, blank=True)
    count = models.PositiveIntegerField(_("cases"))

    class Meta:
        verbose_name = _("case count by place")
        verbose_name_plural = _("case counts by place")

    def __str__(self) -> str:
        return f"{self.origin_oblast_id} {self.current_country} {self.status}: {self.count}"

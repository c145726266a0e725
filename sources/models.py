"""Sources and evidence: documents and published claims, the facts they support in cases, the
chain of custody of every file, and the figures claimants publish.

A file is received once (identical content is one source), hashed as it is stored, never
modified, and served only through a permission-checked download that records custody.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.querysets import AuditedManager
from core.append_only import AppendOnlyManager, AppendOnlyModel, AppendOnlyViolation


def sources_storage() -> Storage:
    """Where files are kept: ``STORAGES["sources"]`` (a folder outside any public URL by
    default, an S3-compatible bucket when configured)."""
    return storages["sources"]


class SourceKind(models.TextChoices):
    NEWS_ARTICLE = "news_article", _("News article")
    OFFICIAL_STATEMENT = "official_statement", _("Official statement")
    TESTIMONY = "testimony", _("Testimony")
    GOVERNMENT_LIST = "government_list", _("Government list")
    UN_DOCUMENT = "un_document", _("UN document")
    COURT_DOCUMENT = "court_document", _("Court document")
    PHOTO = "photo", _("Photo")
    VIDEO = "video", _("Video")
    DATABASE_LISTING = "database_listing", _("Database listing")
    OTHER = "other", _("Other")


# Published for everyone to read: visible to every signed-in user, whatever cases they support.
PUBLIC_KINDS: frozenset[str] = frozenset(
    {SourceKind.NEWS_ARTICLE, SourceKind.OFFICIAL_STATEMENT, SourceKind.UN_DOCUMENT}
)


class Reliability(models.TextChoices):
    """The source's reliability, on the admiralty scale used in intelligence and OSINT work."""

    A = "A", _("A: completely reliable")
    B = "B", _("B: usually reliable")
    C = "C", _("C: fairly reliable")
    D = "D", _("D: not usually reliable")
    E = "E", _("E: unreliable")
    F = "F", _("F: reliability cannot be judged")


class Credibility(models.IntegerChoices):
    """The information's credibility, on the admiralty scale."""

    CONFIRMED = 1, _("1: confirmed by other sources")
    PROBABLY_TRUE = 2, _("2: probably true")
    POSSIBLY_TRUE = 3, _("3: possibly true")
    DOUBTFUL = 4, _("4: doubtful")
    IMPROBABLE = 5, _("5: improbable")
    CANNOT_JUDGE = 6, _("6: truth cannot be judged")


class TextExtraction(models.TextChoices):
    NONE = "none", _("No file, or a type without text")
    DONE = "done", _("Text extracted")
    FAILED = "failed", _("Extraction failed")


class Integrity(models.TextChoices):
    UNVERIFIED = "unverified", _("Not verified yet")
    OK = "ok", _("Unaltered")
    ALTERED = "altered", _("Altered: the content no longer matches its hash")
    MISSING = "missing", _("Missing from storage")


class Source(models.Model):
    """A document or a published claim: an article, a statement, a testimony, a list, a photo."""

    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    title = models.CharField(_("title"), max_length=500)
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    author = models.CharField(_("author"), max_length=300, blank=True)
    language = models.CharField(
        _("language"), max_length=16, blank=True, help_text=_("ISO 639-1 code, e.g. uk, en, ru.")
    )
    published_on = models.DateField(_("published"), null=True, blank=True)
    retrieved_at = models.DateTimeField(_("retrieved"), null=True, blank=True)
    url = models.URLField(_("URL"), max_length=2000, blank=True)
    extracted_text = models.TextField(_("extracted text"), blank=True)
    text_extraction = models.CharField(
        _("text extraction"),
        max_length=8,
        choices=TextExtraction.choices,
        default=TextExtraction.NONE,
    )
    text_extraction_error = models.CharField(_("extraction error"), max_length=300, blank=True)
    # The file, if any: stored under its hash, never modified.
    file = models.FileField(
        _("file"), storage=sources_storage, max_length=300, blank=True, editable=False
    )
    original_filename = models.CharField(_("original file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True, editable=False)
    media_type = models.CharField(
        _("media type"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("Detected from the content, not the name."),
    )
    integrity = models.CharField(
        _("integrity"), max_length=10, choices=Integrity.choices, default=Integrity.UNVERIFIED
    )
    integrity_checked_at = models.DateTimeField(_("integrity checked"), null=True, blank=True)
    reliability = models.CharField(
        _("reliability"), max_length=1, choices=Reliability.choices, blank=True
    )
    reliability_judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reliability judged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reliability_judged_at = models.DateTimeField(_("reliability judged"), null=True, blank=True)
    credibility = models.PositiveSmallIntegerField(
        _("credibility"), choices=Credibility.choices, null=True, blank=True
    )
    credibility_judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("credibility judged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    credibility_judged_at = models.DateTimeField(_("credibility judged"), null=True, blank=True)
    # The organization that received the source: its members see it before it supports a case.
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sources",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    is_synthetic = models.BooleanField(_("synthetic"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The extracted text can be long and is derived from the file, whose hash is recorded.
    audit_exclude_fields = ("extracted_text",)
    objects = AuditedManager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "-published_on"], name="source_kind_published_idx"),
            models.Index(fields=["language", "-published_on"], name="source_lang_published_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"], condition=~Q(sha256=""), name="source_one_per_content"
            ),
            models.CheckConstraint(
                condition=Q(sha256="") | Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="source_sha256_format",
            ),
            models.CheckConstraint(
                condition=(Q(file="") & Q(sha256="") & Q(size__isnull=True))
                | (~Q(file="") & ~Q(sha256="") & Q(size__isnull=False) & ~Q(media_type="")),
                name="source_file_has_hash_size_type",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SourceKind.values), name="source_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(reliability="") | Q(reliability__in=Reliability.values),
                name="source_reliability_known",
            ),
            models.CheckConstraint(
                condition=Q(credibility__isnull=True) | Q(credibility__gte=1, credibility__lte=6),
                name="source_credibility_range",
            ),
            models.CheckConstraint(
                condition=(Q(reliability="") & Q(reliability_judged_at__isnull=True))
                | (~Q(reliability="") & Q(reliability_judged_at__isnull=False)),
                name="source_reliability_judged",
            ),
            models.CheckConstraint(
                condition=(Q(credibility__isnull=True) & Q(credibility_judged_at__isnull=True))
                | (Q(credibility__isnull=False) & Q(credibility_judged_at__isnull=False)),
                name="source_credibility_judged",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def audit_label(self) -> str:
        return f"source #{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_KINDS


class EvidenceFact(models.TextChoices):
    IDENTITY = "identity", _("Identity")
    DEPORTATION = "deportation", _("Deportation")
    WHEREABOUTS = "whereabouts", _("Whereabouts")
    FAMILY = "family", _("Family")
    RETURN = "return", _("Return")
    OTHER = "other", _("Other")


class Evidence(models.Model):
    """A source supporting a fact in a case, with where in the source it says so."""

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="evidence"
    )
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="evidence"
    )
    fact = models.CharField(_("fact supported"), max_length=12, choices=EvidenceFact.choices)
    page = models.CharField(_("page"), max_length=50, blank=True)
    excerpt = models.TextField(_("excerpt"), blank=True)
    time_reference = models.CharField(
        _("time reference"),
        max_length=50,
        blank=True,
        help_text=_("Where in an audio or video recording, e.g. 00:12:30."),
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "case", "fact", "page", "time_reference"],
                name="evidence_one_per_place",
            ),
            models.CheckConstraint(
                condition=Q(fact__in=EvidenceFact.values), name="evidence_fact_known"
            ),
        ]

    def __str__(self) -> str:
        return _("%(fact)s: source #%(source)s → case #%(case)s") % {
            "fact": self.get_fact_display(),
            "source": self.source_id,
            "case": self.case_id,
        }

    def audit_label(self) -> str:
        return f"evidence #{self.pk}"


class CustodyAction(models.TextChoices):
    RECEIVED = "received", _("Received")
    VIEWED = "viewed", _("Viewed")
    DOWNLOADED = "downloaded", _("Downloaded")
    VERIFIED = "verified", _("Verified unaltered")
    INTEGRITY_FAILURE = "integrity_failure", _("Integrity failure")
    EXPORTED = "exported", _("Exported")


class CustodyChainImmutable(AppendOnlyViolation):
    code = "custody_chain_immutable"
    default_detail = _("The chain of custody is never changed or deleted, only added to.")


class CustodyEvent(AppendOnlyModel):
    """One link in a file's chain of custody: who did what to it, when, and the hash they saw."""

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="custody"
    )
    action = models.CharField(_("action"), max_length=20, choices=CustodyAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    sha256_seen = models.CharField(
        _("SHA-256 seen"),
        max_length=64,
        blank=True,
        help_text=_("The hash of the content at this moment (empty when the file was missing)."),
    )
    note = models.TextField(_("note"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    append_only_error = CustodyChainImmutable
    objects = AppendOnlyManager()

    class Meta:
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["source", "at"], name="custody_source_at_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=CustodyAction.values), name="custody_action_known"
            ),
            models.CheckConstraint(
                condition=Q(sha256_seen="") | Q(sha256_seen__regex=r"^[0-9a-f]{64}$"),
                name="custody_sha256_format",
            ),
        ]

    def __str__(self) -> str:
        return _("%(action)s: source #%(source)s") % {
            "action": self.get_action_display(),
            "source": self.source_id,
        }

    def audit_label(self) -> str:
        return f"custody event #{self.pk}"


class FigureMetric(models.TextChoices):
    DEPORTED = "deported", _("Deported or forcibly transferred")
    RETURNED = "returned", _("Returned")
    FOUND = "found", _("Found (located)")
    MISSING = "missing", _("Missing")
    ADOPTED_OR_GUARDIANSHIP = "adopted_or_guardianship", _("Adopted or under guardianship")
    IN_FACILITIES = "in_facilities", _("In facilities")


class FigureQualifier(models.TextChoices):
    AT_LEAST = "at_least", _("at least")
    NEARLY = "nearly", _("nearly")
    MORE_THAN = "more_than", _("more than")
    AT_MOST = "at_most", _("at most")
    STATED = "stated", _("stated")


class AsOfPrecision(models.TextChoices):
    """How precisely a claim dates itself: "2023-04-28", "spring 2023", "late 2025"."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    SEASON = "season", _("Season")
    HALF_YEAR = "half_year", _("Early or late in the year")
    YEAR = "year", _("Year")


class PublishedFigure(models.Model):
    """A figure someone published: kept with its claimant, date, qualifier and source, never
    overwritten by another (conflicting figures are the normal case)."""

    metric = models.CharField(_("metric"), max_length=30, choices=FigureMetric.choices)
    description = models.CharField(
        _("as claimed"),
        max_length=300,
        help_text=_(
            "What was counted, in the claimant's terms, e.g. 'children abducted by "
            "Russia since February 2022'."
        ),
    )
    value = models.PositiveBigIntegerField(_("value"), null=True, blank=True)
    value_text = models.CharField(
        _("the claim's words"),
        max_length=200,
        blank=True,
        help_text=_("The words of a claim without a number, e.g. 'hundreds of thousands'."),
    )
    qualifier = models.CharField(
        _("qualifier"), max_length=10, choices=FigureQualifier.choices, default="stated"
    )
    as_of = models.DateField(_("as of"), help_text=_("The first day the claim's date covers."))
    as_of_precision = models.CharField(
        _("precision of the date"), max_length=10, choices=AsOfPrecision.choices, default="day"
    )
    as_of_label = models.CharField(
        _("date as claimed"), max_length=50, blank=True, help_text=_("e.g. 'spring 2023'.")
    )
    claimant = models.CharField(_("claimant"), max_length=300)
    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="figures",
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()

    class Meta:
        verbose_name = _("published figure")
        verbose_name_plural = _("published figures")
        ordering = ["as_of", "claimant", "id"]
        indexes = [models.Index(fields=["metric", "as_of"], name="figure_metric_as_of_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=False) | ~Q(value_text=""),
                name="figure_has_value_or_words",
            ),
            models.CheckConstraint(
                condition=Q(metric__in=FigureMetric.values), name="figure_metric_known"
            ),
            models.CheckConstraint(
                condition=Q(qualifier__in=FigureQualifier.values), name="figure_qualifier_known"
            ),
            models.CheckConstraint(
                condition=Q(as_of_precision__in=AsOfPrecision.values),
                name="figure_precision_known",
            ),
        ]

    def __str__(self) -> str:
        value = f"{self.value:,}" if self.value is not None else f"“{self.value_text}”"
        return f"{self.claimant}, {self.as_of_label or self.as_of}: {value}"

    def audit_label(self) -> str:
        return f"figure #{self.pk}"

"""Imports of cases from an organization's spreadsheet, and runs of identity matching over a
list (an uploaded file or a coalition list of named children).

Both are jobs: uploaded, validated or run (in Celery when large, with progress), then read or
committed. The uploaded file is kept only until the job ends (it holds children's names); what
stays is who did what, when, and the counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.querysets import AuditedManager


class FileFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("XLSX")


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Being checked")
    VALIDATED = "validated", _("Checked, ready to commit")
    INVALID = "invalid", _("Checked, has problems")
    COMMITTING = "committing", _("Being written")
    COMMITTED = "committed", _("Written")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


class CaseImport(models.Model):
    """One upload of an organization's cases: checked first (every row's problems and the rows
    that match children already in the registry), then written all at once or not at all."""

    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="case_imports",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=4, choices=FileFormat.choices)
    file_size = models.PositiveBigIntegerField(_("size in bytes"))
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    # The upload itself, kept until the import is committed or discarded.
    content = models.BinaryField(_("content"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.VALIDATING
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    # What the check found: {"rows": [...], "problems": [...], "matches": [...], "counts": {}}
    report = models.JSONField(_("report"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    validated_at = models.DateTimeField(_("checked"), null=True, blank=True)
    committed_at = models.DateTimeField(_("written"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()
    audit_exclude_fields = ("content", "report", "rows_done")
    audit_technical_fields = frozenset(audit_exclude_fields)

    class Meta:
        verbose_name = _("case import")
        verbose_name_plural = _("case imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="caseimport_org_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="caseimport_status_known"
            ),
            models.CheckConstraint(
                condition=Q(file_format__in=FileFormat.values), name="caseimport_format_known"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"


class MatchRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class MatchRun(models.Model):
    """Identity matching over a list: each row's candidates in the registry, up to five. The
    candidates are stored as found (child, score, band, reasons) and shown as the reader may
    see them when read, so a share granted or revoked later is respected."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    child_list = models.ForeignKey(
        "coalition.ChildList",
        verbose_name=_("list of named children"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="match_runs",
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_format = models.CharField(
        _("format"), max_length=4, choices=FileFormat.choices, blank=True
    )
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    content = models.BinaryField(_("content"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=MatchRunStatus.choices,
        default=MatchRunStatus.QUEUED,
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    # [{"row": 2, "entry": id|None, "problems": [...], "candidates": [{child, score, band,
    # reasons}]}], in row order.
    results = models.JSONField(_("results"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedManager()
    audit_exclude_fields = ("content", "results", "rows_done")
    audit_technical_fields = frozenset(audit_exclude_fields)

    class Meta:
        verbose_name = _("match run")
        verbose_name_plural = _("match runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="matchrun_owner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MatchRunStatus.values), name="matchrun_status_known"
            ),
            models.CheckConstraint(
                condition=Q(child_list__isnull=False) | ~Q(file_name=""),
                name="matchrun_list_or_file",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

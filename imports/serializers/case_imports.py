"""Serializers of the case imports API: input serializers only validate, output serializers
only render. An import's report holds no personal data; its matches are rendered from the
candidates as the reader may see them (``case_import_matches_as_seen``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.serializers_matching import SeenCandidateSerializer
from core.db import MAX_ID
from core.serializers import StrictInputMixin

from ..models import CaseImport
from ..selectors.case_imports import case_import_rows_done


class CaseImportUploadInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    # An empty file is the reader's to refuse, with its own code (``empty_file``).
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=_("The CSV (UTF-8, with or without BOM, or Windows-1251) or XLSX file."),
    )
    organization = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        allow_null=True,
        help_text=_(
            "The id of the organization the cases belong to; needed only when you open cases "
            "for several."
        ),
    )


class EmptyInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    """No fields: any field sent is refused."""


class CountsSerializer(serializers.Serializer[Any]):
    rows = serializers.IntegerField()
    new = serializers.IntegerField(help_text=_("Rows that open a case for a new child."))
    updated = serializers.IntegerField(
        help_text=_("Rows whose reference was imported before and that change its records.")
    )
    unchanged = serializers.IntegerField(
        help_text=_("Rows whose reference was imported before, with nothing new.")
    )
    with_problems = serializers.IntegerField()
    problems = serializers.IntegerField()
    matching_existing = serializers.IntegerField(
        help_text=_("New rows like children already in the registry (flagged for review).")
    )


class RowProblemSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField(help_text=_("The row as the spreadsheet numbers it."))
    column = serializers.CharField()
    message = serializers.CharField()

    class Meta:
        ref_name = "ImportRowProblem"


class CaseImportSerializer(serializers.ModelSerializer[CaseImport]):
    rows_done = serializers.SerializerMethodField(
        help_text=_("Rows processed so far (while being checked or written).")
    )
    counts = serializers.SerializerMethodField()

    class Meta:
        model = CaseImport
        fields = [
            "id",
            "organization",
            "file_name",
            "file_format",
            "file_size",
            "file_sha256",
            "status",
            "rows_total",
            "rows_done",
            "counts",
            "error",
            "created_at",
            "validated_at",
            "committed_at",
        ]
        read_only_fields = fields

    def get_rows_done(self, obj: CaseImport) -> int:
        return case_import_rows_done(obj)

    @extend_schema_field(CountsSerializer(allow_null=True))
    def get_counts(self, obj: CaseImport) -> dict[str, int] | None:
        counts: dict[str, int] | None = (obj.report or {}).get("counts")
        return counts


class RowMatchesSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField()
    ref = serializers.CharField()
    candidates = SeenCandidateSerializer(many=True)


class CaseImportCheckedSerializer(CaseImportSerializer):
    """An import with the problems its check found (the answer to an upload or a commit:
    read the import for the matches)."""

    problems = serializers.SerializerMethodField(
        help_text=_("Each problem: the row and the column, and what is wrong.")
    )

    class Meta(CaseImportSerializer.Meta):
        fields = [*CaseImportSerializer.Meta.fields, "problems"]
        read_only_fields = fields

    @extend_schema_field(RowProblemSerializer(many=True))
    def get_problems(self, obj: CaseImport) -> list[dict[str, Any]]:
        problems: list[dict[str, Any]] = (obj.report or {}).get("problems", [])
        return problems


class CaseImportDetailSerializer(CaseImportCheckedSerializer):
    matches = serializers.SerializerMethodField(
        help_text=_(
            "New rows like children already in the registry, each with up to 5 candidates as "
            "you may see them. Written rows are proposed as possible duplicates, never merged."
        )
    )

    class Meta(CaseImportCheckedSerializer.Meta):
        fields = [*CaseImportCheckedSerializer.Meta.fields, "matches"]
        read_only_fields = fields

    @extend_schema_field(RowMatchesSerializer(many=True))
    def get_matches(self, obj: CaseImport) -> list[Any]:
        rows = self.context.get("matches", [])
        return list(RowMatchesSerializer(rows, many=True).data)

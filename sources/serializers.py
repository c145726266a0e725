"""Serializers of the sources, evidence and published-figures API.

Input serializers only validate the shape and types of a request (unknown fields are a 400);
the rules live in ``sources.services`` and ``sources.figures``. Output serializers only render
what the selectors fetched. No serializer ever renders a file's content: that is read only
through the download endpoint, which records custody.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import OrganizationRefSerializer, UserRefSerializer
from core.db import MAX_ID
from core.serializers import BlankAsNullMixin, DateTimeField, StrictInputMixin

from .models import (
    AsOfPrecision,
    Credibility,
    CustodyAction,
    CustodyEvent,
    Evidence,
    EvidenceFact,
    FigureMetric,
    FigureQualifier,
    PublishedFigure,
    Reliability,
    Source,
    SourceKind,
)


def _id_field(help_text: Any, **kwargs: Any) -> serializers.IntegerField:
    """A reference by id; whether it names something the actor may use is the view's and the
    service's question."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text=help_text, **kwargs)


# ---------------------------------------------------------------------------------------------
# Sources: input
# ---------------------------------------------------------------------------------------------
class SourceMetadataInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    """What may be said about a source, with or without a file."""

    kind = serializers.ChoiceField(choices=SourceKind.choices)
    title = serializers.CharField(max_length=500)
    publisher = serializers.CharField(max_length=300, required=False, allow_blank=True)
    author = serializers.CharField(max_length=300, required=False, allow_blank=True)
    language = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        help_text=_("ISO 639-1 code, e.g. uk, en, ru."),
    )
    published_on = serializers.DateField(required=False, allow_null=True)
    retrieved_at = serializers.DateTimeField(required=False, allow_null=True)
    url = serializers.URLField(max_length=2000, required=False, allow_blank=True)


class SourceRecordInputSerializer(SourceMetadataInputSerializer):
    """A source without a file (known by its URL, say), sent as JSON."""

    organization = _id_field(
        _("The receiving organization's id; needed only when you act for several organizations."),
        required=False,
    )


class SourceUploadInputSerializer(SourceRecordInputSerializer):
    """The form fields of a multipart upload besides `file`. The kind and the title may be
    left out: the registry then takes the title from the document or its file name."""

    kind = serializers.ChoiceField(choices=SourceKind.choices, required=False)
    title = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SourceUploadSchemaSerializer(SourceUploadInputSerializer):
    """A document and what is known about it, sent as `multipart/form-data`."""

    file = serializers.FileField(
        help_text=_(
            "The document. Its type is detected from its content (PDF, images, audio, video, "
            "text, HTML, DOCX, XLSX); at most the configured size."
        )
    )

    class Meta:
        ref_name = "SourceUpload"


class SourceUpdateInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    """A change of a source's metadata, or a judgement of its reliability and credibility."""

    kind = serializers.ChoiceField(choices=SourceKind.choices, required=False)
    title = serializers.CharField(max_length=500, required=False)
    publisher = serializers.CharField(max_length=300, required=False, allow_blank=True)
    author = serializers.CharField(max_length=300, required=False, allow_blank=True)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    published_on = serializers.DateField(required=False, allow_null=True)
    retrieved_at = serializers.DateTimeField(required=False, allow_null=True)
    url = serializers.URLField(max_length=2000, required=False, allow_blank=True)
    reliability = serializers.ChoiceField(
        choices=Reliability.choices,
        required=False,
        help_text=_(
            "The source's reliability, A to F (admiralty scale); recorded with who judged it "
            "and when."
        ),
    )
    credibility = serializers.ChoiceField(
        choices=Credibility.choices,
        required=False,
        help_text=_(
            "The information's credibility, 1 to 6 (admiralty scale); recorded with who "
            "judged it and when."
        ),
    )

    JUDGEMENT_FIELDS = frozenset({"reliability", "credibility"})


# ---------------------------------------------------------------------------------------------
# Sources: output
# ---------------------------------------------------------------------------------------------
NO_CUSTODY: dict[str, Any] = {
    "events": 0,
    "downloads": 0,
    "received_at": None,
    "last_action": None,
    "last_at": None,
}


class CustodySummarySerializer(serializers.Serializer[Any]):
    events = serializers.IntegerField(help_text=_("Events in the chain of custody."))
    downloads = serializers.IntegerField()
    received_at = serializers.DateTimeField(allow_null=True)
    last_action = serializers.ChoiceField(choices=CustodyAction.choices, allow_null=True)
    last_at = serializers.DateTimeField(allow_null=True)


class SourceSerializer(BlankAsNullMixin, serializers.ModelSerializer[Source]):
    """A source as a list row renders it: what it is, the file's fingerprint, how it was judged."""

    organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    is_public = serializers.BooleanField(
        read_only=True, help_text=_("Public kinds are visible to every signed-in user.")
    )
    has_file = serializers.SerializerMethodField()
    # Given by people, so possibly a time long past.
    retrieved_at = DateTimeField(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField(
        help_text=_("Where to download the file (every download is recorded); null without one.")
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "kind",
            "title",
            "publisher",
            "author",
            "language",
            "published_on",
            "retrieved_at",
            "url",
            "is_public",
            "has_file",
            "original_filename",
            "sha256",
            "size",
            "media_type",
            "download_url",
            "integrity",
            "integrity_checked_at",
            "reliability",
            "credibility",
            "text_extraction",
            "organization",
            "is_synthetic",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_has_file(self, source: Source) -> bool:
        return bool(source.file)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_download_url(self, source: Source) -> str | None:
        if not source.file:
            return None
        path = reverse("source-download", args=[source.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class SourceDetailSerializer(SourceSerializer):
    """One source: its list row, who judged it and when, who recorded it, and a summary of
    its chain of custody (`/custody/` lists the chain). The extracted text is not shown: it
    is the document's content, read through the recorded download."""

    reliability_judged_by = UserRefSerializer(read_only=True, allow_null=True)
    credibility_judged_by = UserRefSerializer(read_only=True, allow_null=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    custody = serializers.SerializerMethodField()

    class Meta(SourceSerializer.Meta):
        fields = [
            *SourceSerializer.Meta.fields,
            "reliability_judged_by",
            "reliability_judged_at",
            "credibility_judged_by",
            "credibility_judged_at",
            "text_extraction_error",
            "created_by",
            "custody",
        ]
        read_only_fields = fields

    @extend_schema_field(CustodySummarySerializer)
    def get_custody(self, source: Source) -> dict[str, Any]:
        summary: dict[str, Any] = self.context.get("custody_summary") or NO_CUSTODY
        return dict(CustodySummarySerializer(summary).data)


class SourceReceivedSerializer(SourceDetailSerializer):
    """The answer to an upload: the source, and whether it was already in the registry."""

    duplicate = serializers.SerializerMethodField(
        help_text=_(
            "True when identical content was already in the registry: this is that source, "
            "and no second copy was stored."
        )
    )

    class Meta(SourceDetailSerializer.Meta):
        fields = [*SourceDetailSerializer.Meta.fields, "duplicate"]
        read_only_fields = fields

    def get_duplicate(self, source: Source) -> bool:
        return bool(self.context.get("duplicate", False))


class CustodyEventSerializer(serializers.ModelSerializer[CustodyEvent]):
    actor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CustodyEvent
        fields = ["id", "action", "actor", "at", "sha256_seen", "note", "request_id"]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------
# Evidence
# ---------------------------------------------------------------------------------------------
class EvidenceCreateInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    case = _id_field(_("The case's id."))
    fact = serializers.ChoiceField(choices=EvidenceFact.choices)
    page = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    excerpt = serializers.CharField(required=False, allow_blank=True, default="")
    time_reference = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Where in an audio or video recording, e.g. 00:12:30."),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "source" names a Field attribute, so it cannot be declared as a class attribute.
        return {"source": _id_field(_("The source's id.")), **super().get_fields()}


class EvidenceUpdateInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    fact = serializers.ChoiceField(choices=EvidenceFact.choices, required=False)
    page = serializers.CharField(max_length=50, required=False, allow_blank=True)
    excerpt = serializers.CharField(required=False, allow_blank=True)
    time_reference = serializers.CharField(max_length=50, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


class SourceRefSerializer(serializers.ModelSerializer[Source]):
    class Meta:
        model = Source
        fields = ["id", "kind", "title"]
        read_only_fields = fields


class CaseRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)


class EvidenceSerializer(serializers.ModelSerializer[Evidence]):
    case = CaseRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "source",
            "case",
            "fact",
            "page",
            "excerpt",
            "time_reference",
            "note",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "source" names a Field attribute, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["source"] = SourceRefSerializer(read_only=True)
        return fields


# ---------------------------------------------------------------------------------------------
# Published figures
# ---------------------------------------------------------------------------------------------
class FigureInputSerializer(StrictInputMixin, serializers.Serializer[Any]):
    metric = serializers.ChoiceField(choices=FigureMetric.choices)
    description = serializers.CharField(
        max_length=300,
        help_text=_("What was counted, in the claimant's terms."),
    )
    value = serializers.IntegerField(
        min_value=0,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        help_text=_("The number claimed; null for a claim without one (give value_text)."),
    )
    value_text = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("The words of a claim without a number, e.g. 'hundreds of thousands'."),
    )
    qualifier = serializers.ChoiceField(choices=FigureQualifier.choices, required=False)
    as_of = serializers.DateField(help_text=_("The first day the claim's date covers."))
    as_of_precision = serializers.ChoiceField(choices=AsOfPrecision.choices, required=False)
    as_of_label = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text=_("e.g. 'spring 2023'.")
    )
    claimant = serializers.CharField(max_length=300)
    note = serializers.CharField(required=False, allow_blank=True)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # "source" names a Field attribute, so it cannot be declared as a class attribute.
        fields = super().get_fields()
        fields["source"] = _id_field(
            _("The id of the source that published it."), required=False, allow_null=True
        )
        return fields


class FigureUpdateInputSerializer(FigureInputSerializer):
    """Every field optional: only those sent change."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


class FigureSerializer(serializers.ModelSerializer[PublishedFigure]):
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    has_value = serializers.SerializerMethodField(
        help_text=_("False for a claim without a number (see value_text).")
    )

    class Meta:
        model = PublishedFigure
        fields = [
            "id",
            "metric",
            "description",
            "value",
            "value_text",
            "has_value",
            "qualifier",
            "as_of",
            "as_of_precision",
            "as_of_label",
            "claimant",
            "source",
            "note",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # The source's id only: a figure is read by everyone, its source by those who may see
        # it. ("source" names a Field attribute: it cannot be declared as a class attribute.)
        fields = super().get_fields()
        fields["source"] = serializers.IntegerField(
            source="source_id",
            read_only=True,
            allow_null=True,
            help_text=_("The id of the source that published it (read it at /sources/{id}/)."),
        )
        return fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_value(self, figure: PublishedFigure) -> bool:
        return figure.value is not None

"""Sources, evidence, the chain of custody and published figures in the admin.

As in ``cases.admin``: reads start from ``sources.selectors`` (visibility is decided there),
every write goes through ``sources.services`` or ``sources.figures``, and what a user may do
follows from their roles, not from Django's model permissions. A source out of sight is "not
found". Files are received through ``source_receive`` (the upload page) and served only through
the download view here, which calls ``source_open`` and so records custody for every download.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import widgets as admin_widgets
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import request_actor as _actor
from accounts.models import Organization, Role
from accounts.roles import Capability
from accounts.selectors import ActorRoles, actor_roles, organization_list
from audit.admin import render_object_history
from audit.admin_reads import READ_RECORDS, AuditedReadsAdmin
from cases import selectors as case_selectors
from cases.selectors import reads_aggregates
from cases.workflow import Status
from core.admin import ServiceBackedAdmin
from core.charts import counts_chart
from core.errors import DomainError
from core.forms import ServiceBackedModelForm, add_service_errors, service_error_fields

from . import charts, figures, selectors, services
from .forms import refuse_several_files, source_title_field
from .models import (
    CustodyEvent,
    Evidence,
    FigureMetric,
    FigureQualifier,
    PublishedFigure,
    Source,
    SourceKind,
)
from .views import file_download_response, streaming_upload_entry

# The change page shows the newest links of a long chain; the custody list shows them all.
CUSTODY_ON_PAGE = 100


def _roles(request: HttpRequest) -> ActorRoles:
    return actor_roles(request.user)


def _signed_in(request: HttpRequest) -> bool:
    """Everyone in the admin reads public sources and published figures; which others they see
    is the selectors' answer."""
    return bool(request.user.is_authenticated and request.user.is_active)


# ---------------------------------------------------------------------------------------------
# Who may do what, as the services decide it (they check again on every write)
# ---------------------------------------------------------------------------------------------
def _receives_sources(request: HttpRequest) -> bool:
    """Receiving: writers of cases and partners (who submit), for their organizations."""
    roles = _roles(request)
    return roles.can(Capability.CASE_WRITE) or roles.can(Capability.CASE_CREATE)


def _describes(request: HttpRequest, source: Source | None) -> bool:
    """Changing a source's description: CASE_WRITE in an organization it belongs to."""
    roles = _roles(request)
    if roles.is_superuser:
        return True
    writers = set(roles.organizations(Capability.CASE_WRITE))
    if source is None or source.pk is None:
        return bool(writers)
    return bool(writers & selectors.source_organizations(source=source))


def _judges(request: HttpRequest, source: Source | None) -> bool:
    """Judging reliability and credibility: as describing, and any writer for a public source."""
    if _describes(request, source):
        return True
    return source is not None and source.is_public and _roles(request).can(Capability.CASE_WRITE)


def _records_figures(request: HttpRequest) -> bool:
    """As ``sources.figures`` decides: writers of cases, coordinators and superusers."""
    roles = _roles(request)
    return (
        roles.is_superuser or roles.can(Capability.CASE_WRITE) or roles.has_role(Role.COORDINATOR)
    )


def _writes_case_of(request: HttpRequest, evidence: Evidence | None) -> bool:
    if evidence is None or evidence.pk is None:
        return _roles(request).can(Capability.CASE_WRITE)
    return case_selectors.case_can(request.user, Capability.CASE_WRITE, evidence.case)


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------
METADATA_FIELDS = sorted(services.SOURCE_FIELDS)
JUDGEMENT_FIELDS = ("reliability", "credibility")


class SourceUploadForm(forms.Form):
    """Receive a document (or record a source known only by its URL) through the services."""

    file = forms.FileField(
        label=_("document"),
        required=False,
        help_text=_(
            "PDF, images, audio, video, text, HTML, DOCX or XLSX (read from the content, not the "
            "name). Leave empty to record a source known by its URL."
        ),
    )
    kind = forms.ChoiceField(label=_("kind"), choices=SourceKind.choices, initial="other")
    title = source_title_field()
    publisher = forms.CharField(label=_("publisher"), max_length=300, required=False)
    author = forms.CharField(label=_("author"), max_length=300, required=False)
    language = forms.CharField(
        label=_("language"), max_length=16, required=False, help_text=_("e.g. uk, en, ru.")
    )
    published_on = forms.DateField(
        label=_("published"), required=False, widget=admin_widgets.AdminDateWidget()
    )
    retrieved_at = forms.DateTimeField(label=_("retrieved"), required=False)
    url = forms.URLField(label=_("URL"), max_length=2000, required=False, assume_scheme="https")
    organization = forms.ModelChoiceField(
        label=_("received by"), queryset=Organization.objects.none(), required=False
    )

    def __init__(self, *args: Any, organizations: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["organization"])
        field.queryset = organizations
        if len(organizations[:2]) == 1:
            field.widget = forms.HiddenInput()
            field.initial = organizations[0].pk

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A file over the size limit never gets here: the upload handlers refuse it as it
        # streams (see ``SourceAdmin._upload_entry``).
        if cleaned.get("file") is None and not cleaned.get("title"):
            self.add_error("title", gettext("A source without a file needs a title."))
        refuse_several_files(self)
        return cleaned

    def metadata(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in METADATA_FIELDS
            if self.cleaned_data.get(name) not in (None, "")
        }


class SourceAdminForm(ServiceBackedModelForm):
    # A URL typed without a scheme is read as https.
    url = forms.URLField(label=_("URL"), max_length=2000, required=False, assume_scheme="https")

    class Meta:
        model = Source
        # ``url`` is the declared field above (a model URLField's form field would still
        # default to http).
        fields = [f for f in (*METADATA_FIELDS, *JUDGEMENT_FIELDS) if f != "url"]


@admin.register(Source)
class SourceAdmin(AuditedReadsAdmin, ServiceBackedAdmin):
    form = SourceAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "title",
        "kind",
        "publisher",
        "language",
        "published_on",
        "integrity",
        "reliability",
        "credibility",
        "file_display",
        "created_at",
    ]
    list_filter = ["kind", "integrity", "reliability", "credibility", "language"]
    list_select_related = ["organization"]
    search_fields = ["title", "publisher"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "file_display",
        "original_filename",
        "sha256",
        "size_display",
        "media_type",
        "integrity",
        "integrity_checked_at",
        "text_extraction",
        "text_extraction_error",
        "reliability_judged",
        "credibility_judged",
        "organization",
        "created_by",
        "created_at",
        "updated_at",
        "is_synthetic",
    ]

    # --- who may do what ---------------------------------------------------------------------
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _signed_in(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A source reaches here only through ``get_queryset``: one out of sight is not found.
        return _signed_in(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _receives_sources(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _judges(request, obj) if obj is not None else _describes(request, None)

    # --- reads -------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        queryset = selectors.source_list(actor=request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    # --- the page ----------------------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Source | None = None) -> Any:
        return [
            (
                None,
                {
                    "fields": [
                        ("kind", "language"),
                        "title",
                        ("publisher", "author"),
                        ("published_on", "retrieved_at"),
                        "url",
                    ]
                },
            ),
            (
                _("File"),
                {
                    "fields": [
                        "file_display",
                        ("original_filename", "media_type", "size_display"),
                        "sha256",
                        ("integrity", "integrity_checked_at"),
                        ("text_extraction", "text_extraction_error"),
                    ]
                },
            ),
            (
                _("Judgement (admiralty scale)"),
                {
                    "fields": [
                        ("reliability", "reliability_judged"),
                        ("credibility", "credibility_judged"),
                    ]
                },
            ),
            (
                _("Record"),
                {
                    "classes": ["collapse"],
                    "fields": [
                        "organization",
                        ("created_by", "created_at", "updated_at"),
                        "is_synthetic",
                    ],
                },
            ),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Source | None = None) -> Any:
        fields = list(self.readonly_fields)
        if obj is None:
            return fields
        if not _describes(request, obj):
            fields += METADATA_FIELDS
        if not _judges(request, obj):
            fields += JUDGEMENT_FIELDS
        return fields

    @admin.display(description=_("file"))
    def file_display(self, source: Source) -> str:
        if not source.file:
            return gettext("No file (known by its URL or words)")
        url = reverse(f"{self.admin_site.name}:sources_source_download", args=[source.pk])
        return format_html(
            '<a href="{}" class="source-download">{}</a> ({}, {})',
            url,
            gettext("Download"),
            source.media_type,
            filesizeformat(source.size or 0),
        )

    @admin.display(description=_("size"))
    def size_display(self, source: Source) -> str:
        if source.size is None:
            return "-"
        return gettext("%(size)s (%(bytes)s bytes)") % {
            "size": filesizeformat(source.size),
            "bytes": source.size,
        }

    @admin.display(description=_("judged"))
    def reliability_judged(self, source: Source) -> str:
        return _judged(source.reliability_judged_by, source.reliability_judged_at)

    @admin.display(description=_("judged"))
    def credibility_judged(self, source: Source) -> str:
        return _judged(source.credibility_judged_by, source.credibility_judged_at)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Source | None = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None:
            chain = selectors.source_custody(source=obj)
            count = chain.count()
            context["custody"] = list(chain.order_by("-at", "-id")[:CUSTODY_ON_PAGE])
            context["custody_count"] = count
            context["custody_truncated"] = count > CUSTODY_ON_PAGE
            context["custody_list_url"] = (
                reverse(f"{self.admin_site.name}:sources_custodyevent_changelist")
                + f"?source__id__exact={obj.pk}"
            )
            context["evidence"] = list(selectors.source_evidence(source=obj, actor=request.user))
            context[READ_RECORDS] = {
                CustodyEvent: [event.pk for event in context["custody"]],
                Evidence: [evidence.pk for evidence in context["evidence"]],
            }
            context["download_url"] = (
                reverse(f"{self.admin_site.name}:sources_source_download", args=[obj.pk])
                if obj.file
                else None
            )
            context["source_history"] = render_object_history(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- saves -------------------------------------------------------------------------------
    def save_through_services(
        self, request: HttpRequest, obj: Source, form: SourceAdminForm, change: bool
    ) -> Source:
        actor = _actor(request)
        current = selectors.source_get(actor=actor, source_id=obj.pk)
        data = form.service_data(frozenset(METADATA_FIELDS), changed_only=True)
        judgement = form.service_data(frozenset(JUDGEMENT_FIELDS), changed_only=True)
        withdrawn = sorted(name for name, value in judgement.items() if value in ("", None))
        if withdrawn:
            raise DomainError(
                gettext("A judgement is replaced by another, never withdrawn."),
                fields={name: [gettext("Choose a grade.")] for name in withdrawn},
            )
        return services.source_change(source=current, actor=actor, data=data, **judgement)

    # --- receiving: the upload page ----------------------------------------------------------
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        organizations = _receiving_organizations(request)
        form = SourceUploadForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
            organizations=organizations,
        )
        if request.method == "POST" and form.is_valid():
            try:
                source, created = self._receive(request, form)
            except (DomainError, IntegrityError) as exc:
                add_service_errors(form, service_error_fields(exc))
            else:
                return self._received(request, source, created)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Receive a source"),
            "opts": self.opts,
            "form": form,
            "errors": form.errors,
            "limit": filesizeformat(settings.SOURCES_MAX_UPLOAD_BYTES),
            "media": self.media + form.media,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/sources/source/upload.html", context)

    def _receive(self, request: HttpRequest, form: SourceUploadForm) -> tuple[Source, bool]:
        actor = _actor(request)
        organization = form.cleaned_data.get("organization")
        upload = form.cleaned_data.get("file")
        data = form.metadata()
        if upload is None:
            return services.source_record(actor=actor, data=data, organization=organization), True
        return services.source_receive(
            fileobj=upload,
            filename=upload.name or "",
            actor=actor,
            organization=organization,
            data=data,
        )

    def _received(self, request: HttpRequest, source: Source, created: bool) -> HttpResponse:
        # The source by its number: a title may be a file name, and a name in it must not
        # travel in a message cookie.
        if created:
            self.message_user(request, gettext("Source #%(id)s received.") % {"id": source.pk})
        else:
            # Content held in a source the user may not see is refused by the service.
            self.message_user(
                request,
                gettext(
                    "This content was already in the registry: here is that source (no second "
                    "copy was stored)."
                ),
                messages.WARNING,
            )
        return HttpResponseRedirect(self._url("change", source.pk))

    # --- downloads ---------------------------------------------------------------------------
    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponseBase:
        """The file, streamed through ``source_open``: a custody event for every download."""
        source = self.get_object(request, unquote(object_id))
        if source is None:
            raise Http404(gettext("No such source."))
        try:
            file, opened = services.source_open(source=source, actor=_actor(request))
        except DomainError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return HttpResponseRedirect(self._url("change", source.pk))
        return file_download_response(file, opened)

    def get_urls(self) -> list[URLPattern]:
        return [
            path("add/", self._upload_entry(), name="sources_source_add"),
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="sources_source_download",
            ),
            *(url for url in super().get_urls() if url.name != "sources_source_add"),
        ]

    def _upload_entry(self) -> Callable[..., HttpResponse]:
        """The upload page's view, streaming the file under the size limit
        (``views.streaming_upload_entry``)."""
        return streaming_upload_entry(self.admin_site.admin_view(self.add_view))

    def _url(self, name: str, *args: Any) -> str:
        return reverse(f"{self.admin_site.name}:sources_source_{name}", args=args)


def _judged(by: Any, at: Any) -> str:
    if at is None:
        return "-"
    when = date_format(timezone.localtime(at), "DATETIME_FORMAT")
    return f"{by or gettext('the system')}, {when}"


def _receiving_organizations(request: HttpRequest) -> QuerySet[Organization]:
    """Where the user may receive sources (a superuser: anywhere, or for none)."""
    roles = _roles(request)
    organizations = organization_list().filter(is_active=True)
    if roles.is_superuser:
        return organizations
    ids = set(roles.organizations(Capability.CASE_WRITE)) | set(
        roles.organizations(Capability.CASE_CREATE)
    )
    return organizations.filter(pk__in=ids)


# ---------------------------------------------------------------------------------------------
# The chain of custody: read only, for everyone, superusers included
# ---------------------------------------------------------------------------------------------
@admin.register(CustodyEvent)
class CustodyEventAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    list_display = ["at", "source_link", "action", "actor", "sha256_short", "request_id"]
    list_filter = ["action"]
    list_select_related = ["source", "actor"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]
    fields = ["source", "action", "actor", "at", "sha256_seen", "note", "request_id"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _signed_in(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _signed_in(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CustodyEvent]:
        # The chains of the sources this user may see, and no other.
        visible = selectors.source_visible_to(actor=request.user).values("pk")
        return CustodyEvent.objects.filter(source__in=visible).order_by("-at", "-id")

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The source page links to its own chain.
        return lookup == "source__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("source"), ordering="source__title")
    def source_link(self, event: CustodyEvent) -> str:
        url = reverse(f"{self.admin_site.name}:sources_source_change", args=[event.source_id])
        return format_html('<a href="{}">{}</a>', url, event.source)

    @admin.display(description=_("SHA-256 seen"))
    def sha256_short(self, event: CustodyEvent) -> str:
        return f"{event.sha256_seen[:16]}…" if event.sha256_seen else "-"


# ---------------------------------------------------------------------------------------------
# Evidence
# ---------------------------------------------------------------------------------------------
class EvidenceAdminForm(ServiceBackedModelForm):
    class Meta:
        model = Evidence
        fields = ["source", "case", "fact", "page", "time_reference", "excerpt", "note"]


@admin.register(Evidence)
class EvidenceAdmin(AuditedReadsAdmin, ServiceBackedAdmin):
    form = EvidenceAdminForm
    list_display = ["case", "source", "fact", "page", "time_reference", "created_by", "created_at"]
    list_filter = ["fact"]
    list_select_related = ["case", "source", "created_by"]
    search_fields = ["case__number", "source__title"]
    autocomplete_fields = ["source", "case"]
    ordering = ["-created_at", "-id"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return case_selectors.reads_cases(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return case_selectors.reads_cases(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _writes_case_of(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _writes_case_of(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Unlinking is a write on the case (the source and its custody stay).
        return _writes_case_of(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        queryset = selectors.evidence_visible_to(actor=request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_readonly_fields(self, request: HttpRequest, obj: Evidence | None = None) -> Any:
        if obj is not None:
            return [*self.readonly_fields, "source", "case"]  # unlink and link anew instead
        return self.readonly_fields

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "source":
            kwargs["queryset"] = selectors.source_visible_to(actor=request.user)
        elif db_field.name == "case":
            kwargs["queryset"] = case_selectors.case_visible_to(actor=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_through_services(
        self, request: HttpRequest, obj: Evidence, form: EvidenceAdminForm, change: bool
    ) -> Evidence:
        actor = _actor(request)
        fields = frozenset(services.EVIDENCE_FIELDS)
        if not change:
            data = form.service_data(fields, changed_only=False)
            return services.evidence_link(
                source=form.cleaned_data["source"],
                case=form.cleaned_data["case"],
                actor=actor,
                **data,
            )
        current = selectors.evidence_get(actor=actor, evidence_id=obj.pk)
        data = form.service_data(fields, changed_only=True)
        return services.evidence_update(evidence=current, actor=actor, data=data)

    def delete_model(self, request: HttpRequest, obj: Evidence) -> None:
        services.evidence_unlink(evidence=obj, actor=_actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Evidence]) -> None:
        actor = _actor(request)
        with transaction.atomic():
            for evidence in queryset:
                services.evidence_unlink(evidence=evidence, actor=actor)


# ---------------------------------------------------------------------------------------------
# Published figures, and the chart beside the registry's own counts
# ---------------------------------------------------------------------------------------------
class PublishedFigureAdminForm(ServiceBackedModelForm):
    class Meta:
        model = PublishedFigure
        fields = sorted(figures.FIGURE_FIELDS)


@admin.register(PublishedFigure)
class PublishedFigureAdmin(ServiceBackedAdmin):
    form = PublishedFigureAdminForm
    list_display = ["claimant", "metric", "claim", "as_of_display", "description", "source"]
    list_filter = ["metric", "qualifier", "as_of_precision"]
    list_select_related = ["source"]
    search_fields = ["claimant", "description", "value_text"]
    autocomplete_fields = ["source"]
    ordering = ["as_of", "claimant", "id"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["claimant", ("metric", "description")]}),
        (
            _("The claim"),
            {
                "fields": [("qualifier", "value", "value_text")],
                "description": _(
                    "A number, or for a claim without one the claim's own words "
                    "(e.g. “hundreds of thousands”)."
                ),
            },
        ),
        (_("As of"), {"fields": [("as_of", "as_of_precision", "as_of_label")]}),
        (None, {"fields": ["source", "note"]}),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_by", "created_at"]}),
    ]

    # Published figures are public reporting: everyone in the admin reads them.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _signed_in(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _signed_in(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _records_figures(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _records_figures(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PublishedFigure]:
        queryset = selectors.figure_list()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "source":
            kwargs["queryset"] = selectors.source_visible_to(actor=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("claim"), ordering="value")
    def claim(self, figure: PublishedFigure) -> str:
        qualifier = (
            "" if figure.qualifier == FigureQualifier.STATED else figure.get_qualifier_display()
        )
        said = f"{figure.value:,}" if figure.value is not None else f"“{figure.value_text}”"
        return f"{qualifier} {said}".strip()

    @admin.display(description=_("as of"), ordering="as_of")
    def as_of_display(self, figure: PublishedFigure) -> str:
        return figure.as_of_label or figure.as_of.isoformat()

    def save_through_services(
        self, request: HttpRequest, obj: PublishedFigure, form: Any, change: bool
    ) -> PublishedFigure:
        actor = _actor(request)
        fields = frozenset(figures.FIGURE_FIELDS)
        if not change:
            return figures.figure_record(
                actor=actor, data=form.service_data(fields, changed_only=False)
            )
        current = selectors.figure_list().get(pk=obj.pk)
        return figures.figure_update(
            figure=current, actor=actor, data=form.service_data(fields, changed_only=True)
        )

    def get_urls(self) -> list[URLPattern]:
        chart: Callable[..., HttpResponse] = self.admin_site.admin_view(self.chart_view)
        return [
            path("chart/", chart, name="sources_publishedfigure_chart"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        chart_url = reverse(f"{self.admin_site.name}:sources_publishedfigure_chart")
        return super().changelist_view(request, {**(extra_context or {}), "chart_url": chart_url})

    def chart_view(self, request: HttpRequest) -> HttpResponse:
        """Published figures over time by claimant, beside the registry's own counts."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        chart = charts.figures_chart(
            figures.figures_over_time(),
            metric_labels={m.value: str(m.label) for m in FigureMetric},
            qualifier_labels={q.value: str(q.label) for q in FigureQualifier},
        )
        # The registry's counts are aggregates: for the roles that read them.
        counts = None
        if reads_aggregates(request.user):
            by_status = figures.registry_counts_by_status(actor=_actor(request))
            counts = counts_chart(
                (str(Status(status).label), count) for status, count in by_status.items()
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Published figures and the registry's own counts"),
            "opts": self.opts,
            "chart": chart,
            "counts": counts,
            "changelist_url": reverse(f"{self.admin_site.name}:sources_publishedfigure_changelist"),
        }
        return TemplateResponse(request, "admin/sources/publishedfigure/chart.html", context)

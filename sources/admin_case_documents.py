"""The documents of a case on its admin page: the sources that support it, with their
reliability, and "attach a document", which receives a file and links it as evidence in one step.

``cases`` sits below ``sources`` in the layers, so the case page does not import this module:
``SourcesConfig.ready()`` registers ``DocumentsPanel`` with ``cases.admin_case_page``, which
adds its section, its line in the summary and its page to every case page.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import AdminSite
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import request_actor
from accounts.roles import Capability
from audit.selectors import deleted_record_ids
from audit.snapshots import object_type_of
from cases import selectors as case_selectors
from cases.admin_case_page import DOCUMENTS, PanelSection, SummaryItem
from cases.models import Case
from core.admin import unknown_parameters_refused
from core.errors import DomainError
from core.forms import add_service_errors, service_error_fields

from . import selectors, services
from .forms import refuse_several_files, source_title_field
from .models import Evidence, EvidenceFact, Reliability, SourceKind
from .views import streaming_upload_entry

# The documents a case page lists; more are read on the evidence list.
DOCUMENTS_SHOWN = 100
ATTACH_URL_NAME = "cases_case_attach_document"


class AttachDocumentForm(forms.Form):
    """The file, what it is, and what it shows about the case."""

    file = forms.FileField(
        label=_("document"),
        help_text=_(
            "PDF, images, audio, video, text, HTML, DOCX or XLSX (the type is read from the "
            "content, not the name)."
        ),
    )
    fact = forms.ChoiceField(label=_("fact it supports"), choices=EvidenceFact.choices)
    kind = forms.ChoiceField(
        label=_("kind of document"), choices=SourceKind.choices, initial="other"
    )
    title = source_title_field()
    page = forms.CharField(label=_("page"), max_length=50, required=False)
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        refuse_several_files(self)
        return cleaned


def case_documents(*, actor: Any, case: Case) -> Any:
    """The case's evidence as ``actor`` may see it (none through a limited share), newest
    first, with each source read in the same query."""
    return (
        selectors.evidence_visible_to(actor=actor)
        .filter(case_id=case.pk)
        .select_related("source", "created_by")
        .order_by("-created_at", "-id")
    )


def reliability_label(value: str) -> str:
    if value in Reliability.values:
        return str(Reliability(value).label)
    return gettext("not judged yet")


class DocumentsPanel:
    key = DOCUMENTS

    def section(self, request: HttpRequest, case: Case) -> PanelSection | None:
        if not case_selectors.case_is_full(case):
            return None  # which documents a case cites is part of what a limited share withholds
        documents = case_documents(actor=request.user, case=case)
        rows = list(documents[: DOCUMENTS_SHOWN + 1])
        more = len(rows) > DOCUMENTS_SHOWN
        rows = rows[:DOCUMENTS_SHOWN]
        count = documents.count() if more else len(rows)
        writes = case_selectors.case_can(request.user, Capability.CASE_WRITE, case)
        site = admin.site.name
        context = {
            "rows": [
                {
                    "evidence": evidence,
                    "source": evidence.source,
                    "reliability": reliability_label(evidence.source.reliability),
                    "source_url": reverse(
                        f"{site}:sources_source_change", args=[evidence.source_id]
                    ),
                }
                for evidence in rows
            ],
            "count": count,
            "more": more,
            "shown": DOCUMENTS_SHOWN,
            "attach_url": reverse(f"{site}:{ATTACH_URL_NAME}", args=[case.pk]) if writes else "",
        }
        return PanelSection(
            template="admin/sources/case_documents.html",
            context=context,
            count=count,
            summary=[
                SummaryItem(
                    label=_("Documents"),
                    value=gettext("%(count)s supporting the case") % {"count": count},
                    url="#case-section-documents",
                )
            ],
        )

    def urls(self, site: AdminSite) -> list[URLPattern]:
        # As the source upload page: the size limit holds while the file streams.
        entry = streaming_upload_entry(site.admin_view(partial(attach_document_view, site=site)))
        return [path("<path:object_id>/attach-document/", entry, name=ATTACH_URL_NAME)]

    def history_records(self, case: Case) -> dict[str, list[str]]:
        object_type = object_type_of(Evidence)
        ids = [
            str(pk) for pk in Evidence.objects.filter(case_id=case.pk).values_list("pk", flat=True)
        ]
        unlinked = deleted_record_ids([object_type], field="case_id", value=case.pk)
        return {object_type: ids + unlinked.get(object_type, [])}


def attach_document_view(request: HttpRequest, object_id: str, *, site: AdminSite) -> HttpResponse:
    """Receive a file and link it to the case as evidence (``evidence_attach``)."""
    refused = unknown_parameters_refused(request)
    if refused is not None:
        return refused
    case_id = unquote(object_id)
    case = (
        case_selectors.case_visible_to(actor=request.user).filter(pk=int(case_id)).first()
        if case_id.isascii() and case_id.isdigit()
        else None
    )
    if case is None:
        raise Http404(gettext("No such case."))
    if not case_selectors.case_can(request.user, Capability.CASE_WRITE, case):
        raise PermissionDenied
    change_url = reverse(f"{site.name}:cases_case_change", args=[case.pk])
    posted = request.method == "POST"
    form = AttachDocumentForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        data = {"kind": form.cleaned_data["kind"]}
        if form.cleaned_data.get("title"):
            data["title"] = form.cleaned_data["title"]
        try:
            attached = services.evidence_attach(
                case=case,
                actor=request_actor(request),
                fileobj=upload,
                filename=upload.name or "",
                fact=form.cleaned_data["fact"],
                data=data,
                page=form.cleaned_data.get("page") or "",
                note=form.cleaned_data.get("note") or "",
            )
        except (DomainError, IntegrityError) as exc:
            add_service_errors(form, service_error_fields(exc))
        else:
            # The source by its number: a title may be a file name, which may hold a name.
            done = (
                gettext("Source #%(id)s received and linked to case %(number)s as evidence.")
                if attached.created
                else gettext(
                    "This content was already source #%(id)s (no second copy was stored); it is "
                    "now linked to case %(number)s as evidence."
                )
            )
            messages.success(request, done % {"id": attached.source.pk, "number": case.number})
            return HttpResponseRedirect(f"{change_url}#case-section-documents")
    opts = Case._meta
    context = {
        **site.each_context(request),
        "title": _("Attach a document"),
        "subtitle": case.number,
        "opts": opts,
        "original": case,
        "form": form,
        "errors": form.errors,
        "change_url": change_url,
        "limit": filesizeformat(settings.SOURCES_MAX_UPLOAD_BYTES),
        "media": form.media,
    }
    return TemplateResponse(request, "admin/sources/case_attach.html", context)

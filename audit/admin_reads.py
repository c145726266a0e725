"""Audited reads in the admin: pages that show a child's personal data record one read event
per request (``audit.services.record_read``). Apps' admin classes take the mixin; the admin
site takes the autocomplete view. No model is registered here, so the admin site's own module
may import it."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db import models
from django.http import HttpRequest, HttpResponse

from .services import record_read, search_words_recorded

# What a change page puts in its template context to have the records it shows beside the
# object (``{model or "app_label.model": [ids]}``) named in the page's read event.
READ_RECORDS = "audited_read_records"


class AuditedReadsAdmin:
    """A ``ModelAdmin`` mixin for pages that show personal data: each ``GET`` of the list or
    of a record's page records one read event (``audit.services.record_read``).

    - the list: ``list`` (or ``search``) of the model, naming the rows of the page shown, with
      the filters as sent and the search kept by ``read_search`` (digests, never the words);
    - a record's page: ``view`` of the record, naming it, the rows of its inlines, and what
      the page put under ``READ_RECORDS`` in its context (a timeline, a custody chain).

    Put it before the ``ModelAdmin`` base: ``class CaseAdmin(AuditedReadsAdmin, ModelAdmin)``.
    """

    model: type[models.Model]

    def read_search(self, request: HttpRequest, term: str) -> dict[str, Any]:
        """How the list's search is kept: digests of its folded words (a subclass that knows
        how its searches match, a child's names, says so)."""
        return search_words_recorded(term)

    def list_read_records(self, request: HttpRequest, rows: list[Any]) -> dict[Any, list[Any]]:
        """Records the list's rows show besides themselves, to name in its read event (the
        cases of the children a row names); one query at most, whatever the page's size."""
        return {}

    def read_details(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        """Anything else the read event of a record's page keeps (the scope it is seen with)."""
        return {}

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if request.method == "GET" and changelist is not None:
            # The page's rows, read once: the template renders the same evaluated rows.
            term = changelist.query.strip()
            rows = list(changelist.result_list)
            records: dict[Any, list[Any]] = {self.model: [row.pk for row in rows]}
            for kind, ids in self.list_read_records(request, rows).items():
                records.setdefault(kind, []).extend(ids)
            record_read(
                actor=request.user,
                records=records,
                query=request.GET,
                search_param="q",
                search=self.read_search(request, term) if term else None,
            )
        return response

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if request.method == "GET" and obj is not None and obj.pk is not None:
            records: dict[Any, list[Any]] = {self.model: [obj.pk]}
            for inline in context.get("inline_admin_formsets", []):
                formset = inline.formset
                records.setdefault(formset.model, []).extend(
                    form.instance.pk for form in formset.initial_forms
                )
            for kind, ids in (context.get(READ_RECORDS) or {}).items():
                records.setdefault(kind, []).extend(ids)
            record_read(
                actor=request.user,
                of=obj,
                records=records,
                metadata=self.read_details(request, obj),
            )
        return super().render_change_form(  # type: ignore[misc]
            request, context, add, change, form_url, obj
        )


class AuditedAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete (the search behind a select box): a search of a model whose
    admin audits its reads (``AuditedReadsAdmin``) records one event, as its list would, naming
    the records offered. Looking a case up by a child's name is a search for the child."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        model_admin = self.model_admin
        if isinstance(model_admin, AuditedReadsAdmin):
            rows = json.loads(response.content)["results"]
            ids = [int(row["id"]) if str(row["id"]).isdigit() else row["id"] for row in rows]
            term = self.term.strip()
            record_read(
                actor=request.user,
                records={model_admin.model: ids},
                query=request.GET,
                search_param="term",
                search=model_admin.read_search(request, term) if term else None,
            )
        return response

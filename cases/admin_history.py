"""A case's history on its own page: one entry per change, in the reader's language.

Each entry is one audit event of the case, its child or a record of theirs (``cases.
selectors_history``): when (local time), who, what was done to which record, and the fields it
changed by their labels, with values as people read them: a choice's label, an organization's
name rather than its id, yes or no, dates in the language's format. A move through the workflow
shows the statuses it went between and the reason given.

Who reads it: the case's own organization, auditors and superusers (the field by field record
holds what a share withholds); a case out of sight is "not found", one seen through a share is
refused.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django_countries.fields import CountryField

from audit.models import Action, AuditEvent
from audit.selectors import field_changes, model_fields, model_of
from audit.services import record_read
from core.admin import unknown_parameters_refused
from core.errors import PermissionDenied as DomainPermissionDenied

from .admin_case_page import case_panels
from .models import Case, Whereabouts
from .selectors_history import case_history
from .workflow import Status

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

ENTRIES_PER_PAGE = 50
PAGE_PARAMETER = "page"
# Kept for the record, meaningless to a reader: the optimistic lock's counter.
_UNSHOWN_FIELDS = frozenset({"version"})
# What a related record's label needs, read with it (one query per kind of record).
_LABEL_RELATIONS: dict[type[models.Model], tuple[str, ...]] = {Whereabouts: ("facility",)}
EMPTY = "—"


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    event: AuditEvent
    at: dt.datetime
    actor: str
    action: str
    record: str
    move: str = ""
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)


def _status_label(value: Any) -> str:
    return str(Status(value).label) if value in Status.values else str(value or EMPTY)


class ValueReader:
    """Turns values as the trail holds them (JSON) into what a reader understands. Related
    records are named with one query per kind of record for a whole page of entries."""

    def __init__(self, events: Iterable[AuditEvent]) -> None:
        wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        for event in events:
            fields = model_fields(event.object_type)
            for name, values in (event.changes or {}).items():
                model_field = fields.get(name)
                if model_field is None or not model_field.is_relation:
                    continue
                target = model_field.related_model
                if not isinstance(target, type):
                    continue
                wanted[target].update(v for v in values if v not in (None, ""))
        self._names: dict[tuple[type[models.Model], str], str] = {}
        for model, ids in wanted.items():
            rows = model._default_manager.filter(pk__in=list(ids))
            related = _LABEL_RELATIONS.get(model)
            if related:
                rows = rows.select_related(*related)
            for row in rows:
                self._names[(model, str(row.pk))] = str(row)

    def show(self, model_field: models.Field[Any, Any] | None, value: Any) -> str:
        if value is None or value == "":
            return EMPTY
        if model_field is None:
            return str(value)
        if isinstance(model_field, models.BooleanField):
            return gettext("yes") if value else gettext("no")
        if model_field.is_relation:
            target = model_field.related_model
            if isinstance(target, type):
                return self._names.get(
                    (target, str(value)),
                    gettext("#%(id)s (no longer exists)") % {"id": value},
                )
        if isinstance(model_field, CountryField):
            from django_countries import countries

            return str(countries.name(str(value)) or value)
        if model_field.choices:
            labels = {str(k): v for k, v in model_field.flatchoices}
            return str(labels.get(str(value), value))
        if isinstance(model_field, models.DateTimeField):
            return self._datetime(value)
        if isinstance(model_field, models.DateField):
            return self._date(value)
        return str(value)

    @staticmethod
    def _date(value: Any) -> str:
        try:
            return date_format(dt.date.fromisoformat(str(value)), "DATE_FORMAT")
        except ValueError:
            return str(value)

    @staticmethod
    def _datetime(value: Any) -> str:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "DATETIME_FORMAT")


def _record_label(event: AuditEvent, model: type[models.Model] | None, case: Case) -> str:
    if model is Case:
        return gettext("Case %(number)s") % {"number": case.number}
    if model is None:
        return event.object_repr or event.object_type
    name = capfirst(str(model._meta.verbose_name))
    if model._meta.model_name == "child":
        return gettext("The child's record")
    return gettext("%(record)s #%(id)s") % {"record": name, "id": event.object_id}


def history_entries(events: list[AuditEvent], case: Case) -> list[HistoryEntry]:
    """The events in the reader's language and time zone."""
    reader = ValueReader(events)
    entries = []
    for event in events:
        model = model_of(event.object_type)
        fields = model_fields(event.object_type)
        entry = HistoryEntry(
            event=event,
            at=timezone.localtime(event.at),
            actor=event.actor_label or gettext("the system"),
            action=str(Action(event.action).label) if event.action in Action.values else "",
            record=_record_label(event, model, case),
        )
        metadata = event.metadata or {}
        if event.action == Action.TRANSITION:
            entry.move = gettext("%(source)s → %(target)s") % {
                "source": _status_label(metadata.get("from_status")),
                "target": _status_label(metadata.get("to_status")),
            }
            entry.reason = str(metadata.get("reason") or "")
        for name, before, after in field_changes(event):
            if name in _UNSHOWN_FIELDS:
                continue
            model_field = fields.get(name)
            label = capfirst(str(model_field.verbose_name)) if model_field is not None else name
            entry.changes.append(
                FieldChange(
                    label=label,
                    before=reader.show(model_field, before),
                    after=reader.show(model_field, after),
                )
            )
        entries.append(entry)
    return entries


def _panel_records(case: Case) -> dict[str, list[str]]:
    extra: dict[str, list[str]] = {}
    for panel in case_panels():
        for object_type, ids in panel.history_records(case).items():
            extra.setdefault(object_type, []).extend(ids)
    return extra


def case_history_view(
    model_admin: ModelAdmin[Case], request: HttpRequest, object_id: str
) -> HttpResponse:
    """The history page of one case (``CaseAdmin.history_view``)."""
    case = model_admin.get_object(request, unquote(object_id))
    if case is None:
        raise Http404(gettext("No such case."))
    try:
        # Seen through a share, refused: the record of changes holds what a share withholds.
        history = case_history(actor=request.user, case=case, extra=_panel_records(case))
    except DomainPermissionDenied:
        raise PermissionDenied from None
    refused = unknown_parameters_refused(request, {PAGE_PARAMETER})
    if refused is not None:
        return refused
    paginator = Paginator(history, ENTRIES_PER_PAGE)
    number = request.GET.get(PAGE_PARAMETER, "1")
    if not (number.isascii() and number.isdigit()) or not 1 <= int(number) <= paginator.num_pages:
        return HttpResponseBadRequest(
            gettext("“page” must be a page number from 1 to %(last)s.")
            % {"last": paginator.num_pages}
        )
    page = paginator.page(int(number))
    events = list(page.object_list)
    entries = history_entries(events, case)
    # The values before and after are personal data: reading them is recorded, as the case
    # page's own read is.
    shown: dict[type[models.Model] | str, list[str]] = {}
    for event in events:
        ids = shown.setdefault(event.object_type, [])
        if event.object_id not in ids:
            ids.append(event.object_id)
    record_read(
        actor=request.user,
        records=shown,
        of=case,
        metadata={"kind": "case_history", "page": page.number},
    )
    opts = model_admin.opts
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("History of case %(number)s") % {"number": case.number},
        "subtitle": None,
        "opts": opts,
        "original": case,
        "object": case,
        "entries": entries,
        "page_obj": page,
        "paginator": paginator,
        "change_url": reverse(
            f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[case.pk],
        ),
    }
    return TemplateResponse(request, "admin/cases/case/history.html", context)

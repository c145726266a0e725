"""Lists of named children in the admin: coordinators of the keeping organization record and
change them, every coalition reader reads them.

The entries are shown as ``coalition.selectors.lists.entries_as_seen`` decides, never from the
row alone: a name, date of birth or detail the reader may not see is shown as hidden, and no
form ever carries it. A page that shows names records one read event per request
(``coalition.services.lists.entries_read_record``); one that shows none records nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import request_actor
from core.admin import ServiceBackedAdmin
from core.forms import ServiceBackedModelForm

from ..models import ChildList, ChildListEntry, EntryOutcome
from ..selectors import lists as selectors
from ..services import lists as services
from ..services.common import can_read_coalition, can_write_coalition

HIDDEN = _("(hidden)")


def _reads(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_authenticated and user.is_active and can_read_coalition(request_actor(request))
    )


def _writes(request: HttpRequest, child_list: ChildList | None = None) -> bool:
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return False
    actor = request_actor(request)
    return can_write_coalition(actor) and services.may_write_list(actor, child_list)


def _seen(request: HttpRequest, child_list: ChildList) -> list[selectors.EntryAsSeen]:
    entries = list(selectors.list_entries(child_list=child_list))
    return selectors.entries_as_seen(
        actor=request_actor(request), child_list=child_list, entries=entries
    )


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------
class ChildListAdminForm(ServiceBackedModelForm):
    class Meta:
        model = ChildList
        fields = sorted(services.LIST_FIELDS)


def _service_values(data: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the service takes them: parties by code, records by id."""
    values = dict(data)
    if "handed_by" in values:
        values["handed_by"] = values["handed_by"].code if values["handed_by"] else None
    if "handed_to" in values:
        values["handed_to"] = [party.code for party in values["handed_to"]]
    if "sources" in values:
        values["sources"] = [source.pk for source in values["sources"]]
    for name in ("organization", "meeting", "statement"):
        if name in values and values[name] is not None:
            values[name] = values[name].pk
    return values


@admin.register(ChildList)
class ChildListAdmin(ServiceBackedAdmin):
    form = ChildListAdminForm
    list_display = [
        "title",
        "handed_on",
        "handed_by",
        "claimed",
        "entries_held",
        "returned",
        "organization",
    ]
    list_filter = ["count_qualifier", "is_synthetic"]
    list_select_related = ["handed_by", "organization"]
    search_fields = ["title"]
    ordering = ["-handed_on", "-id"]
    filter_horizontal = ["handed_to", "sources"]
    readonly_fields = ["summary", "entries_as_seen", "created_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "organization", ("meeting", "statement")]}),
        (
            _("Handed over"),
            {"fields": ["handed_by", "handed_to", ("handed_on", "date_precision")]},
        ),
        (_("Count"), {"fields": [("count_claimed", "count_qualifier"), "summary"]}),
        (None, {"fields": ["script", "note", "sources"]}),
        (_("Entries"), {"fields": ["entries_as_seen"]}),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_by", "created_at"]}),
    ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reads(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _writes(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _writes(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChildList]:
        # Counted as the list's summary counts them (a reopened case's entry is not returned).
        returned = selectors.shows_returned("entries__")
        return (
            selectors.child_list_list(actor=request_actor(request))
            .annotate(returned_count=Count("entries", filter=returned, distinct=True))
            .order_by(*(self.get_ordering(request) or ["-handed_on", "-id"]))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return [name for name in readonly if name not in ("summary", "entries_as_seen")]
        return readonly

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        # A new list: no counts, no entries yet.
        shown = []
        for name, options in fieldsets:
            fields = [f for f in options["fields"] if f not in ("summary", "entries_as_seen")]
            if fields:
                shown.append((name, {**options, "fields": fields}))
        return shown

    @admin.display(description=_("count as claimed"), ordering="count_claimed")
    def claimed(self, child_list: ChildList) -> str:
        if child_list.count_claimed is None:
            return "—"
        return f"{child_list.get_count_qualifier_display()} {child_list.count_claimed}"

    @admin.display(description=_("entries held"))
    def entries_held(self, child_list: ChildList) -> int:
        return int(getattr(child_list, selectors.ENTRIES_HELD, 0))

    @admin.display(description=_("returned"))
    def returned(self, child_list: ChildList) -> int:
        return int(getattr(child_list, "returned_count", 0))

    @admin.display(description=_("counts"))
    def summary(self, child_list: ChildList) -> str:
        summary = selectors.child_list_summary(child_list=child_list)
        labels = dict(EntryOutcome.choices)
        parts = [
            f"{labels[outcome]}: {count}" for outcome, count in summary.by_outcome.items() if count
        ]
        return gettext("%(held)d entries held; %(by)s") % {
            "held": summary.entries_held,
            "by": "; ".join(parts) or "—",
        }

    @admin.display(description=_("entries as you may see them"))
    def entries_as_seen(self, child_list: ChildList) -> Any:
        seen = getattr(child_list, "_seen_for_page", None)
        if seen is None:
            return "—"
        rows = []
        for item in seen:
            entry = item.entry
            outcome, outcome_on = selectors.effective_outcome(entry)
            rows.append(
                (
                    entry.position,
                    entry.name_as_written if item.shows_name else HIDDEN,
                    entry.date_of_birth_as_written if item.shows_birth else HIDDEN,
                    entry.case.number if item.shows_case and entry.case else "—",
                    dict(EntryOutcome.choices)[outcome],
                    outcome_on.isoformat() if outcome_on else "",
                )
            )
        return (
            format_html_join(
                "",
                "<div>{}. {} · {} · {} · {} {}</div>",
                rows,
            )
            or "—"
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None:
            seen = _seen(request, obj)
            obj._seen_for_page = seen
            # Whenever the page shows names (a refused save shows them again): a save that
            # succeeds redirects without rendering.
            services.entries_read_record(actor=request_actor(request), child_list=obj, seen=seen)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_through_services(
        self, request: HttpRequest, obj: ChildList, form: Any, change: bool
    ) -> ChildList:
        actor = request_actor(request)
        fields = frozenset(services.LIST_FIELDS)
        if not change:
            return services.child_list_create(
                actor=actor, data=_service_values(form.service_data(fields, changed_only=False))
            )
        return services.child_list_update(
            actor=actor,
            child_list=ChildList.objects.get(pk=obj.pk),
            data=_service_values(form.service_data(fields, changed_only=True)),
        )


# ---------------------------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------------------------
class EffectiveOutcomeFilter(admin.SimpleListFilter):
    title = _("outcome")
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return EntryOutcome.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value in EntryOutcome.values:
            return queryset.filter(**{selectors.EFFECTIVE_OUTCOME: value})
        return queryset


class ChildListEntryAdminForm(ServiceBackedModelForm):
    # The case by id, not a model choice: a choice list would name every case.
    linked_case = forms.IntegerField(
        label=_("case id"),
        required=False,
        min_value=1,
        help_text=_("A case you may see, or one of the list's organization; empty unlinks."),
    )

    class Meta:
        model = ChildListEntry
        fields = ["child_list", *sorted(services.ENTRY_FIELDS - {"case"})]


@admin.register(ChildListEntry)
class ChildListEntryAdmin(ServiceBackedAdmin):
    """Entries one by one: their outcome and case are changed here; a name, date of birth or
    detail the reader may not see is shown hidden and is never in the form."""

    form = ChildListEntryAdminForm
    list_display = ["list_and_position", "name", "outcome_shown", "outcome_on_shown", "linked"]
    list_filter = [EffectiveOutcomeFilter, "child_list"]
    ordering = ["child_list", "position"]
    readonly_fields = [
        "child_list_shown",
        "name",
        "birth",
        "details_shown",
        "case_shown",
        "outcome_shown",
        "outcome_on_shown",
    ]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The declared filters only. Django allows any lookup on the entry's own fields: on a
        # name, a date of birth as written, details or a case, the count of results would tell
        # a reader what the page hides.
        if lookup == EffectiveOutcomeFilter.parameter_name:
            return True
        return lookup.split("__", 1)[0] == "child_list" and super().lookup_allowed(
            lookup, value, request
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reads(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _writes(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _writes(request, obj.child_list if obj is not None else None)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ChildListEntry]:
        return selectors.with_effective_outcome(
            ChildListEntry.objects.select_related("child_list", "case")
        ).order_by(*(self.get_ordering(request) or ["child_list", "position"]))

    def _item(self, request: HttpRequest | None, entry: ChildListEntry) -> selectors.EntryAsSeen:
        """What the page's reader sees of ``entry``: decided once per page for its rows (the
        list) or the record (its page); a row nobody decided for shows nothing."""
        seen: selectors.EntryAsSeen | None = getattr(entry, "_as_seen", None)
        if seen is None and request is not None:
            seen = selectors.entries_as_seen(
                actor=request_actor(request), child_list=entry.child_list, entries=[entry]
            )[0]
            entry._as_seen = seen  # type: ignore[attr-defined]
        return seen or selectors.EntryAsSeen(entry=entry, sight=selectors.Sight.NONE)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [
                "child_list",
                "position",
                "name_as_written",
                "date_of_birth_as_written",
                "details",
                "linked_case",
                "outcome",
                "outcome_on",
            ]
        item = self._item(request, obj)
        shown = ["child_list_shown", "name", "birth", "details_shown", "position", "case_shown"]
        if not self.has_change_permission(request, obj):
            return [*shown, "outcome_shown", "outcome_on_shown"]
        if item.shows_birth:
            texts = ["name_as_written", "date_of_birth_as_written", "details"]
            shown = ["child_list_shown", *texts, "position", "case_shown"]
        return [*shown, "linked_case", "outcome", "outcome_on", "outcome_shown"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "linked_case" in form.base_fields:
            # The case's id is shown only to who sees the entry: otherwise it stays blank.
            field = copy.deepcopy(form.base_fields["linked_case"])
            field.initial = obj.case_id if self._item(request, obj).shows_case else None
            form.base_fields = {**form.base_fields, "linked_case": field}
        return form

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:  # the page was rendered (a redirect has no changelist)
            entries = list(changelist.result_list)
            by_list: dict[int, list[ChildListEntry]] = {}
            for entry in entries:
                by_list.setdefault(entry.child_list_id, []).append(entry)
            actor = request_actor(request)
            for rows in by_list.values():
                seen = selectors.entries_as_seen(
                    actor=actor, child_list=rows[0].child_list, entries=rows
                )
                for item in seen:
                    item.entry._as_seen = item  # type: ignore[attr-defined]
                services.entries_read_record(
                    actor=actor, child_list=rows[0].child_list, seen=seen, query=request.GET
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
        if obj is not None and obj.pk is not None:  # rendered: names shown, a read
            services.entries_read_record(
                actor=request_actor(request),
                child_list=obj.child_list,
                seen=[self._item(request, obj)],
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("list"))
    def list_and_position(self, entry: ChildListEntry) -> str:
        return f"{entry.child_list} #{entry.position}"

    @admin.display(description=_("list"))
    def child_list_shown(self, entry: ChildListEntry) -> str:
        return str(entry.child_list)

    @admin.display(description=_("name as written"))
    def name(self, entry: ChildListEntry) -> str:
        item = self._item(None, entry)
        return entry.name_as_written if item.shows_name else str(HIDDEN)

    @admin.display(description=_("date of birth as written"))
    def birth(self, entry: ChildListEntry) -> str:
        item = self._item(None, entry)
        return entry.date_of_birth_as_written if item.shows_birth else str(HIDDEN)

    @admin.display(description=_("other details as written"))
    def details_shown(self, entry: ChildListEntry) -> str:
        item = self._item(None, entry)
        return entry.details if item.shows_birth else str(HIDDEN)

    @admin.display(description=_("case"))
    def case_shown(self, entry: ChildListEntry) -> str:
        item = self._item(None, entry)
        if entry.case is None:
            return "—"
        return entry.case.number if item.shows_case else str(HIDDEN)

    @admin.display(description=_("outcome"))
    def outcome_shown(self, entry: ChildListEntry) -> str:
        outcome, _on = selectors.effective_outcome(entry)
        return str(dict(EntryOutcome.choices)[outcome])

    @admin.display(description=_("outcome date"))
    def outcome_on_shown(self, entry: ChildListEntry) -> str:
        _outcome, outcome_on = selectors.effective_outcome(entry)
        return outcome_on.isoformat() if outcome_on else ""

    @admin.display(description=_("linked to a case"), boolean=True)
    def linked(self, entry: ChildListEntry) -> bool:
        return entry.case_id is not None

    def save_through_services(
        self, request: HttpRequest, obj: ChildListEntry, form: Any, change: bool
    ) -> ChildListEntry:
        actor = request_actor(request)
        names = frozenset(services.ENTRY_FIELDS | {"linked_case"})
        data = form.service_data(names, changed_only=change)
        if "linked_case" in data:
            data["case"] = data.pop("linked_case")
        if not change:
            data = {k: v for k, v in data.items() if v is not None}
            return services.entry_add(
                actor=actor, child_list=form.cleaned_data["child_list"], data=data
            )
        return services.entry_update(
            actor=actor, entry=ChildListEntry.objects.get(pk=obj.pk), data=data
        )

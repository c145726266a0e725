"""The caseworkers' admin: a case with its child, family, whereabouts, support and timeline.

Admin classes are thin. Reads start from ``cases.selectors`` (visibility is decided there, in one
place) and every write goes through ``cases.services``, the functions the API calls. What a user
may do follows from their roles (``accounts.roles``, asked through the same selectors), not from
Django's model permissions; a case out of the user's sight is "not found".

Pages save through services with ``core.admin.ServiceBackedAdmin``: a refusal shows on the same
page, with the user's input and the error next to the field it is about, and nothing half-saved.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import display_for_field, flatten_fieldsets, unquote
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.authentication import request_actor as _actor
from accounts.models import User
from accounts.roles import Capability
from accounts.selectors import ActorRoles, actor_roles, organization_list
from audit.admin_reads import READ_RECORDS, AuditedReadsAdmin
from audit.services import record_read
from core.admin import ServiceBackedAdmin, ServiceBackedInline
from core.errors import DomainError, NotFound
from core.errors import PermissionDenied as RoleDenied
from core.forms import add_service_errors, service_error_fields

from . import (
    admin_case_page,
    admin_duplicates,  # noqa: F401  (registers the duplicate review's pages)
    admin_export,
    admin_history,
    admin_list,
    selectors,
    selectors_list_filters,
    services,
    workflow,
)
from .admin_worklist import WORK_LIST_FILTERS
from .exceptions import TransitionNotAllowed
from .forms import (
    CaseAdminForm,
    CaseShareForm,
    CaseTransitionForm,
    ChildAliasInlineForm,
    ClosureDecisionForm,
    ClosureRequestForm,
    FacilityAdminForm,
    FollowUpInlineForm,
    ShareRevokeForm,
)
from .models import (
    Case,
    CaseQuerySet,
    CaseShare,
    Child,
    ChildAlias,
    ClosureRequest,
    ClosureRequestStatus,
    Facility,
    FollowUp,
    Oblast,
    Relative,
    Service,
    ShareScope,
    StatusChange,
    Whereabouts,
)
from .selectors import TimelineEntry
from .selectors_matching import (
    SeenCandidate,
    new_child_candidates,
    reasons_in_words,
    seen_candidate_cases,
)
from .workflow import Phase, Status, Transition


# ---------------------------------------------------------------------------------------------
# Who may do what: roles (``accounts.roles``) and the case selectors, never Django's model
# permissions. Django's own rule still holds: only staff enter the admin at all.
# ---------------------------------------------------------------------------------------------
def _roles(request: HttpRequest) -> ActorRoles:
    return actor_roles(request.user)


def _reads_cases(request: HttpRequest) -> bool:
    """Whether the user reads cases at all: a reading role somewhere (``case_visible_to`` then
    decides which cases), an auditor's, or a superuser's. Coordinators see counts only."""
    return selectors.reads_cases(request.user)


def _writes_case(request: HttpRequest, case: Case | None) -> bool:
    """Whether the user changes ``case`` (given none: any case): ``CASE_WRITE`` in the owning
    organization. Shares give reading only, and auditors read everything and write nothing."""
    if case is None or case.pk is None:
        return _roles(request).can(Capability.CASE_WRITE)
    return selectors.case_can(request.user, Capability.CASE_WRITE, case)


# ---------------------------------------------------------------------------------------------
# Inlines
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InlineSave:
    """What an inline's services need besides the row: the saved case and who saves."""

    case: Case
    actor: User


class CaseRecordInline(ServiceBackedInline):
    """An inline of a case's records: seen with the case, changed by who changes the case."""

    # The rows follow their case: ``obj`` is the case of the page (None on the add page).
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads_cases(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _writes_case(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _writes_case(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _writes_case(request, obj)


class ChildRecordInline(CaseRecordInline):
    """An inline of records that belong to the case's child: their foreign key points at
    ``Child``, not ``Case``. The formset is built against ``Child`` (hence the parent model
    below) and ``CaseAdmin.get_formset_kwargs`` binds it to ``case.child``."""

    def __init__(self, parent_model: type[models.Model], admin_site: admin.AdminSite) -> None:
        super().__init__(Child, admin_site)


class ChildAliasInline(ChildRecordInline, admin.TabularInline):
    """Aliases are added or removed; a recorded alias is read-only (see the form)."""

    model = ChildAlias
    form = ChildAliasInlineForm
    fields = ["name", "kind", "seen_in"]
    service_fields = frozenset({"name", "kind", "seen_in"})
    extra = 1
    verbose_name = _("alias")
    verbose_name_plural = _("aliases (other spellings, Russified or changed names)")

    def create(self, form: Any, ctx: InlineSave) -> ChildAlias:
        return services.child_alias_add(
            child=ctx.case.child, actor=ctx.actor, **self.service_data(form, changed_only=False)
        )

    def update(self, instance: ChildAlias, form: Any, ctx: InlineSave) -> ChildAlias:
        return instance  # its fields are disabled, so a recorded alias never has changes

    def delete(self, instance: ChildAlias, ctx: InlineSave) -> None:
        services.child_alias_remove(alias=instance, actor=ctx.actor)


def _without(fields: Iterable[Any], hidden: frozenset[str]) -> list[Any]:
    """Admin ``fields`` (names and tuples of names on one line) less the ``hidden`` names."""
    kept: list[Any] = []
    for entry in fields:
        if isinstance(entry, list | tuple):
            line = tuple(name for name in entry if name not in hidden)
            if line:
                kept.append(line)
        elif entry not in hidden:
            kept.append(entry)
    return kept


class RelativeInline(ChildRecordInline, admin.StackedInline):
    model = Relative
    fields = [
        ("relationship", "is_legal_guardian", "is_searching"),
        ("family_name", "given_name", "patronymic"),
        ("phone", "email"),
        "address",
        ("consent_to_share", "consent_recorded_on"),
        "notes",
    ]
    # How to reach a relative: what a limited share withholds.
    contact_fields = frozenset(selectors.RELATIVE_CONTACT_FIELDS)
    service_fields = services.RELATIVE_FIELDS
    extra = 0

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        if isinstance(obj, Case) and not selectors.case_is_full(obj):
            return _without(fields, self.contact_fields)
        return fields

    def create(self, form: Any, ctx: InlineSave) -> Relative:
        data = self.service_data(form, changed_only=False)
        return services.relative_create(child=ctx.case.child, actor=ctx.actor, data=data)

    def update(self, instance: Relative, form: Any, ctx: InlineSave) -> Relative:
        data = self.service_data(form, changed_only=True)
        return services.relative_update(relative=instance, actor=ctx.actor, data=data)

    def delete(self, instance: Relative, ctx: InlineSave) -> None:
        services.relative_delete(relative=instance, actor=ctx.actor)


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete, labelling selected values from ``preloaded`` (filled once per
    formset) instead of one query per inline row; unknown values fall back to Django's lookup."""

    preloaded: dict[str, str]

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        labels = getattr(self, "preloaded", {})
        if not selected <= labels.keys():
            return super().optgroups(name, value, attr)
        options: list[Any] = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for option_value in sorted(selected):
            options.append(
                self.create_option(name, option_value, labels[option_value], True, len(options))
            )
        return [(None, options, 0)]


class WhereaboutsInline(ChildRecordInline, admin.StackedInline):
    model = Whereabouts
    fields = [
        ("from_date", "to_date"),
        "facility",
        ("country", "region", "settlement"),
        ("latitude", "longitude"),
        "source_description",
        "recorded_by",
    ]
    readonly_fields = ["recorded_by"]
    autocomplete_fields = ["facility"]
    service_fields = services.WHEREABOUTS_FIELDS
    extra = 0
    verbose_name_plural = _("whereabouts (the latest by start date is the current location)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Whereabouts]:
        return super().get_queryset(request).select_related("facility", "recorded_by")

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "facility":
            kwargs["widget"] = PreloadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        widget = formset.form.base_fields["facility"].widget
        inner = getattr(widget, "widget", widget)
        if isinstance(inner, PreloadedAutocompleteSelect):
            # One query labels every row's facility (the change page's query count stays flat).
            places = (
                selectors.facility_list().filter(whereabouts__child_id=obj.child_id).distinct()
                if obj is not None and getattr(obj, "child_id", None)
                else selectors.facility_list().none()
            )
            inner.preloaded = {str(place.pk): str(place) for place in places}
        return formset

    def create(self, form: Any, ctx: InlineSave) -> Whereabouts:
        data = self.service_data(form, changed_only=False)
        return services.whereabouts_record(child=ctx.case.child, actor=ctx.actor, data=data)

    def update(self, instance: Whereabouts, form: Any, ctx: InlineSave) -> Whereabouts:
        data = self.service_data(form, changed_only=True)
        return services.whereabouts_update(whereabouts=instance, actor=ctx.actor, data=data)

    def delete(self, instance: Whereabouts, ctx: InlineSave) -> None:
        services.whereabouts_delete(whereabouts=instance, actor=ctx.actor)


class ServiceInline(CaseRecordInline, admin.TabularInline):
    model = Service
    fields = ["kind", "status", "provider", "started_on", "ended_on", "notes"]
    service_fields = services.SERVICE_FIELDS
    extra = 0
    can_delete = False  # support given stays on record; it ends as completed or cancelled
    verbose_name = _("support service")
    verbose_name_plural = _("support services (rehabilitation and integration)")

    def create(self, form: Any, ctx: InlineSave) -> Service:
        data = self.service_data(form, changed_only=False)
        return services.service_create(case=ctx.case, actor=ctx.actor, data=data)

    def update(self, instance: Service, form: Any, ctx: InlineSave) -> Service:
        data = self.service_data(form, changed_only=True)
        return services.service_update(service=instance, actor=ctx.actor, data=data)


class FollowUpInline(CaseRecordInline, admin.TabularInline):
    """Checks are scheduled (by the workflow on return, or here) and completed once."""

    model = FollowUp
    form = FollowUpInlineForm
    fields = ["due_on", "days_after_return", "completed_on", "outcome", "notes", "completed_by"]
    readonly_fields = ["days_after_return", "completed_by"]
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[FollowUp]:
        return super().get_queryset(request).select_related("completed_by")

    def create(self, form: Any, ctx: InlineSave) -> FollowUp:
        data = form.cleaned_data
        follow_up = services.follow_up_create(
            case=ctx.case, actor=ctx.actor, due_on=data["due_on"], notes=data.get("notes", "")
        )
        if data.get("completed_on") or data.get("outcome"):
            follow_up = self._complete(follow_up, data, ctx)
        return follow_up

    def update(self, instance: FollowUp, form: Any, ctx: InlineSave) -> FollowUp:
        # Only an open check is editable, and editing it means recording how it went.
        return self._complete(instance, form.cleaned_data, ctx)

    @staticmethod
    def _complete(follow_up: FollowUp, data: Mapping[str, Any], ctx: InlineSave) -> FollowUp:
        return services.follow_up_complete(
            follow_up=follow_up,
            actor=ctx.actor,
            outcome=data.get("outcome") or "",
            # The service names a missing date as a field error.
            completed_on=data.get("completed_on"),  # type: ignore[arg-type]
            notes=data.get("notes", ""),
        )


# ---------------------------------------------------------------------------------------------
# Change list filters
# ---------------------------------------------------------------------------------------------
class PhaseFilter(admin.SimpleListFilter):
    title = _("phase")
    parameter_name = "phase"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Phase.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        if value not in Phase.values:
            raise IncorrectLookupParameters(_("Unknown phase: choose one the list offers."))
        return cast(CaseQuerySet, queryset).in_phase(value)


class CurrentCountryFilter(admin.SimpleListFilter):
    """The country of the child's current whereabouts (kept on the case: ``Case.
    current_country``), offering the countries the cases' children are in now, read from that
    column's index."""

    title = _("current country")
    parameter_name = "current_country"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        codes = selectors_list_filters.list_filter_countries(actor=request.user)
        return sorted(((code, countries.name(code)) for code in codes), key=lambda c: str(c[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        if value not in countries:
            raise IncorrectLookupParameters(_("Unknown country: give its ISO 3166-1 code."))
        return queryset.filter(current_country=countries.alpha2(value))


class _ReaderChoicesFilter(admin.RelatedFieldListFilter):
    """Django's filter by a related record (same parameters: ``<field>__id__exact``, and
    ``<field>__isnull`` for "none"), with choices from a small table narrowed to the reader
    instead of a ``DISTINCT`` over the cases. Shown when there is more than one choice."""

    def choices_for(self, request: HttpRequest) -> QuerySet[Any]:
        raise NotImplementedError

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[Any]:
        # Django's own choices carry the primary key as it is: (pk, label).
        return [(row.pk, str(row)) for row in self.choices_for(request)]


class OrganizationFilter(_ReaderChoicesFilter):
    def choices_for(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors_list_filters.list_filter_organizations(actor=request.user)


class AssigneeFilter(_ReaderChoicesFilter):
    def choices_for(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors_list_filters.list_filter_assignees(actor=request.user)


# ---------------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------------
_TIMELINE_KINDS: dict[str, Any] = {
    "status_change": _("Status"),
    "whereabouts": _("Whereabouts"),
    "service": _("Support service"),
    "follow_up": _("Follow-up"),
}


@dataclass(frozen=True)
class TimelineRow:
    at: Any
    kind: str
    summary: str
    actor: str
    note: str
    # Whereabouts, services and follow-ups are dated, not timed: show the day only.
    date_only: bool


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else "-"


def _timeline_rows(entries: list[TimelineEntry]) -> list[TimelineRow]:
    """The selector's entries in the caseworker's language."""
    rows = []
    for entry in entries:
        details = entry.details
        summary, note = entry.summary, ""
        if entry.kind == "status_change":
            summary = (
                f"{_status_label(details['from_status'])} → {_status_label(details['to_status'])}"
            )
            note = details.get("reason", "")
        elif entry.kind == "follow_up" and not details.get("completed_on"):
            summary = gettext("Due on %(date)s") % {"date": details["due_on"]}
        rows.append(
            TimelineRow(
                at=entry.at,
                kind=str(_TIMELINE_KINDS.get(entry.kind, entry.kind)),
                summary=summary,
                actor=entry.actor,
                note=note,
                date_only=entry.kind != "status_change",
            )
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------
_CHILD_NAMES_NOTE = _(
    "Names in Ukrainian Cyrillic. Their Latin forms (KMU 2010) are derived when the case is saved."
)
_CHILD_DETAILS: list[Any] = [
    ("date_of_birth", "date_of_birth_precision"),
    "sex",
    ("origin_oblast", "origin_settlement"),
    ("origin_latitude", "origin_longitude"),
    "parental_care",
    "distinguishing_notes",
]
# What a limited share shows of the child's details: the birth year, not the date.
_CHILD_DETAILS_LIMITED: list[Any] = ["birth_year", *_CHILD_DETAILS[1:]]
_TAKING_FIELDSETS: list[Any] = [
    (
        _("How the child was taken"),
        {"fields": ["pathway", ("deported_on", "deported_from"), "circumstances"]},
    ),
    (
        _("Legal status imposed in Russia"),
        {
            "fields": [
                "russian_citizenship_imposed",
                "under_russian_guardianship",
                "adopted_in_russia",
                "listed_in_adoption_database",
            ]
        },
    ),
]


def _child_field(name: str) -> Callable[[Any, Case], str]:
    """A read-only page's rendering of one of the child's fields (on the form they are declared
    fields, which Django's read-only rendering cannot look up on the case)."""
    field = Child._meta.get_field(name)
    assert isinstance(field, models.Field)

    @admin.display(description=getattr(field, "verbose_name", name))
    def show(model_admin: Any, case: Case) -> str:
        return str(display_for_field(getattr(case.child, name), field, "-"))

    return show


def _when(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@dataclass(frozen=True)
class ShareRow:
    share: CaseShare
    revoke_url: str | None


@dataclass(frozen=True)
class ClosureRequestRow:
    closure: ClosureRequest
    decide_url: str | None


@dataclass(frozen=True)
class ActionButton:
    name: str
    label: Any
    default: bool = True


_BAND_LABELS: dict[str, Any] = {"likely": _("likely"), "possible": _("possible")}


@dataclass(frozen=True)
class CandidateRow:
    """A registry child the new case's child may be, as the add page lists it."""

    candidate: SeenCandidate
    band: str
    reasons: list[str]
    url: str | None
    held: str


@admin.register(Case)
class CaseAdmin(AuditedReadsAdmin, ServiceBackedAdmin):
    form = CaseAdminForm
    inlines = [ChildAliasInline, RelativeInline, WhereaboutsInline, ServiceInline, FollowUpInline]
    list_display = [
        "number",
        "child_names",
        admin_list.case_status,
        "phase_display",
        "priority",
        "origin_oblast",
        "child_country",
        "organization",
        "assignee",
        "updated_at",
    ]
    list_filter = [
        admin_list.AssignedToMeFilter,
        admin_list.MyOrganizationFilter,
        "status",
        PhaseFilter,
        "priority",
        "child__origin_oblast",
        CurrentCountryFilter,
        ("organization", OrganizationFilter),
        ("assignee", AssigneeFilter),
        *WORK_LIST_FILTERS,
    ]
    # What a row renders; the selector joins the same, so a page costs the same few queries.
    list_select_related = [
        "organization",
        "child",
        "child__origin_oblast",
        "child__current_whereabouts",
        "child__current_whereabouts__facility",
        "assignee",
    ]
    # Searching is ``selectors.case_search`` (see ``get_search_results``); naming a field here
    # only makes the admin show the search box.
    search_fields = ["number"]
    search_help_text = _(
        "A case number, with or without “UA-”, or the child's name in any spelling: Cyrillic, "
        "Latin, Russified, aliases. Г and Ґ, Е and Є, И and І, Ї and І count as one letter."
    )
    ordering = ["-updated_at", "-id"]
    # No count of every case on each page (the paginator counts up to a limit), and no counts
    # beside each filter's choices (``_facets``: a count of the cases per choice of every
    # filter).
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    # The model's ``organization`` is not editable (a case never changes hands through the
    # form); the form's declared field of that name only carries the choice to ``case_create``.
    exclude = ["organization"]
    readonly_fields = [
        "number",
        "status",
        "phase_display",
        "access_display",
        "birth_year",
        "family_name_latin",
        "given_name_latin",
        "patronymic_latin",
        "current_whereabouts",
        "distance_from_home",
        "returned_on",
        "closure_reason",
        "closed_at",
        "status_changed_at",
        "version",
        "created_by",
        "created_at",
        "updated_at",
    ]

    # --- who may do what (see ``_reads_cases`` and ``_writes_case``) ---------------------------
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reads_cases(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A case reaches here only through ``get_queryset``, that is through visibility; one out
        # of the user's sight is "not found", as if it did not exist.
        return _reads_cases(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _roles(request).can(Capability.CASE_CREATE)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _writes_case(request, obj)

    def _may_assign(self, request: HttpRequest, case: Case | None) -> bool:
        if case is None:
            return _roles(request).can(Capability.CASE_ASSIGN)
        return selectors.case_can(request.user, Capability.CASE_ASSIGN, case)

    # --- the page ------------------------------------------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: Case | None = None) -> Any:
        if obj is None:
            return [
                (None, {"fields": ["organization", ("priority", "assignee")]}),
                (
                    _("Child"),
                    {
                        "fields": ["family_name", "given_name", "patronymic", *_CHILD_DETAILS],
                        "description": _CHILD_NAMES_NOTE,
                    },
                ),
                *_TAKING_FIELDSETS,
                (_("Is the child already in the registry?"), {"fields": ["candidates_checked"]}),
            ]
        head: list[Any] = [
            ("number", "status", "phase_display"),
            ("organization", "access_display"),
            ("priority", "assignee"),
        ]
        if self.has_change_permission(request, obj):
            head.append("expected_version")
        details = _CHILD_DETAILS if selectors.case_is_full(obj) else _CHILD_DETAILS_LIMITED
        return [
            (None, {"fields": head}),
            (
                _("Child"),
                {
                    "fields": [
                        ("family_name", "family_name_latin"),
                        ("given_name", "given_name_latin"),
                        ("patronymic", "patronymic_latin"),
                        *details,
                    ],
                    "description": _CHILD_NAMES_NOTE,
                },
            ),
            (_("Where the child is"), {"fields": [("current_whereabouts", "distance_from_home")]}),
            *_TAKING_FIELDSETS,
            (
                _("Record"),
                {
                    "classes": ["collapse"],
                    "fields": [
                        ("returned_on", "closure_reason", "closed_at"),
                        ("status_changed_at", "version"),
                        ("created_by", "created_at", "updated_at"),
                    ],
                },
            ),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Case | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            # Read only: every field shown, none on the form (Django would leave the declared
            # child fields on it).
            return flatten_fieldsets(self.get_fieldsets(request, obj))
        fields = list(self.readonly_fields)
        if obj is not None:
            fields.append("organization")  # a case never changes hands through the form
        if not self._may_assign(request, obj):
            # Shown, not sent: a save by someone who does not assign never changes the assignee.
            fields.append("assignee")
        return fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None and "organization" in form.base_fields:
            # A copy: the declared field is shared by every form class built from CaseAdminForm.
            field = copy.deepcopy(form.base_fields["organization"])
            owners = selectors.creating_organizations(actor=request.user)
            field.queryset = owners
            only = list(owners[:2])
            if len(only) == 1:
                # Nothing to choose: the one organization the user opens cases for.
                field.widget = forms.HiddenInput()
                field.initial = only[0].pk
            form.base_fields["organization"] = field
        if obj is None:
            reader = request.user

            def find_candidates(child: Child) -> list[SeenCandidate]:
                return new_child_candidates(actor=reader, child=child)

            # The class is made for this request (``modelform_factory``): set, not shared.
            form.find_candidates = staticmethod(find_candidates)
        elif "candidates_checked" in form.base_fields:
            del form.base_fields["candidates_checked"]
        return form

    # --- reads -------------------------------------------------------------------------------
    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[admin_list.ChangeList]:
        return admin_list.changelist_class(request)

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> admin_list.CappedPaginator:
        return admin_list.CappedPaginator(
            queryset,
            per_page,
            limit=admin_list.count_limit(),
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        queryset = selectors.case_list(actor=request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        return selectors.case_search(queryset, search_term), False

    def read_search(self, request: HttpRequest, term: str) -> dict[str, Any]:
        return selectors.case_search_recorded(term) or {}

    def read_details(self, request: HttpRequest, obj: Case) -> dict[str, Any]:
        return {"scope": "full" if selectors.case_is_full(obj) else "limited"}

    def formfield_for_dbfield(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "assignee" and field is not None:
            widget = field.widget
            if isinstance(widget, RelatedFieldWidgetWrapper):
                # Accounts are managed in their own admin, not from a case.
                widget.can_add_related = widget.can_change_related = False
                widget.can_delete_related = False
        return field

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "assignee":
            kwargs["queryset"] = selectors.assignee_choices(actor=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- columns and read-only fields ----------------------------------------------------------
    @admin.display(description=_("child"), ordering="child__family_name")
    def child_names(self, case: Case) -> str:
        return admin_list.child_cell(case)

    @admin.display(description=_("phase"), ordering="status")
    def phase_display(self, case: Case) -> str:
        return case.phase_label

    @admin.display(description=_("oblast of origin"), ordering="child__origin_oblast")
    def origin_oblast(self, case: Case) -> Any:
        return case.child.origin_oblast or "-"

    # Not named ``current_country``: a column named as a model field shows the field, and
    # Django draws a country field's value through its whole list of countries, each row.
    @admin.display(description=_("current country"))
    def child_country(self, case: Case) -> str:
        current = case.child.current_whereabouts
        return countries.name(str(current.country)) if current is not None else "-"

    @admin.display(description=_("your access"))
    def access_display(self, case: Case) -> str:
        scope = getattr(case, selectors.ACCESS, ShareScope.FULL)
        return str(ShareScope(scope).label) if scope in ShareScope.values else "-"

    @admin.display(description=_("year of birth"))
    def birth_year(self, case: Case) -> Any:
        return case.child.birth_year or "-"

    # The child's own fields as a read-only page shows them.
    family_name = _child_field("family_name")
    given_name = _child_field("given_name")
    patronymic = _child_field("patronymic")
    date_of_birth = _child_field("date_of_birth")
    date_of_birth_precision = _child_field("date_of_birth_precision")
    sex = _child_field("sex")
    origin_settlement = _child_field("origin_settlement")
    origin_latitude = _child_field("origin_latitude")
    origin_longitude = _child_field("origin_longitude")
    parental_care = _child_field("parental_care")
    distinguishing_notes = _child_field("distinguishing_notes")

    @admin.display(description=_("family name (Latin)"))
    def family_name_latin(self, case: Case) -> str:
        return case.child.family_name_latin

    @admin.display(description=_("given name (Latin)"))
    def given_name_latin(self, case: Case) -> str:
        return case.child.given_name_latin

    @admin.display(description=_("patronymic (Latin)"))
    def patronymic_latin(self, case: Case) -> str:
        return case.child.patronymic_latin or "-"

    @admin.display(description=_("current whereabouts"))
    def current_whereabouts(self, case: Case) -> Any:
        return case.child.current_whereabouts or "-"

    @admin.display(description=_("distance from home"))
    def distance_from_home(self, case: Case) -> str:
        km = admin_case_page.distance_km(case)
        return (
            gettext("%(km)s km") % {"km": admin_case_page.kilometres(km)} if km is not None else "-"
        )

    # --- saves -------------------------------------------------------------------------------
    def get_formset_kwargs(
        self, request: HttpRequest, obj: Case, inline: Any, prefix: str
    ) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, ChildRecordInline):
            # A new case has no child yet: an unsaved one gives an empty formset.
            kwargs["instance"] = obj.child if obj.child_id is not None else Child()
        return kwargs

    def save_through_services(
        self, request: HttpRequest, obj: Case, form: CaseAdminForm, change: bool
    ) -> Case:
        if not change:
            return services.case_create(
                actor=_actor(request),
                child_data=form.child_data(changed_only=False),
                data=form.case_data(changed_only=False),
                organization=form.owning_organization(),
                candidates_checked=bool(form.cleaned_data.get("candidates_checked")),
            )
        return services.case_update(
            case=obj,
            actor=_actor(request),
            data=form.case_data(changed_only=True),
            child_data=form.child_data(changed_only=True),
            expected_version=form.cleaned_data["expected_version"],
        )

    def inline_save_context(self, request: HttpRequest, saved: Case) -> InlineSave:
        return InlineSave(case=saved, actor=_actor(request))

    # --- the change page: allowed moves, shares, closure requests, the timeline ----------------
    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Case | None = None,
    ) -> HttpResponse:
        if add:
            self._candidates_context(request, context)
        if obj is not None and obj.pk is not None:
            capabilities = selectors.case_capabilities(request.user, obj)
            moves = selectors.case_allowed_moves(request.user, obj)
            context["transitions"] = self._transition_links(obj, moves)
            timeline = selectors.case_timeline(case=obj)
            context["timeline"] = _timeline_rows(timeline)
            # Opening a case's page reads the child's full record: the page's one read event
            # (``AuditedReadsAdmin``) names the case, its inlines' rows and these.
            read = context[READ_RECORDS] = selectors.timeline_records(timeline)
            if selectors.case_can_see_internals(request.user, obj):
                # The owning organization's own business: never shown to those it shares with.
                context.update(self._internals(obj, capabilities))
                read[CaseShare] = [row.share.pk for row in context["shares"]]
                read[ClosureRequest] = [row.closure.pk for row in context["closure_requests"]]
            # The summary on top, the rest in sections (``admin_case_page``).
            context.update(
                admin_case_page.case_page_context(
                    request,
                    obj,
                    context=context,
                    moves=[
                        admin_case_page.MoveLink(
                            label=t.label,
                            target_label=Status(t.target).label,
                            url=self._url("transition", obj.pk, t.target),
                            backward=t.is_backward,
                        )
                        for t in moves
                    ],
                    history_url=self._url("history", obj.pk)
                    if selectors.case_can_see_internals(request.user, obj)
                    else "",
                )
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _candidates_context(self, request: HttpRequest, context: dict[str, Any]) -> None:
        """The registry's candidates for the child of a new case, listed above the form; the
        cases they show are a read of personal data, recorded as one."""
        form = getattr(context.get("adminform"), "form", None)
        seen: list[SeenCandidate] = list(getattr(form, "candidates", None) or [])
        if not seen:
            return
        context["match_candidates"] = [
            CandidateRow(
                candidate=candidate,
                band=str(_BAND_LABELS[candidate.band]),
                reasons=reasons_in_words(candidate.reasons) if candidate.visible else [],
                url=self._url("change", candidate.case_id) if candidate.case_id else None,
                held=gettext("A likely match is held by %(organization)s.")
                % {"organization": candidate.organization_name},
            )
            for candidate in seen
        ]
        record_read(
            actor=request.user,
            records={Case: seen_candidate_cases(seen)},
            metadata={
                "kind": "identity_match",
                "candidates": len(seen),
                "held": sum(1 for c in seen if not c.visible),
            },
        )

    def _url(self, name: str, *args: Any) -> str:
        return reverse(f"{self.admin_site.name}:cases_case_{name}", args=args)

    def _transition_links(self, case: Case, moves: list[Transition]) -> list[dict[str, Any]]:
        return [
            {
                "label": transition.label,
                "target": transition.target,
                "target_label": Status(transition.target).label,
                "backward": transition.is_backward,
                "url": self._url("transition", case.pk, transition.target),
            }
            for transition in moves
        ]

    def _internals(self, case: Case, capabilities: frozenset[Capability]) -> dict[str, Any]:
        may_share = Capability.CASE_SHARE in capabilities
        may_decide = Capability.CASE_CLOSE in capabilities
        shares = [
            ShareRow(
                share=share,
                revoke_url=self._url("share_revoke", case.pk, share.pk)
                if may_share and share.revoked_at is None
                else None,
            )
            for share in selectors.case_shares(case=case)
        ]
        closures = [
            ClosureRequestRow(
                closure=closure,
                decide_url=self._url("closure_decide", case.pk, closure.pk)
                if may_decide and closure.status == ClosureRequestStatus.PENDING
                else None,
            )
            for closure in selectors.case_closure_requests(case=case)
        ]
        pending = any(row.closure.status == ClosureRequestStatus.PENDING for row in closures)
        # Who closes at once is offered the move; who may only ask is offered the request.
        may_request = (
            case.is_open
            and not pending
            and Capability.CASE_REQUEST_CLOSURE in capabilities
            and Capability.CASE_CLOSE not in capabilities
        )
        return {
            "shares": shares,
            "share_url": self._url("share", case.pk) if may_share else None,
            "closure_requests": closures,
            "closure_request_url": self._url("request_closure", case.pk) if may_request else None,
        }

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        """The case's history from the audit trail, change by change (``admin_history``)."""
        return admin_history.case_history_view(self, request, object_id)

    def get_urls(self) -> list[URLPattern]:
        def view(func: Callable[..., HttpResponse], route: str, name: str) -> URLPattern:
            return path(
                f"<path:object_id>/{route}",
                self.admin_site.admin_view(func),
                name=f"cases_case_{name}",
            )

        panel_urls = [
            url for panel in admin_case_page.case_panels() for url in panel.urls(self.admin_site)
        ]
        return [
            *panel_urls,
            view(self.transition_view, "transition/<str:target>/", "transition"),
            view(self.closure_request_view, "request-closure/", "request_closure"),
            view(
                self.closure_decide_view,
                "closure-requests/<int:request_id>/decide/",
                "closure_decide",
            ),
            view(self.share_view, "share/", "share"),
            view(self.share_revoke_view, "shares/<int:share_id>/revoke/", "share_revoke"),
            *admin_export.export_urls(self),
            *super().get_urls(),
        ]

    # --- small pages for one write each -----------------------------------------------------
    def _visible_case(self, request: HttpRequest, object_id: str) -> Case | None:
        case = self.get_object(request, unquote(object_id))
        if case is None:
            self.message_user(request, gettext("No such case."), messages.WARNING)
        return case

    def _require(self, request: HttpRequest, capability: Capability, case: Case) -> None:
        """Refuse a page whose write the user's role does not allow, whatever the buttons
        showed (the service would refuse it too)."""
        if not selectors.case_can(request.user, capability, case):
            raise PermissionDenied

    def _changelist(self) -> HttpResponse:
        return HttpResponseRedirect(self._url("changelist"))

    def _done(self, request: HttpRequest, case: Case, message: str) -> HttpResponse:
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(self._url("change", case.pk))

    def _action_page(
        self,
        request: HttpRequest,
        case: Case,
        *,
        title: Any,
        form: forms.Form,
        buttons: list[ActionButton],
        intro: str = "",
        details: list[tuple[Any, Any]] | None = None,
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": case.number,
            "opts": self.opts,
            "original": case,
            "intro": intro,
            "details": details or [],
            "form": form,
            "errors": form.errors,
            "buttons": buttons,
            "change_url": self._url("change", case.pk),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/cases/case/action.html", context)

    def transition_view(self, request: HttpRequest, object_id: str, target: str) -> HttpResponse:
        """A small form with the facts one move needs; the move is ``case_transition``."""
        case = self._visible_case(request, object_id)
        if case is None:
            return self._changelist()
        capabilities = selectors.case_capabilities(request.user, case)
        if not capabilities & workflow.MOVE_CAPABILITIES:
            raise PermissionDenied
        change_url = self._url("change", case.pk)
        transition = workflow.find_transition(case.status, target)
        if transition is None:
            return self._refuse_move(request, case, target, change_url)
        if transition not in selectors.case_allowed_moves(request.user, case):
            if transition.capability != Capability.CASE_CLOSE:
                raise PermissionDenied
            return self._refuse_closing(request, change_url)

        form = CaseTransitionForm(
            request.POST if request.method == "POST" else None,
            transition=transition,
            initial={"expected_version": case.version},
        )
        if request.method == "POST" and form.is_valid():
            try:
                moved = services.case_transition(
                    case_id=case.pk, to=target, actor=_actor(request), **form.transition_kwargs()
                )
            except TransitionNotAllowed:
                return self._refuse_move(request, case, target, change_url)
            except RoleDenied:
                # The role changed since the check above.
                return self._refuse_closing(request, change_url)
            except (DomainError, IntegrityError) as exc:
                add_service_errors(form, service_error_fields(exc))
            else:
                return self._done(
                    request,
                    moved,
                    gettext("Case %(number)s moved to “%(status)s”.")
                    % {"number": moved.number, "status": _status_label(moved.status)},
                )

        context = {
            **self.admin_site.each_context(request),
            "title": transition.label,
            "subtitle": case.number,
            "opts": self.opts,
            "original": case,
            "transition": transition,
            "source_label": _status_label(transition.source),
            "target_label": _status_label(transition.target),
            "form": form,
            "errors": form.errors,
            "change_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/cases/case/transition.html", context)

    def _refuse_closing(self, request: HttpRequest, change_url: str) -> HttpResponse:
        self.message_user(
            request,
            gettext(
                "Closing or reopening a case takes a supervisor of its organization. "
                "Request the closure instead; a supervisor approves or rejects it."
            ),
            messages.ERROR,
        )
        return HttpResponseRedirect(change_url)

    def _refuse_move(
        self, request: HttpRequest, case: Case, target: str, change_url: str
    ) -> HttpResponse:
        allowed = ", ".join(_status_label(t.target) for t in workflow.transitions_from(case.status))
        self.message_user(
            request,
            gettext(
                "The workflow does not allow moving a case from “%(source)s” to “%(target)s”. "
                "Allowed: %(allowed)s."
            )
            % {
                "source": _status_label(case.status),
                "target": _status_label(target),
                "allowed": allowed or "-",
            },
            messages.ERROR,
        )
        return HttpResponseRedirect(change_url)

    def _case_for_action(
        self, request: HttpRequest, object_id: str, capability: Capability
    ) -> Case | HttpResponse:
        """The visible case a small page acts on, once the user's role allows its write; a
        case out of sight sends the user back to the list."""
        case = self._visible_case(request, object_id)
        if case is None:
            return self._changelist()
        self._require(request, capability, case)
        return case

    def _gone(self, request: HttpRequest, case: Case, message: str) -> HttpResponse:
        """The record a page was about has been dealt with meanwhile: back to the case."""
        self.message_user(request, message, messages.WARNING)
        return HttpResponseRedirect(self._url("change", case.pk))

    def _submit(
        self, request: HttpRequest, case: Case, form: forms.Form, write: Callable[[], str]
    ) -> HttpResponse | None:
        """On a valid POST, make the page's one write (``write`` returns what to tell the user)
        and go back to the case; a refusal lands on the form, and the page shows again."""
        if request.method != "POST" or not form.is_valid():
            return None
        try:
            done = write()
        except (DomainError, IntegrityError) as exc:
            add_service_errors(form, service_error_fields(exc))
            return None
        return self._done(request, case, done)

    def closure_request_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A caseworker asks a supervisor to close the case (``closure_request_create``)."""
        case = self._case_for_action(request, object_id, Capability.CASE_REQUEST_CLOSURE)
        if not isinstance(case, Case):
            return case
        form = ClosureRequestForm(request.POST if request.method == "POST" else None)

        def request_closure() -> str:
            services.closure_request_create(
                case_id=case.pk,
                actor=_actor(request),
                closure_reason=form.cleaned_data["closure_reason"],
                reason=form.cleaned_data["reason"],
            )
            return gettext("Closure of case %(number)s requested; a supervisor decides.") % {
                "number": case.number
            }

        return self._submit(request, case, form, request_closure) or self._action_page(
            request,
            case,
            title=_("Request closure"),
            intro=gettext(
                "A supervisor of the case's organization approves the request (the case "
                "closes with this reason) or rejects it."
            ),
            form=form,
            buttons=[ActionButton("_request", _("Request closure"))],
        )

    def closure_decide_view(
        self, request: HttpRequest, object_id: str, request_id: int
    ) -> HttpResponse:
        """A supervisor approves (the case closes) or rejects a pending closure request."""
        case = self._case_for_action(request, object_id, Capability.CASE_CLOSE)
        if not isinstance(case, Case):
            return case
        closure = selectors.case_closure_requests(case=case).filter(pk=request_id).first()
        if closure is None or closure.status != ClosureRequestStatus.PENDING:
            return self._gone(
                request, case, gettext("This closure request is no longer waiting for a decision.")
            )
        form = ClosureDecisionForm(request.POST if request.method == "POST" else None)

        def decide() -> str:
            approve = "_approve" in request.POST
            if not approve and "_reject" not in request.POST:
                raise DomainError(gettext("Approve or reject the request."))
            services.closure_request_decide(
                request_id=closure.pk,
                actor=_actor(request),
                approve=approve,
                note=form.cleaned_data["note"],
            )
            done = (
                gettext("Closure approved: case %(number)s is closed.")
                if approve
                else gettext("Closure of case %(number)s rejected.")
            )
            return done % {"number": case.number}

        return self._submit(request, case, form, decide) or self._action_page(
            request,
            case,
            title=_("Decide on a closure request"),
            details=[
                (_("requested by"), closure.requested_by or "-"),
                (_("requested"), _when(closure.requested_at)),
                (_("closure reason"), closure.get_closure_reason_display()),
                (_("explanation"), closure.reason),
            ],
            form=form,
            buttons=[
                ActionButton("_approve", _("Approve and close the case")),
                ActionButton("_reject", _("Reject"), default=False),
            ],
        )

    def share_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Let another organization read the case (``case_share_create``)."""
        case = self._case_for_action(request, object_id, Capability.CASE_SHARE)
        if not isinstance(case, Case):
            return case
        others = organization_list().filter(is_active=True).exclude(pk=case.organization_id)
        form = CaseShareForm(
            request.POST if request.method == "POST" else None, organizations=others
        )

        def share() -> str:
            made = services.case_share_create(
                case=case, actor=_actor(request), **form.share_kwargs()
            )
            return gettext("Case %(number)s shared with %(organization)s (%(scope)s).") % {
                "number": case.number,
                "organization": made.organization,
                "scope": made.get_scope_display(),
            }

        return self._submit(request, case, form, share) or self._action_page(
            request,
            case,
            title=_("Share the case"),
            intro=gettext(
                "The organization's members read the case, never change it. A limited share "
                "shows the birth year instead of the date of birth and no relatives' contacts."
            ),
            form=form,
            buttons=[ActionButton("_share", _("Share"))],
        )

    def share_revoke_view(
        self, request: HttpRequest, object_id: str, share_id: int
    ) -> HttpResponse:
        """End a share at once (``case_share_revoke``); its record stays."""
        case = self._case_for_action(request, object_id, Capability.CASE_SHARE)
        if not isinstance(case, Case):
            return case
        share = selectors.case_shares(case=case).filter(pk=share_id).first()
        if share is None or share.revoked_at is not None:
            return self._gone(request, case, gettext("This share was already revoked."))
        form = ShareRevokeForm(request.POST if request.method == "POST" else None)

        def revoke() -> str:
            services.case_share_revoke(
                share=share, actor=_actor(request), reason=form.cleaned_data["reason"]
            )
            return gettext("The share of case %(number)s with %(organization)s is revoked.") % {
                "number": case.number,
                "organization": share.organization,
            }

        return self._submit(request, case, form, revoke) or self._action_page(
            request,
            case,
            title=_("Revoke a share"),
            details=[
                (_("shared with"), share.organization),
                (_("scope"), share.get_scope_display()),
                (_("shared"), _when(share.created_at)),
            ],
            form=form,
            buttons=[ActionButton("_revoke", _("Revoke"))],
        )


# ---------------------------------------------------------------------------------------------
# Reference data and history
# ---------------------------------------------------------------------------------------------
@admin.register(Facility)
class FacilityAdmin(ServiceBackedAdmin):
    form = FacilityAdminForm
    list_display = ["name", "name_latin", "kind", "country", "region", "settlement"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "name_latin", "region", "settlement"]
    fields = [
        ("name", "name_latin"),
        "kind",
        ("country", "region", "settlement"),
        ("latitude", "longitude"),
        "notes",
    ]

    # The facility registry is shared reference data: whoever reads cases sees it, whoever
    # writes cases anywhere keeps it (``services.facility_save`` holds the same rule).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reads_cases(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads_cases(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _roles(request).can(Capability.CASE_WRITE)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _roles(request).can(Capability.CASE_WRITE)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Facility]:
        return selectors.facility_list()

    def save_through_services(
        self, request: HttpRequest, obj: Facility, form: FacilityAdminForm, change: bool
    ) -> Facility:
        # The form already wrote its values onto ``obj``; the service compares a fresh copy.
        current = selectors.facility_list().filter(pk=obj.pk).first() if change else None
        if change and current is None:
            raise NotFound(gettext("The facility no longer exists."))
        return services.facility_save(
            actor=_actor(request), facility=current, data=form.facility_data()
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Reference data or history: shown to whoever reads cases, never added, changed or
    deleted here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reads_cases(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads_cases(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Oblast)
class OblastAdmin(ReadOnlyAdmin):
    list_display = ["code", "name_uk", "name_en"]
    search_fields = ["code", "name_uk", "name_en"]


@admin.register(StatusChange)
class StatusChangeAdmin(AuditedReadsAdmin, ReadOnlyAdmin):
    list_display = ["case", "from_status", "to_status", "changed_at", "actor", "reason"]
    list_filter = ["to_status"]
    list_select_related = ["case", "actor"]
    date_hierarchy = "changed_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusChange]:
        # The history of the cases this user may see, and no other.
        visible = selectors.case_visible_to(actor=request.user).values("pk")
        return StatusChange.objects.filter(case__in=visible).order_by("-changed_at", "-id")

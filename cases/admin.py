"""The caseworkers' admin: a case with its child, family, whereabouts, support and timeline.

Admin classes are thin. Reads start from ``cases.selectors`` (visibility is decided there, in one
place) and every write goes through ``cases.services``, the functions the API calls.

Saving through services inside Django's admin
---------------------------------------------
Django validates the page's forms, then calls ``save_model`` and ``save_related`` inside one
transaction (``changeform_view`` is atomic). Here those hooks call services instead of
``form.save()``. A service may still refuse something the forms accepted (a rule only it knows, a
newer version of the case). Its errors are recorded against the form and field they name, and
``SaveRefused`` leaves the transaction, which rolls back everything the save wrote, inlines and
case alike. The page is then built once more from the same POST with those errors added during
validation, so Django's own rendering shows each one where it belongs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import User
from config.errors import DomainError, NotFound

from . import selectors, services, workflow
from .exceptions import StaleVersion, TransitionNotAllowed
from .forms import (
    CaseAdminForm,
    CaseTransitionForm,
    ChildAliasInlineForm,
    FacilityAdminForm,
    FollowUpInlineForm,
    FormErrors,
    Refusal,
    ServiceBackedInlineFormSet,
    ServiceBackedModelForm,
)
from .models import (
    Case,
    CaseQuerySet,
    Child,
    ChildAlias,
    Facility,
    FollowUp,
    Oblast,
    Relative,
    Service,
    StatusChange,
    Whereabouts,
)
from .selectors import TimelineEntry
from .workflow import Phase, Status

# Where the first pass leaves the services' errors for the second (see the module docstring).
_REFUSAL_ATTR = "_cases_admin_refusal"


class SaveRefused(Exception):
    """A service refused part of an admin save; carries its errors by form prefix and field."""

    def __init__(self, errors: Refusal) -> None:
        super().__init__("save refused")
        self.errors = errors


def _refusal_of(request: HttpRequest) -> Refusal | None:
    return cast("Refusal | None", getattr(request, _REFUSAL_ATTR, None))


def _actor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # the admin only lets signed-in staff through
        raise PermissionDenied
    return user


def service_error_fields(exc: DomainError | IntegrityError) -> FormErrors:
    """A refused write as form errors: on the fields it names, or on the whole form."""
    if isinstance(exc, IntegrityError):
        # Services check their rules first; this is a concurrent write that won the race.
        return {None: [gettext("The record was changed at the same time; reload and try again.")]}
    if isinstance(exc, StaleVersion):
        return {
            None: [
                exc.detail,
                gettext("Open the case again to see the changes, then make yours."),
            ]
        }
    if exc.fields:
        named: dict[str | None, list[str]] = dict(exc.fields.items())
        return named
    return {None: [exc.detail]}


def _adopt(target: models.Model, saved: models.Model) -> None:
    """Give the admin's (unsaved or stale) instance the state a service wrote, so the admin's
    own follow-up (history entry, redirect, message) speaks of the saved record."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


class ServiceBackedAdmin(admin.ModelAdmin):
    """A model admin whose saves go through services (see the module docstring)."""

    form = ServiceBackedModelForm

    def save_through_services(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> Any:
        """Write the main form through a service and return what it wrote."""
        raise NotImplementedError

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SaveRefused as refused:
            # The transaction is rolled back; show the same POST again with the errors.
            setattr(request, _REFUSAL_ATTR, refused.errors)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        refusal = _refusal_of(request)
        if refusal is not None:
            form = type(form.__name__, (form,), {"refused_errors": refusal.get("", {})})
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            saved = self.save_through_services(request, obj, form, change)
        except (DomainError, IntegrityError) as exc:
            form.record_service_errors("", service_error_fields(exc))
            return
        form.saved_instance = saved
        _adopt(obj, saved)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if form.saved_instance is not None:
            self.save_formsets_through_services(request, form, formsets)
        if form.service_errors:
            raise SaveRefused(form.service_errors)

    def save_formsets_through_services(
        self, request: HttpRequest, form: Any, formsets: list[Any]
    ) -> None:
        """Write the inlines through services; ``form.saved_instance`` is the saved record."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Registry records are never deleted; cases end by closing, with a reason.
        return False


# ---------------------------------------------------------------------------------------------
# Inlines
# ---------------------------------------------------------------------------------------------
RecordErrors = Callable[[str, FormErrors], None]


@dataclass(frozen=True)
class InlineSave:
    """What an inline's services need besides the row: the saved case and who saves."""

    case: Case
    actor: User


class ServiceBackedInline(InlineModelAdmin):
    """An inline whose rows are created, changed and deleted through services.

    Subclasses name the fields their services take (``service_fields``) and implement
    ``create`` / ``update`` / ``delete`` with one service call each."""

    formset = ServiceBackedInlineFormSet
    service_fields: ClassVar[frozenset[str]] = frozenset()

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        refusal = _refusal_of(request)
        if refusal is not None:
            formset = type(formset.__name__, (formset,), {"refusal": refusal})
        return formset

    def service_data(self, form: Any, *, changed_only: bool) -> dict[str, Any]:
        names = set(form.changed_data) if changed_only else set(form.cleaned_data)
        return {
            name: form.cleaned_data[name]
            for name in sorted(names & self.service_fields)
            if not form.fields[name].disabled
        }

    def create(self, form: Any, ctx: InlineSave) -> Any:
        raise NotImplementedError

    def update(self, instance: Any, form: Any, ctx: InlineSave) -> Any:
        raise NotImplementedError

    def delete(self, instance: Any, ctx: InlineSave) -> None:
        raise NotImplementedError

    def save_formset(self, formset: Any, ctx: InlineSave, record_errors: RecordErrors) -> None:
        """Apply every changed, new or deleted row of a valid formset through the services,
        recording each refusal against its row. Unchanged rows are not touched."""
        deleted = {id(f) for f in formset.deleted_forms}
        existing = [f for f in formset.initial_forms if id(f) in deleted or f.has_changed()]
        # Services compare against a fresh copy: validation already wrote the new values onto
        # each form's instance.
        fresh = self.model._default_manager.in_bulk([f.instance.pk for f in existing])
        for form in existing:
            instance = fresh.get(form.instance.pk)
            try:
                if instance is None:
                    raise DomainError(gettext("This row no longer exists; reload the page."))
                if id(form) in deleted:
                    self.delete(instance, ctx)
                    formset.deleted_objects.append(instance)
                else:
                    self.update(instance, form, ctx)
                    formset.changed_objects.append((instance, form.changed_data))
            except (DomainError, IntegrityError) as exc:
                record_errors(form.prefix, service_error_fields(exc))
        for form in formset.extra_forms:
            if id(form) in deleted or not form.has_changed():
                continue
            try:
                formset.new_objects.append(self.create(form, ctx))
            except (DomainError, IntegrityError) as exc:
                record_errors(form.prefix, service_error_fields(exc))


class ChildRecordInline(ServiceBackedInline):
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
    service_fields = services.RELATIVE_FIELDS
    extra = 0

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


class ServiceInline(ServiceBackedInline, admin.TabularInline):
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


class FollowUpInline(ServiceBackedInline, admin.TabularInline):
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
        if value in Phase.values:
            return cast(CaseQuerySet, queryset).in_phase(value)
        return queryset


class CurrentCountryFilter(admin.SimpleListFilter):
    """The country of the child's current whereabouts, listing only countries cases are in."""

    title = _("current country")
    parameter_name = "current_country"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        codes = (
            model_admin.get_queryset(request)
            .exclude(child__current_whereabouts=None)
            .order_by()
            .values_list("child__current_whereabouts__country", flat=True)
            .distinct()
        )
        return sorted(((code, countries.name(code)) for code in codes), key=lambda c: str(c[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value:
            return queryset.filter(child__current_whereabouts__country=value)
        return queryset


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


@admin.register(Case)
class CaseAdmin(ServiceBackedAdmin):
    form = CaseAdminForm
    inlines = [ChildAliasInline, RelativeInline, WhereaboutsInline, ServiceInline, FollowUpInline]
    list_display = [
        "number",
        "child_names",
        "status",
        "phase_display",
        "priority",
        "origin_oblast",
        "current_country",
        "assignee",
        "updated_at",
    ]
    list_filter = [
        "status",
        PhaseFilter,
        "priority",
        "child__origin_oblast",
        CurrentCountryFilter,
        ("assignee", admin.RelatedOnlyFieldListFilter),
    ]
    # What a row renders; the selector joins the same, so a page costs the same few queries.
    list_select_related = [
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
        "A case number, or the child's name in any spelling: Cyrillic, Latin, Russified, aliases."
    )
    ordering = ["-updated_at", "-id"]
    readonly_fields = [
        "number",
        "status",
        "phase_display",
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

    def get_fieldsets(self, request: HttpRequest, obj: Case | None = None) -> Any:
        if obj is None:
            return [
                (None, {"fields": [("priority", "assignee"), "organization"]}),
                (
                    _("Child"),
                    {
                        "fields": ["family_name", "given_name", "patronymic", *_CHILD_DETAILS],
                        "description": _CHILD_NAMES_NOTE,
                    },
                ),
                *_TAKING_FIELDSETS,
            ]
        return [
            (
                None,
                {
                    "fields": [
                        ("number", "status", "phase_display"),
                        ("priority", "assignee"),
                        "expected_version",
                    ]
                },
            ),
            (
                _("Child"),
                {
                    "fields": [
                        ("family_name", "family_name_latin"),
                        ("given_name", "given_name_latin"),
                        ("patronymic", "patronymic_latin"),
                        *_CHILD_DETAILS,
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

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            form.base_fields["organization"].queryset = selectors.creating_organizations(
                actor=request.user
            )
        return form

    # --- reads -------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        queryset = selectors.case_list(actor=request.user)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        return selectors.case_search(queryset, search_term), False

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
        return format_html(
            '{}<br><span class="quiet">{}</span>', case.child.full_name, case.child.full_name_latin
        )

    @admin.display(description=_("phase"), ordering="status")
    def phase_display(self, case: Case) -> str:
        return case.phase_label

    @admin.display(description=_("oblast of origin"), ordering="child__origin_oblast")
    def origin_oblast(self, case: Case) -> Any:
        return case.child.origin_oblast or "-"

    @admin.display(description=_("current country"))
    def current_country(self, case: Case) -> str:
        current = case.child.current_whereabouts
        return countries.name(str(current.country)) if current is not None else "-"

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
        child = case.child
        current = child.current_whereabouts
        if current is None:
            return "-"
        current.child = child  # at hand already: no query back to it
        km = current.distance_from_home_km()
        return gettext("%(km)s km") % {"km": f"{km:,.0f}"} if km is not None else "-"

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
            )
        return services.case_update(
            case=obj,
            actor=_actor(request),
            data=form.case_data(changed_only=True),
            child_data=form.child_data(changed_only=True),
            expected_version=form.cleaned_data["expected_version"],
        )

    def save_formsets_through_services(
        self, request: HttpRequest, form: Any, formsets: list[Any]
    ) -> None:
        case = cast(Case, form.saved_instance)
        ctx = InlineSave(case=case, actor=_actor(request))
        inlines = {type(i).model: i for i in self.get_inline_instances(request, case)}
        for formset in formsets:
            inline = inlines.get(formset.model)
            if isinstance(inline, ServiceBackedInline):
                inline.save_formset(formset, ctx, form.record_service_errors)

    # --- the change page: allowed moves and the timeline ---------------------------------------
    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Case | None = None,
    ) -> HttpResponse:
        if obj is not None and obj.pk is not None:
            context["transitions"] = (
                self._transition_links(obj) if self.has_change_permission(request, obj) else []
            )
            context["timeline"] = _timeline_rows(selectors.case_timeline(case=obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _transition_links(self, case: Case) -> list[dict[str, Any]]:
        return [
            {
                "label": transition.label,
                "target": transition.target,
                "target_label": Status(transition.target).label,
                "backward": transition.is_backward,
                "url": reverse(
                    f"{self.admin_site.name}:cases_case_transition",
                    args=[case.pk, transition.target],
                ),
            }
            for transition in workflow.transitions_from(case.status)
        ]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/transition/<str:target>/",
                self.admin_site.admin_view(self.transition_view),
                name="cases_case_transition",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request: HttpRequest, object_id: str, target: str) -> HttpResponse:
        """A small form with the facts one move needs; the move is ``case_transition``."""
        case = self.get_object(request, unquote(object_id))
        if case is None:
            self.message_user(request, gettext("No such case."), messages.WARNING)
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:cases_case_changelist"))
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        change_url = reverse(f"{self.admin_site.name}:cases_case_change", args=[case.pk])
        transition = workflow.find_transition(case.status, target)
        if transition is None:
            return self._refuse_move(request, case, target, change_url)

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
            except (DomainError, IntegrityError) as exc:
                for name, messages_ in service_error_fields(exc).items():
                    for message in messages_:
                        form.add_error(name if name in form.fields else None, message)
            else:
                self.message_user(
                    request,
                    gettext("Case %(number)s moved to “%(status)s”.")
                    % {"number": moved.number, "status": _status_label(moved.status)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)

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
    """Reference data or history: shown, never added, changed or deleted here."""

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
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["case", "from_status", "to_status", "changed_at", "actor", "reason"]
    list_filter = ["to_status"]
    list_select_related = ["case", "actor"]
    date_hierarchy = "changed_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusChange]:
        # The history of the cases this user may see, and no other.
        visible = selectors.case_visible_to(actor=request.user)
        return StatusChange.objects.filter(case__in=visible).order_by("-changed_at", "-id")

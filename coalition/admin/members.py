"""Parties, reference data, members, projects and pledges in the admin.

Coordinators (and superusers) write; every other role that reads the coalition views only.
Saves go through ``coalition.services.members`` (``ServiceBackedAdmin``), so the admin keeps
every rule the API keeps; a pledge moves along its workflow through the list's actions, which
call ``pledge_transition``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import request_actor
from core.admin import ServiceBackedAdmin
from core.errors import DomainError
from core.forms import ServiceBackedModelForm

from ..models import (
    Commitment,
    Member,
    MemberArea,
    Party,
    PartyKind,
    Pledge,
    PledgeStatus,
    PledgeStatusChange,
    Project,
    ProjectArea,
)
from ..selectors import members as selectors
from ..serializers.common import PARTY_CODE_HELP
from ..services import members as services
from ..services.common import can_read_coalition, can_write_coalition


def _reads(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and can_read_coalition(user))


def _writes(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and can_write_coalition(user))


class CoalitionPermissions:
    """Coordinators write; the other coalition readers view."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reads(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _writes(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _writes(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _reads(request)


# ---------------------------------------------------------------------------------------------
# Parties and reference data
# ---------------------------------------------------------------------------------------------
class PartyAdminForm(ServiceBackedModelForm):
    class Meta:
        model = Party
        fields = ["code", "name", "name_uk", "abbreviation"]


@admin.register(Party)
class PartyAdmin(CoalitionPermissions, ServiceBackedAdmin):
    form = PartyAdminForm
    list_display = ["code", "kind", "display_name", "abbreviation", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "name_uk", "abbreviation"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Party]:
        return selectors.party_list(actor=request.user)  # type: ignore[arg-type]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A state's names come from its country code: only organizations change.
        return _writes(request) and (obj is None or obj.kind == PartyKind.ORGANIZATION)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []

    def save_through_services(
        self, request: HttpRequest, obj: Party, form: Any, change: bool
    ) -> Party:
        actor = request_actor(request)
        if not change:
            return services.organization_record(
                actor=actor,
                data=form.service_data(services.ORGANIZATION_FIELDS, changed_only=False),
            )
        return services.organization_update(
            party=obj,
            actor=actor,
            data=form.service_data(services.ORGANIZATION_UPDATE_FIELDS, changed_only=True),
        )


class ReferenceAdmin(CoalitionPermissions, admin.ModelAdmin):
    """Reference data, loaded with the seeds: read only."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProjectArea)
class ProjectAreaAdmin(ReferenceAdmin):
    list_display = ["position", "code", "name", "name_uk"]


@admin.register(Commitment)
class CommitmentAdmin(ReferenceAdmin):
    list_display = ["position", "code", "text", "text_uk"]


# ---------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------
class MemberAreaInline(ReadOnlyInline):
    model = MemberArea
    fields = ["area", "leads"]
    readonly_fields = ["area", "leads"]
    verbose_name_plural = _("areas it acts in (change them above)")


class MemberAdminForm(ServiceBackedModelForm):
    party = forms.CharField(label=_("state or organization"), help_text=PARTY_CODE_HELP)
    areas = forms.ModelMultipleChoiceField(
        label=_("areas it acts in"),
        queryset=ProjectArea.objects.all(),
        to_field_name="code",
        required=False,
    )
    leads = forms.ModelMultipleChoiceField(
        label=_("area it leads"),
        queryset=ProjectArea.objects.all(),
        to_field_name="code",
        required=False,
        help_text=_("One of the areas it acts in, or none."),
    )

    class Meta:
        model = Member
        fields = [
            "role",
            "joined_on",
            "joined_precision",
            "left_on",
            "endorsed_declaration",
            "note",
            "sources",
        ]

    def _get_validation_exclusions(self) -> set[str]:
        # The party is named by its code here; the service resolves it and names it on error,
        # as it does a left_on before joined_on (the model's constraint would say it only of
        # the whole form).
        return {
            *super()._get_validation_exclusions(),  # type: ignore[misc]
            "party",
            "joined_on",
            "left_on",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = self.instance
        if member.pk is not None:
            self.initial["party"] = member.party.code
            self.fields["party"].disabled = True
            rows = list(member.areas.select_related("area"))
            self.fields["areas"].initial = [row.area.code for row in rows]
            self.fields["leads"].initial = [row.area.code for row in rows if row.leads]


def _member_data(data: dict[str, Any]) -> dict[str, Any]:
    for name in ("areas", "leads"):
        if name in data:
            data[name] = [area.code for area in data[name]]
    if "sources" in data:
        data["sources"] = [source.pk for source in data["sources"]]
    return data


@admin.register(Member)
class MemberAdmin(CoalitionPermissions, ServiceBackedAdmin):
    form = MemberAdminForm
    inlines = [MemberAreaInline]
    list_display = ["party", "role", "joined_on", "joined_precision", "left_on", "updated_at"]
    list_filter = ["role", "party__kind"]
    list_select_related = ["party"]
    search_fields = ["party__code", "party__name"]
    autocomplete_fields = ["sources"]
    fields = [
        "party",
        "role",
        ("joined_on", "joined_precision"),
        "left_on",
        "endorsed_declaration",
        "areas",
        "leads",
        "note",
        "sources",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Member]:
        return selectors.member_list(actor=request.user)  # type: ignore[arg-type]

    def save_through_services(
        self, request: HttpRequest, obj: Member, form: Any, change: bool
    ) -> Member:
        actor = request_actor(request)
        if not change:
            data = form.service_data(services.MEMBER_FIELDS, changed_only=False)
            return services.member_record(actor=actor, data=_member_data(data))
        data = form.service_data(services.MEMBER_UPDATE_FIELDS, changed_only=True)
        return services.member_update(member=obj, actor=actor, data=_member_data(data))


# ---------------------------------------------------------------------------------------------
# Projects
# ---------------------------------------------------------------------------------------------
class ProjectAdminForm(ServiceBackedModelForm):
    class Meta:
        model = Project
        fields = sorted(services.PROJECT_FIELDS)

    def _get_validation_exclusions(self) -> set[str]:
        # The service checks the budget and its currency and the dates' order, and names the
        # field at fault; the model's constraints would say it only of the whole form.
        return {
            *super()._get_validation_exclusions(),  # type: ignore[misc]
            "budget",
            "budget_currency",
            "starts_on",
            "ends_on",
            "status",
        }


def _project_data(data: dict[str, Any]) -> dict[str, Any]:
    if "area" in data:
        data["area"] = data["area"].code if data["area"] is not None else None
    if "lead" in data:
        data["lead"] = data["lead"].party.code if data["lead"] is not None else None
    if "sources" in data:
        data["sources"] = [source.pk for source in data["sources"]]
    for name in ("title", "description", "budget_currency"):
        if name in data and data[name] is None:
            data[name] = ""
    return data


@admin.register(Project)
class ProjectAdmin(CoalitionPermissions, ServiceBackedAdmin):
    form = ProjectAdminForm
    list_display = ["title", "area", "lead", "status", "starts_on", "ends_on", "budget_display"]
    list_filter = ["status", "area"]
    list_select_related = ["area", "lead__party"]
    search_fields = ["title"]
    autocomplete_fields = ["sources"]
    fields = [
        "title",
        "description",
        ("area", "lead", "status"),
        ("starts_on", "ends_on"),
        ("budget", "budget_currency"),
        "sources",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return selectors.project_list(actor=request.user)  # type: ignore[arg-type]

    @admin.display(description=_("budget"))
    def budget_display(self, project: Project) -> str:
        return f"{project.budget:,} {project.budget_currency}" if project.budget is not None else ""

    def save_through_services(
        self, request: HttpRequest, obj: Project, form: Any, change: bool
    ) -> Project:
        actor = request_actor(request)
        data = _project_data(form.service_data(services.PROJECT_FIELDS, changed_only=change))
        if not change:
            return services.project_record(actor=actor, data=data)
        return services.project_update(project=obj, actor=actor, data=data)


# ---------------------------------------------------------------------------------------------
# Pledges
# ---------------------------------------------------------------------------------------------
class PledgeStatusChangeInline(ReadOnlyInline):
    model = PledgeStatusChange
    fields = ["from_status", "to_status", "changed_at", "actor", "note"]
    readonly_fields = ["from_status", "to_status", "changed_at", "actor", "note"]
    verbose_name_plural = _("status history")


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Pledge]) -> QuerySet[Pledge]:
        condition = selectors.overdue_condition(timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(condition)
        if self.value() == "no":
            return queryset.exclude(condition)
        return queryset


class PledgeAdminForm(ServiceBackedModelForm):
    class Meta:
        model = Pledge
        fields = sorted(services.PLEDGE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "area" in self.fields:
            # A pledge to a project takes the project's area (the service sets it).
            self.fields["area"].required = False

    def _get_validation_exclusions(self) -> set[str]:
        # The service checks money and currency (both or neither) and names the field at
        # fault; the model's constraint would say it only of the whole form.
        return {
            *super()._get_validation_exclusions(),  # type: ignore[misc]
            "amount",
            "currency",
            "kind",
        }


def _pledge_data(data: dict[str, Any]) -> dict[str, Any]:
    if "member" in data:
        data["member"] = data["member"].party.code if data["member"] is not None else None
    if "project" in data:
        data["project"] = data["project"].pk if data["project"] is not None else None
    if "area" in data:
        data["area"] = data["area"].code if data["area"] is not None else None
    if "sources" in data:
        data["sources"] = [source.pk for source in data["sources"]]
    for name in ("description", "currency"):
        if name in data and data[name] is None:
            data[name] = ""
    return data


def _transition_action(to_status: str, label: Any) -> Any:
    def move(modeladmin: PledgeAdmin, request: HttpRequest, queryset: QuerySet[Pledge]) -> None:
        actor = request_actor(request)
        moved = refused = 0
        for pledge in queryset:
            try:
                services.pledge_transition(pledge=pledge, to_status=to_status, actor=actor)
                moved += 1
            except DomainError as exc:
                refused += 1
                modeladmin.message_user(request, f"#{pledge.pk}: {exc.detail}", messages.ERROR)
        if moved:
            modeladmin.message_user(
                request, gettext("%(count)s pledge(s) moved.") % {"count": moved}, messages.SUCCESS
            )

    move.__name__ = f"move_to_{to_status}"
    return admin.action(description=label, permissions=["change"])(move)


@admin.register(Pledge)
class PledgeAdmin(CoalitionPermissions, ServiceBackedAdmin):
    form = PledgeAdminForm
    inlines = [PledgeStatusChangeInline]
    list_display = [
        "id",
        "member",
        "kind",
        "area",
        "project",
        "status",
        "due_on",
        "overdue",
        "money",
    ]
    list_filter = ["status", "kind", OverdueFilter, "area"]
    list_select_related = ["member__party", "area", "project"]
    search_fields = ["description", "member__party__code", "member__party__name"]
    autocomplete_fields = ["sources"]
    readonly_fields = ["status", "status_changed_at", "overdue", "allowed_moves"]
    fields = [
        "member",
        ("project", "area"),
        "kind",
        "description",
        ("amount", "currency"),
        ("pledged_on", "due_on"),
        "sources",
        ("status", "status_changed_at", "overdue", "allowed_moves"),
    ]
    actions = [
        _transition_action(PledgeStatus.IN_PROGRESS, _("Mark as in progress")),
        _transition_action(PledgeStatus.DELIVERED, _("Mark as delivered")),
        _transition_action(PledgeStatus.WITHDRAWN, _("Withdraw")),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pledge]:
        return selectors.pledge_list(actor=request.user)  # type: ignore[arg-type]

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, pledge: Pledge) -> bool:
        return services.is_overdue(pledge)

    @admin.display(description=_("may move to"))
    def allowed_moves(self, pledge: Pledge) -> str:
        moves = services.pledge_moves(pledge.status)
        return ", ".join(str(PledgeStatus(m).label) for m in moves) or "-"

    @admin.display(description=_("amount"))
    def money(self, pledge: Pledge) -> str:
        return f"{pledge.amount:,} {pledge.currency}" if pledge.amount is not None else ""

    def save_through_services(
        self, request: HttpRequest, obj: Pledge, form: Any, change: bool
    ) -> Pledge:
        actor = request_actor(request)
        data = _pledge_data(form.service_data(services.PLEDGE_FIELDS, changed_only=change))
        if not change:
            return services.pledge_record(actor=actor, data=data)
        return services.pledge_update(pledge=obj, actor=actor, data=data)

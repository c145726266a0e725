"""Meetings, joint statements and resolutions in the admin: coordinators write (every save
goes through ``coalition.services.meetings``), the other roles that read the coalition view.

Parties are chosen by code among every country and the recorded organizations, so a state
that never appeared before can take part, sign or vote (the service records it on first use).
A resolution's page shows its vote as a chart (totals as reported beside the states entered),
lists the votes in an inline, and links to the roll-call page: four boxes to paste the names
of the states under each vote, unknown names shown under their box.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.authentication import request_actor as _actor
from accounts.roles import Capability
from accounts.selectors import actor_roles
from core.admin import ServiceBackedAdmin, ServiceBackedInline
from core.errors import DomainError
from core.forms import ServiceBackedModelForm, add_service_errors, service_error_fields
from sources.selectors import source_visible_to

from ..models import Meeting, Party, PartyKind, Resolution, ResolutionVote, Statement, Vote
from ..selectors import meetings as selectors
from ..services import meetings as services
from ..vote_chart import vote_chart


# ---------------------------------------------------------------------------------------------
# Who may do what (the services check again on every write)
# ---------------------------------------------------------------------------------------------
def reads_coalition(request: HttpRequest) -> bool:
    return actor_roles(request.user).can(Capability.READ_COALITION)


def writes_coalition(request: HttpRequest) -> bool:
    return actor_roles(request.user).can(Capability.WRITE_COALITION)


class CoalitionAdmin(ServiceBackedAdmin):
    """Coordinators (and superusers) write; every role that reads the coalition views."""

    class Media:
        css = {"all": ["coalition/admin/vote_chart.css"]}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return reads_coalition(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return reads_coalition(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return writes_coalition(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return writes_coalition(request)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "sources":
            kwargs["queryset"] = source_visible_to(actor=request.user).order_by("title")
            kwargs["widget"] = FilteredSelectMultiple(db_field.verbose_name, is_stacked=False)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# ---------------------------------------------------------------------------------------------
# Parties chosen by code
# ---------------------------------------------------------------------------------------------
def party_choices() -> list[tuple[str, str]]:
    """Every country by its code, then the recorded organizations."""
    organizations = Party.objects.filter(kind=PartyKind.ORGANIZATION).order_by("name")
    return [(country.code, f"{country.name} ({country.code})") for country in countries] + [
        (party.code, party.name) for party in organizations
    ]


def party_codes(parties: Any) -> list[str]:
    return sorted(parties.values_list("code", flat=True))


class PartyCodesField(forms.MultipleChoiceField):
    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(
            label=label,
            required=False,
            widget=FilteredSelectMultiple(label, is_stacked=False),
            **kwargs,
        )


class CodedPartiesForm(ServiceBackedModelForm):
    """A model form whose parties are fields of codes (``code_fields``: form field -> the
    relation it stands for)."""

    code_fields: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = party_choices()
        for name, relation in self.code_fields.items():
            field = self.fields[name]
            if isinstance(field, forms.MultipleChoiceField):
                field.choices = choices
                if self.instance.pk is not None:
                    field.initial = party_codes(getattr(self.instance, relation).all())
            elif isinstance(field, forms.ChoiceField):
                field.choices = [("", "---------"), *choices]
                related = getattr(self.instance, relation, None) if self.instance.pk else None
                if related is not None:
                    field.initial = related.code

    def coded_data(self, *, changed_only: bool) -> dict[str, Any]:
        """The parties' codes as the services take them (``None`` for no host)."""
        data: dict[str, Any] = {}
        for name, relation in self.code_fields.items():
            if changed_only and name not in self.changed_data:
                continue
            value = self.cleaned_data.get(name)
            data[relation] = list(value) if isinstance(value, list) else value or None
        return data


def _service_data(form: Any, fields: frozenset[str], *, change: bool) -> dict[str, Any]:
    data = form.service_data(fields, changed_only=change)
    if "sources" in data:
        data["sources"] = list(data["sources"])
    if isinstance(form, CodedPartiesForm):
        data.update(form.coded_data(changed_only=change))
    return data


# ---------------------------------------------------------------------------------------------
# Meetings
# ---------------------------------------------------------------------------------------------
class MeetingForm(CodedPartiesForm):
    host_code = forms.ChoiceField(label=_("host"), required=False)
    participant_codes = PartyCodesField(
        _("participants"),
        help_text=_("Any state or organization, member of the coalition or not."),
    )
    code_fields = {"host_code": "host", "participant_codes": "participants"}

    class Meta:
        model = Meeting
        fields = sorted(services.MEETING_FIELDS - {"host", "participants"})


@admin.register(Meeting)
class MeetingAdmin(CoalitionAdmin):
    form = MeetingForm
    list_display = ["title", "kind", "held_display", "place", "host", "members_claimed"]
    list_filter = ["kind", "date_precision"]
    list_select_related = ["host"]
    search_fields = ["title", "place", "outcomes"]
    ordering = ["-held_on", "-id"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "outcomes"]}),
        (_("When"), {"fields": ["held_on", "date_precision", "date_label"]}),
        (_("Where and who"), {"fields": ["place", "country", "host_code", "participant_codes"]}),
        (
            _("Members as claimed"),
            {"fields": ["members_claimed", "members_claimed_qualifier"]},
        ),
        (_("Sources"), {"fields": ["sources"]}),
        (_("Record"), {"fields": ["version", "created_by", "created_at", "updated_at"]}),
    ]
    readonly_fields = ["version", "created_by", "created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Meeting]:
        return selectors.meeting_list(actor=_actor(request))

    @admin.display(description=_("date"), ordering="held_on")
    def held_display(self, meeting: Meeting) -> str:
        return meeting.date_label or meeting.held_on.isoformat()

    def save_through_services(
        self, request: HttpRequest, obj: Meeting, form: Any, change: bool
    ) -> Meeting:
        data = _service_data(form, services.MEETING_FIELDS, change=change)
        if not change:
            return services.meeting_record(actor=_actor(request), data=data)
        return services.meeting_update(meeting=obj, actor=_actor(request), data=data)


# ---------------------------------------------------------------------------------------------
# Joint statements
# ---------------------------------------------------------------------------------------------
class StatementForm(CodedPartiesForm):
    demand_lines = forms.CharField(
        label=_("demands"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One demand per line."),
    )
    signatory_codes = PartyCodesField(_("signatories"))
    code_fields = {"signatory_codes": "signatories"}

    class Meta:
        model = Statement
        fields = sorted(services.STATEMENT_FIELDS - {"signatories", "demands"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["demand_lines"].initial = "\n".join(self.instance.demands)

    def demands(self) -> list[str]:
        text = self.cleaned_data.get("demand_lines") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


@admin.register(Statement)
class StatementAdmin(CoalitionAdmin):
    form = StatementForm
    list_display = ["title", "issued_on", "signatories_entered", "signatories_claimed"]
    search_fields = ["title", "text"]
    ordering = ["-issued_on", "-id"]
    fields = [
        "title",
        "issued_on",
        "meeting",
        "demand_lines",
        "text",
        "signatory_codes",
        "signatories_entered",
        "signatories_claimed",
        "sources",
        "version",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["signatories_entered", "version", "created_by", "created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Statement]:
        return selectors.statement_list(actor=_actor(request))

    @admin.display(description=_("signatories entered"))
    def signatories_entered(self, statement: Statement) -> int:
        entered = getattr(statement, "signatories_entered", None)
        return int(entered) if entered is not None else statement.signatories.count()

    def save_through_services(
        self, request: HttpRequest, obj: Statement, form: Any, change: bool
    ) -> Statement:
        data = _service_data(form, services.STATEMENT_FIELDS, change=change)
        if not change or "demand_lines" in form.changed_data:
            data["demands"] = form.demands()
        if not change:
            return services.statement_record(actor=_actor(request), data=data)
        return services.statement_update(statement=obj, actor=_actor(request), data=data)


# ---------------------------------------------------------------------------------------------
# Resolutions, their votes and the roll call
# ---------------------------------------------------------------------------------------------
class VoteForm(forms.ModelForm):
    state = forms.ChoiceField(label=_("state"))

    class Meta:
        model = ResolutionVote
        fields = ["vote"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["state"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "---------")] + [(c.code, c.name) for c in countries]
        if self.instance.pk is not None:
            field.initial = self.instance.party.code
            field.disabled = True  # a state's row changes its vote; another state is a new row


class VotesInline(ServiceBackedInline, admin.TabularInline):
    """Each state's vote; every change goes through ``votes_set`` (the totals' rules)."""

    model = ResolutionVote
    form = VoteForm
    fields = ["state", "vote"]
    extra = 1
    verbose_name = _("vote of a state")
    verbose_name_plural = _("votes of states")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ResolutionVote]:
        return super().get_queryset(request).select_related("party").order_by("party__code")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return reads_coalition(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return writes_coalition(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return writes_coalition(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return writes_coalition(request)

    def create(self, form: Any, ctx: Any) -> Any:
        actor, resolution = ctx
        code = form.cleaned_data["state"]
        services.votes_set(
            resolution=resolution, votes={code: form.cleaned_data["vote"]}, actor=actor
        )
        return ResolutionVote.objects.get(resolution=resolution, party__code=code)

    def update(self, instance: Any, form: Any, ctx: Any) -> Any:
        actor, resolution = ctx
        services.votes_set(
            resolution=resolution,
            votes={instance.party.code: form.cleaned_data["vote"]},
            actor=actor,
        )
        return instance

    def delete(self, instance: Any, ctx: Any) -> None:
        actor, resolution = ctx
        services.votes_set(resolution=resolution, votes={instance.party.code: None}, actor=actor)


class RollCallForm(forms.Form):
    """Four boxes of pasted names, one per vote."""

    in_favour = forms.CharField(
        label=Vote.IN_FAVOUR.label, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    against = forms.CharField(
        label=Vote.AGAINST.label, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    abstaining = forms.CharField(
        label=Vote.ABSTAINING.label, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    absent = forms.CharField(
        label=Vote.ABSENT.label, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )


def render_vote_chart(resolution: Resolution) -> SafeString:
    """The resolution's vote chart, as its admin page shows it."""
    chart = vote_chart(
        selectors.resolution_tallies(resolution),
        reported_word=gettext("reported"),
        entered_word=gettext("entered"),
        unreported=gettext("not reported"),
    )
    html = render_to_string("admin/coalition/resolution/vote_chart.html", {"chart": chart})
    return mark_safe(html)  # noqa: S308 (rendered by a template that escapes every value)


class ResolutionForm(ServiceBackedModelForm):
    class Meta:
        model = Resolution
        fields = sorted(services.RESOLUTION_FIELDS)


@admin.register(Resolution)
class ResolutionAdmin(CoalitionAdmin):
    form = ResolutionForm
    inlines = [VotesInline]
    list_display = [
        "__str__",
        "body",
        "voted_on",
        "in_favour",
        "against",
        "abstaining",
        "absent",
        "roll_call_complete",
    ]
    list_filter = ["body", "roll_call_complete"]
    search_fields = ["symbol", "title"]
    ordering = ["-voted_on", "-id"]
    fieldsets = [
        (None, {"fields": ["body", "symbol", "title", "voted_on", "date_precision", "meeting"]}),
        (
            _("Totals as reported (empty: not reported)"),
            {"fields": ["in_favour", "against", "abstaining", "absent", "roll_call_complete"]},
        ),
        (_("The vote"), {"fields": ["vote_chart"]}),
        (_("Sources"), {"fields": ["sources"]}),
        (_("Record"), {"fields": ["version", "created_by", "created_at", "updated_at"]}),
    ]
    readonly_fields = ["vote_chart", "version", "created_by", "created_at", "updated_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Resolution]:
        return selectors.resolution_list(actor=_actor(request))

    @admin.display(description=_("chart"))
    def vote_chart(self, resolution: Resolution) -> SafeString | str:
        if resolution.pk is None:
            return gettext("Shown once the resolution is saved.")
        return render_vote_chart(resolution)

    def save_through_services(
        self, request: HttpRequest, obj: Resolution, form: Any, change: bool
    ) -> Resolution:
        data = _service_data(form, services.RESOLUTION_FIELDS, change=change)
        if not change:
            return services.resolution_record(actor=_actor(request), data=data)
        return services.resolution_update(resolution=obj, actor=_actor(request), data=data)

    def inline_save_context(self, request: HttpRequest, saved: Any) -> Any:
        return (_actor(request), saved)

    # --- the roll call -----------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        roll_call: Callable[..., HttpResponse] = self.admin_site.admin_view(self.roll_call_view)
        return [
            path("<path:object_id>/roll-call/", roll_call, name="coalition_resolution_roll_call"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = dict(extra_context or {})
        if writes_coalition(request):
            context["roll_call_url"] = reverse(
                f"{self.admin_site.name}:coalition_resolution_roll_call", args=[object_id]
            )
        return super().change_view(request, object_id, form_url, context)

    def roll_call_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Paste the names of the states under each vote; saved through ``votes_from_text``."""
        if not writes_coalition(request):
            raise PermissionDenied
        resolution = self.get_object(request, unquote(object_id))  # None for a bad id
        if resolution is None:
            raise Http404
        change_url = reverse(
            f"{self.admin_site.name}:coalition_resolution_change", args=[resolution.pk]
        )
        form = RollCallForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.votes_from_text(
                    resolution=resolution, actor=_actor(request), **form.cleaned_data
                )
            except DomainError as exc:
                add_service_errors(form, service_error_fields(exc))
            else:
                self.message_user(request, gettext("The votes are saved."), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Paste a roll call: %(resolution)s") % {"resolution": resolution},
            "opts": self.opts,
            "resolution": resolution,
            "form": form,
            "change_url": change_url,
            "changelist_url": reverse(f"{self.admin_site.name}:coalition_resolution_changelist"),
        }
        return TemplateResponse(request, "admin/coalition/resolution/roll_call.html", context)

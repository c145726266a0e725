"""The duplicate review in the admin: the queue of possible duplicates, and a page that shows
a pair's two children side by side with the two decisions ("the same child", merged; or
"different"). Reads come from ``cases.selectors_duplicates`` (only whoever may change both
children sees a pair), the decision is ``cases.services.duplicate_pair_decide``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.authentication import request_actor
from accounts.roles import Capability
from accounts.selectors import actor_roles
from audit.admin_reads import AuditedReadsAdmin
from audit.services import record_read
from core.errors import DomainError
from core.forms import add_service_errors, service_error_fields

from . import services
from .models import Case, DuplicateDecision, DuplicatePair
from .selectors_duplicates import (
    PairView,
    duplicate_pair_views,
    duplicate_pairs_cases,
    duplicate_pairs_visible_to,
    pair_view_cases,
)
from .serializers_duplicates import date_of_birth_text

SAME_BUTTON = "_same"
DIFFERENT_BUTTON = "_different"


class DuplicateDecisionForm(forms.Form):
    """Which record to keep (for a merge) and why; the button pressed says the decision."""

    keep = forms.TypedChoiceField(
        label=_("Record to keep"),
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("For 'the same child': the other record's cases, names and history move here."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, pair: DuplicatePair, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = self.fields["keep"]
        assert isinstance(keep, forms.ChoiceField)
        keep.choices = [
            (pair.first_id, gettext("Record #%(id)s (the older)") % {"id": pair.first_id}),
            (pair.second_id, gettext("Record #%(id)s") % {"id": pair.second_id}),
        ]
        keep.initial = pair.first_id


def _may_review(request: HttpRequest) -> bool:
    """Whether the user may decide any pair: a role that changes cases, or a superuser (the
    selector then keeps the pairs whose two children the user may change)."""
    roles = actor_roles(request.user)
    return roles.is_superuser or roles.can(Capability.CASE_WRITE)


def _side_rows(view: PairView) -> list[tuple[Any, str, str]]:
    """The rows of the side-by-side table: a label and each child's value."""
    first, second = view.first, view.second

    def both(value: Any) -> tuple[str, str]:
        return str(value(first) or "—"), str(value(second) or "—")

    rows: list[tuple[Any, Any]] = [
        (_("record"), lambda s: f"#{s.child.pk}"),
        (_("family name"), lambda s: s.child.family_name),
        (_("given name"), lambda s: s.child.given_name),
        (_("patronymic"), lambda s: s.child.patronymic),
        (_("Latin"), lambda s: s.child.full_name_latin),
        (_("date of birth"), lambda s: date_of_birth_text(s.child)),
        (_("sex"), lambda s: s.child.get_sex_display()),
        (_("oblast of origin"), lambda s: s.child.origin_oblast),
        (_("settlement of origin"), lambda s: s.child.origin_settlement),
        (_("aliases"), lambda s: "; ".join(s.aliases)),
        (
            _("cases"),
            lambda s: "; ".join(
                f"{case.number} ({case.get_status_display()}, {case.organization})"
                for case in s.cases
            ),
        ),
        (_("relatives"), lambda s: s.relatives),
        (_("whereabouts"), lambda s: s.whereabouts),
        (_("external references"), lambda s: s.external_references),
        (
            _("merged into"),
            lambda s: f"#{s.child.merged_into_id}" if s.child.merged_into_id else "",
        ),
    ]
    return [(label, *both(value)) for label, value in rows]


@admin.register(DuplicatePair)
class DuplicatePairAdmin(AuditedReadsAdmin, admin.ModelAdmin):
    list_display = ("__str__", "first", "second", "score", "band", "decision", "found_at")
    list_filter = ("decision", "band")
    list_select_related = ("first", "second")
    ordering = ("-score", "id")
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[DuplicatePair]:
        return duplicate_pairs_visible_to(actor=request_actor(request))

    def list_read_records(self, request: HttpRequest, rows: list[Any]) -> dict[Any, list[Any]]:
        # The list shows both children's names: its read names their cases, as the API's does.
        return {Case: duplicate_pairs_cases(rows)}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_review(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A pair reaches here only through ``get_queryset``: one out of sight is not found.
        return _may_review(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_review(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # pairs are found by matching, never typed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The pair side by side, and its decision (the service's refusals shown on the
        form: a merge while both children have an open case, say)."""
        changelist = reverse("admin:cases_duplicatepair_changelist")
        pair = self.get_object(request, unquote(object_id))
        if pair is None:
            self.message_user(request, gettext("No such possible duplicate."), messages.WARNING)
            return HttpResponseRedirect(changelist)
        actor = request_actor(request)
        form = DuplicateDecisionForm(request.POST if request.method == "POST" else None, pair=pair)
        if request.method == "POST" and pair.decision == DuplicateDecision.OPEN:
            decision = (
                DuplicateDecision.SAME
                if SAME_BUTTON in request.POST
                else DuplicateDecision.DIFFERENT
                if DIFFERENT_BUTTON in request.POST
                else None
            )
            if decision is None:
                form.add_error(None, gettext("Choose a decision."))
            elif form.is_valid():
                try:
                    services.duplicate_pair_decide(
                        pair_id=pair.pk,
                        actor=actor,
                        decision=decision,
                        keep=form.cleaned_data["keep"]
                        if decision == DuplicateDecision.SAME
                        else None,
                        note=form.cleaned_data["note"],
                    )
                except (DomainError, IntegrityError) as exc:
                    add_service_errors(form, service_error_fields(exc))
                else:
                    self.message_user(
                        request,
                        gettext("Records merged: the same child.")
                        if decision == DuplicateDecision.SAME
                        else gettext("Kept apart: different children. Never proposed again."),
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(changelist)
        [view] = duplicate_pair_views(actor=actor, pairs=[pair])
        # Whatever the method: a POST that decides nothing (no button, a pair decided already,
        # a refused merge) shows both children again.
        record_read(
            actor=actor,
            of=pair,
            records={DuplicatePair: [pair.pk], Case: pair_view_cases([view])},
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Possible duplicate"),
            "subtitle": str(pair),
            "opts": self.opts,
            "original": pair,
            "pair": pair,
            "reasons": [gettext(reason) for reason in pair.reasons],
            "rows": _side_rows(view),
            "decided": pair.decision != DuplicateDecision.OPEN,
            "form": form,
            "errors": form.errors,
            "same_button": SAME_BUTTON,
            "different_button": DIFFERENT_BUTTON,
            "changelist_url": changelist,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/cases/duplicatepair/review.html", context)

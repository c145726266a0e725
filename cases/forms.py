"""Forms of the caseworkers' admin.

They validate and carry input only: every write goes through ``cases.services`` (see
``cases.admin``). A service may refuse what the form accepted; its errors come back to the field
they name through ``core.forms``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.contrib.admin.options import FORMFIELD_FOR_DBFIELD_DEFAULTS
from django.db import models
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from core.forms import LabelledSplitDateTime, ServiceBackedModelForm

from . import workflow
from .models import Case, Child, ChildAlias, Facility, FollowUp, ShareScope
from .selectors_matching import SeenCandidate
from .services import CASE_FIELDS, CHILD_FIELDS, FACILITY_FIELDS
from .workflow import ClosureReason, Status, Transition


def _admin_formfield(model: type[models.Model], name: str) -> forms.Field:
    """A model field's form field with the admin's widget, as the admin would build it."""
    db_field = model._meta.get_field(name)
    assert isinstance(db_field, models.Field)
    kwargs: dict[str, Any] = {}
    if not db_field.choices and not db_field.is_relation:
        for klass in type(db_field).mro():
            if klass in FORMFIELD_FOR_DBFIELD_DEFAULTS:
                kwargs = dict(FORMFIELD_FOR_DBFIELD_DEFAULTS[klass])
                break
    field = db_field.formfield(**kwargs)
    assert field is not None
    return field


class CaseAdminForm(ServiceBackedModelForm):
    """A case and its child on one page: the case's own fields come from the model, the child's
    are declared here and saved with ``case_create`` / ``case_update`` (``child_data``).

    The Latin forms of the names are not fields: services derive them (KMU 2010)."""

    family_name = _admin_formfield(Child, "family_name")
    given_name = _admin_formfield(Child, "given_name")
    patronymic = _admin_formfield(Child, "patronymic")
    date_of_birth = _admin_formfield(Child, "date_of_birth")
    date_of_birth_precision = _admin_formfield(Child, "date_of_birth_precision")
    sex = _admin_formfield(Child, "sex")
    origin_oblast = _admin_formfield(Child, "origin_oblast")
    origin_settlement = _admin_formfield(Child, "origin_settlement")
    origin_latitude = _admin_formfield(Child, "origin_latitude")
    origin_longitude = _admin_formfield(Child, "origin_longitude")
    parental_care = _admin_formfield(Child, "parental_care")
    distinguishing_notes = _admin_formfield(Child, "distinguishing_notes")
    # The version the caseworker saw; a save over a newer one is refused (optimistic locking).
    expected_version = forms.IntegerField(
        label=_("Expected version"), widget=forms.HiddenInput, required=False, min_value=1
    )
    # Which organization owns a new case: ``CaseAdmin.get_form`` narrows the choices to those
    # the user opens cases for, and hides the field when there is only one; the service decides.
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label=_("owning organization"),
        help_text=_("Others see the case only through a share."),
    )

    # A new case: ticked once the caseworker has looked at the registry's candidates for the
    # child (the page lists them) and found the child is none of them.
    candidates_checked = forms.BooleanField(
        required=False,
        label=_("I have looked at the candidates: this child is none of them"),
        help_text=_(
            "The registry is searched for the child before the case opens; any likely or "
            "possible match is listed above the form."
        ),
    )

    # Set by the admin on a new case's form: the registry's candidates for an unsaved child,
    # as the user may see them (``cases.selectors_matching.new_child_candidates``).
    find_candidates: ClassVar[Callable[[Child], Sequence[SeenCandidate]] | None] = None

    class Meta:
        model = Case
        fields = sorted(CASE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The candidates found for the child on this submission, listed above the form.
        self.candidates: list[SeenCandidate] = []
        case: Case = self.instance
        if case.pk is not None:
            for name, value in model_to_dict(case.child, fields=list(CHILD_FIELDS)).items():
                self.initial.setdefault(name, value)
            self.initial.setdefault("expected_version", case.version)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is not None and cleaned.get("expected_version") is None:
            self.add_error(
                None, _("The form does not say which version of the case it edits; open it again.")
            )
        if self.instance.pk is None:
            self._check_candidates(cleaned)
        return cleaned

    def _check_candidates(self, cleaned: dict[str, Any]) -> None:
        """A new child's likely and possible candidates are shown before the case opens, and
        the page saves only once the tick says they were looked at. (Likely ones stop
        ``case_create`` itself too, whatever door the opening comes through.)"""
        names = ("given_name", "family_name")
        find_candidates = type(self).find_candidates
        if find_candidates is None or cleaned.get("candidates_checked"):
            return
        if self.errors or not any(cleaned.get(name) for name in names):
            return  # the child's fields come first; the search runs on a valid record
        child = Child(**self.child_data(changed_only=False))
        self.candidates = list(find_candidates(child))
        if self.candidates:
            self.add_error(
                "candidates_checked",
                _(
                    "The registry may already hold this child: look at the candidates listed "
                    "above, then tick this box if the child is none of them."
                ),
            )

    def case_data(self, *, changed_only: bool) -> dict[str, Any]:
        return self.service_data(CASE_FIELDS, changed_only=changed_only)

    def child_data(self, *, changed_only: bool) -> dict[str, Any]:
        return self.service_data(CHILD_FIELDS, changed_only=changed_only)

    def owning_organization(self) -> Organization | None:
        organization: Organization | None = self.cleaned_data.get("organization")
        return organization


class FacilityAdminForm(ServiceBackedModelForm):
    class Meta:
        model = Facility
        fields = sorted(FACILITY_FIELDS)

    def facility_data(self) -> dict[str, Any]:
        return self.service_data(FACILITY_FIELDS, changed_only=False)


class ChildAliasInlineForm(forms.ModelForm):
    """Aliases are added or removed, never rewritten: a recorded alias is read-only."""

    class Meta:
        model = ChildAlias
        fields = ["name", "kind", "seen_in"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for field in self.fields.values():
                field.disabled = True


class FollowUpInlineForm(forms.ModelForm):
    """A scheduled check keeps its due date; it is completed once, with a date and an outcome."""

    class Meta:
        model = FollowUp
        fields = ["due_on", "completed_on", "outcome", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        follow_up: FollowUp = self.instance
        if follow_up.pk is not None:
            done = follow_up.completed_on is not None
            for name, field in self.fields.items():
                field.disabled = done or name == "due_on"


class CaseTransitionForm(forms.Form):
    """The facts one move of the workflow needs, as the workflow table lists them."""

    expected_version = forms.IntegerField(
        label=_("Expected version"), widget=forms.HiddenInput, min_value=1
    )

    def __init__(self, *args: Any, transition: Transition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        requires = transition.requires
        self.fields["reason"] = forms.CharField(
            label=_("Reason"),
            required=workflow.REASON in requires,
            widget=admin_widgets.AdminTextareaWidget(attrs={"rows": 3}),
            help_text=_("Why the case moves; recorded in the case's timeline."),
        )
        if workflow.RETURNED_ON in requires:
            self.fields["returned_on"] = forms.DateField(
                label=_("Date the child returned"), widget=admin_widgets.AdminDateWidget
            )
        if workflow.CLOSURE_REASON in requires:
            self.fields["closure_reason"] = forms.ChoiceField(
                label=_("Closure reason"),
                choices=[("", "---------"), *ClosureReason.choices],
                initial=ClosureReason.INTEGRATED if transition.source == Status.INTEGRATION else "",
            )

    def transition_kwargs(self) -> dict[str, Any]:
        """The guard facts as ``services.case_transition`` takes them."""
        data = self.cleaned_data
        return {
            "reason": data.get("reason", ""),
            "returned_on": data.get("returned_on"),
            "closure_reason": data.get("closure_reason", ""),
            "expected_version": data["expected_version"],
        }


def _text_area(rows: int = 3) -> forms.Widget:
    return admin_widgets.AdminTextareaWidget(attrs={"rows": rows})


class ClosureRequestForm(forms.Form):
    """A caseworker asks a supervisor to close a case (``services.closure_request_create``)."""

    closure_reason = forms.ChoiceField(
        label=_("Closure reason"), choices=[("", "---------"), *ClosureReason.choices]
    )
    reason = forms.CharField(
        label=_("Explanation"),
        widget=_text_area(),
        help_text=_("Why the case should close; the supervisor reads it before deciding."),
    )


class ClosureDecisionForm(forms.Form):
    """A supervisor approves or rejects a closure request; rejecting takes a note (the service
    says so on the ``note`` field)."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=_text_area(),
        help_text=_("Required to reject: the caseworker reads why."),
    )


class CaseShareForm(forms.Form):
    """Share a case with another organization (``services.case_share_create``)."""

    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label=_("Share with")
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=ShareScope.choices,
        initial=ShareScope.LIMITED,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), widget=_text_area())
    consent_reference = forms.CharField(
        label=_("Consent reference"),
        max_length=200,
        help_text=_("The consent or legal basis the share rests on (a document or record)."),
    )
    expires_at = forms.SplitDateTimeField(
        label=_("Expires"),
        required=False,
        widget=LabelledSplitDateTime,
        help_text=_("Leave empty for a share that lasts until it is revoked."),
    )

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organizations

    def share_kwargs(self) -> dict[str, Any]:
        """The share as ``services.case_share_create`` takes it."""
        data = self.cleaned_data
        return {
            "organization": data["organization"],
            "scope": data["scope"],
            "reason": data["reason"],
            "consent_reference": data["consent_reference"],
            "expires_at": data.get("expires_at"),
        }


class ShareRevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=_text_area(),
        help_text=_("Why the share ends; kept with the share's record."),
    )

"""Forms of admin pages whose saves go through services.

Forms validate and carry input only; every write is a service's (see ``core.admin``). A service may
still refuse what the form accepted (a rule only it knows, a record changed meanwhile). Its errors
come back to the page through ``refused_errors`` (the main form) and ``refusal`` (inline formsets),
keyed by form prefix and field, so Django's own rendering shows each message next to the field it
is about and the user's input stays on the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django import forms
from django.contrib.admin import widgets as admin_widgets
from django.db import IntegrityError, models
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import DomainError, PreconditionFailed

# Errors a service raised, for one form: field name (None for the whole form) -> messages.
FormErrors = Mapping[str | None, Sequence[str]]
# Errors for every form on a page, by form prefix ("" is the main form).
Refusal = Mapping[str, FormErrors]

NOTHING_SAVED = _("Nothing was saved. Correct the errors below and save again.")


def add_service_errors(form: forms.BaseForm, errors: FormErrors) -> None:
    """Show a service's errors on the fields they name; others go to the top of the form."""
    for name, messages in errors.items():
        target = name if name is not None and name in form.fields else None
        for message in messages:
            form.add_error(target, message)


def service_error_fields(exc: DomainError | IntegrityError) -> FormErrors:
    """A refused write as form errors: on the fields it names, or on the whole form."""
    if isinstance(exc, IntegrityError):
        # Services check their rules first; this is a concurrent write that won the race.
        return {None: [gettext("The record was changed at the same time; reload and try again.")]}
    if isinstance(exc, PreconditionFailed):
        return {
            None: [
                exc.detail,
                gettext("Open the record again to see the changes, then make yours."),
            ]
        }
    if exc.fields:
        named: dict[str | None, list[str]] = dict(exc.fields.items())
        return named
    return {None: [exc.detail]}


class ServiceBackedFormMixin:
    """What the main form of a service-backed page carries besides its fields.

    ``service_errors`` collects what the services refused while saving (first pass);
    ``refused_errors`` is set on the class when the page is shown again with those errors, which
    makes the form invalid: the second pass can never save what the first refused.
    """

    refused_errors: ClassVar[FormErrors | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service_errors: dict[str, dict[str | None, list[str]]] = {}
        self.saved_instance: models.Model | None = None

    def record_service_errors(self, prefix: str, errors: FormErrors) -> None:
        target = self.service_errors.setdefault(prefix, {})
        for name, messages in errors.items():
            target.setdefault(name, []).extend(str(m) for m in messages)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}  # type: ignore[misc]
        if self.refused_errors is not None:
            assert isinstance(self, forms.BaseForm)
            self.add_error(None, NOTHING_SAVED)
            add_service_errors(self, self.refused_errors)
        return cleaned


class ServiceBackedModelForm(ServiceBackedFormMixin, forms.ModelForm):
    """The main form of an admin page whose save goes through a service."""

    def service_data(self, names: frozenset[str], *, changed_only: bool) -> dict[str, Any]:
        """The cleaned values of the given fields present on this form (only changed ones, if
        asked), as a service takes them."""
        wanted = set(self.changed_data) if changed_only else set(self.fields)
        return {
            name: self.cleaned_data[name]
            for name in sorted(names & wanted)
            if name in self.fields and not self.fields[name].disabled
        }


class LabelledSplitDateTime(admin_widgets.AdminSplitDateTime):
    """The admin's date and time inputs, each named ("Date", "Time") for assistive technology:
    the field's ``<label>`` points at neither, and the words beside them are plain text."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.widgets[0].attrs.setdefault("aria-label", _("Date"))
        self.widgets[1].attrs.setdefault("aria-label", _("Time"))


class LabelledRowsFormSetMixin:
    """For a formset laid out as a table (the admin's tabular inlines): a row's inputs have no
    ``<label>``, their names are the column headers, which assistive technology does not tie to
    them. Each input carries its label as ``aria-label`` instead, the delete box included."""

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)  # type: ignore[misc]
        for field in form.fields.values():
            widget = getattr(field.widget, "widget", field.widget)  # a related-field wrapper
            if field.label and widget is not None and not widget.is_hidden:
                widget.attrs.setdefault("aria-label", str(field.label))


class ServiceBackedInlineFormSet(BaseInlineFormSet):
    """An inline formset that shows, on a second pass, the errors services raised per form."""

    refusal: ClassVar[Refusal | None] = None

    def clean(self) -> None:
        super().clean()
        if self.refusal:
            for form in self.forms:
                errors = self.refusal.get(form.prefix or "")
                if errors:
                    add_service_errors(form, errors)

"""Admin pages whose saves go through services, so every rule holds in the admin as in the API.

Saving through services inside Django's admin
---------------------------------------------
Django validates the page's forms, then calls ``save_model`` and ``save_related`` inside one
transaction (``changeform_view`` is atomic). Here those hooks call services instead of
``form.save()``. A service may still refuse something the forms accepted (a rule only it knows, a
newer version of the record). Its errors are recorded against the form and field they name, and
``SaveRefused`` leaves the transaction, which rolls back everything the save wrote, inlines and
record alike. The page is then built once more from the same POST with those errors added during
validation, so Django's own rendering shows each one where it belongs and nothing the user typed
is lost.

Subclasses implement ``save_through_services`` (the main record) and, when they have inlines of
``ServiceBackedInline``, ``inline_save_context`` (what the inlines' services need besides the row).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, ClassVar, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.db import IntegrityError, models
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext

from .errors import DomainError
from .forms import (
    FormErrors,
    LabelledRowsFormSetMixin,
    Refusal,
    ServiceBackedFormMixin,
    ServiceBackedInlineFormSet,
    ServiceBackedModelForm,
    service_error_fields,
)

# Where the first pass leaves the services' errors for the second (see the module docstring).
_REFUSAL_ATTR = "_service_backed_admin_refusal"

RecordErrors = Callable[[str, FormErrors], None]


def unknown_parameters_refused(
    request: HttpRequest, understood: Collection[str] = ()
) -> HttpResponse | None:
    """A 400 naming the query parameters an admin page does not understand (a page never
    ignores what it was asked), or None when every parameter is ``understood``."""
    unknown = sorted(name for name in request.GET if name not in understood)
    if not unknown:
        return None
    names = ", ".join(unknown)
    if understood:
        message = gettext(
            "Unknown query parameter: %(names)s. This page understands: %(understood)s."
        ) % {"names": names, "understood": ", ".join(sorted(understood))}
    else:
        message = gettext(
            "Unknown query parameter: %(names)s. This page takes no query parameters."
        ) % {"names": names}
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class SaveRefused(Exception):
    """A service refused part of an admin save; carries its errors by form prefix and field."""

    def __init__(self, errors: Refusal) -> None:
        super().__init__("save refused")
        self.errors = errors


def refusal_of(request: HttpRequest) -> Refusal | None:
    """The errors of the refused first pass of this request's save, if it was refused."""
    return cast("Refusal | None", getattr(request, _REFUSAL_ATTR, None))


def adopt(target: models.Model, saved: models.Model) -> None:
    """Give the admin's (unsaved or stale) instance the state a service wrote, so the admin's
    own follow-up (history entry, redirect, message) speaks of the saved record."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


class ServiceBackedAdmin(admin.ModelAdmin):
    """A model admin whose saves go through services (see the module docstring)."""

    # Any model form will do: ``get_form`` gives it what a service-backed page needs.
    form: type[forms.ModelForm[Any]] = ServiceBackedModelForm

    def save_through_services(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> Any:
        """Write the main form through a service and return what it wrote."""
        raise NotImplementedError(f"{type(self).__name__} must say which service saves its form.")

    def inline_save_context(self, request: HttpRequest, saved: Any) -> Any:
        """What the inlines' services need besides their rows (the saved record, the actor)."""
        raise NotImplementedError(
            f"{type(self).__name__} has service-backed inlines: say what their services need."
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Registry records are never deleted (a case ends by closing, with a reason); an admin
        # whose records may go says so itself.
        return False

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
        form = super().get_form(request, obj, change=change, **kwargs)
        attrs: dict[str, Any] = {}
        refusal = refusal_of(request)
        if refusal is not None:
            attrs["refused_errors"] = refusal.get("", {})
        if not issubclass(form, ServiceBackedFormMixin):
            # A form of Django's own (the user pages' forms) gets the same behaviour.
            return type(form.__name__, (ServiceBackedFormMixin, form), attrs)
        return type(form.__name__, (form,), attrs) if attrs else form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            saved = self.save_through_services(request, obj, form, change)
        except (DomainError, IntegrityError) as exc:
            form.record_service_errors("", service_error_fields(exc))
            return
        form.saved_instance = saved
        adopt(obj, saved)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if form.saved_instance is not None:
            self.save_formsets_through_services(request, form, formsets, change)
        if form.service_errors:
            raise SaveRefused(form.service_errors)

    def save_formsets_through_services(
        self, request: HttpRequest, form: Any, formsets: list[Any], change: bool
    ) -> None:
        """Write each inline through its services; ``form.saved_instance`` is the saved record.
        Formsets of other inlines (read-only lists) are left to Django."""
        saved = form.saved_instance
        inlines = {type(i).model: i for i in self.get_inline_instances(request, saved)}
        context: Any = None
        for formset in formsets:
            inline = inlines.get(formset.model)
            if not isinstance(inline, ServiceBackedInline):
                self.save_formset(request, form, formset, change)
                continue
            if context is None:
                context = self.inline_save_context(request, saved)
            inline.save_formset(formset, context, form.record_service_errors)


class ServiceBackedInline(InlineModelAdmin):
    """An inline whose rows are created, changed and deleted through services.

    Subclasses name the fields their services take (``service_fields``) and implement
    ``create`` / ``update`` / ``delete`` with one service call each; ``ctx`` is what the parent
    admin's ``inline_save_context`` gives."""

    formset = ServiceBackedInlineFormSet
    service_fields: ClassVar[frozenset[str]] = frozenset()

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        if isinstance(self, admin.TabularInline):
            formset = type(formset.__name__, (LabelledRowsFormSetMixin, formset), {})
        refusal = refusal_of(request)
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

    def create(self, form: Any, ctx: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not add rows.")

    def update(self, instance: Any, form: Any, ctx: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not change rows.")

    def delete(self, instance: Any, ctx: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not delete rows.")

    def save_formset(self, formset: Any, ctx: Any, record_errors: RecordErrors) -> None:
        """Apply every changed, new or deleted row of a valid formset through the services,
        recording each refusal against its row. Unchanged rows are not touched."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
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

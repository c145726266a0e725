"""Pieces the sources' admin forms share: receiving a document through a form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.forms import add_service_errors, service_error_fields

from . import services


def source_title_field() -> forms.CharField:
    return forms.CharField(
        label=_("title"),
        max_length=500,
        required=False,
        help_text=_("Taken from the document when left empty."),
    )


def refuse_several_files(form: forms.Form, field: str = "file") -> None:
    """The service's rule on the form: one file a source (the admin's file field would keep the
    last of several and drop the others)."""
    if hasattr(form.files, "getlist"):
        try:
            services.upload_single(form.files.getlist(field), field=field)
        except DomainError as exc:
            add_service_errors(form, service_error_fields(exc))

"""Helpers for driving the admin like a browser: read a rendered page's forms, post them back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.urls import reverse

from cases.models import Case


def changelist_url() -> str:
    return reverse("admin:cases_case_changelist")


def add_url() -> str:
    return reverse("admin:cases_case_add")


def change_url(case: Case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def transition_url(case: Case, target: str) -> str:
    return reverse("admin:cases_case_transition", args=[case.pk, target])


def _encode(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, dt.date | Decimal | int):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return str(value)


def form_data(response: Any) -> dict[str, Any]:
    """What a browser would post for a rendered admin change/add page, changing nothing: the
    main form, every inline's management form and every inline row (extra rows left empty)."""
    forms_ = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms_.append(inline.formset.management_form)
        forms_.extend(inline.formset.forms)
    data: dict[str, Any] = {}
    for form in forms_:
        for bound in form:
            if bound.field.disabled:
                continue  # browsers do not send disabled inputs
            value = _encode(bound.value())
            if value is not None:
                data[bound.html_name] = value
    return data


def inline_prefix(response: Any, model: type[models.Model]) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return str(inline.formset.prefix)
    raise AssertionError(f"no inline for {model.__name__}")


def add_inline_row(
    data: dict[str, Any], response: Any, model: type[models.Model], **fields: Any
) -> str:
    """Fill the next empty row of a model's inline (as the admin's "Add another" does)."""
    prefix = inline_prefix(response, model)
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    row = f"{prefix}-{total}"
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    for name, value in fields.items():
        encoded = _encode(value)
        if encoded is not None:
            data[f"{row}-{name}"] = encoded
    return row


def form_errors(response: Any) -> dict[str, Any]:
    """The main form's errors (``__all__`` for the form as a whole)."""
    return dict(response.context["adminform"].form.errors)


def inline_errors(response: Any, model: type[models.Model]) -> list[dict[str, Any]]:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return [dict(e) for e in inline.formset.errors]
    raise AssertionError(f"no inline for {model.__name__}")


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]

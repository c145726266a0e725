"""Support services after return (medical, psychological, legal, documents, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from core.checks import raise_field_errors

from ..models import Case, Service
from .checks import Actor, _not_in_future, _require
from .records import AuditedRecords
from .versions import case_touch

SERVICE_FIELDS: frozenset[str] = frozenset(
    {"kind", "status", "provider", "started_on", "ended_on", "notes"}
)


def _service_prepare(service: Service) -> None:
    errors: dict[str, list[str]] = {}
    _not_in_future(
        errors, "started_on", service.started_on if service.status != "planned" else None
    )
    if service.started_on and service.ended_on and service.ended_on < service.started_on:
        errors.setdefault("ended_on", []).append(_("Cannot be before the start date."))
    raise_field_errors(errors)


_SERVICES = AuditedRecords(
    model=Service,
    fields=SERVICE_FIELDS,
    parent="case",
    require=_require,
    clean_exclude=("case",),
    prepare=_service_prepare,
    touch=lambda service: case_touch(case_id=service.case_id),
)


@transaction.atomic
def service_create(*, case: Case, actor: Actor, data: Mapping[str, Any]) -> Service:
    return _SERVICES.create(actor=actor, parent=case, data=data)


@transaction.atomic
def service_update(*, service: Service, actor: Actor, data: Mapping[str, Any]) -> Service:
    return _SERVICES.update(service, actor=actor, data=data)

"""Reads of the audit trail: who may read it, the event lists, one record's history.

Who may read the trail is a matter of roles, which ``accounts`` holds; ``can_read_audit`` asks
the actor directory ``accounts`` registers (``audit.directory``). The read side stays here, in
one app with the trail, rather than in a module above ``accounts``: the API, its permission and
the admin all gate on this one function, and the trail's package keeps one place in the layers
(below ``accounts``) with no exception to the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet

from .directory import actor_directory
from .models import CHANGE_ACTIONS, Action, AuditEvent
from .snapshots import object_id_of, object_type_of


def can_read_audit(actor: Any) -> bool:
    """Auditors and superusers read the trail; nobody else, and nobody changes it."""
    return actor_directory().can_read_audit(actor)


def audit_event_list(*, actor: Any) -> QuerySet[AuditEvent]:
    """Every event, newest first, for those who may read the trail; nothing for others."""
    if not can_read_audit(actor):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor").order_by("-at", "-id")


def searches_with_terms(words: Sequence[Iterable[str]]) -> QuerySet[AuditEvent]:
    """The recorded searches (``search`` events) that held every one of ``words``, each given
    as the digests of its spellings (``services.search_term_digest``), newest first.

    A digest is matched within the event's list of digests as text: fixed-width hex between
    quotes, so one digest never matches inside another.
    """
    events = AuditEvent.objects.filter(action=Action.SEARCH)
    for digests in words:
        any_of = Q()
        for digest in digests:
            any_of |= Q(metadata__search__terms__icontains=f'"{digest}"')
        events = events.filter(any_of) if any_of else events.none()
    return events.select_related("actor").order_by("-at", "-id")


def object_history(
    object_type: str, object_id: str | int, *, changes_only: bool = True
) -> QuerySet[AuditEvent]:
    """The events of one record (``"cases.case"``, ``42``), newest first; with
    ``changes_only`` only those that changed it (no reads, no refusals)."""
    events = AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id))
    if changes_only:
        events = events.filter(action__in=CHANGE_ACTIONS)
    return events.select_related("actor").order_by("-at", "-id")


def history_for(instance: models.Model, *, changes_only: bool = True) -> QuerySet[AuditEvent]:
    return object_history(
        object_type_of(instance), object_id_of(instance), changes_only=changes_only
    )


@dataclass(frozen=True)
class HistoryRow:
    """One field of one event: who changed it, when, through which door, from what to what."""

    event: AuditEvent
    field: str
    label: str
    before: Any
    after: Any


def model_of(object_type: str) -> type[models.Model] | None:
    """The model an event's ``object_type`` names (``app_label.model``); ``None`` for one no
    longer installed."""
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def model_fields(object_type: str) -> dict[str, models.Field[Any, Any]]:
    """The concrete fields of the model an event names, by the attribute name its changes
    use (``child_id``, not ``child``); empty for a model no longer installed."""
    model = model_of(object_type)
    if model is None:
        return {}
    return {f.attname: f for f in model._meta.concrete_fields}


def field_changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """An event's changes as ``(field, before, after)`` by field name (a create holds the
    value after only, a delete the value before only)."""
    changes = event.changes or {}
    return [(name, *[*values, None, None][:2]) for name, values in sorted(changes.items())]


def _field_labels(object_type: str) -> dict[str, str]:
    return {name: str(f.verbose_name) for name, f in model_fields(object_type).items()}


def history_rows(events: QuerySet[AuditEvent] | list[AuditEvent]) -> list[HistoryRow]:
    """The events' changes field by field, in the events' order; an event that changed no
    field (a share, an approval) is one row without a field."""
    labels: dict[str, dict[str, str]] = {}
    rows = []
    for event in events:
        names = labels.setdefault(event.object_type, _field_labels(event.object_type))
        changes = field_changes(event)
        if not changes:
            rows.append(HistoryRow(event=event, field="", label="", before=None, after=None))
        for name, before, after in changes:
            rows.append(
                HistoryRow(
                    event=event,
                    field=name,
                    label=names.get(name, name),
                    before=before,
                    after=after,
                )
            )
    return rows


def deleted_record_ids(
    object_types: Iterable[str], *, field: str, value: str | int
) -> dict[str, list[str]]:
    """The ids of records of ``object_types`` deleted while their ``field`` (an attribute name,
    ``child_id``) held ``value``: ``{object_type: [ids]}``, from their deletion events.

    A deleted record's history stays in the trail; this finds it for the history of what it
    belonged to (a deleted relative in a case's history). Reads deletion events only, which are
    few beside the rest of the trail.
    """
    rows = (
        AuditEvent.objects.filter(
            object_type__in=list(object_types),
            action=Action.DELETE,
            **{f"changes__{field}__0": value},
        )
        .order_by()
        .values_list("object_type", "object_id")
        .distinct()
    )
    found: dict[str, list[str]] = {}
    for object_type, object_id in rows:
        found.setdefault(object_type, []).append(object_id)
    return found


def records_history(
    records: Mapping[str, Iterable[str | int]], *, changes_only: bool = True
) -> QuerySet[AuditEvent]:
    """The events of several records at once (``{"cases.case": [42], "cases.relative": [3,
    7]}``), newest first: a record's history together with that of its parts."""
    any_of = Q()
    for object_type, ids in records.items():
        wanted = sorted({str(i) for i in ids})
        if wanted:
            any_of |= Q(object_type=object_type, object_id__in=wanted)
    if not any_of:
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(any_of)
    if changes_only:
        events = events.filter(action__in=CHANGE_ACTIONS)
    return events.select_related("actor").order_by("-at", "-id")

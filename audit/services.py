"""Every write to the audit trail; nothing else writes ``AuditEvent``.

A service of another app records what it did in the same transaction as the write itself, so a
rolled-back change leaves no event and a committed one always has its event::

    before = snapshot(case)
    ... change and save case ...
    record_update(case, before, actor=actor)             # None when nothing changed

The functions:

``snapshot(instance, fields=None) -> dict``
    JSON-safe values of the instance's concrete fields (foreign keys as ``<name>_id``); the
    primary key, ``auto_now``/``auto_now_add`` stamps and secrets (passwords, API key hashes)
    are left out, as are a model's ``audit_exclude_fields``.
``record_create(instance, *, actor, fields=None, metadata=None, organization=None)``
    ``{field: [null, value]}``; call after saving.
``record_update(instance, before, *, actor, action="update", metadata=None, organization=None)``
    Diffs ``before`` (a ``snapshot``) with the instance now: ``{field: [before, after]}``.
    Returns ``None`` and writes nothing when no field changed.
``record_delete(instance, *, actor, metadata=None, organization=None)``
    ``{field: [value, null]}``; call *before* deleting (a deleted instance has no primary key).
``record_view(instance, *, actor, metadata=None, organization=None)``
    A read of a full record (a child's case, an evidence file's metadata).
``record_read(*, actor, records, of=None, query=None, search=None, metadata=None)``
    One read of personal data by one request: a list, a search, a page or a record with its
    sub-records, naming every record it returned (``{type: [ids]}``), in one insert.
``search_recorded(terms)``
    How a search is kept in a read event: keyed digests of its words, never the words.
``record(action, *, actor, instance=None, object_type="", object_id="", object_repr="",
changes=None, metadata=None, organization=None)``
    Anything else: transition, share, export, download...
``record_denied(request, reason, *, instance=None, metadata=None)``
    A request refused for lack of a right.
``record_login``, ``record_logout``, ``record_login_failed``, ``record_api_key_refused``
    Sign-ins, called by the receivers of Django's auth signals and by the middleware.
``record_bulk_creations(model, ids, *, labels=None, metadata=None)``
    One ``create`` event per row a bulk load wrote (``COPY`` on PostgreSQL), without values.
``record_creations(instances, *, actor, metadata=None, at=None)``
    One ``create`` event per instance a bulk write wrote, with its values, as ``record_create``.
``creation_changes(instance)``, ``deletion_changes(instance)``, ``diff(before, after)``
    The ``changes`` of an event, for ``record(...)`` calls that name their own action.

The actor: ``actor`` when given (services always have one), otherwise the context's: the
request's user (or API key's service account), or the actor of ``audit_context``; ``None`` is the
system. The API key prefix, the channel, the request id and the client address always come from
the context (``audit.context``). The organization acted for: ``organization`` when given, else
the API key's, else the actor's only organization when it has exactly one. What an API key is and
which organizations an actor acts for, the actor directory ``accounts`` registers says
(``audit.directory``): this module imports nothing of ``accounts``.

How a record is described (type, id, a label that is never a child's name) and how values are
made JSON-safe: ``audit.snapshots``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from . import context
from .directory import APIKeyRef, actor_directory
from .models import Action, AuditEvent
from .snapshots import (
    Changes,
    diff,
    json_value,
    object_id_of,
    object_repr_of,
    object_type_of,
    snapshot,
)

__all__ = [
    "build_event",
    "build_instance_event",
    "creation_changes",
    "deletion_changes",
    "diff",
    "json_value",
    "record",
    "record_api_key_refused",
    "record_bulk_creations",
    "record_create",
    "record_creations",
    "record_delete",
    "record_denied",
    "record_login",
    "record_login_failed",
    "record_logout",
    "record_read",
    "record_update",
    "record_view",
    "search_recorded",
    "search_words_recorded",
    "snapshot",
    "write_events",
]

# An API key's prefix as this registry issues them (djangorestframework-api-key: 8 letters and
# digits); anything else in the header is not stored, since it may be a misplaced secret.
API_KEY_PREFIX_RE = re.compile(r"^[A-Za-z0-9]{4,16}$")


# -- building and writing events -----------------------------------------------------------------
def _organization_id(
    explicit: models.Model | int | None,
    ctx: context.AuditContext,
    api_key: APIKeyRef | None,
    actor: AbstractBaseUser | None,
) -> int | None:
    if explicit is not None:
        return explicit if isinstance(explicit, int) else explicit.pk
    if ctx.organization_id is not None:
        return ctx.organization_id
    if api_key is not None:
        return api_key.organization_id
    if actor is not None:
        return actor_directory().sole_organization(actor)
    return None


def build_event(
    action: str,
    *,
    actor: Any,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: Changes | None = None,
    metadata: Mapping[str, Any] | None = None,
    organization: models.Model | int | None = None,
    request: Any = None,
    api_key_prefix: str | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """An unsaved event in the current context (``request`` stands in for the context's)."""
    ctx = context.current()
    if request is not None:
        ctx = context.AuditContext(
            channel=ctx.channel,
            request_id=ctx.request_id,
            client_address=ctx.client_address,
            organization_id=ctx.organization_id,
            request=request,
        )
    who: AbstractBaseUser | None = (
        actor if getattr(actor, "is_authenticated", False) else ctx.actor()
    )
    api_key = ctx.api_key()
    if api_key is not None and (who is None or api_key.service_account_id != who.pk):
        api_key = None  # the key is not who acted (a service named another actor)
    if api_key_prefix is None:
        api_key_prefix = api_key.prefix if api_key is not None else ""
    return AuditEvent(
        at=at or timezone.now(),
        # The field's type is ``settings.AUTH_USER_MODEL``'s, which this app does not import.
        actor=who,  # type: ignore[misc]
        actor_label=who.get_username()[:150] if who is not None else "",
        api_key_prefix=api_key_prefix,
        organization_id=_organization_id(organization, ctx, api_key, who),
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=object_repr[:200],
        changes=changes or {},
        channel=ctx.channel,
        request_id=ctx.request_id,
        client_address=ctx.client_address,
        metadata=json_value(dict(metadata or {})),
    )


def build_instance_event(
    action: str,
    instance: models.Model,
    *,
    actor: Any,
    changes: Changes | None = None,
    metadata: Mapping[str, Any] | None = None,
    organization: models.Model | int | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    return build_event(
        action,
        actor=actor,
        object_type=object_type_of(instance),
        object_id=object_id_of(instance),
        object_repr=object_repr_of(instance),
        changes=changes,
        metadata=metadata,
        organization=organization,
        at=at,
    )


# From this many events written together, PostgreSQL receives them by COPY.
COPY_EVENTS_FROM = 200


def write_events(events: list[AuditEvent]) -> list[AuditEvent]:
    """Insert ``events`` in one statement (the queryset guard writes one per row).

    On PostgreSQL, a batch of ``COPY_EVENTS_FROM`` events or more (a bulk write's thousands:
    an import) is streamed with ``COPY``, several times faster than an ``INSERT`` of as many
    rows; those events come back without their ids, which no caller reads.
    """
    if not events:
        return []
    if connection.vendor != "postgresql" or len(events) < COPY_EVENTS_FROM:
        return AuditEvent.objects.bulk_create(events)
    fields = _copied_fields()
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    _copy_events(
        [f.attname for f in fields],
        (
            [
                json.dumps(getattr(event, f.attname))
                if f.attname in json_fields
                else getattr(event, f.attname)
                for f in fields
            ]
            for event in events
        ),
    )
    return events


def _copied_fields() -> list[models.Field[Any, Any]]:
    return [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


def _copy_events(attnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Stream event rows (values of the fields ``attnames``, JSON as text) with ``COPY``."""
    column_of = {f.attname: f.column for f in AuditEvent._meta.concrete_fields}
    columns = ", ".join(str(column_of[name]) for name in attnames)
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {AuditEvent._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
    return written


# What differs between the create events of a bulk write: the rest is the same for all.
_PER_RECORD = ("object_type", "object_id", "object_repr", "changes")


def record_creations(
    instances: Sequence[models.Model],
    *,
    actor: Any,
    metadata: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Record one ``create`` event for each of ``instances`` just written in bulk, with its
    values (``creation_changes``) as ``record_create`` records them; returns how many.

    The events are those ``build_instance_event`` builds one by one, but what they share (the
    time, actor, organization, channel, request, metadata) is worked out once and, on
    PostgreSQL from ``COPY_EVENTS_FROM`` events, they are streamed with ``COPY`` without an
    ``AuditEvent`` built for each: a bulk write's thousands of rows cost their values only.
    Call it in the transaction that wrote the rows.
    """
    if not instances:
        return 0
    template = build_event(Action.CREATE, actor=actor, metadata=metadata, at=at)
    described = (
        (
            object_type_of(instance),
            object_id_of(instance)[:64],
            object_repr_of(instance)[:200],
            creation_changes(instance),
        )
        for instance in instances
    )
    fields = _copied_fields()
    shared = {f.attname: getattr(template, f.attname) for f in fields}
    for name in _PER_RECORD:
        del shared[name]
    if connection.vendor != "postgresql" or len(instances) < COPY_EVENTS_FROM:
        events = [
            AuditEvent(
                **shared,
                object_type=object_type,
                object_id=object_id,
                object_repr=object_repr,
                changes=changes,
            )
            for object_type, object_id, object_repr, changes in described
        ]
        return len(write_events(events))
    # COPY reads JSON text into the jsonb columns: the shared ones are encoded once.
    for f in fields:
        if isinstance(f, models.JSONField) and f.attname in shared:
            shared[f.attname] = json.dumps(shared[f.attname])
    head = tuple(shared.values())
    dumps = orjson.dumps  # snapshots are plain JSON values: several times faster than ``json``
    return _copy_events(
        [*shared, *_PER_RECORD],
        (
            (*head, object_type, object_id, object_repr, dumps(changes).decode())
            for object_type, object_id, object_repr, changes in described
        ),
    )


def creation_changes(instance: models.Model, fields: Iterable[str] | None = None) -> Changes:
    return {name: [None, value] for name, value in snapshot(instance, fields).items()}


def deletion_changes(instance: models.Model) -> Changes:
    return {name: [value, None] for name, value in snapshot(instance).items()}


# -- the recording services ----------------------------------------------------------------------
@transaction.atomic
def record(
    action: str,
    *,
    actor: Any,
    instance: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: Changes | None = None,
    metadata: Mapping[str, Any] | None = None,
    organization: models.Model | int | None = None,
) -> AuditEvent:
    """Record ``action``; the object is ``instance`` or the three ``object_*`` values."""
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    if instance is not None:
        object_type = object_type_of(instance)
        object_id = object_id_of(instance)
        object_repr = object_repr_of(instance)
    event = build_event(
        action,
        actor=actor,
        object_type=object_type,
        object_id=str(object_id),
        object_repr=object_repr,
        changes=json_value(changes) if changes else None,
        metadata=metadata,
        organization=organization,
    )
    event.save()
    return event


@transaction.atomic
def record_create(
    instance: models.Model,
    *,
    actor: Any,
    fields: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    organization: models.Model | int | None = None,
) -> AuditEvent:
    if instance.pk is None:
        raise ValueError("Record a creation after saving the instance.")
    event = build_instance_event(
        Action.CREATE,
        instance,
        actor=actor,
        changes=creation_changes(instance, fields),
        metadata=metadata,
        organization=organization,
    )
    event.save()
    return event


@transaction.atomic
def record_update(
    instance: models.Model,
    before: Mapping[str, Any],
    *,
    actor: Any,
    action: str = Action.UPDATE,
    metadata: Mapping[str, Any] | None = None,
    organization: models.Model | int | None = None,
) -> AuditEvent | None:
    """Record what changed since ``before`` (a ``snapshot`` of the instance, of all fields or
    of some); nothing when no field changed."""
    changes = diff(before, snapshot(instance, fields=list(before)))
    if not changes:
        return None
    event = build_instance_event(
        action,
        instance,
        actor=actor,
        changes=changes,
        metadata=metadata,
        organization=organization,
    )
    event.save()
    return event


@transaction.atomic
def record_delete(
    instance: models.Model,
    *,
    actor: Any,
    metadata: Mapping[str, Any] | None = None,
    organization: models.Model | int | None = None,
) -> AuditEvent:
    """Record the deletion of ``instance``; call it before ``instance.delete()``, in the same
    transaction."""
    if instance.pk is None:
        raise ValueError("Record a deletion before deleting the instance.")
    event = build_instance_event(
        Action.DELETE,
        instance,
        actor=actor,
        changes=deletion_changes(instance),
        metadata=metadata,
        organization=organization,
    )
    event.save()
    return event


@transaction.atomic
def record_view(
    instance: models.Model,
    *,
    actor: Any,
    metadata: Mapping[str, Any] | None = None,
    organization: models.Model | int | None = None,
) -> AuditEvent:
    event = build_instance_event(
        Action.VIEW, instance, actor=actor, metadata=metadata, organization=organization
    )
    event.save()
    return event


# -- reads of personal data ----------------------------------------------------------------------
# A query parameter's values as a read event keeps them: cursors are positions, not questions.
_QUERY_LEFT_OUT = frozenset({"cursor"})
_QUERY_VALUE_MAX = 100
_SEARCH_SALT = "audit.search"


def search_term_digest(term: str) -> str:
    """A keyed digest of one search word (HMAC-SHA256 under the site's secret key, 128 bits).

    Anyone holding the key (the server, so an auditor through it) can tell whether a search
    held a given word; nobody reading the trail alone can recover the word or test guesses
    offline. Rotating ``DJANGO_SECRET_KEY`` changes every digest from then on.
    """
    return salted_hmac(_SEARCH_SALT, term, algorithm="sha256").hexdigest()[:32]


def search_recorded(terms: Iterable[str], *, kind: str = "words") -> dict[str, Any]:
    """How a search is kept in a read event: a digest per distinct word (sorted), never the
    words themselves, since a search for a child is the child's name.

    ``terms`` are the words normalised by the caller: for names, in one script
    (``cases.names.script_keys``), so "Євген" and "Yevhen" are one digest; an auditor looking
    for searches of a child computes the digests of each spelling of the child's names (its
    Russified forms included) and looks for any of them. A search that carries no personal
    data (a case number) may be kept as it is by the caller instead.
    """
    digests = sorted({search_term_digest(term) for term in terms if term})
    return {"kind": kind, "terms": digests}


def search_words_recorded(search: str) -> dict[str, Any]:
    """``search_recorded`` of a free-text search's folded words (a search that does not say how
    it matches names: sources, the admin's lists)."""
    return search_recorded(search.casefold().split())


def _query_recorded(query: Mapping[str, Any], search_param: str) -> dict[str, list[str]]:
    recorded: dict[str, list[str]] = {}
    getlist = getattr(query, "getlist", None)
    for name in query:
        if name == search_param or name in _QUERY_LEFT_OUT:
            continue
        values = getlist(name) if getlist is not None else query[name]
        if isinstance(values, str) or not isinstance(values, Sequence):
            values = [values]
        recorded[str(name)[:_QUERY_VALUE_MAX]] = [str(v)[:_QUERY_VALUE_MAX] for v in values]
    return recorded


def record_read(
    *,
    actor: Any,
    records: Mapping[type[models.Model] | str, Iterable[Any]],
    of: models.Model | None = None,
    query: Mapping[str, Any] | None = None,
    search: Mapping[str, Any] | None = None,
    search_param: str = "search",
    metadata: Mapping[str, Any] | None = None,
    organization: models.Model | int | None = None,
) -> AuditEvent:
    """Record one read of personal data: what one request returned, in one event.

    ``records`` names every record the answer held, ``{model or "app_label.model": [ids]}``
    (ids only: never a name). ``of`` is the record the read was of (a case whose relatives were
    listed, a page that shows a case with its sub-records): the event's object; without it the
    read is a list and the event's object type is that of the (first) records named.
    ``query`` is the request's query string (a ``QueryDict`` or a mapping): its filters and
    ordering are kept as sent, its ``search_param`` and cursor left out. ``search``, when the
    request searched, is how the search is kept (``search_recorded``, never the words). The
    action is ``search`` when there was one, else ``view`` for a read ``of`` a record, else
    ``list``.

    A single ``INSERT`` (one row, the ids as a JSON array), and no transaction of its own, so a
    list costs one statement more whatever its length.
    """
    returned: dict[str, list[Any]] = {}
    for kind, ids in records.items():
        label = kind if isinstance(kind, str) else object_type_of(kind)
        returned.setdefault(label, []).extend(ids)
    details: dict[str, Any] = {
        "records": returned,
        "count": sum(len(ids) for ids in returned.values()),
    }
    if query is not None:
        details["query"] = _query_recorded(query, search_param)
    if search:
        details["search"] = dict(search)
    details.update(metadata or {})
    if search:
        action = Action.SEARCH
    elif of is not None:
        action = Action.VIEW
    else:
        action = Action.LIST
    if of is not None:
        event = build_instance_event(
            action, of, actor=actor, metadata=details, organization=organization
        )
    else:
        event = build_event(
            action,
            actor=actor,
            object_type=next(iter(returned), ""),
            metadata=details,
            organization=organization,
        )
    event.save()
    return event


def record_export(
    *,
    actor: Any,
    model: type[models.Model],
    file_format: str,
    count: int,
    query: Mapping[str, Any] | None = None,
    search: Mapping[str, Any] | None = None,
    search_param: str = "search",
) -> AuditEvent:
    """Record one export of a list of ``model`` as a file: its format, how many rows it held
    when it began, the filters as sent (``query``, its ``search_param`` left out) and the search
    as ``search_recorded`` keeps it. No ids and no personal data: the event says what was asked
    for and how much came out, in one ``INSERT``."""
    details: dict[str, Any] = {"format": file_format, "count": count}
    if query is not None:
        details["query"] = _query_recorded(query, search_param)
    if search:
        details["search"] = dict(search)
    event = build_event(
        Action.EXPORT, actor=actor, object_type=object_type_of(model), metadata=details
    )
    event.save()
    return event


DENIED_RECORDED = "_audit_denied_recorded"


@transaction.atomic
def record_denied(
    request: Any,
    reason: str,
    *,
    instance: models.Model | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Record that ``request`` was refused for lack of a right (``reason``: a short code such
    as ``"case_write"``). Call it outside any transaction the refusal rolls back."""
    details = {
        "reason": reason,
        "method": getattr(request, "method", ""),
        "path": getattr(request, "path", ""),
        **(metadata or {}),
    }
    # The middleware records any other refusal it sees; this one is recorded already.
    setattr(getattr(request, "_request", request), DENIED_RECORDED, True)
    event = build_event(
        Action.DENIED,
        actor=None,
        object_type=object_type_of(instance) if instance is not None else "",
        object_id=object_id_of(instance) if instance is not None else "",
        object_repr=object_repr_of(instance) if instance is not None else "",
        metadata=details,
        request=request,
    )
    event.save()
    return event


@transaction.atomic
def record_login(*, user: AbstractBaseUser) -> AuditEvent:
    event = build_instance_event(Action.LOGIN, user, actor=user)
    event.save()
    return event


@transaction.atomic
def record_logout(*, user: AbstractBaseUser | None) -> AuditEvent | None:
    if user is None or not user.is_authenticated:
        return None  # the session had expired: nobody to sign out
    event = build_instance_event(Action.LOGOUT, user, actor=user)
    event.save()
    return event


@transaction.atomic
def record_login_failed(*, username: str) -> AuditEvent:
    """A refused sign-in. The attempted username is kept in ``metadata``; the password never
    reaches this function (Django hides it from the signal)."""
    username = str(username or "")[:150]
    user_model = get_user_model()
    user_id = (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username})
        .values_list("pk", flat=True)
        .first()
        if username
        else None
    )
    event = build_event(
        Action.LOGIN_FAILED,
        actor=None,
        object_type=object_type_of(user_model) if user_id is not None else "",
        object_id=str(user_id) if user_id is not None else "",
        object_repr=f"user #{user_id}" if user_id is not None else "",
        metadata={"username": username},
    )
    event.save()
    return event


def api_key_prefix_presented(request: Any) -> str | None:
    """The prefix of the API key in the request's ``Authorization`` header: ``None`` without an
    API key header, ``""`` when what was sent does not look like a key (it is not stored)."""
    keyword, _space, key = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    if keyword.lower() != actor_directory().api_key_keyword.lower():
        return None
    prefix, dot, _secret = key.strip().partition(".")
    return prefix if dot and API_KEY_PREFIX_RE.match(prefix) else ""


def record_api_key_refused(request: Any) -> AuditEvent | None:
    """Record a refused API key (unknown, revoked, expired, wrong secret) by its prefix; a
    request that presented no API key records nothing."""
    prefix = api_key_prefix_presented(request)
    if prefix is None:
        return None
    directory = actor_directory()
    known = directory.api_key_by_prefix(prefix) if prefix else None
    key_model = directory.api_key_model
    event = build_event(
        Action.LOGIN_FAILED,
        actor=None,
        object_type=object_type_of(key_model) if known else "",
        object_id=prefix if known else "",
        object_repr=f"{key_model._meta.model_name} #{prefix}" if known else "",
        metadata={"reason": "api_key_refused", "key_known": known is not None},
        organization=known.organization_id if known else None,
        api_key_prefix=prefix,
    )
    event.save()
    return event


@transaction.atomic
def record_bulk_creations(
    model: type[models.Model],
    ids: Iterable[Any],
    *,
    labels: Iterable[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> int:
    """Record one ``create`` event for each row of ``model`` just written in bulk (primary keys
    ``ids``, labelled by ``labels`` or ``"<model> #<id>"``); returns how many.

    Made for loads of hundreds of thousands of rows (the benchmark's synthetic cases): the events
    name the rows without repeating their values (``changes`` is empty), share one time and the
    context's actor, channel and request id, and on PostgreSQL are streamed with ``COPY``
    instead of inserted. Call it in the transaction that wrote the rows.
    """
    template = build_event(Action.CREATE, actor=None, metadata=metadata)
    shared = {
        "at": template.at,
        "actor_id": template.actor_id,
        "actor_label": template.actor_label,
        "api_key_prefix": template.api_key_prefix,
        "organization_id": template.organization_id,
        "action": template.action,
        "object_type": object_type_of(model),
        "channel": template.channel,
        "request_id": template.request_id,
        "client_address": template.client_address,
        "changes": template.changes,
        "metadata": template.metadata,
    }
    fallback = f"{model._meta.model_name} #"
    label_of = iter(labels) if labels is not None else None
    described = (
        (str(pk)[:64], (next(label_of) if label_of is not None else f"{fallback}{pk}")[:200])
        for pk in ids
    )
    if connection.vendor != "postgresql":
        events = [
            AuditEvent(**shared, object_id=object_id, object_repr=object_repr)
            for object_id, object_repr in described
        ]
        return len(write_events(events))

    # COPY reads JSON text into the jsonb columns: the two are encoded once, not per row.
    shared["changes"] = json.dumps(shared["changes"])
    shared["metadata"] = json.dumps(shared["metadata"])
    head = tuple(shared.values())
    return _copy_events(
        [*shared, "object_id", "object_repr"],
        ((*head, object_id, object_repr) for object_id, object_repr in described),
    )

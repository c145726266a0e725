"""The audited create/update/delete that a case's sub-records share (relatives, whereabouts,
support services): check the actor against the record's parent, refuse unknown fields, check the
record's own rules, save, record one audit event, then bring derived state up to date and bump
the cases that show the record (``versions``), so their ETag and ``updated_at`` move."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models

from accounts.roles import Capability
from audit import services as audit
from core.checks import reject_unknown_fields
from core.db import row_locked, take_stored

from .checks import Actor, _assign, _full_clean

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class AuditedRecords(Generic[M]):
    """How one kind of sub-record is written. Callers hold the transaction."""

    model: type[M]
    fields: frozenset[str]  # what a caller may set
    parent: str  # the field naming the child or case the actor's rights are checked on
    require: Callable[[Actor, Capability, Any], None]  # refuses: 404 out of sight, else 403
    prepare: Callable[[M], None]  # cleans the record and checks its own rules, naming each field
    clean_exclude: tuple[str, ...]  # fields the model's checks skip (set by the service)
    # Bumps the version and updated_at of the cases that show the record.
    touch: Callable[[M], object]
    # Derived state that follows a write (e.g. the child's current whereabouts).
    after_write: Callable[[M], object] | None = None
    # What must go before the row does (e.g. a pointer to it).
    before_delete: Callable[[M], None] | None = None
    # What a change or a deletion locks before the record (the child, before its cases).
    lock_first: Callable[[M], None] | None = None

    def create(self, *, actor: Actor, parent: Any, data: Mapping[str, Any], **fixed: Any) -> M:
        self.require(actor, Capability.CASE_WRITE, parent)
        reject_unknown_fields(data, self.fields)
        record = self.model(**{self.parent: parent}, **fixed, **data)
        self._check(record)
        record.save()
        audit.record_create(record, actor=actor)
        self._after(record)
        return record

    def update(self, record: M, *, actor: Actor, data: Mapping[str, Any]) -> M:
        """Write the fields in ``data`` over the record as stored now (``record`` may have
        been read before someone else's change); ``record`` is given the stored values."""
        self.require(actor, Capability.CASE_WRITE, getattr(record, self.parent))
        reject_unknown_fields(data, self.fields)
        stored = self._stored(record, actor)
        before = audit.snapshot(stored)
        if _assign(stored, data):
            self._check(stored)
            stored.save()
            audit.record_update(stored, before, actor=actor)
            self._after(stored)
        take_stored(record, stored)
        return record

    def delete(self, record: M, *, actor: Actor) -> None:
        """Delete the record as stored now: its event holds the values it had, and a record
        deleted meanwhile is not found."""
        self.require(actor, Capability.CASE_WRITE, getattr(record, self.parent))
        stored = self._stored(record, actor)
        if self.before_delete is not None:
            self.before_delete(stored)
        audit.record_delete(stored, actor=actor)
        stored.delete()
        self._after(stored)

    def _stored(self, record: M, actor: Actor) -> M:
        """The record as stored now, locked (``core.db.row_locked``), after what
        ``lock_first`` locks; when a merge moved it to another parent meanwhile, that one is
        locked and the actor's rights checked on it too."""
        if self.lock_first is not None:
            self.lock_first(record)
        stored = row_locked(self.model, record.pk)
        parent = f"{self.parent}_id"  # the foreign key's id, as the instance keeps it
        if getattr(stored, parent) != getattr(record, parent):
            if self.lock_first is not None:
                self.lock_first(stored)
            self.require(actor, Capability.CASE_WRITE, getattr(stored, self.parent))
        return stored

    def _check(self, record: M) -> None:
        self.prepare(record)
        _full_clean(record, exclude=self.clean_exclude)

    def _after(self, record: M) -> None:
        if self.after_write is not None:
            self.after_write(record)
        self.touch(record)

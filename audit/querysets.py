"""A queryset for audited models: bulk writes leave one audit event per row, like single ones.

``QuerySet.update()`` and ``delete()`` write many rows in one statement, past the services that
record each change. An audited model's manager makes them audit themselves::

    class CaseQuerySet(AuditedQuerySet["Case"]):
        ...

    class Case(models.Model):
        audit_technical_fields = frozenset({"current_whereabouts"})
        objects = CaseQuerySet.as_manager()    # or: objects = AuditedManager()

- ``update(**fields)`` and ``bulk_update(objs, fields)`` lock the affected rows, read them, write,
  read them again and record one ``update`` event per row that changed, in one insert;
- ``delete()`` records one ``delete`` event per row it removes, cascaded rows of audited models
  included, then deletes;
- ``bulk_create(objs)`` records one ``create`` event per row (``ignore_conflicts`` and
  ``update_conflicts`` are refused: which rows were written is not known);
- the actor is the audit context's (the request's user, or ``audit_context``'s actor), or the
  one named with ``.audit_as(actor=..., action=..., metadata=...)``;
- ``unaudited_update(reason, **fields)`` writes without events, only to the columns the model
  lists in ``audit_technical_fields`` (denormalised pointers, "last used" stamps): visible in
  review, refused for anything else.

Not covered: ``Model.save()`` and ``Model.delete()`` on one instance (services record those with
``record_update``/``record_delete``), raw SQL, and ``QuerySet._update()``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Self, TypeVar

from django.db import models, transaction
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext as _

from . import services
from .exceptions import UnauditedWrite
from .models import Action, AuditEvent

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=models.Model)


def is_audited(model: type[models.Model]) -> bool:
    return isinstance(model._default_manager.all(), AuditedQuerySet)


class AuditedQuerySet(models.QuerySet[_M]):
    _audit_actor: Any = None
    _audit_action: str | None = None
    _audit_metadata: Mapping[str, Any] | None = None

    def audit_as(
        self,
        *,
        actor: Any,
        action: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Self:
        """This queryset, recording its bulk writes as done by ``actor`` (with ``action``
        instead of ``update`` for updates, and ``metadata``)."""
        clone = self.all()
        clone._audit_actor = actor
        clone._audit_action = action
        clone._audit_metadata = metadata
        return clone

    def _clone(self) -> Any:
        clone = super()._clone()  # type: ignore[misc]
        clone._audit_actor = self._audit_actor
        clone._audit_action = self._audit_action
        clone._audit_metadata = self._audit_metadata
        return clone

    # -- reading the rows a write will touch -----------------------------------------------------
    def _base(self) -> models.QuerySet[_M]:
        return self.model._base_manager.using(self.db)

    def _locked(self) -> list[_M]:
        """The rows this queryset matches, locked until the transaction ends, in primary-key
        order (so two bulk writes lock in the same order and cannot deadlock)."""
        ids = self.values("pk")
        ids.query.select_for_update = False
        ids.query.clear_ordering(force=True)
        return list(self._base().filter(pk__in=ids).select_for_update().order_by("pk"))

    def _record_updates(self, before: Mapping[Any, dict[str, Any]]) -> list[AuditEvent]:
        now = timezone.now()  # one time for the whole statement
        events = []
        for row in self._base().filter(pk__in=list(before)).order_by("pk"):
            changes = services.diff(before[row.pk], services.snapshot(row))
            if changes:
                events.append(
                    services.build_instance_event(
                        self._audit_action or Action.UPDATE,
                        row,
                        actor=self._audit_actor,
                        changes=changes,
                        metadata=self._audit_metadata,
                        at=now,
                    )
                )
        return services.write_events(events)

    # -- the guarded writes ----------------------------------------------------------------------
    def update(self, **kwargs: Any) -> int:
        if self.query.is_sliced:
            raise TypeError("Cannot update a query once a slice has been taken.")
        with transaction.atomic(using=self.db, savepoint=False):
            rows = self._locked()
            if not rows:
                return 0
            before = {row.pk: services.snapshot(row) for row in rows}
            count = super(AuditedQuerySet, self.filter(pk__in=list(before))).update(**kwargs)
            self._record_updates(before)
        return count

    update.alters_data = True  # type: ignore[attr-defined]

    # ``bulk_update`` needs no override: Django writes each batch with ``self.filter(pk__in=...)
    # .update(...)``, which is the guarded ``update`` above (tests/audit/test_guard.py holds it to
    # one event per changed row).

    def bulk_create(
        self,
        objs: Iterable[_M],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[_M]:
        if ignore_conflicts or update_conflicts:
            raise UnauditedWrite(
                _("bulk_create() with ignore_conflicts or update_conflicts cannot be audited.")
            )
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, batch_size=batch_size)
            if any(obj.pk is None for obj in created):
                raise UnauditedWrite(_("The database did not return the new rows' ids."))
            services.record_creations(
                created, actor=self._audit_actor, metadata=self._audit_metadata
            )
        return created

    bulk_create.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with delete().")
        if self._fields is not None:  # type: ignore[attr-defined]
            raise TypeError("Cannot call delete() after .values() or .values_list()")
        # A savepoint: a ProtectedError (a normal answer) leaves the caller's transaction usable,
        # as it does with Django's own delete().
        with transaction.atomic(using=self.db):
            collector = Collector(using=self.db, origin=self)
            collector.collect(self._locked())
            doomed: list[models.Model] = [
                obj for model, objs in collector.data.items() if is_audited(model) for obj in objs
            ]
            for related in collector.fast_deletes:
                if is_audited(related.model):
                    doomed.extend(related)
            # Written first: a deleted instance no longer has its primary key.
            now = timezone.now()
            services.write_events(
                [
                    services.build_instance_event(
                        Action.DELETE,
                        obj,
                        actor=self._audit_actor,
                        changes=services.deletion_changes(obj),
                        metadata=self._audit_metadata,
                        at=now,
                    )
                    for obj in doomed
                ]
            )
            deleted = collector.delete()
        self._result_cache = None
        return deleted

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def unaudited_update(self, reason: str, /, **fields: Any) -> int:
        """Write technical columns (the model's ``audit_technical_fields``) without events.
        ``reason`` says why no one needs to know, for the reader of the calling code."""

        technical = frozenset(getattr(self.model, "audit_technical_fields", ()))
        others = sorted(set(fields) - technical)
        if not reason.strip():
            raise UnauditedWrite(_("unaudited_update() needs a reason."))
        if others:
            raise UnauditedWrite(
                _("%(model)s.%(fields)s are audited: write them through a service.")
                % {"model": self.model.__name__, "fields": ", ".join(others)}
            )
        logger.debug(
            "audit_unaudited_update model=%s fields=%s reason=%s",
            self.model._meta.label,
            ",".join(sorted(fields)),
            reason,
        )
        return super().update(**fields)

    unaudited_update.alters_data = True  # type: ignore[attr-defined]


class AuditedManager(models.Manager.from_queryset(AuditedQuerySet)):  # type: ignore[misc]
    """The manager of an audited model whose queryset adds nothing else."""

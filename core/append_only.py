"""Records that are added to and never changed: the audit trail, a file's chain of custody.

A model inherits ``AppendOnlyModel`` and names its own error::

    class CustodyEvent(AppendOnlyModel):
        append_only_error = CustodyChainImmutable
        objects = AppendOnlyManager()

- ``save()`` inserts, once: saving a saved row, ``force_update`` or ``update_fields`` is refused;
- ``delete()`` on a row is refused;
- the queryset refuses ``update()``, ``delete()``, ``bulk_update()`` and ``update_or_create()``;
  ``create()``, ``bulk_create()`` and ``get_or_create()`` add rows and are allowed.

Each refusal raises the model's ``append_only_error`` (an ``AppendOnlyViolation``, 409). This is
the refusal in Python; on PostgreSQL each table's migration adds a trigger that refuses
``UPDATE`` and ``DELETE`` whatever sends them.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn, TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import Conflict


class AppendOnlyViolation(Conflict):
    """A row that is only ever added to was to be changed or deleted."""

    code = "append_only"
    default_detail = _("These records are only added to: never changed or deleted.")


_M = TypeVar("_M", bound="AppendOnlyModel")


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """Reads and inserts only: every bulk change or deletion is refused."""

    def _refuse(self) -> NoReturn:
        raise self.model.append_only_error()

    def update(self, **kwargs: Any) -> NoReturn:
        self._refuse()

    def delete(self) -> NoReturn:
        self._refuse()

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> NoReturn:
        self._refuse()

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse()


class AppendOnlyManager(models.Manager.from_queryset(AppendOnlyQuerySet)):  # type: ignore[misc]
    """The manager of an append-only model."""


class AppendOnlyModel(models.Model):
    """A row written once and kept as written."""

    # The error a refused change raises: each model names its own (and its code and message).
    append_only_error: ClassVar[type[AppendOnlyViolation]] = AppendOnlyViolation

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Written once: a saved row, or an attempt to force an UPDATE, is refused.
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise self.append_only_error()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise self.append_only_error()

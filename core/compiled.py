"""Small fixed queries compiled once: the SQL of a values query built by the ORM a single time,
then run with each call's values.

Every API request reads the same few small things (the token's user, the actor's roles, the
live shares of the actor's organizations). Building and compiling those querysets cost several
times what PostgreSQL takes to run them, and their text never changes: only the values do. A
``CompiledValues`` builds its queryset once with placeholder values, keeps the SQL, and binds
each call's values in the placeholders' places. The SQL is still the ORM's: nothing is written by
hand, and the text is the same on every call, so PostgreSQL prepares it once per connection.

Only for queries whose text does not depend on the values: scalar parameters, and lists sent as
one array parameter (``core.db.InArray``). Compiling refuses a query whose placeholders do not
come out as parameters unchanged (a ``LIKE`` pattern built from a value, a list expanded into
``IN (...)``), or whose columns need Python-side conversion. On other databases (SQLite: its
``IN`` lists grow with the values) the queryset is built and run on every call.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

# Placeholders are values no real argument takes: negative ids (within 32 bits, so no integer
# column's range check drops the condition), dates in the year 1, marked text.
_counter = itertools.count(1)
_INT_PLACEHOLDER_BASE = -(2**31) + 1


def _placeholder(value: Any) -> Any:
    n = next(_counter)
    if isinstance(value, bool):
        raise ImproperlyConfigured("A compiled query cannot take a boolean argument.")
    if isinstance(value, int):
        return _INT_PLACEHOLDER_BASE + n
    if isinstance(value, str):
        return f"\x1fplaceholder-{n}\x1f"
    if isinstance(value, dt.datetime):
        return dt.datetime(1, 1, 1, 0, 0, 0, n % 1_000_000, tzinfo=dt.UTC)
    if isinstance(value, list | tuple) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return [_INT_PLACEHOLDER_BASE + n]
    raise ImproperlyConfigured(
        f"A compiled query cannot take an argument of type {type(value).__name__} "
        "(integers, text, times and lists of integers only)."
    )


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    # (position in params, argument name), for every position a placeholder took.
    slots: tuple[tuple[int, str], ...]


class CompiledValues:
    """``build(**arguments)`` returns a ``values_list`` queryset; calling this object with the
    same keyword arguments returns its rows as tuples, compiling the SQL at the first call on
    each PostgreSQL database."""

    def __init__(self, build: Callable[..., QuerySet[Any, Any]]) -> None:
        self._build = build
        self._compiled: dict[str, _Compiled] = {}

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **arguments: Any) -> list[tuple[Any, ...]]:
        connection = connections[using]
        if connection.vendor != "postgresql":
            return list(self._build(**arguments).using(using))
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using, arguments)
        params = list(compiled.params)
        for index, name in compiled.slots:
            params[index] = arguments[name]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return cursor.fetchall()

    def sql(self, *, using: str = DEFAULT_DB_ALIAS) -> str | None:
        """The compiled SQL, once compiled on ``using`` (for tests and inspection)."""
        compiled = self._compiled.get(using)
        return None if compiled is None else compiled.sql

    def _compile(self, using: str, arguments: dict[str, Any]) -> _Compiled:
        placeholders = {name: _placeholder(value) for name, value in arguments.items()}
        compiler = self._build(**placeholders).using(using).query.get_compiler(using)
        try:
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet) as exc:
            # The ORM decided the condition from the value itself (an integer out of a
            # column's range): the text would depend on the values.
            raise ImproperlyConfigured(
                "The query's text depends on its values (the ORM resolved a condition from "
                "them), so it cannot be compiled once."
            ) from exc
        converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
        if converters:
            raise ImproperlyConfigured(
                "A compiled query's columns must come from the database as they are; these "
                f"need converting: {sorted(converters)}."
            )
        slots = tuple(
            (index, name)
            for index, param in enumerate(params)
            for name, placeholder in placeholders.items()
            if _same(param, placeholder)
        )
        missing = set(placeholders) - {name for _index, name in slots}
        if missing:
            raise ImproperlyConfigured(
                f"These arguments do not reach the SQL unchanged, so it cannot be compiled once: "
                f"{sorted(missing)}."
            )
        return _Compiled(sql=sql, params=tuple(params), slots=slots)


def _same(param: Any, placeholder: Any) -> bool:
    if isinstance(placeholder, list):
        return (
            isinstance(param, Sequence)
            and not isinstance(param, str)
            and (list(param) == placeholder)
        )
    return type(param) is type(placeholder) and param == placeholder


class ModelRow:
    """Model instances from one row of a ``CompiledValues`` query: ``model``'s concrete columns,
    then those of each related object (``related``: field name → model), read through the
    relation. ``columns()`` names them for ``values_list``; ``load(row)`` gives the instance
    with its related objects in place, as ``select_related`` would have."""

    def __init__(self, model: type[Model], **related: type[Model]) -> None:
        self.model = model
        self._own = [field.attname for field in model._meta.concrete_fields]
        self._related = {
            name: (other, [field.attname for field in other._meta.concrete_fields])
            for name, other in related.items()
        }

    def columns(self) -> list[str]:
        return [
            *self._own,
            *(
                f"{name}__{attname}"
                for name, (_model, attnames) in self._related.items()
                for attname in attnames
            ),
        ]

    def load(self, row: Sequence[Any], using: str = DEFAULT_DB_ALIAS) -> Any:
        end = len(self._own)
        instance = self.model.from_db(using, self._own, row[:end])
        for name, (other, attnames) in self._related.items():
            start, end = end, end + len(attnames)
            setattr(instance, name, other.from_db(using, attnames, row[start:end]))
        return instance

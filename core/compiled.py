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

Each read declares the type of each argument (``CompiledValues(build, user_id=int)``), and every
call is checked against it on every database, before either path runs: a missing or extra
argument, ``None``, or a value of another type is refused with a ``TypeError`` (a naive time with
a ``ValueError``). Compiled SQL would answer such a call differently from the ORM (``None`` bound
where ``= %s`` was compiled matches nothing; the ORM writes ``IS NULL``), so neither answers it.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, get_origin

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

# Placeholders are values no real argument takes: negative ids (within 32 bits, so no integer
# column's range check drops the condition), dates in the year 1, marked text.
_counter = itertools.count(1)
_INT_PLACEHOLDER_BASE = -(2**31) + 1


# The types an argument may be declared with, and how each is named in a refusal.
_INT_LIST = list[int]
_KINDS: dict[Any, str] = {
    int: "an integer",
    str: "text",
    dt.datetime: "a time with its time zone",
    _INT_LIST: "a list of integers",
}


def _placeholder(kind: Any) -> Any:
    n = next(_counter)
    if kind is int:
        return _INT_PLACEHOLDER_BASE + n
    if kind is str:
        return f"\x1fplaceholder-{n}\x1f"
    if kind is dt.datetime:
        return dt.datetime(1, 1, 1, 0, 0, 0, n % 1_000_000, tzinfo=dt.UTC)
    return [_INT_PLACEHOLDER_BASE + n]


_PLAIN_INT = {int}


def _is_int(value: Any) -> bool:
    # ``bool`` is an ``int`` to Python, not to the database.
    return type(value) is int or (isinstance(value, int) and not isinstance(value, bool))


def _accepts(kind: Any) -> Callable[[Any], bool]:
    """The test a value of an argument declared ``kind`` passes: cheap, as it runs on every call
    of a read made on every request."""
    if kind is int:
        return _is_int
    if kind is str:
        return lambda value: isinstance(value, str)
    if kind is dt.datetime:
        if settings.USE_TZ:
            # The ORM would read a naive time in the current time zone, the compiled SQL in
            # the connection's (UTC): the answers would differ.
            return lambda value: isinstance(value, dt.datetime) and value.utcoffset() is not None
        return lambda value: isinstance(value, dt.datetime)
    # Element types are collected in C; a list of plain integers needs nothing more.
    return lambda value: (
        type(value) is list
        and (set(map(type, value)) <= _PLAIN_INT or all(_is_int(item) for item in value))
    )


def _kind_name(kind: Any) -> str:
    # ``list[str]`` and ``int | None`` read best as written; plain classes by their name.
    return repr(kind) if get_origin(kind) is not None else getattr(kind, "__name__", repr(kind))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    # (position in params, argument name), for every position a placeholder took.
    slots: tuple[tuple[int, str], ...]


class CompiledValues:
    """``build(**arguments)`` returns a ``values_list`` queryset; ``types`` declare each
    argument's type (``int``, ``str``, ``datetime.datetime`` or ``list[int]``). Calling this
    object with those keyword arguments returns the rows as tuples, compiling the SQL at the
    first call on each PostgreSQL database."""

    def __init__(self, build: Callable[..., QuerySet[Any, Any]], /, **types: Any) -> None:
        self._build = build
        # The module that defines the read (its build function), for messages and tests.
        self.module: str = build.__module__
        self._name = f"compiled read in {self.module}"
        parameters = set(inspect.signature(build).parameters)
        if parameters != set(types):
            raise ImproperlyConfigured(
                f"Declare the type of each argument of a {self._name}: it takes "
                f"{sorted(parameters)}, the types name {sorted(types)}."
            )
        for name, kind in types.items():
            if not any(kind == known for known in _KINDS):
                raise ImproperlyConfigured(
                    f"A compiled query cannot take an argument of type {_kind_name(kind)} "
                    f"({name}): integers, text, times and lists of integers only."
                )
        self._types: dict[str, Any] = dict(types)
        self._checks = tuple((name, _accepts(kind)) for name, kind in types.items())
        self._compiled: dict[str, _Compiled] = {}

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **arguments: Any) -> list[tuple[Any, ...]]:
        self._check(arguments)
        connection = connections[using]
        if connection.vendor != "postgresql":
            return list(self._build(**arguments).using(using))
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self._compile(using)
        params = list(compiled.params)
        for index, name in compiled.slots:
            params[index] = arguments[name]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            return cursor.fetchall()

    def queryset(self, **arguments: Any) -> QuerySet[Any, Any]:
        """The queryset the ORM would run for these arguments (checked as a call is), which
        the compiled SQL answers alike (for tests and inspection)."""
        self._check(arguments)
        return self._build(**arguments)

    def _check(self, arguments: dict[str, Any]) -> None:
        if arguments.keys() != self._types.keys():
            missing = sorted(self._types.keys() - arguments.keys())
            extra = sorted(arguments.keys() - self._types.keys())
            raise TypeError(
                f"A {self._name} takes {sorted(self._types)}"
                + (f"; missing: {missing}" if missing else "")
                + (f"; not taken: {extra}" if extra else "")
                + "."
            )
        for name, accepts in self._checks:
            if not accepts(arguments[name]):
                self._refuse(name, arguments[name])

    def _refuse(self, name: str, value: Any) -> None:
        kind = self._types[name]
        expected = _KINDS[kind]
        if isinstance(value, dt.datetime) and kind is dt.datetime:
            raise ValueError(
                f"A {self._name} takes {name} as {expected}, not a naive time: the ORM and the "
                "compiled SQL would read it in different time zones."
            )
        if isinstance(value, list) and kind == _INT_LIST:
            wrong = next(item for item in value if not _is_int(item))
            raise TypeError(
                f"A {self._name} takes {name} as {expected}; it holds {wrong!r} "
                f"({type(wrong).__name__})."
            )
        raise TypeError(
            f"A {self._name} takes {name} as {expected}, not {type(value).__name__} "
            f"({value!r:.40})."
        )

    def sql(self, *, using: str = DEFAULT_DB_ALIAS) -> str | None:
        """The compiled SQL, once compiled on ``using`` (for tests and inspection)."""
        compiled = self._compiled.get(using)
        return None if compiled is None else compiled.sql

    def _compile(self, using: str) -> _Compiled:
        placeholders = {name: _placeholder(kind) for name, kind in self._types.items()}
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

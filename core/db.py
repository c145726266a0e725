"""Database helpers: row and advisory locks, migrations that only some backends can express,
array lookups, and the timestamp loader of PostgreSQL connections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, migrations
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from django.db.models import Model, lookups
from django.utils.translation import gettext as _
from psycopg import adapters as pg_adapters
from psycopg.abc import Loader
from psycopg.postgres import types as pg_types
from psycopg.pq import Format
from psycopg.types.datetime import TimestamptzLoader as PythonTimestamptzLoader

from .errors import NotFound

# The largest value of a bigint primary key: ids beyond it are refused as input, not sent to the
# database to overflow there.
MAX_ID = 2**63 - 1


_M = TypeVar("_M", bound=Model)


def row_locked(model: type[_M], pk: Any) -> _M:
    """The row of ``model`` with ``pk`` as stored now, locked until the transaction ends;
    ``NotFound`` when there is none (deleted meanwhile). Call inside ``transaction.atomic``.

    A service changes this copy, never a caller's, which may have been read before someone
    else's change: saving that one would write the old values back over the change (and
    bring a deleted row back). ``FOR NO KEY UPDATE``, the lock an ``UPDATE`` of the row takes:
    rows that point at it may still be written meanwhile."""
    stored = model._default_manager.select_for_update(no_key=True).filter(pk=pk).first()
    if stored is None:
        raise NotFound(
            _("This %(record)s no longer exists.") % {"record": model._meta.verbose_name}
        )
    return stored


def take_stored(instance: Model, stored: Model) -> None:
    """Give a caller's copy the values of the row as ``stored`` (changed through
    ``row_locked``), as if it had been read again."""
    for field in instance._meta.concrete_fields:
        setattr(instance, field.attname, getattr(stored, field.attname))


def advisory_xact_lock(*keys: int, wait: bool = True) -> bool:
    """Take PostgreSQL's transaction-level advisory lock of ``keys`` (one or two integers),
    held until the transaction ends; without ``wait``, ``False`` at once when another
    transaction holds it. Elsewhere (SQLite, whose writes take one lock already) ``True``."""
    if connection.vendor != "postgresql":
        return True
    placeholders = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        if wait:
            cursor.execute(f"SELECT pg_advisory_xact_lock({placeholders})", list(keys))
            return True
        cursor.execute(f"SELECT pg_try_advisory_xact_lock({placeholders})", list(keys))
        row = cursor.fetchone()
        return bool(row and row[0])


_T = TypeVar("_T")


class Alongside(Generic[_T]):
    """What ``alongside`` ran: ``result()`` is its return value (or raises what it raised)."""

    def __init__(self, work: Callable[[], _T], future: Future[_T] | None) -> None:
        self._work = work
        self._future = future

    def result(self) -> _T:
        if self._future is None:  # not run yet: run it now, in the caller's thread
            self._future = Future()
            try:
                self._future.set_result(self._work())
            except BaseException as exc:
                self._future.set_exception(exc)
        return self._future.result()


def _on_connection(wrapper: BaseDatabaseWrapper, work: Callable[[], _T]) -> _T:
    connections[wrapper.alias] = wrapper  # the caller's connection, so its transaction
    try:
        return work()
    finally:
        del connections[wrapper.alias]


@contextmanager
def alongside(
    work: Callable[[], _T], *, using: str = DEFAULT_DB_ALIAS, helper: bool = True
) -> Iterator[Alongside[_T]]:
    """Run ``work`` (which reads from the database) while the block runs, for the block to
    take its ``result()`` after: on PostgreSQL in a helper thread over the caller's own
    connection, so inside the caller's transaction and seeing what it wrote, the way Django's
    live test server shares a test's connection. The server answers ``work``'s queries while the
    block computes (Python waiting on the server gives up its lock on the interpreter).

    The block must not use the database meanwhile (the two would take turns on the one
    connection) and must not end the transaction. Leaving the block waits for ``work`` to end.
    Elsewhere, or without ``helper`` (nothing worth a thread), ``work`` runs at the first
    ``result()``, in the caller's thread."""
    wrapper = connections[using]
    if wrapper.vendor != "postgresql" or not helper:
        yield Alongside(work, None)
        return
    wrapper.ensure_connection()
    wrapper.inc_thread_sharing()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alongside") as thread:
            yield Alongside(work, thread.submit(_on_connection, wrapper, work))
    finally:
        wrapper.dec_thread_sharing()


@contextmanager
def jit_off(cursor: Any) -> Iterator[None]:
    """PostgreSQL's JIT compilation off for the statements ``cursor`` runs in the block, then
    as it was (two more statements); elsewhere nothing.

    For a statement whose cost the planner overestimates past ``jit_above_cost`` while it runs
    in milliseconds: identity matching's candidate query (rows estimated per name key from the
    key column's statistics, where most keys belong to one or two children) spent 260 ms
    compiling to run for 11. A statement that fails inside a transaction leaves the setting to
    the rollback, which undoes it (settings are transactional)."""
    if connection.vendor != "postgresql":
        yield
        return
    cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', false)")
    row = cursor.fetchone()
    restore = "SELECT set_config('jit', %s, false)"
    try:
        yield
    except BaseException:
        if not connection.in_atomic_block:  # autocommit: the failed statement was alone
            cursor.execute(restore, [row[0]])
        raise
    cursor.execute(restore, [row[0]])


class RunSQLOnPostgres(migrations.RunSQL):
    """Raw SQL that runs on PostgreSQL and is skipped elsewhere (SQLite, the embedded default).

    Used for what SQLite cannot hold: CHECKs against the current date, triggers across tables,
    trigram indexes. The service layer enforces the same rules on every backend.
    """

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    """``AddIndex`` built without locking the table's writes on PostgreSQL (``CREATE INDEX
    CONCURRENTLY``, so the migration that holds it must say ``atomic = False``); elsewhere the
    ordinary ``AddIndex``. For an index on a table too large to stop writing to meanwhile."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            self._add_concurrently(schema_editor, model)

    def _add_concurrently(self, schema_editor: Any, model: Any) -> None:
        schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor != "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
            return
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)


class AddHashIndexOnPostgres(AddIndexConcurrentlyOnPostgres):
    """``AddIndex`` of one column that PostgreSQL builds as a hash index, without locking the
    table's writes (``CREATE INDEX CONCURRENTLY ... USING hash``: the migration must say
    ``atomic = False``); elsewhere the ordinary index. For a column looked up only by equality
    whose index takes many writes: a hash index costs less to keep up than a B-tree and finds
    a value as fast. The state holds the ordinary index (Django's own ``HashIndex`` is
    PostgreSQL's only)."""

    def _add_concurrently(self, schema_editor: Any, model: Any) -> None:
        if len(self.index.fields) != 1:
            raise ValueError("A hash index is of one column.")
        column = model._meta.get_field(self.index.fields[0]).column
        quote = schema_editor.quote_name
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(self.index.name)} "
            f"ON {quote(model._meta.db_table)} USING hash ({quote(column)})"
        )


class InArray(lookups.In):
    """``InArray(F("field"), [...])``: membership in a list sent as one array parameter on
    PostgreSQL (``= ANY(%s)``), so the statement's text does not grow with the list and compiles
    in constant time. Elsewhere it is the ordinary ``IN (...)``."""

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [v for v in self.rhs if v is not None]
        db_type = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, values]


_TIMESTAMPTZ = pg_types["timestamptz"].oid
# psycopg's own loader: the compiled one when psycopg's C implementation is installed.
_COMPILED_TIMESTAMPTZ_LOADER: type[Loader] = (
    pg_adapters.get_loader(_TIMESTAMPTZ, Format.TEXT) or PythonTimestamptzLoader
)


class CompiledUtcTimestampLoader(BaseTzLoader):
    """Django's UTC ``timestamptz`` loader, reading each value with psycopg's own loader.

    Django registers a subclass of psycopg's pure-Python loader (to force its time zone onto the
    values), which parses every timestamp in Python: on a page of cases that was a tenth of the
    request. In a session running in UTC, psycopg's loader gives the same values, in
    ``datetime.timezone.utc``.
    """

    # Django's ``create_cursor`` compares this with the connection's time zone and leaves the
    # loader in place when they agree.
    timezone = dt.UTC

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        # psycopg's row loader calls ``loader.load``: here the compiled loader's own method,
        # with no Python frame per value.
        self.load = _COMPILED_TIMESTAMPTZ_LOADER(oid, context).load


def use_compiled_timestamp_loader(
    sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any
) -> None:
    """On a new PostgreSQL connection whose session runs in UTC (Django's own setting with
    ``USE_TZ``), read ``timestamptz`` values with ``CompiledUtcTimestampLoader``. Connected to
    ``connection_created`` by ``config.apps``."""
    if connection.vendor != "postgresql" or connection.timezone != dt.UTC:
        return
    if issubclass(_COMPILED_TIMESTAMPTZ_LOADER, PythonTimestamptzLoader):
        return  # no compiled implementation installed: nothing to gain
    raw = connection.connection
    if raw.info.parameter_status("TimeZone") in ("UTC", "Etc/UTC"):
        raw.adapters.register_loader(_TIMESTAMPTZ, CompiledUtcTimestampLoader)

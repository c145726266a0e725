"""Database helpers for migrations that only some backends can express."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import lookups

# The largest value of a bigint primary key: ids beyond it are refused as input, not sent to the
# database to overflow there.
MAX_ID = 2**63 - 1


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


class InArray(lookups.In):
    """``InArray(F("field"), [...])``: membership in a list sent as one array parameter on
    PostgreSQL (``= ANY(%s)``), so the statement's text does not grow with the list and compiles
    in constant time. Elsewhere it is the ordinary ``IN (...)``."""

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [v for v in self.rhs if v is not None]
        db_type = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, values]

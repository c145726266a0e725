"""An index for a case's history to find the records of its child deleted since (their deletion
events, ``audit.selectors.deleted_record_ids(..., field="child_id")``): the deletion events of
aliases, relatives and whereabouts by the child they belonged to, read from the events' recorded
changes. Without it the history page reads every deletion event of those kinds in the trail,
which grows with the whole registry's deletions.

Partial (deletion events only) and on PostgreSQL only: the expression is the one Django writes
for ``changes__child_id__0`` there (``changes #> '{child_id,0}'``)."""

from django.db import migrations

from core.db import RunSQLOnPostgres


class Migration(migrations.Migration):
    # Built concurrently: the audit trail takes every write of the registry, and a plain
    # CREATE INDEX would hold them all until the index is built.
    atomic = False

    dependencies = [
        ("audit", "0004_read_actions"),
        ("cases", "0016_case_current_country"),
    ]

    operations = [
        RunSQLOnPostgres(
            sql=(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_deleted_child_record_idx "
                "ON audit_auditevent "
                "(object_type, (changes #> '{child_id,0}')) WHERE action = 'delete'"
            ),
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS audit_deleted_child_record_idx",
        ),
    ]

"""On PostgreSQL the chain of custody refuses UPDATE, DELETE and TRUNCATE, whoever sends them:
raw SQL, a shell, a bug. TRUNCATE is let through only for a session that set
``registry.custody_truncate_allowed`` (the test settings do, through
``SOURCES_ALLOW_CUSTODY_TRUNCATE``, so the test runner can empty tables).
"""

from django.db import migrations

from core.db import RunSQLOnPostgres

FORWARD = """
CREATE FUNCTION custody_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_setting('registry.custody_truncate_allowed', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the chain of custody is append-only: % of % refused', TG_OP, TG_TABLE_NAME
        USING HINT = 'Custody events are written once and never changed or deleted.';
END;
$$;

CREATE TRIGGER custody_event_append_only
    BEFORE UPDATE OR DELETE ON sources_custodyevent
    FOR EACH STATEMENT EXECUTE FUNCTION custody_event_append_only();

CREATE TRIGGER custody_event_no_truncate
    BEFORE TRUNCATE ON sources_custodyevent
    FOR EACH STATEMENT EXECUTE FUNCTION custody_event_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS custody_event_no_truncate ON sources_custodyevent;
DROP TRIGGER IF EXISTS custody_event_append_only ON sources_custodyevent;
DROP FUNCTION IF EXISTS custody_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("sources", "0001_initial")]

    operations = [RunSQLOnPostgres(FORWARD, BACKWARD)]

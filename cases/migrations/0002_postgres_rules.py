"""Rules PostgreSQL can hold and SQLite cannot; the services enforce the same on every backend.

- Dates not in the future. "Today" is taken in the earliest time zone on Earth (UTC+14), so a date
  that is today anywhere, Kyiv included, is accepted and a date in the future everywhere is not.
- Birth before deportation, across the child and case tables, by triggers on both.
- Trigram indexes for search by any spelling and by case number at a million rows.
"""

from django.db import migrations

from core.db import RunSQLOnPostgres

TODAY = "(now() AT TIME ZONE 'Pacific/Kiritimati')::date"

NOT_FUTURE = [
    ("cases_child", "date_of_birth", "child_dob_not_future"),
    ("cases_case", "deported_on", "case_deported_not_future"),
    ("cases_case", "returned_on", "case_returned_not_future"),
    ("cases_whereabouts", "from_date", "whereabouts_from_not_future"),
    ("cases_statuschange", "changed_at", "statuschange_not_future"),
    ("cases_followup", "completed_on", "followup_completed_not_future"),
]


def _not_future(table: str, column: str, name: str) -> RunSQLOnPostgres:
    cast = "::date" if column == "changed_at" else ""
    return RunSQLOnPostgres(
        sql=f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column}{cast} <= {TODAY})",
        reverse_sql=f"ALTER TABLE {table} DROP CONSTRAINT {name}",
    )


BIRTH_BEFORE_DEPORTATION = """
CREATE FUNCTION cases_check_birth_before_deportation() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'cases_case' THEN
        IF NEW.deported_on IS NOT NULL AND EXISTS (
            SELECT 1 FROM cases_child c
            WHERE c.id = NEW.child_id AND c.date_of_birth > NEW.deported_on
        ) THEN
            RAISE EXCEPTION 'case_birth_before_deportation: the child was born after the date taken'
                USING ERRCODE = '23514';
        END IF;
    ELSE
        IF NEW.date_of_birth IS NOT NULL AND EXISTS (
            SELECT 1 FROM cases_case k
            WHERE k.child_id = NEW.id AND k.deported_on < NEW.date_of_birth
        ) THEN
            RAISE EXCEPTION 'case_birth_before_deportation: the child was born after the date taken'
                USING ERRCODE = '23514';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER case_birth_before_deportation
    BEFORE INSERT OR UPDATE OF deported_on, child_id ON cases_case
    FOR EACH ROW EXECUTE FUNCTION cases_check_birth_before_deportation();
CREATE TRIGGER child_birth_before_deportation
    BEFORE UPDATE OF date_of_birth ON cases_child
    FOR EACH ROW EXECUTE FUNCTION cases_check_birth_before_deportation();
"""

DROP_BIRTH_BEFORE_DEPORTATION = """
DROP TRIGGER IF EXISTS case_birth_before_deportation ON cases_case;
DROP TRIGGER IF EXISTS child_birth_before_deportation ON cases_child;
DROP FUNCTION IF EXISTS cases_check_birth_before_deportation();
"""

TRIGRAM = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX child_search_trgm_idx ON cases_child USING gin (search_text gin_trgm_ops);
CREATE INDEX case_number_trgm_idx ON cases_case USING gin (number gin_trgm_ops);
"""

DROP_TRIGRAM = """
DROP INDEX IF EXISTS child_search_trgm_idx;
DROP INDEX IF EXISTS case_number_trgm_idx;
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        *(_not_future(*spec) for spec in NOT_FUTURE),
        RunSQLOnPostgres(sql=BIRTH_BEFORE_DEPORTATION, reverse_sql=DROP_BIRTH_BEFORE_DEPORTATION),
        RunSQLOnPostgres(sql=TRIGRAM, reverse_sql=DROP_TRIGRAM),
    ]

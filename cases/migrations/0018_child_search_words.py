"""A name search finds cases through the words of their child's search keys, not through
trigrams (PostgreSQL; ``cases.selectors.case_search`` and ``children_search``).

A search word matches a child when it is part of one of the words of the child's search keys
(``Child.search_text``). The trigram index found those children by reading, for every trigram
of the word, the list of children having it: for a family name ending in "-enko", lists that
hold a third of the registry, read whole at every search. Then every matching child's cases
were found by a probe of the index on the child. Both grew with the registry, whatever the
search matched. Now:

- ``cases_child_search_word`` holds every word the search keys of any child have had (some
  ten thousand at a million children), with a trigram index of its own: the words containing
  what was typed are found there, in a table that grows with the names in use, not with the
  children. Words are only added: a word no child has any more matches nobody. Two writers
  adding one new word at once may both add it (no unique index, so neither waits for the
  other); a search reads each word once.
- Each case carries its child's keys as words (``cases_case.search_words``, a column of
  PostgreSQL's only: Django never reads or writes it), with a GIN index: a page of a searched
  list is read from the cases alone, one short list per word, with no probe per child.
- ``string_to_array(search_text, ' ')`` on the children is indexed too, for the children
  themselves (``children_search``).
- Triggers keep both, whichever way a child or a case is written (a save, a bulk insert,
  ``COPY``): a case takes its child's words when it is written or moved to another child; a
  child's new words go to the table of words and to its cases in the statement that writes
  it.

The children's trigram index is dropped: nothing reads it any more, and it was the costliest
index of a child to keep up when children are imported.

Not atomic: the indexes are built concurrently and the cases' words filled in batches, each
its own transaction, so neither table is locked against writes meanwhile. The triggers are
created before the words already there are read, so nothing written meanwhile is missed."""

from typing import Any

from django.db import migrations

from core.db import RunSQLOnPostgres

TRIGGERS = """
CREATE TABLE IF NOT EXISTS cases_child_search_word (word text NOT NULL);
CREATE INDEX IF NOT EXISTS child_search_word_idx ON cases_child_search_word (word);
ALTER TABLE cases_case ADD COLUMN IF NOT EXISTS search_words text[];

CREATE OR REPLACE FUNCTION cases_case_search_words() RETURNS trigger AS $$
BEGIN
    NEW.search_words := (
        SELECT string_to_array(child.search_text, ' ')
        FROM cases_child child WHERE child.id = NEW.child_id
    );
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cases_child_search_words_inserted() RETURNS trigger AS $$
BEGIN
    INSERT INTO cases_child_search_word (word)
    SELECT DISTINCT w
    FROM written, unnest(string_to_array(written.search_text, ' ')) AS w
    WHERE w <> ''
      AND NOT EXISTS (SELECT 1 FROM cases_child_search_word known WHERE known.word = w);
    -- A case written before its child in one transaction (the foreign key is checked at
    -- commit) found no words to take.
    UPDATE cases_case c SET search_words = string_to_array(written.search_text, ' ')
    FROM written WHERE c.child_id = written.id;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cases_child_search_words_updated() RETURNS trigger AS $$
BEGIN
    INSERT INTO cases_child_search_word (word)
    SELECT DISTINCT w
    FROM written
    JOIN previous ON previous.id = written.id
    CROSS JOIN unnest(string_to_array(written.search_text, ' ')) AS w
    WHERE written.search_text IS DISTINCT FROM previous.search_text
      AND w <> ''
      AND NOT EXISTS (SELECT 1 FROM cases_child_search_word known WHERE known.word = w);
    UPDATE cases_case c SET search_words = string_to_array(written.search_text, ' ')
    FROM written JOIN previous ON previous.id = written.id
    WHERE c.child_id = written.id
      AND written.search_text IS DISTINCT FROM previous.search_text;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS case_search_words ON cases_case;
CREATE TRIGGER case_search_words
    BEFORE INSERT OR UPDATE OF child_id ON cases_case
    FOR EACH ROW EXECUTE FUNCTION cases_case_search_words();
DROP TRIGGER IF EXISTS child_search_words_inserted ON cases_child;
CREATE TRIGGER child_search_words_inserted
    AFTER INSERT ON cases_child REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION cases_child_search_words_inserted();
DROP TRIGGER IF EXISTS child_search_words_updated ON cases_child;
CREATE TRIGGER child_search_words_updated
    AFTER UPDATE ON cases_child REFERENCING OLD TABLE AS previous NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION cases_child_search_words_updated();

INSERT INTO cases_child_search_word (word)
SELECT DISTINCT w
FROM cases_child, unnest(string_to_array(cases_child.search_text, ' ')) AS w
WHERE w <> ''
  AND NOT EXISTS (SELECT 1 FROM cases_child_search_word known WHERE known.word = w);
-- Built after the words are in: built whole, not from a list of pending entries.
CREATE INDEX IF NOT EXISTS child_search_word_trgm_idx
    ON cases_child_search_word USING gin (word gin_trgm_ops);
ANALYZE cases_child_search_word;
"""

TRIGGERS_DROPPED = """
DROP TRIGGER IF EXISTS case_search_words ON cases_case;
DROP TRIGGER IF EXISTS child_search_words_inserted ON cases_child;
DROP TRIGGER IF EXISTS child_search_words_updated ON cases_child;
DROP FUNCTION IF EXISTS cases_case_search_words();
DROP FUNCTION IF EXISTS cases_child_search_words_inserted();
DROP FUNCTION IF EXISTS cases_child_search_words_updated();
ALTER TABLE cases_case DROP COLUMN IF EXISTS search_words;
DROP TABLE IF EXISTS cases_child_search_word;
"""

# Cases whose words are filled per transaction.
FILL_BATCH = 50_000


def cases_words_fill(apps: Any, schema_editor: Any) -> None:
    """Every case's words from its child's keys, ``FILL_BATCH`` cases a transaction."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
        (last,) = cursor.fetchone()
        for start in range(0, last + 1, FILL_BATCH):
            cursor.execute(
                "UPDATE cases_case c SET search_words = string_to_array(child.search_text, ' ') "
                "FROM cases_child child WHERE child.id = c.child_id "
                "AND c.id >= %s AND c.id < %s "
                "AND c.search_words IS DISTINCT FROM string_to_array(child.search_text, ' ')",
                [start, start + FILL_BATCH],
            )
        cursor.execute("ANALYZE cases_case")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0017_audit_deleted_child_records_index"),
    ]

    operations = [
        RunSQLOnPostgres(sql=TRIGGERS, reverse_sql=TRIGGERS_DROPPED),
        migrations.RunPython(cases_words_fill, migrations.RunPython.noop, elidable=True),
        RunSQLOnPostgres(
            sql=(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS case_search_words_idx "
                "ON cases_case USING gin (search_words)"
            ),
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS case_search_words_idx",
        ),
        RunSQLOnPostgres(
            sql=(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS child_search_words_idx "
                "ON cases_child USING gin (string_to_array(search_text, ' '))"
            ),
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS child_search_words_idx",
        ),
        RunSQLOnPostgres(
            sql="DROP INDEX CONCURRENTLY IF EXISTS child_search_trgm_idx",
            reverse_sql=(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS child_search_trgm_idx "
                "ON cases_child USING gin (search_text gin_trgm_ops)"
            ),
        ),
    ]

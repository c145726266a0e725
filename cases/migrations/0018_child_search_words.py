"""Finding the children a name search matches through their words, not their trigrams
(PostgreSQL; ``cases.selectors.children_search``).

A search word matches a child when it is part of one of the words of the child's search keys
(``Child.search_text``). The trigram index found those children by reading, for every trigram
of the word, the list of children having it: for a family name ending in "-enko", lists that
hold a third of the registry, read whole at every search, so a search cost more the larger the
registry grew, whatever it matched. Now:

- ``cases_child_search_word`` holds every word the search keys of any child have had (some
  ten thousand at a million children), with a trigram index of its own: the words containing
  what was typed are found there, in a table that grows with the names in use, not with the
  children;
- an index on the search keys split into words (``string_to_array(search_text, ' ')``) finds
  the children having any of those words, one short list per word;
- a trigger adds the words of every child written, whichever way it is written (a save, a bulk
  insert, ``COPY``), in the statement that writes it. Words are only added: a word no child has
  any more matches nobody. Two writers adding one new word at once may both add it (no unique
  index, so neither waits for the other); a search reads each word once.

The children's trigram index is dropped: nothing searches the keys with it any more, and it was
the costliest index of a child to keep up when children are imported.

Built concurrently (``atomic = False``): the children's table is not locked against writes while
the index is built. The trigger is created before the words of the children already there are
read, so no child written meanwhile is missed."""

from django.db import migrations

from core.db import RunSQLOnPostgres

WORDS_TABLE = """
CREATE TABLE IF NOT EXISTS cases_child_search_word (word text NOT NULL);
CREATE INDEX IF NOT EXISTS child_search_word_idx ON cases_child_search_word (word);

CREATE OR REPLACE FUNCTION cases_child_search_words_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO cases_child_search_word (word)
    SELECT DISTINCT w
    FROM written, unnest(string_to_array(written.search_text, ' ')) AS w
    WHERE w <> ''
      AND NOT EXISTS (SELECT 1 FROM cases_child_search_word known WHERE known.word = w);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS child_search_words_inserted ON cases_child;
CREATE TRIGGER child_search_words_inserted
    AFTER INSERT ON cases_child REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION cases_child_search_words_add();
DROP TRIGGER IF EXISTS child_search_words_updated ON cases_child;
CREATE TRIGGER child_search_words_updated
    AFTER UPDATE ON cases_child REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION cases_child_search_words_add();

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

WORDS_TABLE_DROPPED = """
DROP TRIGGER IF EXISTS child_search_words_inserted ON cases_child;
DROP TRIGGER IF EXISTS child_search_words_updated ON cases_child;
DROP FUNCTION IF EXISTS cases_child_search_words_add();
DROP TABLE IF EXISTS cases_child_search_word;
"""


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0017_audit_deleted_child_records_index"),
    ]

    operations = [
        RunSQLOnPostgres(sql=WORDS_TABLE, reverse_sql=WORDS_TABLE_DROPPED),
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

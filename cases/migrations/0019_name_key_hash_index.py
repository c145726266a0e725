"""The name keys' index for matching: a hash index of the key on PostgreSQL, in place of the
B-tree of key and child.

Matching only ever looks a key up by equality (``selectors_matching._SHARED_SQL``). An import
adds some twenty keys a child, scattered over the whole key space: keeping a B-tree of
(key, child) up took most of the keys' write (1.0 of 1.6 CPU seconds for 200,000 keys against
the 0.4 of a hash index), while the candidate query runs as fast on either (the children's ids
are read from the table: recently written rows are not all-visible, so the B-tree's index-only
scans read it too). Lookups by child (a child's keys rewritten or deleted) keep the unique
(child, key) index. Built concurrently: the keys take every write of a child's names."""

from django.db import migrations, models

from core.db import AddHashIndexOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0018_child_search_words"),
    ]

    operations = [
        # The new index first, so matching is never without one.
        AddHashIndexOnPostgres(
            model_name="childnamekey",
            index=models.Index(fields=["key"], name="childnamekey_key_idx"),
        ),
        migrations.RemoveIndex(model_name="childnamekey", name="childnamekey_key_child_idx"),
    ]

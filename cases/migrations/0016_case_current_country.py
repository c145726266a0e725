"""Keep the country of each child's current whereabouts on the child's cases
(``Case.current_country``) so the case list filters by country, and lists the countries it
offers, from one index on the cases instead of joining every case's child and whereabouts. The
column is filled from the current whereabouts before its index is built (building it after the
fill is one sort, not a million inserts).

A deployment that keeps the previous release serving while it migrates (which records
whereabouts without this column) should run the fill once more when the new release serves:
``current_country_fill`` is idempotent."""

import django_countries.fields
from django.db import migrations, models

from core.db import AddIndexConcurrentlyOnPostgres


# Cases filled per statement on PostgreSQL: each batch commits on its own (the migration is not
# atomic), so no lock is held on every case at once and a busy registry keeps working.
FILL_BATCH = 20_000


def current_country_fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Whereabouts = apps.get_model("cases", "Whereabouts")
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT min(id), max(id) FROM cases_case")
            first, last = cursor.fetchone()
            if first is None:
                return
            for start in range(first, last + 1, FILL_BATCH):
                # One join instead of two probes per case.
                cursor.execute(
                    "UPDATE cases_case AS c SET current_country = w.country "
                    "FROM cases_child AS h "
                    "JOIN cases_whereabouts AS w ON w.id = h.current_whereabouts_id "
                    "WHERE h.id = c.child_id AND c.id >= %s AND c.id < %s",
                    [start, start + FILL_BATCH],
                )
        return
    # Elsewhere (SQLite: small databases), one update per country.
    codes = (
        Whereabouts.objects.filter(pk__in=Case.objects.values("child__current_whereabouts"))
        .values_list("country", flat=True)
        .distinct()
    )
    for code in list(codes):
        Case.objects.filter(child__current_whereabouts__country=code).update(current_country=code)


class Migration(migrations.Migration):
    # Not one transaction: the column is added at once (a constant default), the cases are
    # filled in batches, and the index is built without stopping writes (on PostgreSQL).
    atomic = False

    dependencies = [
        ("cases", "0015_case_counts_kept"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="current_country",
            field=django_countries.fields.CountryField(
                blank=True,
                default="",
                editable=False,
                max_length=2,
                verbose_name="child's current country",
            ),
        ),
        migrations.RunPython(current_country_fill, migrations.RunPython.noop, elidable=True),
        AddIndexConcurrentlyOnPostgres(
            model_name="case",
            index=models.Index(
                fields=["current_country", "-updated_at"], name="case_country_updated_idx"
            ),
        ),
    ]

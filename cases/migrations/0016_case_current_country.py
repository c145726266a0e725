"""Keep the country of each child's current whereabouts on the child's cases
(``Case.current_country``) so the case list filters by country, and lists the countries it
offers, from one index on the cases instead of joining every case's child and whereabouts. The
column is filled from the current whereabouts before its index is built (building it after the
fill is one sort, not a million inserts)."""

import django_countries.fields
from django.db import migrations, models


def current_country_fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Whereabouts = apps.get_model("cases", "Whereabouts")
    if schema_editor.connection.vendor == "postgresql":
        # One join instead of two probes per case.
        schema_editor.execute(
            "UPDATE cases_case AS c SET current_country = w.country "
            "FROM cases_child AS h JOIN cases_whereabouts AS w ON w.id = h.current_whereabouts_id "
            "WHERE h.id = c.child_id"
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
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["current_country", "-updated_at"], name="case_country_updated_idx"
            ),
        ),
    ]

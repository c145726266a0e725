"""Recompute every child's search keys in the form search now compares in (``names.search_form``:
Ґ/Г, Є/Е, Ї/І, И/І as one letter; Russified given names and patronymics also keyed by their
Ukrainian forms). The keys are a pure function of the names and aliases, so this only rewrites a
derived column; a batch of children at a time, in id order, so memory stays flat."""

from collections import defaultdict

from django.db import migrations

BATCH_SIZE = 2000


def search_text_recompute(apps, schema_editor, batch_size=BATCH_SIZE):
    from cases.names import search_text

    Child = apps.get_model("cases", "Child")
    ChildAlias = apps.get_model("cases", "ChildAlias")
    last_id = 0
    while True:
        batch = list(
            Child.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .only("pk", "given_name", "family_name", "patronymic", "search_text")[:batch_size]
        )
        if not batch:
            return
        last_id = batch[-1].pk
        aliases = defaultdict(list)
        for child_id, name in ChildAlias.objects.filter(
            child_id__in=[child.pk for child in batch]
        ).values_list("child_id", "name"):
            aliases[child_id].append(name)
        changed = []
        for child in batch:
            keys = search_text(
                [child.given_name, child.family_name, child.patronymic, *aliases[child.pk]]
            )
            if keys != child.search_text:
                child.search_text = keys
                changed.append(child)
        Child.objects.bulk_update(changed, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_field_labels"),
    ]

    operations = [
        migrations.RunPython(search_text_recompute, migrations.RunPython.noop, elidable=True),
    ]

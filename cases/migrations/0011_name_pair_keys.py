from collections import defaultdict

from django.db import migrations
from django.db.models import Q

BACKFILL_BATCH_SIZE = 2000
PAIR_PREFIXES = ("gf:", "gp:", "fp:")


def pair_keys_backfill(apps, schema_editor, batch_size=BACKFILL_BATCH_SIZE):
    """Add the pair keys (``cases.matching.pair_keys``) to every child's name keys, a batch of
    children at a time: the keys are what ``cases.matching`` computes today from the names and
    aliases; the keys a child has already are kept."""
    from cases.matching import record_name_keys

    Child = apps.get_model("cases", "Child")
    ChildAlias = apps.get_model("cases", "ChildAlias")
    ChildNameKey = apps.get_model("cases", "ChildNameKey")
    last_id = 0
    while True:
        batch = list(
            Child.objects.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "given_name", "family_name", "patronymic")[:batch_size]
        )
        if not batch:
            return
        last_id = batch[-1][0]
        aliases = defaultdict(list)
        for child_id, name in ChildAlias.objects.filter(
            child_id__in=[row[0] for row in batch]
        ).values_list("child_id", "name"):
            aliases[child_id].append(name)
        ChildNameKey.objects.bulk_create(
            [
                ChildNameKey(child_id=child_id, key=key)
                for child_id, given, family, patronymic in batch
                for key in sorted(
                    record_name_keys(
                        given_name=given,
                        family_name=family,
                        patronymic=patronymic,
                        alias_names=aliases[child_id],
                    )
                )
                if key.startswith(PAIR_PREFIXES)
            ],
            batch_size=batch_size,
            ignore_conflicts=True,
        )


def pair_keys_remove(apps, schema_editor):
    ChildNameKey = apps.get_model("cases", "ChildNameKey")
    ChildNameKey.objects.filter(
        Q(key__startswith="gf:") | Q(key__startswith="gp:") | Q(key__startswith="fp:")
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_child_merge_external_reference_duplicate_pair"),
    ]

    operations = [
        migrations.RunPython(pair_keys_backfill, pair_keys_remove),
    ]

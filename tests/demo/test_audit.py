"""Demo and synthetic data leave the audit trail every other write path leaves: one ``create``
event per row, on the command's channel, written by ``audit.services``. The bulk generator keeps
the creation times it drew without touching any model field's definition."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.db.models.fields import DateField

from audit.models import AuditEvent
from cases import seeding
from cases.models import Case, Child, ChildAlias, Relative, StatusChange, Whereabouts
from demo.synthetic import synthetic_cases_generate

pytestmark = pytest.mark.django_db

GENERATED = (Case, Child, StatusChange, ChildAlias, Whereabouts)


def _events_since(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))


def _mark() -> int:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def _stamp_flags() -> dict[str, tuple[bool, bool]]:
    return {
        f"{model.__name__}.{field.name}": (field.auto_now, field.auto_now_add)
        for model in GENERATED
        for field in model._meta.concrete_fields
        if isinstance(field, DateField)
    }


def test_demo_cases_record_one_event_per_row_on_the_command_channel(oblasts):
    mark = _mark()
    call_command("load_demo", cases=3, verbosity=0)

    events = _events_since(mark)
    assert {e.channel for e in events} == {"command"}
    written = Counter(e.object_type for e in events if e.action in ("create", "share"))
    assert written["cases.case"] == Case.objects.count()
    assert written["cases.child"] == Child.objects.count()
    assert written["cases.statuschange"] == StatusChange.objects.count()
    assert written["cases.relative"] == Relative.objects.count()


def test_bulk_generator_records_one_event_per_row(oblasts):
    seeding.facilities_load()
    counts_before = {model: model.objects.count() for model in GENERATED}
    mark = _mark()

    synthetic_cases_generate(count=40, seed=7, progress=False, batch_size=20)

    events = _events_since(mark)
    created = Counter(e.object_type for e in events if e.action == "create")
    assert len(events) == sum(created.values())  # nothing but the rows' creations
    for model, before in counts_before.items():
        assert created[model._meta.label_lower] == model.objects.count() - before, model


def test_load_demo_synthetic_events_name_each_row_on_the_command_channel(oblasts):
    seeding.facilities_load()
    mark = _mark()

    call_command("load_demo", synthetic=30, seed=5, batch_size=10, verbosity=0)

    # (The demo organizations that own the cases are made on the first run, by their service.)
    events = [e for e in _events_since(mark) if e.object_type.startswith("cases.")]
    assert {e.channel for e in events} == {"command"}
    assert {e.action for e in events} == {"create"}
    assert len({e.request_id for e in events}) == 1  # one command run
    assert {e.actor_id for e in events} == {None}
    assert {e.actor_label for e in events} == {""}
    assert all(e.changes == {} for e in events)
    assert all(
        e.metadata == {"synthetic": True, "written_by": "load_demo --synthetic"} for e in events
    )
    by_type: dict[str, dict[str, str]] = {}
    for e in events:
        by_type.setdefault(e.object_type, {})[e.object_id] = e.object_repr
    # Cases are labelled by their number, the rest by model and id: never a child's name.
    assert by_type["cases.case"] == {
        str(pk): n for pk, n in Case.objects.values_list("pk", "number")
    }
    assert by_type["cases.child"] == {
        str(pk): f"child #{pk}" for pk in Child.objects.values_list("pk", flat=True)
    }
    for model in (StatusChange, ChildAlias, Whereabouts):
        ids = {str(pk) for pk in model.objects.values_list("pk", flat=True)}
        assert set(by_type.get(model._meta.label_lower, {})) == ids, model


def test_bulk_generator_leaves_the_models_timestamp_fields_as_declared(oblasts, monkeypatch):
    """The drawn creation times reach the rows without switching ``auto_now``/``auto_now_add``
    off: the flags are the declared ones whenever a field stamps a row, and after the run."""
    declared = _stamp_flags()
    assert declared["Case.created_at"] == (False, True)
    assert declared["Case.updated_at"] == (True, False)
    seen: list[tuple[str, bool, bool]] = []
    original = DateField.pre_save

    def watched(self: DateField, model_instance: models.Model, add: bool) -> Any:
        seen.append(
            (f"{type(model_instance).__name__}.{self.name}", self.auto_now, self.auto_now_add)
        )
        return original(self, model_instance, add)

    monkeypatch.setattr(DateField, "pre_save", watched)
    seeding.facilities_load()

    synthetic_cases_generate(count=25, seed=9, progress=False, batch_size=10)

    assert seen  # bulk_create ran the fields' pre_save
    changed = {
        (name, *flags) for name, *flags in seen if declared.get(name, tuple(flags)) != tuple(flags)
    }
    assert not changed
    assert _stamp_flags() == declared
    # ... and the rows still carry the drawn times, spread over years, not the time of the load.
    cases = list(Case.objects.filter(is_synthetic=True).select_related("child"))
    assert len(cases) == 25
    assert len({c.created_at.year for c in cases}) > 1
    assert all(c.updated_at >= c.created_at == c.child.created_at for c in cases)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bulk_generator_copy_path_records_one_event_per_row(oblasts):
    assert connection.vendor == "postgresql"
    seeding.facilities_load()
    mark = _mark()

    call_command("load_demo", synthetic=60, seed=11, batch_size=20, verbosity=0)

    events = _events_since(mark)
    created = Counter(e.object_type for e in events if e.action == "create")
    assert created["cases.case"] == Case.objects.filter(is_synthetic=True).count() == 60
    assert created["cases.child"] == 60
    assert created["cases.statuschange"] == StatusChange.objects.count()
    assert created["cases.childalias"] == ChildAlias.objects.count()
    assert created["cases.whereabouts"] == Whereabouts.objects.count()
    assert all(e.metadata.get("synthetic") for e in events if e.object_type.startswith("cases."))
    # The writer threads carry the command's audit context.
    assert {e.channel for e in events} == {"command"}
    assert len({e.request_id for e in events}) == 1

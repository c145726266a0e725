"""The append-only base (``core.append_only``) on the two models built on it: the audit trail
and a file's chain of custody. Each refuses every change in Python with its own error."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from rest_framework import status

from audit.exceptions import AuditTrailImmutable
from audit.models import Action
from core.append_only import AppendOnlyViolation
from sources.models import CustodyAction, CustodyChainImmutable, CustodyEvent
from tests.factories.audit import AuditEventFactory
from tests.factories.sources import make_source

pytestmark = pytest.mark.django_db


def _audit_event():
    return AuditEventFactory.create(action=Action.UPDATE)


def _custody_event():
    source = make_source()
    return CustodyEvent.objects.create(source=source, action=CustodyAction.VERIFIED, note="kept")


# (a new saved row, a field to try to change, the model's own error)
MODELS = [
    pytest.param(_audit_event, "object_repr", AuditTrailImmutable, id="audit"),
    pytest.param(_custody_event, "note", CustodyChainImmutable, id="custody"),
]

WRITES: list[Any] = [
    pytest.param(lambda row, field: row.save(), id="save-again"),
    # A new instance with a saved row's id, forced to write over it.
    pytest.param(
        lambda row, field: type(row)(pk=row.pk, **{field: "changed"}).save(update_fields=[field]),
        id="update_fields",
    ),
    pytest.param(
        lambda row, field: type(row)(pk=row.pk, **{field: "changed"}).save(force_update=True),
        id="force_update",
    ),
    pytest.param(lambda row, field: row.delete(), id="delete"),
    pytest.param(
        lambda row, field: type(row).objects.filter(pk=row.pk).update(**{field: "changed"}),
        id="queryset-update",
    ),
    pytest.param(
        lambda row, field: type(row).objects.filter(pk=row.pk).delete(), id="queryset-delete"
    ),
    pytest.param(
        lambda row, field: type(row).objects.bulk_update([row], [field]), id="bulk_update"
    ),
    pytest.param(
        lambda row, field: type(row).objects.update_or_create(
            pk=row.pk, defaults={field: "changed"}
        ),
        id="update_or_create",
    ),
]


@pytest.mark.parametrize(("make", "field", "error"), MODELS)
@pytest.mark.parametrize("write", WRITES)
def test_append_only_refuses_every_change(make, field, error, write):
    row = make()
    kept = getattr(row, field)
    setattr(row, field, "changed")
    with pytest.raises(error):
        write(row, field)
    assert getattr(type(row).objects.get(pk=row.pk), field) == kept


@pytest.mark.parametrize(("make", "field", "error"), MODELS)
def test_append_only_adds_rows(make, field, error):
    rows = [make() for _ in range(3)]
    model = type(rows[0])
    assert model.objects.filter(pk__in=[row.pk for row in rows]).count() == 3
    assert model.objects.get_or_create(pk=rows[0].pk) == (rows[0], False)


def test_a_new_row_with_the_id_of_a_saved_one_is_inserted_never_written_over():
    event = _custody_event()
    with pytest.raises(IntegrityError), transaction.atomic():
        CustodyEvent(pk=event.pk, source=event.source, action=CustodyAction.VIEWED).save()
    assert CustodyEvent.objects.get(pk=event.pk).action == CustodyAction.VERIFIED


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AuditTrailImmutable, "audit_trail_immutable"),
        (CustodyChainImmutable, "custody_chain_immutable"),
    ],
)
def test_each_model_keeps_its_own_error(error, code):
    assert issubclass(error, AppendOnlyViolation)
    assert error().code == code
    assert error().status_code == status.HTTP_409_CONFLICT
    assert error().detail != AppendOnlyViolation().detail

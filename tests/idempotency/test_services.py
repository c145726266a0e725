"""The services behind idempotent POSTs: fingerprints, claims, completion and the purge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from idempotency import services, tasks
from idempotency.exceptions import IdempotencyKeyReused
from idempotency.fingerprints import request_fingerprint
from idempotency.models import IdempotencyRecord
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

PATH = "/api/v1/cases/"
NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)


def claim(actor, key="k-1", data=None, path=PATH, method="POST", now=NOW):
    with transaction.atomic():
        return services.idempotency_record_claim(
            actor=actor, key=key, method=method, path=path, data=data or {"a": 1}, now=now
        )


def answered(actor, key="k-1", data=None, now=NOW) -> IdempotencyRecord:
    record, claimed = claim(actor, key=key, data=data, now=now)
    assert claimed
    return services.idempotency_record_complete(
        record=record, status_code=201, body={"id": 7}, headers={"Location": "/x/7/"}
    )


# ---------------------------------------------------------------------------------------------
# Fingerprints
# ---------------------------------------------------------------------------------------------
def test_request_fingerprint_ignores_key_order_and_spacing():
    one = request_fingerprint(method="POST", path=PATH, data={"a": 1, "b": {"c": [1, 2]}})
    two = request_fingerprint(method="post", path=PATH, data={"b": {"c": [1, 2]}, "a": 1})
    assert one == two
    assert len(one) == 64


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("PUT", PATH, {"a": 1}),
        ("POST", "/api/v1/cases/1/transition/", {"a": 1}),
        ("POST", PATH, {"a": 2}),
        ("POST", PATH, {"a": "1"}),
        ("POST", PATH, {"a": 1, "b": None}),
        ("POST", PATH, [{"a": 1}]),
    ],
)
def test_request_fingerprint_changes_with_method_path_or_body(method, path, data):
    base = request_fingerprint(method="POST", path=PATH, data={"a": 1})
    assert request_fingerprint(method=method, path=path, data=data) != base


def test_request_fingerprint_keeps_nothing_of_the_body():
    secret = "Вигаданенко"
    fingerprint = request_fingerprint(method="POST", path=PATH, data={"family_name": secret})
    assert secret not in fingerprint
    assert set(fingerprint) <= set("0123456789abcdef")


# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------
def test_idempotency_record_claim_first_time_claims_a_placeholder():
    actor = UserFactory.create()
    record, claimed = claim(actor)
    assert claimed
    assert record.status_code is None
    assert record.created_at == NOW
    assert record.expires_at == NOW + dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


def test_idempotency_record_claim_finds_the_answer_for_the_same_request():
    actor = UserFactory.create()
    kept = answered(actor)
    record, claimed = claim(actor, now=NOW + dt.timedelta(hours=1))
    assert not claimed
    assert record.pk == kept.pk
    assert (record.status_code, record.body) == (201, {"id": 7})


def test_idempotency_record_claim_other_request_same_key_is_refused():
    actor = UserFactory.create()
    answered(actor)
    with pytest.raises(IdempotencyKeyReused):
        claim(actor, data={"a": 2})
    assert IdempotencyRecord.objects.count() == 1


def test_idempotency_record_claim_expired_record_frees_the_key():
    actor = UserFactory.create()
    old = answered(actor)
    later = NOW + dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    _record, claimed = claim(actor, data={"a": 2}, now=later)
    assert claimed
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_idempotency_record_claim_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.idempotency_record_claim(
            actor=UserFactory.create(), key="k", method="POST", path=PATH, data={}
        )


def test_idempotency_record_complete_keeps_only_successful_answers():
    record, _claimed = claim(UserFactory.create())
    with pytest.raises(ValueError, match="400"):
        services.idempotency_record_complete(record=record, status_code=400, body={}, headers={})


def test_idempotency_record_release_frees_the_key():
    actor = UserFactory.create()
    record, _claimed = claim(actor)
    services.idempotency_record_release(record=record)
    again, claimed = claim(actor, data={"a": 2})
    assert claimed
    assert IdempotencyRecord.objects.get().pk == again.pk


# ---------------------------------------------------------------------------------------------
# Purge
# ---------------------------------------------------------------------------------------------
def test_idempotency_records_purge_deletes_the_expired_only():
    actor = UserFactory.create()
    ttl = dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    expired = [
        answered(actor, key=f"old-{i}", now=NOW - ttl - dt.timedelta(minutes=i)) for i in range(3)
    ]
    live = answered(actor, key="live", now=NOW - ttl + dt.timedelta(minutes=1))

    assert services.idempotency_records_purge(now=NOW) == len(expired)
    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [live.pk]
    assert services.idempotency_records_purge(now=NOW) == 0


def test_purge_expired_task_purges_and_returns_the_count():
    actor = UserFactory.create()
    now = timezone.now()
    ttl = dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
    answered(actor, key="old", now=now - ttl - dt.timedelta(seconds=1))
    answered(actor, key="live", now=now)

    assert tasks.purge_expired.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["live"]
    assert tasks.purge_expired() == 0


def test_purge_expired_task_is_on_the_beat_schedule():
    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.purge_expired.name
    ]
    assert tasks.purge_expired.name == "idempotency.purge_expired"
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, float)
    assert schedule <= 3600

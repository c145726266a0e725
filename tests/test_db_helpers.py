"""``core.db``'s helpers for reads that run beside other work: ``alongside`` (a read on a helper
thread over the caller's own connection) and ``jit_off``."""

from __future__ import annotations

import threading

import pytest
from django.db import DataError, connection, transaction

from cases.models import Child
from core.db import alongside, jit_off
from tests.factories.cases import make_case

pytestmark = pytest.mark.django_db


def _jit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def test_alongside_reads_in_the_callers_transaction(oblasts: None):
    """The work sees what the caller's transaction wrote and has not committed (the test's
    own transaction): on PostgreSQL from a helper thread, elsewhere in the caller's."""
    child = make_case().child
    threads: list[threading.Thread] = []

    def work() -> list[int]:
        threads.append(threading.current_thread())
        return list(Child.objects.filter(pk=child.pk).values_list("pk", flat=True))

    with alongside(work) as read:
        pass
    assert read.result() == [child.pk]
    helper_thread = connection.vendor == "postgresql"
    assert (threads[0] is not threading.current_thread()) is helper_thread
    # The caller's connection is its own again, and still usable.
    assert Child.objects.filter(pk=child.pk).exists()


def test_alongside_gives_back_what_the_work_raised():
    def work() -> int:
        raise LookupError("nothing there")

    with alongside(work) as read:
        pass
    with pytest.raises(LookupError):
        read.result()


def test_jit_off_for_the_block_then_as_it_was():
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor, jit_off(cursor):
            cursor.execute("SELECT 1")  # nothing to turn off
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
        with jit_off(cursor):
            assert _jit() == "off"
    assert _jit() == "on"


def test_jit_off_leaves_a_failed_statement_to_the_rollback():
    if connection.vendor != "postgresql":
        pytest.skip("JIT compilation is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
    # The statement's own error, not one of restoring the setting in a failed transaction.
    with (
        pytest.raises(DataError),
        transaction.atomic(),
        connection.cursor() as cursor,
        jit_off(cursor),
    ):
        cursor.execute("SELECT 1 / 0")
    assert _jit() == "on"


def test_alongside_without_a_helper_runs_the_work_when_asked_in_the_callers_thread():
    threads: list[threading.Thread] = []

    def work() -> int:
        threads.append(threading.current_thread())
        return 7

    with alongside(work, helper=False) as later:
        assert threads == []  # not started while the block runs
    assert later.result() == 7
    assert threads == [threading.current_thread()]

"""The cyclic collector held off during a bulk operation (``core.memory.collection_paused``)."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from core.memory import collection_paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class _Node:
    other: _Node


def test_the_collector_is_off_in_the_block_and_on_after(collector_on: None):
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_cycle_made_in_the_block_is_collected_when_it_ends(collector_on: None):
    freed = threading.Event()
    with collection_paused():
        first, second = _Node(), _Node()
        first.other, second.other = second, first
        weakref.finalize(first, freed.set)
        del first, second
        assert not freed.is_set()
    assert freed.is_set()


def test_the_collector_stays_off_until_the_last_block_leaves(collector_on: None):
    """Blocks on two threads overlap: the first to leave does not turn it on under the other."""
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collection_paused():
            entered.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    assert entered.wait(5)
    with collection_paused():
        pass
    assert not gc.isenabled()
    leave.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_the_collector_is_on_again_when_the_block_raises(collector_on: None):
    with pytest.raises(ValueError, match="inside"), collection_paused():
        raise ValueError("inside")
    assert gc.isenabled()


def test_as_a_decorator_each_call_pauses_it(collector_on: None):
    @collection_paused()
    def work() -> bool:
        return gc.isenabled()

    assert work() is False
    assert work() is False
    assert gc.isenabled()

"""paused_gc: no collection inside the block (re-entrant), the collector back on after it,
and a cycle the block left behind still collected."""

from __future__ import annotations

import gc
import weakref

import pytest

from runner.collector import paused_gc


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_paused_block_and_cycles_left_behind() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # re-entrant: the inner one changes nothing
            assert not gc.isenabled()
        assert not gc.isenabled()
        a, b = Node(), Node()
        a.other, b.other = b, a  # garbage once the names go: only the collector finds it
        gone = weakref.ref(a)
        del a, b
    assert gc.isenabled()
    gc.collect()
    assert gone() is None


def test_collector_back_on_after_an_error() -> None:
    with pytest.raises(ValueError), paused_gc():
        raise ValueError("boom")
    assert gc.isenabled()

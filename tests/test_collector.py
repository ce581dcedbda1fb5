"""paused_gc: no collection inside the block; what it built is promoted without a scan, and a
cycle it left behind is still collected."""

from __future__ import annotations

import gc
import weakref

from runner.collector import paused_gc


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_paused_block_promotes_what_it_kept_and_cycles_are_still_collected() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # re-entrant: the inner one changes nothing
            assert not gc.isenabled()
        assert not gc.isenabled()
        kept = [Node() for _ in range(10_000)]
        a, b = Node(), Node()
        a.other, b.other = b, a  # garbage once the names go: only the collector finds it
        gone = weakref.ref(a)
        del a, b
    assert gc.isenabled()
    assert gc.get_count()[0] < 100  # the young generation was emptied without a scan
    assert all(gc.is_tracked(n) for n in kept[:3])
    assert gone() is not None  # not collected yet: it is in the oldest generation
    gc.collect()
    assert gone() is None

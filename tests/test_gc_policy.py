"""The garbage-collection policy: short pauses, and nothing leaked for good."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from bot import gc_policy


@pytest.fixture
def fresh_gc():
    """Leave the interpreter's collector as it was found."""
    gc_policy.undo()  # whatever an earlier test left
    threshold = gc.get_threshold()
    yield
    gc_policy._saved_threshold = None
    if gc_policy._freeze_survivors in gc.callbacks:
        gc.callbacks.remove(gc_policy._freeze_survivors)
    gc.set_threshold(*threshold)
    gc.unfreeze()
    gc.collect()


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_after_startup_freezes_what_exists_and_collects_full_more_often(fresh_gc) -> None:
    kept = [Node() for _ in range(10)]
    gc_policy.after_startup()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold()[2] == gc_policy.FULL_EVERY
    assert gc_policy._freeze_survivors in gc.callbacks


def test_a_full_collection_freezes_its_survivors(fresh_gc) -> None:
    """So the next full collection walks only what came after it."""
    gc_policy.after_startup()
    frozen = gc.get_freeze_count()
    survivors = [Node() for _ in range(50_000)]
    gc.collect()
    # (frozen objects freed meanwhile leave the count: a few hundred from earlier tests)
    assert gc.get_freeze_count() >= frozen + 0.9 * len(survivors)


def test_a_sweep_frees_cycles_that_died_while_frozen(fresh_gc) -> None:
    gc_policy.after_startup()
    node = Node()
    gone = weakref.ref(node)
    gc.collect()
    gc.freeze()  # as a large full collection would have, while it was alive
    del node
    gc.collect()
    assert gone() is not None  # frozen: the cycle outlives its last reference
    pause = gc_policy.sweep()
    assert gone() is None and pause >= 0
    assert gc.get_freeze_count() > 0  # the rest is frozen again


def test_the_sweeper_waits_for_a_quiet_moment_but_not_forever() -> None:
    now = [0.0]
    sweeper = gc_policy.Sweeper(idle=60, gap=1800, overdue=6 * 3600, clock=lambda: now[0])
    now[0] = 1000
    assert not sweeper.due()  # too soon after the last sweep
    now[0] = 1800
    sweeper.activity()
    now[0] = 1830
    assert not sweeper.due()  # students are active
    now[0] = 1860
    assert sweeper.due()  # a minute of quiet
    assert sweeper.maybe_sweep() is not None
    assert not sweeper.due()
    for minute in range(1, 6 * 60 + 1):  # a bot that is never idle still gets swept
        now[0] = 1860 + minute * 60
        sweeper.activity()
        if sweeper.due():
            break
    assert now[0] - 1860 == 6 * 3600


def test_the_sweeper_thread_sweeps_when_due_and_stops() -> None:
    now = [0.0]
    sweeper = gc_policy.Sweeper(idle=1, gap=1, overdue=100, clock=lambda: now[0])
    swept = threading.Event()
    original = sweeper.maybe_sweep

    def watched() -> float | None:
        pause = original()
        if pause is not None:
            swept.set()
        return pause

    sweeper.maybe_sweep = watched  # type: ignore[method-assign]
    sweeper.start(every=0.01)
    try:
        assert not swept.wait(0.1)  # not due: nothing happens
        now[0] = 5.0  # quiet for a while
        assert swept.wait(5)
    finally:
        sweeper.stop()
    assert sweeper.last_sweep == 5.0


def test_undo_leaves_the_collector_as_start_up_found_it(fresh_gc) -> None:
    """A stopped bot (tests start dozens) must not leave the process frozen: frozen objects are
    invisible to gc.get_referrers, and Hypothesis warned about its own PRNG because of it."""
    before = gc.get_threshold()
    gc_policy.after_startup()
    held = Node()
    assert gc.get_freeze_count() > 0
    gc_policy.undo()
    assert gc.get_threshold() == before
    assert gc_policy._freeze_survivors not in gc.callbacks
    assert gc.get_freeze_count() == 0
    assert gc.get_referrers(held.me)  # visible again


async def test_a_closed_bot_undoes_its_collector_policy(tmp_path) -> None:
    from bot.app import create_bot
    from bot.config import Settings

    before = gc.get_threshold()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", _env_file=None)
    bot = create_bot(settings)
    gc_policy.after_startup()  # as setup_hook does once everything is loaded
    await bot.close()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

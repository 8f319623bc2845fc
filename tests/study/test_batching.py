"""The group-commit batcher on its own: who goes in which batch, and who gets which result."""

from __future__ import annotations

import asyncio

import pytest

from bot.study.batching import Batcher


class Writes:
    """A write that records its batches; ``hold`` keeps the next one open until released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.hold: asyncio.Event | None = None

    async def __call__(self, items: list[str]) -> list[str | BaseException]:
        self.batches.append(list(items))
        if self.hold is not None:
            await self.hold.wait()
        if "boom" in items and len(items) > 1:
            raise RuntimeError("the whole batch failed")
        return [ValueError(item) if item.startswith("bad") else item.upper() for item in items]


async def test_the_first_write_goes_alone_and_what_arrives_meanwhile_goes_together() -> None:
    writes = Writes()
    writes.hold = asyncio.Event()
    batcher = Batcher(writes, most=10)
    first = asyncio.ensure_future(batcher("a"))
    await asyncio.sleep(0)  # "a" is being written, held open
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(batcher(x)) for x in "bcd"]
    await asyncio.sleep(0)
    assert writes.batches == [["a"]]  # nobody waited for company
    writes.hold.set()
    assert await first == "A"
    assert [await f for f in later] == ["B", "C", "D"]
    assert writes.batches == [["a"], ["b", "c", "d"]]


async def test_a_batch_holds_at_most_most() -> None:
    writes = Writes()
    batcher = Batcher(writes, most=3)
    results = await asyncio.gather(*(batcher(str(k)) for k in range(8)))
    assert results == [str(k) for k in range(8)]
    assert [len(b) for b in writes.batches] == [3, 3, 2]


async def test_an_item_that_fails_fails_alone() -> None:
    writes = Writes()
    batcher = Batcher(writes, most=10)
    results = await asyncio.gather(
        batcher("a"), batcher("bad"), batcher("c"), return_exceptions=True
    )
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad"
    assert writes.batches == [["a", "bad", "c"]]  # one write: the exception was its answer


async def test_a_batch_that_fails_is_written_again_one_by_one() -> None:
    writes = Writes()
    batcher = Batcher(writes, most=10)
    results = await asyncio.gather(batcher("a"), batcher("boom"), batcher("c"))
    assert results == ["A", "BOOM", "C"]  # alone, "boom" is fine
    assert writes.batches == [["a", "boom", "c"], ["a"], ["boom"], ["c"]]


async def test_a_caller_that_stops_waiting_does_not_stop_the_write() -> None:
    writes = Writes()
    writes.hold = asyncio.Event()
    batcher = Batcher(writes, most=10)
    impatient = asyncio.ensure_future(batcher("a"))
    patient = asyncio.ensure_future(batcher("b"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    impatient.cancel()
    writes.hold.set()
    assert await patient == "B"
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert writes.batches == [["a", "b"]]  # "a" was written all the same


def test_each_event_loop_starts_afresh() -> None:
    """A batcher made in one loop (a bot restarted in the same process, a test) works in the
    next: nothing waits on a future of a closed loop."""
    writes = Writes()
    batcher = Batcher(writes, most=10)
    assert asyncio.run(batcher("a")) == "A"
    assert asyncio.run(batcher("b")) == "B"


async def test_cancelling_the_writer_cancels_its_waiters() -> None:
    """The loop closing mid-write: every caller hears of it, none waits forever."""
    writes = Writes()
    writes.hold = asyncio.Event()
    batcher = Batcher(writes, most=1)
    waiting = [asyncio.ensure_future(batcher(x)) for x in "ab"]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert batcher._drainer is not None
    batcher._drainer.cancel()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)

"""Group commit: writes that would each wait their turn for the database go through together.

On SQLite every transaction takes the one write lock, so when 1,000 students answer at once
their gradings queue on the one connection, and each pays a transaction and a dozen statements
of its own. A `Batcher` lets the first write start at once, alone, and gathers whatever
arrives while it runs into the next batch, written in one transaction with a few statements for
the whole batch: the queue drains faster the longer it is, and an idle bot waits for nothing.

A batch that fails is written again one item at a time, so one bad item (an expired token, a
grading that lost a race) fails alone and the others are written as if each had come alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Batcher"]

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Run ``write(items)`` for items submitted one by one (`__call__`), at most ``most`` per
    batch; ``write`` returns one result or exception per item, in order, or raises for the
    whole batch (then each item is written again alone)."""

    def __init__(
        self, write: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]], *, most: int
    ) -> None:
        self._write = write
        self.most = most
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        """Write ``item`` with whatever else is waiting; its own result or exception."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests, a restarted bot): start afresh
            self._loop, self._waiting, self._drainer = loop, [], None
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
                results = await self._write_batch([item for item, _ in batch])
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # its caller gave up waiting; the write stands
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        except BaseException as exc:  # cancelled (the loop closing): nobody waits forever
            for _, future in batch + self._waiting:
                if future.done():
                    continue
                if isinstance(exc, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(exc)
            self._waiting = []
            raise
        finally:
            self._drainer = None

    async def _write_batch(self, items: list[T]) -> Sequence[R | BaseException]:
        try:
            results = await self._write(items)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if len(items) == 1:
                return [exc]
            return [await self._write_one(item) for item in items]
        if len(results) != len(items):
            raise RuntimeError(f"a batch of {len(items)} gave {len(results)} results")
        return results

    async def _write_one(self, item: T) -> R | BaseException:
        try:
            (result,) = await self._write([item])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return exc
        return result

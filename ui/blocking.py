"""Blocking work (embedding, retrieval, LLM calls, ingestion) off the event loop.

Handlers never run such work on the loop, so one slow question does not hold up the
others. The wait is abandoned when the request's deadline cancels it: a thread cannot be
stopped, so the work runs to its end in the background and its result is dropped, but
the client gets its 504 on time instead of when the work happens to finish.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import ParamSpec, TypeVar, cast

import anyio
import anyio.to_thread

P = ParamSpec("P")
T = TypeVar("T")


async def run_blocking(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    call = functools.partial(fn, *args, **kwargs)
    return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)


async def iterate_blocking(items: Iterator[T], timeout_s: float) -> AsyncIterator[T]:
    """A blocking iterator's items, each fetched in a thread; `TimeoutError` after ``timeout_s``."""
    deadline = anyio.current_time() + timeout_s
    done = object()
    while True:
        with anyio.fail_after(max(deadline - anyio.current_time(), 0)):
            item = await run_blocking(next, items, done)
        if item is done:
            return
        yield cast(T, item)

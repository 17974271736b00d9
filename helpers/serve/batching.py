"""Batching: requests that arrive while the model is busy are decoded together; the webhook's queue.

Taught in: 06_deployment (batching makes throughput grow with concurrency).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..messenger import SeenMessages

log = logging.getLogger("talk_like_you.serve")


class WebhookQueue:
    """Messenger messages waiting for a reply, worked off in the background.

    The webhook answers Facebook at once (it retries anything slower than a few seconds) and
    :meth:`offer`s the messages here; ``workers`` tasks call ``answer(sender, text)`` for each.
    A message id seen in the last hour is not queued again; when the queue is full, messages
    are dropped and counted. The counters appear on ``/healthz``. Taught in: 06_deployment.
    """

    def __init__(self, answer: Callable[[str, str], Any], maxsize: int = 10_000, workers: int = 16):
        self.answer, self.maxsize, self.workers = answer, maxsize, workers
        self.seen = SeenMessages()
        self.counts = {"queued": 0, "answered": 0, "failed": 0, "duplicates": 0, "dropped": 0}
        self._queue: asyncio.Queue | None = None
        self._tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self._queue = asyncio.Queue(self.maxsize)
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self.workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    @property
    def pending(self) -> int:
        return self._queue.qsize() if self._queue is not None else 0

    def offer(self, events: list[tuple[str, str, str | None]]) -> dict:
        """Queue new messages; return how many were received, queued, seen before and dropped."""
        if self._queue is None:
            self.start()
        queued = duplicates = dropped = 0
        for sender_id, text, mid in events:
            if not self.seen.first_time(mid):
                duplicates += 1
                continue
            try:
                self._queue.put_nowait((sender_id, text))
                queued += 1
            except asyncio.QueueFull:
                dropped += 1
        for name, n in (("queued", queued), ("duplicates", duplicates), ("dropped", dropped)):
            self.counts[name] += n
        if dropped:
            log.warning("webhook queue full (%d waiting): %d messages dropped", self.maxsize, dropped)
        return {"received": len(events), "queued": queued, "duplicates": duplicates, "dropped": dropped}

    async def _work(self) -> None:
        while True:
            sender_id, text = await self._queue.get()
            try:
                ok = await self.answer(sender_id, text)
            except Exception as err:  # noqa: BLE001 - a worker must outlive any one message
                log.warning("webhook reply failed: %s", type(err).__name__)
                ok = False
            finally:
                self._queue.task_done()
            self.counts["answered" if ok else "failed"] += 1


class Batcher:
    """Collect concurrent requests and run them as batches on one worker thread.

    ``await submit(key, item)`` queues ``item``; a single consumer takes the first queued
    item, everything else already queued (up to ``max_batch``), waits ``window`` seconds
    for stragglers (up to ``crowd_window`` while fewer than the last cycle's crowd have come: the last batch plus
    what queued while it ran, so 16 clients are decoded as one batch of 16 instead of alternating halves of 8, and
    a lone client never waits), groups the items by ``key`` (requests with the same decoding options)
    and calls ``function(key, items)`` once per group on ``executor``; it must return one
    result per item. Under load, requests pile up while the model is busy, so batches grow
    with concurrency and the per-request cost falls. When a batch call raises, its items are
    run again one at a time, so one bad request (an empty message) fails alone and the
    others still get their answers. Taught in: 06_deployment.
    """

    def __init__(
        self,
        function: Callable[[Any, list], list],
        executor: ThreadPoolExecutor,
        max_batch: int = 64,
        window: float = 0.002,
        crowd_window: float = 0.025,
    ):
        self.function, self.executor, self.max_batch, self.window = function, executor, max_batch, window
        self.crowd_window = max(crowd_window, window)
        self.crowd = 1  # requests per cycle: the last batch plus what queued while it ran
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.batches: list[int] = []  # sizes of recent batches (for /healthz and the notebook)

    def start(self) -> None:
        """Start the consumer on the running event loop (``submit`` also starts it, on a new loop too)."""
        self.loop = asyncio.get_running_loop()
        self.queue = asyncio.Queue()
        self.task = self.loop.create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None and self.loop is asyncio.get_running_loop():
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass

    async def submit(self, key, item):
        if self.loop is not asyncio.get_running_loop() or self.task is None or self.task.done():
            self.start()
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((key, item, future))
        return await future

    async def _collect(self) -> list:
        batch = [await self.queue.get()]
        start = asyncio.get_running_loop().time()
        deadline, crowd_deadline = start + self.window, start + self.crowd_window
        target = min(self.crowd, self.max_batch)
        while len(batch) < self.max_batch:
            if not self.queue.empty():
                batch.append(self.queue.get_nowait())
                continue
            limit = crowd_deadline if len(batch) < target else deadline
            remaining = limit - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self.queue.get(), remaining))
            except asyncio.TimeoutError:
                break
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            groups = defaultdict(list)
            running = len(batch)
            for key, item, future in batch:
                if not future.cancelled():
                    groups[key].append((item, future))
            for key, members in groups.items():
                self.batches = (self.batches + [len(members)])[-1000:]
                try:
                    results = await loop.run_in_executor(self.executor, self.function, key, [m[0] for m in members])
                except Exception as err:  # noqa: BLE001 - handed to the waiting request(s)
                    if len(members) == 1:
                        if not members[0][1].done():
                            members[0][1].set_exception(err)
                        continue
                    for item, future in members:  # find the culprit: one call per request
                        try:
                            result = (await loop.run_in_executor(self.executor, self.function, key, [item]))[0]
                        except Exception as single:  # noqa: BLE001
                            if not future.done():
                                future.set_exception(single)
                        else:
                            if not future.done():
                                future.set_result(result)
                    continue
                for (_, future), result in zip(members, results):
                    if not future.done():
                        future.set_result(result)
            self.crowd = running + self.queue.qsize()

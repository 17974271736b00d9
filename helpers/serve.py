"""The web service: chatbot, emoji suggester and text generator behind one FastAPI app.

``python -m helpers.serve`` (``make serve``) loads the zoo models once, warms them up and
serves on http://127.0.0.1:8000:

- ``POST /api/chat`` ``{"message": "..."}`` -> ``{"reply": "...", "emoji": [...]}``
- ``GET /api?sentence=...`` -> ``{"data": [{"in": ..., "out": ...}]}`` (the original book's API)
- ``POST /api/emoji`` -> top-k emoji with scores; ``POST /api/generate`` -> char-RNN text
- ``GET /healthz``, ``GET /openapi.json`` (``/docs`` needs internet for its scripts)
- ``GET /``: the chat page (one HTML file, no build step, no CDN)
- ``GET/POST /webhook/messenger``: Facebook Messenger (``helpers.messenger``)

Other commands: ``python -m helpers.serve export DIR`` (TF Serving SavedModels,
``helpers.tf_export``) and ``python -m helpers.serve bot --export PATH --me NAME``
(train your own bot and serve it, ``helpers.your_bot``). Taught in: 06_deployment.

How it stays fast on 2 cores: model calls run on one worker thread (TensorFlow uses
both cores inside each call), never through ``model.predict``. Chat requests that arrive
while the model is busy wait in a queue and are decoded together as one batch
(:class:`Batcher`), so throughput grows with concurrency. How it stays up under abuse:
bodies over ``max_body`` bytes get 413, messages over ``MAX_CHARS`` and out-of-range
options 422, clients over their rate 429, slow model calls 503; every error is JSON.
Message contents are never logged: the access log shows method, path, status and time only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import uvicorn
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import char_rnn, chatbot, emoji_suggest, paths, zoo
from .messenger import (
    SIGNATURE_HEADER,
    MessengerConfig,
    SeenMessages,
    SendClient,
    message_events,
    signature_ok,
    verify_challenge,
)
from .setup import check_versions, quiet_native_stderr
from .tf_export import export_all
from .your_bot import load_chatbot, train_your_bot

log = logging.getLogger("talk_like_you.serve")
STATIC = Path(__file__).resolve().parent / "static"
GENERATORS = {"shakespeare": "03_char_rnn/shakespeare", "python": "03_char_rnn/python"}
MAX_GENERATE = 1000  # characters one /api/generate call may ask for
MAX_START = 200  # characters of its start text
MAX_EMOJI = 10  # emoji one call may ask for
MAX_SEED = 2**31 - 1


# --------------------------------------------------------------------------- settings and models


@dataclass(frozen=True)
class Settings:
    """Everything that can be tuned from the command line; the defaults suit a laptop. Taught in: 06_deployment."""

    host: str = "127.0.0.1"
    port: int = 8000
    bot: str = chatbot.ZOO_NAME  # zoo name, or a folder with a saved bot (``make bot``)
    generators: tuple[str, ...] = tuple(GENERATORS)
    rate: float = 20.0  # requests per second per client on /api (0: no limit)
    burst: int = 40  # requests a client may send at once before the rate applies
    max_body: int = 64 * 1024  # bytes
    max_batch: int = 64  # chat/emoji requests decoded together
    batch_window_ms: float = 2.0  # wait this long for more requests before decoding a batch
    timeout_s: float = 10.0  # a model call slower than this answers 503
    max_pending_generations: int = 4  # /api/generate calls queued or running before 429
    webhook_queue: int = 10_000  # Messenger messages waiting for a reply; more are dropped (and logged)
    webhook_workers: int = 16  # replies worked on at once (they are decoded in the same batches)
    messenger: MessengerConfig = field(default_factory=MessengerConfig.from_env)


class Models:
    """The loaded models, shared by every request. Taught in: 06_deployment.

    ``bot`` is a :class:`helpers.chatbot.ChatBot`, ``suggester`` an
    :class:`helpers.emoji_suggest.EmojiSuggester`, ``generators`` maps a corpus name to a
    :class:`helpers.char_rnn.FastGenerator`.
    """

    def __init__(self, bot, suggester, generators: dict):
        self.bot, self.suggester, self.generators = bot, suggester, dict(generators)

    @classmethod
    def load(cls, bot: str = chatbot.ZOO_NAME, generators=tuple(GENERATORS), progress: Callable = print) -> "Models":
        """Load (checksum-verified) and warm up every model; ``bot`` is a zoo name or a ``make bot`` folder."""

        start = time.perf_counter()
        with quiet_native_stderr():  # loading runs models too (the suggester reads the emoji keywords' sentiment)
            chat = load_chatbot(bot)
            suggester = emoji_suggest.EmojiSuggester.from_zoo()
        gens = {}
        for corpus in generators:
            if corpus not in GENERATORS:
                raise ValueError(f"unknown generator {corpus!r}: choose from {', '.join(GENERATORS)}")
            name = GENERATORS[corpus]
            gens[corpus] = char_rnn.FastGenerator(zoo.load(name), zoo.card(name)["vocabulary"])
        models = cls(chat, suggester, gens)
        progress(
            f"models loaded in {time.perf_counter() - start:.1f} s: {chat}, {suggester}, "
            f"generators {', '.join(gens) or 'none'}"
        )
        start = time.perf_counter()
        with quiet_native_stderr():  # TensorFlow's one-time native notes on the first run of each op
            models.warm_up()
        progress(f"warmed up in {time.perf_counter() - start:.1f} s")
        return models

    def warm_up(self) -> None:
        """Trace every ``tf.function`` once (batch sizes 1 and 2, and the API's default beam width): the first
        user waits no longer than the next."""
        for batch in (["hello"], ["hello", "how are you?"]):
            replies = self.bot.replies(batch)
            self.suggester.suggest_batch(replies, k=3)
        if self.bot.decoder is not None:
            self.bot.reply("hello", method="sample")
            for width in sorted({2, ChatRequest.model_fields["beam_width"].default}):
                self.bot.reply("hello", method="beam", beam_width=width)
        for generator in self.generators.values():
            generator.generate("a", length=5)


# --------------------------------------------------------------------------- batching and limits


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
    for stragglers, groups the items by ``key`` (requests with the same decoding options)
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
    ):
        self.function, self.executor, self.max_batch, self.window = function, executor, max_batch, window
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
        deadline = asyncio.get_running_loop().time() + self.window
        while len(batch) < self.max_batch:
            if not self.queue.empty():
                batch.append(self.queue.get_nowait())
                continue
            remaining = deadline - asyncio.get_running_loop().time()
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


class RateLimiter:
    """A token bucket per client: ``burst`` requests at once, then ``rate`` per second.

    ``allow(client)`` returns 0 when the request may go ahead, else the seconds to wait.
    ``rate=0`` turns limiting off. Taught in: 06_deployment.
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic, max_clients: int = 10_000):
        self.rate, self.burst, self.clock, self.max_clients = float(rate), max(1, int(burst)), clock, max_clients
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, client: str) -> float:
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens, last = self.buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if len(self.buckets) >= self.max_clients and client not in self.buckets:
            # forget clients whose buckets are full again (idle ones); keeps memory bounded
            self.buckets = {c: (t, s) for c, (t, s) in self.buckets.items() if t + (now - s) * self.rate < self.burst}
        if tokens < 1.0:
            self.buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.rate
        self.buckets[client] = (tokens - 1.0, now)
        return 0.0


class BodyTooLarge(HTTPException):
    """413: the request body passed the server's ``max_body``. Taught in: 06_deployment."""

    def __init__(self, max_body: int):
        super().__init__(413, f"request body larger than {max_body:,} bytes")


class BodyLimit:
    """ASGI middleware: a request body stops being read, with 413, once it passes ``max_body`` bytes.

    The guard in :func:`create_app` already refuses a too-large ``Content-Length``; this catches
    bodies sent without one (chunked), which would otherwise be read into memory whole.
    Taught in: 06_deployment.
    """

    def __init__(self, app, max_body: int):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        await self.app(scope, limited_receive, send)


# --------------------------------------------------------------------------- request and response schemas


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _message(description: str = "the message"):
    return Field(
        min_length=1, max_length=chatbot.MAX_CHARS, description=f"{description}: 1 to {chatbot.MAX_CHARS:,} characters"
    )


class ChatRequest(Strict):
    message: str = _message()
    method: Literal["rank", "greedy", "beam", "sample"] | None = Field(
        None, description="rank (generate, then rank: the default when the bot has a selector), greedy, beam or sample"
    )
    beam_width: int = Field(4, ge=1, le=8)
    temperature: float = Field(0.8, gt=0, le=2.0)
    top_k: int = Field(20, ge=0, le=200)
    seed: int = Field(0, ge=0, le=MAX_SEED)
    max_len: int | None = Field(None, ge=1, le=100, description="reply tokens (capped by the model's limit)")
    emoji: int = Field(3, ge=0, le=MAX_EMOJI, description="emoji to suggest for the reply")


class EmojiScore(BaseModel):
    emoji: str
    score: float


class EmojiWhy(EmojiScore):
    name: str = Field(description="the emoji's CLDR name")
    mood: float = Field(description="how well its sentiment fits the message's (weighted term of the score)")
    topic: float = Field(description="how close it comes to the message's words (weighted term)")
    habit: float = Field(description="how often it is used at all (weighted term)")


class ChatResponse(BaseModel):
    reply: str
    emoji: list[EmojiScore]


class EmojiRequest(Strict):
    message: str = _message()
    k: int = Field(5, ge=1, le=MAX_EMOJI)
    why: bool = Field(False, description="also say why each emoji was chosen: its mood, topic and habit terms")


class EmojiResponse(BaseModel):
    emoji: list[EmojiWhy | EmojiScore]


class GenerateRequest(Strict):
    corpus: Literal["shakespeare", "python"] = "shakespeare"
    start: str = Field("ROMEO:", min_length=1, max_length=MAX_START)
    length: int = Field(200, ge=1, le=MAX_GENERATE)
    temperature: float = Field(0.8, ge=0, le=2.0, description="0 always picks the likeliest character")
    seed: int = Field(0, ge=0, le=MAX_SEED)


class GenerateResponse(BaseModel):
    corpus: str
    text: str


class Pair(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    in_: str = Field(alias="in")
    out: str


class BookResponse(BaseModel):
    data: list[Pair]


# --------------------------------------------------------------------------- the app
def create_app(settings: Settings | None = None, models: Models | None = None):
    """Build the FastAPI app. ``models=None`` loads them at start-up (``Models.load``); tests pass their own.

    Taught in: 06_deployment.
    """
    settings = settings or Settings()
    state: dict[str, Any] = {"models": models, "started": time.time()}
    model_thread = ThreadPoolExecutor(1, thread_name_prefix="model")
    generator_thread = ThreadPoolExecutor(1, thread_name_prefix="generator")
    limiter = RateLimiter(settings.rate, settings.burst)
    pending_generations = {"n": 0}
    sender = SendClient(settings.messenger)

    def scored(rows) -> list[list[dict]]:
        return [[{"emoji": e, "score": round(s, 4)} for e, s in row] for row in rows]

    def chat_batch(key, messages: list[str]) -> list[dict]:
        """One decoding call for every queued message with the same options (runs on the model thread)."""
        method, beam_width, temperature, top_k, seed, max_len, k = key
        m = state["models"]
        replies = m.bot.replies(
            messages,
            method=method,
            beam_width=beam_width,
            temperature=temperature,
            top_k=top_k,
            seed=seed,
            max_len=max_len,
        )
        emoji = scored(m.suggester.suggest_batch(replies, k=k)) if k else [[] for _ in replies]
        return [{"reply": r, "emoji": em} for r, em in zip(replies, emoji)]

    def emoji_batch(key, messages: list[str]) -> list[list[dict]]:
        k, why = key
        suggester = state["models"].suggester
        if not why:
            return scored(suggester.suggest_batch(messages, k=k))
        return [
            [
                {
                    "emoji": e["emoji"],
                    "score": round(e["probability"], 4),
                    "name": e["name"],
                    **{part: e[part] for part in ("mood", "topic", "habit")},
                }
                for e in row
            ]
            for row in suggester.explain_batch(messages, k=k)
        ]

    window = settings.batch_window_ms / 1000
    chats = Batcher(chat_batch, model_thread, settings.max_batch, window)
    emojis = Batcher(emoji_batch, model_thread, settings.max_batch, window)

    async def answer(sender_id: str, text: str) -> bool:
        """Decode a reply to one Messenger message and send it; log (without the text) what went wrong."""
        try:
            result = await call(chats, greedy_key(), text)
        except (ValueError, HTTPException) as err:
            log.warning("webhook: no reply decoded (%s)", getattr(err, "status_code", type(err).__name__))
            return False
        status, attempts = await sender.send(sender_id, result["reply"])
        if not 200 <= status < 300:
            log.warning("Send API answered %s after %d attempt(s)", status or "nothing (unreachable)", attempts)
        return 200 <= status < 300

    webhook = WebhookQueue(answer, settings.webhook_queue, settings.webhook_workers)

    @asynccontextmanager
    async def lifespan(app):
        if state["models"] is None:
            state["models"] = await asyncio.get_running_loop().run_in_executor(
                model_thread, lambda: Models.load(settings.bot, settings.generators, progress=log.info)
            )
        chats.start()
        emojis.start()
        webhook.start()
        if not settings.messenger.enabled:
            log.warning("Messenger webhook disabled: set %s to enable it", ", ".join(settings.messenger.missing))
        yield
        await webhook.stop()
        await sender.aclose()
        await chats.stop()
        await emojis.stop()  # the worker threads stay: a test client may start the app again

    app = FastAPI(
        title="Talk Like You",
        version="1.0",
        description="A chatbot that talks like you, emoji suggestions and a character-level text "
        "generator, from the Talk Like You cookbook (notebook 06_deployment).",
        lifespan=lifespan,
    )

    # ------------------------------------------------------------ errors: always JSON, never the message text
    def error(status: int, message: str, details=None, headers=None) -> JSONResponse:
        body = {"error": {"status": status, "message": message}}
        if details:
            body["error"]["details"] = details
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError):
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]  # "input" is left out: it would echo the message back
        return error(422, "the request does not match the API schema (see /openapi.json)", details)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        return error(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(ValueError)
    async def on_value(request: Request, exc: ValueError):  # EmptyMessage and option errors from the helpers
        return error(422, str(exc))

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception):
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        return error(500, "internal error (logged on the server)")

    # ------------------------------------------------------------ middleware: body limit, rate limit, access log
    app.add_middleware(BodyLimit, max_body=settings.max_body)  # added first, so it sits inside the guard below

    @app.middleware("http")
    async def guard(request: Request, call_next):
        start = time.perf_counter()
        path = _printable(request.url.path)
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return error(400, "invalid Content-Length header")
            if int(length) > settings.max_body:
                return error(413, f"request body larger than {settings.max_body:,} bytes")
        if path.startswith("/api"):
            wait = limiter.allow(request.client.host if request.client else "unknown")
            if wait:
                log.info("%s %s 429", request.method, path)
                return error(429, "too many requests: slow down", headers={"Retry-After": str(math.ceil(wait))})
        response = await call_next(request)
        log.info("%s %s %d %.1f ms", request.method, path, response.status_code, 1000 * (time.perf_counter() - start))
        return response

    async def call(batcher: Batcher, key, item):
        try:
            return await asyncio.wait_for(batcher.submit(key, item), settings.timeout_s)
        except asyncio.TimeoutError:
            raise HTTPException(503, f"the model took longer than {settings.timeout_s:g} s: try again") from None

    def greedy_key() -> tuple:  # the bot's default method, no emoji
        return (state["models"].bot.default_method, 4, 0.8, 20, 0, state["models"].bot.max_reply, 0)

    # ------------------------------------------------------------ endpoints
    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "chat.html", media_type="text/html")

    @app.head("/healthz", include_in_schema=False)
    async def healthz_head() -> Response:
        """Monitors that only look at the status code."""
        return Response(status_code=200)

    @app.get("/healthz", tags=["service"])
    async def healthz() -> dict:
        """Liveness and what is loaded."""
        m = state["models"]
        recent = chats.batches[-100:]
        return {
            "status": "ok",
            "uptime_s": round(time.time() - state["started"], 1),
            "bot": m.bot.name,
            "generators": sorted(m.generators),
            "messenger": "enabled" if settings.messenger.enabled else "disabled",
            "webhook": {**webhook.counts, "pending": webhook.pending},
            "mean_chat_batch": round(sum(recent) / len(recent), 2) if recent else None,
        }

    @app.post("/api/chat", response_model=ChatResponse, tags=["chat"])
    async def chat(request: ChatRequest):
        """The bot's reply to ``message`` and emoji suggested for the reply."""
        max_len = min(request.max_len or state["models"].bot.max_reply, state["models"].bot.max_reply)
        key = (
            request.method or state["models"].bot.default_method,
            request.beam_width,
            request.temperature,
            request.top_k,
            request.seed,
            max_len,
            request.emoji,
        )
        return await call(chats, key, request.message)  # an empty message fails alone in its batch: 422

    @app.get("/api", response_model=BookResponse, response_model_by_alias=True, tags=["chat"])
    async def book(sentence: str = Query(min_length=1, max_length=chatbot.MAX_CHARS)):
        """The original book's API: ``GET /api?sentence=hi`` -> ``{"data": [{"in": "hi", "out": "..."}]}``."""
        result = await call(chats, greedy_key(), sentence)
        return {"data": [{"in": sentence, "out": result["reply"]}]}

    @app.post("/api/emoji", response_model=EmojiResponse, tags=["emoji"])
    async def emoji(request: EmojiRequest):
        """The ``k`` emoji that fit ``message`` best, with probabilities; with ``why`` also the three terms of each score."""
        return {"emoji": await call(emojis, (request.k, request.why), request.message)}

    @app.post("/api/generate", response_model=GenerateResponse, tags=["generate"])
    async def generate(request: GenerateRequest):
        """Character-level text that continues ``start`` (Shakespeare or Python), at most 1,000 characters."""
        generator = state["models"].generators.get(request.corpus)
        if generator is None:
            raise HTTPException(404, f"the {request.corpus} generator is not loaded on this server")
        if pending_generations["n"] >= settings.max_pending_generations:
            raise HTTPException(429, "the generator is busy: try again in a few seconds", headers={"Retry-After": "2"})
        pending_generations["n"] += 1
        try:
            work = asyncio.get_running_loop().run_in_executor(
                generator_thread,
                lambda: generator.generate(request.start, request.length, request.temperature, seed=request.seed)[0],
            )
            text = await asyncio.wait_for(work, settings.timeout_s)
        except asyncio.TimeoutError:
            raise HTTPException(503, f"generation took longer than {settings.timeout_s:g} s") from None
        finally:
            pending_generations["n"] -= 1
        return {"corpus": request.corpus, "text": text}

    # ------------------------------------------------------------ Messenger
    def messenger_disabled():  # 404: on this server the webhook does not exist
        return error(404, "the Messenger webhook is disabled: set " + ", ".join(settings.messenger.missing))

    @app.get("/webhook/messenger", response_class=PlainTextResponse, tags=["messenger"])
    async def messenger_verify(request: Request):
        """Facebook's one-time check: echo ``hub.challenge`` when ``hub.verify_token`` matches."""
        if not settings.messenger.enabled:
            return messenger_disabled()
        challenge = verify_challenge(dict(request.query_params), settings.messenger.verify_token)
        if challenge is None:
            raise HTTPException(403, "verification failed: wrong hub.mode or hub.verify_token")
        return PlainTextResponse(challenge)

    @app.post("/webhook/messenger", tags=["messenger"])
    async def messenger_events(request: Request):
        """Incoming messages: the body must carry a valid ``X-Hub-Signature-256``; each new text gets a reply.

        The answer comes at once (``received``, ``queued``, ``duplicates``, ``dropped``); the replies are
        decoded and sent in the background (:class:`WebhookQueue`)."""

        if not settings.messenger.enabled:
            return messenger_disabled()
        body = await request.body()  # BodyLimit stops it at max_body bytes
        if not signature_ok(body, request.headers.get(SIGNATURE_HEADER), settings.messenger.app_secret):
            raise HTTPException(403, f"missing or wrong {SIGNATURE_HEADER} signature")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nested too deeply to be an event
            raise HTTPException(400, "the body is not JSON (or is nested too deeply)") from None
        return webhook.offer(message_events(payload))  # 200 at once; the replies are worked off in the background

    app.state.settings, app.state.chats, app.state.emojis, app.state.limiter = settings, chats, emojis, limiter
    app.state.webhook = webhook
    app.state.runtime = state  # {"models": Models or None, "started": time}: tests may hand in models late
    return app


def _printable(text: str, limit: int = 200) -> str:
    """A request path as the log may show it: control characters (a NUL, a newline) escaped, length capped."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", text[:limit])


# --------------------------------------------------------------------------- command line
def serve(settings: Settings, models: Models | None = None) -> None:
    """Run the app with uvicorn until Ctrl-C (uvicorn's own access log is off: it would log query strings).

    Taught in: 06_deployment (``make serve`` runs it).
    """

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for name in ("httpx2", "httpx", "httpcore2", "httpcore"):  # their INFO lines hold the Send API's token
        logging.getLogger(name).setLevel(logging.WARNING)

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets)
            if self.started:  # the socket is bound and accepting: now the address is true
                print(f"Talk Like You serving on http://{settings.host}:{settings.port}/ (Ctrl-C stops)", flush=True)

    config = uvicorn.Config(
        create_app(settings, models),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )
    Server(config).run()


def check_port(host: str, port: int) -> None:
    """Raise ``ValueError`` (one line for the user) when ``host:port`` cannot be served on, before any work starts.

    ``make bot`` checks before it trains, so a busy port is not found only after minutes of training.
    Taught in: 06_deployment.
    """

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            s.bind((host, port))
    except OSError as err:
        raise ValueError(
            f"cannot serve on {host}:{port} ({err.strerror or err}); stop the program using it, "
            f"or choose another port (--port, or make PORT=...)"
        ) from None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now. Taught in: 06_deployment."""

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_in_background(
    args: Sequence[str] = (), log_path: str | Path | None = None, timeout: float = 120.0
) -> tuple[subprocess.Popen, str]:
    """Start ``python -m helpers.serve run --port P ARGS`` as a child process; return it and its URL once
    ``/healthz`` answers.

    Its output goes to ``log_path`` (default ``generated/logs/server.log``). If the server exits or stays
    silent for ``timeout`` seconds, it is stopped and ``RuntimeError`` shows the end of its log. Stop it
    with ``process.terminate()``. Used by notebook 06, the browser test and the benchmark.
    Taught in: 06_deployment.
    """

    port = free_port()
    log_path = Path(log_path) if log_path else paths.generated("logs", "server.log")
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "helpers.serve", "run", "--port", str(port), *args],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=paths.ROOT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return process, url
        except OSError:  # not listening yet
            time.sleep(0.3)
    process.kill()
    process.wait()
    raise RuntimeError(
        f"the server did not start within {timeout:g} s; the end of {log_path}:\n"
        + log_path.read_text(errors="replace")[-2000:]
    )


def parse_args(argv=None) -> argparse.Namespace:
    """The command line of :func:`main`. Server options work before or after ``run``/``bot``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.serve", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="serve the models (the default command)")
    export = sub.add_parser("export", help="write TF Serving SavedModels of the chatbot and the emoji suggester")
    export.add_argument("dir", type=Path)
    bot = sub.add_parser("bot", help="parse your chat export, train your bot (workshop size) and serve it")
    bot.add_argument("--export", dest="paths", required=True, nargs="+", type=Path, help="export files or folders")
    bot.add_argument("--me", required=True, help="your name exactly as the app shows it")
    bot.add_argument("--out", type=Path, default=None, help="where to save the bot (default generated/your_bot)")
    bot.add_argument("--minutes", type=float, default=None, help="training budget (default: workshop size)")
    bot.add_argument("--no-serve", action="store_true", help="train and save only")
    bot.add_argument(
        "--format",
        default="auto",
        help="export format (default: detect per file): messenger, messenger-html, whatsapp, telegram, telegram-html",
    )
    bot.add_argument("--date-order", default="auto", help="WhatsApp dates: dmy, mdy, ymd or ydm (default: inferred)")
    bot.add_argument("--force", action="store_true", help="replace the bot already saved in --out")
    # Defaults live on the main parser only: a subcommand's own default would overwrite
    # an option given before it (argparse), so there they are SUPPRESS.
    for p, top in ((parser, True), (run, False), (bot, False)):
        hide = argparse.SUPPRESS
        p.add_argument("--host", default="127.0.0.1" if top else hide, help="127.0.0.1 (default): this computer only")
        p.add_argument("--port", type=int, default=8000 if top else hide)
        p.add_argument(
            "--rate", type=float, default=Settings.rate if top else hide, help="requests/s per client on /api (0: off)"
        )
        p.add_argument("--burst", type=int, default=Settings.burst if top else hide)
        p.add_argument(
            "--generators", default=",".join(GENERATORS) if top else hide, help="char-RNN models to load ('' for none)"
        )
    for p, top in ((parser, True), (run, False), (export, False)):
        p.add_argument(
            "--bot", default=chatbot.ZOO_NAME if top else argparse.SUPPRESS, help="zoo name or `make bot` folder"
        )
    return parser.parse_args(argv)


def main(argv=None) -> int:
    """``python -m helpers.serve [run|export DIR|bot --export PATH --me NAME]``. Taught in: 06_deployment."""
    args = parse_args(argv)

    check_versions()
    try:
        if args.command == "export":
            for name, path in export_all(args.dir, bot=args.bot).items():
                print(f"{name}: {path}")
            return 0
        settings = Settings(
            host=args.host,
            port=args.port,
            rate=args.rate,
            burst=args.burst,
            bot=args.bot,
            generators=tuple(g for g in args.generators.split(",") if g),
        )
        if args.command != "bot" or not args.no_serve:
            check_port(args.host, args.port)  # before minutes of loading or training
        if args.command == "bot":
            folder = train_your_bot(
                args.paths,
                args.me,
                out=args.out,
                minutes=args.minutes,
                fmt=args.format,
                date_order=args.date_order,
                force=args.force,
            )
            if args.no_serve:
                return 0
            settings = replace(settings, bot=str(folder))
    except (ValueError, LookupError, FileNotFoundError) as err:  # a user's mistake: one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    serve(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

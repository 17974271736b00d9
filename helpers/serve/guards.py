"""The service's guards at the HTTP level: rate limit, body limit, request deadlines, JSON errors.

Taught in: 06_deployment (how the service stays up under abuse).
"""

from __future__ import annotations

import json
import re
import time
from typing import Callable

from fastapi import HTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol


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


def json_error_bytes(status: int, reason: str, message: str) -> bytes:
    """A whole HTTP/1.1 error response with the app's JSON error body, for the protocol to write itself."""
    body = json.dumps({"error": {"status": status, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nconnection: close\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline per request and JSON for the errors it writes itself.

    A request's headers and body must arrive within ``request_timeout`` seconds of its first byte
    (``uvicorn.Config`` carries it, from :attr:`Settings.request_timeout_s`): a client that dribbles
    its headers, or announces a ``Content-Length`` longer than the body it sends, gets a 408 and the
    connection is closed, instead of holding it open forever. An unreadable request gets uvicorn's 400
    as the app's JSON error. Taught in: 06_deployment.
    """

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.deadline = None

    def data_received(self, data: bytes) -> None:
        if self.deadline is None and (self.cycle is None or self.cycle.response_complete):  # a new request begins
            timeout = getattr(self.config, "request_timeout", 10.0)
            self.deadline = self.loop.call_later(timeout, self.request_too_slow)
        super().data_received(data)
        current = self.cycle is not None and not self.cycle.response_complete
        if self.deadline is not None and current and not self.cycle.more_body:  # headers and body are in
            self.deadline.cancel()
            self.deadline = None

    def connection_lost(self, exc) -> None:
        if getattr(self, "deadline", None) is not None:
            self.deadline.cancel()
            self.deadline = None
        super().connection_lost(exc)

    def request_too_slow(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle if self.cycle is not None and not self.cycle.response_complete else None
        if cycle is None or not cycle.response_started:
            if cycle is not None:
                cycle.disconnected = True  # the app, if waiting for the body, gets a disconnect
            timeout = getattr(self.config, "request_timeout", 10.0)
            message = f"the request was not complete within {timeout:g} s"
            self.transport.write(json_error_bytes(408, "Request Timeout", message))
            self.logger.warning("closed a connection whose request took longer than %g s", timeout)
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self.transport.write(json_error_bytes(400, "Bad Request", "invalid HTTP request"))
        self.transport.close()


def printable(text: str, limit: int = 200) -> str:
    """A request path as the log may show it: control characters (a NUL, a newline) escaped, length capped."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", text[:limit])

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

from .app import GENERATORS, STATIC, Models, Service, Settings, create_app, log
from .batching import Batcher, WebhookQueue
from .cli import check_port, free_port, main, parse_args, serve, start_in_background
from .guards import BodyLimit, BodyTooLarge, GuardedH11Protocol, RateLimiter, json_error_bytes, printable
from .schemas import (
    MAX_EMOJI,
    MAX_GENERATE,
    MAX_SEED,
    MAX_START,
    BookResponse,
    ChatRequest,
    ChatResponse,
    EmojiRequest,
    EmojiResponse,
    GenerateRequest,
    GenerateResponse,
)

__all__ = [
    "GENERATORS",
    "STATIC",
    "MAX_EMOJI",
    "MAX_GENERATE",
    "MAX_SEED",
    "MAX_START",
    "Batcher",
    "BodyLimit",
    "BodyTooLarge",
    "BookResponse",
    "ChatRequest",
    "ChatResponse",
    "EmojiRequest",
    "EmojiResponse",
    "GenerateRequest",
    "GenerateResponse",
    "GuardedH11Protocol",
    "Models",
    "RateLimiter",
    "Service",
    "Settings",
    "WebhookQueue",
    "check_port",
    "create_app",
    "free_port",
    "json_error_bytes",
    "log",
    "main",
    "parse_args",
    "printable",
    "serve",
    "start_in_background",
]

"""Web service targets: a bounded load against a real server on loopback.

Targets (issue "Notebook 06 and make serve", issue 18), on 2 CPU cores, 16 concurrent clients:
- chat: p99 <= 250 ms and >= 100 requests/second;
- emoji: >= 300 requests/second;
- Messenger webhook: a signed POST of 100 events answered within 1 s, ``/healthz`` under 250 ms while the
  replies are worked off, and 1,000 more events all answered or counted as failed (a local fake Graph API).
Reported beside them: chat at 1 and 4 clients (batching makes throughput grow with
concurrency) and the original recipe that loads the model for every request.

The server is started here as users start it (``python -m helpers.serve``), with the
per-client rate limit off (every client of the benchmark is 127.0.0.1) and no text
generators loaded. The load generator shares the machine's two cores with the server.
Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
"""

import asyncio
import os
import shlex
import time

import numpy as np

from helpers import bench, paths, serve

CHAT_REQUESTS = int(os.environ.get("BENCH_SERVE_REQUESTS", 2000))
EMOJI_REQUESTS = CHAT_REQUESTS
CLIENTS = 16
TIME_LIMIT_S = 300  # per load run: stop early rather than run on


async def load(url: str, path: str, bodies: list[dict], clients: int) -> dict:
    """Send every body once with ``clients`` concurrent connections; latencies and throughput."""
    import httpx2 as httpx

    queue = list(reversed(bodies))
    latencies, failures = [], 0
    deadline = time.perf_counter() + TIME_LIMIT_S

    async def client(session):
        nonlocal failures
        while queue and time.perf_counter() < deadline:
            body = queue.pop()
            start = time.perf_counter()
            response = await session.post(url + path, json=body)
            latencies.append(time.perf_counter() - start)
            failures += response.status_code != 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as session:
        start = time.perf_counter()
        await asyncio.gather(*[client(session) for _ in range(clients)])
        wall = time.perf_counter() - start
    ms = np.asarray(latencies) * 1000
    return {
        "requests": len(latencies),
        "failures": failures,
        "rps": len(latencies) / wall,
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
    }


def messages(n: int) -> list[str]:
    from helpers.seq2seq import load_pairs, split_of

    pairs = [p for p in load_pairs("you_pairs", "workshop") if split_of(p["conversation"]) == "test"]
    rng = np.random.default_rng(0)
    return [pairs[i]["prompt"] for i in rng.integers(0, len(pairs), n)]


def model_per_request(texts: list[str]) -> float:
    """The original recipe: load the model, answer, throw it away. Median seconds per request."""
    from helpers.chatbot import ChatBot
    from helpers.setup import check_versions

    check_versions()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # each fresh model retraces its tf.functions: part of the cost, said once here
    times = []
    for text in texts:
        start = time.perf_counter()
        ChatBot.from_zoo().reply(text)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def fake_graph_api():
    """A Graph API on 127.0.0.1 that counts the replies it receives (keep-alive, like the real one)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["content-length"]))
            received.append(1)
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size, daemon_threads = 128, True

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received


def webhook_rows(url: str, texts: list[str], received: list) -> list[dict]:
    import json

    import requests

    from helpers import messenger

    def post(first: int, n: int) -> float:
        events = [
            {"sender": {"id": str(i)}, "message": {"mid": f"bench.{i}", "text": texts[i % len(texts)]}}
            for i in range(first, first + n)
        ]
        body = json.dumps({"object": "page", "entry": [{"id": "p", "messaging": events}]}).encode()
        start = time.perf_counter()
        response = requests.post(
            url + "/webhook/messenger",
            data=body,
            timeout=30,
            headers={
                messenger.SIGNATURE_HEADER: messenger.sign(body, "bench-secret"),
                "content-type": "application/json",
            },
        )
        assert response.status_code == 200, response.text
        return time.perf_counter() - start

    def counters() -> tuple[dict, float]:
        start = time.perf_counter()
        health = requests.get(url + "/healthz", timeout=30).json()["webhook"]
        return health, time.perf_counter() - start

    first_post = post(0, 100)
    health_ms, deadline = [], time.perf_counter() + TIME_LIMIT_S
    while time.perf_counter() < deadline:
        health, seconds = counters()
        health_ms.append(seconds * 1000)
        if health["answered"] + health["failed"] >= 100:
            break
        time.sleep(0.05)
    for batch in range(10):  # 1,000 more events, ten signed POSTs of 100 (the body limit is 64 KiB)
        post(100 + 100 * batch, 100)
    while time.perf_counter() < deadline:
        health, _ = counters()
        if health["answered"] + health["failed"] >= 1100:
            break
        time.sleep(0.2)
    return [
        {
            "measure": "webhook: signed POST of 100 events answered in (s)",
            "value": first_post,
            "target": "<= 1",
            "ok": bool(first_post <= 1),
        },
        {
            "measure": "webhook: /healthz while the 100 replies are worked off, max ms",
            "value": max(health_ms),
            "target": "<= 250",
            "ok": bool(max(health_ms) <= 250),
        },
        {
            "measure": "webhook: of 1,100 events, answered / failed / dropped",
            "value": f"{health['answered']} / {health['failed']} / {health['dropped']}",
            "target": "all answered or counted",
            "ok": bool(health["answered"] + health["failed"] + health["dropped"] == 1100),
        },
        {"measure": "webhook: replies the fake Graph API received", "value": len(received), "target": "", "ok": ""},
    ]


def main() -> None:
    texts = messages(max(CHAT_REQUESTS, EMOJI_REQUESTS))
    graph, received = fake_graph_api()
    os.environ.update(
        PAGE_ACCESS_TOKEN="bench-token",
        APP_SECRET="bench-secret",
        VERIFY_TOKEN="bench-verify",
        GRAPH_API_URL=f"http://127.0.0.1:{graph.server_address[1]}/v21.0",
    )
    # more server options, e.g. BENCH_SERVE_ARGS=--no-reader make bench BENCH=serve (the bot without its bigger reader)
    extra = shlex.split(os.environ.get("BENCH_SERVE_ARGS", ""))
    server, url = serve.start_in_background(
        ["--rate", "0", "--generators", "", *extra],
        log_path=paths.generated("logs", "bench_serve_server.log"),
        timeout=180,
    )
    rows = []
    try:
        asyncio.run(load(url, "/api/chat", [{"message": t} for t in texts[:64]], CLIENTS))  # warm the batch sizes
        for clients in (1, 4):
            r = asyncio.run(load(url, "/api/chat", [{"message": t} for t in texts[:200]], clients))
            rows.append(
                {
                    "measure": f"chat, {clients} client(s), {r['requests']} requests: requests/s",
                    "value": r["rps"],
                    "target": "",
                    "ok": "",
                }
            )
            rows.append(
                {
                    "measure": f"chat, {clients} client(s): p50 / p99 ms",
                    "value": f"{r['p50']:.0f} / {r['p99']:.0f}",
                    "target": "",
                    "ok": "",
                }
            )
        chat = asyncio.run(load(url, "/api/chat", [{"message": t} for t in texts[:CHAT_REQUESTS]], CLIENTS))
        rows.append(
            {
                "measure": f"chat, {CLIENTS} clients, {chat['requests']:,} requests: requests/s",
                "value": chat["rps"],
                "target": ">= 100",
                "ok": bool(chat["rps"] >= 100),
            }
        )
        rows.append(
            {
                "measure": f"chat, {CLIENTS} clients: p99 ms",
                "value": chat["p99"],
                "target": "<= 250",
                "ok": bool(chat["p99"] <= 250),
            }
        )
        rows.append(
            {
                "measure": f"chat, {CLIENTS} clients: p50 / p95 ms",
                "value": f"{chat['p50']:.0f} / {chat['p95']:.0f}",
                "target": "",
                "ok": "",
            }
        )
        rows.append(
            {"measure": "chat: non-200 answers", "value": chat["failures"], "target": "0", "ok": chat["failures"] == 0}
        )
        emoji = asyncio.run(load(url, "/api/emoji", [{"message": t} for t in texts[:EMOJI_REQUESTS]], CLIENTS))
        rows.append(
            {
                "measure": f"emoji, {CLIENTS} clients, {emoji['requests']:,} requests: requests/s",
                "value": emoji["rps"],
                "target": ">= 300",
                "ok": bool(emoji["rps"] >= 300),
            }
        )
        rows.append(
            {
                "measure": f"emoji, {CLIENTS} clients: p50 / p95 / p99 ms",
                "value": f"{emoji['p50']:.0f} / {emoji['p95']:.0f} / {emoji['p99']:.0f}",
                "target": "",
                "ok": "",
            }
        )
        rows.append(
            {
                "measure": "emoji: non-200 answers",
                "value": emoji["failures"],
                "target": "0",
                "ok": emoji["failures"] == 0,
            }
        )
        import requests

        rows.append(
            {
                "measure": "mean chat batch size (last 100 batches)",
                "value": requests.get(url + "/healthz", timeout=5).json()["mean_chat_batch"],
                "target": "",
                "ok": "",
            }
        )
        rows.extend(webhook_rows(url, texts, received))
    finally:
        server.terminate()
        server.wait(timeout=30)
        graph.shutdown()
    per_request = model_per_request(texts[:5])
    rows.append(
        {
            "measure": "original recipe, model loaded per request: s per request (median of 5)",
            "value": per_request,
            "target": "",
            "ok": "",
        }
    )
    rows.append(
        {"measure": "original recipe: requests/s (one at a time)", "value": 1 / per_request, "target": "", "ok": ""}
    )
    bench.report(
        "serve",
        rows,
        notes=f"Server: {shlex.join(['python', '-m', 'helpers.serve', 'run', '--rate', '0', '--generators', '', *extra])} "
        "on 127.0.0.1; "
        "load generator in this process (httpx2, asyncio), same machine. Chat = the bot's default reply "
        "(generate, then rank: notebook 04) + 3 emoji for the reply.",
    )


if __name__ == "__main__":
    main()

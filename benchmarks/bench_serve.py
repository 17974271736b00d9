"""Web service targets: a bounded load against a real server on loopback.

Targets (issue "Notebook 06 and make serve"), on 2 CPU cores, 16 concurrent clients:
- chat: p99 <= 250 ms and >= 100 requests/second;
- emoji: >= 300 requests/second.
Reported beside them: chat at 1 and 4 clients (batching makes throughput grow with
concurrency) and the original recipe that loads the model for every request.

The server is started here as users start it (``python -m helpers.serve``), with the
per-client rate limit off (every client of the benchmark is 127.0.0.1) and no text
generators loaded. The load generator shares the machine's two cores with the server.
Traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
"""

import asyncio
import os
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
    return {"requests": len(latencies), "failures": failures, "rps": len(latencies) / wall,
            "p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)),
            "p99": float(np.percentile(ms, 99))}


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


def main() -> None:
    texts = messages(max(CHAT_REQUESTS, EMOJI_REQUESTS))
    server, url = serve.start_in_background(["--rate", "0", "--generators", ""],
                                            log_path=paths.generated("logs", "bench_serve_server.log"), timeout=180)
    rows = []
    try:
        asyncio.run(load(url, "/api/chat", [{"message": t} for t in texts[:64]], CLIENTS))  # warm the batch sizes
        for clients in (1, 4):
            r = asyncio.run(load(url, "/api/chat", [{"message": t} for t in texts[:200]], clients))
            rows.append({"measure": f"chat, {clients} client(s), {r['requests']} requests: requests/s",
                         "value": r["rps"], "target": "", "ok": ""})
            rows.append({"measure": f"chat, {clients} client(s): p50 / p99 ms", "value": f"{r['p50']:.0f} / "
                         f"{r['p99']:.0f}", "target": "", "ok": ""})
        chat = asyncio.run(load(url, "/api/chat", [{"message": t} for t in texts[:CHAT_REQUESTS]], CLIENTS))
        rows.append({"measure": f"chat, {CLIENTS} clients, {chat['requests']:,} requests: requests/s",
                     "value": chat["rps"], "target": ">= 100", "ok": bool(chat["rps"] >= 100)})
        rows.append({"measure": f"chat, {CLIENTS} clients: p99 ms", "value": chat["p99"], "target": "<= 250",
                     "ok": bool(chat["p99"] <= 250)})
        rows.append({"measure": f"chat, {CLIENTS} clients: p50 / p95 ms", "value": f"{chat['p50']:.0f} / "
                     f"{chat['p95']:.0f}", "target": "", "ok": ""})
        rows.append({"measure": "chat: non-200 answers", "value": chat["failures"], "target": "0",
                     "ok": chat["failures"] == 0})
        emoji = asyncio.run(load(url, "/api/emoji", [{"message": t} for t in texts[:EMOJI_REQUESTS]], CLIENTS))
        rows.append({"measure": f"emoji, {CLIENTS} clients, {emoji['requests']:,} requests: requests/s",
                     "value": emoji["rps"], "target": ">= 300", "ok": bool(emoji["rps"] >= 300)})
        rows.append({"measure": f"emoji, {CLIENTS} clients: p50 / p95 / p99 ms", "value": f"{emoji['p50']:.0f} / "
                     f"{emoji['p95']:.0f} / {emoji['p99']:.0f}", "target": "", "ok": ""})
        rows.append({"measure": "emoji: non-200 answers", "value": emoji["failures"], "target": "0",
                     "ok": emoji["failures"] == 0})
        import requests

        rows.append({"measure": "mean chat batch size (last 100 batches)",
                     "value": requests.get(url + "/healthz", timeout=5).json()["mean_chat_batch"], "target": "",
                     "ok": ""})
    finally:
        server.terminate()
        server.wait(timeout=30)
    per_request = model_per_request(texts[:5])
    rows.append({"measure": "original recipe, model loaded per request: s per request (median of 5)",
                 "value": per_request, "target": "", "ok": ""})
    rows.append({"measure": "original recipe: requests/s (one at a time)", "value": 1 / per_request, "target": "",
                 "ok": ""})
    bench.report("serve", rows, notes="Server: python -m helpers.serve run --rate 0 --generators '' on 127.0.0.1; "
                 "load generator in this process (httpx2, asyncio), same machine. Chat = greedy reply + 3 emoji "
                 "for the reply.")


if __name__ == "__main__":
    main()

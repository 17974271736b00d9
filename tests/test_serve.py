"""The web service (helpers.serve): every endpoint, every bad input we could think of, batching, limits, Messenger."""

import asyncio
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler

import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from helpers import messenger, serve, zoo  # noqa: E402
from helpers.messenger import MessengerConfig  # noqa: E402

SECRET = "my bank pin is 4321"


@pytest.fixture(scope="module")
def models(serve_models):
    return serve_models  # loaded once per session (conftest.py), shared with the fuzzing tests


def make_client(models, **overrides):
    settings = serve.Settings(**{"rate": 0, "messenger": MessengerConfig(), **overrides})
    return TestClient(serve.create_app(settings, models))


@pytest.fixture(scope="module")
def client(models):
    with make_client(models) as c:
        yield c


def assert_json_error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"]["status"] == status and body["error"]["message"]
    return body["error"]


# --------------------------------------------------------------------------- happy paths
def test_chat_replies_with_emoji(client, models):
    response = client.post("/api/chat", json={"message": "how are you?"})
    assert response.status_code == 200
    body = response.json()
    assert body["reply"] == models.bot.reply("how are you?")  # the same ChatBot the notebooks use
    assert len(body["emoji"]) == 3 and all(0 < e["score"] <= 1 for e in body["emoji"])
    (best,) = models.bot.ranked(["how are you?"])[0][:1]
    assert body["kind"] == best.kind  # where the reply came from: the ranking's winner's kind


def test_a_reply_says_where_it_came_from(client, models):
    """``kind``: ``retrieved`` (a real reply of the bank, said again) or ``generated`` (the generator wrote it, which
    may now and then match a bank reply word for word); greedy, beam and sampling always write."""
    bank = set(models.bot.bank_replies())
    for message in ["how are you?", "where are you from?", "my car broke down again"]:
        body = client.post("/api/chat", json={"message": message}).json()
        assert body["kind"] == models.bot.ranked([message])[0][0].kind
        assert body["kind"] == "generated" or body["reply"] in bank, body  # a retrieved reply is a bank reply
    for method in ("greedy", "beam", "sample"):
        assert client.post("/api/chat", json={"message": "hi", "method": method}).json()["kind"] == "generated"


@pytest.mark.parametrize(
    "options",
    [
        {"method": "beam", "beam_width": 3},
        {"method": "sample", "temperature": 0.7, "seed": 5},
        {"emoji": 0, "max_len": 3},
    ],
)
def test_chat_decoding_options(client, options):
    body = client.post("/api/chat", json={"message": "what are you doing tonight?", **options}).json()
    assert body["reply"].strip()
    if options.get("emoji") == 0:
        assert body["emoji"] == [] and len(body["reply"].split()) <= 3


def test_sampling_is_repeatable_with_a_seed(client):
    ask = {"message": "tell me about your weekend", "method": "sample", "temperature": 1.5, "seed": 11}
    assert client.post("/api/chat", json=ask).json() == client.post("/api/chat", json=ask).json()


def test_book_api_shape(client):
    response = client.get("/api", params={"sentence": "hi there"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data) == 1 and data[0]["in"] == "hi there" and data[0]["out"]


def test_emoji_endpoint(client, models):
    body = client.post("/api/emoji", json={"message": "I love you so much", "k": 4}).json()
    expected = models.suggester.suggest("I love you so much", k=4)
    assert [e["emoji"] for e in body["emoji"]] == [e for e, _ in expected]
    assert set(body["emoji"][0]) == {"emoji", "score", "name"}
    why = client.post("/api/emoji", json={"message": "pizza tonight?", "k": 3, "why": True}).json()["emoji"]
    explained = models.suggester.explain("pizza tonight?", k=3)
    assert [e["emoji"] for e in why] == [e["emoji"] for e in explained]
    for got, want in zip(why, explained):  # the three terms add up to the score the ranking used
        assert got["name"] == want["name"] and got["topic"] == want["topic"]
        assert {"mood", "topic", "habit"} <= set(got)


@pytest.mark.parametrize("corpus,start", [("shakespeare", "ROMEO:"), ("python", "def ")])
def test_generate(client, corpus, start):
    body = client.post("/api/generate", json={"corpus": corpus, "start": start, "length": 80, "seed": 1}).json()
    assert body["corpus"] == corpus and 0 < len(body["text"]) <= 80


def test_healthz_and_page(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["bot"] == "04_seq2seq/you" and health["messenger"] == "disabled"
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/api/chat" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN: works offline
    assert client.get("/openapi.json").json()["info"]["title"] == "Talk Like You"


def test_about_says_who_the_bot_is_and_its_numbers(client):
    about = client.get("/api/about").json()
    assert about["name"] == "you" and about["initials"] == "Y"  # the corpus's "you" has an id, not a name
    assert "talks like" in about["greeting"] and about["method"] == "rank"
    facts = {fact["label"]: fact["value"] for fact in about["facts"]}
    card = zoo.card("04_seq2seq/you")
    assert facts["test perplexity"] == f"{card['metrics']['test_perplexity']:.1f}"
    assert facts["trained on"].startswith(f"{card['data']['train_pairs']:,} ")
    assert facts["picks the true reply of 100"] == f"{card['ranking']['metrics']['test_1_of_100']:.0%}"


def test_twemoji_pictures_come_from_this_server(client):
    picture = client.get("/twemoji/1f602.png")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/twemoji/2764.png").status_code == 200  # found with or without U+FE0F
    for name in ("../../etc/passwd", "zz", "1f602-", "110000", "1f602" * 20):
        answer = client.get(f"/twemoji/{name}.png")
        assert answer.status_code == 404 and answer.json()["error"]["status"] == 404


def test_chat_emoji_carry_their_names(client):
    body = client.post("/api/chat", json={"message": "i love pizza", "emoji": 3}).json()
    assert all(isinstance(e["name"], str) for e in body["emoji"]) and any(e["name"] for e in body["emoji"])


# --------------------------------------------------------------------------- abuse
@pytest.mark.parametrize(
    "body",
    [
        {"message": ""},
        {"message": "   \u200b "},
        {"message": "\u2060\u200d\u3164\u2800"},
        {"message": "x" * 2001},
        {"message": 42},
        {"message": None},
        {"message": ["hi"]},
        {},
        {"message": "hi", "method": "telepathy"},
        {"message": "hi", "temperature": 1e308},
        {"message": "hi", "temperature": 0},
        {"message": "hi", "seed": 2**64},
        {"message": "hi", "beam_width": 10**12},
        {"message": "hi", "max_len": -1},
        {"message": "hi", "emoji": 11},
        {"message": "hi", "admin": True},
        {"message": "hi", "seed": "1"},
        {"message": "hi", "temperature": float("nan")},
    ],
)
def test_chat_rejects_bad_input(client, body):
    assert_json_error(
        client.post("/api/chat", content=json.dumps(body), headers={"content-type": "application/json"}), 422
    )


@pytest.mark.parametrize(
    "raw,status",
    [
        (b'{"message": ', 422),
        (b"\xff\xfe\xfa", 400),
        (b'{"message": "\xff\xfe"}', 400),
        (b"[]", 422),
        (b"null", 422),
        (b'"hi"', 422),
        (b"1" * 5000, 400),  # 5,000 digits: past Python's limit on parsing big integers
    ],
)
def test_malformed_bodies(client, raw, status):
    found = assert_json_error(
        client.post("/api/chat", content=raw, headers={"content-type": "application/json"}), status
    )
    if status == 400:  # FastAPI's "There was an error parsing the body" says what went wrong, not what to do
        assert found["message"].startswith("the body could not be read as JSON in UTF-8: send an object"), found


@pytest.mark.parametrize(
    "path,raw,said",
    [
        ("/api/chat", {"message": 42}, "message: input should be a valid string (see /openapi.json)"),
        (
            "/api/chat",
            {"message": "x" * 2001},
            "message: string should have at most 2000 characters (see /openapi.json)",
        ),
        ("/api/chat", {}, "message: field required (see /openapi.json)"),
        ("/api/chat", {"message": "hi", "temperature": 99}, "temperature: input should be less than or equal to 2"),
        ("/api/chat", {"message": "hi", "admin": True}, "admin: extra inputs are not permitted"),
        ("/api/chat", {"message": 1, "temperature": 99}, "message: input should be a valid string, and 1 more problem"),
        ("/api/chat", b'{"message": ', "the body is not valid JSON (it breaks at character 12): send a JSON object"),
        ("/api/chat", b"[]", "the body must be a JSON object, not a list"),
        ("/api/generate", {"corpus": "klingon"}, "corpus: input should be 'shakespeare' or 'python'"),
        ("/api/emoji", {"message": "hi", "k": 0}, "k: input should be greater than or equal to 1"),
    ],
)
def test_schema_errors_name_the_field_and_what_it_must_be(client, path, raw, said):
    content = raw if isinstance(raw, bytes) else json.dumps(raw)
    found = assert_json_error(client.post(path, content=content, headers={"content-type": "application/json"}), 422)
    assert found["message"].startswith(said), found["message"]  # not only "does not match the API schema"
    assert found["details"], found  # the whole list stays there for programs


def test_a_missing_query_parameter_is_named(client):
    assert assert_json_error(client.get("/api"), 422)["message"] == "sentence: field required (see /openapi.json)"


@pytest.mark.parametrize(
    "body",
    [{"length": 10**9}, {"length": 0}, {"start": ""}, {"start": "x" * 201}, {"corpus": "klingon"}, {"temperature": -1}],
)
def test_generate_rejects_bad_input(client, body):
    assert_json_error(client.post("/api/generate", json=body), 422)


@pytest.mark.parametrize("body", [{"message": "hi", "k": 0}, {"message": "hi", "k": 10**6}, {"message": " "}])
def test_emoji_rejects_bad_input(client, body):
    assert_json_error(client.post("/api/emoji", json=body), 422)


def test_book_api_rejects_bad_input(client):
    assert_json_error(client.get("/api"), 422)
    assert_json_error(client.get("/api", params={"sentence": "y" * 2001}), 422)
    assert_json_error(client.get("/api", params={"sentence": " "}), 422)
    for query in ("sentence=%FF%FE", "sentence=%00", "sentence=a&sentence=b", "sentence=" + "%F0%9F%98%82" * 10):
        assert client.get("/api?" + query).status_code in (200, 422)


def test_body_size_limit(client):
    big = json.dumps({"message": "x" * 100_000})
    assert_json_error(client.post("/api/chat", content=big, headers={"content-type": "application/json"}), 413)

    def chunks():  # no Content-Length: the limit is counted while the body streams in
        for _ in range(100):
            yield b"x" * 1000

    assert_json_error(client.post("/api/chat", content=chunks(), headers={"content-type": "application/json"}), 413)
    assert_json_error(client.post("/api/chat", content=b"{}", headers={"content-length": "abc"}), 400)


def test_unknown_routes_and_methods_are_json(client):
    assert_json_error(client.get("/nope"), 404)
    assert_json_error(client.delete("/api/chat"), 405)


def test_still_serving_after_abuse(client):
    for raw in (b"\x00" * 100, b"{" * 3000, b'{"message": "' + b"\xf0\x9f" * 100 + b'"}'):
        assert client.post("/api/chat", content=raw, headers={"content-type": "application/json"}).status_code < 500
    assert client.post("/api/chat", json={"message": "still there?"}).status_code == 200


def test_head_healthz_and_control_characters_in_logged_paths(client, caplog):
    head = client.head("/healthz")
    assert head.status_code == 200 and not head.content
    with caplog.at_level(logging.INFO):
        client.get("/api/nothing%00here")
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "\x00" not in logged and "nothing\\x00here" in logged


def test_messages_never_reach_the_logs(client, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post("/api/chat", json={"message": SECRET})
        client.get("/api", params={"sentence": SECRET})
        client.post("/api/emoji", json={"message": SECRET})
        client.post("/api/chat", json={"message": SECRET, "temperature": 99})
    server = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # not the client's
    assert "POST /api/chat 200" in server  # the access log is there...
    assert "4321" not in server and "bank" not in server  # ...without the messages


def test_validation_errors_do_not_echo_the_message(client):
    error = assert_json_error(client.post("/api/chat", json={"message": SECRET, "temperature": 99}), 422)
    assert SECRET not in json.dumps(error)


def test_rate_limit(models):
    with make_client(models, rate=1.0, burst=3) as limited:
        codes = [limited.post("/api/emoji", json={"message": "hi"}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        response = limited.post("/api/chat", json={"message": "hi"})
        assert_json_error(response, 429)
        assert int(response.headers["retry-after"]) >= 1
        assert limited.get("/healthz").status_code == 200  # only /api is limited


def test_generation_queue_limit(models):
    with make_client(models, max_pending_generations=0) as busy:
        assert_json_error(busy.post("/api/generate", json={"length": 5}), 429)


def test_model_timeout_is_503(models):
    with make_client(models, timeout_s=1e-4) as slow:
        assert_json_error(slow.post("/api/chat", json={"message": "hello"}), 503)
        assert_json_error(slow.post("/api/generate", json={"length": 1000}), 503)


# --------------------------------------------------------------------------- batching and rate limiting
def test_batcher_batches_concurrent_requests():
    calls = []

    def double(key, items):
        calls.append((key, list(items)))
        return [2 * i for i in items]

    async def main():
        batcher = serve.Batcher(double, ThreadPoolExecutor(1), max_batch=8, window=0.05)
        results = await asyncio.gather(*[batcher.submit("a" if i % 2 else "b", i) for i in range(10)])
        await batcher.stop()
        return results

    assert asyncio.run(main()) == [2 * i for i in range(10)]
    assert max(len(items) for _, items in calls) > 1  # batched, not one call per request
    assert all(len({i % 2 for i in items}) == 1 for _, items in calls)  # grouped by key
    assert sum(len(items) for _, items in calls) == 10


def test_batcher_waits_for_the_crowd_it_served_but_not_for_a_lone_client():
    def slow(key, items):
        time.sleep(0.02)
        return items

    async def client(batcher, rounds, delay=0.0):
        await asyncio.sleep(delay)
        for r in range(rounds):
            await batcher.submit(0, r)

    async def main():
        # eight clients, half of them 5 ms late: without the crowd window they alternate in batches of four
        crowd = serve.Batcher(slow, ThreadPoolExecutor(1), window=0.001, crowd_window=0.1)
        await asyncio.gather(*[client(crowd, 6, 0.005 * (i >= 4)) for i in range(8)])
        await crowd.stop()
        lone = serve.Batcher(slow, ThreadPoolExecutor(1), window=0.001, crowd_window=0.1)
        await client(lone, 5)
        await lone.stop()
        return crowd, lone

    crowd, lone = asyncio.run(main())
    # after the first batch, all eight in each batch (the last four, a round behind, finish alone)
    assert crowd.batches[0] == 4 and set(crowd.batches[1:-1]) == {8} and crowd.batches[-1] == 4, crowd.batches
    assert lone.batches == [1] * 5 and lone.crowd == 1  # a lone client is a crowd of one: it never waits


def test_batcher_fails_only_the_bad_request_and_goes_on():
    calls = []

    def fail_on_negative(key, items):
        calls.append(list(items))
        if any(i < 0 for i in items):
            raise ValueError("negative")
        return items

    async def main():
        batcher = serve.Batcher(fail_on_negative, ThreadPoolExecutor(1), window=0.02)
        mixed = await asyncio.gather(
            batcher.submit(0, -1), batcher.submit(0, 1), batcher.submit(0, 2), return_exceptions=True
        )
        alone = await asyncio.gather(batcher.submit(0, -5), return_exceptions=True)
        good = await batcher.submit(0, 7)
        await batcher.stop()
        return mixed, alone, good

    mixed, alone, good = asyncio.run(main())
    assert isinstance(mixed[0], ValueError) and mixed[1:] == [1, 2]  # the others still get answers
    assert isinstance(alone[0], ValueError) and good == 7
    assert calls[:4] == [[-1, 1, 2], [-1], [1], [2]]  # one batch call, then one call per request


def test_empty_message_in_a_batch_fails_alone(client):
    def ask(message):
        return client.post("/api/chat", json={"message": message})

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(ask, ["hi", "&nbsp;", "how are you?", "\u200b", "what's up?", "hello"]))
    assert [r.status_code for r in responses] == [200, 422, 200, 422, 200, 200]


def test_command_line_options_before_or_after_the_command():
    for argv in (["--port", "9000", "run"], ["run", "--port", "9000"]):
        assert serve.parse_args(argv).port == 9000
    args = serve.parse_args([])
    assert args.command is None and args.port == 8000 and args.bot == "04_seq2seq/you" and args.rate == 20
    assert serve.parse_args(["export", "out", "--bot", "generated/your_bot"]).bot == "generated/your_bot"
    assert serve.parse_args(["bot", "--export", "x.txt", "--me", "Me", "--rate", "0"]).rate == 0
    assert not serve.parse_args([]).no_reader and not serve.parse_args(["run"]).no_reader
    for argv in (["run", "--no-reader"], ["--no-reader", "run"], ["bot", "--export", "x", "--me", "Me", "--no-reader"]):
        assert serve.parse_args(argv).no_reader, argv
    assert not serve.parse_args(["run"]).emoji_reader
    for argv in (["run", "--emoji-reader"], ["--emoji-reader", "run"]):
        assert serve.parse_args(argv).emoji_reader, argv
    assert not serve.parse_args(["run"]).emoji_student
    for argv in (["run", "--emoji-student"], ["--emoji-student", "run"]):
        assert serve.parse_args(argv).emoji_student, argv


@pytest.mark.parametrize(
    "argv, reader, emoji_reader, emoji_student",
    [
        ([], True, False, False),
        (["--no-reader"], False, False, False),
        (["--emoji-reader"], True, True, False),
        (["--emoji-student"], True, False, True),
    ],
)
def test_run_hands_the_reader_options_to_the_models(argv, reader, emoji_reader, emoji_student, monkeypatch, capsys):
    import socket

    from helpers.serve import cli

    with socket.socket() as probe:  # a free port: `run` checks it before loading
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seen = {}

    def load(*args, **kwargs):
        seen.update(kwargs)
        raise ValueError("stop here: the models are not needed")

    monkeypatch.setattr(cli.Models, "load", load)
    assert cli.main(["run", "--port", str(port), *argv]) == 2
    assert capsys.readouterr().err.strip() == "error: stop here: the models are not needed"
    assert seen["reader"] is reader and seen["emoji_reader"] is emoji_reader and seen["emoji_student"] is emoji_student


def test_an_unknown_bot_is_one_line_naming_the_zoo_bots():
    from helpers import your_bot

    bots = your_bot.zoo_bots()
    assert bots == ["04_seq2seq/everyone", "04_seq2seq/you", "04_seq2seq/you_plain", "04_seq2seq/you_scratch"]
    for name in ("you", "generated/your_bto"):  # a short name, a mistyped folder
        with pytest.raises(FileNotFoundError) as info:
            your_bot.load_chatbot(name)
        message = str(info.value)
        assert message.startswith(f"no bot {name!r}: name a zoo bot ({', '.join(bots)})") and "`make bot`" in message
        assert "\n" not in message and "MANIFEST" not in message, message


def test_rate_limiter_token_bucket():
    now = [0.0]
    limiter = serve.RateLimiter(rate=2, burst=2, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(2)] == [0, 0]
    assert limiter.allow("a") == pytest.approx(0.5)
    assert limiter.allow("b") == 0  # per client
    now[0] += 0.5
    assert limiter.allow("a") == 0
    assert serve.RateLimiter(rate=0, burst=1).allow("x") == 0


def test_rate_limiter_memory_is_bounded():
    now = [0.0]
    limiter = serve.RateLimiter(rate=10, burst=2, clock=lambda: now[0], max_clients=100)
    for i in range(1000):  # a flood from many addresses, each idle again a second later
        limiter.allow(f"10.0.{i // 256}.{i % 256}")
        now[0] += 0.01
    assert len(limiter.buckets) <= 101


# --------------------------------------------------------------------------- Messenger
class FakeGraphAPI(BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0  # answer this many requests with 500 first (a flaky Graph API)
    status = 200  # then this status (500: the API is down)
    delay = 0.0  # seconds before answering (a slow API)
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API: the client reuses its connections

    def do_POST(self):  # noqa: N802
        import time

        body = self.rfile.read(int(self.headers["content-length"]))
        time.sleep(FakeGraphAPI.delay)
        if FakeGraphAPI.fail_first > 0 or FakeGraphAPI.status != 200:
            FakeGraphAPI.fail_first -= 1
            self.send_response(500)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
            return
        FakeGraphAPI.received.append({"path": self.path, "body": json.loads(body)})
        self.send_response(200)
        reply = b'{"recipient_id": "1", "message_id": "m"}'
        self.send_header("content-length", str(len(reply)))
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture()
def graph_api():
    from http.server import ThreadingHTTPServer

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # the app opens up to 20 connections at once
        daemon_threads = True

    server = Server(("127.0.0.1", 0), FakeGraphAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeGraphAPI.received, FakeGraphAPI.fail_first, FakeGraphAPI.status, FakeGraphAPI.delay = [], 0, 200, 0.0
    yield f"http://127.0.0.1:{server.server_port}/v21.0"
    server.shutdown()


def event(text, sender="123", mid="m1"):
    return {
        "object": "page",
        "entry": [
            {
                "id": "p",
                "messaging": [
                    {"sender": {"id": sender}, "recipient": {"id": "p"}, "message": {"mid": mid, "text": text}}
                ],
            }
        ],
    }


def wait_for(condition, seconds=20.0):
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_messenger_webhook_end_to_end(models, graph_api):
    config = MessengerConfig("page-token", "app-secret", "verify-me", graph_api)
    with make_client(models, messenger=config) as c:
        ok = c.get(
            "/webhook/messenger",
            params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "12345"},
        )
        assert ok.status_code == 200 and ok.text == "12345"
        assert_json_error(
            c.get(
                "/webhook/messenger", params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
            ),
            403,
        )
        body = json.dumps(event("hey, how was your day?")).encode()
        good = {messenger.SIGNATURE_HEADER: messenger.sign(body, "app-secret"), "content-type": "application/json"}
        response = c.post("/webhook/messenger", content=body, headers=good)
        assert response.json() == {"received": 1, "queued": 1, "duplicates": 0, "dropped": 0}
        wait_for(lambda: len(FakeGraphAPI.received) == 1)
        sent = FakeGraphAPI.received[-1]
        assert sent["path"].startswith("/v21.0/me/messages?access_token=page-token")
        assert sent["body"]["recipient"] == {"id": "123"}
        assert sent["body"]["message"]["text"] == models.bot.reply("hey, how was your day?")
        for headers in (
            {},
            {messenger.SIGNATURE_HEADER: "sha256=" + "0" * 64},
            {messenger.SIGNATURE_HEADER: messenger.sign(body + b" ", "app-secret")},
            {messenger.SIGNATURE_HEADER: messenger.sign(body, "wrong-secret")},
        ):
            assert_json_error(c.post("/webhook/messenger", content=body, headers=headers), 403)
        assert len(FakeGraphAPI.received) == 1
        garbage = b"not json"
        assert_json_error(
            c.post(
                "/webhook/messenger",
                content=garbage,
                headers={messenger.SIGNATURE_HEADER: messenger.sign(garbage, "app-secret")},
            ),
            400,
        )
        deep = b"[" * 1200 + b"]" * 1200  # deeper than Python's recursion limit allows json to read
        assert_json_error(
            c.post(
                "/webhook/messenger",
                content=deep,
                headers={messenger.SIGNATURE_HEADER: messenger.sign(deep, "app-secret")},
            ),
            400,
        )
        big = b"x" * 70_000
        assert_json_error(
            c.post(
                "/webhook/messenger",
                content=iter([big]),
                headers={messenger.SIGNATURE_HEADER: messenger.sign(big, "app-secret")},
            ),
            413,
        )


def signed_post(c, payload, secret="app-secret"):
    body = json.dumps(payload).encode()
    return c.post(
        "/webhook/messenger",
        content=body,
        headers={messenger.SIGNATURE_HEADER: messenger.sign(body, secret), "content-type": "application/json"},
    )


def many_events(n, start=0):
    return {
        "object": "page",
        "entry": [
            {
                "id": "p",
                "messaging": [
                    {"sender": {"id": str(i)}, "message": {"mid": f"mid.{i}", "text": f"hey, how was your day {i}?"}}
                    for i in range(start, start + n)
                ],
            }
        ],
    }


def test_webhook_answers_at_once_and_works_off_the_replies(models, graph_api):
    import time

    FakeGraphAPI.delay = 0.02  # a Graph API that takes its time
    config = MessengerConfig("page-token", "app-secret", "verify-me", graph_api)
    # behaviour, not speed (bench_serve measures the times): the webhook answers before the replies are sent,
    # and /healthz keeps answering while they are decoded and sent
    with make_client(models, messenger=config) as c:
        response = signed_post(c, many_events(100))
        sent_when_answered = len(FakeGraphAPI.received)
        assert response.status_code == 200 and response.json()["queued"] == 100
        assert sent_when_answered < 100, "the webhook waited for its replies before answering Facebook"
        during = []  # replies sent when each /healthz answer came back
        while c.app.state.webhook.pending or len(FakeGraphAPI.received) < 100:
            assert c.get("/healthz").status_code == 200
            during.append(len(FakeGraphAPI.received))
            time.sleep(0.05)
            assert len(during) < 2000, "the replies were not worked off"
        wait_for(lambda: len(FakeGraphAPI.received) == 100)
        assert sum(sent < 100 for sent in during) >= 3, f"/healthz did not answer while replies were sent: {during}"
        assert {m["body"]["recipient"]["id"] for m in FakeGraphAPI.received} == {str(i) for i in range(100)}
        # Facebook redelivers what it thinks was not answered: the same message ids are not answered twice
        again = signed_post(c, many_events(100)).json()
        assert again == {"received": 100, "queued": 0, "duplicates": 100, "dropped": 0}
        # the fake records a reply before it answers: the worker counts it a moment later
        wait_for(lambda: c.get("/healthz").json()["webhook"]["answered"] == 100)


def test_webhook_retries_a_flaky_api_and_logs_a_dead_one(models, graph_api, caplog):
    config = MessengerConfig("page-token", "app-secret", "verify-me", graph_api)
    with make_client(models, messenger=config) as c:
        FakeGraphAPI.fail_first = 2  # two 500s, then it works
        with caplog.at_level(logging.WARNING):
            signed_post(c, event("are you there?", mid="flaky"))
            wait_for(lambda: c.app.state.webhook.counts["answered"] == 1)
            FakeGraphAPI.status = 500  # down for good
            signed_post(c, event("hello??", mid="down"))
            wait_for(lambda: c.app.state.webhook.counts["failed"] == 1, seconds=30)
        counts = c.get("/healthz").json()["webhook"]
        assert counts["answered"] == 1 and counts["failed"] == 1
        logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "talk_like_you.serve")
        assert "Send API answered 500 after 4 attempt(s)" in logged
        assert "hello" not in logged and "are you there" not in logged  # never the message text


def test_a_full_webhook_queue_drops_and_counts(models, graph_api, caplog):
    config = MessengerConfig("page-token", "app-secret", "verify-me", graph_api)
    with make_client(models, messenger=config, webhook_queue=10, webhook_workers=1) as c:
        FakeGraphAPI.delay = 0.2
        with caplog.at_level(logging.WARNING):
            result = signed_post(c, many_events(50)).json()
        assert result["received"] == 50 and result["dropped"] >= 30 and result["queued"] + result["dropped"] == 50
        assert "messages dropped" in caplog.text
        FakeGraphAPI.delay = 0.0
        wait_for(
            lambda: c.app.state.webhook.counts["answered"] + c.app.state.webhook.counts["failed"] == result["queued"],
            seconds=30,
        )


def test_seen_messages_forget_after_an_hour_and_stay_bounded():
    seen = messenger.SeenMessages(seconds=3600, limit=3)
    assert seen.first_time("a", now=0) and not seen.first_time("a", now=10)
    assert seen.first_time("a", now=3700)  # an hour later it is new again
    for i, mid in enumerate("bcde"):
        seen.first_time(mid, now=3700 + i)
    assert len(seen._seen) <= 3 and seen.first_time(None)


def test_messenger_disabled_says_which_variables_are_missing(client):
    error = assert_json_error(client.get("/webhook/messenger", params={"hub.mode": "subscribe"}), 404)
    assert "APP_SECRET" in error["message"]
    assert_json_error(client.post("/webhook/messenger", json=event("hi")), 404)


def test_messenger_config_from_env_never_prints_secrets():
    config = MessengerConfig.from_env({"PAGE_ACCESS_TOKEN": "tok", "APP_SECRET": "sec", "VERIFY_TOKEN": "ver"})
    assert config.enabled and config.graph_api_url == messenger.GRAPH_API_URL
    assert "sec" not in repr(config) and "tok" not in repr(config)
    assert MessengerConfig.from_env({"APP_SECRET": "s"}).missing == ["PAGE_ACCESS_TOKEN", "VERIFY_TOKEN"]


def test_signature_and_event_parsing():
    body = b'{"object": "page"}'
    assert messenger.signature_ok(body, messenger.sign(body, "s"), "s")
    assert not messenger.signature_ok(body, messenger.sign(body, "s"), "")
    assert not messenger.signature_ok(body, None, "s")
    assert not messenger.signature_ok(body, "sha256=\u00e9", "s")
    echo = event("me talking")
    echo["entry"][0]["messaging"][0]["message"]["is_echo"] = True
    odd = [
        None,
        [],
        "page",
        {"object": "page", "entry": "x"},
        {"object": "page", "entry": [{"messaging": [1, None]}]},
        {"object": "user", "entry": event("hi")["entry"]},
        echo,
        event("   "),
        event("hi", sender=5),
    ]
    assert all(messenger.text_messages(p) == [] for p in odd)
    assert messenger.text_messages(event("hi", "42")) == [("42", "hi")]
    subscribe = {"hub.mode": "subscribe", "hub.verify_token": "t", "hub.challenge": "c"}
    assert messenger.verify_challenge(subscribe, "t") == "c"
    assert messenger.verify_challenge(subscribe, "other") is None
    assert messenger.verify_challenge({"hub.mode": "subscribe", "hub.verify_token": "t"}, "") is None


def test_chat_emoji_of_bank_replies_are_computed_once_and_the_same(models):
    bank = models.bot.bank_replies()
    assert models.bank_emoji and set(models.bank_emoji) <= set(bank)
    retrieved = [c.text for c in models.bot.ranked(["how was your weekend?"])[0] if c.kind == "retrieved"]
    assert retrieved and set(retrieved) <= set(models.bank_emoji)  # ranked() says bank replies as bank_replies() does
    generated = "a reply the bank has never held , zebra"
    replies = [bank[0], generated, bank[-1]]
    for k in (1, 3, 10):  # the same emoji; the probabilities up to the float noise of another batch
        remembered, fresh = models.reply_emoji(replies, k), models.suggester.suggest_batch(replies, k=k)
        assert [[e for e, _ in row] for row in remembered] == [[e for e, _ in row] for row in fresh]
        assert np.allclose([p for row in remembered for _, p in row], [p for row in fresh for _, p in row], rtol=1e-4)
    assert generated not in models.bank_emoji  # what is not in the bank is suggested, not remembered


def test_a_damaged_model_or_a_missing_package_at_start_up_is_one_line(monkeypatch, capsys):
    import socket

    from helpers import paths, zoo

    with socket.socket() as s:  # a port free now
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    started = []
    monkeypatch.setattr(serve.cli, "serve", lambda *a, **k: started.append(a))
    real_load = zoo.load

    def damaged(name, root=None, **kwargs):
        raise zoo.ZooError(f"zoo/{name}.keras does not match its checksum: restore it with git checkout")

    monkeypatch.setattr(zoo, "load", damaged)
    assert serve.main(["run", "--port", port, "--generators", ""]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: zoo/04_seq2seq/you.keras does not match its checksum: restore it with git checkout"]
    monkeypatch.setattr(zoo, "load", real_load)
    real_spec = paths.find_spec  # a virtual environment made before LiteRT joined requirements.txt
    monkeypatch.setattr(paths, "find_spec", lambda name: None if name == "ai_edge_litert" else real_spec(name))
    assert serve.main(["run", "--port", port, "--generators", ""]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the package 'ai_edge_litert' is not installed") and "Traceback" not in err
    assert not started, "the server started although its models did not load"


def test_a_server_starting_in_the_background_is_given_time_while_it_writes_to_its_log(tmp_path, monkeypatch):
    import stat
    import sys
    import time

    def fake_server(body):  # stands in for `python -m helpers.serve run ...`: never listens
        script = tmp_path / "fake_python"
        script.write_text(f"#!/bin/bash\n{body}\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setattr(sys, "executable", str(script))

    fake_server("for i in $(seq 10); do echo converting $i; sleep 0.2; done; sleep 30")  # 2 s of progress, then silence
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"did not start(.|\n)*converting 10"):
        serve.start_in_background([], log_path=tmp_path / "progress.log", timeout=0.8)
    assert time.monotonic() - start > 2.0, "stopped while the server was still writing to its log"
    fake_server("sleep 30")  # silent from the start
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="did not start within 0.8 s"):
        serve.start_in_background([], log_path=tmp_path / "silent.log", timeout=0.8)
    assert time.monotonic() - start < 5


def test_a_bad_port_or_address_is_one_line_with_the_right_advice(capsys):
    for port in ("99999", "-1", "http"):
        with pytest.raises(SystemExit) as stop:
            serve.main(["run", "--port", port])
        assert stop.value.code == 2 and f"from 1 to 65535, not {port}" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no such address: use 127.0.0.1"):
        serve.check_port("192.0.2.1", 8000)  # TEST-NET-1: an address no computer has
    assert serve.main(["run", "--host", "192.0.2.1", "--port", "8000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot serve on 192.0.2.1:8000") and "Traceback" not in err

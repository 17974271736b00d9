"""The HTTP layer of a real server (uvicorn on 127.0.0.1): deadlines for slow requests, JSON for every error.

Tried as a hostile client would: headers dribbled byte by byte, a Content-Length longer than the body,
a request line that is not HTTP, many slow connections at once. Each test talks to the server through a
raw socket, because an HTTP client library would not send such requests.
"""

import json
import socket
import time

import pytest

from helpers.serve import json_error_bytes

TIMEOUT = 1.0  # the server's --request-timeout in these tests


@pytest.fixture(scope="module")
def server(served):
    assert served.request_timeout == TIMEOUT, "conftest.py's shared server has another --request-timeout"
    return served.url.rsplit(":", 1)[1], served.log  # one server process for the session (conftest.py)


def connect(port) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", int(port)), timeout=10)
    sock.settimeout(10)
    return sock


def read_all(sock) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def response_of(raw: bytes) -> tuple[int, dict, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, json.loads(body)


def test_dribbled_headers_get_408_and_the_connection_closes(server):
    port, _ = server
    with connect(port) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never the blank line that ends the headers
        for _ in range(3):
            time.sleep(0.3)
            sock.sendall(b"X-Slow: 1\r\n")
        raw = read_all(sock)  # returns only once the server closes
        waited = time.monotonic() - start
    status, headers, body = response_of(raw)
    assert status == 408 and headers["content-type"] == "application/json"
    assert body["error"]["status"] == 408 and "1 s" in body["error"]["message"]
    assert TIMEOUT * 0.9 <= waited < TIMEOUT + 3


def test_a_body_shorter_than_its_content_length_gets_408(server):
    port, _ = server
    with connect(port) as sock:
        sock.sendall(
            b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            b'{"message": "hi"'
        )
        status, _, body = response_of(read_all(sock))
    assert status == 408 and body["error"]["status"] == 408


def test_a_request_that_is_not_http_gets_a_json_400(server):
    port, _ = server
    with connect(port) as sock:
        sock.sendall(b"HELLO THERE\r\n\r\n")
        status, headers, body = response_of(read_all(sock))
    assert status == 400 and headers["content-type"] == "application/json"
    assert body == {"error": {"status": 400, "message": "invalid HTTP request"}}


def test_slow_connections_do_not_stall_the_server_and_are_all_closed(server):
    port, log = server
    slow = [connect(port) for _ in range(50)]
    for sock in slow:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")
    try:
        with connect(port) as sock:  # meanwhile a normal request is answered at once
            start = time.monotonic()
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            status, _, body = response_of(read_all(sock))
            assert status == 200 and body["status"] == "ok"
            assert time.monotonic() - start < 1.0
        closed = 0
        for sock in slow:
            raw = read_all(sock)  # the server closes each one after its deadline
            closed += raw.startswith(b"HTTP/1.1 408")
        assert closed == len(slow)
    finally:
        for sock in slow:
            sock.close()
    assert "took longer than 1 s" in log.read_text()


def test_keep_alive_requests_within_the_deadline_still_work(server):
    port, _ = server
    with connect(port) as sock:
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            raw = b""
            while b"\r\n\r\n" not in raw:
                raw += sock.recv(65536)
            head, _, body = raw.partition(b"\r\n\r\n")
            length = int(
                next(line.split(b": ")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            )
            while len(body) < length:
                body += sock.recv(65536)
            assert head.startswith(b"HTTP/1.1 200") and json.loads(body)["status"] == "ok"
            time.sleep(TIMEOUT * 1.5)  # idle between requests is keep-alive time, not a slow request


def test_error_bytes_are_one_whole_response():
    status, headers, body = response_of(json_error_bytes(408, "Request Timeout", "too slow"))
    assert (
        status == 408 and headers["connection"] == "close" and int(headers["content-length"]) == len(json.dumps(body))
    )


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_request_timeout_that_is_not_positive_is_one_error_line(value, capsys):
    from helpers import serve

    assert serve.main(["run", "--request-timeout", value, "--generators", ""]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --request-timeout must be a positive") and len(err.splitlines()) == 1, err

"""The download helper against a local HTTP server (loopback only): resume, restart, checksums, extraction."""

import hashlib
import http.server
import io
import tarfile
import threading
import zipfile

import pytest

from helpers import download

PAYLOAD = bytes(range(256)) * 400  # 100 KiB
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    honour_range = True
    cut_after: int | None = None  # close the connection after this many bytes (simulated interruption)
    requests: list = []

    def do_GET(self):  # noqa: N802 (http.server API)
        type(self).requests.append(self.headers.get("Range"))
        if self.path == "/missing":
            self.send_error(404)
            return
        start = 0
        header = self.headers.get("Range")
        if header and self.honour_range:
            start = int(header.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.cut_after is not None:
            self.wfile.write(body[: self.cut_after])
            type(self).cut_after = None
            self.wfile.flush()
            self.connection.shutdown(1)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Handler.honour_range, Handler.cut_after, Handler.requests = True, None, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_fetch_and_cache_hit(server, tmp_path):
    path = download.fetch(f"{server}/data.bin", sha256=SHA, cache=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert download.fetch(f"{server}/data.bin", sha256=SHA, cache=tmp_path, progress=False) == path
    assert len(Handler.requests) == 1  # the second call was a verified cache hit


def test_interrupted_download_resumes(server, tmp_path):
    Handler.cut_after = 30_000
    with pytest.raises(download.DownloadError, match="run again to resume"):
        download.fetch(f"{server}/data.bin", sha256=SHA, cache=tmp_path, progress=False)
    assert (tmp_path / "data.bin.part").stat().st_size == 30_000
    path = download.fetch(f"{server}/data.bin", sha256=SHA, cache=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD and Handler.requests[-1] == "bytes=30000-"
    assert not (tmp_path / "data.bin.part").exists()


def test_server_without_range_restarts_cleanly(server, tmp_path):
    (tmp_path / "data.bin.part").write_bytes(b"stale partial bytes")
    Handler.honour_range = False
    path = download.fetch(f"{server}/data.bin", sha256=SHA, cache=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD


def test_checksum_mismatch_deletes_and_says_so(server, tmp_path):
    with pytest.raises(download.DownloadError, match="sha256 mismatch.*deleted"):
        download.fetch(f"{server}/data.bin", sha256="0" * 64, cache=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_damaged_cached_copy_is_fetched_again(server, tmp_path):
    (tmp_path / "data.bin").write_bytes(b"damaged")
    path = download.fetch(f"{server}/data.bin", sha256=SHA, cache=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD


def test_http_error_and_no_network(server, tmp_path):
    with pytest.raises(download.DownloadError, match="HTTP 404"):
        download.fetch(f"{server}/missing", cache=tmp_path, progress=False)
    with pytest.raises(download.DownloadError, match="cannot connect"):
        download.fetch("http://127.0.0.1:9/nothing.zip", cache=tmp_path, progress=False, timeout=2)


def test_registry_names_and_unknown_names():
    source = download.REGISTRY["cornell-movie-dialogs"]
    assert source.url.endswith(".zip") and len(source.sha256) == 64 and source.license
    with pytest.raises(KeyError, match="neither a registered data set"):
        download.fetch("no-such-corpus")


def test_extract_zip_and_tar(tmp_path):
    archive = tmp_path / "ok.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("folder/movie_lines.txt", "x")
    assert (download.extract(archive, tmp_path / "out") / "folder" / "movie_lines.txt").read_text() == "x"
    tar_path = tmp_path / "ok.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tf:
        info = tarfile.TarInfo("a/b.txt")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"y"))
    assert (download.extract(tar_path, tmp_path / "out2") / "a" / "b.txt").read_text() == "y"


@pytest.mark.parametrize("member", ["../escape.txt", "/tmp/absolute_escape.txt", "a/../../escape.txt"])
def test_extract_refuses_escaping_members(tmp_path, member):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("fine.txt", "ok")
        zf.writestr(member, "pwned")
    with pytest.raises(download.DownloadError, match="outside"):
        download.extract(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "fine.txt").exists()  # checked before anything is written
    assert not (tmp_path / "escape.txt").exists()


def test_extract_refuses_tar_links(tmp_path):
    archive = tmp_path / "link.tar"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(info)
    with pytest.raises(download.DownloadError, match="link"):
        download.extract(archive, tmp_path / "out")


def test_a_206_from_byte_zero_restarts_instead_of_appending(server, tmp_path, monkeypatch):
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:1000])
    original = Handler.do_GET

    def from_zero(self):  # a server that answers every Range with the whole file, as a 206
        type(self).requests.append(self.headers.get("Range"))
        self.send_response(206)
        self.send_header("Content-Range", f"bytes 0-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    monkeypatch.setattr(Handler, "do_GET", from_zero)
    path = download.fetch(f"{server}/file.bin", cache=tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD  # not the first 1000 bytes twice
    monkeypatch.setattr(Handler, "do_GET", original)


def test_without_sha256_the_announced_length_must_hold(server, tmp_path, monkeypatch):
    def no_length(self):  # a cut-off body with no Content-Length: cannot be told from a whole one
        self.send_response(200)
        self.end_headers()
        self.wfile.write(PAYLOAD[:500])

    monkeypatch.setattr(Handler, "do_GET", no_length)
    with pytest.raises(download.DownloadError, match="no length and no sha256"):
        download.fetch(f"{server}/file.bin", cache=tmp_path, progress=False)
    assert not (tmp_path / "file.bin").exists() and not (tmp_path / "file.bin.part").exists()
    # with a sha256 the same body is checked by its hash instead
    with pytest.raises(download.DownloadError, match="sha256 mismatch"):
        download.fetch(f"{server}/file.bin", sha256=SHA, cache=tmp_path, progress=False)


def test_a_body_shorter_than_announced_is_kept_for_resuming(server, tmp_path):
    Handler.cut_after = 4000
    with pytest.raises(download.DownloadError):
        download.fetch(f"{server}/file.bin", cache=tmp_path, progress=False)
    assert not (tmp_path / "file.bin").exists() and (tmp_path / "file.bin.part").stat().st_size == 4000

"""A real browser on the chat page: headless Chromium (Debian's ``chromium``) driven by Playwright.

The server runs as users run it (``python -m helpers.serve run`` on 127.0.0.1, a free port); the
browser types a message, presses Send and must see the bot's reply with emoji. Playwright
never downloads a browser here: it launches the system's Chromium (``CHROMIUM`` or
``/usr/bin/chromium``). ``.ci/run`` installs it; without one the test skips and says why.
"""

import os
import shutil
import time
from pathlib import Path

import pytest

from helpers import paths

SECRET = "my secret word is pineapple"


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def server():
    from helpers.serve import start_in_background

    log = paths.generated("logs", "test_browser_server.log")
    process, url = start_in_background(["--generators", ""], log_path=log)
    try:
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_chat_page_in_a_real_browser(server):
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "no Chromium found (apt-get install chromium, or set CHROMIUM=/path/to/chrome); .ci/run installs it"
        )
    playwright = pytest.importorskip("playwright.sync_api")
    url, log = server
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            outside = []
            page.on("request", lambda r: None if r.url.startswith((url, "data:")) else outside.append(r.url))
            page.goto(url + "/")
            assert page.title() == "Talk Like You"
            page.fill("#message", SECRET)
            page.click("#send")
            reply = page.wait_for_selector(".msg.bot", timeout=30_000)
            text = reply.inner_text().strip()
            assert text, "the bot's bubble is empty"
            assert page.locator(".msg.bot .emoji").count() == 1  # suggested emoji under the reply
            assert page.locator(".msg.you").inner_text() == SECRET
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            markup = "<img src=x onerror=alert(1)> and what about tomorrow?"
            page.fill("#message", markup)
            page.press("#message", "Enter")  # Enter sends too
            page.wait_for_function("document.querySelectorAll('.msg.bot').length == 2", timeout=30_000)
            assert page.locator(".msg.you").nth(1).inner_text() == markup  # shown as text, never run as HTML
            assert not dialogs and page.locator(".msg img").count() == 0
            page.screenshot(path=str(paths.generated("screenshots", "chat_page.png")))
            assert not errors, errors
            assert not outside, f"the page fetched from outside the server: {outside}"
        finally:
            browser.close()
    time.sleep(0.5)
    server_log = log.read_text()
    assert "POST /api/chat 200" in server_log and "pineapple" not in server_log

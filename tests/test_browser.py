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
def server(served):
    return served.url, served.log  # one server process for the session (conftest.py)


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
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            errors = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            outside = []
            page.on("request", lambda r: None if r.url.startswith((url, "data:")) else outside.append(r.url))
            page.goto(url + "/")
            assert page.title() == "Talk Like You"
            greeting = page.wait_for_selector(".msg.greeting", timeout=30_000)  # the bot says hello first
            assert "talks like" in greeting.inner_text()
            assert page.locator("#avatar").inner_text().strip() not in ("", "?", "·")
            page.fill("#message", SECRET)
            page.click("#send")
            page.wait_for_selector("#typing", state="detached", timeout=30_000)  # the typing row goes with the reply
            reply = page.wait_for_selector(".msg.reply", timeout=30_000)
            assert reply.inner_text().strip(), "the bot's bubble is empty"
            assert page.locator(".msg.reply .emoji").count() == 1  # suggested emoji under the reply
            pictures = page.locator(".msg.reply .emoji img")
            assert pictures.count() >= 1, "the suggested emoji are not shown as Twemoji pictures"
            page.wait_for_function(
                "[...document.querySelectorAll('.msg.reply .emoji img')].every(i => i.complete && i.naturalWidth > 0)",
                timeout=10_000,
            )
            assert all(pictures.nth(i).get_attribute("title") for i in range(pictures.count()))  # labelled
            assert page.locator(".msg.you").inner_text() == SECRET
            assert page.locator(".meta").count() >= 3  # a time under every bubble
            source = reply.evaluate("bubble => bubble.nextSibling.textContent")  # and where the reply came from
            assert "said before, in the training chats" in source or "written by the model" in source, source
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            markup = "<img src=x onerror=alert(1)> and what about tomorrow?"
            page.fill("#message", markup)
            page.press("#message", "Enter")  # Enter sends too
            page.wait_for_function("document.querySelectorAll('.msg.reply').length == 2", timeout=30_000)
            assert page.locator(".msg.you").nth(1).inner_text() == markup  # shown as text, never run as HTML
            assert not dialogs and page.locator(".msg.you img").count() == 0
            page.fill(
                "#message", "haha 😂👍🏽!"
            )  # emoji in a bubble are drawn as Twemoji pictures, like the suggestions
            page.press("#message", "Enter")
            page.wait_for_function("document.querySelectorAll('.msg.reply').length == 3", timeout=30_000)
            inline = page.locator(".msg.you").nth(2).locator("img.inline-emoji")
            assert [inline.nth(i).get_attribute("alt") for i in range(inline.count())] == ["😂", "👍🏽"]
            page.wait_for_function(
                "[...document.querySelectorAll('img.inline-emoji')].every(i => i.complete && i.naturalWidth > 0)",
                timeout=10_000,
            )
            assert page.locator(".msg.you").nth(2).inner_text().strip() in ("haha !", "haha  !")
            shots = paths.generated("screenshots", "chat_page.png").parent
            page.screenshot(path=str(shots / "chat_page.png"))
            page.click("#about-button")
            assert page.locator("#about dd").count() >= 3  # the model card's key numbers
            page.screenshot(path=str(shots / "chat_page_about.png"))
            page.click("#about-close")
            assert not errors, errors
            assert not outside, f"the page fetched from outside the server: {outside}"
            for name, options in (
                ("chat_page_phone.png", {"viewport": {"width": 390, "height": 780}, "device_scale_factor": 2}),
                ("chat_page_dark.png", {"viewport": {"width": 1100, "height": 760}, "color_scheme": "dark"}),
            ):
                other = browser.new_page(**options)
                other.goto(url + "/")
                other.wait_for_selector(".msg.greeting", timeout=30_000)
                other.fill("#message", "do you like dogs?")
                other.press("#message", "Enter")
                other.wait_for_selector(".msg.reply .emoji img", timeout=30_000)
                other.wait_for_timeout(300)
                width = other.evaluate("document.documentElement.scrollWidth")
                assert width <= options["viewport"]["width"], f"{name}: the page is wider than the window"
                other.screenshot(path=str(shots / name))
                other.close()
        finally:
            browser.close()
    time.sleep(0.5)
    server_log = log.read_text()
    assert "POST /api/chat 200" in server_log and "pineapple" not in server_log

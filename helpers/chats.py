"""Chat exports and corpora -> messages -> "their message, your reply" pairs.

Every source becomes a list of :class:`Message` (conversation, timestamp,
sender, text). :func:`build_pairs` then merges consecutive messages of one
sender into turns and pairs each of *my* turns with the turn just before it.

Supported personal exports (``--format``):

* ``messenger``: Facebook "Download your information", JSON (``message_*.json``
  per thread, possibly several files per thread, newest first, mojibake text);
  Instagram direct messages come in the same JSON (``your_instagram_activity/messages/inbox``);
* ``messenger-html``: the Messenger export in HTML, in any interface language;
* ``whatsapp``: "Export chat" ``.txt`` (Android and iOS, every date style: see
  :mod:`helpers.whatsapp`) or the ``.zip`` holding it;
* ``telegram``: Telegram Desktop ``result.json`` (one chat or a full export);
* ``telegram-html``: Telegram Desktop's default HTML export (``messages.html``,
  ``messages2.html``, ... in a chat folder, or a full export's ``chats/``).

Placeholders and system notices (``<Media omitted>``, "X reacted ❤ to your message", deleted
messages, missed calls, in 30 languages) never become messages: they are skipped and counted by
kind, from the table in :mod:`helpers.chat_notices`; so are Telegram's forwarded messages, inline bots' results
and chats with a bot (someone else's words). :func:`build_pairs` folds a typist's one-word corrections into the
line they correct (:func:`merge_corrections`).

Command line (taught in 01_corpus_download)::

    python -m helpers.chats PATH... --me "NAME" --out FILE.jsonl \
        [--format auto|messenger|messenger-html|whatsapp|telegram|telegram-html] \
        [--date-order auto|dmy|mdy|ymd|ydm] [--anonymize] [--max-gap-hours H]

Bad input never crashes: a bad record is skipped and counted by reason; a file
that is not the claimed format stops with ``error: FILE[:LINE]: what is wrong``
(exit status 2). The source files are only ever opened for reading.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator

from babel import Locale
from bs4 import BeautifulSoup
from dateutil import parser as dateparser
from nltk.metrics.distance import edit_distance
from tqdm.auto import tqdm

from . import paths
from .chat_notices import notices
from .chat_records import (  # noqa: F401
    MAX_FILE_BYTES,
    MAX_TEXT_CHARS,
    ChatFormatError,
    Message,
    ParseResult,
    _decode_text,
    _keep_text,
    _load_json,
    _looks_binary,
    _read_bytes,
    clean_invisible,
    describe_skipped,
    read_head,
)
from .whatsapp import DATE_ORDERS, infer_date_order, match_header, meridiem, parse_whatsapp, whatsapp_date_order  # noqa: F401


# --------------------------------------------------------------------------- Facebook Messenger and Instagram JSON
def fix_mojibake(text: str) -> str:
    """Repair Messenger's encoding: UTF-8 bytes stored as one latin-1 code point each.

    ``"Ã©"`` becomes ``"é"`` and ``"ð\\x9f\\x98\\x82"`` becomes the emoji it was.
    Text that is already correct (a real ``"é"`` next to a real emoji) is returned unchanged.
    Taught in: 01_corpus_download.
    """
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


# Record types that carry a person's words: old exports' "Generic" and "Share" (a link with the
# sender's own text), and none at all (the newer exports).
_MESSENGER_TEXT_TYPES = (None, "Generic", "Share")


def parse_messenger(path: str | Path) -> ParseResult:
    """Parse one Messenger or Instagram ``message_N.json`` (``sender_name``/``content`` or ``senderName``/``text``).

    Calls, group joins, reactions and media placeholders are skipped and counted by kind
    (records with no ``type`` included: the newer exports write notices as ordinary messages).
    Taught in: 01_corpus_download.
    """
    path = Path(path)
    doc = _load_json(path)
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("messages"), list)
        or not (
            "participants" in doc
            or any(isinstance(r, dict) and ("sender_name" in r or "senderName" in r) for r in doc["messages"][:20])
        )
    ):
        raise ChatFormatError(path, "not a Messenger export: expected an object with 'participants' and 'messages'")
    table = notices()
    result = ParseResult(files=1)
    conversation = fix_mojibake(
        str(doc.get("thread_path") or doc.get("threadName") or doc.get("title") or path.parent.name)
    )
    for record in doc["messages"]:
        if not isinstance(record, dict):
            result.skipped["malformed record"] += 1
            continue
        sender = record.get("sender_name", record.get("senderName"))
        if not isinstance(sender, str) or not sender.strip():
            result.skipped["no sender"] += 1
            continue
        kind = record.get("type")
        if record.get("is_unsent") or record.get("isUnsent"):
            result.skipped["notice: unsent"] += 1
            continue
        # a call record carries its duration; the newer exports drop its type and keep "Alex called you." as text
        call = kind == "Call" or "call_duration" in record
        if call or kind not in _MESSENGER_TEXT_TYPES:
            result.skipped[
                "notice: call"
                if call
                else "notice: group notice"
                if kind in ("Subscribe", "Unsubscribe")
                else "system message"
            ] += 1
            continue
        content = record.get("content", record.get("text"))
        content = fix_mojibake(content) if isinstance(content, str) else ""
        notice = table.classify(clean_invisible(content), "messenger")
        if notice is not None:
            result.skipped[f"notice: {notice}"] += 1
            continue
        text = _keep_text(content, result.skipped)
        if text is None:
            continue
        stamp = record.get("timestamp_ms", record.get("timestamp"))
        try:
            timestamp = datetime.fromtimestamp(float(stamp) / 1000, tz=timezone.utc)
        except (TypeError, ValueError, OverflowError, OSError):
            result.skipped["bad timestamp"] += 1
            continue
        result.messages.append(Message(conversation, timestamp, fix_mojibake(sender).strip(), text))
    result.messages.sort(key=lambda m: m.timestamp)  # the export is newest first
    return result


# --------------------------------------------------------------------------- Facebook Messenger HTML
_CJK_DATE = re.compile(r"(\d{4})\s?[年년]\s?(\d{1,2})\s?[月월]\s?(\d{1,2})\s?[日일]?")
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")
#: Languages whose month names the Messenger HTML date reader knows (CLDR data, through babel).
MONTH_LANGUAGES = (
    "en",
    "es",
    "fr",
    "de",
    "pt",
    "it",
    "nl",
    "pl",
    "cs",
    "ru",
    "uk",
    "tr",
    "id",
    "ms",
    "vi",
    "sv",
    "da",
    "nb",
    "fi",
    "ro",
    "hu",
    "el",
    "ca",
    "hr",
    "sk",
    "sl",
    "bg",
    "sr",
    "lt",
    "lv",
    "et",
    "tl",
    "ar",
    "he",
    "hi",
    "bn",
    "mr",
    "ta",
    "te",
    "ur",
    "sw",
    "th",
)


@lru_cache(maxsize=1)
def month_names() -> dict[str, int]:
    """Month names and abbreviations in :data:`MONTH_LANGUAGES` (from Unicode CLDR), lower-case, to 1-12."""

    names: dict[str, int] = {}
    for language in MONTH_LANGUAGES:
        locale = Locale.parse(language)
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    names.setdefault(name.lower().rstrip("."), number)
    return names


def parse_html_date(text: str) -> datetime | None:
    """Read a date as Messenger's HTML export writes it, in any interface language; None when impossible.

    ``Mar 12, 2024 11:03:54pm``, ``12 mars 2024 à 23:03``, ``12 thg 3, 2024 11:03:54 CH``,
    ``2024年3月12日 下午11:03``. The year is the four-digit number, the time the ``h:mm[:ss]``
    group with a morning/afternoon word if any; the month is a month name (CLDR's, through
    babel) or, with no name, the number next to the day in the order the language writes it.
    Taught in: 01_corpus_download.
    """
    text = unicodedata.normalize("NFKC", clean_invisible(text)).strip()
    text = re.sub(r"\d", lambda m: str(unicodedata.decimal(m.group(), 0)), text)
    clock = None
    for clock in _CLOCK.finditer(text):
        pass  # the last h:mm group is the time (a date never has a colon)
    if clock is None:
        return None
    hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
    marker = meridiem(text)  # the same markers the WhatsApp grammar reads
    if marker == "pm":
        hour = hour % 12 + 12
    elif marker == "am":
        hour = hour % 12
    date_part = text[: clock.start()] + " " + text[clock.end() :]
    cjk = _CJK_DATE.search(date_part)
    if cjk:
        year, month, day = int(cjk[1]), int(cjk[2]), int(cjk[3])
    else:
        year_match = re.search(r"(?<!\d)(\d{4})(?!\d)", date_part)
        if year_match is None:
            return None
        year = int(year_match[1])
        others = [int(n) for n in re.findall(r"(?<!\d)\d{1,2}(?!\d)", date_part)]
        lowered_date = date_part.lower()  # a month name is found inside the text ("במרץ" is "in March")
        found_names = sorted(
            ((len(name), number) for name, number in month_names().items() if len(name) >= 3 and name in lowered_date),
            reverse=True,
        )
        months = [number for _, number in found_names[:1]]
        if months and others:
            month, day = months[0], others[0]
        elif len(others) >= 2:
            first, second_ = others[0], others[1]
            if year_match.start() < date_part.find(str(first)):  # year first: y m d
                month, day = first, second_
            else:  # d m y (the order of most languages that write the month as a number)
                day, month = (first, second_) if first > 12 or second_ <= 12 else (second_, first)
        else:
            return None
    if year > 2400:
        year -= 543  # Thai Buddhist calendar
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _html_date(text: str) -> datetime | None:
    try:
        return dateparser.parse(clean_invisible(text).strip(), fuzzy=False)  # English styles, ISO times
    except (ValueError, OverflowError):
        return parse_html_date(text)


def parse_messenger_html(path: str | Path) -> ParseResult:
    """Parse one Messenger ``message_N.html`` thread (the export's HTML option).

    Each message is a block whose children are the sender, the text and the date;
    Facebook's class names are machine-generated, so we match the block structure
    (``_a6-h`` sender, ``_a6-p`` content, ``_a6-o`` date; older ``_2lek``/``_2let``/``_2lem``).
    Dates are read in any interface language (:func:`parse_html_date`); when none can be
    read, the error names the first one. Taught in: 01_corpus_download.
    """

    path = Path(path)
    html = _decode_text(_read_bytes(path), path)
    soup = BeautifulSoup(html, "html.parser")
    senders = soup.select("div._a6-h, div._2lek")
    if not senders:
        raise ChatFormatError(path, "not a Messenger HTML export: no message blocks (div._a6-h) found")
    title = soup.title.get_text(strip=True) if soup.title else path.parent.name
    table = notices()
    result = ParseResult(files=1)
    unread_date = None
    for sender_div in senders:
        content = sender_div.find_next_sibling("div", class_=["_a6-p", "_2let"])
        date_div = sender_div.find_next_sibling("div", class_=["_a6-o", "_2lem"])
        sender = sender_div.get_text(" ", strip=True)
        if not sender:
            result.skipped["no sender"] += 1
            continue
        if content is None or content.find(["img", "video", "audio"]) is not None and not content.get_text(strip=True):
            result.skipped["no text (media, sticker or empty)"] += 1
            continue
        # Messages are nested divs: the text sits in the innermost div that has text and no div children.
        parts = [div.get_text(" ", strip=True) for div in content.find_all("div") if not div.find("div")]
        text = _keep_text("\n".join(p for p in parts if p) or content.get_text(" ", strip=True), result.skipped)
        if text is None:
            continue
        notice = table.classify(text, "messenger")
        if notice is not None:
            result.skipped[f"notice: {notice}"] += 1
            continue
        stamp_text = date_div.get_text(" ", strip=True) if date_div is not None else ""
        timestamp = _html_date(stamp_text) if stamp_text else None
        if timestamp is None:
            unread_date = unread_date or stamp_text
            result.skipped["bad timestamp"] += 1
            continue
        result.messages.append(Message(title, timestamp, sender, text))
    if not result.messages and unread_date:
        raise ChatFormatError(
            path,
            f"cannot read the date {unread_date!r}; export again with the interface in "
            "English, or choose the JSON format",
        )
    result.messages.sort(key=lambda m: m.timestamp)
    return result


# --------------------------------------------------------------------------- Telegram JSON
def telegram_text(value) -> str:
    """Flatten Telegram's ``text`` field: a string, or a list of strings and entity objects.

    Taught in: 01_corpus_download.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", "")) if isinstance(part, dict) else ""
            for part in value
        )
    return ""


def _telegram_chats(doc) -> Iterator[dict]:
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        if "participants" not in doc:  # Messenger's threads have participants
            yield doc
    elif isinstance(doc, dict) and isinstance(doc.get("chats"), dict):
        for section in ("chats", "left_chats"):
            for chat in (doc.get(section) or {}).get("list", []):
                if isinstance(chat, dict) and isinstance(chat.get("messages"), list):
                    yield chat


#: Why a forwarded message is skipped: its text is someone else's words (a friend's, a channel's), so as "your"
#: reply it would teach the bot another person's style. Telegram marks them (JSON ``forwarded_from``, HTML
#: ``div.forwarded``); WhatsApp and Messenger exports do not.
FORWARDED = "forwarded (someone else's words)"


def _telegram_message(record, conversation: str, result: ParseResult) -> None:
    if not isinstance(record, dict):
        result.skipped["malformed record"] += 1
        return
    if record.get("type", "message") != "message":
        result.skipped["system message"] += 1
        return
    if "forwarded_from" in record or "saved_from" in record:  # Telegram writes these keys on passed-on messages only
        result.skipped[FORWARDED] += 1
        return
    if record.get("via_bot"):  # an inline bot's result (@gif, @youtube ...): the bot's text, not the sender's
        result.skipped["sent through an inline bot"] += 1
        return
    sender = record.get("from")
    if not isinstance(sender, str) or not sender.strip():
        result.skipped["no sender"] += 1
        return
    text = _keep_text(telegram_text(record.get("text", "")), result.skipped)
    if text is None:
        return
    try:
        if "date_unixtime" in record:
            timestamp = datetime.fromtimestamp(int(record["date_unixtime"]), tz=timezone.utc)
        else:
            timestamp = datetime.fromisoformat(str(record["date"]))
    except (KeyError, ValueError, OverflowError, OSError):
        result.skipped["bad timestamp"] += 1
        return
    quoted = record.get("reply_to_message_id")
    result.messages.append(
        Message(
            conversation,
            timestamp,
            sender.strip(),
            text,
            str(record["id"]) if record.get("id") is not None else None,
            str(quoted) if quoted is not None else None,
        )
    )


def parse_telegram(path: str | Path) -> ParseResult:
    """Parse Telegram Desktop's ``result.json``: one chat, or a full export with ``chats.list``.

    Service messages (joins, pins, calls), media without a caption, forwarded messages (:data:`FORWARDED`),
    inline bots' results and chats with a bot (``"type": "bot_chat"``) are counted and skipped.
    Taught in: 01_corpus_download.
    """
    path = Path(path)
    doc = _load_json(path)
    chats = list(_telegram_chats(doc))
    if not chats:
        if isinstance(doc, dict) and isinstance(doc.get("chats"), dict):
            raise ChatFormatError(
                path,
                "a Telegram full export without any chat: export again with "
                "'Personal chats' (or the groups you want) ticked",
            )
        raise ChatFormatError(
            path, "not a Telegram export: expected 'messages' (one chat) or 'chats.list' (full export)"
        )
    result = ParseResult(files=1)
    for chat in chats:
        if chat.get("type") == "bot_chat":  # commands to a bot and its canned answers: nobody's way of talking
            result.skipped["chat with a bot"] += len(chat["messages"])
            continue
        conversation = str(chat.get("name") or chat.get("id") or path.parent.name or "telegram")
        for record in chat["messages"]:
            _telegram_message(record, conversation, result)
    return result


# --------------------------------------------------------------------------- Telegram HTML
_TELEGRAM_STAMP = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: UTC([+-])(\d{2}):?(\d{2}))?")


_TELEGRAM_ID = re.compile(r"message(-?\d+)")  # a message block's id
_TELEGRAM_LINK = re.compile(r"#go_to_message(-?\d+)$")  # "In reply to this message"


def telegram_pages(first: Path) -> list[Path]:
    """``messages.html`` and the pages after it (``messages2.html``, ``messages3.html``, ...) in order."""
    pages = {1: first}
    for page in first.parent.glob("messages*.html"):
        number = re.fullmatch(r"messages(\d*)\.html", page.name)
        if number and number[1]:
            pages[int(number[1])] = page
    return [pages[n] for n in sorted(pages)]


def _telegram_stamp(title: str) -> datetime | None:
    found = _TELEGRAM_STAMP.search(title or "")
    if not found:
        return None
    day, month, year, hour, minute, second = (int(found[i]) for i in range(1, 7))
    try:
        stamp = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if found[7]:
        offset = timedelta(hours=int(found[8]), minutes=int(found[9]))
        stamp = stamp.replace(tzinfo=timezone(offset if found[7] == "+" else -offset))
    return stamp


def parse_telegram_html(path: str | Path) -> ParseResult:
    """Parse Telegram Desktop's HTML export of one chat: ``messages.html`` and the pages after it.

    Messages are ``div.message.default``; a "joined" message (a second message in a row)
    has no ``from_name`` and belongs to the sender before it, even across pages; forwarded
    messages (someone else's words, :data:`FORWARDED`), service messages, and media without a caption,
    are counted and skipped. Taught in: 01_corpus_download.
    """

    path = Path(path)
    pages = telegram_pages(path) if path.name == "messages.html" else [path]
    result = ParseResult()
    sender = None
    for page in pages:
        soup = BeautifulSoup(_decode_text(_read_bytes(page), page), "html.parser")
        history = soup.select_one("div.history")
        if history is None:
            raise ChatFormatError(page, "not a Telegram HTML export: no div.history found")
        header = soup.select_one("div.page_header div.text")
        conversation = header.get_text(" ", strip=True) if header else page.parent.name
        result.files += 1
        for block in history.select("div.message"):
            classes = block.get("class", [])
            if "service" in classes:
                result.skipped["system message"] += 1
                continue
            body = block.find("div", class_="body", recursive=False)
            if body is None:
                result.skipped["malformed record"] += 1
                continue
            name = body.find("div", class_="from_name", recursive=False)
            if name is not None:
                sender = name.get_text(" ", strip=True) or None
            elif "joined" not in classes:
                sender = None
            if not sender:
                result.skipped["no sender"] += 1
                continue
            if body.find("div", class_="forwarded", recursive=False) is not None:
                result.skipped[FORWARDED] += 1
                continue
            text_div = body.find("div", class_="text", recursive=False)
            if text_div is None:
                result.skipped["no text (media, sticker or empty)"] += 1
                continue
            for br in text_div.find_all("br"):
                br.replace_with("\n")
            text = _keep_text(text_div.get_text(), result.skipped)
            if text is None:
                continue
            date = body.find("div", class_="date")
            stamp = _telegram_stamp(date.get("title", "") if date is not None else "")
            if stamp is None:
                result.skipped["bad timestamp"] += 1
                continue
            found = _TELEGRAM_ID.fullmatch(block.get("id", ""))
            link = body.select_one("div.reply_to a[href]")
            quoted = _TELEGRAM_LINK.search(link["href"]) if link is not None else None
            result.messages.append(
                Message(conversation, stamp, sender, text, found[1] if found else None, quoted[1] if quoted else None)
            )
    return result


# --------------------------------------------------------------------------- format detection
PARSERS: dict[str, Callable[..., ParseResult]] = {
    "messenger": parse_messenger,
    "messenger-html": parse_messenger_html,
    "whatsapp": parse_whatsapp,
    "telegram": parse_telegram,
    "telegram-html": parse_telegram_html,
}
FORMATS = ("auto", *PARSERS)


def detect_format(path: str | Path) -> str:
    """Tell which export a file is from its name and first bytes (never the whole file).

    Taught in: 01_corpus_download.
    """
    path = Path(path)
    if path.is_dir():
        raise ChatFormatError(path, "is a folder; pass the export file, or the folder with --format auto")
    head = read_head(path)
    if not head:
        raise ChatFormatError(path, "empty file")
    if _looks_binary(head) is not None and not head.startswith((b"PK\x03\x04", b"\xff\xfe", b"\xfe\xff")):
        raise ChatFormatError(path, "binary data, not a chat export")
    if head.startswith(b"PK\x03\x04"):
        return "whatsapp"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "whatsapp"  # only WhatsApp (on Windows) writes UTF-16
    start = head.decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
    if path.suffix.lower() in (".html", ".htm") or start[:15].lower().startswith(("<!doctype html", "<html")):
        if re.search(r'class="(?:page_wrap|history)"|<title>Exported Data</title>', start) or re.fullmatch(
            r"messages\d*\.html", path.name
        ):
            return "telegram-html"
        return "messenger-html"
    if start.startswith("{"):
        if re.search(
            r'"(participants|thread_path|is_still_participant|magic_words|threadName|sender_name|'
            r'senderName|timestamp_ms)"',
            start,
        ):
            return "messenger"
        if re.search(
            r'"(personal_information|chats|date_unixtime|from_id|text_entities)"|'
            r'"type": *"(personal_chat|(?:private|public)_(?:group|supergroup|channel)|saved_messages|'
            r'bot_chat)"',
            start,
        ):
            return "telegram"
        raise ChatFormatError(
            path,
            "JSON file of an unknown app (neither a Messenger/Instagram nor a Telegram "
            "export); pass --format messenger or --format telegram (make bot FORMAT=...) if it "
            "is one of them",
        )
    if any(match_header(clean_invisible(line)) for line in start.splitlines()[:50]):
        return "whatsapp"
    raise ChatFormatError(
        path,
        f"cannot tell the format (which app wrote this file); pass --format NAME "
        f"(make bot FORMAT=NAME), one of {', '.join(PARSERS)}",
    )


def find_exports(path: str | Path) -> list[Path]:
    """Expand a folder into the export files inside it.

    Messenger and Instagram inboxes (``message_N.json``/``.html``), Telegram ``result.json`` and
    HTML chat folders (their ``messages.html``: the later pages are read with it), WhatsApp
    ``.txt``/``.zip``.
    """
    path = Path(path)
    if not path.is_dir():
        return [path]
    # Other files of an export (autofill_information.json, photos) do not match these names; a match that
    # turns out not to be a chat (a README.txt) is skipped and counted by :func:`parse`.
    patterns = ("message_*.json", "message_*.html", "messages.html", "result.json", "*.txt", "*.zip")
    return sorted({p for pattern in patterns for p in path.rglob(pattern) if p.is_file()})


def parse(
    paths: Iterable[str | Path], fmt: str = "auto", date_order: str = "auto", progress: bool = False
) -> ParseResult:
    """Parse any number of export files or folders into one :class:`ParseResult`.

    With ``fmt="auto"`` each file's format is detected, and files inside a folder
    that are not chats are skipped and counted; a file named directly must parse.
    ``date_order`` applies to WhatsApp files (``auto`` infers it per file).
    Taught in: 01_corpus_download.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if date_order != "auto" and date_order not in DATE_ORDERS:
        raise ValueError(f"unknown date order {date_order!r}; choose auto or one of {', '.join(DATE_ORDERS)}")
    jobs: list[tuple[Path, bool]] = []
    for item in paths:
        item = Path(item)
        if not item.exists():
            raise ChatFormatError(item, "no such file or folder")
        inside_folder = item.is_dir()
        files = find_exports(item)
        if inside_folder and not files:
            raise ChatFormatError(
                item, "folder holds no chat export (message_*.json, result.json, messages.html, *.txt, *.zip)"
            )
        jobs.extend((file, inside_folder) for file in files)
    result = ParseResult()
    iterator = jobs
    if progress and len(jobs) > 20:  # a bar only where there is something to wait for
        iterator = tqdm(jobs, desc="parsing", unit="file")
    for file, inside_folder in iterator:
        try:
            kind = detect_format(file) if fmt == "auto" else fmt
            parser = PARSERS[kind]
            part = parser(file, date_order) if kind == "whatsapp" else parser(file)
        except ChatFormatError:
            if inside_folder and fmt == "auto":
                result.skipped["file in folder that is not a chat"] += 1
                continue
            raise
        result.extend(part)
    return result


# --------------------------------------------------------------------------- turns and pairs
@dataclass(frozen=True)
class Turn:
    """Consecutive messages of one sender in one conversation, merged."""

    conversation: str
    sender: str
    text: str
    start: datetime | None
    end: datetime | None
    messages: int
    ids: tuple[str, ...] = ()  # its messages' ids, where the export has them (Telegram)
    reply_to: str | None = None  # the id of the message its first message quotes as a reply


@dataclass(frozen=True)
class Pair:
    """Someone's turn (``prompt``) and the reply that followed it."""

    prompt: str
    reply: str
    conversation: str
    prompt_sender: str
    reply_sender: str
    timestamp: str | None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)


def _naive_utc(stamp: datetime | None) -> datetime | None:
    if stamp is None or stamp.tzinfo is None:
        return stamp
    return stamp.astimezone(timezone.utc).replace(tzinfo=None)


def to_turns(messages: Iterable[Message], max_gap: timedelta | None = None) -> list[Turn]:
    """Group messages by conversation, order them in time, merge runs of one sender into turns.

    A silence longer than ``max_gap`` starts a new turn even for the same sender
    (a message twelve days later is not the same thought). Messages without a
    timestamp keep the order they came in. Taught in: 01_corpus_download.
    """
    by_conversation: dict[str, list[tuple[int, Message]]] = {}
    for index, message in enumerate(messages):
        by_conversation.setdefault(message.conversation, []).append((index, message))
    turns: list[Turn] = []
    for conversation, items in by_conversation.items():
        if all(m.timestamp is not None for _, m in items):
            items.sort(key=lambda im: (_naive_utc(im[1].timestamp), im[0]))
        run: list[Message] = []
        for _, message in items + [(None, None)]:
            if run and (
                message is None
                or message.sender != run[0].sender
                or (max_gap is not None and _gap(run[-1], message) > max_gap)
            ):
                turns.append(
                    Turn(
                        conversation,
                        run[0].sender,
                        "\n".join(m.text for m in run),
                        run[0].timestamp,
                        run[-1].timestamp,
                        len(run),
                        tuple(m.message_id for m in run if m.message_id is not None),
                        run[0].reply_to,
                    )
                )
                run = []
            if message is not None:
                run.append(message)
    return turns


# a line of one word, marked as a correction by a star on one side ("*their", "their*"; "*sigh*" is an action)
_CORRECTION_LINE = re.compile(r"\s*(\*?)([^\W\d_]+(?:'[^\W\d_]+)?)[.!?,]*(\*?)[.!?,]*\s*")
_WORD_TOKEN = re.compile(r"([^\w']*)([^\W\d_]+(?:'[^\W\d_]+)?)([^\w']*)")


def merge_corrections(text: str) -> str:
    """Fold a typist's corrections back into the line they correct: chat writers fix a typo by sending the right
    word alone ("how about yoh?" then "you"; "i hope it is goo" then "*good"). A one-word line replaces the last
    word of the line before when the two differ by one letter (an insertion, deletion, substitution or swap of two
    neighbours), or, marked with a star on one side, the most similar word of that line within two edits (a third
    of a long word); the correction line goes. Everything else is left as it is: "*sigh*" (an action), "no" then
    "nope", a repeated word. A one-letter playful variant can merge too ("bye" then "byee" -> "byee"). In
    BYU's chit-chat it changes 1,624 of every speaker's 212,430 training prompts and replies (0.76%); of 40 of those
    read, 39 were typos put right and one a rhyming list ("tin", "bin"). Taught in: 01_corpus_download."""
    if "\n" not in text:
        return text
    lines: list[str] = []
    for line in text.split("\n"):
        fixed = _corrected(lines[-1], line) if lines else None
        if fixed is None:
            lines.append(line)
        else:
            lines[-1] = fixed
    return "\n".join(lines)


def _corrected(previous: str, line: str) -> str | None:
    """``previous`` with the word ``line`` corrects put right, or None when ``line`` is not such a correction."""
    found = _CORRECTION_LINE.fullmatch(line)
    if found is None or (found[1] and found[3]):
        return None
    marked, word = bool(found[1] or found[3]), found[2]
    tokens = list(re.finditer(r"\S+", previous))
    best = None  # (edits, token, its parts)
    for token in tokens if marked else tokens[-1:]:
        parts = _WORD_TOKEN.fullmatch(token.group())
        if parts is None or parts[2].lower() == word.lower():
            continue
        edits = edit_distance(parts[2].lower(), word.lower(), transpositions=True)
        if marked:
            ok = edits <= max(2, len(word) // 3)
        else:
            ok = edits == 1 and len(word) >= 3 and len(parts[2]) >= 2
        if ok and (best is None or edits <= best[0]):
            best = (edits, token, parts)
    if best is None:
        return None
    _, token, parts = best
    new = word.lower() if parts[2].islower() else word  # a phone capitalises a message's first letter
    return previous[: token.start()] + parts[1] + new + parts[3] + previous[token.end() :]


def _gap(before: Message, after: Message) -> timedelta:
    """Time between two messages; zero when either has no timestamp."""
    if before.timestamp is None or after.timestamp is None:
        return timedelta(0)
    return _naive_utc(after.timestamp) - _naive_utc(before.timestamp)


def senders(messages: Iterable[Message]) -> Counter:
    """Count messages per sender (the "who is who" a user picks ``--me`` from)."""
    return Counter(message.sender for message in messages)


def resolve_me(me: str, counts: Counter) -> str:
    """Find the sender called ``me`` (exactly, else ignoring case and spaces); error listing senders.

    Taught in: 01_corpus_download.
    """
    if me in counts:
        return me
    folded = {re.sub(r"\s+", " ", name).strip().casefold(): name for name in counts}
    key = re.sub(r"\s+", " ", me).strip().casefold()
    if key in folded:
        return folded[key]
    listed = ", ".join(f"{name!r} ({n})" for name, n in counts.most_common(15))
    more = f" and {len(counts) - 15} more" if len(counts) > 15 else ""
    raise LookupError(f"no sender called {me!r}; senders found: {listed or 'none'}{more}")


@dataclass
class PairResult:
    pairs: list[Pair]
    skipped: Counter
    turns: int


def build_pairs(
    messages: Iterable[Message],
    me: str | None,
    max_gap: timedelta | None = None,
    anonymize: bool = False,
    corrections: bool = True,
) -> PairResult:
    """Pair each of ``me``'s turns with the other person's turn just before it.

    ``me=None`` pairs every turn with the one before it (all speakers: a general
    corpus). ``max_gap`` drops pairs whose reply came later than that after the
    prompt ended (a reply three days later answers nothing). ``anonymize``
    replaces e-mails, phone numbers, URLs and the other participants' names.
    A turn that quotes a message as its reply (Telegram's "reply to") is paired with the turn holding that message,
    wherever it is: in a group, the turn just before is often someone else's thread. ``corrections`` folds a
    typist's one-word corrections into the line they correct
    (:func:`merge_corrections`); the chit-chat corpus is built without it (``helpers.corpora``), as the zoo's
    models were trained on it. Taught in: 01_corpus_download.
    """
    messages = list(messages)
    if me is not None:
        me = resolve_me(me, senders(messages))
    turns = to_turns(messages, max_gap=max_gap)
    names = sorted({m.sender for m in messages} - {me}) if anonymize else []
    scrub = make_anonymizer(names) if anonymize else None
    pseudonyms = {name: f"person{i}" for i, name in enumerate(names, 1)}
    # where each message with an id is: a turn that quotes one as its reply answers that turn (Telegram)
    where = {(t.conversation, i): n for n, t in enumerate(turns) for i in t.ids}
    pairs, skipped = [], Counter()
    for index, turn in enumerate(turns):
        if me is not None and turn.sender != me:
            continue
        quoted = where.get((turn.conversation, turn.reply_to)) if turn.reply_to is not None else None
        if quoted is not None and quoted < index and turns[quoted].sender != turn.sender:
            previous = turns[quoted]  # an explicit reply answers what it quotes, however long ago
        else:
            quoted = None
            previous = turns[index - 1] if index else None
        if previous is None or previous.conversation != turn.conversation:
            skipped["reply that opens a conversation"] += 1  # nothing to reply to
            continue
        if previous.sender == turn.sender:
            skipped["reply to own earlier turn (after a silence)"] += 1
            continue
        if quoted is None and max_gap is not None and previous.end is not None and turn.start is not None:
            if _naive_utc(turn.start) - _naive_utc(previous.end) > max_gap:
                skipped["reply later than --max-gap-hours"] += 1
                continue
        prompt, reply = previous.text, turn.text
        if corrections:
            prompt, reply = merge_corrections(prompt), merge_corrections(reply)
        prompt_sender, reply_sender = previous.sender, turn.sender
        if scrub is not None:
            prompt, reply = scrub(prompt), scrub(reply)
            prompt_sender = pseudonyms.get(prompt_sender, prompt_sender)
            reply_sender = "me" if reply_sender == me else pseudonyms.get(reply_sender, reply_sender)
        stamp = turn.start.isoformat() if turn.start is not None else None
        pairs.append(Pair(prompt, reply, turn.conversation, prompt_sender, reply_sender, stamp))
    return PairResult(pairs, skipped, len(turns))


# --------------------------------------------------------------------------- anonymization
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"]+", re.I)
# Phone numbers: 7+ digits, optionally with +country, spaces, dots, dashes or brackets between groups.
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\s.\-()]{0,2}\d){6,14}(?!\w)")


def make_anonymizer(names: Iterable[str] = ()) -> Callable[[str], str]:
    """Return a function replacing URLs, e-mails, phone numbers and the given people's names by tokens.

    Names are matched whole-word and case-insensitively, as full names and as
    their parts of three letters or more (so "Alice" is caught in "Alice Smith").
    Taught in: 01_corpus_download.
    """
    parts = set()
    for name in names:
        name = name.strip()
        if name:
            parts.add(name)
            parts.update(p for p in re.split(r"\s+", name) if len(p) >= 3)
    name_pattern = (
        re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(parts, key=len, reverse=True))) + r")(?!\w)", re.I)
        if parts
        else None
    )

    def anonymize(text: str) -> str:
        text = _URL.sub("<url>", text)
        text = _EMAIL.sub("<email>", text)
        text = _PHONE.sub("<phone>", text)
        if name_pattern is not None:
            text = name_pattern.sub("<person>", text)
        return text

    return anonymize


# --------------------------------------------------------------------------- command line
def write_jsonl(pairs: Iterable[Pair], out: str | Path) -> int:
    """Write pairs as JSON lines (``prompt``, ``reply``, ``conversation``, ...); return how many."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(out, "w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(pair.to_json() + "\n")
            count += 1
    return count


def read_jsonl(path: str | Path) -> list[dict]:
    """Read a pairs file written by :func:`write_jsonl` (or the command line)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.chats",
        description="Turn your chat exports into (their message, your reply) pairs as JSON lines.",
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="export files or folders (Messenger or Instagram inbox folder, WhatsApp .txt/.zip, "
        "Telegram result.json or HTML chat folder)",
    )
    parser.add_argument("--me", required=True, help="your name exactly as the app shows it")
    parser.add_argument(
        "--out", required=True, type=Path, help="pairs file to write (.jsonl); keep it under generated/"
    )
    parser.add_argument("--format", default="auto", choices=FORMATS, help="export format (default: detect per file)")
    parser.add_argument(
        "--date-order",
        default="auto",
        choices=["auto", *DATE_ORDERS],
        help="WhatsApp dates: day-month-year, month-day-year, year-month-day or year-day-month "
        "(default: inferred from the whole file)",
    )
    parser.add_argument(
        "--anonymize", action="store_true", help="replace e-mails, phones, URLs and other people's names"
    )
    parser.add_argument(
        "--max-gap-hours",
        type=float,
        default=None,
        help="drop replies that came more than H hours after the message they answer",
    )
    args = parser.parse_args(argv)
    if args.max_gap_hours is not None and not args.max_gap_hours > 0:
        print("error: --max-gap-hours must be a positive number of hours", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        parsed = parse(args.paths, fmt=args.format, date_order=args.date_order, progress=sys.stderr.isatty())
        if not parsed.messages:
            raise ChatFormatError(args.paths[0], "no messages found (" + parsed.summary() + ")")
        gap = timedelta(hours=args.max_gap_hours) if args.max_gap_hours else None
        paired = build_pairs(parsed.messages, args.me, max_gap=gap, anonymize=args.anonymize)
    except ChatFormatError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except LookupError as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    try:
        written = write_jsonl(paired.pairs, args.out)
    except OSError as err:
        print(f"error: {args.out}: cannot write ({err.strerror})", file=sys.stderr)
        return 2
    print(
        f"{len(parsed.messages)} messages read from {parsed.files} file(s), {written} pairs written to {paths.shown(args.out)}, "
        f"{describe_skipped(parsed.skipped + paired.skipped)} in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

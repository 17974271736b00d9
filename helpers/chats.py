"""Chat exports and corpora -> messages -> "their message, your reply" pairs.

Every source becomes a list of :class:`Message` (conversation, timestamp,
sender, text). :func:`build_pairs` then merges consecutive messages of one
sender into turns and pairs each of *my* turns with the turn just before it.

Supported personal exports (``--format``):

* ``messenger``: Facebook "Download your information", JSON (``message_*.json``
  per thread, possibly several files per thread, newest first, mojibake text);
* ``messenger-html``: the same export in HTML;
* ``whatsapp``: "Export chat" ``.txt`` (Android and iOS styles) or the ``.zip``
  holding it;
* ``telegram``: Telegram Desktop ``result.json`` (one chat or a full export).

Command line (taught in 01_corpus_download)::

    python -m helpers.chats PATH... --me "NAME" --out FILE.jsonl \
        [--format auto|messenger|messenger-html|whatsapp|telegram] [--anonymize] [--max-gap-hours H]

Bad input never crashes: a bad record is skipped and counted by reason; a file
that is not the claimed format stops with ``error: FILE[:LINE]: what is wrong``
(exit status 2). The source files are only ever opened for reading.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import time
import zipfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

#: Longest message text we keep; longer ones are skipped and counted (a 10 MB "message" is not chat).
MAX_TEXT_CHARS = 20_000
#: Largest file we read (bigger exports should be split per thread, as the apps do anyway).
MAX_FILE_BYTES = 512 * 1024 * 1024

# Invisible marks newer exports sprinkle into lines: direction marks and embeddings,
# zero-width characters and the byte-order mark.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff"))
# Spaces that look like spaces: no-break, narrow no-break (WhatsApp puts one before "PM"), thin.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2009\u2007"), " ")


# --------------------------------------------------------------------------- records and errors
@dataclass(frozen=True)
class Message:
    """One chat message: the common record every parser returns."""

    conversation: str
    timestamp: datetime | None
    sender: str
    text: str


@dataclass
class ParseResult:
    """Messages read from one or more files, and the records skipped, counted by reason."""

    messages: list[Message] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    files: int = 0

    def extend(self, other: "ParseResult") -> "ParseResult":
        self.messages.extend(other.messages)
        self.skipped.update(other.skipped)
        self.files += other.files
        return self

    def summary(self) -> str:
        """A one-line summary: files and messages read, records skipped and why."""
        skipped = sum(self.skipped.values())
        why = ", ".join(f"{n} {reason}" for reason, n in self.skipped.most_common())
        return (f"{self.files} file(s), {len(self.messages)} messages read, {skipped} records skipped"
                + (f" ({why})" if why else ""))


class ChatFormatError(ValueError):
    """A file is not what it claims to be. ``str()`` is ``FILE[:LINE]: what is wrong``."""

    def __init__(self, path: str | Path, problem: str, line: int | None = None):
        self.path, self.problem, self.line = str(path), problem, line
        super().__init__(f"{self.path}{f':{line}' if line else ''}: {problem}")


# --------------------------------------------------------------------------- reading files safely
def clean_invisible(text: str) -> str:
    """Remove direction marks and zero-width characters; turn exotic spaces into plain ones.

    Taught in: 01_corpus_download (WhatsApp exports are full of them).
    """
    return text.translate(_INVISIBLE).translate(_SPACES)


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise ChatFormatError(path, "no such file")
    if path.is_dir():
        raise ChatFormatError(path, "is a folder; pass the export file, or the folder with --format auto")
    size = path.stat().st_size
    if size == 0:
        raise ChatFormatError(path, "empty file")
    if size > MAX_FILE_BYTES:
        raise ChatFormatError(path, f"file is {size / 1e6:.0f} MB, more than the {MAX_FILE_BYTES / 1e6:.0f} MB limit")
    with open(path, "rb") as handle:  # read only: the user's export is never modified
        return handle.read()


def _looks_binary(data: bytes) -> int | None:
    """Return the offset of a NUL byte in the first 64 KiB (text never has one), else None."""
    offset = data[:65536].find(b"\x00")
    return None if offset < 0 else offset


def _decode_text(data: bytes, path: Path, skipped: Counter | None = None) -> str:
    """Decode an export's bytes as UTF-8 (BOM and UTF-16 exports included).

    Lines that are not UTF-8 are skipped and counted when ``skipped`` is given;
    a file that is mostly not UTF-8 (or binary) is an error.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise ChatFormatError(path, f"starts like UTF-16 but is not ({err.reason})") from None
    offset = _looks_binary(data)
    if offset is not None:
        raise ChatFormatError(path, f"binary data, not a text export (NUL byte at offset {offset})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if skipped is None:
            line = data[: err.start].count(b"\n") + 1
            raise ChatFormatError(path, f"not UTF-8 text (byte 0x{data[err.start]:02x}); re-export the chat, "
                                        "or convert it with `iconv -f cp1252 -t utf-8`", line) from None
    lines, bad, first_bad = [], 0, None
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            bad += 1
            first_bad = first_bad or number
    if bad * 2 > len(lines) + bad:
        raise ChatFormatError(path, f"not UTF-8 text ({bad} of {len(lines) + bad} lines are not); convert it "
                                    "with `iconv -f cp1252 -t utf-8`", first_bad)
    skipped["line not UTF-8"] += bad
    return "\n".join(lines).lstrip("\ufeff")


def _load_json(path: Path, data: bytes | None = None):
    data = _read_bytes(path) if data is None else data
    text = _decode_text(data, path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        stripped = text.rstrip()
        truncated = err.pos >= len(stripped) or not stripped.endswith(("}", "]"))
        hint = "the file ends early (truncated download?)" if truncated else "not valid JSON"
        raise ChatFormatError(path, f"{hint}: {err.msg}", err.lineno) from None
    except RecursionError:
        raise ChatFormatError(path, "JSON nested too deeply to be a chat export") from None


def _keep_text(text: str, skipped: Counter) -> str | None:
    """Apply the rules every parser shares: strip, drop empty and absurdly long texts (counted)."""
    text = clean_invisible(text).strip()
    if not text:
        skipped["no text (media, sticker or empty)"] += 1
        return None
    if len(text) > MAX_TEXT_CHARS:
        skipped[f"text longer than {MAX_TEXT_CHARS} characters"] += 1
        return None
    return text


# --------------------------------------------------------------------------- Facebook Messenger JSON
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


# Texts Messenger writes in place of media ("Alex sent a photo.", "You sent an attachment.").
_MESSENGER_PLACEHOLDER = re.compile(r"^.{1,80} sent (?:an? )?(?:attachment|photo|video|GIF|sticker|link|voice message|"
                                    r"audio|file|location)s?\.?$")


def parse_messenger(path: str | Path) -> ParseResult:
    """Parse one Messenger ``message_N.json`` (old ``sender_name``/``content`` or new ``senderName``/``text`` style).

    Taught in: 01_corpus_download.
    """
    path = Path(path)
    doc = _load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("messages"), list) or "participants" not in doc:
        raise ChatFormatError(path, "not a Messenger export: expected an object with 'participants' and 'messages'")
    result = ParseResult(files=1)
    conversation = fix_mojibake(str(doc.get("thread_path") or doc.get("threadName") or doc.get("title")
                                    or path.parent.name))
    for record in doc["messages"]:
        if not isinstance(record, dict):
            result.skipped["malformed record"] += 1
            continue
        sender = record.get("sender_name", record.get("senderName"))
        if not isinstance(sender, str) or not sender.strip():
            result.skipped["no sender"] += 1
            continue
        if record.get("type") not in (None, "Generic") or record.get("is_unsent"):
            result.skipped["system message"] += 1  # calls, subscriptions, unsent messages
            continue
        content = record.get("content", record.get("text"))
        if isinstance(content, str) and _MESSENGER_PLACEHOLDER.match(fix_mojibake(content)):
            result.skipped["media placeholder"] += 1
            continue
        text = _keep_text(fix_mojibake(content) if isinstance(content, str) else "", result.skipped)
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
_HTML_DATE_FORMATS = ("%b %d, %Y, %I:%M %p", "%b %d, %Y %I:%M:%S %p", "%b %d, %Y, %I:%M:%S %p",
                      "%b %d, %Y %I:%M %p", "%d %b %Y, %H:%M", "%d %b %Y %H:%M:%S")


def _parse_html_date(text: str) -> datetime | None:
    text = clean_invisible(text).strip()
    text = re.sub(r"\s+", " ", text).replace("am", "AM").replace("pm", "PM")
    for fmt in _HTML_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_messenger_html(path: str | Path) -> ParseResult:
    """Parse one Messenger ``message_N.html`` thread (the export's HTML option).

    Each message is a block whose children are the sender, the text and the date;
    Facebook's class names are machine-generated, so we match the block structure
    (``_a6-h`` sender, ``_a6-p`` content, ``_a6-o`` date; older ``_2lek``/``_2let``/``_2lem``).
    Taught in: 01_corpus_download.
    """
    from bs4 import BeautifulSoup

    path = Path(path)
    html = _decode_text(_read_bytes(path), path)
    soup = BeautifulSoup(html, "html.parser")
    senders = soup.select("div._a6-h, div._2lek")
    if not senders:
        raise ChatFormatError(path, "not a Messenger HTML export: no message blocks (div._a6-h) found")
    title = soup.title.get_text(strip=True) if soup.title else path.parent.name
    result = ParseResult(files=1)
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
        timestamp = _parse_html_date(date_div.get_text()) if date_div is not None else None
        if timestamp is None:
            result.skipped["bad timestamp"] += 1
            continue
        result.messages.append(Message(title, timestamp, sender, text))
    result.messages.sort(key=lambda m: m.timestamp)
    return result


# --------------------------------------------------------------------------- WhatsApp
# Android: "12/31/20, 9:15 PM - Name: text"     iOS: "[31/12/2020, 21:15:42] Name: text"
_WA_HEADER = re.compile(
    r"^\[?(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4}),? (?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?: ?[AaPp]\.? ?[Mm]\.?)?)"
    r"(?:\] | - )(?P<rest>.*)$")
# A sender name is everything up to the first ": " (names rarely hold a colon; texts often do).
_WA_SENDER = re.compile(r"^(?P<sender>[^:\n]{1,80}?): (?P<text>.*)$", re.S)
_WA_MEDIA = re.compile(
    r"^(?:<Media omitted>|<Médias omis>|<Medien ausgeschlossen>|<Multimedia omitido>|"
    r"(?:image|video|audio|sticker|GIF|document|Contact card) omitted|<attached: [^>]+>.*|"
    r"This message was deleted\.?|You deleted this message\.?|null|<This message was edited>)$", re.I)


def _wa_date(date: str, order: str) -> tuple[int, int, int]:
    a, b, c = (int(x) for x in re.split(r"[./-]", date))
    if a > 31:  # 2020-12-31
        year, month, day = a, b, c
    elif order == "mdy":
        month, day, year = a, b, c
    else:
        day, month, year = a, b, c
    if year < 100:
        year += 2000
    return year, month, day


def _wa_time(value: str) -> tuple[int, int, int]:
    value = value.replace(".", ":").replace(" ", "").upper()
    meridian = None
    if value.endswith(("AM", "PM")) or value.endswith(("A:M:", "P:M:")):
        meridian = "PM" if "P" in value else "AM"
        value = value.rstrip("APM:")
    parts = [int(x) for x in value.split(":")]
    hour, minute, second = parts[0], parts[1], parts[2] if len(parts) > 2 else 0
    if meridian:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} in a 12-hour time")
        hour = hour % 12 + (12 if meridian == "PM" else 0)
    return hour, minute, second


def whatsapp_date_order(lines: Iterable[str]) -> str:
    """Guess whether WhatsApp dates are day-first (``"dmy"``) or month-first (``"mdy"``).

    A first number above 12 means day-first, a second number above 12 means
    month-first; with no such date in the file, 12-hour times suggest a US
    (month-first) phone, 24-hour times day-first. Taught in: 01_corpus_download.
    """
    twelve_hour = 0
    for line in lines:
        match = _WA_HEADER.match(line)
        if not match:
            continue
        a, b, _ = (int(x) for x in re.split(r"[./-]", match["date"]))
        if a > 31:
            return "ymd"
        if a > 12:
            return "dmy"
        if b > 12:
            return "mdy"
        twelve_hour += 1 if re.search(r"[AaPp]\.? ?[Mm]", match["time"]) else -1
    return "mdy" if twelve_hour > 0 else "dmy"


def _whatsapp_text(path: Path) -> tuple[str, str, Counter]:
    """Return (text, conversation name, skipped) of a WhatsApp .txt or the chat inside a .zip."""
    skipped: Counter = Counter()
    data = _read_bytes(path)
    conversation = path.stem
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if n.endswith(".txt") and not n.startswith(("/", "..")) and
                         ".." not in Path(n).parts]
                if not names:
                    raise ChatFormatError(path, "zip holds no .txt chat (expected _chat.txt or 'WhatsApp Chat with ...txt')")
                name = "_chat.txt" if "_chat.txt" in names else names[0]
                data = archive.read(name)
        except zipfile.BadZipFile as err:
            raise ChatFormatError(path, f"broken zip file ({err})") from None
        if not data:
            raise ChatFormatError(path, "the chat inside the zip is empty")
    return _decode_text(data, path, skipped), conversation, skipped


def parse_whatsapp(path: str | Path, date_order: str = "auto") -> ParseResult:
    """Parse a WhatsApp "Export chat" file (``.txt``, or the ``.zip`` iOS makes).

    Handles Android and iOS styles, 12- and 24-hour clocks, day-first and
    month-first dates (``date_order="auto"|"dmy"|"mdy"``), multi-line messages,
    system lines (counted, skipped), media placeholders (counted, skipped), and the
    invisible marks and narrow no-break spaces newer exports insert.
    Taught in: 01_corpus_download.
    """
    path = Path(path)
    text, conversation, skipped = _whatsapp_text(path)
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [clean_invisible(line) for line in raw_lines]
    if not any(_WA_HEADER.match(line) for line in lines):
        first = next((i for i, line in enumerate(lines, 1) if line.strip()), 1)
        raise ChatFormatError(path, "not a WhatsApp chat export: no line starts like '12/31/20, 9:15 PM - Name: text' "
                                    "or '[31/12/2020, 21:15:42] Name: text'", first)
    order = whatsapp_date_order(lines) if date_order == "auto" else date_order
    result = ParseResult(files=1, skipped=skipped)
    current: list | None = None  # [timestamp, sender, [lines]]

    def flush():
        if current is None:
            return
        body = "\n".join(current[2])
        if _WA_MEDIA.match(body.strip()):
            result.skipped["media placeholder"] += 1
            return
        kept = _keep_text(body, result.skipped)
        if kept is not None:
            result.messages.append(Message(conversation, current[0], current[1], kept))

    for line, raw in zip(lines, raw_lines):
        match = _WA_HEADER.match(line)
        if not match:
            if current is not None:
                current[2].append(line)  # continuation of a multi-line message
            elif line.strip():
                result.skipped["line before the first message"] += 1
            continue
        flush()
        current = None
        try:
            year, month, day = _wa_date(match["date"], order)
            hour, minute, second = _wa_time(match["time"])
            timestamp = datetime(year, month, day, hour, minute, second)
        except ValueError:
            result.skipped["bad date"] += 1
            continue
        sender_match = _WA_SENDER.match(match["rest"])
        if not sender_match:
            result.skipped["system line"] += 1  # "Messages are end-to-end encrypted", "X joined", ...
            continue
        sender = sender_match["sender"].strip()
        if not sender:
            result.skipped["no sender"] += 1
            continue
        # iOS marks system texts ("Messages and calls are end-to-end encrypted", "X left") and
        # attachments with a left-to-right mark right after "Name: ".
        marked = raw.split(": ", 1)[-1].startswith("\u200e")
        if marked and not _WA_MEDIA.match(sender_match["text"].strip()):
            result.skipped["system line"] += 1
            continue
        current = [timestamp, sender, [sender_match["text"]]]
    flush()
    return result


# --------------------------------------------------------------------------- Telegram
def telegram_text(value) -> str:
    """Flatten Telegram's ``text`` field: a string, or a list of strings and entity objects.

    Taught in: 01_corpus_download.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(part if isinstance(part, str) else str(part.get("text", "")) if isinstance(part, dict) else ""
                       for part in value)
    return ""


def _telegram_chats(doc) -> Iterator[dict]:
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
        if "participants" not in doc and ("type" in doc or "id" in doc):  # Messenger has participants
            yield doc
    elif isinstance(doc, dict) and isinstance(doc.get("chats"), dict):
        for section in ("chats", "left_chats"):
            for chat in (doc.get(section) or {}).get("list", []):
                if isinstance(chat, dict) and isinstance(chat.get("messages"), list):
                    yield chat


def parse_telegram(path: str | Path) -> ParseResult:
    """Parse Telegram Desktop's ``result.json``: one chat, or a full export with ``chats.list``.

    Service messages (joins, pins, calls) and media without a caption are counted and skipped.
    Taught in: 01_corpus_download.
    """
    path = Path(path)
    doc = _load_json(path)
    chats = list(_telegram_chats(doc))
    if not chats:
        raise ChatFormatError(path, "not a Telegram export: expected 'messages' (one chat) or 'chats.list' (full export)")
    result = ParseResult(files=1)
    for chat in chats:
        conversation = str(chat.get("name") or chat.get("id") or "telegram")
        for record in chat["messages"]:
            if not isinstance(record, dict):
                result.skipped["malformed record"] += 1
                continue
            if record.get("type", "message") != "message":
                result.skipped["system message"] += 1
                continue
            sender = record.get("from")
            if not isinstance(sender, str) or not sender.strip():
                result.skipped["no sender"] += 1
                continue
            text = _keep_text(telegram_text(record.get("text", "")), result.skipped)
            if text is None:
                continue
            try:
                if "date_unixtime" in record:
                    timestamp = datetime.fromtimestamp(int(record["date_unixtime"]), tz=timezone.utc)
                else:
                    timestamp = datetime.fromisoformat(str(record["date"]))
            except (KeyError, ValueError, OverflowError, OSError):
                result.skipped["bad timestamp"] += 1
                continue
            result.messages.append(Message(conversation, timestamp, sender.strip(), text))
    return result


# --------------------------------------------------------------------------- format detection
PARSERS: dict[str, Callable[[Path], ParseResult]] = {
    "messenger": parse_messenger,
    "messenger-html": parse_messenger_html,
    "whatsapp": parse_whatsapp,
    "telegram": parse_telegram,
}
FORMATS = ("auto", *PARSERS)


def detect_format(path: str | Path) -> str:
    """Tell which export a file is from its name and first bytes (never the whole file).

    Taught in: 01_corpus_download.
    """
    path = Path(path)
    head = _read_bytes(path)[:4096] if path.is_file() else b""
    if path.is_file() and _looks_binary(head) is not None and not head.startswith((b"PK\x03\x04", b"\xff\xfe", b"\xfe\xff")):
        raise ChatFormatError(path, "binary data, not a chat export")
    if head.startswith(b"PK\x03\x04"):
        return "whatsapp"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "whatsapp"  # only WhatsApp (on Windows) writes UTF-16
    start = head.decode("utf-8", "replace").lstrip("\ufeff \r\n\t")
    if path.suffix.lower() in (".html", ".htm") or start[:15].lower().startswith(("<!doctype html", "<html")):
        return "messenger-html"
    if start.startswith("{"):
        if re.search(r'"(participants|thread_path|is_still_participant|magic_words|threadName)"', start):
            return "messenger"
        if re.search(r'"(personal_information|chats|date_unixtime|from_id)"|"type": *"(personal_chat|private_group|'
                     r'private_supergroup|public_channel|saved_messages|bot_chat)"', start):
            return "telegram"
        raise ChatFormatError(path, "JSON file of an unknown app (neither a Messenger nor a Telegram export); "
                                    "pass --format to say which it is")
    if any(_WA_HEADER.match(clean_invisible(line)) for line in start.splitlines()):
        return "whatsapp"
    raise ChatFormatError(path, f"cannot tell the format; pass --format ({', '.join(PARSERS)})")


def find_exports(path: str | Path) -> list[Path]:
    """Expand a folder into the export files inside it (Messenger inbox, Telegram result.json, WhatsApp .txt/.zip)."""
    path = Path(path)
    if not path.is_dir():
        return [path]
    # Other files of an export (autofill_information.json, photos) do not match these names; a match that
    # turns out not to be a chat (a README.txt) is skipped and counted by :func:`parse`.
    patterns = ("message_*.json", "message_*.html", "result.json", "*.txt", "*.zip")
    return sorted({p for pattern in patterns for p in path.rglob(pattern) if p.is_file()})


def parse(paths: Iterable[str | Path], fmt: str = "auto", date_order: str = "auto",
          progress: bool = False) -> ParseResult:
    """Parse any number of export files or folders into one :class:`ParseResult`.

    With ``fmt="auto"`` each file's format is detected, and files inside a folder
    that are not chats are skipped and counted; a file named directly must parse.
    Taught in: 01_corpus_download.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    jobs: list[tuple[Path, bool]] = []
    for item in paths:
        item = Path(item)
        if not item.exists():
            raise ChatFormatError(item, "no such file or folder")
        inside_folder = item.is_dir()
        files = find_exports(item)
        if inside_folder and not files:
            raise ChatFormatError(item, "folder holds no chat export (message_*.json, result.json, *.txt, *.zip)")
        jobs.extend((file, inside_folder) for file in files)
    result = ParseResult()
    iterator = jobs
    if progress and len(jobs) > 20:  # a bar only where there is something to wait for
        from tqdm.auto import tqdm

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
            if run and (message is None or message.sender != run[0].sender
                        or (max_gap is not None and _gap(run[-1], message) > max_gap)):
                turns.append(Turn(conversation, run[0].sender, "\n".join(m.text for m in run),
                                  run[0].timestamp, run[-1].timestamp, len(run)))
                run = []
            if message is not None:
                run.append(message)
    return turns


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


def build_pairs(messages: Iterable[Message], me: str | None, max_gap: timedelta | None = None,
                anonymize: bool = False) -> PairResult:
    """Pair each of ``me``'s turns with the other person's turn just before it.

    ``me=None`` pairs every turn with the one before it (all speakers: a general
    corpus). ``max_gap`` drops pairs whose reply came later than that after the
    prompt ended (a reply three days later answers nothing). ``anonymize``
    replaces e-mails, phone numbers, URLs and the other participants' names.
    Taught in: 01_corpus_download.
    """
    messages = list(messages)
    if me is not None:
        me = resolve_me(me, senders(messages))
    turns = to_turns(messages, max_gap=max_gap)
    names = sorted({m.sender for m in messages} - {me}) if anonymize else []
    scrub = make_anonymizer(names) if anonymize else None
    pseudonyms = {name: f"person{i}" for i, name in enumerate(names, 1)}
    pairs, skipped = [], Counter()
    for index, turn in enumerate(turns):
        if me is not None and turn.sender != me:
            continue
        previous = turns[index - 1] if index else None
        if previous is None or previous.conversation != turn.conversation:
            skipped["reply that opens a conversation"] += 1  # nothing to reply to
            continue
        if previous.sender == turn.sender:
            skipped["reply to own earlier turn (after a silence)"] += 1
            continue
        if max_gap is not None and previous.end is not None and turn.start is not None:
            if _naive_utc(turn.start) - _naive_utc(previous.end) > max_gap:
                skipped["reply later than --max-gap-hours"] += 1
                continue
        prompt, reply = previous.text, turn.text
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
    name_pattern = (re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(parts, key=len, reverse=True)))
                               + r")(?!\w)", re.I) if parts else None)

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
        description="Turn your chat exports into (their message, your reply) pairs as JSON lines.")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="export files or folders (Messenger inbox folder, "
                                                                  "WhatsApp .txt/.zip, Telegram result.json)")
    parser.add_argument("--me", required=True, help="your name exactly as the app shows it")
    parser.add_argument("--out", required=True, type=Path, help="pairs file to write (.jsonl); keep it under generated/")
    parser.add_argument("--format", default="auto", choices=FORMATS, help="export format (default: detect per file)")
    parser.add_argument("--date-order", default="auto", choices=["auto", "dmy", "mdy"],
                        help="WhatsApp dates: day-first or month-first (default: guess from the file)")
    parser.add_argument("--anonymize", action="store_true", help="replace e-mails, phones, URLs and other people's names")
    parser.add_argument("--max-gap-hours", type=float, default=None,
                        help="drop replies that came more than H hours after the message they answer")
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
    skipped = parsed.skipped + paired.skipped
    why = ", ".join(f"{n} {reason}" for reason, n in skipped.most_common())
    print(f"{len(parsed.messages)} messages read from {parsed.files} file(s), {written} pairs written to {args.out}, "
          f"{sum(skipped.values())} skipped" + (f" ({why})" if why else "")
          + f" in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

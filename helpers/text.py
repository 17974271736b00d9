"""Text cleaning and tokenization for training, shared by notebooks 01-05 and the server.

We tokenize chat text with nltk's ``TweetTokenizer``: unlike a plain word
splitter it keeps emoji, emoticons (``:)``, ``<3``), contractions ("don't") and
hashtags whole, and it needs no data download.
"""

from __future__ import annotations

import ast
import re
import unicodedata
import warnings
from functools import lru_cache
from typing import Iterable, Sequence

from .chats import clean_invisible
from .paths import package_file

#: Characters of a message that are read (the bot, the emoji suggester, the server); the rest is ignored.
MAX_CHARS = 2000


class EmptyMessage(ValueError):
    """The message holds no text at all (empty or only whitespace/invisible characters).

    Raised by the chatbot and the emoji suggester alike (one class, so one ``except``)."""


@lru_cache(maxsize=4)
def _tokenizer(reduce_len: bool = True):
    """nltk's ``TweetTokenizer``, case kept (:func:`tokenize` lowercases), with or without shortening runs."""
    from nltk.tokenize import TweetTokenizer  # noqa: PLC0415 (nltk takes a second to import; parsing an export never tokenizes)

    return TweetTokenizer(preserve_case=True, reduce_len=reduce_len)


# nltk 3.9+ guards every regular expression with a timeout, which costs more than the match on short chat messages:
# its run shortening (``reduce_lengthening``, compiled again on each call) and its per-token emoticon test were about
# half of the tokenizer's time. So they run only where they can change something: a text with no run of three equal
# characters and no ``&`` (HTML entities are decoded before runs are cut) has no run to shorten; a token without
# ``:;=8<`` holds none of nltk's emoticons (each has eyes ``[:;=8]`` or is a heart ``</?3``). The tokens are the same
# as nltk's own (tests/test_text_corpora.py compares them on chat lines, tweets and edge cases).
_RUN_OR_ENTITY = re.compile(r"(.)\1\1|&")
_EMOTICON_CHARS = re.compile(r"[:;=8<]")


# Characters that draw nothing although Unicode does not call them spaces (Hangul fillers, the braille blank).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_visible_text(text: str) -> bool:
    """Whether ``text`` shows anything: a message of only zero-width, format or blank characters does not.

    The server refuses such a message like an empty one. Taught in: 06_deployment.
    """
    return any(unicodedata.category(ch)[0] not in "CZM" and ch not in _BLANK_LETTERS for ch in text)


#: Half of a UTF-16 pair alone: what Python makes of bytes that are not UTF-8 when it reads a terminal or a file with
#: ``surrogateescape`` ("\\udcff"). Not text: TensorFlow cannot encode it, so :func:`normalize` writes U+FFFD instead.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize(text: str) -> str:
    """Unicode NFC, invisible marks removed, whitespace collapsed to single spaces; a lone surrogate (bytes that were
    not UTF-8, read with ``surrogateescape``) becomes U+FFFD, the replacement character.

    Taught in: 01_corpus_download.
    """
    text = unicodedata.normalize("NFC", clean_invisible(_LONE_SURROGATE.sub("\ufffd", text)))
    return re.sub(r"\s+", " ", text).strip()


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split chat text into tokens with nltk's ``TweetTokenizer``.

    ``"Can't wait :) 😂😂"`` gives ``["can't", "wait", ":)", "😂", "😂"]``;
    runs of a repeated letter are cut to three ("sooooo" -> "sooo").
    A token never holds a space (the tokenizer keeps "+1 (555) 010-2233" whole;
    we write it "+1_(555)_010-2233"), so ``" ".join`` and ``split()`` round-trip.
    Taught in: 01_corpus_download; used by 02_word2vec, 04_seq2seq_chatbot, 05_emoji_suggestion.
    """
    text = normalize(text)
    tokens = _tokenizer(reduce_len=bool(_RUN_OR_ENTITY.search(text))).tokenize(text)
    if lowercase:  # as nltk's preserve_case=False: every token but an emoticon (":D" stays ":D")
        tokens = [t if _EMOTICON_CHARS.search(t) and _emoticon(t) else t.lower() for t in tokens]
    return [token.replace(" ", "_") for token in tokens]


def _emoticon(token: str) -> bool:
    from nltk.tokenize.casual import EMOTICON_RE  # noqa: PLC0415 (imported with the tokenizer, on first use)

    return EMOTICON_RE.search(token) is not None


#: The noslang.com chat-abbreviation dictionary that ``ekphrasis`` ships (5,438 entries, MIT), read as a file: importing
#: it writes a pickle into the working folder.
SLANG_FILE = ("ekphrasis", "dicts", "noslang", "slangdict.py")


@lru_cache(maxsize=1)
def slang_dictionary() -> dict[str, tuple[str, ...]]:
    """The noslang dictionary as ``{abbreviation: its tokens}`` ("wyd" -> ("what", "are", "you", "doing"), "gn" ->
    ("good", "night")); abbreviations that are not one token are left out. It is noisy ("yo" is "year old", "lol"
    "laughing out loud"): :func:`expand_slang` only uses it for words a model does not know. Without ``ekphrasis``
    installed it is empty, with a warning that says how to install it. Taught in: 04_seq2seq_chatbot."""
    try:
        source = package_file(*SLANG_FILE).read_text(encoding="utf-8")
    except FileNotFoundError as err:  # a checkout updated without `make`: the bot still answers, as before
        warnings.warn(f"{err}; until then chat abbreviations are read as they are", stacklevel=2)
        return {}
    literal = next(node for node in ast.parse(source).body if isinstance(node, ast.Assign))  # the first: the dict
    table = {}
    for key, value in ast.literal_eval(literal.value).items():
        key = key.strip().lower()
        words = tuple(tokenize(value)) if value else ()
        if words and tokenize(key) == [key]:
            table[key] = words
    return table


def expand_slang(tokens: Sequence[str], known) -> list[str]:
    """``tokens`` with each chat abbreviation that ``known`` (a vocabulary: anything with ``in``) lacks, and whose
    words it all has, spelled out (:func:`slang_dictionary`): "hbu" -> "how about you", "gn" -> "good night". Known
    tokens are never touched, whatever the dictionary says. The chatbot reads messages this way: its students
    rarely abbreviated, so "thx" was one unknown token, answered "hey mdrew". Taught in: 04_seq2seq_chatbot."""
    table, out = slang_dictionary(), []
    for token in tokens:
        words = table.get(token) if token not in known else None
        out.extend(words if words and all(w in known for w in words) else [token])
    return out


def clean_for_training(text: str, lowercase: bool = True) -> str:
    """Tokenize and join with single spaces: the form the models train on.

    Taught in: 01_corpus_download.
    """
    return " ".join(tokenize(text, lowercase=lowercase))


def length_filter(
    pairs: Iterable[dict], max_tokens: int = 20, min_tokens: int = 1, keys: Sequence[str] = ("prompt", "reply")
) -> tuple[list[dict], int]:
    """Keep pairs whose every field has between ``min_tokens`` and ``max_tokens`` tokens.

    Returns ``(kept, dropped_count)``. Expects fields already cleaned with
    :func:`clean_for_training` (tokens separated by single spaces).
    Taught in: 01_corpus_download (the length histograms motivate ``max_tokens``).
    """
    if min_tokens < 0 or max_tokens < min_tokens:
        raise ValueError(f"need 0 <= min_tokens <= max_tokens, got {min_tokens} and {max_tokens}")
    kept, dropped = [], 0
    for pair in pairs:
        lengths = [len(pair[key].split()) for key in keys]
        if all(min_tokens <= n <= max_tokens for n in lengths):
            kept.append(pair)
        else:
            dropped += 1
    return kept, dropped

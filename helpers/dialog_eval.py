"""Honest evaluation of chatbots: a retrieval baseline, reply diversity, and "does it sound like you".

Taught in: 04_seq2seq_chatbot (perplexities live in ``helpers.seq2seq``). All
texts here are token strings (``helpers.text.clean_for_training``: lowercased,
tokens joined by single spaces), the form the bots' replies take too, so that no
comparison is decided by capital letters or spacing.
"""

from __future__ import annotations

import random
from typing import Iterable, Sequence

import numpy as np


def _vectorizer(**kwargs):
    from sklearn.feature_extraction.text import TfidfVectorizer

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
            raise ValueError(f"need as many prompts as replies (and at least one), got {len(prompts)} and {len(replies)}")
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
        grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        total += len(grams)
        unique.update(grams)
    return len(unique) / total if total else 0.0


def truncate(text: str, max_tokens: int) -> str:
    """The first ``max_tokens`` tokens of a token string."""
    return " ".join(text.split()[:max_tokens])


def style_data(pairs: Iterable[dict], me: str, split_of, max_tokens: int = 25, per_class: int | None = None,
               seed: int = 0) -> dict[str, tuple[list[str], np.ndarray]]:
    """Messages labelled 1 (written by ``me``) or 0 (anyone else), per split, from every speaker's pairs.

    Each pair's ``reply`` is one message of its ``reply_sender``; it lands in the
    split of its conversation (``split_of``), so the classifier is tested on
    conversations it never saw. Texts are tokenized and cut to ``max_tokens``
    tokens, like bot replies. The classes are balanced by sampling the larger one
    down (to ``per_class`` at most). Returns ``{split: (texts, labels)}``.
    Taught in: 04_seq2seq_chatbot.
    """
    from .text import clean_for_training

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
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        from sklearn.feature_extraction.text import TfidfVectorizer

        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, lowercase=False, sublinear_tf=True)
        words = _vectorizer(ngram_range=(1, 2), min_df=2)
        self.pipeline = make_pipeline(FeatureUnion([("words", words), ("chars", chars)]),
                                      LogisticRegression(C=C, max_iter=2000))

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> "StyleClassifier":
        self.pipeline.fit(list(texts), np.asarray(labels))
        return self

    def probability_you(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))[:, 1]

    def share_you(self, texts: Sequence[str]) -> float:
        return float(np.mean(self.probability_you(texts) > 0.5)) if len(texts) else float("nan")

    def evaluate(self, texts: Sequence[str], labels: Sequence[int]) -> dict:
        """Accuracy and ROC AUC on held-out labelled texts."""
        from sklearn.metrics import accuracy_score, roc_auc_score

        probability = self.probability_you(texts)
        return {"accuracy": float(accuracy_score(labels, probability > 0.5)),
                "roc_auc": float(roc_auc_score(labels, probability)), "messages": len(texts)}

    def top_features(self, n: int = 10) -> dict[str, list[str]]:
        """The features that most say "you" and most say "someone else"."""
        union, model = self.pipeline.steps[0][1], self.pipeline.steps[1][1]
        names = union.get_feature_names_out()
        order = np.argsort(model.coef_[0])
        clean = lambda i: names[i].split("__", 1)[1]  # noqa: E731
        return {"you": [clean(i) for i in order[::-1][:n]], "others": [clean(i) for i in order[:n]]}

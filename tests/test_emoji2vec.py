"""emoji2vec: descriptions, training pairs, the Keras model and its vectors (notebook 05)."""

from dataclasses import replace

import numpy as np
import pytest

from helpers import emoji2vec, emoji_data


class _Vectors:
    """A tiny stand-in for gensim KeyedVectors: three topics, a few words each."""

    def __init__(self):
        rng = np.random.default_rng(0)
        topics = {
            "food": ["pizza", "cheese", "slice", "taco", "mexican", "food"],
            "love": ["heart", "love", "red", "kiss", "romance"],
            "sad": ["cry", "sad", "tear", "sob", "unhappy", "face", "crying", "loudly"],
        }
        self.vector_size = 16
        centres = {topic: rng.normal(size=16) * 3 for topic in topics}
        self._vectors = {
            w: (centres[t] + rng.normal(size=16)).astype("float32") for t, ws in topics.items() for w in ws
        }
        self.key_to_index = {w: i for i, w in enumerate(self._vectors)}

    def __getitem__(self, word):
        return self._vectors[word]


def test_descriptions_and_phrase_vectors():
    keywords = emoji_data.emoji_keywords()
    pairs = emoji2vec.descriptions(["🍕", "😭"], keywords)
    assert (0, "pizza") in pairs and (1, "loudly crying face") in pairs and (1, "sob") in pairs
    kv = _Vectors()
    summed = emoji2vec.phrase_vector("loudly crying face", kv)
    assert np.allclose(summed, kv["loudly"] + kv["crying"] + kv["face"])
    assert emoji2vec.phrase_vector("zzz qqq", kv) is None


def test_training_pairs_draw_other_emoji_as_negatives():
    pairs = [(0, np.ones(4)), (1, np.zeros(4)), (2, np.full(4, 2.0))]
    ids, vectors, labels = emoji2vec.training_pairs(pairs, emoji_count=3, negatives=2, seed=0)
    assert len(ids) == len(vectors) == len(labels) == 9 and labels.sum() == 3
    wrong = ids[3:].reshape(3, 2)
    assert (wrong != np.array([[0], [1], [2]])).all()  # a negative is never the emoji itself
    assert np.allclose(vectors[3:5], 1.0)  # the same description, another emoji


def test_emoji2vec_learns_vectors_near_their_descriptions():
    kv = _Vectors()
    chars = ["🍕", "🌮", "❤", "😭"]
    result = emoji2vec.train_emoji2vec(
        chars, emoji_data.emoji_keywords(), kv, replace(emoji2vec.CONFIG, epochs=3, batch_size=8)
    )
    vectors = emoji2vec.normalized(result["vectors"])
    assert vectors.shape == (4, 16) and len(result["history"]) == 3 and result["descriptions"] > 4
    words = emoji2vec.normalized(np.stack([kv["cheese"], kv["heart"], kv["sad"]]))
    best = (words @ vectors.T).argmax(1)
    assert chars[best[0]] in ("🍕", "🌮") and chars[best[1]] == "❤" and chars[best[2]] == "😭"
    model = result["model"]
    assert model.get_layer("emoji_vectors").get_weights()[0].shape == (4, 16)


def test_centroids_and_ranks():
    pairs = [(0, np.array([3.0, 0.0])), (0, np.array([0.0, 1.0])), (1, np.array([0.0, -2.0]))]
    centres = emoji2vec.centroids(pairs, 3)
    assert np.allclose(centres, [[0.5, 0.5], [0.0, -1.0], [0.0, 0.0]])
    assert emoji2vec.rank_of(np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.1]]), [2, 0]).tolist() == [2, 1]
    assert np.allclose(np.linalg.norm(emoji2vec.normalized(np.array([[3.0, 4.0]])), axis=1), 1)


@pytest.mark.parametrize("char", ["🫠", "🥲"])
def test_every_emoji_gets_a_description(char):
    assert emoji2vec.descriptions([char], {})  # an emoji the CLDR table lacks falls back to its name


def test_holdout_keeps_names_and_returns_held_descriptions():
    kv = _Vectors()
    chars = ["🍕", "🌮", "❤", "😭"]
    result = emoji2vec.train_emoji2vec(
        chars, emoji_data.emoji_keywords(), kv, replace(emoji2vec.CONFIG, epochs=1), holdout=0.5
    )
    everything = emoji2vec.train_emoji2vec(chars, emoji_data.emoji_keywords(), kv, replace(emoji2vec.CONFIG, epochs=1))
    assert result["heldout"] and everything["heldout"] == []
    assert result["descriptions"] + len(result["heldout"]) == everything["descriptions"]
    assert np.abs(result["centroids"]).sum(1).all()  # every emoji keeps at least its name
    assert emoji2vec.held_out(3, "sob", 0.5) == emoji2vec.held_out(3, "sob", 0.5)

import numpy as np
import pytest

from helpers import vectors, word2vec, zoo


@pytest.fixture(scope="module")
def glove():
    return vectors.load_glove(limit=50_000)


def test_glove_loads_in_frequency_order(glove):
    assert glove.index_to_key[:3] == ["the", ",", "."] and glove.vector_size == 50
    assert None not in glove.index_to_key and np.isfinite(glove.vectors).all()


def test_analogies(glove):
    assert vectors.analogy(glove, "man", "king", "woman")[0][0] == "queen"
    capitals = vectors.analogy(glove, ["france", "spain"], ["paris", "madrid"], ["germany", "japan"])
    assert [answer[0][0] for answer in capitals] == ["berlin", "tokyo"]
    with pytest.raises(ValueError, match="pairs"):
        vectors.analogy(glove, ["man"], ["woman", "girl"], "king")


def test_unknown_word_gets_a_helpful_message(glove):
    with pytest.raises(KeyError, match=r"'Pizzza' \(did you mean 'pizza'.*lowercase"):
        vectors.similar(glove, "Pizzza")
    assert vectors.similar(glove, "pizza", topn=3)[0][0] in {"pizzas", "pasta", "sandwich", "burger"}


def test_embedding_matrix_coverage(glove):
    vocabulary = ["", "[UNK]", "[START]", "the", "pizza", "qwertyzzz"]
    matrix, coverage = vectors.embedding_matrix(vocabulary, glove, seed=1)
    assert matrix.shape == (6, 50) and matrix.dtype == np.float32
    assert not matrix[0].any()  # padding
    np.testing.assert_array_equal(matrix[4], glove["pizza"])
    assert coverage == {"words": 3, "found": 2, "coverage": 2 / 3, "missing_examples": ["qwertyzzz"]}
    again, _ = vectors.embedding_matrix(vocabulary, glove, seed=1)
    np.testing.assert_array_equal(matrix, again)  # random rows are seeded


def test_vectors_model_round_trip_through_the_zoo(tmp_path, glove):
    words = glove.index_to_key[:200]
    model = vectors.vectors_model(words, glove.vectors[:200])
    out = model(np.array([["the", "of", "nonexistentword"]]))
    np.testing.assert_allclose(out[0, 0], glove["the"])
    assert not np.asarray(out[0, 2]).any()  # unknown word -> zeros
    card = {
        "data": {"source": "a test"},
        "hyperparameters": {},
        "metrics": {},
        "training_seconds": 0,
        "reproduce": "n/a",
    }
    zoo.save(model, "99_test/vectors", card, root=tmp_path)
    kv = vectors.keyed_vectors_from_model(zoo.load("99_test/vectors", root=tmp_path))
    assert kv.index_to_key == words
    np.testing.assert_allclose(kv["of"], glove["of"])


def test_evaluate_reports_both_benchmarks(glove):
    scores = vectors.evaluate(glove, restrict_vocab=30_000)
    assert 0.45 < scores["analogy_accuracy"] < 0.55 and 0.45 < scores["wordsim353_spearman"] < 0.6


# ----------------------------------------------------------------------------- skip-gram
SENTENCES = [["a", "b", "c", "d", "e"], ["f", "g", "h"], ["i"]]


def test_build_corpus():
    corpus = word2vec.build_corpus([["x", "y", "x"], ["x", "rare"]], min_count=2)
    assert corpus.vocabulary == ["[UNK]", "x"] and corpus.ids.tolist() == [1, 0, 1, 1, 0]
    assert corpus.sentence.tolist() == [0, 0, 0, 1, 1] and corpus.tokens == 5 and corpus.counts.tolist() == [0, 3]
    with pytest.raises(ValueError, match="min_count"):
        word2vec.build_corpus([["once"]], min_count=2)


def test_skipgram_pairs_stay_in_window_and_sentence():
    corpus = word2vec.build_corpus(SENTENCES, min_count=1)  # every word unique: ids map back to positions
    position = {
        corpus.vocabulary.index(w): (s, i) for s, sentence in enumerate(SENTENCES) for i, w in enumerate(sentence)
    }
    targets, contexts = word2vec.skipgram_pairs(corpus, window=2, sample=1.0, rng=np.random.default_rng(0))
    assert len(targets) > 0 and 0 not in targets and 0 not in contexts
    for t, c in zip(targets, contexts):
        (st, it), (sc, ic) = position[t], position[c]
        assert st == sc and 1 <= abs(it - ic) <= 2
    # distance-1 neighbours are always kept, and pairs come in both directions
    pairs = set(zip(targets.tolist(), contexts.tolist()))
    a, b = corpus.vocabulary.index("a"), corpus.vocabulary.index("b")
    assert (a, b) in pairs and (b, a) in pairs


def test_subsampling_drops_frequent_words():
    corpus = word2vec.build_corpus([["the", "cat", "the", "sat"] * 5 + ["the"] * 1000], min_count=1)
    the = corpus.vocabulary.index("the")
    everything, _ = word2vec.skipgram_pairs(corpus, window=1, sample=1.0, rng=np.random.default_rng(0))
    subsampled, _ = word2vec.skipgram_pairs(corpus, window=1, sample=1e-3, rng=np.random.default_rng(0))
    # "the" is 99% of the tokens; keeping it with probability ~0.03 leaves it far fewer of the pairs
    assert (everything == the).mean() > 0.98 and (subsampled == the).mean() < 0.9
    assert len(subsampled) < len(everything) / 10


def test_negative_table_and_dataset_shapes():
    corpus = word2vec.build_corpus(SENTENCES * 3, min_count=1)
    cdf = word2vec.negative_table(corpus)
    assert cdf[0] == 0 and np.all(np.diff(cdf) >= 0) and cdf[-1] == pytest.approx(1.0)
    dataset, n = word2vec.skipgram_dataset(corpus, window=2, negatives=3, batch_size=8, sample=1.0)
    (target, candidates), labels = next(iter(dataset))
    assert target.shape == (8,) and candidates.shape == (8, 4) and labels.shape == (8, 4)
    assert labels.numpy()[:, 0].tolist() == [1.0] * 8 and not labels.numpy()[:, 1:].any()
    assert n >= 8


def test_keras_training_learns_and_is_deterministic():
    rng = np.random.default_rng(0)
    topics = [["cat", "dog", "pet", "fur"], ["car", "road", "wheel", "drive"]]
    sentences = [list(rng.choice(topics[i % 2], 6)) for i in range(400)]
    corpus = word2vec.build_corpus(sentences, min_count=1)
    model, history, _, wps = word2vec.train_keras(corpus, dim=8, window=2, epochs=4, batch_size=64, sample=1.0, seed=3)
    assert history["loss"][-1] < history["loss"][0] and wps > 0
    kv = word2vec.keras_vectors(model, corpus.vocabulary)
    assert kv.similarity("cat", "dog") > kv.similarity("cat", "road")
    _, again, _, _ = word2vec.train_keras(corpus, dim=8, window=2, epochs=4, batch_size=64, sample=1.0, seed=3)
    assert again["loss"] == pytest.approx(history["loss"], rel=1e-5)


def test_gensim_training_and_neighbours_table():
    sentences = [["cat", "dog", "pet"], ["car", "road", "wheel"]] * 200
    model, seconds, wps = word2vec.train_gensim(sentences, dim=8, window=2, epochs=2, min_count=1, workers=1)
    table = word2vec.neighbours_table({"gensim": model.wv}, ["cat", "unicorn"], topn=2)
    assert table["unicorn"]["gensim"] == "(not in vocabulary)" and len(table["cat"]["gensim"].split(", ")) == 2


def test_xla_training_matches_the_plain_graph():
    """build_skipgram_model compiles with XLA and 64 steps per call, for speed only: the same tables as a plain
    compile after the same batches (notebook 02, Recipe 6)."""
    import keras

    sentences = [["cat", "dog", "pet", "fur"], ["car", "road", "wheel", "drive"]] * 150
    corpus = word2vec.build_corpus(sentences, min_count=1)
    tables = []
    for plain in (False, True):
        keras.utils.set_random_seed(0)
        model = word2vec.build_skipgram_model(len(corpus.vocabulary), 8)
        assert model.jit_compile is True
        if plain:  # the same optimizer settings and loss, compiled without the two speed settings
            rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
            model.compile(optimizer=keras.optimizers.Adam(rate), loss=model.loss)
            assert model.jit_compile is False
        dataset, _ = word2vec.skipgram_dataset(corpus, window=2, negatives=3, batch_size=32, sample=1.0, seed=1)
        model.fit(dataset, epochs=2, verbose=0, shuffle=False)
        tables.append(model.get_layer("word_embedding").get_weights()[0])
    np.testing.assert_allclose(tables[0], tables[1], rtol=1e-4, atol=1e-5)

"""The words mood reader (helpers.everyday_moods: dense features and the message's word TF-IDF)."""

import keras
import numpy as np
import pytest
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from helpers import everyday_moods
from helpers.everyday_moods import WordsMoodReader, fit_words_mood_model, word_mean_vectors

MOODS = ["love", "funny", "food"]
WORDS = {"love": "miss you dear hug", "funny": "lol silly joke laughed", "food": "pizza tacos dinner cake"}


@pytest.fixture
def labelled():
    rng = np.random.default_rng(1)
    labels = [MOODS[i % 3] for i in range(60)]
    texts = []
    for i, mood in enumerate(labels):
        own = WORDS[mood].split()
        other = WORDS[MOODS[(MOODS.index(mood) + 1) % 3]].split()
        picked = [own[j] for j in rng.choice(len(own), 2, replace=False)] + [other[i % len(other)]]
        texts.append(" ".join(picked + (["so", "so"] if i % 5 == 0 else ["ok"])))  # a repeated word now and then
    dense = rng.normal(size=(len(labels), 7))  # no signal: the words must carry the moods
    return dense, texts, labels


def test_the_words_reader_gives_scikit_learns_and_the_keras_models_probabilities(labelled, tmp_path):
    dense, texts, labels = labelled
    model = fit_words_mood_model(dense, texts, labels, MOODS)
    reader = WordsMoodReader(model, MOODS)
    probe = texts[:9] + ["pizza pizza lol", "nothing known here", "", "hug"]
    probe_dense = np.vstack([dense[:9], np.zeros((4, dense.shape[1]))])
    p = reader.probabilities(probe_dense, probe)
    np.testing.assert_allclose(p.sum(1), 1.0)
    keras_p = model.predict({"dense": probe_dense, "text": np.asarray(probe, dtype=object)}, verbose=0)
    np.testing.assert_allclose(p, keras_p, atol=1e-5)
    # scikit-learn's own pipeline, fitted the same way
    vectorizer = everyday_moods.words_vectorizer()
    rows = vectorizer.fit_transform(texts)
    scaler = StandardScaler().fit(dense)
    features = sparse.hstack([sparse.csr_matrix(scaler.transform(dense)), everyday_moods.WORDS_SCALE * rows]).tocsr()
    y = np.array([MOODS.index(m) for m in labels])
    classifier = LogisticRegression(C=everyday_moods.C, max_iter=3000).fit(features, y)
    probe_features = sparse.hstack(
        [sparse.csr_matrix(scaler.transform(probe_dense)), everyday_moods.WORDS_SCALE * vectorizer.transform(probe)]
    )
    np.testing.assert_allclose(p, classifier.predict_proba(probe_features), atol=1e-5)
    assert (np.array(MOODS)[reader.probabilities(dense, texts).argmax(1)] == np.array(labels)).mean() > 0.9
    model.save(tmp_path / "words_moods.keras")
    loaded = keras.models.load_model(tmp_path / "words_moods.keras", safe_mode=True)
    np.testing.assert_allclose(WordsMoodReader(loaded, MOODS).probabilities(probe_dense, probe), p, atol=1e-6)


def test_the_words_reader_refuses_what_it_cannot_read(labelled):
    dense, texts, labels = labelled
    with pytest.raises(ValueError, match="not among the moods"):
        fit_words_mood_model(dense, texts, ["sad"] + labels[1:], MOODS)
    with pytest.raises(ValueError, match="every mood needs"):
        fit_words_mood_model(dense, texts, ["love"] * len(labels), MOODS)
    reader = WordsMoodReader(fit_words_mood_model(dense, texts, labels, MOODS), MOODS)
    with pytest.raises(ValueError, match="3 rows of dense features but 2 texts"):
        reader.probabilities(dense[:3], texts[:2])
    with pytest.raises(ValueError, match="reads 3 moods, 2 were named"):
        WordsMoodReader(reader.model, MOODS[:2])


def test_word_mean_vectors_average_the_known_words():
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=2)
    kv.add_vectors(["tacos", "hug"], np.array([[1.0, 0.0], [0.0, 2.0]]))
    out = word_mean_vectors(["tacos hug unknown", "nothing here", "tacos"], kv)
    np.testing.assert_allclose(out, [[0.5, 1.0], [0.0, 0.0], [1.0, 0.0]])


def test_topic_mask_marks_each_rows_own_emoji_the_table_has(zoo_suggester):
    from helpers.emoji_suggest import topic_mask

    table = zoo_suggester.table
    rows = [{"emoji": ["🌮"]}, {"emoji": ["❄️"]}, {"emoji": []}, {"emoji": ["not an emoji"]}]
    mask = topic_mask(table, rows)
    assert mask.shape == (4, len(table)) and mask.sum(axis=1).tolist() == [1, 1, 0, 0]
    assert mask[0, table.index("🌮")] and mask[1, table.index("❄")]


def test_learning_with_the_topic_share_keeps_more_topic_emoji_and_the_topic_weights(zoo_suggester):
    from helpers import emoji_data, emoji_suggest

    moods = emoji_data.emoji_moods()
    rows = emoji_data.labelled_messages()
    with_topic = emoji_suggest.learn_words_moods(zoo_suggester, rows, moods)
    without = emoji_suggest.learn_words_moods(zoo_suggester, rows, moods, topic_share=0.0)
    assert with_topic.words_moods is not None and with_topic.moods is not None
    for key in emoji_suggest.READER_KEPT_WEIGHTS:  # the topic parts' weights are the zoo's
        assert with_topic.weights[key] == without.weights[key] == zoo_suggester.weights[key]
    topics = emoji_suggest.topic_mask(zoo_suggester.table, rows)

    def topic_in_top3(suggester):
        found = emoji_suggest.evaluate_moods(suggester, rows, moods, fit=False)["suggestions"]
        return sum(bool(topics[i, [zoo_suggester.table.index(e) for e in top]].any()) for i, top in enumerate(found))

    assert topic_in_top3(with_topic) > topic_in_top3(without)


def test_the_zoo_default_reads_its_moods_from_the_words_reader(zoo_suggester, sense_suggester):
    from helpers import emoji_suggest, zoo
    from helpers.emoji_suggest import EmojiSuggester

    assert zoo_suggester.words_moods is not None and sense_suggester.words_moods is None
    assert "moods read from the words" in repr(zoo_suggester) and "words" not in repr(sense_suggester)
    card = zoo.card(emoji_suggest.WORDS_ZOO_NAME)
    assert zoo_suggester.weights["moods"] == card["weights"]["moods"] != sense_suggester.weights["moods"]
    for key in emoji_suggest.READER_KEPT_WEIGHTS:  # the topic parts' weights are the suggester card's
        assert zoo_suggester.weights[key] == sense_suggester.weights[key]
    messages = ["i put salt in my coffee instead of sugar", "we're having tacos tonight"]
    inputs = emoji_suggest.words_inputs(zoo_suggester, [{"text": m} for m in messages])
    p = zoo_suggester.words_moods.probabilities(inputs["dense"], inputs["prepared"])
    parts = zoo_suggester.features(messages)
    np.testing.assert_allclose(parts["moods"], everyday_moods.moods_term(p, zoo_suggester.mood_emoji))
    # its good-or-bad reading joins the feeling that orders the suggestions (as the bigger reader's does)
    np.testing.assert_allclose(
        parts["reader_feeling"], everyday_moods.WORDS_FEELING * zoo_suggester.words_moods.polarity(p)
    )
    sense_parts = sense_suggester.features(messages)
    np.testing.assert_allclose(parts["feeling"], sense_parts["feeling"] + parts["reader_feeling"])
    assert zoo.card(emoji_suggest.WORDS_ZOO_NAME)["hyperparameters"]["feeling"] == everyday_moods.WORDS_FEELING
    assert zoo_suggester.with_moods(None).words_moods is None  # its laugh rule reads the sense mood reader
    assert zoo_suggester.with_sense(None).words_moods is None
    assert zoo_suggester.with_words_moods(None).words_moods is None
    with pytest.raises(ValueError, match="sense cosines' mood reader"):
        EmojiSuggester(
            zoo_suggester.model, zoo_suggester.table, zoo_suggester.matcher, words_moods=zoo_suggester.words_moods
        )


def test_learn_words_moods_learns_the_zoo_default_from_every_read_set(zoo_suggester, sense_suggester):
    from helpers import emoji_data, emoji_suggest

    moods = emoji_data.emoji_moods()
    rows = [row for messages in emoji_suggest.read_sets(moods).values() for row in messages]
    assert len(rows) == 1067
    learned = emoji_suggest.learn_words_moods(sense_suggester, rows, moods)
    # the build's own method gives the card's weights back (within what another CPU's features move them: see
    # test_everyday_moods' learn_everyday test) and the words reader's probabilities
    for key, value in zoo_suggester.weights.items():
        assert learned.weights[key] == pytest.approx(value, abs=5e-3), key
    probe = ["i put salt in my coffee instead of sugar", "my grandma's soup is the best", "the bus never came"]
    inputs = emoji_suggest.words_inputs(sense_suggester, [{"text": m} for m in probe])
    np.testing.assert_allclose(
        learned.words_moods.probabilities(inputs["dense"], inputs["prepared"]),
        zoo_suggester.words_moods.probabilities(inputs["dense"], inputs["prepared"]),
        atol=5e-3,
    )

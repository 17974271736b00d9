"""The everyday mood reader (helpers.everyday_moods) and the suggester's moods part."""

import keras
import numpy as np
import pytest

from helpers import emoji_data, emoji_suggest, everyday_moods
from helpers.everyday_moods import MoodReader, fit_mood_model

MOODS = ["love", "funny", "food"]


@pytest.fixture
def labelled():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 12))
    labels = [MOODS[i % 3] for i in range(90)]
    cosines = np.stack([centres[MOODS.index(m)] + 0.3 * rng.normal(size=12) for m in labels])
    return cosines, labels


def test_the_reader_gives_the_keras_models_probabilities_before_and_after_saving(labelled, tmp_path):
    cosines, labels = labelled
    model = fit_mood_model(cosines, labels, MOODS)
    reader = MoodReader(model, MOODS)
    p = reader.probabilities(cosines)
    np.testing.assert_allclose(p, model.predict(cosines, verbose=0), atol=1e-5)
    np.testing.assert_allclose(p.sum(1), 1.0)
    assert (np.array(MOODS)[p.argmax(1)] == np.array(labels)).mean() > 0.9  # separable moods are learned
    model.save(tmp_path / "moods.keras")
    loaded = keras.models.load_model(tmp_path / "moods.keras", safe_mode=True)
    np.testing.assert_allclose(MoodReader(loaded, MOODS).probabilities(cosines), p, atol=1e-6)


def test_bad_labels_are_refused(labelled):
    cosines, labels = labelled
    with pytest.raises(ValueError, match="not among the moods"):
        fit_mood_model(cosines, ["sad"] + labels[1:], MOODS)
    with pytest.raises(ValueError, match="every mood needs"):
        fit_mood_model(cosines, ["love"] * len(labels), MOODS)
    with pytest.raises(ValueError, match="reads 3 moods"):
        MoodReader(fit_mood_model(cosines, labels, MOODS), MOODS[:2])


def test_the_term_spreads_each_moods_probability_over_its_emoji(labelled):
    cosines, labels = labelled
    reader = MoodReader(fit_mood_model(cosines, labels, MOODS), MOODS)
    # emoji 😂 ❤️ 🍕 🚗; moods love (❤️), funny (😂), food (🍕)
    matrix = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]], float)
    term = reader.term(cosines[:5], matrix)
    p = reader.probabilities(cosines[:5])
    np.testing.assert_allclose(term[:, 0], np.log(p[:, 1] + everyday_moods.FLOOR))
    np.testing.assert_allclose(term[:, 3], np.log(everyday_moods.FLOOR))  # an emoji of no mood


def test_the_sense_suggester_reads_the_everyday_moods(sense_suggester):
    suggester = sense_suggester  # the moods part read from the sense cosines
    assert suggester.moods is not None and suggester.moods.moods == list(emoji_data.emoji_moods())
    messages = ["i put salt in my coffee instead of sugar", "we're having tacos tonight"]
    parts = suggester.features(messages)
    cosines = parts["sense"] / emoji_suggest.SENSE_SCALE
    np.testing.assert_allclose(parts["moods"], suggester.moods.term(cosines, suggester.mood_emoji))
    # each mood's row marks exactly the listed emoji the table has, found with or without a variation selector
    moods, table = emoji_data.emoji_moods(), suggester.table
    for i, mood in enumerate(moods):
        found = set()
        for char in moods[mood]["emoji"]:
            try:
                found.add(table.index(char))
            except KeyError:
                continue
        assert set(np.flatnonzero(suggester.mood_emoji[i])) == found, mood
    assert suggester.mood_emoji[list(moods).index("love"), table.index("❤")] == 1  # listed as ❤, also ❤️ in tables
    without = suggester.with_moods(None)
    assert not without.features(messages)["moods"].any()
    assert not np.allclose(suggester.components(messages)["mood"], without.components(messages)["mood"])
    assert suggester.with_sense(None).moods is None  # the moods part reads the sense cosines
    with pytest.raises(ValueError, match="sense reader"):
        emoji_suggest.EmojiSuggester(
            suggester.model, suggester.table, suggester.matcher, reactions=suggester.reactions, moods=suggester.moods
        )


def test_the_crossfitted_moods_part_never_sees_the_scored_messages_labels(zoo_suggester):
    suggester = zoo_suggester
    rows = emoji_data.labelled_messages()
    cosines = suggester.features([r["text"] for r in rows])["sense"] / emoji_suggest.SENSE_SCALE
    fold = np.array([emoji_suggest.text_fold(r["text"]) for r in rows])
    test = fold == 0
    part = emoji_suggest.crossfitted_moods(cosines, rows, fold, test, suggester)
    # relabel the scored fold: none of the moods parts may change (nor those the weights are fitted on)
    names = suggester.moods.moods
    shuffled = [{**r, "mood": names[(names.index(r["mood"]) + 1) % len(names)]} if t else r for r, t in zip(rows, test)]
    again = emoji_suggest.crossfitted_moods(cosines, shuffled, fold, test, suggester)
    np.testing.assert_allclose(part, again)
    # while relabelling a training fold does change them
    moved = [
        {**r, "mood": names[(names.index(r["mood"]) + 1) % len(names)]} if f == 1 else r for r, f in zip(rows, fold)
    ]
    assert not np.allclose(part[test], emoji_suggest.crossfitted_moods(cosines, moved, fold, test, suggester)[test])
    # evaluate_moods passes each fold's held-out probabilities (read by the same readers): the same part, and the
    # funny reading it holds 😂 back with comes from readers that did not see the scored fold's labels either
    held_out = emoji_suggest.out_of_fold_mood_probabilities(cosines, rows, fold, names)
    np.testing.assert_allclose(part, emoji_suggest.crossfitted_moods(cosines, rows, fold, test, suggester, held_out))
    relabelled = emoji_suggest.out_of_fold_mood_probabilities(cosines, shuffled, fold, names)
    np.testing.assert_allclose(held_out[test], relabelled[test])


def test_learn_everyday_learns_the_zoo_suggester_from_the_training_sets(sense_suggester):
    zoo_suggester = sense_suggester  # the zoo's suggester card: the moods part read from the sense cosines
    rows = emoji_data.training_messages()
    learned = emoji_suggest.learn_everyday(zoo_suggester, rows)
    # the build's own method: the card's weights come back. L-BFGS-B stops within a few 1e-4 of them on the zoo's CPU
    # (an Intel Xeon); on another the features differ in the last digits and it stops a little further away (reaction
    # 0.3430 against 0.3451 on a 2-core AMD EPYC without AVX-512, 2026-12-06), so the bar is 5e-3, a fraction of a
    # percent of the largest weights
    for key, value in zoo_suggester.weights.items():
        assert learned.weights[key] == pytest.approx(value, abs=5e-3), key
    assert learned.personal_weights == zoo_suggester.personal_weights  # what goes with your own habits is kept
    probe = ["i put salt in my coffee instead of sugar", "my grandma's soup is the best"]
    cosines = zoo_suggester.features(probe)["sense"] / emoji_suggest.SENSE_SCALE
    # the reader is learned again from features this CPU computed: on another CPU than the zoo's (an Intel Xeon) its
    # probabilities differ in the third decimal (1.5e-3 at most on a 2-core AMD EPYC, 2026-12-04); the reader of
    # the mood set alone, below, differs by more than 1e-2
    np.testing.assert_allclose(
        learned.moods.probabilities(cosines), zoo_suggester.moods.probabilities(cosines), atol=5e-3
    )
    # the mood set alone (notebook 05's recipe) learns a different reader and different weights
    alone = emoji_suggest.learn_everyday(zoo_suggester, emoji_data.labelled_messages())
    assert abs(alone.weights["mood"] - zoo_suggester.weights["mood"]) > 1
    assert not np.allclose(alone.moods.probabilities(cosines), zoo_suggester.moods.probabilities(cosines), atol=1e-2)
    with pytest.raises(ValueError, match="sense reader"):
        emoji_suggest.learn_everyday(zoo_suggester.with_sense(None), rows)


@pytest.fixture(scope="module")
def zoo_default(zoo_suggester):
    return zoo_suggester  # loaded once per session (conftest.py)


@pytest.fixture(scope="module")
def zoo_reading():
    return emoji_suggest.EmojiSuggester.from_zoo(reader=True)


class FakeEncoder:
    """Stands in for the bigger reader: fixed vectors per text (the reader itself is tested in test_mpnet.py)."""

    def __init__(self, vectors: dict):
        self.vectors, self.calls = vectors, 0

    def encode(self, texts):
        self.calls += 1
        return np.stack([self.vectors[t] for t in texts])


def test_reader_moods_read_the_encoders_vectors(labelled):
    cosines, labels = labelled
    texts = [f"message {i}" for i in range(len(labels))]
    encoder = FakeEncoder(dict(zip(texts, cosines)))
    model = fit_mood_model(cosines, labels, MOODS, everyday_moods.READER_C)
    reader = everyday_moods.ReaderMoods(model, MOODS, encoder)
    p = reader.probabilities(texts[:7])
    np.testing.assert_allclose(p, MoodReader(model, MOODS).probabilities(cosines[:7]))
    assert encoder.calls == 1  # one read per call
    np.testing.assert_allclose(reader.polarity(p), p[:, 0] + p[:, 1] + p[:, 2])  # love, funny, food: all good


def test_the_zoo_reader_mode_reads_moods_with_the_bigger_reader(zoo_default, zoo_reading):
    default, reading = zoo_default, zoo_reading
    assert default.reader_moods is None and reading.reader_moods is not None
    assert reading.reader_moods.moods == list(emoji_data.emoji_moods())
    card = emoji_suggest.zoo.card(everyday_moods.READER_ZOO_NAME)
    assert {k: reading.weights[k] for k in card["weights"]} == card["weights"]  # the weights learned with it
    assert reading.personal_weights == default.personal_weights
    messages = ["i put salt in my coffee instead of sugar", "my car broke down again", "thank you for the flowers"]
    parts = reading.features(messages)
    p = reading.reader_moods.probabilities(messages)
    np.testing.assert_allclose(parts["moods"], everyday_moods.moods_term(p, reading.mood_emoji))
    names = reading.reader_moods.moods
    # read as a person would: a mishap is funny, a breakdown sad or angry, flowers love or happy
    assert names[p[0].argmax()] == "funny"
    assert names[p[1].argmax()] in ("sad", "angry")
    assert names[p[2].argmax()] in ("love", "happy")
    assert "moods read by all-mpnet-base-v2" in repr(reading)
    assert reading.with_reader_moods(None).reader_moods is None
    assert [e for e, _ in reading.with_prior(None).suggest(messages[1], 3)] == [
        e for e, _ in reading.suggest(messages[1], 3)
    ]


def test_the_crossfitted_reader_moods_never_see_the_scored_messages_labels(zoo_reading):
    reading = zoo_reading
    rows = emoji_data.labelled_messages()
    vectors, names, c = emoji_suggest.mood_inputs(reading, [r["text"] for r in rows])
    assert vectors.shape == (len(rows), 768) and c == everyday_moods.READER_C
    fold = np.array([emoji_suggest.text_fold(r["text"]) for r in rows])
    test = fold == 0
    part = emoji_suggest.crossfitted_moods(vectors, rows, fold, test, reading)
    shuffled = [{**r, "mood": names[(names.index(r["mood"]) + 1) % len(names)]} if t else r for r, t in zip(rows, test)]
    np.testing.assert_allclose(part, emoji_suggest.crossfitted_moods(vectors, shuffled, fold, test, reading))


def test_the_reader_adds_its_polarity_to_the_feeling(zoo_default, zoo_reading):
    default, reading = zoo_default.with_words_moods(None), zoo_reading  # the default's feeling without its words reader
    messages = ["my car broke down again", "i got the job!!", "we're having tacos tonight"]
    parts, plain = reading.features(messages), default.features(messages)
    assert not plain["reader_feeling"].any()
    p = reading.reader_moods.probabilities(messages)
    polarity = reading.reader_moods.polarity(p)
    names = reading.reader_moods.moods
    sides = {"love": 1, "happy": 1, "funny": 1, "food": 1, "sad": -1, "angry": -1}
    np.testing.assert_allclose(polarity, p @ np.array([sides[m] for m in names]))
    np.testing.assert_allclose(parts["reader_feeling"], everyday_moods.READER_FEELING * polarity)
    # beside the reader the tweets' classifier has no weight, so it is not run: the reader's polarity replaces its
    # p(+) - p(-) in the feeling (these messages have no emoji to lean on instead)
    assert default.reads_tweets and not reading.reads_tweets
    tweets = plain["probabilities"][:, 2] - plain["probabilities"][:, 0]
    np.testing.assert_allclose(parts["probabilities"], 1 / 3)
    np.testing.assert_allclose(parts["feeling"], plain["feeling"] - tweets + parts["reader_feeling"], atol=1e-9)
    assert parts["reader_feeling"][0] < 0 < parts["reader_feeling"][1]  # bad news reads bad, good news good


def test_the_crossfitted_reader_suggester_never_sees_the_scored_messages_labels(zoo_reading):
    reading = zoo_reading
    rows = emoji_data.labelled_messages()
    moods = emoji_data.emoji_moods()
    names = list(moods)
    fold = np.array([emoji_suggest.text_fold(r["text"]) for r in rows])
    before = emoji_suggest.evaluate_moods(reading, rows, moods)
    # relabel the first fold: its suggestions (moods part, feeling and weights all cross-fitted) must not move
    relabelled = [
        {**r, "mood": names[(names.index(r["mood"]) + 1) % len(names)]} if f == 0 else r for r, f in zip(rows, fold)
    ]
    after = emoji_suggest.evaluate_moods(reading, relabelled, moods)
    scored = np.flatnonzero(fold == 0)
    assert [before["suggestions"][i] for i in scored] == [after["suggestions"][i] for i in scored]
    assert before["suggestions"] != after["suggestions"]  # while the other folds learned from the new labels


def test_a_damaged_reader_is_one_error_line(monkeypatch, capsys):
    def damaged():
        raise ValueError(
            "model.safetensors in the all-mpnet-base-v2 packages does not match its sha256; reinstall them"
        )

    monkeypatch.setattr(everyday_moods, "load_reader", damaged)
    assert emoji_suggest.main(["suggest", "--reader", "my car broke down again"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "error: model.safetensors in the all-mpnet-base-v2 packages does not match its sha256; reinstall them"
    ]

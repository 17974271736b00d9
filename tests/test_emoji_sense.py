"""The distilled reader (helpers.emoji_sense): the student's shape, its loss, its training, the suggester's part."""

import keras
import numpy as np
import pytest

from helpers import emoji_sense, zoo
from helpers.emoji_sense import EmojiDistillation, SenseConfig, SenseReader, build_sense_model, train_sense

WORDS = ["good", "bad", "pizza", "rain", "happy", "sad"]
SMALL = SenseConfig(max_words=8, word_units=16, hidden=16, epochs=3, batch_size=4, learning_rate=1e-2)


def unit(x):
    x = np.asarray(x, "float32")
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.fixture
def parts():
    rng = np.random.default_rng(0)
    return rng.normal(size=(len(WORDS), 5)).astype("float32"), unit(rng.normal(size=(7, 12)))


def test_the_student_gives_a_cosine_per_emoji(parts):
    word_vectors, emoji_vectors = parts
    model = build_sense_model(WORDS, word_vectors, emoji_vectors, SMALL)
    texts = np.array(["good pizza", "sad rain rain", "zzz unknown", "! ? !"], dtype=object)
    cosines = np.asarray(model(texts))
    assert cosines.shape == (4, 7)
    vector = np.asarray(keras.Model(model.input, model.get_layer("vector").output)(texts))
    assert np.isfinite(cosines).all()  # punctuation only (no word at all) is no division by zero
    trained = [np.linalg.norm(v) for v in vector[:2]]
    np.testing.assert_allclose(trained, 1, atol=1e-5)  # a unit vector in MiniLM's space
    np.testing.assert_allclose(cosines, vector @ emoji_vectors.T, atol=1e-5)  # the emoji's side is fixed
    assert not model.get_layer("glove").trainable and not model.get_layer("emoji").trainable
    np.testing.assert_array_equal(model.get_layer("glove").get_weights()[0][2:], word_vectors)


def test_the_distillation_loss_is_least_where_the_student_ranks_as_the_teacher():
    loss = EmojiDistillation(temperature=0.1)
    teacher = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]], "float32")
    same, swapped = float(loss(teacher, teacher)), float(loss(teacher, teacher[:, ::-1]))
    assert same < swapped
    expected = -np.sum(
        keras.ops.softmax(teacher / 0.1, axis=-1) * keras.ops.log_softmax(teacher / 0.1, axis=-1), axis=-1
    ).mean()
    assert same == pytest.approx(float(expected), rel=1e-5)
    assert EmojiDistillation.from_config(loss.get_config()).temperature == 0.1


def test_training_moves_the_student_toward_the_teacher(parts):
    word_vectors, emoji_vectors = parts
    keras.utils.set_random_seed(0)
    model = build_sense_model(WORDS, word_vectors, emoji_vectors, SMALL)
    texts = ["good", "bad", "pizza", "rain", "happy", "sad", "good pizza", "sad rain"] * 4
    rng = np.random.default_rng(1)
    teacher = unit(rng.normal(size=(8, 12)))
    teacher = np.concatenate([teacher] * 4)
    history = train_sense(model, texts, teacher, SMALL, verbose=0)
    assert set(history) >= {"loss", "emoji_loss", "vector_loss"}
    assert history["loss"][-1] < history["loss"][0]


def test_the_suggester_adds_the_sense_part(parts, zoo_suggester):
    from helpers.emoji_suggest import SENSE_SCALE

    suggester = zoo_suggester
    if suggester.sense is None:
        pytest.skip("the zoo suggester has no sense reader")
    messages = ["i got promoted today", "pizza tonight?"]
    features = suggester.features(messages)
    from helpers.sentiment import prepare

    np.testing.assert_allclose(
        features["sense"], SENSE_SCALE * suggester.sense.cosines([prepare(m) for m in messages]), atol=1e-6
    )
    without = suggester.with_sense(None).features(messages)
    assert not without["sense"].any() and features["sense"].any()
    assert suggester.sense.emoji_count == len(suggester.table)


def test_readers_made_again_and_again_print_no_retracing_warning(parts, tf_log):
    word_vectors, emoji_vectors = parts
    model = build_sense_model(WORDS, word_vectors, emoji_vectors, SMALL)
    for _ in range(7):  # a reader per suggester, as a notebook cell run seven times makes them
        SenseReader(model).cosines(["a happy dog"])
    assert "retracing" not in tf_log.getvalue(), tf_log.getvalue()


def test_a_reader_for_another_emoji_table_is_refused(parts, monkeypatch, capsys):
    from helpers import emoji_suggest

    word_vectors, emoji_vectors = parts
    reader = SenseReader(build_sense_model(WORDS, word_vectors, emoji_vectors, SMALL))
    monkeypatch.setattr(emoji_sense.SenseReader, "from_zoo", classmethod(lambda cls, root=None: reader))
    with pytest.raises(zoo.ZooError, match="scores 7 emoji, the table has"):
        emoji_suggest._sense_reader(emoji_suggest.EmojiTable.build())
    # the zoo suggester loads the (patched) reader too: the command line says it in one line, exit 2
    assert emoji_suggest.main(["suggest", "hello"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: zoo/05_emoji/sense.keras scores 7 emoji") and "Traceback" not in err


def test_the_sense_command_reports_a_missing_zoo_file_in_one_line(monkeypatch, capsys):
    from helpers import emoji_suggest

    def missing(name, root=None):
        raise zoo.ZooError(f"zoo/{name}.keras is missing: run `make lab`")

    monkeypatch.setattr(zoo, "load", missing)
    assert emoji_suggest.main(["sense"]) == 2
    assert capsys.readouterr().err == "error: zoo/05_emoji/word_vectors.keras is missing: run `make lab`\n"

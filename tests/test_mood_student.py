"""The distilled mood student (helpers.mood_student) and the suggester's student mode."""

import keras
import numpy as np
import pytest

from helpers import emoji_data, emoji_suggest, mood_student, zoo
from helpers.sentence_encoder import load_encoder

MOODS = list(emoji_data.emoji_moods())


@pytest.fixture(scope="module")
def fresh_student():
    return mood_student.copy_minilm_layers(mood_student.build_mood_student(MOODS))


def test_the_student_starts_from_minilms_layers_and_reads_packed_rows_as_padded(fresh_student):
    student = fresh_student
    encoder = load_encoder()
    for part in ("attention", "intermediate", "output_norm"):
        for mine, theirs in zip(
            student.get_layer(f"layer_1_{part}").get_weights(), encoder.model.get_layer(f"layer_1_{part}").get_weights()
        ):
            np.testing.assert_array_equal(mine, theirs)
    # its embeddings are MiniLM's: the same token vectors as the package model's embedding layers
    ids = encoder.token_ids(["my car broke down again"])
    embedded = student.get_layer("embeddings")(ids)
    x = encoder.model.get_layer("word_embeddings")(ids) + encoder.model.get_layer("position_embeddings")(
        np.arange(ids.shape[1])[None]
    )
    x = encoder.model.get_layer("embeddings_norm")(x + encoder.model.get_layer("token_type_embeddings")(0 * ids))
    np.testing.assert_allclose(embedded, x, atol=1e-5)
    texts = ["lol", "my tortoise didn't wake up from hibernation", "tacos tonight", "we won!!"]
    tokenizer = mood_student.wordpiece()
    rows = mood_student.token_ids(tokenizer, texts)
    padded = student(mood_student.padded(rows)).numpy()
    np.testing.assert_allclose(padded.sum(1), 1.0, atol=1e-5)
    ids, positions, segments = mood_student.pack_rows(rows)
    packed = mood_student.packed_student(student)(ids, positions, segments, np.int32(len(rows))).numpy()
    np.testing.assert_allclose(packed, padded, atol=1e-5)


def test_a_saved_student_holds_its_layers_not_the_embeddings(fresh_student, tmp_path):
    path = tmp_path / "student.keras"
    fresh_student.save(path)
    assert path.stat().st_size < 20e6  # two layers and the head; the embeddings alone would be 47 MB
    loaded = keras.models.load_model(path, safe_mode=True)
    ids = mood_student.padded(mood_student.token_ids(mood_student.wordpiece(), ["hi there", "my dog died"]))
    np.testing.assert_allclose(loaded(ids).numpy(), fresh_student(ids).numpy(), atol=1e-6)


def test_distillation_moves_the_student_towards_its_targets():
    student = mood_student.copy_minilm_layers(mood_student.build_mood_student(MOODS, layers=1))
    texts = [f"{word} news today" for word in ("great", "awful", "lovely", "terrible")] * 16
    targets = np.eye(len(MOODS), dtype="float32")[[1, 2, 1, 2] * 16]  # happy, sad
    config = mood_student.StudentConfig(layers=1, epochs=3, batch_size=16, learning_rate=1e-3)
    history = mood_student.distil(student, texts, targets, config, verbose=0)
    assert history["loss"][-1] < history["loss"][0] / 2
    p = student(mood_student.padded(mood_student.token_ids(mood_student.wordpiece(), texts[:4]))).numpy()
    assert [MOODS[i] for i in p.argmax(1)] == ["happy", "sad", "happy", "sad"]


def test_the_zoo_student_reads_everyday_moods_as_a_person_would():
    reader = mood_student.StudentMoods.from_zoo()
    card = zoo.card(mood_student.ZOO_NAME)
    assert reader.moods == MOODS == card["hyperparameters"]["moods"]
    messages = ["my dog died this morning", "we're having tacos tonight", "i got the job!!", "i hate my landlord"]
    p = reader.probabilities(messages)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-4)
    assert [reader.moods[i] for i in p.argmax(1)] == ["sad", "food", "happy", "angry"]
    # LiteRT with int8 weights on packed rows stays close to the Keras model on padded ones
    keras_p = reader.model(mood_student.padded(mood_student.token_ids(reader.tokenizer, messages))).numpy()
    assert np.abs(p - keras_p).max() < 0.1
    assert (p.argmax(1) == keras_p.argmax(1)).all()
    polarity = reader.polarity(p)
    assert polarity[0] < 0 < polarity[2]


def test_the_suggesters_student_mode():
    student = emoji_suggest.EmojiSuggester.from_zoo(student=True)
    assert isinstance(student.reader_moods, mood_student.StudentMoods)
    assert "moods read by the distilled mood student" in repr(student)
    card = zoo.card(emoji_suggest.everyday_moods.READER_ZOO_NAME)
    assert {k: student.weights[k] for k in card["weights"]} == card["weights"]  # the bigger reader's weights
    top = [e for e, _ in student.suggest("my dog died this morning", 3)]
    assert "😂" not in top
    # beside a reader of moods a named face never keeps first place (its polarity adds up to 2 to the feeling)
    assert not student.keeps_named_first
    parts = student.components(["lol"])
    score = parts["mood"] + parts["topic"] + parts["habit"]
    plain = emoji_suggest.lead_with_feeling(score, parts["feeling"], student.table.lead_polarity)
    assert student.order(score, parts["feeling"], parts["named"]).tolist() == plain.tolist()
    # it learned from the labelled messages through its teacher: cross-fitting it on them is refused, by name
    with pytest.raises(ValueError, match="fit=False"):
        emoji_suggest.evaluate_moods(student, emoji_data.labelled_messages())
    assert emoji_suggest.evaluate_moods(student, emoji_data.eighth_messages(), fit=False)["messages"] == 60
    with pytest.raises(ValueError, match="not both"):
        emoji_suggest.EmojiSuggester.from_zoo(reader=True, student=True)


def test_the_read_command_and_its_errors(capsys, monkeypatch):
    assert mood_student.main(["read", "my dog died this morning"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("my dog died this morning: sad ")
    monkeypatch.setattr(mood_student, "ZOO_NAME", "05_emoji/no_such_student")
    assert mood_student.main(["read", "hello"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: ") and captured.err.count("\n") == 1


def test_the_command_line_takes_one_mood_reader(capsys):
    with pytest.raises(SystemExit) as exited:
        emoji_suggest.main(["suggest", "--reader", "--student", "hello"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_server_takes_one_emoji_mood_reader(capsys):
    from helpers.serve import cli

    assert cli.main(["run", "--emoji-reader", "--emoji-student"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "error: --emoji-reader and --emoji-student both choose the emoji's mood reader: give one"
    ]

"""The bigger reader, all-mpnet-base-v2 in Keras (helpers.mpnet; notebook 04, Recipe 8)."""

import numpy as np
import pytest

from helpers import mpnet


@pytest.fixture(scope="module")
def reader():
    return mpnet.load_reader()


def test_relative_buckets_follow_mpnets_formula():
    # the key's position minus the query's: exact up to 7 each way (keys after the query in buckets 16-31), then
    # 8 + int(log(d / 8) / log(128 / 8) * 8), at most 15 (worked by hand from MPNet's relative_position_bucket)
    positions = np.arange(300, dtype="int32")[None, :]
    buckets = np.asarray(mpnet.relative_buckets(positions))[0]
    expected = {0: 0, 1: 17, -1: 1, 7: 23, -7: 7, 8: 24, -8: 8, 20: 26, -20: 10, 127: 31, -127: 15, 250: 31, -250: 15}
    for distance, bucket in expected.items():
        query = 0 if distance >= 0 else -distance
        assert buckets[query, query + distance] == bucket, distance


def test_tokenizer_reads_as_mpnet_does(reader):
    encoding = reader.tokenizer.encode("Hello, world!")
    assert encoding.tokens == ["<s>", "hello", ",", "world", "!", "</s>"]
    assert encoding.ids[0] == 0 and encoding.ids[-1] == 2
    ids = reader.token_ids(["hi", "a longer text here"])
    assert ids.shape[0] == 2 and ids[0, -1] == reader.config.pad_id


def test_vectors_are_unit_and_read_meaning(reader):
    vectors = reader.encode(
        [
            "How are you?",
            "How are you doing today?",
            "The cat sat on the mat.",
            "I love pizza",
            "pizza is my favourite food",
        ]
    )
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cos = vectors @ vectors.T
    assert cos[0, 1] > cos[0, 2] + 0.5, "a paraphrase should be much nearer than an unrelated sentence"
    assert cos[3, 4] > cos[3, 2] + 0.5


def test_padding_and_batch_do_not_change_a_texts_vector(reader):
    alone = reader.encode(["my car broke down again"])
    batched = reader.encode(["my car broke down again", "x " * 100, "oh no, was anyone hurt in the accident?"])
    assert np.abs(alone[0] - batched[0]).max() < 1e-5


def test_int8_weights_read_nearly_as_the_float_model(reader):
    texts = ["my car broke down again", "oh no! do you need a ride?", "what are you studying?", "i'm a math major"]
    int8, float32 = reader.encode(texts), reader.encode_float(texts)
    assert np.allclose(reader.encode_few(texts), int8, atol=1e-6), "encode and encode_few read alike"
    assert (np.sum(int8 * float32, axis=1) > 0.98).all(), "int8 weights should keep each vector's direction"
    keras_model = reader.model.predict(reader.token_ids(texts), verbose=0)
    assert np.abs(float32 - keras_model).max() < 1e-5
    # what the bot uses them for: which reply fits, the same either way here
    assert (
        np.argmax(int8[[0, 2]] @ int8[[1, 3]].T, axis=1) == np.argmax(float32[[0, 2]] @ float32[[1, 3]].T, axis=1)
    ).all()


def test_a_cached_flatbuffer_is_read_without_building_the_keras_model(reader):
    texts = ["my car broke down again", "hi"]
    expected = reader.encode_few(texts)  # the flatbuffer is in generated/cache/ from here on
    again = mpnet.MPNetEncoder()  # a later process's reader
    np.testing.assert_allclose(again.encode_few(texts), expected, atol=1e-6)
    assert "model" not in vars(again), "the float32 model (440 MB) was built though the flatbuffer was cached"


def test_long_text_is_cut_not_refused(reader):
    vector = reader.encode(["word " * 5000])
    assert vector.shape == (1, 768) and np.isfinite(vector).all()


def test_bad_input_is_refused(reader):
    with pytest.raises(TypeError, match="list of texts"):
        reader.encode("one string")
    with pytest.raises(TypeError, match="strings"):
        reader.encode(["fine", 3])


def test_a_damaged_package_file_is_caught(tmp_path, monkeypatch):
    monkeypatch.setattr(mpnet, "generated", lambda *parts: tmp_path.joinpath(*parts))
    (tmp_path / "cache" / "all-mpnet-base-v2").mkdir(parents=True)
    monkeypatch.setitem(mpnet.FILES, "model.safetensors", "0" * 64)
    with pytest.raises(ValueError, match="does not match its sha256"):
        mpnet.model_dir()
    assert not list((tmp_path / "cache" / "all-mpnet-base-v2").glob("*.partial")), "no half-written file is left"

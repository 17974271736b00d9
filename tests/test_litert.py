"""helpers.litert: a tf.function run by LiteRT gives what the graph gives, is converted once, and says nothing."""

import logging

import numpy as np
import pytest
import tensorflow as tf

from helpers import litert, paths, sentence_encoder


def small_function():
    weights = tf.constant(np.random.default_rng(0).normal(size=(8, 3)).astype("float32"))

    @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32), tf.TensorSpec([], tf.int32)])
    def function(x, keep):
        return tf.nn.l2_normalize(tf.matmul(x, weights)[:keep], axis=1)

    return function, weights.numpy()


def test_a_lite_function_gives_the_graph_result_for_any_batch_and_is_converted_once(tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(paths, "GENERATED", tmp_path)
    function, weights = small_function()
    function(np.ones((1, 8), "float32"), 1)  # TensorFlow's own start-up lines (CUDA probing) are not ours
    capfd.readouterr()
    lite = litert.LiteFunction(function, "small", [weights])
    assert lite.path.parent == tmp_path / "cache" and lite.path.exists()
    rng = np.random.default_rng(1)
    for rows, keep in ((5, 5), (2, 1), (9, 4), (2, 2)):  # shapes change between calls: resized each time
        x = rng.normal(size=(rows, 8)).astype("float32")
        np.testing.assert_allclose(lite(x, np.int32(keep)), function(x, keep).numpy(), atol=1e-6)
    out = capfd.readouterr()
    assert "LiteRT converts small (once per machine): 00:00" in out.err  # its ticking line, and nothing else
    assert out.out == "" and not litert.PROGRESS.sub("", out.err).strip(), f"the conversion spoke: {out.err[:300]!r}"

    def no_conversion(*_):
        raise AssertionError("converted again although the cached flatbuffer fits")

    monkeypatch.setattr(litert, "convert", no_conversion)
    again = litert.LiteFunction(function, "small", [weights])
    np.testing.assert_allclose(again(np.ones((3, 8), "float32"), np.int32(3)), function(np.ones((3, 8)), 3), atol=1e-6)
    # other weights: another file, converted anew
    with pytest.raises(AssertionError, match="converted again"):
        litert.LiteFunction(function, "small", [weights + 1])


def test_a_cached_flatbuffer_is_used_without_tracing_the_function(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "GENERATED", tmp_path)
    weights = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    traces = []

    def make(spec_names=(None, None)):
        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name=spec_names[0]),
                                      tf.TensorSpec([], tf.int32, name=spec_names[1])])  # fmt: skip
        def function(x, keep):
            traces.append(1)  # runs once per trace, never when the graph runs
            return tf.nn.l2_normalize(tf.matmul(x, weights)[:keep], axis=1)

        return function

    litert.LiteFunction(make(), "small", [weights])  # converting traces it
    traces.clear()
    function = make()
    cached = litert.LiteFunction(function, "small", [weights])  # the file exists: its input names come from signatures
    assert traces == [], "a cached flatbuffer was loaded by tracing the function again (2-4 s each for the bot's)"
    assert litert.argument_names(function) == ["x", "keep"]
    x = np.random.default_rng(1).normal(size=(3, 8)).astype("float32")
    np.testing.assert_allclose(cached(x, np.int32(2)), function(x, 2).numpy(), atol=1e-6)
    # a spec's own name is the input's name; where the signatures cannot say, tracing still finds the names
    assert litert.argument_names(make(("rows", None))) == ["rows", "keep"]
    assert litert.argument_names(make(("same", "same"))) is None


def test_a_deferred_function_is_made_only_to_convert(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "GENERATED", tmp_path)
    function, weights = small_function()
    made = []

    def make():
        made.append(1)
        return function

    deferred = litert.Deferred(make, function.input_signature, ["x", "keep"])
    first = litert.LiteFunction(deferred, "small", [weights])  # no file yet: made and converted
    assert made == [1] and first.path.exists()
    later = litert.LiteFunction(litert.Deferred(make, function.input_signature, ["x", "keep"]), "small", [weights])
    assert made == [1], "the function was made although its flatbuffer was cached"
    x = np.random.default_rng(3).normal(size=(4, 8)).astype("float32")
    np.testing.assert_allclose(later(x, np.int32(3)), function(x, 3).numpy(), atol=1e-6)
    # names that do not match the flatbuffer's: the function is made and traced to learn them
    wrong = litert.LiteFunction(litert.Deferred(make, function.input_signature, ["a", "b"]), "small", [weights])
    assert made == [1, 1]
    np.testing.assert_allclose(wrong(x, np.int32(3)), function(x, 3).numpy(), atol=1e-6)


def test_int8_weights_are_a_flatbuffer_of_their_own(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "GENERATED", tmp_path)
    function, weights = small_function()
    plain = litert.LiteFunction(function, "small", [weights])
    int8 = litert.LiteFunction(function, "small", [weights], int8_weights=True)
    assert int8.path != plain.path and int8.path.exists() and plain.path.exists()
    x = np.random.default_rng(2).normal(size=(4, 8)).astype("float32")
    np.testing.assert_allclose(int8(x, np.int32(4)), function(x, 4).numpy(), atol=0.1)


def test_a_lite_function_refuses_inputs_of_the_wrong_count(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "GENERATED", tmp_path)
    function, weights = small_function()
    lite = litert.LiteFunction(function, "small", [weights])
    with pytest.raises(ValueError):
        lite(np.ones((2, 8), "float32"))


def test_minilm_through_litert_gives_the_graph_vectors_on_packed_rows():
    encoder = sentence_encoder.load_encoder()
    texts = ["hi! how was your weekend?", "my car broke down again", "yes", " ".join(["word"] * 80) + " dogs ?"]
    rows = encoder.token_rows(texts, "end")
    ids, positions, segments = sentence_encoder.pack_rows(rows)
    graph = sentence_encoder.packed_minilm(encoder.model, encoder.config)(ids, positions, segments, len(texts))
    np.testing.assert_allclose(encoder.packed(ids, positions, segments, np.int32(len(texts))), graph, atol=1e-5)


def test_old_flatbuffers_of_a_name_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "GENERATED", tmp_path)
    monkeypatch.setattr(litert, "KEEP", 2)
    function, weights = small_function()
    paths_made = [litert.LiteFunction(function, "small", [weights + i]).path for i in range(4)]
    litert.LiteFunction(function, "other", [weights])
    left = sorted(p.name for p in (tmp_path / "cache").glob("litert_*.tflite"))
    assert left == sorted([paths_made[2].name, paths_made[3].name] + [f for f in left if f.startswith("litert_other")])


def test_a_damaged_cached_flatbuffer_is_converted_again(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "GENERATED", tmp_path)
    function, weights = small_function()
    path = litert.LiteFunction(function, "small", [weights]).path
    path.write_bytes(b"half a file")
    lite = litert.LiteFunction(function, "small", [weights])
    x = np.ones((2, 8), "float32")
    np.testing.assert_allclose(lite(x, np.int32(2)), function(x, 2).numpy(), atol=1e-6)
    assert path.read_bytes() != b"half a file"


def test_a_missing_litert_package_is_one_clear_error(monkeypatch):
    real = paths.find_spec
    monkeypatch.setattr(paths, "find_spec", lambda name: None if name == "ai_edge_litert" else real(name))
    function, weights = small_function()
    with pytest.raises(FileNotFoundError, match="'ai_edge_litert' is not installed; run `make lab`"):
        litert.LiteFunction(function, "small", [weights])


def test_converting_says_nothing_through_pythons_logging(caplog):
    """The converter's absl INFO line ("Using new converter: ...") reached the log of a first `make serve`."""
    caplog.set_level(logging.INFO)
    function = tf.function(lambda x: x * 2.0, input_signature=[tf.TensorSpec([None], tf.float32)])
    litert.convert(function)
    assert not [record.getMessage() for record in caplog.records if record.levelno < logging.ERROR]


def test_a_conversion_shows_its_time_while_it_runs(capsys):
    """Converting the bigger reader is a minute or two without a step to count: a ticking line shows it working
    (and keeps a starting server's log growing, which is how ``serve.start_in_background`` tells a slow start from
    a hung one)."""
    weights = tf.constant(np.random.default_rng(0).normal(size=(512, 512)).astype("float32"))
    function = tf.function(
        lambda x: tf.nn.relu(tf.matmul(x, weights)), input_signature=[tf.TensorSpec([None, 512], tf.float32)]
    )
    with litert.ticking("LiteRT converts test", every=0.01):
        litert.convert(function, int8_weights=True)
    shown = capsys.readouterr().err
    assert shown.count("LiteRT converts test: 00:") >= 3, shown

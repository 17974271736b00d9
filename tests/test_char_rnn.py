"""Char-RNN helpers: text preparation, data pipeline, and the two generators on a tiny model."""

import numpy as np
import pytest

from helpers import char_rnn, plots

TEXT = "to be or not to be, that is the question.\n" * 40


@pytest.fixture(scope="module")
def tiny():
    import keras

    keras.utils.set_random_seed(0)
    to_ids, _ = char_rnn.make_lookups(TEXT)
    vocabulary = [str(c) for c in to_ids.get_vocabulary()]
    model = char_rnn.build_model(len(vocabulary), embedding_dim=8, units=16, layers=2, learning_rate=1e-2)
    model.fit(char_rnn.windows(char_rnn.encode(TEXT, to_ids), seq_len=20, batch_size=16), epochs=3, verbose=0)
    return model, vocabulary


def test_shakespeare_plays_only():
    plays = char_rnn.shakespeare_plays()
    assert len(plays) == 37 and "sonnets" not in plays and "hamlet" in plays
    # five plays spell their cast-list heading "Persons Represented": they are plays all the same
    assert {"macbeth", "lear", "as_you_like_it", "midsummer_nights_dream", "richard_iii"} <= set(plays)
    # a play starts at its first act, scene, prologue or chorus line: Hamlet at its setting line, just before Act I
    assert plays["hamlet"].startswith("SCENE. Elsinore.\n\nACT I.") and plays["macbeth"].startswith("ACT I.")
    assert not any("persons represented" in text.lower() for text in plays.values())


def test_strip_python_uses_tokenize():
    source = (
        'def f(x):  # a comment with "quotes"\n'
        '    """Return the thing the caller asked for, politely."""\n'
        '    s = "# not a comment"\n'
        "    return x + 1  # another\n"
    )
    assert char_rnn.strip_python(source) == ("def f(x):\n    '...'\n    s = \"# not a comment\"\n    return x + 1\n")
    with pytest.raises((SyntaxError, Exception)):
        char_rnn.strip_python('x = """never closed\n')


def test_python_text_is_ascii_code():
    text = char_rnn.python_text(max_chars=50_000)
    assert len(text) == 50_000 and text.isascii() and "def " in text and "\n#" not in text


def test_split_and_windows():
    train, val = char_rnn.split_text("abcdefghij")
    assert (train, val) == ("abcdefghi", "j")
    to_ids, _ = char_rnn.make_lookups(TEXT)
    ids = char_rnn.encode(TEXT, to_ids)
    assert char_rnn.decode(ids, to_ids.get_vocabulary()) == TEXT
    ((x, y),) = char_rnn.windows(ids, seq_len=10, batch_size=4, shuffle=False).take(1)
    assert x.shape == (4, 10) and np.array_equal(x.numpy()[0, 1:], y.numpy()[0, :-1])
    with pytest.raises(ValueError, match="shorter than one window"):
        char_rnn.windows(ids[:5], seq_len=10)


def test_bits_per_char():
    assert char_rnn.bits_per_char(np.log(2)) == pytest.approx(1.0)


def test_fast_generation_shapes_and_determinism(tiny):
    model, vocabulary = tiny
    generator = char_rnn.FastGenerator(model, vocabulary)
    texts = generator.generate("to be", length=30, batch=3, seed=7)
    assert len(texts) == 3 and all(len(t) == 30 for t in texts)
    assert all(set(t) <= set(vocabulary[1:]) for t in texts)  # never the unknown character
    assert generator.generate("to be", length=30, batch=3, seed=7) == texts
    assert generator.generate("to be", length=30, batch=3, seed=8) != texts


def test_greedy_fast_equals_classic_window_refeed(tiny):
    """Same weights, temperature 0: stateful stepping must give exactly what re-feeding the window gives."""
    model, vocabulary = tiny
    fast = char_rnn.FastGenerator(model, vocabulary).generate("to be or", length=25, temperature=0)[0]
    classic = char_rnn.generate_classic(model, vocabulary, "to be or", length=25, window=100, temperature=0)
    assert fast == classic


def test_temperature_controls_variety(tiny):
    model, vocabulary = tiny
    generator = char_rnn.FastGenerator(model, vocabulary)
    cold = generator.generate("t", length=200, temperature=0.2, batch=4, seed=1)
    hot = generator.generate("t", length=200, temperature=3.0, batch=4, seed=1)
    distinct = lambda texts: len({t[i : i + 3] for t in texts for i in range(len(t) - 2)})  # noqa: E731
    assert distinct(hot) > distinct(cold)


def test_end_with_stops_each_stream(tiny):
    model, vocabulary = tiny
    texts = char_rnn.FastGenerator(model, vocabulary).generate(
        "to", length=400, end_with="\n", batch=2, seed=3, chunk=16
    )
    assert all(t.endswith("\n") and t.count("\n") == 1 for t in texts)
    with pytest.raises(ValueError):
        char_rnn.FastGenerator(model, vocabulary).generate("", length=5)


def test_activations_and_heatmap(tiny):
    model, vocabulary = tiny
    acts = char_rnn.lstm_activations(model, vocabulary, "to be\nor not", layer=1)
    assert acts.shape == (12, 16) and np.all(np.abs(acts) <= 1)
    ax = plots.text_heatmap("to be\nor not", acts[:, 0])
    assert len(ax.patches) == 12
    with pytest.raises(ValueError):
        plots.text_heatmap("abc", [0.1])


def test_training_speed_needs_fixed_batches_and_measures():
    to_ids, _ = char_rnn.make_lookups(TEXT)
    ids = char_rnn.encode(TEXT, to_ids)
    vocab_size = len(to_ids.get_vocabulary())
    speed = char_rnn.training_speed(
        vocab_size, char_rnn.windows(ids, seq_len=20, batch_size=8), units=8, layers=1, steps=2, repeats=1
    )
    assert np.isfinite(speed) and speed > 0
    with pytest.raises(ValueError, match="fixed shape"):
        char_rnn.training_speed(vocab_size, char_rnn.windows(ids, seq_len=20, batch_size=8, shuffle=False), units=8)


def test_plot_history_integer_epochs_steps_axis_and_panel_titles():
    import matplotlib.pyplot as plt

    history = {"loss": [3.0, 2.0, 1.5], "val_loss": [3.1, 2.2, 1.9]}
    fig = plots.plot_history(history, steps_per_point=100, title="rounds")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "training steps" and list(ax.lines[0].get_xdata()) == [100, 200, 300]
    assert all(float(t).is_integer() for t in ax.get_xticks())
    cut = plots.plot_history(history, steps_per_point=100, total_steps=214).axes[0]  # the clock stopped round 3 early
    assert list(cut.lines[0].get_xdata()) == [100, 200, 214] and list(cut.lines[1].get_xdata()) == [100, 200, 214]
    with pytest.raises(ValueError, match="3 rounds of 100 steps end after 201 to 300 steps, not 150"):
        plots.plot_history(history, steps_per_point=100, total_steps=150)
    _, panels = plt.subplots(1, 2)
    plots.plot_history(history, title="left", ax=panels[0])
    plots.plot_history(history, title="right", ax=panels[1])
    assert [p.get_title() for p in panels] == ["left", "right"], "a second plot must not overwrite the first's title"
    plt.close("all")

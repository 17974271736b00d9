"""helpers.training (the zoo's one training recipe) and helpers.model_card (the card every zoo model carries)."""

import json
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from helpers import zoo
from helpers.model_card import ModelCard, machine
from helpers.training import TimeBudget, Trained, fit_within_budget


def _tiny_model(lr=0.1):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(lr), "mse")
    return model


def test_time_budget_stops_mid_epoch_and_anneals_the_learning_rate():
    seen = []

    class Slow(keras.callbacks.Callback):  # runs after the budget callback has set this batch's rate
        def on_train_batch_begin(self, batch, logs=None):
            time.sleep(0.05)
            seen.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    model = _tiny_model(0.5)
    x = np.zeros((400, 1), "float32")
    # 100 batches of >= 0.05 s would take >= 5 s: a 1 s budget must stop inside the first epoch
    history = model.fit(
        x, x, batch_size=4, epochs=20, verbose=0, callbacks=[TimeBudget(1.0, peak_lr=0.1, final_lr=0.001), Slow()]
    )
    assert len(history.history["loss"]) == 1 and 5 <= len(seen) <= 21
    assert seen[0] == pytest.approx(0.1, rel=0.05) and seen[-1] < 0.02
    assert all(a >= b for a, b in zip(seen, seen[1:])), "the learning rate must only go down"
    assert history.history["learning_rate"][-1] < 0.02


@pytest.mark.parametrize("kwargs, message", [({"seconds": 0}, "positive"), ({"seconds": 1, "peak_lr": 0.1}, "both")])
def test_time_budget_refuses_nonsense(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TimeBudget(**kwargs)


def test_fit_within_budget_keeps_the_best_epoch_and_reports():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 1)).astype("float32")
    y = 3 * x
    model = _tiny_model(0.05)
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    trained = fit_within_budget(
        model, batches, 30, validation=batches.take(2), learning_rates=(0.05, 0.001), patience=2, max_epochs=6
    )
    assert isinstance(trained, Trained) and trained.epochs == 6 == len(trained.history["loss"])
    assert trained.best_epoch == int(np.argmin(trained.history["val_loss"])) + 1
    assert trained.steps == 6 * 8  # 256 / batch 32 per epoch
    assert 0.001 <= trained.history["learning_rate"][-1] <= 0.05 and 0 < trained.seconds < 30
    # the weights are the best epoch's: evaluating gives the best validation loss (rounded in the history)
    assert model.evaluate(batches.take(2), verbose=0) == pytest.approx(min(trained.history["val_loss"]), abs=1e-3)
    # trained again (a reader running the cell twice), it reports this run's steps, not the optimizer's total
    again = fit_within_budget(model, batches, 30, validation=batches.take(2), patience=10, max_epochs=2)
    assert again.steps == 2 * 8 and int(model.optimizer.iterations) == 8 * 8


def test_fit_within_budget_without_validation_watches_the_training_loss():
    x = np.ones((32, 1), "float32")
    trained = fit_within_budget(
        _tiny_model(0.01), tf.data.Dataset.from_tensor_slices((x, x)).batch(8), 30, max_epochs=3
    )
    assert "val_loss" not in trained.history and trained.best_epoch == int(np.argmin(trained.history["loss"])) + 1


CARD = {
    "data": {"source": "x", "sha256": "0" * 64},
    "hyperparameters": {"units": 8},
    "metrics": {"loss": 0.5},
    "training_seconds": 1.5,
    "reproduce": "python -m helpers.char_rnn train shakespeare",
}


def test_model_card_round_trip_and_defaults():
    card = ModelCard.from_dict({**CARD, "vocabulary": ["a", "b"], "name": "dropped", "saved": "dropped"})
    assert card.extra == {"vocabulary": ["a", "b"]} and card.history == {} and card.machine == machine()
    written = card.to_dict()
    assert set(written) == {
        "data",
        "hyperparameters",
        "metrics",
        "history",
        "training_seconds",
        "machine",
        "reproduce",
        "vocabulary",
    }
    assert ModelCard.from_dict(json.loads(json.dumps(written))) == card


@pytest.mark.parametrize(
    "change, message",
    [
        ({"reproduce": ""}, "reproduce"),
        ({"training_seconds": -1}, "training_seconds"),
        ({"training_seconds": "fast"}, "training_seconds"),
        ({"metrics": [1]}, "metrics"),
        ({"data": {}}, "data"),
    ],
)
def test_model_card_refuses_bad_fields(change, message):
    with pytest.raises(ValueError, match=message):
        ModelCard.from_dict({**CARD, **change})


def test_model_card_names_a_missing_key_and_a_clash():
    with pytest.raises(ValueError, match="lacks reproduce"):
        ModelCard.from_dict({k: v for k, v in CARD.items() if k != "reproduce"}, "03_char_rnn/x")
    with pytest.raises(ValueError, match="clash"):
        ModelCard(**CARD, extra={"metrics": {}})


def test_zoo_save_writes_every_card_with_the_same_fields(tmp_path):
    zoo.save(_tiny_model(), "99_test/tiny", ModelCard(**CARD, history={"loss": [1.0, 0.5]}), root=tmp_path)
    zoo.write_card("99_test/plain", dict(CARD), root=tmp_path)
    fields = {
        "data",
        "hyperparameters",
        "metrics",
        "history",
        "training_seconds",
        "machine",
        "reproduce",
        "name",
        "versions",
        "saved",
    }
    tiny, plain = (json.loads((tmp_path / f"99_test/{n}.json").read_text()) for n in ("tiny", "plain"))
    assert set(tiny) == fields | {"file"} and set(plain) == fields
    with pytest.raises(ValueError, match="lacks"):
        zoo.save(_tiny_model(), "99_test/bad", {"data": {"a": 1}}, root=tmp_path)
    assert not (tmp_path / "99_test/bad.keras").exists(), "a bad card must stop the save before anything is written"


def test_every_zoo_card_has_the_model_card_fields():
    manifest = zoo.read_manifest()
    cards = [
        name[: -len(".json")] for name in manifest if name.endswith(".json") and not name.endswith("_replies.json")
    ]
    assert cards
    for name in cards:
        card = zoo.card(name)
        ModelCard.from_dict(card, name)  # raises on a missing or malformed field
        assert {"history", "machine"} <= set(card), f"zoo/{name}.json lacks history or machine"


@pytest.mark.parametrize("module", ["char_rnn", "seq2seq", "selector"])
@pytest.mark.parametrize("minutes", ["nan", "0", "-3", "inf", "abc"])
def test_a_training_command_refuses_a_budget_that_is_not_a_positive_number(module, minutes, capsys):
    import importlib

    command = {"char_rnn": ["train", "python"], "seq2seq": ["train", "you"], "selector": ["train"]}[module]
    with pytest.raises(SystemExit) as stop:  # before any training, so no zoo file is touched
        importlib.import_module(f"helpers.{module}").main([*command, "--minutes", minutes])
    assert stop.value.code == 2
    assert f"a training budget is a positive number of minutes, not {minutes}" in capsys.readouterr().err

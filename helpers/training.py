"""Training within a time budget: one recipe for every zoo trainer, and the card it writes.

Every model in the zoo is trained the same way: against a clock (so a 2-core laptop and
a workstation finish on time), with the learning rate annealed along a cosine over that
time (so even a short run ends with the small steps that polish a model), early stopping
on the validation loss, and the best epoch's weights kept. :func:`fit_within_budget` is
that recipe; it returns a :class:`Trained` record from which the model's
:class:`ModelCard` (re-exported from :mod:`helpers.model_card`) is written.

Taught in: 03_char_rnn (``TimeBudget`` and ``fit_within_budget`` in cells); used by
``char_rnn``, ``seq2seq`` (the base and the fine-tuning of notebook 04 and ``make bot``),
``selector`` and ``your_bot``.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass
from typing import Sequence

import keras
import numpy as np

from .model_card import ModelCard, machine

__all__ = ["ModelCard", "TimeBudget", "Trained", "budget_minutes", "fit_within_budget", "machine"]


def budget_minutes(text: str) -> float:
    """The ``--minutes`` of every training command: a positive, finite number of minutes (argparse turns the
    ``ArgumentTypeError`` into one usage line, so ``--minutes nan`` cannot train a model for no time and save it)."""
    try:
        minutes = float(text)
    except ValueError:
        minutes = math.nan
    if not (minutes > 0 and math.isfinite(minutes)):
        raise argparse.ArgumentTypeError(f"a training budget is a positive number of minutes, not {text}")
    return minutes


class TimeBudget(keras.callbacks.Callback):
    """End training after ``seconds``, checked after every batch, so it never overruns by more
    than one batch plus the last validation pass.

    With ``peak_lr`` and ``final_lr`` it also anneals the learning rate along a cosine, from
    ``peak_lr`` at the start to ``final_lr`` when the time is up, and logs the rate at the
    end of each epoch. Taught in: 03_char_rnn (the zoo models are trained with it).
    """

    def __init__(self, seconds: float, peak_lr: float | None = None, final_lr: float | None = None):
        super().__init__()
        if seconds <= 0:
            raise ValueError(f"the time budget must be positive, not {seconds} s")
        if (peak_lr is None) != (final_lr is None):
            raise ValueError("give both peak_lr and final_lr, or neither")
        self.seconds, self.peak_lr, self.final_lr = seconds, peak_lr, final_lr
        self.start = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def fraction(self) -> float:
        """The share of the budget used so far, from 0 to 1."""
        return min(1.0, (time.perf_counter() - self.start) / self.seconds)

    def on_train_batch_begin(self, batch, logs=None):
        if self.peak_lr is not None:
            cosine = 0.5 * (1 + math.cos(math.pi * self.fraction()))
            self.model.optimizer.learning_rate = self.final_lr + (self.peak_lr - self.final_lr) * cosine

    def on_train_batch_end(self, batch, logs=None):
        if self.fraction() >= 1.0:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        if self.fraction() >= 1.0:
            self.model.stop_training = True


@dataclass(frozen=True)
class Trained:
    """What :func:`fit_within_budget` reports: per-epoch ``history`` (rounded to 4 digits), wall-clock
    ``seconds``, the optimizer ``steps`` this call took (the last epoch may be cut short by the clock; a model
    trained again reports the new run's steps only), ``epochs`` begun, and the 1-based ``best_epoch`` whose
    weights the model now holds."""

    history: dict
    seconds: float
    steps: int
    epochs: int
    best_epoch: int


def fit_within_budget(
    model,
    train,
    seconds: float,
    validation=None,
    learning_rates: tuple[float, float] | None = None,
    patience: int = 3,
    max_epochs: int = 200,
    steps_per_epoch: int | None = None,
    callbacks: Sequence = (),
    verbose: int = 0,
) -> Trained:
    """Train a compiled ``model`` on ``train`` for at most ``seconds``, the zoo's one recipe.

    The learning rate follows a cosine from ``learning_rates[0]`` to ``learning_rates[1]`` over
    the budget (:class:`TimeBudget`); training stops early after ``patience`` epochs without a
    better validation loss (training loss without ``validation``) and the best epoch's weights
    are restored. ``steps_per_epoch`` makes an "epoch" a round of that many steps (for a short
    workshop run on a big text). Taught in: 03_char_rnn.
    """
    watched = "val_loss" if validation is not None else "loss"
    budget = TimeBudget(seconds, *(learning_rates or (None, None)))
    stopping = keras.callbacks.EarlyStopping(watched, patience=patience, restore_best_weights=True)
    start, steps_before = time.perf_counter(), int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    fit = model.fit(
        train,
        validation_data=validation,
        epochs=max_epochs,
        steps_per_epoch=steps_per_epoch,
        callbacks=[budget, stopping, *callbacks],
        verbose=verbose,
    )
    elapsed = time.perf_counter() - start
    history = {key: [round(float(v), 4) for v in values] for key, values in fit.history.items()}
    return Trained(
        history=history,
        seconds=round(elapsed, 1),
        steps=int(keras.ops.convert_to_numpy(model.optimizer.iterations)) - steps_before,
        epochs=len(history["loss"]),
        best_epoch=int(np.argmin(history[watched])) + 1,
    )

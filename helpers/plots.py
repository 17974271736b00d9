"""Plots several notebooks share. Imports matplotlib lazily so the CLI tools stay fast."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps
from matplotlib.ticker import MaxNLocator


def plot_history(
    history,
    metrics: Sequence[str] = ("loss",),
    title: str | None = None,
    ax=None,
    steps_per_point: int | None = None,
    total_steps: int | None = None,
):
    """Plot training curves (and their ``val_`` twins) from a Keras ``History`` or a dict.

    One subplot per metric, epochs on the x axis starting at 1 (integer ticks), the best
    validation epoch marked. When each logged point is a round of ``steps_per_point``
    training steps rather than an epoch (``fit(steps_per_epoch=...)`` against a clock),
    the x axis counts training steps instead; ``total_steps`` (``fit_within_budget``'s ``steps``) puts the last
    point where the clock stopped a round short. With ``ax`` given (a panel of a bigger
    figure) the title goes on the panel, so that several panels keep their own titles.
    Returns the matplotlib figure.
    Taught in: 02_word2vec, 03_char_rnn, 04_seq2seq_chatbot, 05_emoji_suggestion.
    """

    logs: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise KeyError(f"history has no {', '.join(missing)}; it has {', '.join(sorted(logs)) or 'nothing'}")
    if ax is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
        axes = list(axes[0])
    else:
        axes = [ax] if len(metrics) == 1 else list(ax)
        fig = axes[0].figure
    for axis, metric in zip(axes, metrics):
        values = list(logs[metric])
        epochs = [(i + 1) * (steps_per_point or 1) for i in range(len(values))]
        if steps_per_point and total_steps is not None:
            if not epochs[-1] - steps_per_point < total_steps <= epochs[-1]:
                raise ValueError(
                    f"{len(values)} rounds of {steps_per_point} steps end after {epochs[-1] - steps_per_point + 1} to "
                    f"{epochs[-1]} steps, not {total_steps}"
                )
            epochs[-1] = total_steps  # the clock may stop the last round early
        axis.plot(epochs, values, "o-", label=f"train {metric}")
        val = logs.get(f"val_{metric}")
        if val is not None:
            val = list(val)
            axis.plot(epochs, val, "s--", label=f"validation {metric}")
            best = (
                min(range(len(val)), key=val.__getitem__)
                if "loss" in metric
                else max(range(len(val)), key=val.__getitem__)
            )
            axis.axvline(epochs[best], color="grey", lw=0.8, ls=":")
            axis.annotate(
                f"best {val[best]:.3g}",
                (epochs[best], val[best]),
                textcoords="offset points",
                xytext=(5, 8),
                fontsize=8,
            )
        axis.set_xlabel("training steps" if steps_per_point else "epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    if title and ax is not None:
        for axis in axes:
            axis.set_title(title if len(axes) == 1 else f"{title}: {axis.get_ylabel()}", fontsize=10)
    elif title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def text_heatmap(text: str, values, ax=None, title: str | None = None, cmap: str = "RdBu_r", width: int = 80):
    """Draw ``text`` character by character, each on a background coloured by its value in ``values``.

    Values are expected in [-1, 1] (LSTM hidden states are); lines longer than
    ``width`` wrap. Returns the axes. Taught in: 03_char_rnn (what single LSTM units track).
    """

    values = list(values)
    if len(values) != len(text):
        raise ValueError(f"{len(text)} characters but {len(values)} values")
    rows, row, col = [], [], 0
    for char, value in zip(text, values):
        if char == "\n":
            row.append(("⏎", value))
            rows.append(row)
            row, col = [], 0
            continue
        row.append((char, value))
        col += 1
        if col >= width:
            rows.append(row)
            row, col = [], 0
    if row:
        rows.append(row)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(width, max(len(r) for r in rows)) * 0.12 + 0.5, len(rows) * 0.22 + 0.6))
    colour = colormaps[cmap]
    for y, line in enumerate(rows):
        for x, (char, value) in enumerate(line):
            ax.add_patch(plt.Rectangle((x, -y - 1), 1, 1, color=colour((float(value) + 1) / 2), lw=0))
            dark = abs(float(value)) > 0.55  # deep red or blue: white letters stay readable
            ax.text(
                x + 0.5,
                -y - 0.5,
                char,
                ha="center",
                va="center",
                fontsize=7,
                family="monospace",
                color="lightgrey" if char == "⏎" else ("white" if dark else "black"),
            )
    ax.set_xlim(0, max(len(r) for r in rows))
    ax.set_ylim(-len(rows), 0)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9, loc="left")
    return ax


def attention_heatmap(
    prompt_tokens: Sequence[str], reply_tokens: Sequence[str], weights, ax=None, title: str | None = None
):
    """Draw attention weights: one row per reply token, one column per prompt token.

    ``weights`` has shape (len(reply_tokens), len(prompt_tokens)); row ``i`` says
    where the decoder looked while writing reply token ``i``. Returns the axes.
    Taught in: 04_seq2seq_chatbot.
    """

    weights = np.asarray(weights)
    if weights.shape != (len(reply_tokens), len(prompt_tokens)):
        raise ValueError(
            f"weights have shape {weights.shape}, expected "
            f"({len(reply_tokens)} reply tokens, {len(prompt_tokens)} prompt tokens)"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * len(prompt_tokens) + 2, 0.35 * len(reply_tokens) + 1.2))
    image = ax.imshow(weights, cmap="Blues", vmin=0, aspect="auto")
    ax.set_xticks(range(len(prompt_tokens)), prompt_tokens, rotation=60, ha="right")
    ax.set_yticks(range(len(reply_tokens)), reply_tokens)
    ax.set_xlabel("prompt (what the encoder read)")
    ax.set_ylabel("reply (what the decoder wrote)")
    ax.figure.colorbar(image, ax=ax, fraction=0.04)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return ax

"""Plots several notebooks share. Imports matplotlib lazily so the CLI tools stay fast."""

from __future__ import annotations

from typing import Mapping, Sequence


def plot_history(history, metrics: Sequence[str] = ("loss",), title: str | None = None, ax=None):
    """Plot training curves (and their ``val_`` twins) from a Keras ``History`` or a dict.

    One subplot per metric, epochs on the x axis starting at 1, the best
    validation epoch marked. Returns the matplotlib figure.
    Taught in: 02_word2vec, 03_char_rnn, 04_seq2seq_chatbot, 05_emoji_suggestion.
    """
    import matplotlib.pyplot as plt

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
        epochs = range(1, len(values) + 1)
        axis.plot(epochs, values, "o-", label=f"train {metric}")
        val = logs.get(f"val_{metric}")
        if val is not None:
            val = list(val)
            axis.plot(epochs, val, "s--", label=f"validation {metric}")
            best = min(range(len(val)), key=val.__getitem__) if "loss" in metric else max(
                range(len(val)), key=val.__getitem__)
            axis.axvline(best + 1, color="grey", lw=0.8, ls=":")
            axis.annotate(f"best {val[best]:.3g}", (best + 1, val[best]), textcoords="offset points",
                          xytext=(5, 8), fontsize=8)
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig

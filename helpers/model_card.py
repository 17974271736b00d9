"""The model card every zoo model carries, as one dataclass (TensorFlow-free, so ``helpers.zoo`` stays fast).

A card says what a model was trained on (``data``, with a sha256), how (``hyperparameters``),
how well it does (``metrics``), how training went (``history``, ``training_seconds``,
``machine``) and how to rebuild it (``reproduce``). :func:`helpers.zoo.save` and
:func:`helpers.zoo.write_card` accept only what :meth:`ModelCard.from_dict` accepts, so every
card in ``zoo/`` has the same fields. Taught in: 03_char_rnn (with
:func:`helpers.training.fit_within_budget`); every trainer of the zoo writes one.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field, fields
from typing import Any

#: Keys every card must have, so a reader can trust and reproduce the model.
REQUIRED = ("data", "hyperparameters", "metrics", "training_seconds", "reproduce")
#: Keys ``zoo.write_card`` adds itself.
WRITTEN_BY_ZOO = ("name", "file", "versions", "saved")


def machine() -> dict:
    """Describe the machine a number was measured on (CPU count, model, Python)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


@dataclass(frozen=True)
class ModelCard:
    """What ``zoo/NN_topic/NAME.json`` holds, less what the zoo adds (name, file, versions, date).

    ``history`` is the per-epoch log of an iterative trainer (empty for a model fitted in one
    step); ``machine`` defaults to this one (``None`` in the few cards written before it was
    recorded); ``extra`` holds what one kind of model needs besides (a vocabulary, lengths,
    a usage line), written at the top level of the JSON.
    """

    data: dict
    hyperparameters: dict
    metrics: dict
    training_seconds: float
    reproduce: str
    history: dict = field(default_factory=dict)
    machine: dict | None = field(default_factory=machine)
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("data", "hyperparameters", "metrics", "history", "extra"):
            if not isinstance(getattr(self, name), dict):
                raise ValueError(f"model card: {name} must be a JSON object, not {type(getattr(self, name)).__name__}")
        if not self.data:
            raise ValueError("model card: data is empty (name the source and its sha256)")
        if (
            isinstance(self.training_seconds, bool)
            or not isinstance(self.training_seconds, (int, float))
            or self.training_seconds < 0
        ):
            raise ValueError(f"model card: training_seconds must be a number >= 0, not {self.training_seconds!r}")
        if not isinstance(self.reproduce, str) or not self.reproduce.strip():
            raise ValueError("model card: reproduce must be the command that rebuilds the model")
        if self.machine is not None and not isinstance(self.machine, dict):
            raise ValueError("model card: machine must be a JSON object (helpers.model_card.machine())")
        clash = sorted(set(self.extra) & ({f.name for f in fields(self)} | set(WRITTEN_BY_ZOO)))
        if clash:
            raise ValueError(f"model card: extra keys {clash} clash with the card's own fields")

    def to_dict(self) -> dict[str, Any]:
        """The card as the JSON object the zoo writes (``extra`` at the top level)."""
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return {**own, **self.extra}

    @classmethod
    def from_dict(cls, card: dict, name: str = "the model") -> ModelCard:
        """Read a card written as a dict (or back from JSON); keys the zoo adds are dropped.

        A missing required key is a ``ValueError`` naming it; a card without ``machine``
        gets this machine's description, one without ``history`` an empty history.
        """
        if isinstance(card, ModelCard):
            return card
        if not isinstance(card, dict):
            raise ValueError(f"model card for {name} must be a JSON object, not {type(card).__name__}")
        missing = [key for key in REQUIRED if key not in card]
        if missing:
            raise ValueError(f"model card for {name} lacks {', '.join(missing)} (needs {', '.join(REQUIRED)})")
        own = {f.name for f in fields(cls)} - {"extra"}
        kwargs = {key: card[key] for key in own if key in card}
        extra = {key: value for key, value in card.items() if key not in own and key not in WRITTEN_BY_ZOO}
        return cls(**kwargs, extra=extra)
